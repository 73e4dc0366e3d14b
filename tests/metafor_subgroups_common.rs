//! The common-tau² subgroup model (metafor's mixed-effects model with a categorical moderator,
//! `rma(yi, vi, mods = ~ factor(g), method = M)`) under every estimator metafor 3.8-1 allows
//! with moderators, against `fixtures/metafor/subgroups_common.json` (written by
//! `fixtures/metafor/generate_subgroups_common.R`): tau², its standard error, QM and its p-value,
//! QE and its p-value, I², H², the subgroup means with their standard errors, z, p and CI, and
//! the number of iterations (Fisher scoring steps; uniroot's evaluations for PM/PMM), and
//! whether metafor's `ll0check` set the ML/REML estimate to 0 (two data sets where it does).
//!
//! Tolerance: 1e-10 relative for the closed forms (DL, HE, HS, HSk, SJ), 1e-8 relative for the
//! iterative estimators (ML, REML, EB, PM, PMM; metafor stops them at its own threshold, so
//! only the same steps give the same numbers). A reference value that is exactly 0 (tau² and I²
//! where tau² is truncated) is compared absolutely at 1e-14. Each estimator's largest relative
//! difference is printed (run with `--nocapture`).

use metapool::{
    effect::EffectSet, pool::SubgroupAnalysis, pool::SubgroupModel, pool::Tau2Control,
    pool::Tau2Estimator, pool::Tau2Stop,
};
use serde_json::Value;
use std::collections::BTreeMap;

const ZERO_TOL: f64 = 1e-14;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/metafor/subgroups_common.json"
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

fn estimator(method: &str) -> (Tau2Estimator, bool) {
    match method {
        "DL" => (Tau2Estimator::DerSimonianLaird, false),
        "HE" => (Tau2Estimator::Hedges, false),
        "HS" => (Tau2Estimator::HunterSchmidt, false),
        "HSk" => (Tau2Estimator::HunterSchmidtSmallSample, false),
        "SJ" => (Tau2Estimator::SidikJonkman, false),
        "ML" => (Tau2Estimator::MaximumLikelihood, true),
        "REML" => (Tau2Estimator::RestrictedMaximumLikelihood, true),
        "EB" => (Tau2Estimator::EmpiricalBayes, true),
        "PM" => (Tau2Estimator::PauleMandel, true),
        "PMM" => (Tau2Estimator::PauleMandelMedian, true),
        other => panic!("unknown method {other}"),
    }
}

/// Largest relative difference per method, with where it was, over all numbers and over all
/// but the p-values (whose accuracy is that of statrs' tails).
#[derive(Default)]
struct Worst(BTreeMap<String, (f64, String, usize, f64, String)>);

impl Worst {
    fn check(&mut self, method: &str, tol: f64, what: &str, got: f64, want: &Value) {
        let want = want
            .as_f64()
            .unwrap_or_else(|| panic!("{what}: no number in {want}"));
        assert!(got.is_finite(), "{what}: got non-finite {got}");
        let entry =
            self.0
                .entry(method.to_string())
                .or_insert((0.0, String::new(), 0, 0.0, String::new()));
        entry.2 += 1;
        if want == 0.0 {
            assert!(got.abs() <= ZERO_TOL, "{what}: got {got:e}, want exactly 0");
            return;
        }
        let rel = ((got - want) / want).abs();
        if rel > entry.0 {
            entry.0 = rel;
            entry.1 = what.to_string();
        }
        if !what.ends_with('p') && rel > entry.3 {
            entry.3 = rel;
            entry.4 = what.to_string();
        }
        assert!(
            rel <= tol,
            "{what}: got {got:e}, metafor {want:e}, rel {rel:e}"
        );
    }
}

