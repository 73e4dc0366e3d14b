//! Numerical robustness against a high-precision reference (`fixtures/highprec/highprec.json`,
//! written by `fixtures/highprec/generate.py` with mpmath at 50 digits from the exact doubles
//! the library sees): Q from nearly identical studies, variances spanning 20 orders of
//! magnitude, k = 1,000,000, p-values below 1e-300 (reported, not rounded to 0; 0 only where
//! the exact value underflows the smallest subnormal double, 4.9e-324), Hedges' exact J for
//! N up to 1e300, and the confidence-level critical value for levels within 1e-16 of 1.
//! Also determinism: the same input in any order of calls gives bit-identical output.
//!
//! Tolerances (relative to the reference unless said otherwise):
//! - estimates, SEs, CIs, z: 1e-12 (closed forms with compensated sums; the guide's 1e-10 is
//!   met with two digits to spare);
//! - Q, tau², I², H²: 1e-10 (Q of nearly identical studies is a sum of squares of differences
//!   of order 1e-12 between numbers of order 1: it keeps 10 digits only because the deviations
//!   are taken from the first study, exactly, and not from the rounded pooled estimate);
//! - p-values: 1e-9 relative plus 2 subnormal steps (1e-323) absolute: a p of 1e-312 is a
//!   subnormal double with about 38 significant bits;
//! - Hedges' J: 4e-15 (a few ulps); z critical values: 1e-14.

use metapool::{
    effect::Arm, effect::EffectSet, effect::SmdConvention, effect::StandardizedMeanDifference,
    inference::ConfidenceLevel, pool::FixedModel, pool::Pooled, pool::RandomModel,
};
use serde_json::Value;

/// The smallest positive subnormal double, 2^-1074.
const SUBNORMAL_STEP: f64 = 5e-324;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/highprec/highprec.json"
    ))
    .expect("fixtures/highprec/highprec.json");
    serde_json::from_str(&text).expect("valid JSON")
}

fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[track_caller]
fn rel(what: &str, got: f64, want: f64, tol: f64) {
    let err = if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    };
    assert!(
        err <= tol,
        "{what}: got {got:e}, want {want:e}, relative error {err:e} > {tol:e}"
    );
}

#[track_caller]
fn p_value(what: &str, got: f64, want: f64) {
    assert!((0.0..=1.0).contains(&got), "{what}: {got}");
    let tol = 1e-9 * want + 2.0 * SUBNORMAL_STEP;
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:e}, want {want:e}"
    );
    // reported whenever the exact value does not underflow: never rounded to 0
    if want >= SUBNORMAL_STEP {
        assert!(got > 0.0, "{what}: {want:e} reported as 0");
    }
}

fn check(name: &str, fit: &Pooled, want: &Value) {
    let at = |k: &str| format!("{name}: {k}");
    for k in ["estimate", "se", "ci_lower", "ci_upper", "z"] {
        let (g, w) = (
            match k {
                "estimate" => fit.estimate,
                "se" => fit.se,
                "ci_lower" => fit.ci_lower,
                "ci_upper" => fit.ci_upper,
                _ => fit.statistic,
            },
            f(want, k),
        );
        rel(&at(k), g, w, 1e-12);
    }
    p_value(&at("p"), fit.p, f(want, "p"));
    let h = &fit.heterogeneity;
    if let Some(q) = want.get("q") {
        rel(&at("q"), h.q, q.as_f64().unwrap(), 1e-10);
    }
    if let Some(qp) = want.get("q_p") {
        p_value(&at("q_p"), h.q_p.expect("a Q test"), qp.as_f64().unwrap());
    }
    if let Some(t) = want.get("tau2") {
        rel(&at("tau2"), h.tau2, t.as_f64().unwrap(), 1e-10);
    }
    if let Some(i2) = want.get("i2") {
        rel(&at("i2"), h.i2, i2.as_f64().unwrap(), 1e-10);
    }
    if let Some(h2) = want.get("h2") {
        rel(&at("h2"), h.h2, h2.as_f64().unwrap(), 1e-10);
    }
}

fn fits(y: &[f64], v: &[f64]) -> (Pooled, Pooled) {
    let set = EffectSet::from_estimates(y, v).unwrap();
    (
        FixedModel::default().pool(&set).unwrap(),
        RandomModel::default().pool(&set).unwrap(),
    )
}

#[test]
fn extreme_cases_match_mpmath() {
    let fx = fixture();
    let cases = fx["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let (y, v) = (floats(&c["y"]), floats(&c["v"]));
        let (fixed, random) = fits(&y, &v);
        check(&format!("{name} (fixed)"), &fixed, &c["fixed"]);
        check(&format!("{name} (random)"), &random, &c["random"]);
    }
}

#[test]
fn nearly_identical_q_keeps_ten_digits() {
    // the case the naive formulas fail: Q ~ 4e-20 from y differing in the 12th digit
    let fx = fixture();
    let c = &fx["cases"][0];
    assert_eq!(c["name"], "nearly_identical");
    let (fixed, _) = fits(&floats(&c["y"]), &floats(&c["v"]));
    rel("Q", fixed.heterogeneity.q, f(&c["fixed"], "q"), 1e-10);
    assert!(fixed.heterogeneity.q < 1e-18);
}

