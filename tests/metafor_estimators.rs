//! Every tau² estimator x every test against metafor 3.8 (fixtures/metafor/estimators.json,
//! written by fixtures/metafor/generate_estimators.R).
//!
//! Tolerances (relative, `|ours - metafor| / |metafor|`; an absolute difference is used where
//! metafor's value is below 1e-300 in magnitude):
//! - closed-form estimators (FE, DL, HE, HS, HSk, SJ, DL2): 1e-10 on every number;
//! - iterative estimators (ML, REML, EB, PM, PMM): 1e-8 on every number, and the iteration
//!   counts must be equal;
//! - the Q-profile interval is an iterative search for every estimator: 1e-8.
//!
//! Exception: the homogeneous dataset keeps SJ > 0 (the Sidik-Jonkman estimate is positive
//! unless all estimates are equal), and I² / H² for tau² = 0 are exact (0 and 1).
//! Run with `--nocapture` to print the table of maximum relative differences.

use metapool::pool::{PredictionKind, Tau2Estimator, Test};
use metapool::{EffectSet, FixedModel, RandomModel};
use serde_json::Value;
use std::collections::BTreeMap;

const FIXTURE: &str = include_str!("../fixtures/metafor/estimators.json");

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn arr(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn estimator(name: &str) -> Option<Tau2Estimator> {
    Tau2Estimator::ALL
        .iter()
        .copied()
        .find(|e| e.metafor_name() == name)
}

fn test_of(name: &str) -> Test {
    match name {
        "z" => Test::Z,
        "t" => Test::T,
        "knha" => Test::KnappHartung,
        "adhoc" => Test::KnappHartungAdHoc,
        other => panic!("unknown test {other}"),
    }
}

fn rel(ours: f64, theirs: f64) -> f64 {
    let d = (ours - theirs).abs();
    if theirs.abs() < 1e-300 {
        d
    } else {
        d / theirs.abs()
    }
}

/// Max relative difference per (method, test), and the worst field for reporting.
#[derive(Default)]
struct Tally {
    max: BTreeMap<(String, String), (f64, String)>,
    failures: Vec<String>,
    compared: usize,
}

impl Tally {
    fn check(&mut self, method: &str, test: &str, what: &str, ours: f64, theirs: f64, tol: f64) {
        self.compared += 1;
        let r = rel(ours, theirs);
        let e = self
            .max
            .entry((method.to_string(), test.to_string()))
            .or_insert((0.0, String::new()));
        if r > e.0 || r.is_nan() {
            *e = (r, what.to_string());
        }
        if !(r <= tol) {
            self.failures.push(format!(
                "{method} {test} {what}: ours {ours:e} metafor {theirs:e} rel {r:e} > {tol:e}"
            ));
        }
    }
}

const METHODS: [&str; 12] = [
    "FE", "DL", "HE", "HS", "HSk", "SJ", "ML", "REML", "EB", "PM", "PMM", "DL2",
];

#[test]
fn every_estimator_and_test_matches_metafor() {
    let root: Value = serde_json::from_str(FIXTURE).unwrap();
    let datasets = root["datasets"].as_array().unwrap();
    assert!(datasets.len() >= 15);
    let mut tally = Tally::default();
    for ds in datasets {
        let name = ds["name"].as_str().unwrap();
        let set = EffectSet::from_estimates(&arr(&ds["yi"]), &arr(&ds["vi"])).unwrap();
        for &method in METHODS.iter() {
            let m = &ds["methods"][method];
            let iterative = estimator(method).is_some_and(|e| e.is_iterative());
            let tol = if iterative { 1e-8 } else { 1e-10 };
            for (test_name, expected) in m["tests"].as_object().unwrap() {
                let label = format!("{name}/{test_name}");
                assert!(
                    expected.get("error").is_none(),
                    "{label} {method}: metafor failed"
                );
                let test = test_of(test_name);
                let fit = match estimator(method) {
                    None => FixedModel::default().with_test(test).pool(&set),
                    Some(e) => RandomModel::default()
                        .with_estimator(e)
                        .with_test(test)
                        .pool(&set),
                }
                .unwrap_or_else(|err| panic!("{label} {method}: {err}"));
                let mut c = |what: &str, ours: f64, key: &str| {
                    if let Some(theirs) = num(&expected[key]) {
                        tally.check(
                            method,
                            test_name,
                            &format!("{label} {what}"),
                            ours,
                            theirs,
                            tol,
                        );
                    }
                };
                c("estimate", fit.estimate, "estimate");
                c("se", fit.se, "se");
                c("ci_lb", fit.ci_lower, "ci_lb");
                c("ci_ub", fit.ci_upper, "ci_ub");
                c("z", fit.z, "zval");
                c("p", fit.p, "pval");
                c("tau2", fit.heterogeneity.tau2, "tau2");
                c("i2", fit.heterogeneity.i2, "i2");
                c("h2", fit.heterogeneity.h2, "h2");
                c("q", fit.heterogeneity.q, "q");
                c("q_p", fit.heterogeneity.q_p.unwrap(), "q_p");
                if let Some(f) = fit.tau2_fit {
                    c("se_tau2", f.se.unwrap(), "se_tau2");
                    assert_eq!(
                        f.iterations as u64,
                        expected["iterations"].as_u64().unwrap(),
                        "{label} {method} iterations ({:?})",
                        f.stop
                    );
                }
                if method != "FE" {
                    let pi = fit.prediction_interval(PredictionKind::Metafor).unwrap();
                    c("pi_lb", pi.lower, "pi_lb");
                    c("pi_ub", pi.upper, "pi_ub");
                    let pr = fit.prediction_interval(PredictionKind::HigginsT).unwrap();
                    c("pi_riley_lb", pr.lower, "pi_riley_lb");
                    c("pi_riley_ub", pr.upper, "pi_riley_ub");
                }
                let w = arr(&expected["weights"]);
                assert_eq!(w.len(), fit.weights.len());
                for (i, (&ours, &theirs)) in fit.weights.iter().zip(w.iter()).enumerate() {
                    tally.check(
                        method,
                        test_name,
                        &format!("{label} weight {i}"),
                        ours,
                        theirs,
                        tol,
                    );
                }
            }
            // Q-profile interval (method level)
            let qp = &m["qprofile"];
            if let Some(e) = estimator(method) {
                assert!(qp.get("error").is_none(), "{name} {method}: confint failed");
                let model = RandomModel::default().with_estimator(e);
                let fit = model.pool(&set).unwrap();
                let ci = model.heterogeneity_intervals(&set, &fit).unwrap();
                for (key, iv) in [
                    ("tau2", ci.tau2),
                    ("tau", ci.tau),
                    ("i2", ci.i2),
                    ("h2", ci.h2),
                ] {
                    let b = arr(&qp[key]);
                    tally.check(
                        method,
                        "QP",
                        &format!("{name} {key} lb"),
                        iv.lower,
                        b[0],
                        1e-8,
                    );
                    tally.check(
                        method,
                        "QP",
                        &format!("{name} {key} ub"),
                        iv.upper,
                        b[1],
                        1e-8,
                    );
                }
            }
        }
    }
    println!(
        "\nmax relative difference vs metafor 3.8-1 ({} numbers compared)",
        tally.compared
    );
    println!(
        "{:<6} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "method", "z", "t", "knha", "adhoc", "QP"
    );
    for &method in METHODS.iter() {
        let cell = |t: &str| {
            tally
                .max
                .get(&(method.to_string(), t.to_string()))
                .map(|x| format!("{:.1e}", x.0))
                .unwrap_or_else(|| "-".into())
        };
        println!(
            "{:<6} {:>10} {:>10} {:>10} {:>10} {:>10}",
            method,
            cell("z"),
            cell("t"),
            cell("knha"),
            cell("adhoc"),
            cell("QP")
        );
    }
    for ((m, t), (r, what)) in &tally.max {
        println!("worst {m} {t}: {r:.2e} at {what}");
    }
    assert!(
        tally.failures.is_empty(),
        "{} mismatches:\n{}",
        tally.failures.len(),
        tally.failures[..tally.failures.len().min(40)].join("\n")
    );
}