#[test]
fn common_tau2_subgroups_match_metafor_for_every_estimator() {
    let fx = fixture();
    let mut worst = Worst::default();
    let mut fits = 0;
    for ds in fx["datasets"].as_array().unwrap() {
        let name = ds["name"].as_str().unwrap();
        let set = EffectSet::from_estimates(&nums(&ds["input"]["yi"]), &nums(&ds["input"]["vi"]))
            .unwrap();
        let groups: Vec<&str> = ds["input"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap())
            .collect();
        for f in ds["fits"].as_array().unwrap() {
            let method = f["method"].as_str().unwrap();
            let (est, iterative) = estimator(method);
            let tol = if iterative { 1e-8 } else { 1e-10 };
            let got = SubgroupAnalysis::new(SubgroupModel::RandomCommon(est))
                .with_control(Tau2Control::metafor())
                .pool(&set, &groups)
                .unwrap_or_else(|e| panic!("{name} {method}: {e}"));
            let what = |x: &str| format!("{name} {method} {x}");
            let mut check = |x: &str, g: f64, w: &Value| worst.check(method, tol, &what(x), g, w);
            let fit = got.tau2_fit.expect("tau2 fit reported");
            assert_eq!(fit.estimator, est);
            assert_eq!(fit.tau2, got.within.tau2);
            check("tau2", fit.tau2, &f["tau2"]);
            check("se.tau2", fit.se.unwrap(), &f["se_tau2"]);
            check("QM", got.between.q, &f["qm"]);
            check("QMp", got.between.q_p.unwrap(), &f["qm_p"]);
            check("QE", got.within.q, &f["qe"]);
            check("QEp", got.within.q_p.unwrap(), &f["qe_p"]);
            check("I2", got.within.i2, &f["i2"]);
            check("H2", got.within.h2, &f["h2"]);
            assert_eq!(got.between.df, f["qm_df"].as_u64().unwrap() as usize);
            assert_eq!(got.within.df, f["qe_df"].as_u64().unwrap() as usize);
            let wg = f["groups"].as_array().unwrap();
            assert_eq!(got.groups.len(), wg.len());
            for (g, w) in got.groups.iter().zip(wg) {
                assert_eq!(g.label, w["label"].as_str().unwrap());
                let p = &g.pooled;
                assert_eq!(p.tau2_fit, Some(fit));
                let x = format!("group {}", g.label);
                check(&format!("{x} estimate"), p.estimate, &w["estimate"]);
                check(&format!("{x} se"), p.se, &w["se"]);
                check(&format!("{x} z"), p.statistic, &w["z"]);
                check(&format!("{x} p"), p.p, &w["p"]);
                check(&format!("{x} ci_lower"), p.ci_lower, &w["ci_lower"]);
                check(&format!("{x} ci_upper"), p.ci_upper, &w["ci_upper"]);
            }
            let iterations = f["iterations"].as_u64().unwrap() as usize;
            assert_eq!(
                fit.iterations, iterations,
                "{name} {method}: iterations {} vs metafor {iterations}",
                fit.iterations
            );
            let reset = f["ll0_reset"].as_bool().unwrap();
            assert_eq!(
                matches!(fit.stop, Tau2Stop::ResetToZero { .. }),
                reset,
                "{name} {method}: {:?}, metafor ll0check reset {reset}",
                fit.stop
            );
            match fit.stop {
                Tau2Stop::ClosedForm { .. } => assert!(!iterative),
                Tau2Stop::Converged { last_change } => assert!(last_change <= 1e-5),
                Tau2Stop::ResetToZero {
                    converged_at,
                    loglik_gain,
                } => assert!(converged_at > 1e-5 && loglik_gain > 0.0),
                Tau2Stop::Root { .. } | Tau2Stop::AtLowerBound => {
                    assert!(matches!(method, "PM" | "PMM"))
                }
                other => panic!("{name} {method}: unexpected stop {other:?}"),
            }
            fits += 1;
        }
    }
    assert_eq!(fits, 5 * 10);
    for (method, (rel, at, n, rel_np, at_np)) in &worst.0 {
        eprintln!(
            "{method}: {n} numbers, max relative difference {rel:.3e} ({at}); without p-values \
             {rel_np:.3e} ({at_np})"
        );
    }
}

#[test]
fn common_tau2_unsupported_estimators_and_saturated_models() {
    let set = EffectSet::from_estimates(&[0.1, 0.3, 0.8, 0.9], &[0.02, 0.03, 0.02, 0.04]).unwrap();
    let groups = ["a", "a", "b", "b"];
    for est in [
        Tau2Estimator::DerSimonianLairdTwoStep,
        Tau2Estimator::GeneralizedQ,
    ] {
        let err = SubgroupAnalysis::new(SubgroupModel::RandomCommon(est))
            .pool(&set, &groups)
            .unwrap_err();
        assert!(matches!(err, metapool::Error::Undefined { .. }), "{err}");
    }
    // every subgroup a single study: no residual df, tau2 = 0 by definition
    let singles = ["a", "b", "c", "d"];
    for est in [
        Tau2Estimator::RestrictedMaximumLikelihood,
        Tau2Estimator::PauleMandel,
        Tau2Estimator::SidikJonkman,
    ] {
        let res = SubgroupAnalysis::new(SubgroupModel::RandomCommon(est))
            .pool(&set, &singles)
            .unwrap();
        let fit = res.tau2_fit.unwrap();
        assert_eq!(fit.stop, Tau2Stop::Saturated);
        assert_eq!(fit.tau2, 0.0);
        assert_eq!(fit.se, None);
        assert_eq!(res.within.df, 0);
        for g in &res.groups {
            assert!(g.pooled.estimate.is_finite() && g.pooled.se > 0.0);
        }
    }
}

/// With one subgroup the moderator model is the intercept-only model: the common tau² fit must
/// be the random-effects model's (same estimate, standard error, iterations and stopping rule)
/// for every estimator, on every fixture data set.
#[test]
fn one_subgroup_is_the_intercept_only_model() {
    let fx = fixture();
    for ds in fx["datasets"].as_array().unwrap() {
        let name = ds["name"].as_str().unwrap();
        let set = EffectSet::from_estimates(&nums(&ds["input"]["yi"]), &nums(&ds["input"]["vi"]))
            .unwrap();
        let one = vec!["all"; set.input_len()];
        for method in fx["methods"].as_array().unwrap() {
            let (est, _) = estimator(method.as_str().unwrap());
            let single = est.fit(&set).unwrap();
            let common = SubgroupAnalysis::new(SubgroupModel::RandomCommon(est))
                .pool(&set, &one)
                .unwrap()
                .tau2_fit
                .unwrap();
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-300);
            assert!(
                close(common.tau2, single.tau2),
                "{name} {est:?}: {common:?} vs {single:?}"
            );
            assert!(
                close(common.se.unwrap(), single.se.unwrap()),
                "{name} {est:?}"
            );
            assert_eq!(common.iterations, single.iterations, "{name} {est:?}");
            assert_eq!(
                std::mem::discriminant(&common.stop),
                std::mem::discriminant(&single.stop),
                "{name} {est:?}"
            );
        }
    }
}
