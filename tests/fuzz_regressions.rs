//! Inputs that crashed a fuzz target (fuzz/), kept as regression tests. Each names the target,
//! what failed, and the fix.

use metapool::inference::chi_square_upper_tail;
use metapool::{effect::EffectSet, pool::FixedModel, pool::ModelRule, pool::RandomModel};

/// fuzz target `pool`, round 1: statrs' `gamma_ur` panics ("XInvalid") when its x is 0, and
/// `chi_square_upper_tail` passed it `q / 2`, which is 0 for the subnormal Q = 5e-324 (two
/// studies 4.1e-162 apart, variances 1 and 2). Fixed in `inference::chi_square_upper_tail` (checked call; 1 when
/// q/2 underflows, 0 for q = inf, NaN never a panic).
#[test]
fn pool_subnormal_q_does_not_panic() {
    let set = EffectSet::from_estimates(&[0.0, 4.1e-162], &[1.0, 2.0]).unwrap();
    let fixed = FixedModel::default().pool(&set).unwrap();
    let q = fixed.heterogeneity.q;
    assert_eq!(q, 5e-324, "Q should be the smallest subnormal");
    assert_eq!(fixed.heterogeneity.q_p, Some(1.0));
    let random = RandomModel::default().pool(&set).unwrap();
    assert_eq!(random.heterogeneity.tau2, 0.0);
    assert!(ModelRule::default().select(&set).is_ok());
}

#[test]
fn chi_square_tail_at_the_edges() {
    assert_eq!(chi_square_upper_tail(5e-324, 1.0), 1.0);
    assert_eq!(chi_square_upper_tail(0.0, 3.0), 1.0);
    assert_eq!(chi_square_upper_tail(-1.0, 3.0), 1.0);
    assert_eq!(chi_square_upper_tail(f64::INFINITY, 3.0), 0.0);
    assert!(chi_square_upper_tail(f64::NAN, 3.0).is_nan());
    assert!(chi_square_upper_tail(1.0, 0.0).is_nan());
    assert!(chi_square_upper_tail(1.0, f64::INFINITY).is_nan());
    assert_eq!(chi_square_upper_tail(1e300, 3.0), 0.0);
}

/// Found by the `bounds` property with every estimator (not a fuzz target, kept here with the
/// other hang/crash regressions): REML's Fisher scoring on two studies whose variances are 9
/// orders of magnitude apart looped forever. tr(PP) = sum w² - 2 sum w³/sum w + (sum w²/sum w)²
/// cancelled to 0, the step was -inf, and "halve the step while tau2 + step < 0" never ends
/// for -inf. Fixed: tr(PP) from positive terms, and a non-finite step is NotConverged.
#[test]
fn reml_two_studies_far_apart_terminates() {
    use metapool::pool::Tau2Estimator;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let set = EffectSet::from_estimates(
            &[-7.514328644196013, -0.9189575867557553],
            &[4.216339333813594, 1196670047.4053116],
        )
        .unwrap();
        let out: Vec<_> = Tau2Estimator::ALL
            .iter()
            .map(|&e| {
                RandomModel::default()
                    .with_estimator(e)
                    .pool(&set)
                    .map(|p| p.heterogeneity.tau2)
            })
            .collect();
        tx.send(out).unwrap();
    });
    let out = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("every estimator returns within 20 s");
    for (e, r) in Tau2Estimator::ALL.iter().zip(&out) {
        match r {
            Ok(t) => assert!(t.is_finite() && *t >= 0.0, "{e:?}: {t}"),
            Err(err) => assert!(
                matches!(
                    err,
                    metapool::Error::NotConverged { .. } | metapool::Error::Undefined { .. }
                ),
                "{e:?}: {err:?}"
            ),
        }
    }
}

