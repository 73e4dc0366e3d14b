//! Agreement with metafor 3.8-1 for the measures of `fixtures/metafor/measures.json`
//! (written by `fixtures/metafor/generate_measures.R`): log risk ratio, risk difference and
//! Peto odds ratio with inverse-variance, Mantel-Haenszel and Peto pooling; proportions in four
//! transforms with their back-transformations; Fisher z; subgroup analyses.
//!
//! Tolerance: 1e-10 relative for every number (all are closed forms). A reference value that
//! is exactly 0 (an arcsine of 0 events, Fisher z of r = 0, a Q of one study) is compared
//! absolutely at 1e-14 instead. Each test prints its largest relative difference (run with
//! `--nocapture` to see them).

use metapool::{
    effect::Correlation, effect::EffectSet, effect::EffectSize, effect::FisherZ,
    effect::LogOddsRatio, effect::LogRiskRatio, effect::PetoOddsRatio, effect::Proportion,
    effect::ProportionEffect, effect::ProportionTransform, effect::RiskDifference,
    effect::StudyEffect, effect::TwoByTwo, heterogeneity::Heterogeneity, pool::FixedModel,
    pool::MantelHaenszel, pool::Peto, pool::Pooled, pool::RandomModel, pool::SubgroupAnalysis,
    pool::SubgroupModel, pool::Tau2Estimator,
};
use serde_json::Value;

const TOL: f64 = 1e-10;
const ZERO_TOL: f64 = 1e-14;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/metafor/measures.json"
    ))
    .expect("fixture present");
    serde_json::from_str(&text).expect("valid JSON")
}

/// Tracks the largest relative difference seen.
#[derive(Default)]
struct Cmp {
    max_rel: f64,
    worst: String,
    /// The same over everything but the normal p-values (whose accuracy is statrs' `erfc`'s,
    /// about 1e-10 relative; every other number agrees to about 1e-13).
    max_rel_not_p: f64,
    worst_not_p: String,
    count: usize,
}

impl Cmp {
    fn num(&mut self, what: &str, got: f64, want: f64) {
        assert!(got.is_finite(), "{what}: got non-finite {got}");
        self.count += 1;
        if want == 0.0 {
            assert!(got.abs() <= ZERO_TOL, "{what}: got {got}, want exactly 0");
            return;
        }
        let rel = (got - want).abs() / want.abs();
        if rel > self.max_rel {
            self.max_rel = rel;
            self.worst = what.to_string();
        }
        if !what.ends_with(" p") && rel > self.max_rel_not_p {
            self.max_rel_not_p = rel;
            self.worst_not_p = what.to_string();
        }
        assert!(
            rel <= TOL,
            "{what}: got {got:e}, want {want:e}, rel {rel:e}"
        );
    }

    fn val(&mut self, what: &str, got: f64, want: &Value) {
        let w = want
            .as_f64()
            .unwrap_or_else(|| panic!("{what}: no number in {want}"));
        self.num(what, got, w);
    }

    fn report(&self, name: &str) {
        eprintln!(
            "{name}: {} numbers, max relative difference {:.3e} ({}); without normal p-values \
             {:.3e} ({})",
            self.count, self.max_rel, self.worst, self.max_rel_not_p, self.worst_not_p
        );
    }
}

fn arr(v: &Value) -> Vec<Option<f64>> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64())
        .collect()
}

fn nums(v: &Value) -> Vec<f64> {
    arr(v).into_iter().map(|x| x.expect("number")).collect()
}

/// Compare a pooled fit with a metafor fit (estimate, se, CI, z, p, Q, its df and p, I², H²,
/// tau²).
fn fit(c: &mut Cmp, what: &str, got: &Pooled, want: &Value) {
    c.val(&format!("{what} estimate"), got.estimate, &want["estimate"]);
    c.val(&format!("{what} se"), got.se, &want["se"]);
    c.val(&format!("{what} ci_lower"), got.ci_lower, &want["ci_lower"]);
    c.val(&format!("{what} ci_upper"), got.ci_upper, &want["ci_upper"]);
    c.val(&format!("{what} z"), got.statistic, &want["z"]);
    c.val(&format!("{what} p"), got.p, &want["p"]);
    heterogeneity(c, what, &got.heterogeneity, want);
}