#[test]
fn p_values_below_1e300_are_reported() {
    let fx = fixture();
    let by_name = |n: &str| {
        fx["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .unwrap()
            .clone()
    };
    let c = by_name("p_below_1e300");
    let (fixed, _) = fits(&floats(&c["y"]), &floats(&c["v"]));
    assert!(fixed.p < 1e-300 && fixed.p > 1e-305, "{}", fixed.p);
    let c = by_name("p_subnormal");
    let (fixed, _) = fits(&floats(&c["y"]), &floats(&c["v"]));
    assert!(fixed.p < f64::MIN_POSITIVE && fixed.p > 0.0, "{}", fixed.p);
    let c = by_name("p_underflows");
    let (fixed, _) = fits(&floats(&c["y"]), &floats(&c["v"]));
    assert_eq!(fixed.p, 0.0);
    let c = by_name("q_p_subnormal");
    let (fixed, _) = fits(&floats(&c["y"]), &floats(&c["v"]));
    let qp = fixed.heterogeneity.q_p.unwrap();
    assert!(qp < 1e-300 && qp > 0.0, "{qp}");
}

/// The k = 1,000,000 inputs, from the formula the generator uses (integer arithmetic and one
/// correctly rounded division: identical doubles in Python and Rust).
fn million() -> (Vec<f64>, Vec<f64>) {
    let k = 1_000_000u64;
    let y = (0..k)
        .map(|i| ((i * 7919) % 1009) as f64 / 1009.0)
        .collect();
    let v = (0..k)
        .map(|i| (1 + (i * 31337) % 997) as f64 / 100000.0)
        .collect();
    (y, v)
}

#[test]
fn one_million_studies() {
    let fx = fixture();
    let m = &fx["million"];
    assert_eq!(m["k"], 1_000_000);
    let (y, v) = million();
    let (fixed, random) = fits(&y, &v);
    check("k = 1e6 (fixed)", &fixed, &m["fixed"]);
    check("k = 1e6 (random)", &random, &m["random"]);
}

#[test]
fn hedges_exact_j_to_a_few_ulps() {
    let fx = fixture();
    for c in fx["hedges_j"].as_array().unwrap() {
        let (m, want) = (f(c, "m"), f(c, "j"));
        // N = m + 2 split into two whole arms of at least 2
        let n = m + 2.0;
        let n1 = (n / 2.0).floor();
        let n2 = n - n1;
        let s = StandardizedMeanDifference::new(
            Arm::new(1.0, 1.0, n1).unwrap(),
            Arm::new(0.0, 1.0, n2).unwrap(),
        )
        .unwrap()
        .with_convention(SmdConvention::Metafor);
        assert_eq!(n1 + n2 - 2.0, m);
        rel(&format!("J({m})"), s.correction(), want, 4e-15);
    }
}

#[test]
fn critical_values_near_level_one() {
    let fx = fixture();
    for c in fx["level_z"].as_array().unwrap() {
        let (level, want) = (f(c, "level"), f(c, "z"));
        let z = ConfidenceLevel::new(level).unwrap().z();
        rel(&format!("z({level})"), z, want, 1e-14);
    }
}

#[test]
fn deterministic_in_any_order_of_calls() {
    // the same inputs, fitted in different orders and interleaved with other work, give
    // bit-identical results (no hidden state, no order-dependent caching)
    let fx = fixture();
    let cases: Vec<(Vec<f64>, Vec<f64>)> = fx["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (floats(&c["y"]), floats(&c["v"])))
        .collect();
    let first: Vec<_> = cases.iter().map(|(y, v)| fits(y, v)).collect();
    let reversed: Vec<_> = cases.iter().rev().map(|(y, v)| fits(y, v)).collect();
    for (a, b) in first.iter().zip(reversed.iter().rev()) {
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_eq!(a.0.estimate.to_bits(), b.0.estimate.to_bits());
        assert_eq!(
            a.1.heterogeneity.tau2.to_bits(),
            b.1.heterogeneity.tau2.to_bits()
        );
    }
    // from other threads too
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let cases = cases.clone();
            std::thread::spawn(move || {
                cases
                    .iter()
                    .map(|(y, v)| format!("{:?}", fits(y, v)))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let want: Vec<String> = first.iter().map(|x| format!("{x:?}")).collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), want);
    }
}

#[test]
fn proportions_at_zero_and_one() {
    use metapool::{
        effect::EffectSize, effect::Proportion, effect::ProportionEffect,
        effect::ProportionTransform, effect::StudyEffect,
    };
    let fx = fixture();
    let rows = fx["proportions"].as_array().unwrap();
    assert!(rows.len() >= 80);
    for c in rows {
        let (x, n) = (f(c, "x"), f(c, "n"));
        let t = match c["transform"].as_str().unwrap() {
            "Raw" => ProportionTransform::Raw,
            "Logit" => ProportionTransform::Logit,
            "Arcsine" => ProportionTransform::Arcsine,
            _ => ProportionTransform::FreemanTukey,
        };
        let e = ProportionEffect::new(Proportion::new(x, n).unwrap(), t);
        let StudyEffect::Included(e) = e.effect().unwrap() else {
            panic!("{x}/{n} {t:?} excluded")
        };
        let at = format!("{x}/{n} {t:?}");
        // y of 0 (a logit at p = 1/2) compares absolutely
        let y = f(c, "y");
        if y == 0.0 {
            assert!(e.estimate().abs() < 1e-15, "{at}: y {}", e.estimate());
        } else {
            rel(&format!("{at}: y"), e.estimate(), y, 1e-13);
        }
        rel(&format!("{at}: v"), e.variance(), f(c, "v"), 1e-13);
    }
}
