//! Edge cases of the additional measures, models and subgroups: typed errors, exclusions and
//! back-transformations at the boundaries. Expected values are closed forms worked by hand.

use metapool::{
    effect::ContinuityCorrection, effect::CorrectionRule, effect::Correlation, effect::EffectSet,
    effect::EffectSize, effect::Exclusion, effect::LogRiskRatio, effect::Proportion,
    effect::ProportionEffect, effect::ProportionTransform, effect::RiskDifference, effect::Scale,
    effect::StudyEffect, effect::TwoByTwo, pool::MantelHaenszel, pool::Peto,
    pool::SubgroupAnalysis, pool::SubgroupModel, Error, Problem,
};

const NEVER: ContinuityCorrection = ContinuityCorrection {
    value: 0.5,
    rule: CorrectionRule::Never,
};

fn prop(x: f64, n: f64, t: ProportionTransform) -> ProportionEffect {
    ProportionEffect::new(Proportion::new(x, n).unwrap(), t)
}

#[test]
fn raw_proportion_without_correction_at_zero_events_is_a_typed_error() {
    let studies = [
        prop(3.0, 10.0, ProportionTransform::Raw),
        prop(0.0, 10.0, ProportionTransform::Raw).with_correction(NEVER),
    ];
    let err = EffectSet::from_studies(&studies).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidStudy {
            study: 1,
            field: "events",
            problem: Problem::DegenerateVariance(_)
        }
    ));
    // metafor's default adds 1/2: p = 0.5 / 11, v = p (1 - p) / 11
    let StudyEffect::Included(e) = prop(0.0, 10.0, ProportionTransform::Raw).effect().unwrap()
    else {
        panic!()
    };
    let p = 0.5 / 11.0;
    assert!((e.estimate() - p).abs() < 1e-16);
    assert!((e.variance() - p * (1.0 - p) / 11.0).abs() < 1e-17);
}

#[test]
fn logit_without_correction_at_all_events_is_a_typed_error() {
    let s = prop(10.0, 10.0, ProportionTransform::Logit).with_correction(NEVER);
    assert!(matches!(
        s.effect(),
        Err(Error::InvalidField {
            field: "events",
            ..
        })
    ));
}

#[test]
fn arcsine_and_freeman_tukey_need_no_correction() {
    let StudyEffect::Included(e) = prop(0.0, 8.0, ProportionTransform::Arcsine)
        .effect()
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(e.estimate(), 0.0);
    assert_eq!(e.variance(), 1.0 / 32.0);
    let StudyEffect::Included(e) = prop(8.0, 8.0, ProportionTransform::FreemanTukey)
        .effect()
        .unwrap()
    else {
        panic!()
    };
    // 1/2 (asin(sqrt(8/9)) + asin(1)), v = 1 / 34
    let want = 0.5 * ((8.0f64 / 9.0).sqrt().asin() + std::f64::consts::FRAC_PI_2);
    assert!((e.estimate() - want).abs() < 1e-15);
    assert_eq!(e.variance(), 1.0 / 34.0);
}

#[test]
fn freeman_tukey_scale_uses_the_harmonic_mean_of_the_included_studies() {
    let studies = [
        prop(1.0, 10.0, ProportionTransform::FreemanTukey),
        prop(5.0, 40.0, ProportionTransform::FreemanTukey),
    ];
    let set = EffectSet::from_studies(&studies).unwrap();
    let Scale::FreemanTukey { harmonic_n } = set.scale() else {
        panic!("scale {:?}", set.scale())
    };
    assert!((harmonic_n - 2.0 / (0.1 + 0.025)).abs() < 1e-13);
}