fn heterogeneity(c: &mut Cmp, what: &str, h: &Heterogeneity, want: &Value) {
    let df = want["q_df"].as_f64().unwrap() as usize;
    assert_eq!(h.df, df, "{what} df");
    c.val(&format!("{what} q"), h.q, &want["q"]);
    if df > 0 {
        c.val(&format!("{what} q_p"), h.q_p.unwrap(), &want["q_p"]);
    } else {
        assert_eq!(h.q_p, None, "{what} q_p with df = 0");
    }
    c.val(&format!("{what} i2"), h.i2, &want["i2"]);
    c.val(&format!("{what} h2"), h.h2, &want["h2"]);
    c.val(&format!("{what} tau2"), h.tau2, &want["tau2"]);
}

fn weights(c: &mut Cmp, what: &str, got: &[f64], want: &Value) {
    let w = nums(want);
    assert_eq!(got.len(), w.len(), "{what} weights length");
    for (i, (g, w)) in got.iter().zip(&w).enumerate() {
        c.num(&format!("{what} weight {i}"), *g, *w);
    }
}

fn fit_by<'a>(fits: &'a Value, measure: &str, method: &str) -> &'a Value {
    fits.as_array()
        .unwrap()
        .iter()
        .find(|f| f["measure"] == measure && f["method"] == method)
        .unwrap_or_else(|| panic!("no {measure} {method} fit"))
}

fn tables(input: &Value) -> Vec<TwoByTwo> {
    let (e1, t1, e2, t2) = (
        nums(&input["events1"]),
        nums(&input["total1"]),
        nums(&input["events2"]),
        nums(&input["total2"]),
    );
    (0..e1.len())
        .map(|i| TwoByTwo::new(e1[i], t1[i], e2[i], t2[i]).unwrap())
        .collect()
}

/// Per-study effects against metafor's yi/vi (null = excluded).
fn effects<E: EffectSize>(c: &mut Cmp, what: &str, studies: &[E], want: &Value) {
    let (yi, vi) = (arr(&want["yi"]), arr(&want["vi"]));
    assert_eq!(studies.len(), yi.len());
    for (i, s) in studies.iter().enumerate() {
        match (s.effect().unwrap(), yi[i], vi[i]) {
            (StudyEffect::Included(e), Some(y), Some(v)) => {
                c.num(&format!("{what} study {i} yi"), e.estimate(), y);
                c.num(&format!("{what} study {i} vi"), e.variance(), v);
            }
            (StudyEffect::Excluded(_), None, None) => {}
            (got, y, v) => panic!("{what} study {i}: got {got:?}, metafor yi {y:?} vi {v:?}"),
        }
    }
}

/// Inverse-variance FE and DL fits of per-study effects.
fn iv_fits<E: EffectSize>(c: &mut Cmp, what: &str, studies: &[E], fits: &Value, measure: &str) {
    let set = EffectSet::from_studies(studies).unwrap();
    for (method, got) in [
        ("FE", FixedModel::default().pool(&set).unwrap()),
        ("DL", RandomModel::default().pool(&set).unwrap()),
    ] {
        let want = fit_by(fits, measure, method);
        let name = format!("{what} {measure} {method}");
        let inc: Vec<usize> = nums(&want["included"])
            .iter()
            .map(|&x| x as usize)
            .collect();
        assert_eq!(got.included(), inc, "{name} included");
        assert_eq!(got.k, want["k"].as_f64().unwrap() as usize);
        fit(c, &name, &got, want);
        weights(c, &name, &got.weights(), &want["weights_percent"]);
    }
}

/// A Mantel-Haenszel or Peto fit: metafor lists a weight for every table; ours cover the
/// included tables, and every table we exclude must have weight 0 in metafor.
fn table_fit(c: &mut Cmp, what: &str, got: &Pooled, want: &Value) {
    fit(c, what, got, want);
    let all = nums(&want["weights_percent_all"]);
    for (j, &i) in got.included().iter().enumerate() {
        c.num(&format!("{what} weight {i}"), got.weights()[j], all[i]);
    }
    for i in got.excluded.iter().map(|e| e.position) {
        assert_eq!(all[i], 0.0, "{what}: excluded table {i} has metafor weight");
    }
    assert_eq!(got.included().len() + got.excluded.len(), all.len());
}

