//! Distribution functions used for inference: normal and chi-square tails and quantiles,
//! and the Wald confidence interval.
//!
//! The tails are computed directly (never as `1 - cdf`), so p-values far below machine epsilon
//! are reported as they are, down to the smallest positive `f64` (about 4.9e-324); only a p-value
//! that underflows `f64` is returned as 0.

use crate::error::{open_unit, Result};
use statrs::distribution::{ContinuousCDF, Normal};

const SQRT_2: f64 = std::f64::consts::SQRT_2;

/// Two-sided p-value of a standard normal statistic: `p = 2 * (1 - Phi(|z|)) = erfc(|z| / sqrt(2))`.
///
/// # Example
/// ```
/// let p = metapool::inference::normal_two_sided_p(1.959963984540054);
/// assert!((p - 0.05).abs() < 1e-15);
/// ```
pub fn normal_two_sided_p(z: f64) -> f64 {
    statrs::function::erf::erfc(z.abs() / SQRT_2)
}

/// Upper-tail probability of the chi-square distribution with `df` degrees of freedom,
/// `P(X >= q) = Q(df/2, q/2)` (the regularized upper incomplete gamma function).
///
/// Returns 1 for `q <= 0` and for `q` so small that `q/2` underflows to 0, 0 for `q = +inf`,
/// and NaN (never a panic) for a NaN argument or a `df` that is not positive and finite; the
/// poolers report a NaN as [`Error::NonFinite`](crate::Error::NonFinite).
///
/// # Example
/// ```
/// // qchisq(0.95, 1) = 3.841458820694124
/// let p = metapool::inference::chi_square_upper_tail(3.841458820694124, 1.0);
/// assert!((p - 0.05).abs() < 1e-14);
/// assert_eq!(metapool::inference::chi_square_upper_tail(5e-324, 1.0), 1.0);
/// ```
pub fn chi_square_upper_tail(q: f64, df: f64) -> f64 {
    if q.is_nan() || !(df > 0.0 && df.is_finite()) {
        return f64::NAN;
    }
    let x = q / 2.0;
    if x <= 0.0 {
        return 1.0;
    }
    if x == f64::INFINITY {
        return 0.0;
    }
    // statrs' gamma_ur panics outside (0, inf); checked_gamma_ur cannot fail here, and a NaN
    // would be reported by the caller rather than unwrap a panic
    statrs::function::gamma::checked_gamma_ur(df / 2.0, x).unwrap_or(f64::NAN)
}

/// Quantile of the standard normal distribution, `Phi^-1(p)`.
pub fn normal_quantile(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}

/// A confidence level strictly inside (0, 1), with its two-sided normal critical value
/// `z = Phi^-1(1 - (1 - level) / 2)` computed once, as metafor does, from the lower tail:
/// `z = -Phi^-1((1 - level) / 2)`. (`1 - (1 - level) / 2` rounds to 1 for levels within 1e-16
/// of 1, whose z would then be infinite; `1 - level` itself is exact for `level >= 0.5`.)
///
/// # Example
/// ```
/// use metapool::ConfidenceLevel;
/// let level = ConfidenceLevel::new(0.95).unwrap();
/// assert!((level.z() - 1.959963984540054).abs() < 1e-14);
/// assert!(ConfidenceLevel::new(1.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "f64", into = "f64"))]
pub struct ConfidenceLevel {
    level: f64,
    z: f64,
}

impl ConfidenceLevel {
    /// A confidence level such as 0.95. Errors unless `0 < level < 1`.
    pub fn new(level: f64) -> Result<Self> {
        let level = open_unit("level", level)?;
        let z = normal_quantile((1.0 - level) / 2.0).abs();
        Ok(ConfidenceLevel { level, z })
    }

    /// The level (e.g. 0.95).
    pub fn level(&self) -> f64 {
        self.level
    }

    /// The two-sided standard normal critical value.
    pub fn z(&self) -> f64 {
        self.z
    }
}

impl Default for ConfidenceLevel {
    /// 95%.
    fn default() -> Self {
        ConfidenceLevel::new(0.95).expect("0.95 is a valid confidence level")
    }
}

impl TryFrom<f64> for ConfidenceLevel {
    type Error = crate::Error;
    fn try_from(x: f64) -> Result<Self> {
        ConfidenceLevel::new(x)
    }
}

impl From<ConfidenceLevel> for f64 {
    fn from(c: ConfidenceLevel) -> f64 {
        c.level
    }
}