#[test]
fn back_transformations_are_finite_nondecreasing_and_clamped() {
    let scales = [
        Scale::Identity,
        Scale::Log,
        Scale::Logit,
        Scale::Arcsine,
        Scale::FreemanTukey { harmonic_n: 7.3 },
        Scale::FreemanTukey { harmonic_n: 200.0 },
        Scale::FisherZ,
    ];
    for s in scales {
        let mut last = f64::NEG_INFINITY;
        for i in -400..=400 {
            let x = i as f64 / 100.0;
            let d = s.to_display(x);
            assert!(!d.is_nan(), "{s:?} at {x}");
            assert!(d >= last, "{s:?} decreases at {x}: {last} -> {d}");
            last = d;
        }
    }
    assert_eq!(Scale::Arcsine.to_display(2.0), 1.0);
    let ft = Scale::FreemanTukey { harmonic_n: 10.0 };
    assert_eq!(ft.to_display(0.0), 0.0);
    assert_eq!(ft.to_display(1.6), 1.0);
    for p in [0.0, 0.05, 0.3, 0.5, 0.77, 1.0] {
        assert!((ft.to_display(ft.to_analysis(p)) - p).abs() < 1e-12, "{p}");
    }
}

#[test]
fn risk_difference_keeps_double_zero_tables_and_errors_without_correction() {
    let t = TwoByTwo::new(0.0, 10.0, 0.0, 12.0).unwrap();
    assert!(matches!(
        RiskDifference::new(t).effect().unwrap(),
        StudyEffect::Included(_)
    ));
    assert!(RiskDifference::new(t)
        .with_correction(NEVER)
        .effect()
        .is_err());
    // but log RR excludes it
    assert_eq!(
        LogRiskRatio::new(t).effect().unwrap(),
        StudyEffect::Excluded(Exclusion::NoEventsInEitherArm)
    );
}

#[test]
fn peto_and_mantel_haenszel_report_exclusions_and_undefined_estimates() {
    let dz = TwoByTwo::new(0.0, 10.0, 0.0, 12.0).unwrap();
    let all = TwoByTwo::new(10.0, 10.0, 12.0, 12.0).unwrap();
    assert!(matches!(
        Peto::default().pool(&[dz, all]),
        Err(Error::AllExcluded { excluded: 2 })
    ));
    // risk ratio: no events in arm 1 anywhere -> sum R = 0
    let t = [
        TwoByTwo::new(0.0, 10.0, 3.0, 12.0).unwrap(),
        TwoByTwo::new(0.0, 20.0, 1.0, 12.0).unwrap(),
    ];
    assert!(matches!(
        MantelHaenszel::default().pool(&t.map(LogRiskRatio::new)),
        Err(Error::Undefined { .. })
    ));
    // risk difference of double-zero tables only: zero variance
    assert!(matches!(
        MantelHaenszel::default().pool(&[dz, dz].map(RiskDifference::new)),
        Err(Error::Undefined { .. })
    ));
    // an invalid table is named
    let bad = TwoByTwo {
        events1: 11.0,
        total1: 10.0,
        events2: 0.0,
        total2: 5.0,
    };
    assert!(matches!(
        Peto::default().pool(&[t[0], bad]),
        Err(Error::InvalidStudy { study: 1, .. })
    ));
    assert!(matches!(
        MantelHaenszel::default().pool(&[t[0], bad].map(RiskDifference::new)),
        Err(Error::InvalidStudy { study: 1, .. })
    ));
}

#[test]
fn peto_of_one_table_is_its_own_estimate() {
    // (O - E) = 4 - 12 * 20/40 = -2,  V = 12 * 28 * 1/4 / 39
    let t = TwoByTwo::new(4.0, 20.0, 8.0, 20.0).unwrap();
    let fit = Peto::default().pool(&[t]).unwrap();
    let v = 12.0 * 28.0 * 0.25 / 39.0;
    assert!((fit.estimate - (-2.0 / v)).abs() < 1e-15);
    assert!((fit.se - (1.0 / v).sqrt()).abs() < 1e-15);
    assert_eq!(fit.heterogeneity.q_p, None);
}

#[test]
fn correlation_validation() {
    assert!(Correlation::new(1.0, 10.0).is_err());
    assert!(Correlation::new(-1.0, 10.0).is_err());
    assert!(Correlation::new(0.2, 3.0).is_err());
    assert!(Correlation::new(0.2, 10.5).is_err());
    assert!(Correlation::new(f64::NAN, 10.0).is_err());
}

