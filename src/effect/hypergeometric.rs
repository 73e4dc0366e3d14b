//! The Gauss hypergeometric function `2F1(a, b; c; x)` for `0 < b < c`, `0 <= x <= 1`, as the
//! unbiased correlation (metafor `UCOR`) needs it.
//!
//! Euler's integral (DLMF 15.6.1),
//! ```text
//! 2F1(a, b; c; x) = Gamma(c) / (Gamma(b) Gamma(c - b)) int_0^1 t^(b-1) (1-t)^(c-b-1) (1 - x t)^(-a) dt,
//! ```
//! is evaluated by tanh-sinh (double-exponential) quadrature, `t = 1 / (1 + exp(-pi sinh u))`,
//! which is exact to rounding for the endpoint singularities `t^(b-1)` and `(1-t)^(c-b-1)`
//! (also at `x = 1`, where the power series converges like `k^(a+b-c-1)`: too slowly for the
//! correlations near 0 of small studies). `1 - t` is computed from its own formula, so nothing
//! cancels near `t = 1`. The step is halved until two successive sums agree to 1e-15.

use statrs::function::gamma::ln_gamma;

/// `Gamma(c) / (Gamma(b) Gamma(c - b))`, as `1 / B(b, c - b)`. For `b = 1/2` through Hedges'
/// `J` (which keeps full precision for large `c`): `Gamma(c) / Gamma(c - 1/2) = J(2c) sqrt(c)`.
fn inverse_beta(b: f64, c: f64) -> f64 {
    if b == 0.5 {
        super::continuous::hedges_exact_j(2.0 * c) * c.sqrt() / std::f64::consts::PI.sqrt()
    } else if b == 1.0 {
        c - 1.0
    } else {
        (ln_gamma(c) - ln_gamma(b) - ln_gamma(c - b)).exp()
    }
}

/// `2F1(a, b; c; x) - 1` for `0 < b < c` and `0 <= x <= 1` (with `c > a + b` when `x = 1`),
/// given `x` and `1 - x`:
/// the power series `sum_{k>=1} (a)_k (b)_k / ((c)_k k!) x^k` for `x <= 1/2` (where its terms
/// fall at least like `2^-k`), which keeps the full relative precision of this difference for
/// small x (a correlation near ±1), and Euler's integral otherwise.
pub(crate) fn hyp2f1_minus_one(a: f64, b: f64, c: f64, x: f64, one_minus_x: f64) -> f64 {
    if x <= 0.5 {
        let (mut term, mut sum) = (1.0, 0.0);
        for k in 0..200 {
            let k = k as f64;
            term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * x;
            sum += term;
            if term.abs() <= 1e-17 * sum.abs() {
                break;
            }
        }
        sum
    } else {
        hyp2f1_integral(a, b, c, x, one_minus_x) - 1.0
    }
}

/// `2F1(a, b; c; x)` for `0 < b < c` and `0 <= x <= 1` (with `c > a + b` when `x = 1`), given
/// `x` and `1 - x` (each computed by the caller without cancellation).
pub(crate) fn hyp2f1(a: f64, b: f64, c: f64, x: f64, one_minus_x: f64) -> f64 {
    hyp2f1_minus_one(a, b, c, x, one_minus_x) + 1.0
}

/// Euler's integral by tanh-sinh quadrature, in `s = 1 - t`:
/// `int_0^1 (1-s)^(b-1) s^(c-b-1) ((1 - x) + x s)^(-a) ds`. For x near 1 the factor
/// `((1 - x) + x s)^(-a)` varies on the scale `1 - x` next to `s = 0`, so the range is split at
/// `16 (1 - x)` and each piece integrated on its own (the quadrature clusters its nodes at the
/// ends of each piece).
fn hyp2f1_integral(a: f64, b: f64, c: f64, x: f64, one_minus_x: f64) -> f64 {
    let g = |s: f64, one_minus_s: f64| -> f64 {
        one_minus_s.powf(b - 1.0) * s.powf(c - b - 1.0) * (one_minus_x + x * s).powf(-a)
    };
    let split = 16.0 * one_minus_x;
    let integral = if split < 0.5 {
        tanh_sinh(&g, 0.0, split) + tanh_sinh(&g, split, 1.0)
    } else {
        tanh_sinh(&g, 0.0, 1.0)
    };
    inverse_beta(b, c) * integral
}

