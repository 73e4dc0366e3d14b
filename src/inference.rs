//! Distribution functions used for inference: normal and chi-square tails and quantiles,
//! and the Wald confidence interval.
//!
//! The tails are computed directly (never as `1 - cdf`), so p-values far below machine epsilon
//! are reported as they are, down to the smallest positive `f64` (about 4.9e-324); only a p-value
//! that underflows `f64` is returned as 0.

use crate::error::{open_unit, Result};
use statrs::distribution::{ContinuousCDF, Normal};

/// Two-sided p-value of a standard normal statistic: `p = 2 * (1 - Phi(|z|)) = erfc(|z| / sqrt(2))`
/// (statrs' `erfc` is off by up to about 1e-10 relative for moderate z, so it is not used).
///
/// ```text
/// p = exp(-z^2 / 2) h(|z|),  h(z) = exp(z^2 / 2) erfc(z / sqrt 2)  (A&S 26.2.29)
/// ```
/// with `h` tabulated as degree-12 polynomials (Chebyshev fits at 50 digits) and `z^2` formed
/// exactly: one `exp` per call, relative error about 1e-15 against 50-digit mpmath while `p` is
/// a normal `f64` (see `tests/tails.rs`); `p` underflows to 0 for `|z| > 38.6`.
///
/// # Example
/// ```
/// let p = metapool::inference::normal_two_sided_p(1.959963984540054);
/// assert!((p - 0.05).abs() < 1e-15);
/// // 2 * pnorm(-0.7272) = 0.4671034462173258
/// let p = metapool::inference::normal_two_sided_p(0.7272);
/// assert!((p / 0.4671034462173258 - 1.0).abs() < 1e-14);
/// ```
#[inline]
pub fn normal_two_sided_p(z: f64) -> f64 {
    crate::tails::normal_two_sided(z)
}

/// Upper-tail probability of the chi-square distribution with `df` degrees of freedom,
/// `P(X >= q) = Q(df/2, q/2)` (the regularized upper incomplete gamma function).
///
/// Returns 1 for `q <= 0` and for `q` so small that `q/2` underflows to 0, 0 for `q = +inf`,
/// and NaN (never a panic) for a NaN argument or a `df` that is not positive and finite; the
/// poolers report a NaN as [`Error::NonFinite`](crate::Error::NonFinite).
///
/// For whole `df <= 100` and `q <= 1400` it uses the closed forms (A&S 26.4.4, 26.4.5), one
/// `exp` per call and no cancellation:
/// ```text
/// df = 2m:     Q = exp(-q/2) sum_{j=0}^{m-1} (q/2)^j / j!
/// df = 2m + 1: Q = erfc(sqrt(q/2)) + exp(-q/2) sqrt(2q/pi) sum_{j=1}^{m} q^(j-1) / (2j-1)!!
/// ```
/// and otherwise `statrs`' regularized incomplete gamma function.
///
/// # Example
/// ```
/// // qchisq(0.95, 1) = 3.841458820694124
/// let p = metapool::inference::chi_square_upper_tail(3.841458820694124, 1.0);
/// assert!((p - 0.05).abs() < 1e-14);
/// assert_eq!(metapool::inference::chi_square_upper_tail(5e-324, 1.0), 1.0);
/// ```
#[inline]
pub fn chi_square_upper_tail(q: f64, df: f64) -> f64 {
    if !(df > 0.0 && df.is_finite()) {
        return f64::NAN;
    }
    crate::tails::chi_square_upper(q, df)
}