#[test]
fn subgroups_validate_labels_and_handle_one_group_and_unestimable_groups() {
    let set = EffectSet::from_estimates(&[0.1, 0.3, 0.2], &[0.01, 0.02, 0.03]).unwrap();
    let analysis = SubgroupAnalysis::new(SubgroupModel::Fixed);
    assert!(matches!(
        analysis.pool(&set, &["a", "b"]),
        Err(Error::InvalidParameter { name: "groups", .. })
    ));
    let one = analysis.pool(&set, &[1, 1, 1]).unwrap();
    assert_eq!(one.groups.len(), 1);
    assert_eq!(one.between.df, 0);
    assert_eq!(one.between.q_p, None);
    assert_eq!(one.groups[0].pooled.estimate, one.overall.estimate);

    // a subgroup whose only table is double-zero is not estimable
    let tables = [
        TwoByTwo::new(2.0, 10.0, 4.0, 10.0).unwrap(),
        TwoByTwo::new(0.0, 10.0, 0.0, 10.0).unwrap(),
        TwoByTwo::new(3.0, 12.0, 6.0, 11.0).unwrap(),
    ]
    .map(LogRiskRatio::new);
    let set = EffectSet::from_studies(&tables).unwrap();
    let res = analysis.pool(&set, &["x", "y", "x"]).unwrap();
    assert_eq!(res.not_estimable, vec!["y"]);
    assert_eq!(res.groups.len(), 1);
    assert_eq!(res.groups[0].pooled.included(), vec![0, 2]);
}

mod single_table {
    use metapool::{
        effect::EffectSize, effect::LogOddsRatio, effect::LogRiskRatio, effect::PetoOddsRatio,
        effect::RiskDifference, effect::StudyEffect, effect::TwoByTwo, pool::MantelHaenszel,
        pool::Peto,
    };
    use proptest::prelude::*;

    /// Relative 1e-12, but absolute near 0: a log ratio near 0 is the log of a ratio near 1,
    /// whose rounding (one ulp of 1, 2.2e-16) is an absolute error in the log.
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    fn effect<E: EffectSize>(e: E) -> (f64, f64) {
        match e.effect().unwrap() {
            StudyEffect::Included(x) => (x.estimate(), x.variance()),
            StudyEffect::Excluded(w) => panic!("{w:?}"),
        }
    }

    proptest! {
        /// With one table and no zero cell, every Mantel-Haenszel estimator and its variance
        /// reduce to the per-study estimate and its variance (e.g. Greenland-Robins for the
        /// risk ratio: (n1 n2 (a+c)/N^2 - ac/N) / (R S) = 1/a - 1/n1 + 1/c - 1/n2), and Peto's
        /// method to the per-study Peto odds ratio.
        #[test]
        fn mantel_haenszel_and_peto_of_one_table_equal_the_study_effect(
            a in 1u32..200, b in 1u32..200, c in 1u32..200, d in 1u32..200,
        ) {
            let (a, b, c, d) = (a as f64, b as f64, c as f64, d as f64);
            let t = TwoByTwo::new(a, a + b, c, c + d).unwrap();
            let mh = MantelHaenszel::default();
            for (fit, (y, v)) in [
                (mh.pool(&[LogOddsRatio::new(t)]).unwrap(), effect(LogOddsRatio::new(t))),
                (mh.pool(&[LogRiskRatio::new(t)]).unwrap(), effect(LogRiskRatio::new(t))),
                (mh.pool(&[RiskDifference::new(t)]).unwrap(), effect(RiskDifference::new(t))),
                (Peto::default().pool(&[t]).unwrap(), effect(PetoOddsRatio::new(t))),
            ] {
                // relative to the larger of |y| and its SE: a risk difference of 5e-5 next to
                // an SE of 0.05 carries the rounding of the proportions it is the difference of
                prop_assert!(
                    (fit.estimate - y).abs() <= 1e-12 * y.abs().max(v.sqrt()),
                    "{} vs {}", fit.estimate, y
                );
                prop_assert!(close(fit.se * fit.se, v), "{} vs {}", fit.se * fit.se, v);
            }
        }
    }
}