/// fuzz target `pool`, round 2 (a libFuzzer timeout, artifact timeout-3e5372877875): maximum
/// likelihood on four studies with estimates up to 1.5e231 and variances from 7e-25 to 5e88
/// hung: its Fisher-scoring step was infinite and "halve it while tau2 + step < 0" never ended.
/// Fixed in the same commit as the REML case: an infinite step is NotConverged.
#[test]
fn ml_overflowing_step_terminates() {
    use metapool::{
        inference::ConfidenceLevel, pool::SubgroupAnalysis, pool::SubgroupModel,
        pool::Tau2Estimator, pool::Test,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let set = EffectSet::from_estimates(
            &[
                4.78215869681442e-11,
                225831059456.0,
                -1.510702322741224e231,
                225831059456.0,
            ],
            &[
                225831059456.0,
                6.795856246546947e-25,
                5.242371997919633e88,
                225831059456.0,
            ],
        )
        .unwrap();
        let level = ConfidenceLevel::new(0.9999999999976603).unwrap();
        let model =
            RandomModel::new(Tau2Estimator::MaximumLikelihood, level).with_test(Test::KnappHartung);
        let r = model.pool(&set).map(|p| p.heterogeneity.tau2);
        // what else the target ran on it: the estimator alone, and every subgroup split
        let _ = Tau2Estimator::MaximumLikelihood.fit(&set);
        for split in 0..256u32 {
            let groups: Vec<u32> = (0..4).map(|i| (split >> (2 * i)) & 3).collect();
            for sub in [
                SubgroupModel::RandomSeparate(Tau2Estimator::MaximumLikelihood),
                SubgroupModel::Fixed,
            ] {
                let _ = SubgroupAnalysis::new(sub)
                    .with_level(level)
                    .pool(&set, &groups);
            }
        }
        tx.send(r).unwrap();
    });
    let r = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("returns within 20 s");
    match r {
        Ok(t) => assert!(t.is_finite() && t >= 0.0),
        Err(e) => assert!(
            matches!(
                e,
                metapool::Error::NotConverged { .. } | metapool::Error::NonFinite { .. }
            ),
            "{e:?}"
        ),
    }
}

/// fuzz target `batch`, round 2 (crash-6b24837d1c36): the batch path pooled an analysis that
/// the single-analysis path rejected with NonFinite { what: "weights" }: a study with variance
/// below 5e-307 has a weight above 1.8e306, and the percentage 100 w / total overflowed in
/// `100 w` (the batch path reports no weights). Fixed: 100 (w / total).
#[test]
fn tiny_variance_weights_do_not_overflow() {
    let set = EffectSet::from_estimates(&[0.5, 0.6], &[1e-307, 1.0]).unwrap();
    for fit in [
        FixedModel::default().pool(&set).unwrap(),
        RandomModel::default().pool(&set).unwrap(),
    ] {
        assert_eq!(fit.weights()[0], 100.0);
        assert!(fit.weights()[1] >= 0.0 && fit.weights()[1] < 1e-300);
    }
}

/// fuzz target `pool`, round 3 (crash-589e1e8b6605): the Q-profile interval for I² had a lower
/// bound of 100.00000000000001, above 100 and above its upper bound, on two studies 1e15 apart
/// (tau² ~ 6e29): `100 t / (s2 + t)` rounded above 100, the same slip as I² itself had.
/// Fixed: 100 (t / (s2 + t)).
#[test]
fn q_profile_i2_stays_at_most_100() {
    use metapool::{
        inference::ConfidenceLevel, pool::Tau2Control, pool::Tau2Estimator, pool::Test,
    };
    let set = EffectSet::from_estimates(&[1074500000000000.0, 1e-300], &[42672783102.99441, 1e-12])
        .unwrap();
    let level = ConfidenceLevel::new(0.9912567138671875).unwrap();
    let control = Tau2Control::default()
        .with_threshold(2.5625)
        .and_then(|c| c.with_max_iterations(50))
        .and_then(|c| c.with_step_adjustment(1e-12))
        .and_then(|c| c.with_tau2_init(1e-300))
        .unwrap();
    let model = RandomModel::new(Tau2Estimator::PauleMandel, level)
        .with_test(Test::T)
        .with_control(control);
    let fit = model.pool(&set).unwrap();
    let ci = model.heterogeneity_intervals(&set, &fit).unwrap();
    assert!(ci.i2.lower <= ci.i2.upper && ci.i2.upper <= 100.0, "{ci:?}");
    assert!(ci.i2.lower >= 0.0);
}

