//! Meta-regression with any moderators against metafor 3.8
//! (`fixtures/metafor/regression.json`, written by `fixtures/metafor/generate_regression.R`):
//! dat.bcg, dat.raudenbush1985, dat.hackshaw1998 and four generated sets, with continuous and
//! categorical moderators (reference levels chosen), interactions, designs without an
//! intercept, a `btt` subset and a homogeneous set (tau² = 0 at the boundary), under FE and
//! every estimator metafor allows with moderators (DL, HE, HS, HSk, SJ, ML, REML, EB, PM, PMM)
//! crossed with the tests z, t, knha, adhoc. Compared: the coefficient names, estimates, SE,
//! statistics, p-values and CIs; QM (its df and p), QE and its p; tau², its SE, I², H², R²;
//! logLik, deviance, AIC, BIC, AICc under ML and REML; predictions (estimate, SE, CI, PI);
//! fitted values; BLUPs; `rstandard`; `rstudent` (tests z and knha).
//!
//! Tolerance: 1e-10 relative for FE and the closed-form estimators (DL, HE, HS, HSk, SJ),
//! 1e-8 relative for the iterative ones (ML, REML, EB, PM, PMM: metafor stops them at its own
//! threshold; the same steps give the same numbers). Numbers whose reference is below 1e-12 in
//! absolute value (residuals set to 0, tau² truncated at 0) are compared absolutely at 1e-12.
//! Designs with cond(X) near 1e4 (year, about 1950, or a moderator near 1e4 next to an
//! intercept: dat.bcg ~ ablat + year, dat.hackshaw1998 ~ year + design, the generated set with
//! large x) are compared at 1e-8: metafor inverts `X'WX` formed explicitly, squaring the
//! condition number, so its own rounding there is about 1e-10 (metapool works with the QR
//! decomposition of `W^(1/2) X`).
//! Coefficients and their CI bounds are compared relative to the larger of themselves and
//! their SE, z relative to the larger of itself and 1 (metafor inverts `X'WX` formed
//! explicitly; next to an intercept, a moderator like year (about 1950) leaves metafor's
//! rounding at about 1e-10 of the intercept, far below its SE).
//! Fitted values, predictions, residuals and BLUPs are compared relative to the larger of
//! themselves and `max |y|` (standardized residuals: `max |y| / min se`). p-values are compared at 100 times the tolerance (a tail probability amplifies the relative
//! error of its statistic by `|d ln p / d ln x|`, about `x / 2` for chi-square).
//! The largest relative difference per method is printed (run with `--nocapture`).

use metapool::regression::{Factor, Intercept, MetaRegression, ModelMatrix, Moderators};
use metapool::{pool::Tau2Control, pool::Tau2Estimator, pool::Test};
use serde_json::Value;
use std::collections::BTreeMap;

mod regression_common;
use regression_common::nums;

fn fixture() -> Value {
    regression_common::fixture("regression.json")
}

fn model(method: &str, test: &str) -> (MetaRegression, f64) {
    let m = match method {
        "FE" => MetaRegression::fixed(),
        other => MetaRegression::random(other.parse::<Tau2Estimator>().expect("estimator")),
    };
    let t = match test {
        "z" => Test::Z,
        "t" => Test::T,
        "knha" => Test::KnappHartung,
        "adhoc" => Test::KnappHartungAdHoc,
        other => panic!("test {other}"),
    };
    let tol = match method {
        "ML" | "REML" | "EB" | "PM" | "PMM" => 1e-8,
        _ => 1e-10,
    };
    // the fixture is metafor with its default control: its iteration path
    (m.with_test(t).with_control(Tau2Control::metafor()), tol)
}

