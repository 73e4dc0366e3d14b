//! Agreement with metafor 3.8-1 `escalc` for the effect sizes of issue 18, from
//! `fixtures/metafor/measures2.json` (written by `fixtures/metafor/generate_measures2.R`).
//!
//! Tolerance: 1e-12 relative for yi and vi (closed forms; Hedges' J and the hypergeometric
//! function are computed differently from metafor's lgamma and GSL, which the tolerance
//! allows). A reference exactly 0 is compared absolutely at 1e-15. Where escalc refuses the
//! input or gives NA (or a non-finite value), metapool must return a typed error. Each test
//! prints its largest relative difference (`--nocapture`).

use metapool::effect::{
    AlphaEffect, AlphaTransform, Arm, ChangeMeasure, Correlation, CorrelationVariance,
    CronbachAlpha, EffectSize, GroupEffect, GroupMeasure, GroupSummary, LogRatio, MeanChange,
    PairedMeans, PartialCorrelation, PartialScale, RatioMeasure, RawCorrelation, RegressionTest,
    SemiPartialCorrelation, StudyEffect, UnbiasedCorrelation,
};
use metapool::Error;
use serde_json::Value;

const TOL: f64 = 1e-12;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/metafor/measures2.json"
    ))
    .expect("fixture present");
    serde_json::from_str(&text).expect("valid JSON")
}

/// The i-th value of input `name` (a null, R's NA, as NaN).
fn input(entry: &Value, name: &str, i: usize) -> f64 {
    entry["inputs"][name][i].as_f64().unwrap_or(f64::NAN)
}

