//! The inverse-variance poolers fed arbitrary estimates, variances, confidence levels and
//! alphas: FixedModel, RandomModel with every tau² estimator, test (z, t, Knapp-Hartung, ad hoc)
//! and iteration control, prediction intervals, Q-profile intervals, subgroups, ModelRule.
#![no_main]
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use metapool::{effect::*, inference::ConfidenceLevel, pool::*};
use metapool_fuzz::{check_pooled, num, unitish};

const ESTIMATORS: [Tau2Estimator; 11] = Tau2Estimator::ALL;
const TESTS: [Test; 4] = [
    Test::Z,
    Test::T,
    Test::KnappHartung,
    Test::KnappHartungAdHoc,
];

fn run(u: &mut Unstructured) -> Result<()> {
    let level = ConfidenceLevel::new(unitish(u)?).unwrap_or_default();
    let alpha = unitish(u)?;
    let estimator = ESTIMATORS[u.int_in_range(0..=ESTIMATORS.len() - 1)?];
    let test = TESTS[u.int_in_range(0..=TESTS.len() - 1)?];
    let mut control = Tau2Control::default();
    if u.arbitrary()? {
        if let Ok(c) = control.with_max_iterations(u.int_in_range(1usize..=200)?) {
            control = c;
        }
        if let Ok(c) = control.with_threshold(num(u)?) {
            control = c;
        }
        if let Ok(c) = control.with_tau2_init(num(u)?) {
            control = c;
        }
        if let Ok(c) = control.with_step_adjustment(num(u)?) {
            control = c;
        }
    }
    let k = u.int_in_range(0usize..=300)?;
    let mut y = Vec::with_capacity(k);
    let mut v = Vec::with_capacity(k);
    let mut groups = Vec::with_capacity(k);
    for _ in 0..k {
        y.push(num(u)?);
        v.push(num(u)?);
        groups.push(u.int_in_range(0u8..=3)?);
    }
    if std::env::var_os("METAPOOL_FUZZ_PRINT").is_some() {
        eprintln!(
            "level = {level:?}, alpha = {alpha:e}, {estimator:?}, {test:?}, {control:?}\ny = {y:?}\nv = {v:?}"
        );
    }
    let Ok(set) = EffectSet::from_estimates(&y, &v) else {
        return Ok(());
    };
    let lo = y.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let fixed = FixedModel::new(level).pool(&set);
    if let Ok(f) = &fixed {
        check_pooled(f, Some((lo, hi)));
    }
    let _ = FixedModel::new(level)
        .with_test(test)
        .pool(&set)
        .map(|f| check_pooled(&f, Some((lo, hi))));
    let model = RandomModel::new(estimator, level)
        .with_test(test)
        .with_control(control);
    if let Ok(r) = model.pool(&set) {
        check_pooled(&r, Some((lo, hi)));
        for kind in [PredictionKind::Metafor, PredictionKind::HigginsT] {
            if let Ok(pi) = r.prediction_interval(kind) {
                assert!(
                    pi.lower.is_finite() && pi.upper.is_finite() && pi.lower <= pi.upper,
                    "{pi:?}"
                );
            }
        }
        if let Ok(ci) = model.heterogeneity_intervals(&set, &r) {
            for i in [ci.tau2, ci.tau, ci.i2, ci.h2] {
                assert!(
                    !i.lower.is_nan() && !i.upper.is_nan() && i.lower <= i.upper,
                    "{ci:?}"
                );
            }
        }
    }
    if let Ok(fit) = estimator.fit_with(&set, &control) {
        assert!(fit.tau2.is_finite() && fit.tau2 >= 0.0, "{fit:?}");
    }
    for sub in [
        SubgroupModel::Fixed,
        SubgroupModel::RandomSeparate(estimator),
        SubgroupModel::RandomCommon(Tau2Estimator::DerSimonianLaird),
    ] {
        if let Ok(s) = SubgroupAnalysis::new(sub)
            .with_level(level)
            .pool(&set, &groups)
        {
            let _ = format!("{s:?}").contains("NaN") && panic!("NaN in subgroups {s:?}");
        }
    }
    if let Ok(rule) = ModelRule::new(alpha) {
        if let Ok(sel) = rule.with_level(level).select(&set) {
            check_pooled(&sel.fixed, Some((lo, hi)));
            check_pooled(&sel.random, Some((lo, hi)));
            assert_eq!(Some(&sel.fixed), fixed.as_ref().ok());
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