fn design(set: &Value, terms: &[String], intercept: bool) -> ModelMatrix {
    let k = nums(&set["yi"]).len();
    let mut m = Moderators::new(k).with_intercept(if intercept {
        Intercept::Included
    } else {
        Intercept::Excluded
    });
    for t in terms.iter().filter(|t| !t.contains(':')) {
        let spec = &set["mods"][t.as_str()];
        m = if spec["kind"] == "factor" {
            let values: Vec<&str> = spec["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let f = Factor::new(t, &values)
                .unwrap()
                .with_reference(spec["reference"].as_str().unwrap())
                .unwrap();
            m.factor(f).unwrap()
        } else {
            m.continuous(t, &nums(&spec["values"])).unwrap()
        };
    }
    for t in terms.iter().filter(|t| t.contains(':')) {
        let parts: Vec<&str> = t.split(':').collect();
        m = m.interaction(&parts).unwrap();
    }
    m.matrix().unwrap()
}

#[derive(Default)]
struct Worst {
    map: BTreeMap<String, (f64, String, usize)>,
    /// Absolute scale below which a value is compared relative to it rather than to itself
    /// (for values on the scale of y: fitted values, predictions, residuals, BLUPs).
    floor: f64,
    failures: Vec<String>,
}

impl Worst {
    fn check(&mut self, method: &str, tol: f64, what: &str, got: f64, want: f64) {
        let e = self
            .map
            .entry(method.to_string())
            .or_insert((0.0, String::new(), 0));
        e.2 += 1;
        // a p-value amplifies the relative error of its statistic by the tail's condition
        // number (|d ln p / d ln x|, about x / 2 for chi-square): 100 times the tolerance
        let p_value = what.ends_with('p') || what.contains("pval");
        let tol = if p_value { 100.0 * tol } else { tol };
        if want.abs() < 1e-12 {
            assert!(
                (got - want).abs() <= 1e-12,
                "{what}: got {got:e}, want {want:e}"
            );
            return;
        }
        let rel = (got - want).abs() / want.abs().max(self.floor);
        if rel > e.0 {
            e.0 = rel;
            e.1 = what.to_string();
        }
        if rel > tol {
            self.failures
                .push(format!("{what}: got {got}, want {want} (rel {rel:e})"));
        }
    }
    fn all(&mut self, method: &str, tol: f64, what: &str, got: &[f64], want: &Value) {
        let want = nums(want);
        assert_eq!(got.len(), want.len(), "{what}: lengths");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            self.check(method, tol, &format!("{what}[{i}]"), *g, *w);
        }
    }
}

