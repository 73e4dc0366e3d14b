//! RevMan 5's own numbers (fixtures/golden/revman5_fleiss1993_MH_OR_and_MD_IV.json: stored by
//! RevMan 5.0.23 in Fleiss1993.rm5 and its CSV export, shipped with R's `meta`), and the SMD
//! conventions against metafor and R `meta` (fixtures/golden/smd_hedges_g_6studies_...json).
//!
//! Tolerances: the .rm5 analysis stores full doubles: 1e-12 relative, except p-values at 1e-9
//! (statrs' erfc, about 1e-10 relative) and RevMan's Q-test p, which RevMan itself computes to
//! only about 1e-6 relative. The CSV export carries 8 significant digits (8 decimal places for p): 5e-8 relative
//! (5e-9 absolute for p).

use metapool::{effect::*, inference::ConfidenceLevel, pool::*};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/fixtures/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs())
}

fn num(v: &Value) -> f64 {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap()
}

/// The 2x2 tables of the aspirin trials, in RevMan's layout.
fn aspirin_tables(analysis: &Value) -> Vec<LogOddsRatio> {
    analysis["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            LogOddsRatio::new(
                TwoByTwo::new(
                    num(&s["events_1"]),
                    num(&s["total_1"]),
                    num(&s["events_2"]),
                    num(&s["total_2"]),
                )
                .unwrap(),
            )
        })
        .collect()
}

#[test]
fn revman5_mantel_haenszel_odds_ratio() {
    let d = load("revman5_fleiss1993_MH_OR_and_MD_IV.json");
    let a = &d["analysis_1_MH_OR_fixed"];
    let tables = aspirin_tables(a);
    let fit = MantelHaenszel::default().pool(&tables).unwrap();
    let e = &a["expected_pooled"];
    let shown = fit.display();
    assert!(rel(shown.estimate, num(&e["EFFECT_SIZE"])) < 1e-12);
    assert!(rel(shown.lower, num(&e["CI_START"])) < 1e-12);
    assert!(rel(shown.upper, num(&e["CI_END"])) < 1e-12);
    assert!(rel(fit.heterogeneity.q, num(&e["CHI2"])) < 1e-12);
    assert_eq!(fit.heterogeneity.df as f64, num(&e["DF"]));
    // RevMan's own chi-square tail is accurate to about 1e-6 only: for Q = 9.946055983220074 on
    // 6 df it stores 0.1269422521561745, where the exact value (R pchisq, scipy chi2.sf) is
    // 0.12694217790629495. We match the exact value (tests/metafor_core.rs) and RevMan to 1e-6.
    assert!(rel(fit.heterogeneity.q_p.unwrap(), num(&e["P_CHI2"])) < 1e-6);
    assert!(rel(fit.heterogeneity.q_p.unwrap(), 0.12694217790629495) < 1e-10);
    assert!(rel(fit.heterogeneity.i2, num(&e["I2"])) < 1e-12);
    assert!(rel(fit.statistic.abs(), num(&e["Z"])) < 1e-12);
    assert!(rel(fit.p, num(&e["P_Z"])) < 1e-9);
    // per-study: OR, CI, variance of the log OR, MH weight
    let per = a["expected_per_study"].as_array().unwrap();
    let set = EffectSet::from_studies(&tables).unwrap();
    let z = ConfidenceLevel::default().z();
    for (i, s) in per.iter().enumerate() {
        let eff = set.effects()[i];
        assert!(rel(eff.estimate().exp(), num(&s["OR"])) < 1e-12);
        assert!(rel(eff.variance(), num(&s["VAR_logOR"])) < 1e-12);
        assert!(rel((eff.estimate() - z * eff.se()).exp(), num(&s["ci_start"])) < 1e-12);
        assert!(rel((eff.estimate() + z * eff.se()).exp(), num(&s["ci_end"])) < 1e-12);
        assert!(rel(fit.weights()[i], num(&s["weight_percent_MH"])) < 1e-12);
    }
}

#[test]
fn revman5_inverse_variance_mean_difference() {
    let d = load("revman5_fleiss1993_MH_OR_and_MD_IV.json");
    let a = &d["analysis_2_MD_IV_fixed"];
    let studies: Vec<MeanDifference> = a["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            MeanDifference::new(
                Arm::new(num(&s["mean_1"]), num(&s["sd_1"]), num(&s["n_1"])).unwrap(),
                Arm::new(num(&s["mean_2"]), num(&s["sd_2"]), num(&s["n_2"])).unwrap(),
            )
            .unwrap()
        })
        .collect();
    let fit = FixedModel::default().pool_studies(&studies).unwrap();
    let e = &a["expected_pooled"];
    let tol = 5e-8; // 8 significant digits in RevMan's CSV export
    assert!(rel(fit.estimate, num(&e["Effect Estimate"])) < tol);
    assert!(rel(fit.ci_lower, num(&e["CI Start"])) < tol);
    assert!(rel(fit.ci_upper, num(&e["CI End"])) < tol);
    assert!(rel(fit.heterogeneity.q, num(&e["Q"])) < tol);
    // RevMan's chi-square tail: about 1e-6 relative (see the MH test); exact value from
    // scipy chi2.sf(5.66012379, 4) = 0.226008892901209.
    assert!(rel(fit.heterogeneity.q_p.unwrap(), num(&e["P(Q)"])) < 1e-6);
    assert!(rel(fit.heterogeneity.i2, num(&e["I\u{b2}(Q)"])) < tol);
    assert!(rel(fit.statistic.abs(), num(&e["Z"])) < tol);
    // RevMan's CSV prints 8 decimal places: a half unit in the last place
    assert!((fit.p - num(&e["P(Z)"])).abs() <= 5e-9);
    let set = EffectSet::from_studies(&studies).unwrap();
    for (i, s) in a["expected_per_study"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        assert!(rel(set.effects()[i].se(), num(&s["SE"])) < tol);
        assert!(rel(fit.weights()[i], num(&s["weight_percent"])) < tol);
    }
}

