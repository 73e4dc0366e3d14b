//! Agreement with metafor 3.8-1 `escalc` for the incidence-rate measures of
//! `fixtures/metafor/rates.json` (written by `fixtures/metafor/generate_rates.R`): IR, IRLN,
//! IRS, IRFT for one group, IRR, IRD, IRSD for two, on dat.nielweise2008, dat.hart1999 and a
//! generated set with zero counts, double zeros and person-times down to 1e-6, each with
//! metafor's default correction, `add = 1/2, to = "all"` and (where defined) `add = 0`.
//!
//! Tolerance: 1e-12 relative (closed forms; the largest seen is printed with `--nocapture`).

use metapool::effect::{
    ContinuityCorrection, CorrectionRule, EffectSize, IncidenceRate, IncidenceRateComparison,
    PersonTime, RateComparison, RateTable, RateTransform, StudyEffect,
};
use serde_json::Value;

const TOL: f64 = 1e-12;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/metafor/rates.json"
    ))
    .expect("fixture present");
    serde_json::from_str(&text).expect("valid JSON")
}

fn nums(v: &Value) -> Vec<Option<f64>> {
    v.as_array().unwrap().iter().map(Value::as_f64).collect()
}

fn correction(variant: &str) -> Option<ContinuityCorrection> {
    match variant {
        "default" => None,
        "all" => Some(ContinuityCorrection::new(0.5, CorrectionRule::AllTables).unwrap()),
        "none" => Some(ContinuityCorrection::new(0.5, CorrectionRule::Never).unwrap()),
        other => panic!("unknown variant {other}"),
    }
}

fn compare(what: &str, got: StudyEffect, yi: Option<f64>, vi: Option<f64>, max: &mut f64) {
    match (got, yi, vi) {
        // metafor writes NA for the estimate of an excluded study (IRSD keeps its vi, which
        // does not depend on the counts)
        (StudyEffect::Excluded(_), None, _) => {}
        (StudyEffect::Included(e), Some(y), Some(v)) => {
            for (name, g, w) in [("yi", e.estimate(), y), ("vi", e.variance(), v)] {
                let rel = if w == 0.0 {
                    g.abs()
                } else {
                    ((g - w) / w).abs()
                };
                assert!(
                    rel <= TOL,
                    "{what} {name}: got {g}, metafor {w} (rel {rel:e})"
                );
                *max = max.max(rel);
            }
        }
        other => panic!("{what}: got {other:?}, metafor ({yi:?}, {vi:?})"),
    }
}

#[test]
fn two_group_measures_match_escalc() {
    let f = fixture();
    let (mut max, mut n) = (0.0f64, 0);
    for set in f["two_groups"].as_array().unwrap() {
        let name = set["name"].as_str().unwrap();
        let (x1, t1, x2, t2) = (
            nums(&set["x1"]),
            nums(&set["t1"]),
            nums(&set["x2"]),
            nums(&set["t2"]),
        );
        for variant in ["default", "all", "none"] {
            for (m, comparison) in [
                ("IRR", RateComparison::Ratio),
                ("IRD", RateComparison::Difference),
                ("IRSD", RateComparison::SquareRootDifference),
            ] {
                let Some(want) = set[variant].get(m) else {
                    continue;
                };
                let (yi, vi) = (nums(&want["yi"]), nums(&want["vi"]));
                for i in 0..x1.len() {
                    let table = RateTable::new(
                        x1[i].unwrap(),
                        t1[i].unwrap(),
                        x2[i].unwrap(),
                        t2[i].unwrap(),
                    )
                    .unwrap();
                    let mut es = IncidenceRateComparison::new(table, comparison);
                    if let Some(c) = correction(variant) {
                        es = es.with_correction(c);
                    }
                    let what = format!("{name} {variant} {m} study {i}");
                    compare(&what, es.effect().unwrap(), yi[i], vi[i], &mut max);
                    n += 1;
                }
            }
        }
    }
    println!("two-group rate measures: {n} studies, max rel diff {max:e}");
    assert!(n > 100);
}

#[test]
fn one_group_measures_match_escalc() {
    let f = fixture();
    let (mut max, mut n) = (0.0f64, 0);
    for set in f["one_group"].as_array().unwrap() {
        let name = set["name"].as_str().unwrap();
        let (x, t) = (nums(&set["x"]), nums(&set["t"]));
        for variant in ["default", "all", "none"] {
            for (m, transform) in [
                ("IR", RateTransform::Raw),
                ("IRLN", RateTransform::Log),
                ("IRS", RateTransform::SquareRoot),
                ("IRFT", RateTransform::FreemanTukey),
            ] {
                let Some(want) = set[variant].get(m) else {
                    continue;
                };
                let (yi, vi) = (nums(&want["yi"]), nums(&want["vi"]));
                for i in 0..x.len() {
                    let data = PersonTime::new(x[i].unwrap(), t[i].unwrap()).unwrap();
                    let mut es = IncidenceRate::new(data, transform);
                    if let Some(c) = correction(variant) {
                        es = es.with_correction(c);
                    }
                    let what = format!("{name} {variant} {m} study {i}");
                    compare(&what, es.effect().unwrap(), yi[i], vi[i], &mut max);
                    n += 1;
                }
            }
        }
    }
    println!("one-group rate measures: {n} studies, max rel diff {max:e}");
    assert!(n > 150);
}

#[test]
fn bad_rate_input_is_a_typed_error_naming_the_field() {
    use metapool::{effect::EffectSet, Error, Problem};
    assert_eq!(
        RateTable::new(1.0, 10.0, -2.0, 5.0).unwrap_err(),
        Error::InvalidField {
            field: "events2",
            problem: Problem::Negative(-2.0)
        }
    );
    assert!(matches!(
        PersonTime::new(1.0, f64::NAN),
        Err(Error::InvalidField {
            field: "time",
            problem: Problem::NotFinite(_)
        })
    ));
    // a value that bypassed the constructor fails when its effect is computed, naming the study
    let bad = IncidenceRateComparison::new(
        RateTable {
            group1: PersonTime {
                events: 1.0,
                time: 2.0,
            },
            group2: PersonTime {
                events: 1.5,
                time: 2.0,
            },
        },
        RateComparison::Ratio,
    );
    let good = IncidenceRateComparison::new(
        RateTable::new(1.0, 2.0, 3.0, 4.0).unwrap(),
        RateComparison::Ratio,
    );
    assert_eq!(
        EffectSet::from_studies(&[good, bad]).unwrap_err(),
        Error::InvalidStudy {
            study: 1,
            field: "events2",
            problem: Problem::NotInteger(1.5)
        }
    );
    // no correction and no events: the log rate is undefined, a typed error
    let never = ContinuityCorrection::new(0.5, CorrectionRule::Never).unwrap();
    let zero = IncidenceRate::new(PersonTime::new(0.0, 3.0).unwrap(), RateTransform::Log)
        .with_correction(never);
    assert!(matches!(
        zero.effect(),
        Err(Error::InvalidField {
            field: "events",
            ..
        })
    ));
    // all studies double-zero
    let dz = IncidenceRateComparison::new(
        RateTable::new(0.0, 2.0, 0.0, 4.0).unwrap(),
        RateComparison::Ratio,
    );
    assert_eq!(
        EffectSet::from_studies(&[dz]).unwrap_err(),
        Error::AllExcluded { excluded: 1 }
    );
}