#[test]
fn binary_effect_sizes_and_inverse_variance_fits() {
    let fx = fixture();
    let mut c = Cmp::default();
    for ds in fx["binary"].as_array().unwrap() {
        let name = ds["name"].as_str().unwrap();
        let t = tables(&ds["input"]);
        let rr: Vec<_> = t.iter().copied().map(LogRiskRatio::new).collect();
        let rd: Vec<_> = t.iter().copied().map(RiskDifference::new).collect();
        let peto: Vec<_> = t.iter().copied().map(PetoOddsRatio::new).collect();
        effects(&mut c, &format!("{name} RR"), &rr, &ds["effects"]["RR"]);
        effects(&mut c, &format!("{name} RD"), &rd, &ds["effects"]["RD"]);
        effects(
            &mut c,
            &format!("{name} PETO"),
            &peto,
            &ds["effects"]["PETO"],
        );
        iv_fits(&mut c, name, &rr, &ds["fits"], "RR");
        iv_fits(&mut c, name, &rd, &ds["fits"], "RD");
        iv_fits(&mut c, name, &peto, &ds["fits"], "PETO");
    }
    c.report("RR/RD/PETO effects and FE/DL fits");
}

#[test]
fn mantel_haenszel_odds_ratio_risk_ratio_risk_difference() {
    let fx = fixture();
    for measure in ["OR", "RR", "RD"] {
        let mut c = Cmp::default();
        for ds in fx["binary"].as_array().unwrap() {
            let name = format!("{} MH {measure}", ds["name"].as_str().unwrap());
            let t = tables(&ds["input"]);
            let mh = MantelHaenszel::default();
            let got = match measure {
                "OR" => mh.pool(&t.iter().copied().map(LogOddsRatio::new).collect::<Vec<_>>()),
                "RR" => mh.pool(&t.iter().copied().map(LogRiskRatio::new).collect::<Vec<_>>()),
                _ => mh.pool(
                    &t.iter()
                        .copied()
                        .map(RiskDifference::new)
                        .collect::<Vec<_>>(),
                ),
            }
            .unwrap();
            table_fit(&mut c, &name, &got, fit_by(&ds["fits"], measure, "MH"));
        }
        c.report(&format!("rma.mh {measure}"));
    }
}

#[test]
fn peto_fixed_effect() {
    let fx = fixture();
    let mut c = Cmp::default();
    for ds in fx["binary"].as_array().unwrap() {
        let name = format!("{} Peto", ds["name"].as_str().unwrap());
        let got = Peto::default().pool(&tables(&ds["input"])).unwrap();
        table_fit(&mut c, &name, &got, fit_by(&ds["fits"], "PETO", "PETO"));
    }
    c.report("rma.peto");
}

#[test]
fn proportions_in_four_transforms_with_back_transformation() {
    let fx = fixture();
    for (measure, transform) in [
        ("PR", ProportionTransform::Raw),
        ("PLO", ProportionTransform::Logit),
        ("PAS", ProportionTransform::Arcsine),
        ("PFT", ProportionTransform::FreemanTukey),
    ] {
        let mut c = Cmp::default();
        for ds in fx["proportions"].as_array().unwrap() {
            let name = format!("{} {measure}", ds["name"].as_str().unwrap());
            let (x, n) = (nums(&ds["input"]["events"]), nums(&ds["input"]["total"]));
            let studies: Vec<_> = (0..x.len())
                .map(|i| ProportionEffect::new(Proportion::new(x[i], n[i]).unwrap(), transform))
                .collect();
            let want = ds["transforms"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["measure"] == measure)
                .unwrap();
            effects(&mut c, &name, &studies, want);
            let set = EffectSet::from_studies(&studies).unwrap();
            if let metapool::effect::Scale::FreemanTukey { harmonic_n } = set.scale() {
                c.val(&format!("{name} harmonic n"), harmonic_n, &ds["harmonic_n"]);
            }
            for (i, (e, w)) in set
                .effects()
                .iter()
                .zip(nums(&want["display_yi"]))
                .enumerate()
            {
                c.num(
                    &format!("{name} study {i} back-transformed"),
                    set.scale().to_display(e.estimate()),
                    w,
                );
            }
            for (f, got) in want["fits"].as_array().unwrap().iter().zip([
                FixedModel::default().pool(&set).unwrap(),
                RandomModel::default().pool(&set).unwrap(),
            ]) {
                let what = format!("{name} {}", f["method"].as_str().unwrap());
                fit(&mut c, &what, &got, f);
                weights(&mut c, &what, &got.weights(), &f["weights_percent"]);
                let d = got.display();
                c.val(
                    &format!("{what} display estimate"),
                    d.estimate,
                    &f["display"]["estimate"],
                );
                c.val(
                    &format!("{what} display lower"),
                    d.lower,
                    &f["display"]["lower"],
                );
                c.val(
                    &format!("{what} display upper"),
                    d.upper,
                    &f["display"]["upper"],
                );
            }
        }
        c.report(&format!("proportions {measure}"));
    }
}

