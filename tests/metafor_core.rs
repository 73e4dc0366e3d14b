//! Every pooled number against R's metafor 3.8-1 (fixtures/metafor/core.json, written by
//! fixtures/metafor/generate_core.R): effect sizes (yi, vi), and FE, DL and MH fits.
//!
//! Tolerance: 1e-10 relative, the same methods computed in the same closed form. Numbers that are
//! zero in one tool (tau2 = 0, I2 = 0, an estimate of 1e-17) are compared against a floor on the
//! scale of the quantity (the SE for locations); see `close`. p-values are compared relatively.
//! The p-values used to carry statrs' `erfc` error (about 1e-10 relative); `normal_two_sided_p`
//! no longer uses it (see `src/tails.rs`).

use metapool::{effect::*, pool::*};
use serde_json::Value;

const REL: f64 = 1e-10;

fn load() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/metafor/core.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn arr(v: &Value, key: &str) -> Vec<f64> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("missing {key}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Relative difference, with an absolute floor for numbers that are zero in one of the tools
/// (e.g. tau2 = 0, I2 = 0): |a - b| <= REL * max(|a|, |b|, floor).
fn close(ours: f64, theirs: f64, floor: f64) -> bool {
    (ours - theirs).abs() <= REL * ours.abs().max(theirs.abs()).max(floor)
}

struct Tracker {
    worst: f64,
    checked: usize,
}

impl Tracker {
    fn check(&mut self, ctx: &str, ours: f64, theirs: f64, floor: f64) {
        let rel = (ours - theirs).abs() / ours.abs().max(theirs.abs()).max(floor);
        if std::env::var("METAPOOL_VERBOSE").is_ok() && rel > 1e-12 {
            eprintln!("{ctx}: rel {rel:e}");
        }
        if rel > self.worst {
            self.worst = rel;
        }
        self.checked += 1;
        assert!(
            close(ours, theirs, floor),
            "{ctx}: ours {ours:e} vs metafor {theirs:e} (rel {rel:e})"
        );
    }
}

fn effect_set(ds: &Value) -> (EffectSet, Option<Vec<LogOddsRatio>>) {
    let input = &ds["input"];
    let measure = ds["measure"].as_str().unwrap();
    match measure {
        "MD" | "SMD_LS" | "SMD_REVMAN" => {
            let (m1, sd1, n1) = (arr(input, "m1"), arr(input, "sd1"), arr(input, "n1"));
            let (m2, sd2, n2) = (arr(input, "m2"), arr(input, "sd2"), arr(input, "n2"));
            let arms: Vec<(Arm, Arm)> = (0..m1.len())
                .map(|i| {
                    (
                        Arm::new(m1[i], sd1[i], n1[i]).unwrap(),
                        Arm::new(m2[i], sd2[i], n2[i]).unwrap(),
                    )
                })
                .collect();
            let set = if measure == "MD" {
                let s: Vec<_> = arms
                    .iter()
                    .map(|&(a, b)| MeanDifference::new(a, b).unwrap())
                    .collect();
                EffectSet::from_studies(&s)
            } else {
                let conv = if measure == "SMD_LS" {
                    SmdConvention::Metafor
                } else {
                    SmdConvention::RevMan5
                };
                let s: Vec<_> = arms
                    .iter()
                    .map(|&(a, b)| {
                        StandardizedMeanDifference::new(a, b)
                            .unwrap()
                            .with_convention(conv)
                    })
                    .collect();
                EffectSet::from_studies(&s)
            };
            (set.unwrap(), None)
        }
        "OR" => {
            let (e1, t1, e2, t2) = (
                arr(input, "events1"),
                arr(input, "total1"),
                arr(input, "events2"),
                arr(input, "total2"),
            );
            let tables: Vec<_> = (0..e1.len())
                .map(|i| LogOddsRatio::new(TwoByTwo::new(e1[i], t1[i], e2[i], t2[i]).unwrap()))
                .collect();
            (EffectSet::from_studies(&tables).unwrap(), Some(tables))
        }
        "PREPOST_MD" => {
            let (mpre, sdpre, mpost, sdpost, n, r) = (
                arr(input, "m_pre"),
                arr(input, "sd_pre"),
                arr(input, "m_post"),
                arr(input, "sd_post"),
                arr(input, "n"),
                arr(input, "r"),
            );
            let s: Vec<_> = (0..n.len())
                .map(|i| {
                    PrePostMeanDifference::new(
                        PrePost {
                            mean_pre: mpre[i],
                            sd_pre: sdpre[i],
                            mean_post: mpost[i],
                            sd_post: sdpost[i],
                            n: n[i],
                        },
                        r[i],
                    )
                    .unwrap()
                })
                .collect();
            (EffectSet::from_studies(&s).unwrap(), None)
        }
        "GENERIC" => {
            let (est, se) = (arr(input, "estimate"), arr(input, "se"));
            let s: Vec<_> = (0..est.len())
                .map(|i| Generic::from_se(est[i], se[i], Scale::Identity).unwrap())
                .collect();
            (EffectSet::from_studies(&s).unwrap(), None)
        }
        other => panic!("unknown measure {other}"),
    }
}

fn compare_fit(t: &mut Tracker, ctx: &str, ours: &Pooled, fit: &Value) {
    let f = |k: &str| fit[k].as_f64().unwrap();
    assert_eq!(ours.k, fit["k"].as_u64().unwrap() as usize, "{ctx}: k");
    // location figures: scale floor from the standard error (an estimate of 1e-17 next to an
    // SE of 0.1 is zero for every purpose)
    let loc_floor = f("se");
    t.check(
        &format!("{ctx} estimate"),
        ours.estimate,
        f("estimate"),
        loc_floor,
    );
    t.check(&format!("{ctx} se"), ours.se, f("se"), 0.0);
    t.check(
        &format!("{ctx} ci_lower"),
        ours.ci_lower,
        f("ci_lower"),
        loc_floor,
    );
    t.check(
        &format!("{ctx} ci_upper"),
        ours.ci_upper,
        f("ci_upper"),
        loc_floor,
    );
    t.check(&format!("{ctx} z"), ours.statistic, f("z"), 1e-8);
    t.check(&format!("{ctx} p"), ours.p, f("p"), 0.0);
    let h = &ours.heterogeneity;
    t.check(&format!("{ctx} q"), h.q, f("q"), 1e-10);
    assert_eq!(h.df, fit["q_df"].as_u64().unwrap() as usize, "{ctx}: df");
    match h.q_p {
        Some(p) => t.check(&format!("{ctx} q_p"), p, f("q_p"), 0.0),
        // one study: metafor prints p = 1 for Q = 0 on 0 df; we report no test
        None => assert_eq!(ours.k, 1, "{ctx}: q_p missing with k > 1"),
    }
    t.check(&format!("{ctx} i2"), h.i2, f("i2"), 1e-8);
    t.check(&format!("{ctx} h2"), h.h2, f("h2"), 1e-8);
    t.check(
        &format!("{ctx} tau2"),
        h.tau2,
        f("tau2"),
        1e-12 * ours.se * ours.se,
    );
    if let Some(w) = fit.get("weights_percent").filter(|w| !w.is_null()) {
        let w: Vec<f64> = w
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(w.len(), ours.weights().len(), "{ctx}: weights length");
        for (i, (a, b)) in ours.weights().iter().zip(&w).enumerate() {
            t.check(&format!("{ctx} weight {i}"), *a, *b, 1e-10);
        }
    }
}

#[test]
fn metafor_core_parity() {
    let data = load();
    let mut t = Tracker {
        worst: 0.0,
        checked: 0,
    };
    let datasets = data["datasets"].as_array().unwrap();
    assert!(datasets.len() >= 20);
    for ds in datasets {
        let name = ds["name"].as_str().unwrap();
        let (set, tables) = effect_set(ds);
        // effect sizes
        let (yi, vi) = (arr(&ds["effects"], "yi"), arr(&ds["effects"], "vi"));
        let included: Vec<usize> = ds["included"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(
            set.included(),
            included.as_slice(),
            "{name}: included studies"
        );
        for (i, e) in set.effects().iter().enumerate() {
            t.check(&format!("{name} yi[{i}]"), e.estimate(), yi[i], e.se());
            t.check(&format!("{name} vi[{i}]"), e.variance(), vi[i], 0.0);
        }
        for fit in ds["fits"].as_array().unwrap() {
            let method = fit["method"].as_str().unwrap();
            let ours = match method {
                "FE" => FixedModel::default().pool(&set).unwrap(),
                "DL" => RandomModel::default().pool(&set).unwrap(),
                "MH" => MantelHaenszel::default()
                    .pool(tables.as_ref().unwrap())
                    .unwrap(),
                other => panic!("unknown method {other}"),
            };
            compare_fit(&mut t, &format!("{name} {method}"), &ours, fit);
        }
    }
    eprintln!(
        "metafor core parity: {} numbers, max relative difference {:e}",
        t.checked, t.worst
    );
}
