//! Invariants of the effect sizes of issue 18 (property tests, 256 cases each), their typed
//! errors for invalid and deserialized input, and their use by the poolers.

use metapool::effect::*;
use metapool::pool::{FixedModel, MantelHaenszel, RandomModel};
use metapool::{Error, Problem};
use proptest::prelude::*;

fn included(e: &dyn EffectSize) -> Effect {
    match e.effect() {
        Ok(StudyEffect::Included(e)) => e,
        other => panic!("{other:?}"),
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

const TABLE_MEASURES: [TableMeasure; 8] = [
    TableMeasure::ArcsineRiskDifference,
    TableMeasure::Phi(PhiVariance::CrossSectional),
    TableMeasure::Phi(PhiVariance::Stratified),
    TableMeasure::YulesQ,
    TableMeasure::YulesY,
    TableMeasure::ProbitDifference,
    TableMeasure::OddsRatioAsSmdNormal,
    TableMeasure::OddsRatioAsSmdLogistic,
];

fn cells() -> impl Strategy<Value = [u32; 4]> {
    [1u32..300, 1u32..300, 1u32..300, 1u32..300]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Swapping the arms of a table negates every difference and association measure and
    /// leaves its variance unchanged.
    #[test]
    fn swapping_arms_negates_table_measures([a, b, c, d] in cells()) {
        let t = TwoByTwo::from_cells(a, b, c, d).unwrap();
        let s = TwoByTwo::from_cells(c, d, a, b).unwrap();
        for m in TABLE_MEASURES {
            let (x, y) = (included(&TableEffect::new(t, m)), included(&TableEffect::new(s, m)));
            prop_assert!((x.estimate() + y.estimate()).abs() <= 1e-12 * x.estimate().abs().max(1.0), "{m:?}");
            prop_assert!(close(x.variance(), y.variance(), 1e-12), "{m:?}");
        }
    }

    /// Phi, Yule's Q and Y lie in [-1, 1]; Q has the sign of ln OR, and |Y| <= |Q|.
    #[test]
    fn association_measures_are_bounded([a, b, c, d] in cells()) {
        let t = TwoByTwo::from_cells(a, b, c, d).unwrap();
        let y = |m| included(&TableEffect::new(t, m)).estimate();
        let (phi, q, yy) = (y(TableMeasure::Phi(PhiVariance::CrossSectional)), y(TableMeasure::YulesQ), y(TableMeasure::YulesY));
        prop_assert!((-1.0..=1.0).contains(&phi) && (-1.0..=1.0).contains(&q) && (-1.0..=1.0).contains(&yy));
        let log_or = (f64::from(a) * f64::from(d) / (f64::from(b) * f64::from(c))).ln();
        prop_assert!(q * log_or >= 0.0 && yy.abs() <= q.abs() + 1e-15);
    }

    /// The tetrachoric correlation lies in (-1, 1), is negated by swapping the arms, and
    /// reproduces the table: Phi2(h_c, h_r; rho) = a / n at the margins' thresholds (through
    /// the symmetric tables, where Phi2(0, 0; rho) = 1/4 + asin(rho) / (2 pi)).
    #[test]
    fn tetrachoric_is_bounded_and_antisymmetric([a, b, c, d] in [1u32..80, 1u32..80, 1u32..80, 1u32..80]) {
        let t = TwoByTwo::from_cells(a, b, c, d).unwrap();
        let s = TwoByTwo::from_cells(c, d, a, b).unwrap();
        let x = included(&TableEffect::new(t, TableMeasure::Tetrachoric));
        let y = included(&TableEffect::new(s, TableMeasure::Tetrachoric));
        prop_assert!(x.estimate().abs() < 1.0);
        prop_assert!((x.estimate() + y.estimate()).abs() < 1e-12);
        prop_assert!(close(x.variance(), y.variance(), 1e-9));
        // a = d, b = c: both thresholds 0
        let sym = TwoByTwo::from_cells(a, b, b, a).unwrap();
        let r = included(&TableEffect::new(sym, TableMeasure::Tetrachoric)).estimate();
        let want = (std::f64::consts::PI * (f64::from(a) / f64::from(a + b) - 0.5)).sin();
        prop_assert!((r - want).abs() < 1e-13, "{r} vs {want}");
    }

    /// Swapping the arms negates the log ratios (ROM, CVR, VR) with the same variance.
    #[test]
    fn swapping_arms_negates_log_ratios(m1 in 0.1f64..100.0, sd1 in 0.1f64..50.0, n1 in 2u32..500,
                                        m2 in 0.1f64..100.0, sd2 in 0.1f64..50.0, n2 in 2u32..500) {
        let a = Arm::new(m1, sd1, f64::from(n1)).unwrap();
        let b = Arm::new(m2, sd2, f64::from(n2)).unwrap();
        for m in [RatioMeasure::Means, RatioMeasure::CoefficientsOfVariation, RatioMeasure::StandardDeviations] {
            let (x, y) = (included(&LogRatio::new(a, b, m)), included(&LogRatio::new(b, a, m)));
            prop_assert!((x.estimate() + y.estimate()).abs() <= 1e-12 * x.estimate().abs().max(1.0));
            prop_assert!(close(x.variance(), y.variance(), 1e-13));
        }
    }

    /// Swapping the occasions negates MC, SMCC and ROMC with the same variance.
    #[test]
    fn swapping_occasions_negates_change(m1 in 0.1f64..100.0, sd1 in 0.1f64..50.0, m2 in 0.1f64..100.0,
                                        sd2 in 0.1f64..50.0, n in 3u32..500, r in -0.99f64..0.99) {
        let p = PairedMeans::new(m1, sd1, m2, sd2, f64::from(n), r).unwrap();
        let q = PairedMeans::new(m2, sd2, m1, sd1, f64::from(n), r).unwrap();
        for m in [ChangeMeasure::Raw, ChangeMeasure::StandardizedByChangeScore, ChangeMeasure::LogRatioOfMeans] {
            let (x, y) = (included(&MeanChange::new(p, m)), included(&MeanChange::new(q, m)));
            prop_assert!((x.estimate() + y.estimate()).abs() <= 1e-12 * x.estimate().abs().max(1.0));
            prop_assert!(close(x.variance(), y.variance(), 1e-12));
        }
    }

    /// The Olkin-Pratt correction moves r away from 0: |UCOR| >= |r|, same sign, and the
    /// correction vanishes as n grows.
    #[test]
    fn unbiased_correlation_inflates_r(r in -0.999f64..0.999, n in 5u32..5000) {
        let c = Correlation::new(r, f64::from(n)).unwrap();
        let y = included(&UnbiasedCorrelation::new(c)).estimate();
        prop_assert!(y.abs() >= r.abs() * (1.0 - 1e-15) && y * r >= 0.0);
        prop_assert!((y - r).abs() <= r.abs() * (1.0 - r * r) / f64::from(n - 4));
    }

    /// PCOR lies in (-1, 1) and ZPCOR is its Fisher z.
    #[test]
    fn partial_correlation_is_bounded(t in -50.0f64..50.0, n in 3u32..1000, m in 0u32..10) {
        prop_assume!(n > m + 1);
        let test = RegressionTest::new(t, f64::from(n), f64::from(m)).unwrap();
        let r = included(&PartialCorrelation::new(test, PartialScale::Raw)).estimate();
        let z = included(&PartialCorrelation::new(test, PartialScale::FisherZ)).estimate();
        prop_assert!(r.abs() < 1.0 && (z - r.atanh()).abs() <= 1e-12 * z.abs().max(1.0));
    }
}

#[test]
fn invalid_studies_are_typed_errors_naming_study_and_field() {
    let ok = PairedMeans::new(5.0, 1.0, 4.0, 1.0, 20.0, 0.5).unwrap();
    // r = 1 with equal SDs: the change scores have no variance
    let bad = PairedMeans { r: 1.0, ..ok };
    let studies = [ok, bad].map(|p| MeanChange::new(p, ChangeMeasure::StandardizedByChangeScore));
    let err = EffectSet::from_studies(&studies).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidStudy {
                study: 1,
                field: "r",
                problem: Problem::DegenerateVariance(_)
            }
        ),
        "{err:?}"
    );
    // SMCC with n = 2 (escalc: NA)
    let small = PairedMeans { n: 2.0, ..ok };
    let err = MeanChange::new(small, ChangeMeasure::StandardizedByRawScore)
        .effect()
        .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidField {
            field: "n",
            problem: Problem::TooSmall { min: 3.0, got: 2.0 }
        }
    );
    // a ratio of means with a negative ratio
    let a = Arm::new(-1.0, 1.0, 10.0).unwrap();
    let b = Arm::new(2.0, 1.0, 10.0).unwrap();
    let err = LogRatio::new(a, b, RatioMeasure::Means)
        .effect()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidField {
                field: "m2",
                problem: Problem::RatioNotPositive(_)
            }
        ),
        "{err:?}"
    );
    // alpha above 1, one item, n - m - 1 = 0, R^2 above 1, UCOR with n = 4
    assert!(matches!(
        CronbachAlpha::new(1.1, 5.0, 30.0),
        Err(Error::InvalidField { field: "alpha", .. })
    ));
    assert!(matches!(
        CronbachAlpha::new(0.5, 1.0, 30.0),
        Err(Error::InvalidField { field: "items", .. })
    ));
    assert!(matches!(
        RegressionTest::new(1.0, 4.0, 3.0),
        Err(Error::InvalidField { field: "n", .. })
    ));
    let test = RegressionTest::new(1.0, 40.0, 3.0).unwrap();
    assert!(matches!(
        SemiPartialCorrelation::new(test, 1.2),
        Err(Error::InvalidField { field: "r2", .. })
    ));
    let c = Correlation::new(0.3, 4.0).unwrap();
    assert_eq!(
        UnbiasedCorrelation::new(c).effect().unwrap_err(),
        Error::InvalidField {
            field: "n",
            problem: Problem::TooSmall { min: 5.0, got: 4.0 }
        }
    );
    // a tetrachoric correlation on the boundary (a zero cell), PBIT of 0 events uncorrected
    let t = TwoByTwo::from_cells(0, 10, 5, 5).unwrap();
    assert!(matches!(
        TableEffect::new(t, TableMeasure::Tetrachoric).effect(),
        Err(Error::InvalidField {
            field: "events",
            ..
        })
    ));
    let never = ContinuityCorrection::new(0.5, CorrectionRule::Never).unwrap();
    assert!(matches!(
        TableEffect::new(t, TableMeasure::ProbitDifference)
            .with_correction(never)
            .effect(),
        Err(Error::InvalidField {
            field: "events",
            ..
        })
    ));
}

