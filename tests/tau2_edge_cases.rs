//! Edge cases of the tau² estimators, tests and intervals: one study, non-convergence,
//! search limits, truncation, degenerate Knapp-Hartung factors, invalid settings.

use metapool::pool::{BoundStatus, PredictionKind, Tau2Control, Tau2Estimator, Tau2Stop, Test};
use metapool::{effect::EffectSet, pool::FixedModel, pool::RandomModel, Error};
use proptest::prelude::*;

/// metafor dat.bcg log risk ratios (escalc measure = "RR").
fn bcg() -> EffectSet {
    let tpos = [
        4., 6., 3., 62., 33., 180., 8., 505., 29., 17., 186., 5., 27.,
    ];
    let tneg = [
        119., 300., 228., 13536., 5036., 1361., 2537., 87886., 7470., 1699., 50448., 2493., 16886.,
    ];
    let cpos = [
        11., 29., 11., 248., 47., 372., 10., 499., 45., 65., 141., 3., 29.,
    ];
    let cneg = [
        128., 274., 209., 12619., 5761., 1079., 619., 87892., 7232., 1600., 27197., 2338., 17825.,
    ];
    let mut y = Vec::new();
    let mut v = Vec::new();
    for i in 0..13 {
        let (a, b, c, d): (f64, f64, f64, f64) = (tpos[i], tneg[i], cpos[i], cneg[i]);
        y.push((a / (a + b)).ln() - (c / (c + d)).ln());
        v.push(1.0 / a - 1.0 / (a + b) + 1.0 / c - 1.0 / (c + d));
    }
    EffectSet::from_estimates(&y, &v).unwrap()
}

#[test]
fn bcg_reml_matches_metafor_printout() {
    // metafor 3.8-1 rma(yi, vi, data = dat.bcg-escalc): tau^2 = 0.3132 (SE = 0.1664),
    // estimate -0.7145, se 0.1798; Fisher scoring converged after 3 iterations.
    let fit = RandomModel::default()
        .with_estimator(Tau2Estimator::RestrictedMaximumLikelihood)
        .with_control(Tau2Control::metafor())
        .pool(&bcg())
        .unwrap();
    let t = fit.tau2_fit.unwrap();
    assert!((t.tau2 - 0.3132433259808949).abs() < 1e-12);
    assert!((t.se.unwrap() - 0.16642578309872516).abs() < 1e-12);
    assert_eq!(t.iterations, 3);
    assert!(matches!(t.stop, Tau2Stop::Converged { last_change } if last_change <= 1e-5));
}

#[test]
fn one_study_gives_tau2_zero_and_no_t_test() {
    let set = EffectSet::from_estimates(&[0.3], &[0.04]).unwrap();
    for e in Tau2Estimator::ALL {
        let fit = RandomModel::default().with_estimator(e).pool(&set).unwrap();
        let t = fit.tau2_fit.unwrap();
        assert_eq!(t.tau2, 0.0);
        assert_eq!(t.se, None);
        assert_eq!(t.stop, Tau2Stop::SingleStudy);
        assert!((fit.se - 0.2).abs() < 1e-15);
        for test in [Test::T, Test::KnappHartung, Test::KnappHartungAdHoc] {
            // issue 10: no t test on k - 1 = 0 df; metafor sets test = "z" since k = 1
            let z = RandomModel::default()
                .with_estimator(e)
                .with_test(test)
                .pool(&set)
                .unwrap();
            assert_eq!((z.test, z.df), (Test::Z, None));
            assert!((z.se - 0.2).abs() < 1e-15);
            assert_eq!(z.notes.len(), 1);
        }
    }
    let model = RandomModel::default();
    let fit = model.pool(&set).unwrap();
    assert!(matches!(
        model.heterogeneity_intervals(&set, &fit),
        Err(Error::TooFewStudies { .. })
    ));
}

#[test]
fn fisher_scoring_out_of_iterations_is_a_typed_error() {
    let control = Tau2Control::metafor().with_max_iterations(1).unwrap();
    for e in [
        Tau2Estimator::MaximumLikelihood,
        Tau2Estimator::RestrictedMaximumLikelihood,
        Tau2Estimator::EmpiricalBayes,
    ] {
        let err = RandomModel::default()
            .with_estimator(e)
            .with_control(control)
            .pool(&bcg())
            .unwrap_err();
        assert!(
            matches!(err, Error::NotConverged { iterations: 2, .. }),
            "{e:?}: {err:?}"
        );
    }
}

