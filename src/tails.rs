//! Fast tail probabilities for the hot path: the two-sided standard normal p-value and the
//! chi-square upper tail for whole degrees of freedom, each at the cost of one `exp`.
//!
//! ```text
//! two-sided normal:  p(z) = erfc(|z| / sqrt 2) = exp(-z^2 / 2) h(|z|),
//!                    h(z) = exp(z^2 / 2) erfc(z / sqrt 2)   (smooth, h(0) = 1, h ~ sqrt(2/pi) / z)
//! chi-square, df = 2m:     Q = exp(-x/2) sum_{j=0}^{m-1} (x/2)^j / j!
//! chi-square, df = 2m + 1: Q = exp(-x/2) [ h(sqrt x) + sqrt(2x/pi) sum_{j=1}^{m} x^(j-1) / (2j-1)!! ]
//! ```
//! The closed forms for whole df are Abramowitz & Stegun 26.4.4 and 26.4.5 (with 26.2.29 for the
//! normal tail); every term is positive, so nothing cancels. `h` is tabulated as degree-12
//! polynomials on intervals of width 1/2 (`fixtures/tails/fit_normal_tail.py`, Chebyshev fits at
//! 50 digits), and `z^2` is formed exactly (Dekker's product) so that `exp(-z^2/2)` carries no
//! error from squaring.
//!
//! Accuracy against 50-digit mpmath values (`fixtures/tails/reference.json`, tested in
//! `tests/tails.rs`): see the constants in that test; in short about 1e-15 relative for the
//! normal tail while p is a normal (not subnormal) `f64`, and for the chi-square closed forms.

mod table;

use table::{DEGREE, H, INTERVALS};

/// Largest whole df handled by the closed forms; larger df go to `statrs::function::gamma::gamma_ur`.
pub(crate) const MAX_CLOSED_DF: f64 = 100.0;

/// Beyond this `x / 2` the closed forms' `exp(-x/2)` nears underflow; `statrs` takes over.
const MAX_HALF_X: f64 = 700.0;

/// `sqrt(2 / pi)`.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;

/// Veltkamp's splitting constant `2^27 + 1`.
const SPLIT: f64 = 134_217_729.0;

/// `z^2` as an unevaluated sum `hi + lo`, exactly (Dekker 1971), for `|z| < 2^500`.
#[inline(always)]
fn exact_square(z: f64) -> (f64, f64) {
    let c = SPLIT * z;
    let zh = c - (c - z);
    let zl = z - zh;
    let hi = z * z;
    let lo = ((zh * zh - hi) + 2.0 * zh * zl) + zl * zl;
    (hi, lo)
}

/// `h(z) = exp(z^2/2) erfc(z / sqrt 2)` for `0 <= z < INTERVALS / 2`.
#[inline(always)]
fn h(z: f64) -> f64 {
    let i = (2.0 * z) as usize;
    let row = &H[i.min(INTERVALS - 1)];
    let t = 4.0 * z - (2 * i + 1) as f64;
    let mut acc = row[0];
    for &c in &row[1..=DEGREE] {
        acc = acc * t + c;
    }
    acc
}

/// Two-sided p-value of a standard normal statistic, `erfc(|z| / sqrt 2)`. NaN for NaN; 0 once
/// the value underflows `f64` (`|z| > 38.6`).
#[inline]
pub(crate) fn normal_two_sided(z: f64) -> f64 {
    let z = z.abs();
    if z < (INTERVALS / 2) as f64 {
        let (hi, lo) = exact_square(z);
        // exp(-(hi + lo)/2) = exp(-hi/2) (1 - lo/2) to within lo^2, |lo| <= ulp(hi) / 2.
        ((-0.5 * hi).exp() * (1.0 - 0.5 * lo) * h(z)).min(1.0)
    } else if z.is_nan() {
        z
    } else {
        0.0
    }
}

/// Chi-square upper tail `P(X >= x)` on `df` degrees of freedom; closed forms for whole
/// `1 <= df <= 100` and `x <= 1400`, `statrs`' regularized incomplete gamma otherwise.
/// Returns 1 for `x <= 0`.
#[inline]
pub(crate) fn chi_square_upper(x: f64, df: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x == f64::INFINITY {
        return 0.0;
    }
    let half = 0.5 * x;
    if (1.0..=MAX_CLOSED_DF).contains(&df) && df == df.trunc() && half <= MAX_HALF_X {
        let n = df as usize;
        let e = (-half).exp();
        if n % 2 == 0 {
            // exp(-x/2) sum_{j<m} (x/2)^j / j!
            let mut term = 1.0;
            let mut sum = 1.0;
            for j in 1..n / 2 {
                term *= half / j as f64;
                sum += term;
            }
            // the closed forms can round a hair above 1 for tiny x; a probability is <= 1
            (e * sum).min(1.0)
        } else {
            let s = x.sqrt();
            let mut bracket = h(s.min((INTERVALS / 2) as f64 - 0.25));
            if n > 1 {
                // sum_{j=1}^{m} x^(j-1) / (2j-1)!!
                let mut term = 1.0;
                let mut sum = 1.0;
                for j in 2..=n / 2 {
                    term *= x / (2 * j - 1) as f64;
                    sum += term;
                }
                bracket += SQRT_2_OVER_PI * s * sum;
            }
            (e * bracket).min(1.0)
        }
    } else if half <= 0.0 {
        // x is subnormal and x/2 underflowed: statrs' gamma_ur would panic at 0
        1.0
    } else {
        // gamma_ur unwraps and panics unless 0 < df/2 < inf; NaN instead (callers report it)
        statrs::function::gamma::checked_gamma_ur(df / 2.0, half).map_or(f64::NAN, |p| p.min(1.0))
    }
}
