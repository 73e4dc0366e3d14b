//! Multilevel and multivariate models against metafor 3.8 `rma.mv`
//! (`fixtures/metafor/multilevel.json`, written by `fixtures/metafor/generate_multilevel.R`).
//!
//! The reference: metafor's optimum (nlminb, rel.tol = 1e-12) polished by two Newton steps on
//! metafor's own log-likelihood at fixed variance components (numDeriv), with every other number
//! computed by metafor at that point; a variance metafor leaves below 1e-6 is put at 0 (its
//! one-sided slope there is negative: the boundary optimum). metapool's Fisher scoring agrees
//! with it to about 1e-10 in the variance components (1e-8 asserted: `VARIANCE_TOL`), to 1e-13
//! in logLik and the criteria, 1e-15 in QE. The two 1,000-cluster fits are not polished (a
//! metafor fit there costs seconds): they are compared at 20 times the spread between
//! nlminb and optim(BFGS) in metafor's variance components (about 1e-5). In every fit, the
//! (restricted) log-likelihood at metapool's estimate is at least metafor's.
//! The largest relative difference per quantity and fit is printed (`--nocapture`).

mod multilevel_common;
use multilevel_common::{crossed_fixture, fixture, multivariate_fixture, nums, problem};
use serde_json::Value;

/// Variance components, and everything computed from them (coefficients, SE, CI, QM,
/// predictions, BLUPs, I²), against the polished reference.
const VARIANCE_TOL: f64 = 1e-8;

/// Profile-likelihood bounds: metafor's are roots found by `uniroot(tol = 1e-10)` of a profile
/// whose every point is a refit with its default nlminb control; they agree to about 1e-9.
const PROFILE_TOL: f64 = 1e-8;

/// Relative difference, absolute below `floor`.
fn rel(a: f64, b: f64, floor: f64) -> f64 {
    (a - b).abs() / b.abs().max(floor)
}

struct Check {
    worst: Vec<(String, f64)>,
    failures: Vec<String>,
}

impl Check {
    fn new() -> Check {
        Check {
            worst: Vec::new(),
            failures: Vec::new(),
        }
    }
    fn one(&mut self, what: &str, got: f64, want: f64, floor: f64, tol: f64) {
        let d = rel(got, want, floor);
        if d.is_nan() || d > tol {
            self.failures.push(format!(
                "{what}: got {got}, metafor {want} (rel {d:e} > {tol:e})"
            ));
        }
        match self.worst.iter_mut().find(|(w, _)| w == what) {
            Some(e) => e.1 = e.1.max(d),
            None => self.worst.push((what.to_string(), d)),
        }
    }
    fn all(&mut self, what: &str, got: &[f64], want: &Value, floor: f64, tol: f64) {
        let want = nums(want);
        assert_eq!(got.len(), want.len(), "{what}: lengths");
        for (g, w) in got.iter().zip(&want) {
            self.one(what, *g, *w, floor, tol);
        }
    }
}

#[test]
fn rma_mv_matches_metafor() {
    matches_metafor(&fixture());
}

/// Crossed random effects (`random = list(~ 1 | study, ~ 1 | lab)`, and a nested term crossed
/// with a lab term) against `fixtures/metafor/crossed.json` (`generate_crossed.R`), at the same
/// tolerances.
#[test]
fn crossed_random_effects_match_metafor() {
    matches_metafor(&crossed_fixture());
}

/// Multivariate models' BLUPs (`ranef`: every outcome level in every trial) and prediction
/// intervals per outcome level (`predict(newmods, tau2.levels)`; without a level only CS has
/// one) against `fixtures/metafor/multivariate.json` (`generate_multivariate.R`), at the same
/// tolerances.
#[test]
fn multivariate_blups_and_prediction_intervals_match_metafor() {
    matches_metafor(&multivariate_fixture());
}