/// `int_lo^hi g(s, 1 - s) ds` for `0 <= lo < hi <= 1` by tanh-sinh quadrature, `s = lo + L tau`,
/// `tau = 1 / (1 + exp(-pi sinh u))`, with `s - lo` and `1 - s` each from its own formula (exact
/// next to the ends 0 and 1). The step is halved until two successive sums agree to 1e-15.
pub(crate) fn tanh_sinh(g: &dyn Fn(f64, f64) -> f64, lo: f64, hi: f64) -> f64 {
    let len = hi - lo;
    let node = |u: f64| -> f64 {
        let e = std::f64::consts::PI * u.sinh();
        let tau = 1.0 / (1.0 + (-e).exp());
        let one_minus_tau = 1.0 / (1.0 + e.exp());
        let (s, one_minus_s) = (lo + len * tau, (1.0 - hi) + len * one_minus_tau);
        if s <= 0.0 || one_minus_s <= 0.0 {
            return 0.0;
        }
        let w = std::f64::consts::PI * u.cosh() * tau * one_minus_tau * len;
        let v = w * g(s, one_minus_s);
        if v.is_finite() {
            v
        } else {
            0.0
        }
    };
    const U_MAX: f64 = 4.5;
    let mut h = 0.5;
    let mut sum = node(0.0);
    let mut k = 1;
    while (k as f64) * h <= U_MAX {
        let u = k as f64 * h;
        sum += node(u) + node(-u);
        k += 1;
    }
    let mut previous = sum * h;
    for _ in 0..10 {
        // add the midpoints of the current grid
        h /= 2.0;
        let mut k = 1;
        while (k as f64) * h <= U_MAX {
            let u = k as f64 * h;
            sum += node(u) + node(-u);
            k += 2;
        }
        let current = sum * h;
        let done = (current - previous).abs() <= 1e-15 * current.abs();
        previous = current;
        if done {
            break;
        }
    }
    previous
}

#[cfg(test)]
mod tests {
    use super::hyp2f1;

    #[test]
    fn closed_forms() {
        // Gauss: 2F1(a, b; c; 1) = Gamma(c) Gamma(c-a-b) / (Gamma(c-a) Gamma(c-b));
        // 2F1(1, 1; 3; 1) = 2, 2F1(1/2, 1/2; 3/2; x) = asin(sqrt x) / sqrt(x (1 - x)) * sqrt(1 - x)
        assert!((hyp2f1(1.0, 1.0, 3.0, 1.0, 0.0) - 2.0).abs() < 1e-14);
        let x: f64 = 0.7;
        let want = x.sqrt().asin() / x.sqrt();
        assert!((hyp2f1(0.5, 0.5, 1.5, x, 1.0 - x) - want).abs() < 1e-14 * want);
        // 2F1(1, 1; 2; x) = -ln(1 - x) / x
        let want = -(1.0 - x).ln() / x;
        assert!((hyp2f1(1.0, 1.0, 2.0 + 1e-12, x, 1.0 - x) - want).abs() < 1e-10);
        assert_eq!(hyp2f1(0.5, 0.5, 10.0, 0.0, 1.0), 1.0);
        // x = 1 - 1e-12 given with its exact 1 - x (mpmath: r F(1/2, 1/2; 3/2; 1 - r^2) at r = 1e-6)
        let f = hyp2f1(0.5, 0.5, 1.5, 1.0 - 1e-12, 1e-12);
        assert!(
            (1e-6 * f - 1.5707953267956819e-6).abs() < 1e-15 * 1.6e-6,
            "{f}"
        );
    }
}
