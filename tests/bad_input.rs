//! The bad-input catalogue (`metapool::catalogue`): one test per row, each asserting the exact
//! typed error (variant, study index, field, problem) — never a panic, never a result holding
//! a NaN. Errors are compared through their `Debug` text so that a `NaN` inside a `Problem`
//! compares equal to itself.

use metapool::{
    effect::Arm, effect::ContinuityCorrection, effect::CorrectionRule, effect::Effect,
    effect::EffectSet, effect::Generic, effect::LogOddsRatio, effect::MeanDifference,
    effect::PrePost, effect::PrePostMeanDifference, effect::Scale,
    effect::StandardizedMeanDifference, effect::TwoByTwo, inference::ConfidenceLevel,
    pool::FixedModel, pool::MantelHaenszel, pool::ModelRule, pool::RandomModel, Error, Problem,
};

const NAN: f64 = f64::NAN;
const INF: f64 = f64::INFINITY;

/// Assert `result` is exactly `expected` (no panic happened to get here).
#[track_caller]
fn expect_err<T: std::fmt::Debug>(result: metapool::Result<T>, expected: Error) {
    match result {
        Ok(v) => panic!("expected {expected:?}, got Ok({v:?})"),
        Err(e) => assert_eq!(format!("{e:?}"), format!("{expected:?}")),
    }
}

fn study(study: usize, field: &'static str, problem: Problem) -> Error {
    Error::InvalidStudy {
        study,
        field,
        problem,
    }
}

fn field(field: &'static str, problem: Problem) -> Error {
    Error::InvalidField { field, problem }
}

fn param(name: &'static str, problem: Problem) -> Error {
    Error::InvalidParameter { name, problem }
}

fn unit(got: f64) -> Problem {
    Problem::OutOfRange {
        lo: 0.0,
        hi: 1.0,
        got,
    }
}

/// Pool estimates and variances with both models, as a user would.
fn pool(
    y: &[f64],
    v: &[f64],
) -> metapool::Result<(metapool::pool::Pooled, metapool::pool::Pooled)> {
    let set = EffectSet::from_estimates(y, v)?;
    Ok((
        FixedModel::default().pool(&set)?,
        RandomModel::default().pool(&set)?,
    ))
}

fn arm(mean: f64, sd: f64, n: f64) -> Arm {
    // a struct literal: the fields are public, so invalid arms can reach the effect sizes
    Arm { mean, sd, n }
}

fn ok_arm() -> Arm {
    Arm::new(1.0, 1.0, 10.0).unwrap()
}

fn md_set(arms: &[(Arm, Arm)]) -> metapool::Result<EffectSet> {
    let studies: Vec<_> = arms
        .iter()
        .map(|&(arm1, arm2)| MeanDifference { arm1, arm2 })
        .collect();
    EffectSet::from_studies(&studies)
}

fn table(e1: f64, n1: f64, e2: f64, n2: f64) -> LogOddsRatio {
    LogOddsRatio::new(TwoByTwo {
        events1: e1,
        total1: n1,
        events2: e2,
        total2: n2,
    })
}

fn ok_table() -> LogOddsRatio {
    table(3.0, 20.0, 7.0, 21.0)
}

fn tables(t: &[LogOddsRatio]) -> metapool::Result<EffectSet> {
    EffectSet::from_studies(t)
}

// ---- estimates and variances -------------------------------------------------------------

#[test]
fn r01_estimate_nan() {
    expect_err(
        pool(&[0.1, NAN, 0.3], &[0.1; 3]),
        study(1, "estimate", Problem::NotFinite(NAN)),
    );
}

#[test]
fn r02_estimate_pos_inf() {
    expect_err(
        pool(&[0.1, 0.2, INF], &[0.1; 3]),
        study(2, "estimate", Problem::NotFinite(INF)),
    );
}

#[test]
fn r03_estimate_neg_inf() {
    expect_err(
        pool(&[-INF, 0.2], &[0.1; 2]),
        study(0, "estimate", Problem::NotFinite(-INF)),
    );
}

