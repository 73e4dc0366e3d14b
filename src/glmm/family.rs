//! The per-observation log-likelihoods of the GLMMs as functions of the linear predictor, with
//! their first two derivatives: binomial (logit link), Poisson (log link, log person-time
//! offset) and Fisher's non-central hypergeometric (the exact conditional likelihood of a 2x2
//! table given its margins, in the log odds ratio), each with its normalising constant, so
//! that sums are full log-likelihoods as R's `logLik` reports them.

use statrs::function::gamma::ln_gamma;

/// One observation's distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Family {
    /// `y` events out of `n`: `l = ln C(n, y) + y eta - n ln(1 + e^eta)`.
    Binomial { n: f64 },
    /// `y` events: `l = -ln y! + y eta - e^eta` (the offset is in `eta`).
    Poisson,
    /// Fisher's non-central hypergeometric distribution of `a` given the margins, in the log
    /// odds ratio `eta`: `l = c_a + a eta - ln Σ_u exp(c_u + u eta)`,
    /// `c_u = ln C(n1, u) + ln C(n2, m - u)` over `u = lo .. lo + len - 1`; the log
    /// coefficients are stored in [`Coefficients`] from `start`.
    Hypergeometric { lo: f64, start: usize, len: usize },
}

/// The log coefficients `c_u` of every hypergeometric observation of a design, end to end, and
/// the ratios `exp(c_(u+1) - c_u)` at the same positions (the last of each table unused), so
/// that a likelihood evaluation takes one exponential instead of one per term.
#[derive(Debug, Clone, Default)]
pub(crate) struct Coefficients {
    pub(crate) log: Vec<f64>,
    pub(crate) ratio: Vec<f64>,
}

pub(crate) fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// `ln(1 + e^x)` without overflow or loss for large negative `x`.
pub(crate) fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The logistic function.
fn expit(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

impl Family {
    /// The normalising constant of `y` (for the hypergeometric, `c_y`, which is part of the
    /// numerator).
    pub(crate) fn constant(&self, y: f64, coefficients: &Coefficients) -> f64 {
        match *self {
            Family::Binomial { n } => ln_choose(n, y),
            Family::Poisson => -ln_gamma(y + 1.0),
            Family::Hypergeometric { lo, start, .. } => coefficients.log[start + (y - lo) as usize],
        }
    }

    /// `(l - constant, dl/deta, d²l/deta²)` at `eta` for the observation `y`.
    #[inline]
    pub(crate) fn eval(&self, y: f64, eta: f64, coefficients: &Coefficients) -> (f64, f64, f64) {
        match *self {
            Family::Binomial { n } => {
                let p = expit(eta);
                (y * eta - n * softplus(eta), y - n * p, -n * p * (1.0 - p))
            }
            Family::Poisson => {
                let mu = eta.exp();
                (y * eta - mu, y - mu, -mu)
            }
            Family::Hypergeometric { lo, start, len } => {
                // the largest term c_u + u eta, then the others by the ratios, down and up
                let c = &coefficients.log[start..start + len];
                let r = &coefficients.ratio[start..start + len];
                let mut m = 0;
                let mut top = f64::NEG_INFINITY;
                for (j, cj) in c.iter().enumerate() {
                    let v = cj + (lo + j as f64) * eta;
                    if v > top {
                        top = v;
                        m = j;
                    }
                }
                let x = eta.exp();
                let (mut s0, mut s1, mut s2) = (1.0, lo + m as f64, (lo + m as f64).powi(2));
                let mut t = 1.0;
                for j in m + 1..len {
                    t *= r[j - 1] * x;
                    let u = lo + j as f64;
                    s0 += t;
                    s1 += u * t;
                    s2 += u * u * t;
                }
                t = 1.0;
                for j in (0..m).rev() {
                    t /= r[j] * x;
                    let u = lo + j as f64;
                    s0 += t;
                    s1 += u * t;
                    s2 += u * u * t;
                }
                let mean = s1 / s0;
                let var = (s2 / s0 - mean * mean).max(0.0);
                (y * eta - top - s0.ln(), y - mean, -var)
            }
        }
    }

    /// The largest log-likelihood any `eta` gives `y` (the saturated fit), without the
    /// constant: `y ln(y/n) + (n - y) ln(1 - y/n)`, `y ln y - y`, or the hypergeometric's
    /// supremum (0 at the ends of the support, else its conditional maximum, which the caller
    /// computes).
    pub(crate) fn saturated(&self, y: f64) -> f64 {
        let xlogx = |x: f64| if x > 0.0 { x * x.ln() } else { 0.0 };
        match *self {
            Family::Binomial { n } => xlogx(y) + xlogx(n - y) - xlogx(n),
            Family::Poisson => xlogx(y) - y,
            Family::Hypergeometric { .. } => f64::NAN,
        }
    }
}

/// The coefficients `c_u = ln C(n1, u) + ln C(n2, m - u)` of the 2x2 table with `a` events of
/// `n1` in arm 1 and `c` of `n2` in arm 2 (`m = a + c`), appended to `store`; returns the
/// family.
pub(crate) fn hypergeometric(a: f64, n1: f64, c: f64, n2: f64, store: &mut Coefficients) -> Family {
    let m = a + c;
    let lo = (m - n2).max(0.0);
    let hi = n1.min(m);
    let start = store.log.len();
    let mut u = lo;
    while u <= hi {
        store.log.push(ln_choose(n1, u) + ln_choose(n2, m - u));
        u += 1.0;
    }
    let len = store.log.len() - start;
    for j in 0..len {
        let next = store.log.get(start + j + 1).copied().unwrap_or(f64::NAN);
        store.ratio.push((next - store.log[start + j]).exp());
    }
    Family::Hypergeometric { lo, start, len }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypergeometric_is_a_normalised_log_pmf_with_its_moments() {
        let mut store = Coefficients::default();
        let f = hypergeometric(4.0, 123.0, 11.0, 139.0, &mut store);
        let eta = -0.9;
        let total: f64 = (0..=15)
            .map(|a| {
                let a = a as f64;
                (f.eval(a, eta, &store).0 + f.constant(a, &store)).exp()
            })
            .sum();
        assert!((total - 1.0).abs() < 1e-13);
        // derivatives against central differences
        let (l0, d1, d2) = f.eval(4.0, eta, &store);
        let h = 1e-5;
        let (lp, ..) = f.eval(4.0, eta + h, &store);
        let (lm, ..) = f.eval(4.0, eta - h, &store);
        assert!(((lp - lm) / (2.0 * h) - d1).abs() < 1e-8);
        assert!(((lp - 2.0 * l0 + lm) / (h * h) - d2).abs() < 1e-4);
    }
}