/// Quantile of the standard normal distribution, `Phi^-1(p)` (statrs' `Normal::inverse_cdf`),
/// e.g. the critical value `z_(1 - alpha/2)` of a two-sided interval.
///
/// ```
/// use metapool::inference::normal_quantile;
/// // Abramowitz & Stegun 26.2: Phi^-1(0.975) = 1.959963984540054
/// assert!((normal_quantile(0.975) - 1.959963984540054).abs() < 1e-15);
/// assert!((normal_quantile(0.05) + 1.6448536269514722).abs() < 1e-15);
/// ```
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
/// use metapool::inference::ConfidenceLevel;
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
    ///
    /// ```
    /// use metapool::inference::ConfidenceLevel;
    /// let l = ConfidenceLevel::new(0.99)?;
    /// assert!((l.z() - 2.5758293035489004).abs() < 1e-15); // Phi^-1(0.995)
    /// assert!(ConfidenceLevel::new(0.0).is_err() && ConfidenceLevel::new(f64::NAN).is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(level: f64) -> Result<Self> {
        let level = open_unit("level", level)?;
        let z = normal_quantile((1.0 - level) / 2.0).abs();
        Ok(ConfidenceLevel { level, z })
    }

    /// The level (e.g. 0.95).
    ///
    /// ```
    /// use metapool::inference::ConfidenceLevel;
    /// assert_eq!(ConfidenceLevel::default().level(), 0.95);
    /// assert_eq!(ConfidenceLevel::new(0.9)?.level(), 0.9);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn level(&self) -> f64 {
        self.level
    }

    /// The two-sided standard normal critical value.
    ///
    /// ```
    /// use metapool::inference::ConfidenceLevel;
    /// assert!((ConfidenceLevel::new(0.90)?.z() - 1.6448536269514722).abs() < 1e-15);
    /// # Ok::<(), metapool::Error>(())
    /// ```
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

/// Two-sided p-value of a Student t statistic with `df` degrees of freedom, computed directly as
/// a regularized incomplete beta function (never as `1 - cdf`):
/// ```text
/// p = 2 P(T_df >= |t|) = I_(df / (df + t^2)) (df / 2, 1 / 2)
/// ```
/// Returns NaN unless `df > 0` and `t` is not NaN. Source: Abramowitz & Stegun 26.7.1 / 26.5.27;
/// R's `pt`.
///
/// # Example
/// ```
/// // 2 * pt(-2.262157162798205, 9) = 0.05
/// let p = metapool::inference::t_two_sided_p(2.262157162798205, 9.0);
/// assert!((p - 0.05).abs() < 1e-14);
/// ```
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if df.is_nan() || df <= 0.0 || t.is_nan() {
        return f64::NAN;
    }
    if t == 0.0 {
        return 1.0;
    }
    let x = df / (df + t * t);
    statrs::function::beta::beta_reg(df / 2.0, 0.5, x)
}

/// Upper-tail probability of the F distribution with `df1` and `df2` degrees of freedom,
/// R's `pf(f, df1, df2, lower.tail = FALSE)`:
/// ```text
/// P(F >= f) = I_(df2 / (df2 + df1 f)) (df2 / 2, df1 / 2)
/// ```
/// Returns 1 for `f <= 0`, and NaN unless both df are positive and `f` is not NaN. Source:
/// Abramowitz & Stegun 26.6.2.
///
/// # Example
/// ```
/// // pf(3.5, 2, 10, lower.tail = FALSE) = 0.07042962777237427 (R 4.x)
/// let p = metapool::inference::f_upper_tail(3.5, 2.0, 10.0);
/// assert!((p / 0.07042962777237427 - 1.0).abs() < 1e-13);
/// ```
pub fn f_upper_tail(f: f64, df1: f64, df2: f64) -> f64 {
    if !(df1 > 0.0 && df2 > 0.0) || f.is_nan() {
        return f64::NAN;
    }
    if f <= 0.0 {
        return 1.0;
    }
    if f.is_infinite() {
        return 0.0;
    }
    statrs::function::beta::beta_reg(df2 / 2.0, df1 / 2.0, df2 / (df2 + df1 * f))
}