#[test]
fn r04_variance_nan() {
    expect_err(
        pool(&[0.1, 0.2], &[0.1, NAN]),
        study(1, "variance", Problem::NotFinite(NAN)),
    );
}

#[test]
fn r05_variance_zero() {
    expect_err(
        pool(&[0.1, 0.2], &[0.0, 0.1]),
        study(0, "variance", Problem::NotPositive(0.0)),
    );
}

#[test]
fn r06_variance_negative() {
    expect_err(
        pool(&[0.1, 0.2, 0.3], &[0.1, 0.1, -0.5]),
        study(2, "variance", Problem::NotPositive(-0.5)),
    );
}

#[test]
fn r07_variance_inf() {
    expect_err(
        pool(&[0.1, 0.2], &[INF, 0.1]),
        study(0, "variance", Problem::NotFinite(INF)),
    );
}

#[test]
fn r08_se_zero() {
    expect_err(
        Effect::from_se(0.1, 0.0),
        field("se", Problem::NotPositive(0.0)),
    );
}

#[test]
fn r09_se_negative() {
    expect_err(
        Generic::from_se(0.1, -0.2, Scale::Identity),
        field("se", Problem::NotPositive(-0.2)),
    );
}

#[test]
fn r10_se_squares_to_zero() {
    // 1e-200 is positive, but its square underflows: the variance would be 0
    expect_err(
        Effect::from_se(0.1, 1e-200),
        field("se", Problem::DegenerateVariance(0.0)),
    );
}

#[test]
fn r11_se_squares_to_inf() {
    expect_err(
        Effect::from_se(0.1, 1e200),
        field("se", Problem::DegenerateVariance(INF)),
    );
}

#[test]
fn r12_lengths_differ() {
    expect_err(
        EffectSet::from_estimates(&[0.1, 0.2, 0.3], &[0.1, 0.1]),
        param(
            "variances",
            Problem::LengthMismatch {
                expected: 3,
                got: 2,
            },
        ),
    );
}