#[test]
fn meta_regression_matches_metafor() {
    let fx = fixture();
    let mut worst = Worst::default();
    let mut fits = 0;
    for case in fx["cases"].as_array().unwrap() {
        let data = case["data"].as_str().unwrap();
        let method = case["method"].as_str().unwrap();
        let test = case["test"].as_str().unwrap();
        let set = &fx["data_sets"][data];
        let terms: Vec<String> = case["terms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        let intercept = case["intercept"].as_bool().unwrap();
        let id = format!(
            "{data} ~ {}{} ({method}, {test})",
            terms.join(" + "),
            if intercept { "" } else { " - 1" }
        );
        let x = design(set, &terms, intercept);
        let (mut reg, tol) = model(method, test);
        // ill-conditioned designs (year, about 1950, or x2 near 1e4 next to an intercept:
        // cond(X) about 1e4): metafor inverts X'WX, squaring the condition number, so its
        // numbers carry about 1e-10 relative rounding; compared at 1e-8 (see the module doc)
        let ill = data == "gen25_large_x" || terms.iter().any(|t| t == "year");
        let tol = if ill { tol.max(1e-8) } else { tol };
        if let Some(btt) = case["btt"].as_array() {
            let b: Vec<usize> = btt.iter().map(|v| v.as_f64().unwrap() as usize).collect();
            reg = reg.with_btt(&b);
        }
        let (y, v) = (nums(&set["yi"]), nums(&set["vi"]));
        let fit = reg.fit_values(&y, &v, &x, metapool::effect::Scale::Identity);
        if case["error"].as_bool() == Some(true) {
            assert!(fit.is_err(), "{id}: metafor fails, metapool fits");
            continue;
        }
        let fit = fit.unwrap_or_else(|e| panic!("{id}: {e}"));
        fits += 1;
        let names: Vec<&str> = case["names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(x.names(), names, "{id}: names");
        let num = |k: &str| case[k].as_f64().unwrap_or_else(|| panic!("{id}: {k}"));
        let w = &mut worst;
        // the largest differences are reported apart for the ill-conditioned designs
        let method = &if ill {
            format!("{method} (cond ~1e4)")
        } else {
            method.to_string()
        };
        let method = method.as_str();
        w.floor = 0.0;
        let r = fit.residual();
        w.check(method, tol, &format!("{id} QE"), r.qe, num("QE"));
        w.check(method, tol, &format!("{id} QEp"), r.p, num("QEp"));
        w.check(method, tol, &format!("{id} tau2"), r.tau2, num("tau2"));
        match (r.tau2_fit.and_then(|f| f.se), case["se_tau2"].as_f64()) {
            (Some(g), Some(want)) => w.check(method, tol, &format!("{id} se_tau2"), g, want),
            (None, None) => {}
            (g, want) => panic!("{id}: se_tau2 {g:?} vs {want:?}"),
        }
        let c = fit.coefficients();
        // coefficients relative to the larger of |b| and its SE, z relative to the larger of
        // |z| and 1: metafor inverts X'WX formed explicitly (the condition number squared), so
        // an intercept next to a moderator like year (about 1950) carries metafor's rounding
        // at about 1e-10 of |b| but far below its SE
        for (j, coef) in c.iter().enumerate() {
            let se_want = nums(&case["se"])[j];
            w.floor = se_want;
            w.check(
                method,
                tol,
                &format!("{id} beta[{j}]"),
                coef.estimate,
                nums(&case["beta"])[j],
            );
            w.check(
                method,
                tol,
                &format!("{id} ci_lb[{j}]"),
                coef.ci_lower,
                nums(&case["ci_lb"])[j],
            );
            w.check(
                method,
                tol,
                &format!("{id} ci_ub[{j}]"),
                coef.ci_upper,
                nums(&case["ci_ub"])[j],
            );
            w.floor = 1.0;
            w.check(
                method,
                tol,
                &format!("{id} zval[{j}]"),
                coef.statistic,
                nums(&case["zval"])[j],
            );
            w.floor = 0.0;
            w.check(method, tol, &format!("{id} se[{j}]"), coef.se, se_want);
            w.check(
                method,
                tol,
                &format!("{id} pval[{j}]"),
                coef.p,
                nums(&case["pval"])[j],
            );
        }
        let qm = fit.moderator_test();
        w.check(method, tol, &format!("{id} QM"), qm.statistic, num("QM"));
        w.check(method, tol, &format!("{id} QMp"), qm.p, num("QMp"));
        let qmdf = case["QMdf"].as_array().unwrap();
        assert_eq!(qm.df1 as f64, qmdf[0].as_f64().unwrap(), "{id}: QMdf");
        assert_eq!(qm.df2.map(|d| d as f64), qmdf[1].as_f64(), "{id}: QMdf2");
        w.check(method, tol, &format!("{id} I2"), r.i2, num("I2"));
        w.check(method, tol, &format!("{id} H2"), r.h2, num("H2"));
        match (fit.r2(), case["R2"].as_f64()) {
            (Some(g), Some(want)) => w.check(method, tol, &format!("{id} R2"), g, want),
            (None, None) => {}
            (g, want) => panic!("{id}: R2 {g:?} vs {want:?}"),
        }
        for (stats, tag) in [
            (fit.fit_statistics_ml(), "ml"),
            (fit.fit_statistics_reml(), "reml"),
        ] {
            for (got, key) in [
                (stats.loglik, "ll"),
                (stats.deviance, "dev"),
                (stats.aic, "aic"),
                (stats.bic, "bic"),
                (stats.aicc, "aicc"),
            ] {
                let k = format!("{key}_{tag}");
                w.check(method, tol, &format!("{id} {k}"), got, num(&k));
            }
        }
        // predictions, fitted values, residuals and BLUPs are compared relative to the
        // larger of themselves and max |y| (a fitted value near 0 is a difference of terms of
        // the size of y or larger: its relative error is not that of the terms)
        w.floor = y.iter().fold(0.0f64, |m, y| m.max(y.abs()));
        let newx = nums(&case["newx"]);
        let p = fit.p();
        let preds: Vec<_> = newx
            .chunks(p)
            .map(|row| fit.predict(row).unwrap())
            .collect();
        let pc = |f: fn(&metapool::regression::Prediction) -> f64| -> Vec<f64> {
            preds.iter().map(f).collect()
        };
        w.all(
            method,
            tol,
            &format!("{id} pred"),
            &pc(|p| p.estimate),
            &case["pred"],
        );
        w.all(
            method,
            tol,
            &format!("{id} pred_se"),
            &pc(|p| p.se.unwrap()),
            &case["pred_se"],
        );
        w.all(
            method,
            tol,
            &format!("{id} pred_ci_lb"),
            &pc(|p| p.ci_lower),
            &case["pred_ci_lb"],
        );
        w.all(
            method,
            tol,
            &format!("{id} pred_ci_ub"),
            &pc(|p| p.ci_upper),
            &case["pred_ci_ub"],
        );
        w.all(
            method,
            tol,
            &format!("{id} pred_pi_lb"),
            &pc(|p| p.pi_lower),
            &case["pred_pi_lb"],
        );
        w.all(
            method,
            tol,
            &format!("{id} pred_pi_ub"),
            &pc(|p| p.pi_upper),
            &case["pred_pi_ub"],
        );
        w.all(
            method,
            tol,
            &format!("{id} fitted"),
            &fit.fitted(),
            &case["fitted"],
        );
        let rs = fit.rstandard();
        let rsv = |f: fn(&metapool::regression::Residual) -> f64| -> Vec<f64> {
            rs.iter().map(f).collect()
        };
        w.all(
            method,
            tol,
            &format!("{id} rstandard"),
            &rsv(|r| r.resid),
            &case["rstandard_resid"],
        );
        // a study of leverage 1 has residual 0 and an SE that is rounding noise in both
        // (sqrt of a cancelled difference, below 1e-7): only that it is below 1e-7 is checked
        for (j, (got, want)) in rs.iter().zip(nums(&case["rstandard_se"])).enumerate() {
            if want < 1e-7 {
                assert!(
                    got.se < 1e-7 && got.resid == 0.0,
                    "{id}: rstandard_se[{j}] {}",
                    got.se
                );
            } else {
                w.check(
                    method,
                    tol,
                    &format!("{id} rstandard_se[{j}]"),
                    got.se,
                    want,
                );
            }
        }
        let yfloor = w.floor;
        // z = e / se: its floor is that of e over the smallest se
        w.floor = yfloor / rsv(|r| r.se).iter().fold(f64::INFINITY, |m, s| m.min(*s));
        w.all(
            method,
            tol,
            &format!("{id} rstandard_z"),
            &rsv(|r| r.z),
            &case["rstandard_z"],
        );
        w.floor = yfloor;
        if case.get("blup").is_some() {
            let b = fit.blups();
            let bv = |f: fn(&metapool::regression::Blup) -> f64| -> Vec<f64> {
                b.iter().map(f).collect()
            };
            w.all(
                method,
                tol,
                &format!("{id} blup"),
                &bv(|b| b.estimate),
                &case["blup"],
            );
            w.all(
                method,
                tol,
                &format!("{id} blup_se"),
                &bv(|b| b.se),
                &case["blup_se"],
            );
            w.all(
                method,
                tol,
                &format!("{id} blup_pi_lb"),
                &bv(|b| b.pi_lower),
                &case["blup_pi_lb"],
            );
            w.all(
                method,
                tol,
                &format!("{id} blup_pi_ub"),
                &bv(|b| b.pi_upper),
                &case["blup_pi_ub"],
            );
        }
        if case.get("rstudent_z").is_some() {
            let rt_opt = fit
                .rstudent()
                .unwrap_or_else(|e| panic!("{id}: rstudent {e}"));
            // metafor's NA where the design without the study is rank deficient
            let na: Vec<bool> = case["rstudent_resid"]
                .as_array()
                .unwrap()
                .iter()
                .map(Value::is_null)
                .collect();
            assert_eq!(
                rt_opt.iter().map(Option::is_none).collect::<Vec<_>>(),
                na,
                "{id}: rstudent NA"
            );
            let rt: Vec<_> = rt_opt.into_iter().flatten().collect();
            let drop_na = |v: &Value| -> Value {
                Value::Array(
                    v.as_array()
                        .unwrap()
                        .iter()
                        .filter(|x| !x.is_null())
                        .cloned()
                        .collect(),
                )
            };
            let case = &{
                let mut c = case.clone();
                for key in ["rstudent_resid", "rstudent_se", "rstudent_z"] {
                    c[key] = drop_na(&case[key]);
                }
                c
            };
            let rv = |f: fn(&metapool::regression::Residual) -> f64| -> Vec<f64> {
                rt.iter().map(f).collect()
            };
            w.all(
                method,
                tol,
                &format!("{id} rstudent"),
                &rv(|r| r.resid),
                &case["rstudent_resid"],
            );
            w.all(
                method,
                tol,
                &format!("{id} rstudent_se"),
                &rv(|r| r.se),
                &case["rstudent_se"],
            );
            w.floor = yfloor / rv(|r| r.se).iter().fold(f64::INFINITY, |m, s| m.min(*s));
            w.all(
                method,
                tol,
                &format!("{id} rstudent_z"),
                &rv(|r| r.z),
                &case["rstudent_z"],
            );
            w.floor = yfloor;
        }
    }
    for (m, (rel, what, n)) in &worst.map {
        println!("{m:5} {n:6} numbers, max rel diff {rel:.2e} at {what}");
    }
    for f in worst.failures.iter().take(40) {
        println!("FAIL {f}");
    }
    assert!(
        worst.failures.is_empty(),
        "{} numbers differ",
        worst.failures.len()
    );
    assert!(fits > 500, "only {fits} fits compared");
}

/// The summary prints metafor's figures for `rma(yi, vi, mods = ~ ablat + alloc, data =
/// dat.bcg)` (metafor 3.8.1 `print.rma`, copied from its output).
#[test]
fn summary_prints_metafor_figures() {
    let fx = fixture();
    let set = &fx["data_sets"]["bcg"];
    let terms = ["ablat".to_string(), "alloc".to_string()];
    let mut x = Moderators::new(13)
        .continuous("ablat", &nums(&set["mods"]["ablat"]["values"]))
        .unwrap();
    let alloc: Vec<&str> = set["mods"]["alloc"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    x = x.factor(Factor::new("alloc", &alloc).unwrap()).unwrap();
    let x = x.matrix().unwrap();
    assert_eq!(x.names().len(), terms.len() + 2);
    // the summary of bcg ~ ablat + alloc under a model, and the lines it must contain
    let check = |model: MetaRegression, lines: &[&str]| {
        // metafor's printed output comes from its default control: its iteration path
        let text = model
            .with_control(Tau2Control::metafor())
            .fit_values(
                &nums(&set["yi"]),
                &nums(&set["vi"]),
                &x,
                metapool::effect::Scale::Log,
            )
            .unwrap()
            .to_string();
        for line in lines {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
    };
    check(
        MetaRegression::default(),
        &[
            "Mixed-Effects Model (k = 13; tau² estimator: REML)",
            "tau² (estimated amount of residual heterogeneity):     0.1446 (SE = 0.1124)",
            "tau (square root of estimated tau² value):             0.3803",
            "I² (residual heterogeneity / unaccounted variability): 70.11%",
            "H² (unaccounted variability / sampling variability):   3.35",
            "R² (amount of heterogeneity accounted for):            53.84%",
            "QE(df = 9) = 26.2034, p-val = 0.0019",
            "Test of Moderators (coefficients 2:4):",
            "QM(df = 3) = 11.0605, p-val = 0.0114",
            "                 estimate      se     zval    pval    ci.lb    ci.ub",
            "intrcpt            0.2932  0.4050   0.7239  0.4691  -0.5006   1.0870",
            "ablat             -0.0273  0.0092  -2.9650  0.0030  -0.0453  -0.0092",
            "allocrandom       -0.2675  0.3504  -0.7633  0.4453  -0.9543   0.4193",
            "allocsystematic    0.0585  0.3795   0.1540  0.8776  -0.6854   0.8023",
        ],
    );
    // test = "knha": the F test and the df column
    check(
        MetaRegression::default().with_test(Test::KnappHartung),
        &[
            "F(df1 = 3, df2 = 9) = 3.4471, p-val = 0.0650",
            "                 estimate      se     tval  df    pval    ci.lb    ci.ub",
            "ablat             -0.0273  0.0095  -2.8669   9  0.0186  -0.0488  -0.0058",
        ],
    );
    // method = "FE", btt = c(2, 4)
    check(
        MetaRegression::fixed().with_btt(&[1, 3]),
        &[
            "Fixed-Effects with Moderators Model (k = 13)",
            "I² (residual heterogeneity / unaccounted variability): 65.65%",
            "H² (unaccounted variability / sampling variability):   2.91",
            "R² (amount of heterogeneity accounted for):            77.05%",
            "Test of Moderators (coefficients 2,4):",
            "QM(df = 2) = 112.3078, p-val < .0001",
            "                 estimate      se      zval    pval    ci.lb    ci.ub",
            "ablat             -0.0328  0.0032  -10.3036  <.0001  -0.0391  -0.0266",
        ],
    );
}

/// The exact solver (the default control) against metafor with tight control (threshold and
/// tol 1e-13, stepadj 0.5, maxiter 10000; ML and REML from several starts, the highest
/// likelihood kept) on every model of regression.json: fixtures/metafor/regression_exact.json
/// (generate_regression_exact.R). tau², coefficients and SEs at 1e-9 relative (1e-12 absolute
/// below 1e-6); 1e-8 on gen25_large_x, whose moderators near 1e4 cost metafor's direct
/// inverse of X'WX about eight digits.
#[test]
fn regression_exact_matches_metafor_tight_control() {
    let fx = fixture();
    let exact: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/metafor/regression_exact.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let cases = exact["cases"].as_array().unwrap();
    assert!(cases.len() >= 60, "{} fits", cases.len());
    let mut worst = 0.0f64;
    for case in cases {
        let data = case["data"].as_str().unwrap();
        let set = &fx["data_sets"][data];
        let terms: Vec<String> = case["terms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        let x = design(set, &terms, case["intercept"].as_bool().unwrap());
        let method = case["method"].as_str().unwrap();
        let fit = MetaRegression::random(method.parse::<Tau2Estimator>().unwrap())
            .fit_values(
                &nums(&set["yi"]),
                &nums(&set["vi"]),
                &x,
                metapool::effect::Scale::Identity,
            )
            .unwrap();
        let tol = if data == "gen25_large_x" { 1e-8 } else { 1e-9 };
        let what = format!("{data} {terms:?} {method}");
        let mut check = |name: &str, got: f64, want: f64| {
            let d = if want.abs() < 1e-6 {
                (got - want).abs() / 1e-3
            } else {
                ((got - want) / want).abs()
            };
            worst = worst.max(d);
            assert!(d <= tol, "{what} {name}: {got} vs metafor {want} ({d:e})");
        };
        check("tau2", fit.residual().tau2, case["tau2"].as_f64().unwrap());
        let (beta, se) = (nums(&case["beta"]), nums(&case["se"]));
        for (j, c) in fit.coefficients().iter().enumerate() {
            check(&format!("beta[{j}]"), c.estimate, beta[j]);
            check(&format!("se[{j}]"), c.se, se[j]);
        }
    }
    eprintln!("regression exact vs metafor tight control: worst {worst:e}");
}