#[test]
fn paule_mandel_reports_root_search_and_limits() {
    let fit = Tau2Estimator::PauleMandel
        .fit_with(&bcg(), &Tau2Control::metafor())
        .unwrap();
    assert!(matches!(fit.stop, Tau2Stop::Root { bracket } if bracket <= 2e-4));
    assert!(fit.iterations > 0);
    // a search interval that cannot contain the root
    let control = Tau2Control::metafor().with_tau2_max(0.01).unwrap();
    let err = Tau2Estimator::PauleMandel
        .fit_with(&bcg(), &control)
        .unwrap_err();
    assert!(matches!(err, Error::Undefined { .. }));
    // too few evaluations
    let control = Tau2Control::metafor().with_max_iterations(2).unwrap();
    let err = Tau2Estimator::PauleMandelMedian
        .fit_with(&bcg(), &control)
        .unwrap_err();
    assert!(matches!(err, Error::NotConverged { iterations: 2, .. }));
    // a tighter tolerance moves the root by less than the default tolerance
    let tight = Tau2Control::metafor().with_tolerance(1e-14).unwrap();
    let exact = Tau2Estimator::PauleMandel.fit_with(&bcg(), &tight).unwrap();
    assert!((exact.tau2 - fit.tau2).abs() < f64::EPSILON.powf(0.25));
}

#[test]
fn homogeneous_data_truncate_at_zero_and_say_so() {
    let set = EffectSet::from_estimates(
        &[0.30, 0.31, 0.29, 0.305, 0.295, 0.30, 0.302, 0.298],
        &[0.04, 0.05, 0.03, 0.06, 0.045, 0.035, 0.05, 0.04],
    )
    .unwrap();
    let dl = Tau2Estimator::DerSimonianLaird.fit(&set).unwrap();
    assert_eq!(dl.tau2, 0.0);
    assert!(matches!(dl.stop, Tau2Stop::ClosedForm { raw } if raw < 0.0));
    let pm = Tau2Estimator::PauleMandel
        .fit_with(&set, &Tau2Control::metafor())
        .unwrap();
    assert_eq!((pm.tau2, pm.stop), (0.0, Tau2Stop::AtLowerBound));
    let pm = Tau2Estimator::PauleMandel.fit(&set).unwrap();
    assert!(matches!(pm.stop, Tau2Stop::Boundary { equation } if equation <= 0.0));
    assert_eq!(pm.tau2, 0.0);
    let reml = Tau2Estimator::RestrictedMaximumLikelihood
        .fit(&set)
        .unwrap();
    assert_eq!(reml.tau2, 0.0);
    let model = RandomModel::default();
    let fit = model.pool(&set).unwrap();
    let ci = model.heterogeneity_intervals(&set, &fit).unwrap();
    assert_eq!((ci.tau2.lower, ci.tau2.upper), (0.0, 0.0));
    assert_eq!(ci.lower, BoundStatus::SearchFloor);
    assert_eq!(ci.upper, BoundStatus::SearchFloor);
    assert_eq!((ci.i2.lower, ci.h2.upper), (0.0, 1.0));
    // ad hoc Knapp-Hartung never narrows the z-based standard error
    let adhoc = model.with_test(Test::KnappHartungAdHoc).pool(&set).unwrap();
    let knha = model.with_test(Test::KnappHartung).pool(&set).unwrap();
    assert!(knha.se < fit.se);
    assert_eq!(adhoc.se, fit.se);
}

#[test]
fn identical_estimates_with_knapp_hartung_error_instead_of_nan() {
    let set = EffectSet::from_estimates(&[0.2, 0.2, 0.2], &[0.01, 0.02, 0.03]).unwrap();
    let err = RandomModel::default()
        .with_test(Test::KnappHartung)
        .pool(&set)
        .unwrap_err();
    assert!(matches!(err, Error::NonFinite { .. }));
    // the ad hoc variant keeps the factor at 1
    let fit = RandomModel::default()
        .with_test(Test::KnappHartungAdHoc)
        .pool(&set)
        .unwrap();
    let z = RandomModel::default().pool(&set).unwrap();
    assert_eq!(fit.se, z.se);
}