#[test]
fn r13_deserialized_effect_bypassing_checks() {
    // issue 10: deserialization is validated like construction, so the invalid effect is a
    // serde error naming the field (it used to deserialize and fail when pooled)
    let bad = serde_json::from_str::<Effect>(r#"{"estimate":0.2,"variance":-1.0}"#).unwrap_err();
    assert!(
        bad.to_string().contains("`variance` must be > 0, got -1"),
        "{bad}"
    );
    let good = Effect::new(0.1, 0.1).unwrap();
    assert!(EffectSet::from_effects(vec![good], Scale::Identity).is_ok());
}

// ---- continuous arms -----------------------------------------------------------------------

#[test]
fn r14_sd_zero() {
    expect_err(
        md_set(&[(ok_arm(), ok_arm()), (ok_arm(), arm(1.0, 0.0, 10.0))]),
        study(1, "sd2", Problem::NotPositive(0.0)),
    );
}

#[test]
fn r15_sd_negative() {
    expect_err(
        md_set(&[(arm(1.0, -1.0, 10.0), ok_arm())]),
        study(0, "sd1", Problem::NotPositive(-1.0)),
    );
}

#[test]
fn r16_sd_nan() {
    expect_err(
        Arm::new(1.0, NAN, 10.0),
        field("sd", Problem::NotFinite(NAN)),
    );
}

#[test]
fn r17_n_one_where_sd_needed() {
    expect_err(
        md_set(&[
            (ok_arm(), ok_arm()),
            (ok_arm(), ok_arm()),
            (arm(1.0, 1.0, 1.0), ok_arm()),
        ]),
        study(2, "n1", Problem::TooSmall { min: 2.0, got: 1.0 }),
    );
}

#[test]
fn r18_n_zero() {
    expect_err(
        Arm::new(1.0, 1.0, 0.0),
        field("n", Problem::TooSmall { min: 2.0, got: 0.0 }),
    );
}

#[test]
fn r19_n_not_integer() {
    expect_err(
        md_set(&[(ok_arm(), arm(1.0, 1.0, 12.5))]),
        study(0, "n2", Problem::NotInteger(12.5)),
    );
}

#[test]
fn r20_n_negative() {
    expect_err(
        Arm::new(1.0, 1.0, -4.0),
        field("n", Problem::Negative(-4.0)),
    );
}

#[test]
fn r21_mean_inf() {
    expect_err(
        md_set(&[(arm(INF, 1.0, 10.0), ok_arm())]),
        study(0, "m1", Problem::NotFinite(INF)),
    );
}

#[test]
fn r22_smd_arm_n_one() {
    let s = StandardizedMeanDifference {
        arm1: ok_arm(),
        arm2: arm(0.0, 1.0, 1.0),
        convention: Default::default(),
    };
    expect_err(
        EffectSet::from_studies(&[s]),
        study(0, "n2", Problem::TooSmall { min: 2.0, got: 1.0 }),
    );
}

#[test]
fn r23_mean_difference_overflows() {
    // both means finite, their difference is not
    expect_err(
        md_set(&[
            (ok_arm(), ok_arm()),
            (arm(1e308, 1.0, 10.0), arm(-1e308, 1.0, 10.0)),
        ]),
        study(1, "mean difference", Problem::NotFinite(INF)),
    );
}

#[test]
fn r24_md_variance_overflows() {
    expect_err(
        md_set(&[(arm(0.0, 1e200, 10.0), ok_arm())]),
        study(0, "mean difference", Problem::DegenerateVariance(INF)),
    );
}

#[test]
fn r25_md_variance_underflows() {
    expect_err(
        md_set(&[(arm(0.0, 1e-200, 10.0), arm(1.0, 1e-200, 10.0))]),
        study(0, "mean difference", Problem::DegenerateVariance(0.0)),
    );
}

#[test]
fn r26_pre_post_r_outside_unit() {
    let d = PrePost {
        mean_pre: 5.0,
        sd_pre: 1.0,
        mean_post: 4.0,
        sd_post: 1.0,
        n: 10.0,
    };
    expect_err(
        PrePostMeanDifference::new(d, 1.5),
        field(
            "r",
            Problem::OutOfRange {
                lo: -1.0,
                hi: 1.0,
                got: 1.5,
            },
        ),
    );
}

#[test]
fn r27_pre_post_degenerate_variance() {
    // r = 1 with equal SDs: every patient changes by exactly the mean change, v = 0
    let d = PrePost {
        mean_pre: 5.0,
        sd_pre: 1.0,
        mean_post: 4.0,
        sd_post: 1.0,
        n: 10.0,
    };
    expect_err(
        PrePostMeanDifference::new(d, 1.0),
        field("r", Problem::DegenerateVariance(0.0)),
    );
}

// ---- 2x2 tables --------------------------------------------------------------------------

#[test]
fn r28_events_exceed_total() {
    expect_err(
        tables(&[ok_table(), table(21.0, 20.0, 7.0, 21.0)]),
        study(
            1,
            "events1",
            Problem::EventsExceedTotal {
                events: 21.0,
                total: 20.0,
            },
        ),
    );
}

#[test]
fn r29_negative_count() {
    expect_err(
        tables(&[ok_table(), ok_table(), table(3.0, 20.0, -1.0, 21.0)]),
        study(2, "events2", Problem::Negative(-1.0)),
    );
}

#[test]
fn r30_non_integer_count() {
    expect_err(
        tables(&[table(3.5, 20.0, 7.0, 21.0)]),
        study(0, "events1", Problem::NotInteger(3.5)),
    );
}

#[test]
fn r31_total_zero() {
    expect_err(
        TwoByTwo::new(0.0, 0.0, 7.0, 21.0),
        field("total1", Problem::TooSmall { min: 1.0, got: 0.0 }),
    );
}

#[test]
fn r32_count_nan() {
    expect_err(
        MantelHaenszel::default().pool(&[ok_table(), table(3.0, NAN, 7.0, 21.0)]),
        study(1, "total1", Problem::NotFinite(NAN)),
    );
}

#[test]
fn r33_all_double_zero_tables() {
    let t = [table(0.0, 10.0, 0.0, 12.0), table(0.0, 30.0, 0.0, 31.0)];
    expect_err(tables(&t), Error::AllExcluded { excluded: 2 });
    expect_err(
        MantelHaenszel::default().pool(&t),
        Error::AllExcluded { excluded: 2 },
    );
    expect_err(
        EffectSet::from_studies(&t)
            .and_then(|set| ModelRule::default().mantel_haenszel().select(&set)),
        Error::AllExcluded { excluded: 2 },
    );
}

#[test]
fn r34_all_events_in_both_arms() {
    expect_err(
        tables(&[table(10.0, 10.0, 12.0, 12.0)]),
        Error::AllExcluded { excluded: 1 },
    );
}

#[test]
fn r35_mantel_haenszel_undefined() {
    // every table has b = 0 (all of arm 1 had the event): sum b c / N = 0, OR_MH infinite
    expect_err(
        MantelHaenszel::default().pool(&[table(5.0, 5.0, 3.0, 10.0), table(8.0, 8.0, 1.0, 9.0)]),
        Error::Undefined {
            what: "Mantel-Haenszel ratio",
            why: "a Mantel-Haenszel numerator or denominator sum over the tables is zero",
        },
    );
}

#[test]
fn r36_zero_cell_without_correction() {
    let t = table(0.0, 10.0, 3.0, 10.0)
        .with_correction(ContinuityCorrection::new(0.5, CorrectionRule::Never).unwrap());
    expect_err(
        tables(&[ok_table(), t]),
        study(1, "events", Problem::DegenerateVariance(0.0)),
    );
}

#[test]
fn r37_continuity_correction_not_positive() {
    expect_err(
        ContinuityCorrection::new(0.0, CorrectionRule::AllTables),
        field("continuity correction", Problem::NotPositive(0.0)),
    );
    expect_err(
        ContinuityCorrection::new(NAN, CorrectionRule::AllTables),
        field("continuity correction", Problem::NotFinite(NAN)),
    );
}

#[test]
fn r38_negative_correction_bypassing_constructor() {
    let t = ok_table().with_correction(ContinuityCorrection {
        value: -0.5,
        rule: CorrectionRule::AllTables,
    });
    expect_err(
        tables(&[ok_table(), t]),
        study(1, "continuity correction", Problem::NotPositive(-0.5)),
    );
}

// ---- study lists ---------------------------------------------------------------------------

#[test]
fn r39_empty_study_list() {
    expect_err(pool(&[], &[]), Error::Empty);
    expect_err(EffectSet::from_studies::<MeanDifference>(&[]), Error::Empty);
    expect_err(
        MantelHaenszel::default().pool::<LogOddsRatio>(&[]),
        Error::Empty,
    );
    expect_err(EffectSet::from_effects(vec![], Scale::Log), Error::Empty);
}

// ---- generic inverse variance: estimates with CIs --------------------------------------------

#[test]
fn r40_ci_bounds_swapped() {
    expect_err(
        Generic::from_ci(0.5, 0.9, 0.1, ConfidenceLevel::default(), Scale::Identity),
        field(
            "ci_lower",
            Problem::CiBoundsSwapped {
                lower: 0.9,
                upper: 0.1,
            },
        ),
    );
}

#[test]
fn r41_ci_bounds_equal() {
    expect_err(
        Generic::from_ci(0.5, 0.5, 0.5, ConfidenceLevel::default(), Scale::Identity),
        field(
            "ci_lower",
            Problem::CiBoundsSwapped {
                lower: 0.5,
                upper: 0.5,
            },
        ),
    );
}

#[test]
fn r42_ci_excludes_estimate() {
    expect_err(
        Generic::from_ci(1.2, 0.1, 0.9, ConfidenceLevel::default(), Scale::Identity),
        field(
            "estimate",
            Problem::CiExcludesEstimate {
                estimate: 1.2,
                lower: 0.1,
                upper: 0.9,
            },
        ),
    );
}

#[test]
fn r43_ratio_not_positive() {
    expect_err(
        Generic::from_ci(1.2, 0.0, 1.9, ConfidenceLevel::default(), Scale::Log),
        field("ci_lower", Problem::RatioNotPositive(0.0)),
    );
    expect_err(
        Generic::from_ci(-1.0, 0.5, 1.9, ConfidenceLevel::default(), Scale::Log),
        field("estimate", Problem::RatioNotPositive(-1.0)),
    );
}

#[test]
fn r44_ci_width_overflows() {
    expect_err(
        Generic::from_ci(
            0.0,
            -1e308,
            1e308,
            ConfidenceLevel::default(),
            Scale::Identity,
        ),
        field("se", Problem::NotFinite(INF)),
    );
}

#[test]
fn r45_ci_bound_nan() {
    expect_err(
        Generic::from_ci(0.5, NAN, 0.9, ConfidenceLevel::default(), Scale::Identity),
        field("ci_lower", Problem::NotFinite(NAN)),
    );
}

// ---- parameters ----------------------------------------------------------------------------

#[test]
fn r46_confidence_level_zero() {
    expect_err(ConfidenceLevel::new(0.0), param("level", unit(0.0)));
}

#[test]
fn r47_confidence_level_one() {
    expect_err(ConfidenceLevel::new(1.0), param("level", unit(1.0)));
}

#[test]
fn r48_confidence_level_one_and_a_half() {
    expect_err(ConfidenceLevel::new(1.5), param("level", unit(1.5)));
}

#[test]
fn r49_confidence_level_nan() {
    expect_err(
        ConfidenceLevel::new(NAN),
        param("level", Problem::NotFinite(NAN)),
    );
}

#[test]
fn r50_confidence_level_percent_in_json() {
    // 95 instead of 0.95: rejected on deserialization too
    let e = serde_json::from_str::<ConfidenceLevel>("95").unwrap_err();
    assert_eq!(e.to_string(), param("level", unit(95.0)).to_string());
}

#[test]
fn r51_alpha_zero_one_negative_nan() {
    expect_err(ModelRule::new(0.0), param("alpha", unit(0.0)));
    expect_err(ModelRule::new(1.0), param("alpha", unit(1.0)));
    expect_err(ModelRule::new(-0.1), param("alpha", unit(-0.1)));
    expect_err(ModelRule::new(NAN), param("alpha", Problem::NotFinite(NAN)));
}

#[test]
fn r52_alpha_out_of_range_in_json() {
    let json = serde_json::to_string(&ModelRule::default())
        .unwrap()
        .replace("\"alpha\":0.1", "\"alpha\":10.0");
    assert!(json.contains("10.0"), "{json}");
    let e = serde_json::from_str::<ModelRule>(&json).unwrap_err();
    assert_eq!(e.to_string(), param("alpha", unit(10.0)).to_string());
}

// ---- numerical failure -----------------------------------------------------------------------

#[test]
fn r53_inverse_variance_sum_overflows() {
    // a subnormal variance is positive and finite, but 1/v is not
    expect_err(
        pool(&[1.0, 2.0], &[1e-320, 1.0]),
        Error::NonFinite {
            what: "inverse-variance sums",
        },
    );
}

#[test]
fn r54_deviation_overflows() {
    // y_i - y_0 = -2e308 overflows the weighted sum
    expect_err(
        pool(&[1e308, -1e308], &[1.0, 1.0]),
        Error::NonFinite {
            what: "inverse-variance sums",
        },
    );
}

#[test]
fn r55_z_statistic_overflows() {
    expect_err(
        pool(&[1e300, 1e300], &[1e-300, 1e-300]),
        Error::NonFinite {
            what: "z statistic",
        },
    );
}

#[test]
fn r56_smd_difference_overflows() {
    let s = StandardizedMeanDifference::new(
        Arm::new(1e308, 1.0, 10.0).unwrap(),
        Arm::new(-1e308, 1.0, 10.0).unwrap(),
    )
    .unwrap();
    expect_err(
        EffectSet::from_studies(&[s]),
        study(0, "standardized mean difference", Problem::NotFinite(INF)),
    );
}

// ---- estimators, tests, intervals, subgroups, measures, batch (rows 57-74) ------------------

mod merged_api {
    use super::*;
    use metapool::batch::{Analyses, BatchPooler, BatchResults, InverseVarianceSums};
    use metapool::{
        effect::Correlation, effect::FisherZ, effect::LogRiskRatio, effect::Proportion,
        effect::ProportionEffect, effect::ProportionTransform, pool::Peto, pool::PredictionKind,
        pool::SubgroupAnalysis, pool::SubgroupModel, pool::Tau2Control, pool::Tau2Estimator,
        pool::Test,
    };

    fn five() -> EffectSet {
        EffectSet::from_estimates(&[0.1, 0.9, 0.4, 2.0, -1.0], &[0.01, 0.02, 0.015, 0.5, 1.0])
            .unwrap()
    }

    #[test]
    fn r57_one_study_with_knapp_hartung() {
        // issue 10: as metafor ("Setting argument test=\"z\" since k=1"), a t-based test on
        // one study falls back to z and says so
        let one = EffectSet::from_estimates(&[0.3], &[0.01]).unwrap();
        let z = RandomModel::default().pool(&one).unwrap();
        for test in [Test::KnappHartung, Test::KnappHartungAdHoc, Test::T] {
            let fit = RandomModel::default().with_test(test).pool(&one).unwrap();
            assert_eq!(fit.test, Test::Z);
            assert_eq!(fit.df, None);
            assert_eq!(
                fit.notes,
                vec![metapool::pool::Note::ZTestForOneStudy { requested: test }]
            );
            assert_eq!((fit.estimate, fit.se, fit.p), (z.estimate, z.se, z.p));
        }
    }

    #[test]
    fn r58_fisher_scoring_does_not_converge() {
        let control = Tau2Control::metafor().with_max_iterations(1).unwrap();
        for est in [
            Tau2Estimator::RestrictedMaximumLikelihood,
            Tau2Estimator::MaximumLikelihood,
            Tau2Estimator::EmpiricalBayes,
        ] {
            match RandomModel::default()
                .with_estimator(est)
                .with_control(control)
                .pool(&five())
            {
                Err(Error::NotConverged {
                    method: "Fisher scoring",
                    iterations: 2,
                    last_iterate,
                    last_change,
                }) => assert!(
                    last_change.is_finite() && last_change > 1e-5 && last_iterate > 0.0,
                    "{est:?}"
                ),
                other => panic!("{est:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn r59_paule_mandel_does_not_converge() {
        let control = Tau2Control::metafor().with_max_iterations(1).unwrap();
        match RandomModel::default()
            .with_estimator(Tau2Estimator::PauleMandel)
            .with_control(control)
            .pool(&five())
        {
            Err(Error::NotConverged {
                method: "Paule-Mandel root search",
                iterations: 1,
                last_iterate,
                last_change,
            }) => assert!(last_change.is_finite() && last_change > 0.0 && last_iterate >= 0.0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn r60_iteration_control_out_of_range() {
        expect_err(
            Tau2Control::default().with_max_iterations(0),
            param("max_iterations", Problem::TooSmall { min: 1.0, got: 0.0 }),
        );
        expect_err(
            Tau2Control::default().with_threshold(-1.0),
            param("threshold", Problem::NotPositive(-1.0)),
        );
        expect_err(
            Tau2Control::default().with_threshold(NAN),
            param("threshold", Problem::NotFinite(NAN)),
        );
    }

    #[test]
    fn r61_proportion_events_exceed_total() {
        let p = ProportionEffect::new(
            Proportion {
                events: 5.0,
                total: 3.0,
            },
            ProportionTransform::Logit,
        );
        let ok = ProportionEffect::new(
            Proportion::new(1.0, 3.0).unwrap(),
            ProportionTransform::Logit,
        );
        expect_err(
            EffectSet::from_studies(&[ok, p]),
            study(
                1,
                "events",
                Problem::EventsExceedTotal {
                    events: 5.0,
                    total: 3.0,
                },
            ),
        );
    }

    #[test]
    fn r62_proportion_total_zero() {
        expect_err(
            Proportion::new(0.0, 0.0),
            field("total", Problem::TooSmall { min: 1.0, got: 0.0 }),
        );
    }

    #[test]
    fn r63_correlation_of_one() {
        expect_err(
            Correlation::new(1.0, 10.0),
            field(
                "r",
                Problem::OutOfRange {
                    lo: -1.0,
                    hi: 1.0,
                    got: 1.0,
                },
            ),
        );
    }

    #[test]
    fn r64_fisher_z_needs_four() {
        expect_err(
            EffectSet::from_studies(&[FisherZ::new(Correlation { r: 0.5, n: 3.0 })]),
            study(0, "n", Problem::TooSmall { min: 4.0, got: 3.0 }),
        );
    }

    #[test]
    fn r65_prediction_interval_of_a_fixed_fit() {
        expect_err(
            FixedModel::default()
                .pool(&five())
                .unwrap()
                .prediction_interval(PredictionKind::Metafor),
            Error::Undefined {
                what: "prediction interval",
                why: "the model has no between-study variance (fixed effect)",
            },
        );
    }

    #[test]
    fn r66_subgroup_labels_of_wrong_length() {
        expect_err(
            SubgroupAnalysis::new(SubgroupModel::Fixed)
                .pool(&five(), &[1, 2])
                .map(|_| ()),
            param(
                "groups",
                Problem::LengthMismatch {
                    expected: 5,
                    got: 2,
                },
            ),
        );
    }

    #[test]
    fn r67_batch_layout_inconsistent() {
        expect_err(
            Analyses::with_offsets(&[0.1, 0.2], &[0.1, 0.1], &[0, 3]).map(|_| ()),
            Error::InvalidLayout {
                why: "the last offset is not the number of studies",
                at: 1,
            },
        );
        expect_err(
            Analyses::with_offsets(&[0.1, 0.2], &[0.1], &[0, 1]).map(|_| ()),
            Error::InvalidLayout {
                why: "the effect and variance columns differ in length",
                at: 1,
            },
        );
    }

    #[test]
    fn r68_batch_names_analysis_and_study() {
        let a = Analyses::with_offsets(&[0.1, 0.2, NAN], &[0.1, 0.1, 0.1], &[0, 1, 3]).unwrap();
        let mut out = BatchResults::default();
        expect_err(
            BatchPooler::default()
                .with_on_failure(metapool::batch::OnFailure::Stop)
                .pool(&a, &mut out),
            Error::InAnalysis {
                analysis: 1,
                source: Box::new(study(1, "estimate", Problem::NotFinite(NAN))),
            },
        );
        // by default the batch goes on and says why in the analysis' status
        BatchPooler::default().pool(&a, &mut out).unwrap();
        assert_eq!(
            out.status[1],
            metapool::batch::AnalysisStatus::Failed(metapool::batch::FailureReason::InvalidStudy)
        );
        assert!(matches!(
            out.failures[0].1,
            Error::InvalidStudy { study: 1, .. }
        ));
    }

    #[test]
    fn r69_accumulator_negative_tau2() {
        expect_err(
            InverseVarianceSums::with_tau2(-1.0),
            param("tau2", Problem::Negative(-1.0)),
        );
    }

    #[test]
    fn r70_risk_ratio_all_excluded_and_peto_empty() {
        let t = [LogRiskRatio::new(
            TwoByTwo::new(0.0, 10.0, 0.0, 10.0).unwrap(),
        )];
        expect_err(
            metapool::pool::MantelHaenszel::default().pool(&t),
            Error::AllExcluded { excluded: 1 },
        );
        expect_err(Peto::default().pool::<TwoByTwo>(&[]), Error::Empty);
    }
}
