//! The exact tau² solver (the default [`Tau2Mode::Exact`]) against metafor 3.8-1 run with tight
//! control (`threshold = 1e-13, tol = 1e-13, stepadj = 0.5, maxiter = 10000`, uniroot
//! `tol = 1e-13` for PM/PMM), `fixtures/metafor/exact.json` (written by
//! `fixtures/metafor/generate_exact.R`): every iterative estimator (ML, REML, EB, PM, PMM) x
//! test (z, knha) on 50 datasets (tau² on the boundary, k = 2, k >= 150, extreme heterogeneity,
//! variances 1e-6 to 1e6, nearly identical studies, and 24 on which metafor's default REML does
//! not converge): tau², its standard error, the pooled estimate, its standard error, CI and
//! p-value, I² and H²; the Q-profile bounds of tau² and I²; the common tau² of two subgroups.
//!
//! Tolerance: 1e-9 relative, 1e-12 absolute where the reference is below 1e-6 in magnitude.
//! Each estimator's largest relative difference is printed (run with `--nocapture`).

use metapool::pool::Tau2Mode;
use metapool::{
    effect::EffectSet, inference::ConfidenceLevel, pool::RandomModel, pool::SubgroupAnalysis,
    pool::SubgroupModel, pool::Tau2Control, pool::Tau2Estimator, pool::Test,
};
use serde_json::Value;
use std::collections::BTreeMap;

const RELATIVE: f64 = 1e-9;
const ABSOLUTE: f64 = 1e-12;
const SMALL: f64 = 1e-6;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/metafor/exact.json"
    ))
    .expect("fixture present");
    serde_json::from_str(&text).expect("valid JSON")
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn estimator(method: &str) -> Tau2Estimator {
    Tau2Estimator::from_metafor_name(method).expect("a metafor method")
}

/// Largest relative difference per estimator, and the failures.
#[derive(Default)]
struct Tally {
    worst: BTreeMap<String, (f64, String)>,
    failures: Vec<String>,
    checked: usize,
}

impl Tally {
    fn check(&mut self, method: &str, what: String, got: f64, want: f64) {
        self.checked += 1;
        let ok = if want.abs() < SMALL {
            (got - want).abs() <= ABSOLUTE
        } else {
            let rel = ((got - want) / want).abs();
            let e = self
                .worst
                .entry(method.to_owned())
                .or_insert((0.0, String::new()));
            if rel > e.0 {
                *e = (rel, what.clone());
            }
            rel <= RELATIVE
        };
        if !ok {
            self.failures
                .push(format!("{what}: ours {got:e}, metafor {want:e}"));
        }
    }
}

/// The typical within-study variance `s2 = (k - 1) sum w / ((sum w)^2 - sum w^2)`, `w = 1/v`.
fn typical_variance(set: &EffectSet) -> f64 {
    let w: Vec<f64> = set.effects().iter().map(|e| 1.0 / e.variance()).collect();
    let (s, s2) = (w.iter().sum::<f64>(), w.iter().map(|w| w * w).sum::<f64>());
    (w.len() - 1) as f64 * s / (s * s - s2)
}