/// fuzz target `pool`, round 3 (crash-ae93bb9cd37a): Hedges' estimator on studies with
/// variances of f64::MAX overflowed its sums; its untruncated value was NaN and max(0, NaN) = 0
/// passed it off as tau² = 0 (a result carrying `ClosedForm { raw: NaN }`). A NaN closed form
/// is now NonFinite { what: "tau2" }.
#[test]
fn overflowing_closed_form_is_an_error_not_zero() {
    use metapool::{pool::Tau2Estimator, pool::Tau2Stop};
    let set = EffectSet::from_estimates(&[1e-300, 1e-300, 5.1875], &[f64::MAX, f64::MAX, 5.1875])
        .unwrap();
    match RandomModel::default()
        .with_estimator(Tau2Estimator::Hedges)
        .pool(&set)
    {
        Err(e) => assert_eq!(e, metapool::Error::NonFinite { what: "tau2" }),
        Ok(fit) => {
            let stop = fit.tau2_fit.unwrap().stop;
            assert!(
                !matches!(stop, Tau2Stop::ClosedForm { raw } if raw.is_nan()),
                "{fit:?}"
            );
        }
    }
}

/// fuzz target `pool`, round 4 (crash-664d07a3fc5a): the Q-profile interval at level
/// 0.9999999999999999 came out with lower 9.5e-5 > upper 0 on two identical studies: 1 - alpha/2
/// rounds to 1, its chi-square quantile is NaN, every comparison with NaN is false, and the root
/// search ran on a NaN target. Now NonFinite (a bound from an upper-tail quantile is future
/// work); at ordinary levels the interval is unchanged.
#[test]
fn q_profile_at_level_next_to_one() {
    use metapool::inference::ConfidenceLevel;
    let set = EffectSet::from_estimates(&[2.5625, 2.5625], &[2.5625, 2.5625]).unwrap();
    let model = RandomModel::new(
        metapool::pool::Tau2Estimator::DerSimonianLaird,
        ConfidenceLevel::new(0.9999999999999999).unwrap(),
    );
    let fit = model.pool(&set).unwrap();
    match model.heterogeneity_intervals(&set, &fit) {
        Ok(ci) => assert!(ci.tau2.lower <= ci.tau2.upper, "{ci:?}"),
        Err(e) => assert_eq!(
            e,
            metapool::Error::NonFinite {
                what: "Q-profile chi-square critical value"
            }
        ),
    }
    let ok = RandomModel::default();
    let fit = ok.pool(&set).unwrap();
    let ci = ok.heterogeneity_intervals(&set, &fit).unwrap();
    assert!(ci.tau2.lower <= ci.tau2.upper);
}

/// fuzz target `pool`, round 5 (crash-2264b7c9125c): with variances of 2e-16 (and one of 9e-217)
/// tau² is about 2e-16, far below the Q-profile root search's absolute tolerance (eps^0.25 =
/// 1.2e-4, metafor's): both "roots" were within tolerance of anything and the interval came out
/// with lower 1.2e-4 > upper 7.3e-5. Crossing bounds are now Undefined, naming the remedy.
#[test]
fn q_profile_bounds_never_cross() {
    use metapool::inference::ConfidenceLevel;
    let e = 2.220446049250313e-16;
    let set = EffectSet::from_estimates(
        &[
            e,
            4.8829999999999995e-8,
            e,
            e,
            e,
            e,
            e,
            4.8829999999999995e-8,
        ],
        &[e, e, e, e, e, 8.64562743173829e-217, e, e],
    )
    .unwrap();
    let model = RandomModel::new(
        metapool::pool::Tau2Estimator::DerSimonianLaird,
        ConfidenceLevel::new(0.321563720703125).unwrap(),
    );
    let fit = model.pool(&set).unwrap();
    match model.heterogeneity_intervals(&set, &fit) {
        Ok(ci) => assert!(ci.tau2.lower <= ci.tau2.upper, "{ci:?}"),
        Err(err) => assert!(
            matches!(
                err,
                metapool::Error::Undefined {
                    what: "Q-profile confidence interval",
                    ..
                }
            ),
            "{err:?}"
        ),
    }
}