#[test]
fn smd_conventions_against_metafor_and_meta() {
    let d = load("smd_hedges_g_6studies_metafor_vs_meta.json");
    let rows = d["inputs"]["rows"].as_array().unwrap();
    let exp = &d["expected"];
    let pick = |prefix: &str| -> Vec<f64> {
        let (_, v) = exp
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix}"));
        v.as_array().unwrap().iter().map(num).collect()
    };
    let (mf_y, mf_v) = (pick("metafor_SMD_yi"), pick("metafor_SMD_vi_LS"));
    let (meta_y, meta_v) = (
        pick("meta_metacont_SMD_TE"),
        pick("meta_metacont_SMD_seTE_squared"),
    );
    for (i, r) in rows.iter().enumerate() {
        let r = r.as_array().unwrap();
        let smd = StandardizedMeanDifference::new(
            Arm::new(num(&r[1]), num(&r[2]), num(&r[3])).unwrap(),
            Arm::new(num(&r[4]), num(&r[5]), num(&r[6])).unwrap(),
        )
        .unwrap();
        let StudyEffect::Included(revman) = smd.effect().unwrap() else {
            panic!()
        };
        let StudyEffect::Included(metafor) = smd
            .with_convention(SmdConvention::Metafor)
            .effect()
            .unwrap()
        else {
            panic!()
        };
        // R meta's metacont uses RevMan's J = 1 - 3/(4N - 9) and variance
        assert!(rel(revman.estimate(), meta_y[i]) < 1e-12, "study {i}");
        assert!(rel(revman.variance(), meta_v[i]) < 1e-12, "study {i}");
        assert!(rel(metafor.estimate(), mf_y[i]) < 1e-12, "study {i}");
        assert!(rel(metafor.variance(), mf_v[i]) < 1e-12, "study {i}");
    }
}

#[test]
fn exact_hedges_correction_does_not_overflow_for_large_n() {
    // gamma() overflows beyond N of about 344; the log-gamma form must not.
    let smd = StandardizedMeanDifference::new(
        Arm::new(1.0, 1.0, 5000.0).unwrap(),
        Arm::new(0.0, 1.0, 5000.0).unwrap(),
    )
    .unwrap()
    .with_convention(SmdConvention::Metafor);
    let j = smd.correction();
    // J(m) = 1 - 3/(4m - 1) + O(m^-2), m = 9998
    assert!((j - (1.0 - 3.0 / (4.0 * 9998.0 - 1.0))).abs() < 1e-7);
    assert!(j < 1.0 && j.is_finite());
}

#[test]
fn revman5_random_mantel_haenszel_uses_the_mh_q() {
    // RevMan's "M-H, Random": DerSimonian-Laird tau² from the Q it reports for the MH analysis
    // (CHI2, centred on the MH estimate), with inverse-variance weights 1/VAR_logOR, all taken
    // from RevMan's own stored numbers.
    let d = load("revman5_fleiss1993_MH_OR_and_MD_IV.json");
    let a = &d["analysis_1_MH_OR_fixed"];
    let q = num(&a["expected_pooled"]["CHI2"]);
    let w: Vec<f64> = a["expected_per_study"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| 1.0 / num(&s["VAR_logOR"]))
        .collect();
    let (sw, sw2) = (w.iter().sum::<f64>(), w.iter().map(|x| x * x).sum::<f64>());
    let tau2 = ((q - (w.len() as f64 - 1.0)) / (sw - sw2 / sw)).max(0.0);
    let tables = aspirin_tables(a);
    let sel = ModelRule::default()
        .mantel_haenszel()
        .select(&EffectSet::from_studies(&tables).unwrap())
        .unwrap();
    assert!(tau2 > 0.0);
    assert!(rel(sel.random.heterogeneity.tau2, tau2) < 1e-12);
    assert!(rel(sel.random.heterogeneity.q, q) < 1e-12);
    // Q p = 0.127 >= 0.10: the rule keeps the fixed MH fit
    assert_eq!(sel.choice, ModelChoice::Fixed);
}
