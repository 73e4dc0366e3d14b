//! The correlated-hierarchical-effects (CHE) recipe end to end through metapool's own fits:
//! `V` imputed with `rho = 0.6` within studies (`SamplingCovariance::constant_correlation`,
//! metafor `vcalc`), the three-level REML fit (`multilevel`), then CR2 clustered by study
//! (`robust`), against clubSandwich 0.5.8 on metafor's fit of dat.assink2016
//! (fixtures/metafor/robust.json, case `assink2016_che_rho06`, written by
//! fixtures/metafor/generate_robust.R).
//!
//! The fixture stores the working covariance `M = V + Z G Z'` per study rather than `vi`, so
//! `vi = M_ii - sigma2_1 - sigma2_2` (exact to rounding). Our REML optimum is tighter than
//! metafor's default one (its variance components differ at about 1e-6 relative), so the robust
//! figures are compared at 1e-5; the CR2 kernels alone are checked at 1e-9 on metafor's own `M`
//! in tests/metafor_robust.rs.

use metapool::multilevel::{Method, MultilevelModel, RandomEffects, SamplingCovariance};
use metapool::regression::ModelMatrix;
use metapool::robust::{ClusterRobust, Clusters, RobustVariance};
use serde_json::Value;

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn rel(a: f64, b: f64, floor: f64) -> f64 {
    (a - b).abs() / b.abs().max(floor)
}

#[test]
fn che_recipe_matches_clubsandwich() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/metafor/robust.json");
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let case = fx["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "assink2016_che_rho06")
        .unwrap();
    let y = nums(&case["yi"]);
    let k = y.len();
    let sigma2 = nums(&case["sigma2"]);
    let study: Vec<String> = case["cluster"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    let mut vi = vec![f64::NAN; k];
    for b in case["blocks"].as_array().unwrap() {
        let rows: Vec<usize> = nums(&b["rows"]).iter().map(|&r| r as usize).collect();
        let m = nums(&b["m"]);
        for (a, &r) in rows.iter().enumerate() {
            vi[r] = m[a * rows.len() + a] - sigma2[0] - sigma2[1];
        }
    }
    let names: Vec<String> = case["x_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    let flat = nums(&case["x"]);
    let columns: Vec<Vec<f64>> = flat.chunks(k).map(|c| c.to_vec()).collect();
    let x = ModelMatrix::new(names.clone(), columns).unwrap();

    // 1. V with rho = 0.6 within studies; 2. studies and effects within studies, REML
    let v = SamplingCovariance::constant_correlation(&vi, &study, 0.6).unwrap();
    let es: Vec<String> = (0..k).map(|i| i.to_string()).collect();
    let random = RandomEffects::nested(&[("study", &study[..]), ("es", &es[..])]).unwrap();
    let fit = MultilevelModel::new(Method::RestrictedMaximumLikelihood)
        .fit(&y, &v, &random, &x)
        .unwrap();
    // 3. CR2 clustered by study
    let cr2 = ClusterRobust::new(RobustVariance::Cr2)
        .fit(&fit, &Clusters::new(&study).unwrap())
        .unwrap();

    let w = &case["cr2"];
    let b = nums(&case["b"]);
    for (j, c) in cr2.coefficients().iter().enumerate() {
        assert_eq!(c.name, names[j]);
        let se = nums(&w["se"])[j];
        assert!(
            rel(c.estimate, b[j], se) <= 1e-5,
            "b[{j}] {} vs {}",
            c.estimate,
            b[j]
        );
        assert!(rel(c.se, se, 1e-12) <= 1e-5, "se[{j}] {} vs {se}", c.se);
        let df = nums(&w["df"])[j];
        assert!(rel(c.df, df, 1.0) <= 1e-5, "df[{j}] {} vs {df}", c.df);
        let p = nums(&w["p"])[j];
        assert!(rel(c.p, p, 1e-6) <= 1e-5, "p[{j}] {} vs {p}", c.p);
    }
    let t = cr2.omnibus();
    let (qm, df2) = (w["qm"].as_f64().unwrap(), w["qm_df2"].as_f64().unwrap());
    assert_eq!(t.df1, w["qm_df1"].as_u64().unwrap() as usize);
    assert!(
        rel(t.statistic, qm, 1.0) <= 1e-5,
        "qm {} vs {qm}",
        t.statistic
    );
    assert!(rel(t.df2, df2, 1.0) <= 1e-5, "qm_df2 {} vs {df2}", t.df2);
    assert_eq!(cr2.clusters(), w["clusters"].as_u64().unwrap() as usize);
}