fn matches_metafor(fx: &Value) {
    let mut check = Check::new();
    for f in fx["fits"].as_array().expect("fits") {
        let name = f["name"].as_str().expect("name");
        let prob = problem(f);
        let fit = prob.fit();
        // polished fits: metafor's optimum refined by Newton steps on its own log-likelihood
        // (numDeriv), agreeing with metapool's to about 1e-10; the 1,000-cluster fits are
        // metafor's nlminb optimum, determined to about its spread against optim(BFGS)
        let spread = f["converged_diff"].as_f64().expect("diff");
        let polished = f["polish_step"].as_f64().is_some();
        let vc_tol = if polished {
            VARIANCE_TOL
        } else {
            (20.0 * spread).max(1e-6)
        };
        let derived = vc_tol;
        println!("{name}: {:?} stop {:?}", fit.components(), fit.stop());
        let ll = fit.fit_statistics();
        let want_ll = f[if name.ends_with("_ML") {
            "loglik_ml"
        } else {
            "loglik_reml"
        }]
        .as_f64()
        .expect("ll");
        // the optimum found is at least as high as metafor's
        assert!(
            ll.loglik >= want_ll - 1e-12 * want_ll.abs(),
            "{name}: ll {} < {want_ll}",
            ll.loglik
        );
        if !f["sigma2"].is_null() && f["tau2"].is_null() {
            check.all(
                &format!("{name} sigma2"),
                &fit.sigma2(),
                &f["sigma2"],
                1e-4,
                vc_tol,
            );
        }
        if !f["tau2"].is_null() {
            check.all(
                &format!("{name} tau2"),
                &fit.tau2(),
                &f["tau2"],
                1e-4,
                vc_tol,
            );
            check.all(&format!("{name} rho"), &fit.rho(), &f["rho"], 1e-2, vc_tol);
        }
        let c = fit.coefficients();
        let est: Vec<f64> = c.iter().map(|c| c.estimate).collect();
        let se: Vec<f64> = c.iter().map(|c| c.se).collect();
        check.all(&format!("{name} beta"), &est, &f["beta"], 1e-2, derived);
        check.all(&format!("{name} se"), &se, &f["se"], 1e-12, derived);
        let fs = [
            (
                "loglik",
                fit.fit_statistics_ml().loglik,
                fit.fit_statistics_reml().loglik,
            ),
            (
                "deviance",
                fit.fit_statistics_ml().deviance,
                fit.fit_statistics_reml().deviance,
            ),
            (
                "aic",
                fit.fit_statistics_ml().aic,
                fit.fit_statistics_reml().aic,
            ),
            (
                "bic",
                fit.fit_statistics_ml().bic,
                fit.fit_statistics_reml().bic,
            ),
            (
                "aicc",
                fit.fit_statistics_ml().aicc,
                fit.fit_statistics_reml().aicc,
            ),
        ];
        let mine = if name.ends_with("_ML") { "ml" } else { "reml" };
        for (stat, ml, reml) in fs {
            let got = if mine == "ml" { ml } else { reml };
            let want = f[format!("{stat}_{mine}")].as_f64().expect("stat");
            check.one(&format!("{name} {stat}"), got, want, 1.0, 1e-9);
        }
        check.one(
            &format!("{name} qe"),
            fit.residual_test().qe,
            f["qe"].as_f64().unwrap(),
            1.0,
            1e-10,
        );
        check.one(
            &format!("{name} qm"),
            fit.moderator_test().statistic,
            f["qm"].as_f64().unwrap(),
            1.0,
            derived,
        );
        if let Some(pr) = f.get("predict") {
            let mut xnew = vec![1.0];
            xnew.extend(nums(&pr["newmods"]));
            let got = fit.predict(&xnew).expect("predict");
            let scale = pr["se"].as_f64().unwrap();
            for (what, g, key) in [
                ("pred", got.estimate, "pred"),
                ("pred se", got.se, "se"),
                ("pred ci_lb", got.ci_lower, "ci_lb"),
                ("pred ci_ub", got.ci_upper, "ci_ub"),
                ("pred pi_lb", got.pi_lower.unwrap(), "pi_lb"),
                ("pred pi_ub", got.pi_upper.unwrap(), "pi_ub"),
            ] {
                check.one(
                    &format!("{name} {what}"),
                    g,
                    pr[key].as_f64().unwrap(),
                    scale,
                    derived,
                );
            }
        }
        if let Some(want) = f.get("ranef_g") {
            let mine = fit.random_effect_predictions();
            assert_eq!(mine.len(), 1, "{name}");
            assert_eq!(mine[0].level, "outcome | trial");
            let names = multilevel_common::labels(&want["names"]);
            let (pred, se) = (nums(&want["pred"]), nums(&want["se"]));
            let (lo, hi) = (nums(&want["pi_lb"]), nums(&want["pi_ub"]));
            assert_eq!(names.len(), mine[0].groups.len(), "{name}");
            for (i, n) in names.iter().enumerate() {
                let g = mine[0]
                    .groups
                    .iter()
                    .find(|g| &g.group == n)
                    .expect("group");
                let sc = se[i].max(1e-8);
                check.one(&format!("{name} blup"), g.estimate, pred[i], sc, derived);
                check.one(&format!("{name} blup se"), g.se, se[i], 1e-8, derived);
                check.one(&format!("{name} blup pi"), g.pi_lower, lo[i], sc, derived);
                check.one(&format!("{name} blup pi"), g.pi_upper, hi[i], sc, derived);
            }
        }
        for pl in f
            .get("predict_levels")
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
        {
            let x = nums(&pl["x"]);
            let level = pl["level"].as_str().unwrap();
            let got = fit.predict_for_outcome(&x, level).expect("predict");
            let scale = pl["se"].as_f64().unwrap();
            for (what, g, key) in [
                ("pred", got.estimate, "pred"),
                ("pred se", got.se, "se"),
                ("pred pi_lb", got.pi_lower.unwrap(), "pi_lb"),
                ("pred pi_ub", got.pi_upper.unwrap(), "pi_ub"),
            ] {
                check.one(
                    &format!("{name} {level} {what}"),
                    g,
                    pl[key].as_f64().unwrap(),
                    scale,
                    derived,
                );
            }
            // without a level: CS has its single tau2, HCS and UN none (metafor NA)
            let plain = fit.predict(&x).expect("predict");
            match pl["pi_lb_nolevel"].as_array() {
                Some(w) => check.one(
                    &format!("{name} pi without level"),
                    plain.pi_lower.expect("CS interval"),
                    w[0].as_f64().unwrap(),
                    scale,
                    derived,
                ),
                None => assert!(plain.pi_lower.is_none(), "{name}"),
            }
        }
        if let Some(levels) = f.get("ranef").and_then(|r| r.as_array()) {
            let mine = fit.random_effect_predictions();
            assert_eq!(mine.len(), levels.len());
            for (m, want) in mine.iter().zip(levels) {
                assert_eq!(m.level, want["level"].as_str().unwrap());
                let names = multilevel_common::labels(&want["names"]);
                let (pred, se) = (nums(&want["pred"]), nums(&want["se"]));
                let (lo, hi) = (nums(&want["pi_lb"]), nums(&want["pi_ub"]));
                assert_eq!(names.len(), m.groups.len());
                for (i, n) in names.iter().enumerate() {
                    let g = m.groups.iter().find(|g| &g.group == n).expect("group");
                    let sc = se[i].max(1e-8);
                    check.one(&format!("{name} blup"), g.estimate, pred[i], sc, derived);
                    check.one(&format!("{name} blup se"), g.se, se[i], 1e-8, derived);
                    check.one(&format!("{name} blup pi"), g.pi_lower, lo[i], sc, derived);
                    check.one(&format!("{name} blup pi"), g.pi_upper, hi[i], sc, derived);
                }
            }
        }
        if let Some(prof) = f
            .get("profile")
            .and_then(|r| r.as_array())
            .filter(|_| polished)
        {
            let mine = fit.profile_intervals().expect("profile");
            for (m, want) in mine.iter().zip(prof) {
                for (g, key) in [(m.lower, "lower"), (m.upper, "upper")] {
                    if let Some(w) = want[key].as_f64() {
                        check.one(&format!("{name} profile {key}"), g, w, 1e-4, PROFILE_TOL);
                    }
                }
            }
        }
        if let Some(prof) = f.get("profile_g").and_then(|r| r.as_array()) {
            let mine = fit.profile_intervals().expect("profile");
            assert_eq!(mine.len(), prof.len(), "{name}");
            for (m, want) in mine.iter().zip(prof) {
                for (g, key) in [(m.lower, "lower"), (m.upper, "upper")] {
                    let w = want[key].as_f64().unwrap();
                    check.one(
                        &format!("{name} profile {} {key}", m.name),
                        g,
                        w,
                        1e-2,
                        PROFILE_TOL,
                    );
                }
            }
        }
        if let Some(i2) = fit.i2() {
            check.all(&format!("{name} i2"), &i2.levels, &f["i2"], 1e-2, vc_tol);
            check.one(
                &format!("{name} typical v"),
                i2.typical_variance,
                f["typical_v"].as_f64().unwrap(),
                1e-12,
                1e-12,
            );
        }
    }
    for (w, d) in &check.worst {
        println!("max rel diff {w}: {d:e}");
    }
    assert!(check.failures.is_empty(), "{}", check.failures.join("\n"));
}