/// fuzz target `pool`, round 6 (crash-eae8edd59e1d): the Q-profile I² interval came out as
/// [99.99999999999999, 99.99999999999997]: I² = 100 t / (s2 + t) increases with tau², but with
/// s2 ~ 5e-25 below the ulp of t its rounding is not monotone. The bounds are now ordered.
#[test]
fn q_profile_i2_bounds_ordered() {
    use metapool::{
        inference::ConfidenceLevel, pool::Tau2Control, pool::Tau2Estimator, pool::Test,
    };
    let e = 2.220446049250313e-16;
    let set = EffectSet::from_estimates(
        &[
            e,
            e,
            e,
            e,
            e,
            2.561347112925994e-214,
            1.4375,
            1.4375,
            1.4375,
            5.125,
            1.4375,
            1.4375,
        ],
        &[
            e,
            e,
            e,
            e,
            1e12,
            1e308,
            1.4375,
            1.4375,
            5.1875,
            4.881987492362475e-25,
            1.4375,
            5.1875,
        ],
    )
    .unwrap();
    let control = Tau2Control::default()
        .with_threshold(10.8125)
        .and_then(|c| c.with_max_iterations(174))
        .and_then(|c| c.with_tau2_init(21158.0))
        .unwrap();
    let model = RandomModel::new(
        Tau2Estimator::MaximumLikelihood,
        ConfidenceLevel::new(0.321563720703125).unwrap(),
    )
    .with_test(Test::KnappHartung)
    .with_control(control);
    if let Ok(fit) = model.pool(&set) {
        if let Ok(ci) = model.heterogeneity_intervals(&set, &fit) {
            for i in [ci.tau2, ci.tau, ci.i2, ci.h2] {
                assert!(i.lower <= i.upper, "{ci:?}");
            }
        }
    }
}

/// fuzz target `pool`, round 7 (crash-6dab47d5486b): at a confidence level of 2.6e-9 the t
/// critical value of the prediction interval (upper tail 0.4999999987) came out a hair below 0,
/// giving lower > upper. The half-width is now never negative.
#[test]
fn prediction_interval_at_a_tiny_level() {
    use metapool::{
        inference::ConfidenceLevel, pool::PredictionKind, pool::Tau2Estimator, pool::Test,
    };
    let e = 2.220446049250313e-16;
    let set = EffectSet::from_estimates(&[e; 7], &[e; 7]).unwrap();
    let model = RandomModel::new(
        Tau2Estimator::SidikJonkman,
        ConfidenceLevel::new(2.5756159427459124e-9).unwrap(),
    )
    .with_test(Test::KnappHartungAdHoc);
    let fit = model.pool(&set).unwrap();
    for kind in [PredictionKind::Metafor, PredictionKind::HigginsT] {
        let pi = fit.prediction_interval(kind).unwrap();
        assert!(
            pi.lower <= pi.estimate && pi.estimate <= pi.upper,
            "{kind:?}: {pi:?}"
        );
    }
}

/// Fuzz round 8 (pool target, artifact crash-5e1396da3664): the common-tau² subgroup model let a
/// closed-form tau² whose untruncated value was NaN (its sums overflowed: variances 1e-300 and
/// 1e308 side by side) pass as tau² = 0 in a subgroup's result. Every design now goes through
/// the same final check: an error, or a fit whose raw value is a number. The artifact's groups
/// are not printed by the target, so every assignment of the four studies to four groups is tried.
#[test]
fn common_tau2_closed_form_nan_is_not_reported_as_zero() {
    use metapool::pool::Tau2Stop;
    use metapool::{
        effect::EffectSet, pool::SubgroupAnalysis, pool::SubgroupModel, pool::Tau2Estimator,
    };
    let y = [225829781504.0, 225831059456.0, 1e154, 1e-300];
    let v = [225852030976.0, 1e-300, 1e308, 1000000000000.0];
    let set = EffectSet::from_estimates(&y, &v).unwrap();
    let model = SubgroupAnalysis::new(SubgroupModel::RandomCommon(Tau2Estimator::DerSimonianLaird));
    for code in 0..256u32 {
        let groups: Vec<u32> = (0..4).map(|i| (code >> (2 * i)) & 3).collect();
        if let Ok(res) = model.pool(&set, &groups) {
            let text = format!("{res:?}");
            assert!(!text.contains("NaN"), "groups {groups:?}: {text}");
            for g in &res.groups {
                if let Some(Tau2Stop::ClosedForm { raw }) = g.pooled.tau2_fit.map(|f| f.stop) {
                    assert!(!raw.is_nan());
                }
            }
        }
    }
}