fn study_count(entry: &Value) -> usize {
    entry["inputs"]
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

/// One study of `entry` as metapool computes it.
pub fn effect_of(entry: &Value, i: usize) -> Result<StudyEffect, Error> {
    let measure = entry["measure"].as_str().unwrap();
    let x = |name: &str| input(entry, name, i);
    let vtype = entry["args"]["vtype"].as_str();
    let change = |m| -> Result<StudyEffect, Error> {
        let p = PairedMeans {
            mean1: x("m1i"),
            sd1: x("sd1i"),
            mean2: x("m2i"),
            sd2: x("sd2i"),
            n: x("ni"),
            r: x("ri"),
        };
        MeanChange::new(p, m).effect()
    };
    let ratio = |m| -> Result<StudyEffect, Error> {
        let a = Arm {
            mean: x("m1i"),
            sd: x("sd1i"),
            n: x("n1i"),
        };
        let b = Arm {
            mean: x("m2i"),
            sd: x("sd2i"),
            n: x("n2i"),
        };
        LogRatio::new(a, b, m).effect()
    };
    let group = |m| -> Result<StudyEffect, Error> {
        let g = GroupSummary {
            mean: x("mi"),
            sd: x("sdi"),
            n: x("ni"),
        };
        GroupEffect::new(g, m).effect()
    };
    let alpha = |t| -> Result<StudyEffect, Error> {
        let a = CronbachAlpha {
            alpha: x("ai"),
            items: x("mi"),
            n: x("ni"),
        };
        AlphaEffect::new(a, t).effect()
    };
    let cor = || Correlation {
        r: x("ri"),
        n: x("ni"),
    };
    let test = || RegressionTest {
        t: x("ti"),
        n: x("ni"),
        predictors: x("mi"),
    };
    match measure {
        "MC" => change(ChangeMeasure::Raw),
        "SMCC" => change(ChangeMeasure::StandardizedByChangeScore),
        "SMCR" => change(ChangeMeasure::StandardizedByRawScore),
        "SMCRH" => change(ChangeMeasure::StandardizedByRawScoreHeteroscedastic),
        "ROMC" => change(ChangeMeasure::LogRatioOfMeans),
        "ROM" => ratio(RatioMeasure::Means),
        "CVR" => ratio(RatioMeasure::CoefficientsOfVariation),
        "VR" => ratio(RatioMeasure::StandardDeviations),
        "MN" => group(GroupMeasure::Mean),
        "MNLN" => group(GroupMeasure::LogMean),
        "CVLN" => group(GroupMeasure::LogCoefficientOfVariation),
        "SDLN" => group(GroupMeasure::LogStandardDeviation),
        "AHW" => alpha(AlphaTransform::HakstianWhalen),
        "ABT" => alpha(AlphaTransform::Bonett),
        "COR" => RawCorrelation::new(cor()).effect(),
        "UCOR" => {
            let v = match vtype {
                Some("UB") => CorrelationVariance::Unbiased,
                _ => CorrelationVariance::LargeSample,
            };
            UnbiasedCorrelation::new(cor()).with_variance(v).effect()
        }
        "PCOR" => PartialCorrelation::new(test(), PartialScale::Raw).effect(),
        "ZPCOR" => PartialCorrelation::new(test(), PartialScale::FisherZ).effect(),
        "SPCOR" => SemiPartialCorrelation {
            test: test(),
            r2: x("r2i"),
        }
        .effect(),
        other => table_measures::effect_of(other, entry, i),
    }
}

#[path = "metafor_measures2/table_measures.rs"]
mod table_measures;

#[derive(Default)]
struct Cmp {
    max_rel: f64,
    worst: String,
    values: usize,
    errors: usize,
}

impl Cmp {
    fn num(&mut self, what: &str, got: f64, want: f64, tol: f64) {
        self.values += 1;
        if want == 0.0 {
            assert!(got.abs() <= 1e-15, "{what}: got {got}, want 0");
            return;
        }
        let rel = (got - want).abs() / want.abs();
        if rel > self.max_rel {
            self.max_rel = rel;
            self.worst = what.to_string();
        }
        assert!(
            rel <= tol,
            "{what}: got {got:e}, want {want:e}, rel {rel:e}"
        );
    }
}

/// Check every entry of the measures `which` against escalc; returns the comparison.
fn check(which: &[&str]) -> Cmp {
    let fx = fixture();
    let mut cmp = Cmp::default();
    let mut seen = std::collections::BTreeSet::new();
    for entry in fx["escalc"].as_array().unwrap() {
        let measure = entry["measure"].as_str().unwrap();
        if !which.contains(&measure) {
            continue;
        }
        let dataset = entry["dataset"].as_str().unwrap();
        seen.insert(measure);
        let vtype = entry["args"]["vtype"].as_str();
        for i in 0..study_count(entry) {
            let what = format!("{measure} {dataset} {} study {i}", entry["args"]);
            let got = effect_of(entry, i);
            let yi = entry["yi"].get(i).and_then(Value::as_f64);
            let vi = entry["vi"].get(i).and_then(Value::as_f64);
            // GSL's hyperg_2F1(1, 1; n/2; 1 - r^2), behind escalc's unbiased variance, keeps
            // only about 11 digits as r -> 0 (at r = 0 it gives 1/(n - 4) to 7e-12; metapool to
            // 2e-16, see `unbiased_variance_at_r_zero_is_exact`)
            // escalc's (1 - y^2)^2 of the correlations cancels as |r| -> 1: its rounding error
            // of y is amplified by about 2 / (1 - r^2) (metapool computes 1 - y^2 without
            // cancellation: `ucor_near_minus_one_matches_mpmath`)
            let r = input(entry, "ri", i);
            // the unbiased variance y^2 - (1 - ...) subtracts numbers of order 1: both sides carry
            // an absolute error of a few 1e-16
            let vi_ref = entry["vi"].get(i).and_then(Value::as_f64).unwrap_or(1.0);
            let vi_tol = if vtype == Some("UB") {
                1e-10 + 5e-16 / vi_ref.abs()
            } else if r.is_finite() {
                TOL + 1e-15 / ((1.0 - r) * (1.0 + r))
            } else {
                TOL
            };
            // escalc forms 1 - r^2 in double, whose rounding error is relatively large for a
            // small r, and F(1/2, 1/2; (n-2)/2; x) has an infinite slope at x = 1 for n < 8:
            // its UCOR has an error of about 1e-16 / |r| (metapool takes r^2 as 1 - x:
            // `hypergeometric` unit test, against mpmath)
            let yi_tol = if measure == "UCOR" && r != 0.0 {
                TOL + 1e-16 / r.abs()
            } else {
                TOL
            };
            match (yi, vi) {
                (Some(yi), Some(vi)) if vi > 0.0 => {
                    let e = match got {
                        Ok(StudyEffect::Included(e)) => e,
                        other => panic!("{what}: escalc gives ({yi}, {vi}), metapool {other:?}"),
                    };
                    cmp.num(&format!("{what} yi"), e.estimate(), yi, yi_tol);
                    cmp.num(&format!("{what} vi"), e.variance(), vi, vi_tol);
                }
                _ => {
                    // escalc refuses the input, or gives NA, a non-finite value or a zero
                    // variance
                    assert!(
                        matches!(
                            got,
                            Err(Error::InvalidField { .. } | Error::InvalidStudy { .. })
                        ),
                        "{what}: escalc gives no value ({:?}), metapool {got:?}",
                        entry.get("error")
                    );
                    cmp.errors += 1;
                }
            }
        }
    }
    assert_eq!(seen.len(), which.len(), "fixture lacks some of {which:?}");
    eprintln!(
        "{which:?}: {} values, {} typed errors, max relative difference {:.3e} ({})",
        cmp.values, cmp.errors, cmp.max_rel, cmp.worst
    );
    cmp
}

#[test]
fn mean_change_measures_agree_with_escalc() {
    check(&["MC", "SMCC", "SMCR", "SMCRH", "ROMC"]);
}

#[test]
fn two_group_ratios_agree_with_escalc() {
    check(&["ROM", "CVR", "VR"]);
}

#[test]
fn single_group_measures_agree_with_escalc() {
    check(&["MN", "MNLN", "CVLN", "SDLN"]);
}

#[test]
fn cronbach_alpha_agrees_with_escalc() {
    check(&["AHW", "ABT"]);
}

#[test]
fn correlations_agree_with_escalc() {
    check(&["COR", "UCOR"]);
}

#[test]
fn partial_correlations_agree_with_escalc() {
    check(&["PCOR", "ZPCOR", "SPCOR"]);
}

#[test]
fn unbiased_variance_at_r_zero_is_exact() {
    // y = 0 and 2F1(1, 1; n/2; 1) = (n - 2)/(n - 4) (Gauss), so v = 1/(n - 4); the formula
    // subtracts from 1 a number near 1 - 1/n, which costs log10(n) digits
    for n in [5.0, 6.0, 7.0, 30.0, 116.0, 1001.0] {
        let c = Correlation::new(0.0, n).unwrap();
        let e = UnbiasedCorrelation::new(c)
            .with_variance(CorrelationVariance::Unbiased)
            .effect()
            .unwrap();
        let StudyEffect::Included(e) = e else {
            unreachable!()
        };
        let want = 1.0 / (n - 4.0);
        assert!(
            (e.variance() - want).abs() <= 1e-16 * n * n * want,
            "n = {n}: {}",
            e.variance()
        );
    }
}

#[test]
fn ucor_near_minus_one_matches_mpmath() {
    // mpmath 1.3 at 40 digits, r = the double nearest -0.9999, n = 7:
    // y = r 2F1(1/2, 1/2; 5/2; 1 - r^2), v = (1 - y^2)^2 / 6
    let c = Correlation::new(-0.9999, 7.0).unwrap();
    let StudyEffect::Included(e) = UnbiasedCorrelation::new(c).effect().unwrap() else {
        unreachable!()
    };
    assert!((e.estimate() - -0.999_919_998_285_676_2).abs() < 2e-16);
    let want = 4.266_508_181_381_497e-9;
    assert!(
        (e.variance() - want).abs() < 1e-14 * want,
        "{}",
        e.variance()
    );
}

#[test]
fn table_measures_agree_with_escalc() {
    check(&["AS", "PHI", "YUQ", "YUY", "PBIT", "OR2DN", "OR2DL"]);
}

/// RTET against the exact maximum-likelihood solution (R: mvtnorm's `pmvnorm` solved by
/// `uniroot` at tol 1e-15, variance from the analytic information) at 1e-9 relative (1e-10
/// absolute for estimates near 0), and
/// against escalc's own Nelder-Mead optimum at 1e-3 relative (5e-5 absolute near 0) for yi
/// and 5e-3 for vi (its `reltol = 1e-8` stops the optimiser about 1e-5 from the maximum, and
/// its variance is a numerical Hessian there). Tables with a zero cell: the estimate is on the boundary
/// (escalc gives yi = ±1 with an arbitrary or missing variance), a typed error here.
#[test]
fn tetrachoric_agrees_with_the_exact_ml_solution_and_escalc() {
    let fx = fixture();
    let mut exact = Cmp::default();
    let mut rough = Cmp::default();
    for entry in fx["rtet_exact"].as_array().unwrap() {
        let dataset = entry["dataset"].as_str().unwrap();
        let escalc = fx["escalc"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["measure"] == "RTET" && e["dataset"] == dataset)
            .expect("escalc RTET entry");
        let mut with_measure = entry.clone();
        with_measure["measure"] = Value::from("RTET");
        for i in 0..study_count(entry) {
            let what = format!("RTET {dataset} study {i}");
            let got = effect_of(&with_measure, i);
            match (entry["yi"][i].as_f64(), entry["vi"][i].as_f64()) {
                (Some(yi), Some(vi)) => {
                    let Ok(StudyEffect::Included(e)) = got else {
                        panic!("{what}: {got:?}")
                    };
                    // absolute 1e-10 for a correlation near 0 (mvtnorm's Miwa algorithm and
                    // uniroot carry about 1e-11 absolute)
                    let tol = 1e-9f64.max(1e-10 / yi.abs());
                    exact.num(&format!("{what} yi"), e.estimate(), yi, tol);
                    exact.num(&format!("{what} vi"), e.variance(), vi, 1e-9);
                    let (ey, ev) = (
                        escalc["yi"][i].as_f64().unwrap(),
                        escalc["vi"][i].as_f64().unwrap(),
                    );
                    rough.num(
                        &format!("{what} escalc yi"),
                        e.estimate(),
                        ey,
                        1e-3f64.max(5e-5 / ey.abs()),
                    );
                    rough.num(&format!("{what} escalc vi"), e.variance(), ev, 5e-3);
                }
                _ => assert!(
                    matches!(
                        got,
                        Err(Error::InvalidField {
                            field: "events",
                            ..
                        })
                    ),
                    "{what}: {got:?}"
                ),
            }
        }
    }
    eprintln!(
        "RTET: {} values vs the exact ML solution, max relative difference {:.3e} ({}); vs \
         escalc {:.3e} ({})",
        exact.values, exact.max_rel, exact.worst, rough.max_rel, rough.worst
    );
}

/// The Cochran-Mantel-Haenszel and Tarone tests of `rma.mh(measure = "OR")`, with `correct =
/// TRUE` (metafor's default) and `FALSE`, on dat.bcg, dat.nielweise2007 (zero cells), a set
/// with double-zero tables and k = 2: statistics at 1e-12 relative, p-values at 1e-10 (the
/// chi-square tails of the crate's `tails` module).
#[test]
fn mantel_haenszel_tests_agree_with_rma_mh() {
    use metapool::effect::{LogOddsRatio, TwoByTwo};
    use metapool::pool::{CmhCorrection, MantelHaenszel};
    let fx = fixture();
    let mut cmp = Cmp::default();
    for row in fx["mh_tests"].as_array().unwrap() {
        let x = |name: &str| -> Vec<f64> {
            row["inputs"][name]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        let (a, b, c, d) = (x("ai"), x("bi"), x("ci"), x("di"));
        let tables: Vec<LogOddsRatio> = (0..a.len())
            .map(|i| {
                LogOddsRatio::new(TwoByTwo::new(a[i], a[i] + b[i], c[i], c[i] + d[i]).unwrap())
            })
            .collect();
        let correction = if row["correct"].as_bool().unwrap() {
            CmhCorrection::Half
        } else {
            CmhCorrection::None
        };
        let fit = MantelHaenszel::default()
            .with_cmh_correction(correction)
            .pool(&tables)
            .unwrap();
        let what = format!("{} correct = {}", row["dataset"], row["correct"]);
        let t = fit.mantel_haenszel_tests.expect("tests of an OR fit");
        if row["dataset"] == "bcg" && correction == CmhCorrection::Half {
            // metafor print.rma.mh: "CMH = 135.6889, df = 1, p-val < .0001",
            // "X^2 = 171.7567, df = 12, p-val < .0001"
            let text = fit.to_string();
            assert!(
                text.contains("Cochran-Mantel-Haenszel test: CMH = 135.6889, df = 1 (P < .0001)"),
                "{text}"
            );
            assert!(
                text.contains(
                    "Tarone's test for heterogeneity: X² = 171.7567, df = 12 (P < .0001)"
                ),
                "{text}"
            );
        }
        let num = |v: &Value| v.as_f64().unwrap();
        cmp.num(
            &format!("{what} estimate"),
            fit.estimate,
            num(&row["estimate"]),
            TOL,
        );
        cmp.num(&format!("{what} CMH"), t.cmh, num(&row["cmh"]), TOL);
        cmp.num(&format!("{what} CMH p"), t.cmh_p, num(&row["cmh_p"]), 1e-10);
        cmp.num(
            &format!("{what} TA"),
            t.tarone.unwrap(),
            num(&row["tarone"]),
            TOL,
        );
        match row["tarone_p"].as_f64() {
            Some(p) => cmp.num(&format!("{what} TA p"), t.tarone_p.unwrap(), p, 1e-10),
            None => assert_eq!(t.tarone_p, None, "{what}"),
        }
    }
    eprintln!(
        "rma.mh tests: {} values, max relative difference {:.3e} ({})",
        cmp.values, cmp.max_rel, cmp.worst
    );
}