#[test]
fn exact_solutions_match_metafor_with_tight_control() {
    let fx = fixture();
    let mut tally = Tally::default();
    let datasets = fx["datasets"].as_array().unwrap();
    assert!(datasets.len() >= 40);
    let failing = datasets
        .iter()
        .filter(|d| d["default_reml_fails"].as_bool().unwrap())
        .count();
    assert!(failing >= 20, "{failing} datasets where default REML fails");
    for d in datasets {
        let name = d["name"].as_str().unwrap();
        let set = EffectSet::from_estimates(&nums(&d["yi"]), &nums(&d["vi"])).unwrap();
        for f in d["fits"].as_array().unwrap() {
            let method = f["method"].as_str().unwrap();
            let test = match f["test"].as_str().unwrap() {
                "z" => Test::Z,
                _ => Test::KnappHartung,
            };
            let model =
                RandomModel::new(estimator(method), ConfidenceLevel::default()).with_test(test);
            assert_eq!(model.control.mode(), Tau2Mode::Exact);
            if f["se"].as_f64() == Some(0.0) {
                // Knapp-Hartung on (nearly) identical estimates: metafor's Q cancels to 0 and it
                // reports se = 0, p = 0; metapool's typed error for a non-finite statistic
                assert!(model.pool(&set).is_err(), "{name} {method}");
                continue;
            }
            let fit = model
                .pool(&set)
                .unwrap_or_else(|e| panic!("{name} {method}: {e}"));
            let t = fit.tau2_fit.unwrap();
            let h = &fit.heterogeneity;
            let at = |x: &str| format!("{name} {method}/{} {x}", f["test"]);
            for (what, got, key) in [
                ("tau2", t.tau2, "tau2"),
                ("se_tau2", t.se.unwrap(), "se_tau2"),
                ("estimate", fit.estimate, "estimate"),
                ("se", fit.se, "se"),
                ("ci_lb", fit.ci_lower, "ci_lb"),
                ("ci_ub", fit.ci_upper, "ci_ub"),
                ("pval", fit.p, "pval"),
            ] {
                let label = if what == "tau2" {
                    format!("{method} tau2")
                } else {
                    method.to_owned()
                };
                tally.check(&label, at(what), got, f[key].as_f64().unwrap());
            }
            // I² = 100 tau² / (s2 + tau²) and H² = 1 + tau² / s2 are functions of tau²: where
            // tau² is compared absolutely (below 1e-6), so are they, at the tolerance that
            // tau²'s carries to them
            let want_tau2 = f["tau2"].as_f64().unwrap();
            for (what, got, key, scale) in [("i2", h.i2, "i2", 100.0), ("h2", h.h2, "h2", 1.0)] {
                let want = f[key].as_f64().unwrap();
                if want_tau2.abs() < SMALL {
                    let s2 = typical_variance(&set);
                    let ok = (got - want).abs() <= scale * ABSOLUTE / s2;
                    tally.checked += 1;
                    if !ok {
                        tally
                            .failures
                            .push(format!("{}: ours {got:e}, metafor {want:e}", at(what)));
                    }
                } else {
                    tally.check(method, at(what), got, want);
                }
            }
            if method == "REML" && f["test"] == "z" {
                if let Some(qp) = d.get("qprofile") {
                    let ci = model.heterogeneity_intervals(&set, &fit).unwrap();
                    for (what, got, key) in [
                        ("tau2 lower", ci.tau2.lower, "tau2_lb"),
                        ("tau2 upper", ci.tau2.upper, "tau2_ub"),
                        ("i2 lower", ci.i2.lower, "i2_lb"),
                        ("i2 upper", ci.i2.upper, "i2_ub"),
                    ] {
                        let want = qp[key].as_f64().unwrap();
                        // metafor's search stops at tau2.max; ours has no ceiling
                        if qp["tau2_ub"].as_f64() < qp["tau2_max"].as_f64() {
                            tally.check("Q-profile", at(what), got, want);
                        }
                    }
                }
            }
        }
        if let Some(groups) = d.get("groups") {
            let groups: Vec<&str> = groups
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_str().unwrap())
                .collect();
            for f in d["subgroups"].as_array().unwrap() {
                let method = f["method"].as_str().unwrap();
                let fit = SubgroupAnalysis::new(SubgroupModel::RandomCommon(estimator(method)))
                    .with_control(Tau2Control::default())
                    .pool(&set, &groups)
                    .unwrap_or_else(|e| panic!("{name} subgroups {method}: {e}"))
                    .tau2_fit
                    .unwrap();
                let at = |x: &str| format!("{name} subgroups {method} {x}");
                tally.check(
                    &format!("{method} subgroups"),
                    at("tau2"),
                    fit.tau2,
                    f["tau2"].as_f64().unwrap(),
                );
                tally.check(
                    &format!("{method} subgroups"),
                    at("se_tau2"),
                    fit.se.unwrap(),
                    f["se_tau2"].as_f64().unwrap(),
                );
            }
        }
    }
    for (method, (rel, at)) in &tally.worst {
        eprintln!("{method:>16}: max relative difference {rel:.2e} ({at})");
    }
    assert!(
        tally.failures.is_empty(),
        "{} of {} numbers differ from metafor:\n{}",
        tally.failures.len(),
        tally.checked,
        tally.failures.join("\n")
    );
    assert!(tally.checked > 4000, "{}", tally.checked);
}