#[test]
fn fisher_z_correlations() {
    let fx = fixture();
    let mut c = Cmp::default();
    for ds in fx["correlations"].as_array().unwrap() {
        let name = ds["name"].as_str().unwrap();
        let (r, n) = (nums(&ds["input"]["r"]), nums(&ds["input"]["n"]));
        let studies: Vec<_> = (0..r.len())
            .map(|i| FisherZ::new(Correlation::new(r[i], n[i]).unwrap()))
            .collect();
        effects(&mut c, name, &studies, ds);
        let set = EffectSet::from_studies(&studies).unwrap();
        for (f, got) in ds["fits"].as_array().unwrap().iter().zip([
            FixedModel::default().pool(&set).unwrap(),
            RandomModel::default().pool(&set).unwrap(),
        ]) {
            let what = format!("{name} {}", f["method"].as_str().unwrap());
            fit(&mut c, &what, &got, f);
            weights(&mut c, &what, &got.weights(), &f["weights_percent"]);
            let d = got.display();
            c.val(&format!("{what} r"), d.estimate, &f["display"]["estimate"]);
            c.val(&format!("{what} r lower"), d.lower, &f["display"]["lower"]);
            c.val(&format!("{what} r upper"), d.upper, &f["display"]["upper"]);
        }
    }
    c.report("ZCOR");
}

