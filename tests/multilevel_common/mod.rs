//! Shared by the multilevel tests: the fixture `fixtures/metafor/multilevel.json` and the
//! model each of its fits describes.

#![allow(dead_code)]

use metapool::multilevel::{
    CovarianceStructure, Method, MultilevelFit, MultilevelModel, RandomEffects, SamplingCovariance,
};
use metapool::regression::ModelMatrix;
use serde_json::Value;

/// `fixtures/metafor/multilevel.json` parsed.
pub fn fixture() -> Value {
    fixture_file("multilevel.json")
}

/// `fixtures/metafor/crossed.json` (crossed random effects) parsed.
pub fn crossed_fixture() -> Value {
    fixture_file("crossed.json")
}

/// `fixtures/metafor/multivariate.json` (BLUPs and per-outcome prediction intervals) parsed.
pub fn multivariate_fixture() -> Value {
    fixture_file("multivariate.json")
}

fn fixture_file(name: &str) -> Value {
    let path = format!("{}/fixtures/metafor/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON")
}

/// A JSON array of numbers.
pub fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("array: {v}"))
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// Labels from a JSON array of numbers or strings.
pub fn labels(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| match x {
            Value::String(s) => s.clone(),
            Value::Number(n) => format!("{}", n.as_f64().expect("number")),
            other => panic!("label {other}"),
        })
        .collect()
}

/// The data of one fixture fit: outcomes, V, random effects, model matrix.
pub struct Problem {
    pub y: Vec<f64>,
    pub v: SamplingCovariance,
    pub random: RandomEffects,
    pub x: ModelMatrix,
    pub method: Method,
}

pub fn problem(f: &Value) -> Problem {
    let d = &f["data"];
    let y = nums(&d["yi"]);
    let vi = nums(&d["vi"]);
    let name = f["name"].as_str().expect("name");
    let (v, random) = if let Some(levels) = d["levels"].as_array() {
        let labs: Vec<Vec<String>> = levels.iter().map(labels).collect();
        let names = labels(&d["level_names"]);
        let spec: Vec<(&str, &[String])> = names
            .iter()
            .zip(&labs)
            .map(|(n, l)| (n.as_str(), l.as_slice()))
            .collect();
        // `terms`: the levels of each crossed term (absent: one nested term)
        let re = match d.get("terms").and_then(|t| t.as_array()) {
            None => RandomEffects::nested(&spec),
            Some(terms) => {
                let terms: Vec<Vec<(&str, &[String])>> = terms
                    .iter()
                    .map(|t| nums(t).iter().map(|&l| spec[l as usize]).collect())
                    .collect();
                let refs: Vec<&[(&str, &[String])]> = terms.iter().map(|t| t.as_slice()).collect();
                RandomEffects::crossed(&refs)
            }
        }
        .expect("random");
        let v = match d["rho"].as_f64() {
            Some(rho) => SamplingCovariance::constant_correlation(&vi, &labs[0], rho),
            None => SamplingCovariance::diagonal(&vi),
        }
        .expect("V");
        (v, re)
    } else {
        let cluster = labels(&d["cluster"]);
        let outcome = labels(&d["outcome"]);
        let (v1, v2) = (nums(&d["v1i"]), nums(&d["v2i"]));
        let rows: Vec<Vec<f64>> = v1.iter().zip(&v2).map(|(a, b)| vec![*a, *b]).collect();
        let v = SamplingCovariance::from_block_rows(&cluster, &rows).expect("V");
        let s: CovarianceStructure = name.split('_').nth(1).expect("struct").parse().expect("s");
        let re = RandomEffects::multivariate(("outcome", &outcome), ("trial", &cluster), s)
            .expect("random");
        (v, re)
    };
    let x = ModelMatrix::new(
        labels(&f["x_names"]),
        f["x"].as_array().expect("x").iter().map(nums).collect(),
    )
    .expect("X");
    let method = f["method"]
        .as_str()
        .expect("method")
        .parse()
        .expect("method");
    Problem {
        y,
        v,
        random,
        x,
        method,
    }
}

impl Problem {
    pub fn fit(&self) -> MultilevelFit {
        MultilevelModel::new(self.method)
            .fit(&self.y, &self.v, &self.random, &self.x)
            .expect("fit")
    }
}