#[test]
fn prediction_interval_needs_a_random_effects_fit() {
    let fit = FixedModel::default().pool(&bcg()).unwrap();
    assert!(matches!(
        fit.prediction_interval(PredictionKind::Metafor),
        Err(Error::Undefined { .. })
    ));
}

#[test]
fn invalid_control_values_are_rejected() {
    let c = Tau2Control::default();
    assert!(c.with_threshold(0.0).is_err());
    assert!(c.with_threshold(f64::NAN).is_err());
    assert!(c.with_tolerance(-1.0).is_err());
    assert!(c.with_max_iterations(0).is_err());
    assert!(c.with_step_adjustment(0.0).is_err());
    assert!(c.with_tau2_init(-0.1).is_err());
    assert!(c.with_tau2_init(f64::INFINITY).is_err());
    assert!(c.with_tau2_max(0.0).is_err());
    assert_eq!(c.max_iterations(), 100);
    assert_eq!(c.threshold(), 1e-5);
    assert_eq!(c.tolerance(), f64::EPSILON.powf(0.25));
}

#[test]
fn step_adjustment_and_start_change_the_path_not_the_answer() {
    let base = Tau2Estimator::RestrictedMaximumLikelihood
        .fit_with(&bcg(), &Tau2Control::metafor())
        .unwrap();
    let control = Tau2Control::metafor()
        .with_step_adjustment(0.5)
        .unwrap()
        .with_max_iterations(1000)
        .unwrap()
        .with_tau2_init(5.0)
        .unwrap()
        .with_threshold(1e-12)
        .unwrap();
    let slow = Tau2Estimator::RestrictedMaximumLikelihood
        .fit_with(&bcg(), &control)
        .unwrap();
    assert!(slow.iterations > base.iterations);
    assert!((slow.tau2 - base.tau2).abs() < 1e-5);
}

proptest! {
    #[test]
    fn every_estimator_is_finite_and_nonnegative(
        data in prop::collection::vec((-5.0f64..5.0, 1e-3f64..2.0), 2..30)
    ) {
        let (y, v): (Vec<f64>, Vec<f64>) = data.into_iter().unzip();
        let set = EffectSet::from_estimates(&y, &v).unwrap();
        for e in Tau2Estimator::ALL {
            for test in [Test::Z, Test::T, Test::KnappHartungAdHoc] {
                match RandomModel::default().with_estimator(e).with_test(test).pool(&set) {
                    Ok(fit) => {
                        let t = fit.tau2_fit.unwrap();
                        prop_assert!(t.tau2 >= 0.0 && t.tau2.is_finite());
                        prop_assert!(t.se.unwrap().is_finite());
                        prop_assert!(fit.p >= 0.0 && fit.p <= 1.0);
                        let pi = fit.prediction_interval(PredictionKind::HigginsT).unwrap();
                        prop_assert!(pi.lower <= fit.ci_lower + 1e-12 || test != Test::Z);
                    }
                    Err(err) => prop_assert!(
                        matches!(err, Error::NotConverged { .. } | Error::Undefined { .. }),
                        "{e:?} {test:?}: {err}"
                    ),
                }
            }
            let model = RandomModel::default().with_estimator(e);
            if let Ok(fit) = model.pool(&set) {
                let ci = model.heterogeneity_intervals(&set, &fit).unwrap();
                prop_assert!(ci.tau2.lower <= ci.tau2.upper);
                prop_assert!(ci.i2.lower >= 0.0 && ci.i2.upper < 100.0);
            }
        }
    }
}

#[test]
fn generalized_q_needs_valid_weights() {
    use metapool::pool::GeneralizedQModel;
    let set = bcg();
    let model = GeneralizedQModel::default();
    assert!(matches!(
        model.pool(&set, &[1.0; 12]),
        Err(Error::Undefined { .. })
    ));
    let mut w = vec![1.0; 13];
    w[4] = 0.0;
    assert!(matches!(
        model.pool(&set, &w),
        Err(Error::InvalidStudy {
            study: 4,
            field: "weight",
            ..
        })
    ));
    w[4] = f64::NAN;
    assert!(model.pool(&set, &w).is_err());
    // without its weights the estimator cannot run on its own
    assert!(matches!(
        RandomModel::default()
            .with_estimator(Tau2Estimator::GeneralizedQ)
            .pool(&set),
        Err(Error::Undefined { .. })
    ));
    // inverse-variance weights give DerSimonian-Laird's tau2
    let e = set.effects();
    let a: Vec<f64> = e.iter().map(|x| 1.0 / x.variance()).collect();
    let genq = model.pool(&set, &a).unwrap();
    let dl = RandomModel::default().pool(&set).unwrap();
    assert!((genq.heterogeneity.tau2 / dl.heterogeneity.tau2 - 1.0).abs() < 1e-12);
    let se_dl = dl.tau2_fit.unwrap().se.unwrap();
    assert!((genq.tau2_fit.unwrap().se.unwrap() / se_dl - 1.0).abs() < 1e-12);
}