#[test]
fn subgroup_analyses() {
    let fx = fixture();
    for (model_name, model) in [
        ("fixed", SubgroupModel::Fixed),
        (
            "random_separate_DL",
            SubgroupModel::RandomSeparate(Tau2Estimator::DerSimonianLaird),
        ),
        (
            "random_common_DL",
            SubgroupModel::RandomCommon(Tau2Estimator::DerSimonianLaird),
        ),
    ] {
        let mut c = Cmp::default();
        for ds in fx["subgroups"].as_array().unwrap() {
            let name = format!("{} {model_name}", ds["name"].as_str().unwrap());
            let set =
                EffectSet::from_estimates(&nums(&ds["input"]["yi"]), &nums(&ds["input"]["vi"]))
                    .unwrap();
            let groups: Vec<&str> = ds["input"]["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_str().unwrap())
                .collect();
            let got = SubgroupAnalysis::new(model).pool(&set, &groups).unwrap();
            let want = ds["models"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["model"] == model_name)
                .unwrap();
            let wg = want["groups"].as_array().unwrap();
            assert_eq!(got.groups.len(), wg.len());
            for (g, w) in got.groups.iter().zip(wg) {
                assert_eq!(g.label, w["label"].as_str().unwrap());
                let what = format!("{name} group {}", g.label);
                assert_eq!(g.pooled.k, w["k"].as_f64().unwrap() as usize);
                fit(&mut c, &what, &g.pooled, w);
                weights(&mut c, &what, &g.pooled.weights(), &w["weights_percent"]);
                if let Some(coef) = w.get("moderator_coef") {
                    // the same subgroup means from the moderator model without intercept
                    c.val(&format!("{what} moderator coef"), g.pooled.estimate, coef);
                    c.val(
                        &format!("{what} moderator se"),
                        g.pooled.se,
                        &w["moderator_se"],
                    );
                }
            }
            let b = &want["between"];
            assert_eq!(got.between.df, b["df"].as_f64().unwrap() as usize);
            c.val(&format!("{name} Q between"), got.between.q, &b["q"]);
            c.val(
                &format!("{name} Q between p"),
                got.between.q_p.unwrap(),
                &b["p"],
            );
            if let Some(i2) = b.get("i2") {
                c.val(&format!("{name} I2 between"), got.between.i2, i2);
            }
            let w = &want["within"];
            assert_eq!(got.within.df, w["df"].as_f64().unwrap() as usize);
            c.val(&format!("{name} Q within"), got.within.q, &w["q"]);
            c.val(
                &format!("{name} Q within p"),
                got.within.q_p.unwrap(),
                &w["p"],
            );
            if let Some(t) = want.get("tau2") {
                c.val(&format!("{name} common tau2"), got.within.tau2, t);
            }
            let o = &want["overall"];
            fit(&mut c, &format!("{name} overall"), &got.overall, o);
            weights(
                &mut c,
                &format!("{name} overall"),
                &got.overall.weights(),
                &o["weights_percent"],
            );
        }
        c.report(&format!("subgroups {model_name}"));
    }
}

#[test]
fn fine1993_golden_log_risk_ratio_and_risk_difference() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/golden/fine1993_escalc_2x2_effect_sizes.json"
    ))
    .unwrap();
    let g: Value = serde_json::from_str(&text).unwrap();
    let rows = g["inputs"]["rows"].as_array().unwrap();
    let tables: Vec<TwoByTwo> = rows
        .iter()
        .map(|r| {
            let f = |k: &str| r[k].as_f64().unwrap();
            TwoByTwo::new(f("e2i"), f("nei"), f("c2i"), f("nci")).unwrap()
        })
        .collect();
    let mut c = Cmp::default();
    let e = &g["expected"];
    for (i, t) in tables.iter().enumerate() {
        let StudyEffect::Included(rr) = LogRiskRatio::new(*t).effect().unwrap() else {
            panic!("study {i} excluded")
        };
        let StudyEffect::Included(rd) = RiskDifference::new(*t).effect().unwrap() else {
            panic!("study {i} excluded")
        };
        c.val(&format!("study {i} log RR"), rr.estimate(), &e["y_rr"][i]);
        c.val(
            &format!("study {i} var log RR"),
            rr.variance(),
            &e["v_rr"][i],
        );
        c.val(&format!("study {i} RD"), rd.estimate(), &e["y_rd"][i]);
        c.val(&format!("study {i} var RD"), rd.variance(), &e["v_rd"][i]);
    }
    c.report("fine1993 golden RR/RD");
}

#[test]
fn mantel_haenszel_within_subgroups_and_the_difference_test() {
    let fx = fixture();
    let mut c = Cmp::default();
    for ds in fx["mh_subgroups"].as_array().unwrap() {
        let name = ds["name"].as_str().unwrap();
        let t = tables(&ds["input"]);
        let labels: Vec<&str> = ds["input"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap())
            .collect();
        let mut fits = Vec::new();
        for w in ds["groups"].as_array().unwrap() {
            let label = w["label"].as_str().unwrap();
            let sub: Vec<TwoByTwo> = (0..t.len())
                .filter(|&i| labels[i] == label)
                .map(|i| t[i])
                .collect();
            let mh = MantelHaenszel::default();
            let got = match ds["measure"].as_str().unwrap() {
                "OR" => mh.pool(
                    &sub.iter()
                        .copied()
                        .map(LogOddsRatio::new)
                        .collect::<Vec<_>>(),
                ),
                "RR" => mh.pool(
                    &sub.iter()
                        .copied()
                        .map(LogRiskRatio::new)
                        .collect::<Vec<_>>(),
                ),
                _ => mh.pool(
                    &sub.iter()
                        .copied()
                        .map(RiskDifference::new)
                        .collect::<Vec<_>>(),
                ),
            }
            .unwrap();
            c.val(
                &format!("{name} {label} estimate"),
                got.estimate,
                &w["estimate"],
            );
            c.val(&format!("{name} {label} se"), got.se, &w["se"]);
            fits.push(got);
        }
        let test = SubgroupAnalysis::difference_test(&fits).unwrap();
        let b = &ds["between"];
        assert_eq!(test.df, b["df"].as_f64().unwrap() as usize);
        c.val(&format!("{name} Q between"), test.q, &b["q"]);
        c.val(&format!("{name} Q between q_p"), test.q_p.unwrap(), &b["p"]);
        c.val(&format!("{name} I2 between"), test.i2, &b["i2"]);
    }
    c.report("rma.mh within subgroups");
}