/// Upper quantile of Student's t with `df` degrees of freedom: the `t` with
/// `P(T_df >= t) = upper` (`upper` in (0, 1)), i.e. R's `qt(upper, df, lower.tail = FALSE)`.
///
/// Starts from statrs' inverse CDF and polishes it with Newton steps on the upper tail
/// `0.5 I_(df/(df+t^2))(df/2, 1/2)` so that the result agrees with R to about 1e-15 relative.
/// Returns NaN unless `df > 0` and `0 < upper < 1`.
///
/// # Example
/// ```
/// // qt(0.025, 9, lower.tail = FALSE) = 2.262157162798205
/// let t = metapool::inference::t_upper_quantile(0.025, 9.0);
/// assert!((t - 2.262157162798205).abs() < 1e-13);
/// ```
pub fn t_upper_quantile(upper: f64, df: f64) -> f64 {
    use statrs::distribution::{Continuous, StudentsT};
    let upper_ok = upper > 0.0 && upper < 1.0;
    if !upper_ok {
        return f64::NAN;
    }
    let Ok(dist) = StudentsT::new(0.0, 1.0, df) else {
        return f64::NAN;
    };
    if !df.is_finite() || df <= 0.0 {
        return f64::NAN;
    }
    if upper > 0.5 {
        return -t_upper_quantile(1.0 - upper, df);
    }
    if upper == 0.5 {
        return 0.0;
    }
    let mut t = dist.inverse_cdf(1.0 - upper);
    if !t.is_finite() || t <= 0.0 {
        t = normal_quantile(1.0 - upper).max(1e-8);
    }
    for _ in 0..8 {
        let tail = 0.5 * t_two_sided_p(t, df);
        let step = (tail - upper) / dist.pdf(t);
        t += step;
        if step.abs() <= 1e-16 * t.abs() {
            break;
        }
    }
    t
}

/// Quantile of the chi-square distribution with `df` degrees of freedom at lower-tail
/// probability `p` (0 < p < 1), R's `qchisq(p, df)`.
///
/// Solves `P(df/2, x/2) = p` (the regularized lower incomplete gamma function; its upper
/// complement for `p > 0.5`, for accuracy in the upper tail) by Newton steps safeguarded by
/// bisection inside a bracket, starting from statrs' inverse CDF; agrees with R to about
/// 1e-15 relative. Returns NaN unless `df > 0` and `0 < p < 1`.
///
/// # Example
/// ```
/// // qchisq(0.5, 1) = 0.454936423119572, qchisq(0.025, 1) = 0.000982069117175256
/// let q = metapool::inference::chi_square_quantile(0.5, 1.0);
/// assert!((q - 0.454936423119572).abs() < 1e-14);
/// let q = metapool::inference::chi_square_quantile(0.025, 1.0);
/// assert!((q / 0.000982069117175256 - 1.0).abs() < 1e-13);
/// ```
pub fn chi_square_quantile(p: f64, df: f64) -> f64 {
    use statrs::distribution::{ChiSquared, Continuous};
    use statrs::function::gamma::{gamma_lr, gamma_ur};
    let p_ok = p > 0.0 && p < 1.0;
    let df_ok = df > 0.0 && df.is_finite();
    if !p_ok || !df_ok {
        return f64::NAN;
    }
    let Ok(dist) = ChiSquared::new(df) else {
        return f64::NAN;
    };
    // increasing in x, zero at the quantile
    let g = |x: f64| {
        if p <= 0.5 {
            gamma_lr(df / 2.0, x / 2.0) - p
        } else {
            (1.0 - p) - gamma_ur(df / 2.0, x / 2.0)
        }
    };
    let (mut lo, mut hi) = (0.0f64, df.max(1.0));
    while g(hi) < 0.0 {
        lo = hi;
        hi *= 2.0;
    }
    let start = dist.inverse_cdf(p);
    let mut x = if start.is_finite() && start > lo && start < hi {
        start
    } else {
        (lo + hi) / 2.0
    };
    for _ in 0..200 {
        let gx = g(x);
        if gx == 0.0 {
            break;
        }
        if gx < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let density = dist.pdf(x);
        let newton = x - gx / density;
        let next = if density > 0.0 && newton > lo && newton < hi {
            newton
        } else {
            (lo + hi) / 2.0
        };
        let change = (next - x).abs();
        x = next;
        if change <= 4.0 * f64::EPSILON * x || hi - lo <= 4.0 * f64::EPSILON * x {
            break;
        }
    }
    x
}
