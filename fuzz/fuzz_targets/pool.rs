//! The inverse-variance poolers (FixedModel, RandomModel with every estimator, ModelRule) fed
//! arbitrary estimates, variances, confidence levels and alphas.
#![no_main]
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use metapool::*;
use metapool_fuzz::{check_pooled, num, unitish};

fn run(u: &mut Unstructured) -> Result<()> {
    let level = ConfidenceLevel::new(unitish(u)?).unwrap_or_default();
    let alpha = unitish(u)?;
    let k = u.int_in_range(0usize..=300)?;
    let mut y = Vec::with_capacity(k);
    let mut v = Vec::with_capacity(k);
    for _ in 0..k {
        y.push(num(u)?);
        v.push(num(u)?);
    }
    if std::env::var_os("METAPOOL_FUZZ_PRINT").is_some() {
        eprintln!("level = {level:?}, alpha = {alpha:e}\ny = {y:e?}\nv = {v:e?}");
    }
    let Ok(set) = EffectSet::from_estimates(&y, &v) else { return Ok(()) };
    let lo = y.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let fixed = FixedModel::new(level).pool(&set);
    if let Ok(f) = &fixed {
        check_pooled(f, Some((lo, hi)));
    }
    let random = RandomModel::new(Tau2Estimator::default(), level).pool(&set);
    if let Ok(r) = &random {
        check_pooled(r, Some((lo, hi)));
        if let Ok(f) = &fixed {
            assert!(r.se >= f.se * (1.0 - 1e-12), "random se < fixed se: {r:?} {f:?}");
        }
    }
    if let Ok(rule) = ModelRule::new(alpha) {
        match rule.with_level(level).select(&set) {
            Ok(sel) => {
                check_pooled(&sel.fixed, Some((lo, hi)));
                check_pooled(&sel.random, Some((lo, hi)));
                assert_eq!(Some(&sel.fixed), fixed.as_ref().ok());
            }
            Err(_) => assert!(fixed.is_err() || random.is_err()),
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
