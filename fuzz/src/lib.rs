//! Shared helpers of the metapool fuzz targets: number generators biased toward the values
//! that break numeric code, and the checks every successful result must pass (a failed check
//! panics, which libFuzzer reports as a crash).

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use metapool::{effect::Effect, effect::StudyEffect, pool::Pooled};

/// Values that break numeric code.
pub const SPECIAL: [f64; 24] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    2.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::MIN_POSITIVE,
    5e-324,
    f64::MAX,
    -f64::MAX,
    1e-300,
    1e300,
    1e154,
    1e-154,
    1e-12,
    1e12,
    f64::EPSILON,
    1.0 - f64::EPSILON / 2.0,
    1.0 + f64::EPSILON,
    -1e308,
    1e308,
];

/// Any f64: raw bits, a special value, a small integer, or a decimal-looking number.
pub fn num(u: &mut Unstructured) -> Result<f64> {
    Ok(match u.int_in_range(0u8..=5)? {
        0 => f64::from_bits(u.arbitrary()?),
        1 => SPECIAL[u.int_in_range(0..=SPECIAL.len() - 1)?],
        2 => f64::from(u.arbitrary::<i16>()?),
        3 => f64::from(u.arbitrary::<i16>()?) * 10f64.powi(i32::from(u.int_in_range(-30i8..=30)?)),
        4 => f64::from(u.arbitrary::<f32>()?),
        _ => f64::from(u.arbitrary::<u8>()?) / 16.0,
    })
}

/// A count-like f64: mostly whole numbers (small, or huge), sometimes any f64.
pub fn count(u: &mut Unstructured) -> Result<f64> {
    Ok(match u.int_in_range(0u8..=5)? {
        0 | 1 | 2 => f64::from(u.arbitrary::<u8>()?),
        3 => f64::from(u.arbitrary::<u32>()?),
        4 => (f64::from(u.arbitrary::<u16>()?)
            * 10f64.powi(i32::from(u.int_in_range(0u16..=300)?)))
        .round(),
        _ => num(u)?,
    })
}

/// A value strictly inside (0, 1) or anything else.
pub fn unitish(u: &mut Unstructured) -> Result<f64> {
    Ok(match u.int_in_range(0u8..=2)? {
        0 => f64::from(u.arbitrary::<u16>()?) / 65536.0,
        1 => 1.0 - f64::from(u.arbitrary::<u16>()?) * f64::EPSILON / 2.0,
        _ => num(u)?,
    })
}

/// An included effect must be finite with a positive finite variance.
pub fn check_effect(e: &StudyEffect) {
    if let StudyEffect::Included(x) = e {
        check_effect_value(x);
    }
}

/// See [`check_effect`].
pub fn check_effect_value(x: &Effect) {
    assert!(x.estimate().is_finite(), "non-finite estimate {x:?}");
    assert!(
        x.variance() > 0.0 && x.variance().is_finite(),
        "bad variance {x:?}"
    );
}

/// Every successful pooled result: finite numbers, p-values in [0, 1], I² in [0, 100],
/// tau² >= 0, a CI around the estimate, weights that are percentages summing to 100, and (when
/// `bounds` is given) an estimate within [min y, max y].
pub fn check_pooled(p: &Pooled, bounds: Option<(f64, f64)>) {
    let h = &p.heterogeneity;
    for (what, x) in [
        ("estimate", p.estimate),
        ("se", p.se),
        ("ci_lower", p.ci_lower),
        ("ci_upper", p.ci_upper),
        ("z", p.statistic),
        ("p", p.p),
        ("q", h.q),
        ("i2", h.i2),
        ("h2", h.h2),
        ("tau2", h.tau2),
        ("tau", h.tau),
    ] {
        assert!(x.is_finite(), "{what} = {x} in {p:?}");
    }
    assert!(p.se >= 0.0, "se {p:?}");
    assert!((0.0..=1.0).contains(&p.p), "p {p:?}");
    if let Some(q) = h.q_p {
        assert!((0.0..=1.0).contains(&q), "q_p {p:?}");
    }
    assert!(h.q >= 0.0, "Q {p:?}");
    assert!((0.0..=100.0).contains(&h.i2), "I2 {p:?}");
    assert!(h.tau2 >= 0.0, "tau2 {p:?}");
    assert!(h.h2 >= 0.0, "H2 {p:?}");
    assert!(
        p.ci_lower <= p.estimate && p.estimate <= p.ci_upper,
        "CI {p:?}"
    );
    assert_eq!(p.weights().len(), p.k, "weights {p:?}");
    assert!(
        p.weights().iter().all(|w| w.is_finite() && *w >= 0.0),
        "weights {p:?}"
    );
    let total: f64 = p.weights().iter().sum();
    assert!(
        (total - 100.0).abs() < 1e-6 * p.k as f64,
        "weights sum {total} {p:?}"
    );
    if let Some((lo, hi)) = bounds {
        assert!(
            lo <= p.estimate && p.estimate <= hi,
            "estimate outside [{lo}, {hi}]: {p:?}"
        );
    }
}