#[test]
fn distribution_helpers_do_not_panic_on_bad_input() {
    use metapool::inference::{chi_square_quantile, t_two_sided_p, t_upper_quantile};
    assert!(t_upper_quantile(0.025, 0.0).is_nan());
    assert!(t_upper_quantile(0.0, 5.0).is_nan());
    assert!(t_upper_quantile(f64::NAN, 5.0).is_nan());
    assert!(t_two_sided_p(1.0, -1.0).is_nan());
    assert!(chi_square_quantile(1.0, 3.0).is_nan());
    assert!(chi_square_quantile(0.5, 0.0).is_nan());
    // symmetry: qt(0.975, 7) = -qt(0.025, 7)
    let (lo, hi) = (t_upper_quantile(0.975, 7.0), t_upper_quantile(0.025, 7.0));
    assert!((lo + hi).abs() < 1e-14 && hi > 2.36 && hi < 2.37);
    assert_eq!(t_upper_quantile(0.5, 7.0), 0.0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Extreme scales: every estimator, test and interval either succeeds with finite numbers or
    /// returns a typed error; nothing panics.
    #[test]
    fn extreme_inputs_never_panic(
        data in prop::collection::vec((-1e6f64..1e6, -12.0f64..6.0), 1..40)
    ) {
        let y: Vec<f64> = data.iter().map(|d| d.0).collect();
        let v: Vec<f64> = data.iter().map(|d| 10f64.powf(d.1)).collect();
        let set = EffectSet::from_estimates(&y, &v).unwrap();
        for e in Tau2Estimator::ALL {
            for test in [Test::Z, Test::T, Test::KnappHartung, Test::KnappHartungAdHoc] {
                let model = RandomModel::default().with_estimator(e).with_test(test);
                if let Ok(fit) = model.pool(&set) {
                    prop_assert!(fit.estimate.is_finite() && fit.se.is_finite());
                    prop_assert!(fit.tau2_fit.unwrap().tau2.is_finite());
                    if let Ok(pi) = fit.prediction_interval(PredictionKind::Metafor) {
                        prop_assert!(pi.lower.is_finite() && pi.upper.is_finite());
                    }
                    if let Ok(ci) = model.heterogeneity_intervals(&set, &fit) {
                        prop_assert!(ci.tau2.lower.is_finite() && ci.tau2.upper.is_finite());
                    }
                }
            }
        }
    }
}

#[test]
fn q_profile_bounds_solve_the_q_equation_when_tightened() {
    use metapool::inference::chi_square_quantile;
    let set = bcg();
    let control = Tau2Control::metafor().with_tolerance(1e-15).unwrap();
    let model = RandomModel::default().with_control(control);
    let fit = model.pool(&set).unwrap();
    let ci = model.heterogeneity_intervals(&set, &fit).unwrap();
    // the generalized Q at each bound equals its chi-square quantile (k - 1 = 12 df)
    let q = |t: f64| {
        let e = set.effects();
        let w: Vec<f64> = e.iter().map(|x| 1.0 / (x.variance() + t)).collect();
        let sw: f64 = w.iter().sum();
        let mu: f64 = e.iter().zip(&w).map(|(x, w)| w * x.estimate()).sum::<f64>() / sw;
        e.iter()
            .zip(&w)
            .map(|(x, w)| w * (x.estimate() - mu).powi(2))
            .sum::<f64>()
    };
    let lo = q(ci.tau2.lower) / chi_square_quantile(0.975, 12.0) - 1.0;
    let hi = q(ci.tau2.upper) / chi_square_quantile(0.025, 12.0) - 1.0;
    assert!(lo.abs() < 1e-12 && hi.abs() < 1e-12, "{lo:e} {hi:e}");
    assert!(matches!(ci.lower, BoundStatus::Root { .. }));
}
