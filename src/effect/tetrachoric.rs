//! The tetrachoric correlation of a 2x2 table: the maximum-likelihood correlation of a
//! bivariate normal distribution dichotomized at two thresholds (metafor `escalc(measure =
//! "RTET")`).
//!
//! The model has three parameters (the correlation and the two thresholds) for the three free
//! cell probabilities, so the likelihood is maximized where the model reproduces the observed
//! proportions: the thresholds are the normal quantiles of the margins,
//! `h_c = Phi^-1((a + c) / n)` and `h_r = Phi^-1((a + b) / n)`, and `rho` solves
//! ```text
//! Phi2(h_c, h_r; rho) = a / n.
//! ```
//! Its variance is the first diagonal element of the inverse information matrix,
//! `I = n J' diag(1 / pi) J`, with `pi = (a, b, c, d) / n` and `J` the derivatives of the four
//! cell probabilities in `(rho, h_c, h_r)`:
//! ```text
//! d pi_a / d rho = phi2(h_c, h_r; rho)
//! d pi_a / d h_c = phi(h_c) Phi((h_r - rho h_c) / sqrt(1 - rho^2))   (and symmetrically for h_r)
//! pi_b = Phi(h_r) - pi_a,  pi_c = Phi(h_c) - pi_a,  pi_d = 1 - Phi(h_c) - Phi(h_r) + pi_a
//! ```
//! (at the maximum the observed and expected information coincide). metafor maximizes the same
//! likelihood numerically (Nelder-Mead at `reltol = 1e-8`, numerical Hessian), so its values
//! agree with these to about 1e-5. `Phi2` is computed from Sheppard's formula
//! `Phi2(h, k; rho) = Phi(h) Phi(k) + 1/(2 pi) int_0^asin(rho) exp(-(h^2 + k^2 - 2 h k sin t) /
//! (2 cos^2 t)) dt` by double-exponential quadrature. Sources: Pearson (1900); Olsson (1979);
//! Kirk (1973); metafor.

use statrs::distribution::{Continuous, ContinuousCDF, Normal};

/// The standard normal CDF from the crate's tail kernel (about 1e-15 relative;
/// statrs' `Normal::cdf` leaves about 1e-11 here, which the likelihood equation would pass on to
/// rho).
fn normal_cdf(x: f64) -> f64 {
    let half_tail = 0.5 * crate::tails::normal_two_sided(x);
    if x < 0.0 {
        half_tail
    } else {
        1.0 - half_tail
    }
}

use super::hypergeometric::tanh_sinh;

/// `P(X < h, Y < k)` for a standard bivariate normal with correlation `rho`, `|rho| < 1`.
pub(crate) fn bivariate_normal_cdf(h: f64, k: f64, rho: f64) -> f64 {
    let theta_max = rho.asin();
    let g = |s: f64, _: f64| -> f64 {
        let t = theta_max * s;
        let (sin, cos) = t.sin_cos();
        (-(h * h + k * k - 2.0 * h * k * sin) / (2.0 * cos * cos)).exp()
    };
    let integral = if rho == 0.0 {
        0.0
    } else {
        theta_max * tanh_sinh(&g, 0.0, 1.0)
    };
    normal_cdf(h) * normal_cdf(k) + integral / (2.0 * std::f64::consts::PI)
}

/// The bivariate normal density at `(h, k)` with correlation `rho`.
fn bivariate_normal_density(h: f64, k: f64, rho: f64) -> f64 {
    let q = (1.0 - rho) * (1.0 + rho);
    (-(h * h - 2.0 * rho * h * k + k * k) / (2.0 * q)).exp()
        / (2.0 * std::f64::consts::PI * q.sqrt())
}

/// The tetrachoric correlation and its variance of cells `a, b, c, d`, all `> 0`.
pub(crate) fn tetrachoric(a: f64, b: f64, c: f64, d: f64) -> (f64, f64) {
    let normal = Normal::standard();
    let n = a + b + c + d;
    let (h_c, h_r) = (
        normal.inverse_cdf((a + c) / n),
        normal.inverse_cdf((a + b) / n),
    );
    let target = a / n;
    // Phi2 increases in rho: bisection bracket, Newton steps inside it
    let (mut lo, mut hi) = (-1.0f64, 1.0f64);
    let mut rho = 0.0;
    for _ in 0..200 {
        let f = bivariate_normal_cdf(h_c, h_r, rho) - target;
        if f == 0.0 {
            break;
        }
        if f > 0.0 {
            hi = rho;
        } else {
            lo = rho;
        }
        let step = f / bivariate_normal_density(h_c, h_r, rho);
        let mut next = rho - step;
        if !(next > lo && next < hi) {
            next = 0.5 * (lo + hi);
        }
        if (next - rho).abs() <= 1e-16 * (1.0 + rho.abs()) || hi - lo <= 1e-17 {
            rho = next;
            break;
        }
        rho = next;
    }
    let s = ((1.0 - rho) * (1.0 + rho)).sqrt();
    let dens = bivariate_normal_density(h_c, h_r, rho);
    let da_dhc = normal.pdf(h_c) * normal_cdf((h_r - rho * h_c) / s);
    let da_dhr = normal.pdf(h_r) * normal_cdf((h_c - rho * h_r) / s);
    let (phc, phr) = (normal.pdf(h_c), normal.pdf(h_r));
    let jac = [
        [dens, da_dhc, da_dhr],
        [-dens, -da_dhc, phr - da_dhr],
        [-dens, phc - da_dhc, -da_dhr],
        [dens, da_dhc - phc, da_dhr - phr],
    ];
    let pi = [a / n, b / n, c / n, d / n];
    let mut info = [[0.0; 3]; 3];
    for (row, p) in jac.iter().zip(pi) {
        for i in 0..3 {
            for j in 0..3 {
                info[i][j] += n * row[i] * row[j] / p;
            }
        }
    }
    let m = info;
    let cof00 = m[1][1] * m[2][2] - m[1][2] * m[2][1];
    let det = m[0][0] * cof00 - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    (rho, cof00 / det)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bivariate_cdf_closed_forms() {
        // Phi2(0, 0; rho) = 1/4 + asin(rho) / (2 pi); mpmath (30 digits) at h = -k =
        // Phi^-1(1/6), rho = -0.650702899833917: 0.0833333333339314017
        let h = -0.967_421_566_101_701_3;
        let got = bivariate_normal_cdf(h, -h, -0.650_702_899_833_917);
        assert!((got - 0.083_333_333_333_931_4).abs() < 2e-16, "{got}");
        for rho in [-0.9999f64, -0.5, 0.0, 0.3, 0.9, 0.9999] {
            let want = 0.25 + rho.asin() / (2.0 * std::f64::consts::PI);
            let got = bivariate_normal_cdf(0.0, 0.0, rho);
            assert!((got - want).abs() < 1e-15, "rho {rho}: {got} vs {want}");
        }
    }

    #[test]
    fn symmetric_table_at_zero_thresholds() {
        // a = d, b = c: thresholds 0, rho = sin(pi (a - b) / (2 n)) ... = cos(pi b / (b + a))
        let (rho, _) = tetrachoric(30.0, 10.0, 10.0, 30.0);
        let want = (std::f64::consts::PI * (0.375 - 0.25) * 2.0).sin();
        assert!((rho - want).abs() < 1e-14, "{rho} vs {want}");
    }
}