#[test]
fn deserialized_values_are_validated_like_constructed_ones() {
    let alpha: Result<CronbachAlpha, _> = serde_json::from_str(r#"{"alpha":1.5,"items":5,"n":30}"#);
    assert!(alpha.unwrap_err().to_string().contains("alpha"));
    let paired: Result<PairedMeans, _> =
        serde_json::from_str(r#"{"mean1":5,"sd1":1,"mean2":4,"sd2":1,"n":20,"r":2}"#);
    assert!(paired.is_err());
    let change: Result<MeanChange, _> = serde_json::from_str(
        r#"{"data":{"mean1":5,"sd1":1,"mean2":4,"sd2":1,"n":2,"r":0.5},"measure":"StandardizedByChangeScore"}"#,
    );
    assert!(change.is_err());
    let test: Result<RegressionTest, _> = serde_json::from_str(r#"{"t":1,"n":4,"predictors":3}"#);
    assert!(test.is_err());
    let group: Result<GroupEffect, _> =
        serde_json::from_str(r#"{"group":{"mean":-1,"sd":1,"n":10},"measure":"LogMean"}"#);
    assert!(group.is_err());
    let ok: GroupEffect =
        serde_json::from_str(r#"{"group":{"mean":2,"sd":1,"n":10},"measure":"LogMean"}"#).unwrap();
    assert!(ok.effect().is_ok());
}

#[test]
fn new_measures_go_through_every_pooler() {
    let studies = [
        (30.6, 15.0, 38.5, 11.6, 20.0, 0.47),
        (23.5, 3.1, 26.8, 4.1, 50.0, 0.64),
        (0.5, 0.1, 0.7, 0.1, 9.0, 0.77),
    ]
    .map(|(m1, s1, m2, s2, n, r)| {
        MeanChange::new(
            PairedMeans::new(m1, s1, m2, s2, n, r).unwrap(),
            ChangeMeasure::StandardizedByRawScore,
        )
    });
    let set = EffectSet::from_studies(&studies).unwrap();
    assert_eq!(FixedModel::default().pool(&set).unwrap().k, 3);
    assert_eq!(RandomModel::default().pool(&set).unwrap().k, 3);
    // a 2x2 association measure pools by inverse variance; Mantel-Haenszel needs OR/RR/RD
    let tables = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209)].map(|(a, b, c, d)| {
        TableEffect::new(
            TwoByTwo::from_cells(a, b, c, d).unwrap(),
            TableMeasure::YulesQ,
        )
    });
    let set = EffectSet::from_studies(&tables).unwrap();
    assert!(RandomModel::default().pool(&set).unwrap().estimate < 0.0);
    assert!(FixedModel::mantel_haenszel().pool(&set).is_err());
    // no CMH/Tarone tests for a Mantel-Haenszel risk ratio
    let rr = [(4, 119, 11, 128), (6, 300, 29, 274)]
        .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    assert!(MantelHaenszel::default()
        .pool(&rr)
        .unwrap()
        .mantel_haenszel_tests
        .is_none());
}
