//! Bad input gets a typed error naming the study and the field (core crate issue); the full
//! catalogue is in tests/bad_input.rs.

use metapool::{effect::*, inference::ConfidenceLevel, pool::*, Error, Problem};

#[test]
fn invalid_studies_are_named_by_position_and_field() {
    let good = MeanDifference::new(
        Arm::new(1.0, 1.0, 10.0).unwrap(),
        Arm::new(0.0, 1.0, 10.0).unwrap(),
    )
    .unwrap();
    let mut bad = good;
    bad.arm2.sd = -1.0; // bypasses the constructor, as deserialized data might
    let err = FixedModel::default()
        .pool_studies(&[good, good, bad])
        .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidStudy {
            study: 2,
            field: "sd2",
            problem: Problem::NotPositive(-1.0)
        }
    );
    assert_eq!(err.to_string(), "study 2: `sd2` must be > 0, got -1");
}

#[test]
fn constructors_reject_bad_values() {
    assert!(matches!(
        Arm::new(f64::NAN, 1.0, 10.0),
        Err(Error::InvalidField { field: "mean", .. })
    ));
    assert!(matches!(
        Arm::new(1.0, 1.0, 1.0),
        Err(Error::InvalidField {
            field: "n",
            problem: Problem::TooSmall { .. }
        })
    ));
    assert!(matches!(
        TwoByTwo::new(5.0, 4.0, 1.0, 10.0),
        Err(Error::InvalidField {
            field: "events1",
            problem: Problem::EventsExceedTotal { .. }
        })
    ));
    assert!(matches!(
        TwoByTwo::new(1.5, 4.0, 1.0, 10.0),
        Err(Error::InvalidField {
            field: "events1",
            problem: Problem::NotInteger(_)
        })
    ));
    assert!(matches!(
        Effect::new(0.0, 0.0),
        Err(Error::InvalidField {
            field: "variance",
            ..
        })
    ));
    for level in [0.0, 1.0, 1.5, f64::NAN] {
        assert!(matches!(
            ConfidenceLevel::new(level),
            Err(Error::InvalidParameter { name: "level", .. })
        ));
    }
    assert!(ModelRule::new(0.0).is_err() && ModelRule::new(1.0).is_err());
    assert!(matches!(
        Generic::from_ci(1.0, 2.0, 0.5, ConfidenceLevel::default(), Scale::Identity),
        Err(Error::InvalidField {
            problem: Problem::CiBoundsSwapped { .. },
            ..
        })
    ));
    assert!(matches!(
        Generic::from_ci(3.0, 0.5, 2.0, ConfidenceLevel::default(), Scale::Identity),
        Err(Error::InvalidField {
            problem: Problem::CiExcludesEstimate { .. },
            ..
        })
    ));
    assert!(matches!(
        Generic::from_ci(1.0, 0.0, 2.0, ConfidenceLevel::default(), Scale::Log),
        Err(Error::InvalidField {
            problem: Problem::RatioNotPositive(_),
            ..
        })
    ));
    let pp = PrePost {
        mean_pre: 1.0,
        sd_pre: 2.0,
        mean_post: 0.0,
        sd_post: 2.0,
        n: 10.0,
    };
    assert!(matches!(
        PrePostMeanDifference::new(pp, 1.0),
        Err(Error::InvalidField {
            field: "r",
            problem: Problem::DegenerateVariance(_)
        })
    ));
}

#[test]
fn empty_and_all_excluded() {
    let none: [MeanDifference; 0] = [];
    assert_eq!(
        FixedModel::default().pool_studies(&none).unwrap_err(),
        Error::Empty
    );
    let zero = LogOddsRatio::new(TwoByTwo::new(0.0, 10.0, 0.0, 10.0).unwrap());
    assert_eq!(
        FixedModel::default()
            .pool_studies(&[zero, zero])
            .unwrap_err(),
        Error::AllExcluded { excluded: 2 }
    );
    assert_eq!(
        MantelHaenszel::default().pool(&[zero]).unwrap_err(),
        Error::AllExcluded { excluded: 1 }
    );
}

#[test]
fn excluded_tables_are_reported() {
    let t = |a, b, c, d| LogOddsRatio::new(TwoByTwo::new(a, b, c, d).unwrap());
    let tables = [
        t(3.0, 10.0, 5.0, 10.0),
        t(0.0, 10.0, 0.0, 12.0),
        t(2.0, 8.0, 1.0, 9.0),
    ];
    for fit in [
        FixedModel::default().pool_studies(&tables).unwrap(),
        MantelHaenszel::default().pool(&tables).unwrap(),
    ] {
        assert_eq!(fit.k, 2);
        assert_eq!(fit.included(), vec![0, 2]);
        assert_eq!(fit.excluded, vec![(1, Exclusion::NoEventsInEitherArm)]);
    }
}

#[test]
fn overflow_is_an_error_not_a_nan() {
    // weights of 1e300 overflow their sum
    let set = EffectSet::from_estimates(&[1.0, 2.0], &[1e-300, 1e-300]).unwrap();
    match FixedModel::default().pool(&set) {
        Ok(fit) => {
            assert!(fit.estimate.is_finite() && fit.se.is_finite() && fit.p.is_finite());
        }
        Err(e) => assert!(matches!(e, Error::NonFinite { .. })),
    }
    let set = EffectSet::from_estimates(&[1e308, -1e308], &[1.0, 1.0]).unwrap();
    match RandomModel::default().pool(&set) {
        Ok(fit) => assert!(fit.estimate.is_finite() && fit.heterogeneity.tau2.is_finite()),
        Err(e) => assert!(matches!(e, Error::NonFinite { .. })),
    }
}
