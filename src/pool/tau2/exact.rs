//! The exact solver of the iterative tau² estimators ([`super::Tau2Mode::Exact`]): the root of
//! an estimating equation `g(tau2)` that is positive below its root and negative beyond a
//! provable upper bound, by safeguarded Newton steps inside a bracket, for any [`Design`].
//!
//! ```text
//! equations (P the projection of the design at w = 1/(v + tau2), df = k - p):
//!   REML   g = y'PPy - tr P          (twice the score; Fisher information tr PP / 2)
//!   ML     g = y'PPy - sum w         (twice the score; Fisher information sum w^2 / 2)
//!   EB, PM g = y'Py - df             (EB's Fisher scoring converges to PM's root)
//!   PMM    g = y'Py - qchisq(0.5, df)
//!   Q-profile bound  g = y'Py - chi-square quantile      (dg/dtau2 = -y'PPy for y'Py)
//! boundary: g(0) <= 0  =>  tau2 = 0 (ML, REML: 0 is a local maximum, but the likelihood may
//!           have a second one inside: the score is evaluated on the grid upper 4^-j down to
//!           1e-3 vmin, and from the first point where it is positive the root above it is
//!           solved for and kept if its (restricted) likelihood is larger than at 0; a second
//!           maximum whose region of positive score falls between two grid points is missed)
//! bracket:  [0, upper], with g < 0 beyond upper (RSS_OLS = min_b |y - Xb|^2 <= vmax Q(0)):
//!   y'Py(tau2) <= RSS_OLS max w,  y'PPy <= RSS_OLS (max w)^2,  tr P >= df min w,  sum w >= df min w
//!   REML, ML: upper = max(vmax, 4 vmax Q(0) / df)   (then y'PPy <= df / (4 upper) < tr P)
//!   Q = target: upper = 2 vmax Q(0) / target         (then y'Py <= target / 2)
//! iteration: from the start (tau2_init, or the DerSimonian-Laird estimate when it is inside the
//!   bracket, or one Newton step from 0), x <- x - g(x) / slope, slope the exact derivative
//!   for y'Py, for the scores Fisher's expected one on the first step and the secant through
//!   the last two iterates after; each evaluation narrows the bracket [a, b] (g(a) > 0 > g(b));
//!   a step that leaves the bracket, or the third step not half as long as the one two steps
//!   before it, is replaced by bisection (geometric when b > 64 a > 0), and after 100 steps
//!   only bisection is used
//! stop: |step| <= tol or b - a <= tol,  tol = max(1e-13 x, 1e-300)
//! ```
//! Bisection alone reaches the root in at most about 2,200 halvings of a bracket of finite
//! doubles, so the solver cannot fail on finite sums. Sources: Press et al., Numerical Recipes,
//! 3rd ed. (2007), §9.4 (`rtsafe`); Brent (1973) ch. 4; the estimating equations of metafor
//! 3.8 `rma.uni` (Viechtbauer 2005; Paule & Mandel 1982; Viechtbauer 2007).

use super::design::{Design, EquationSums};
use super::likelihood::standard_error;
use super::{Tau2Control, Tau2Estimator, Tau2Fit, Tau2Stop};
use crate::error::{Error, Result};
use crate::inference::chi_square_quantile;

/// Relative stopping tolerance of the exact solver.
pub(crate) const RELATIVE_TOLERANCE: f64 = 1e-13;
/// Absolute stopping tolerance near 0.
const ABSOLUTE_TOLERANCE: f64 = 1e-300;
/// Steps after which only bisection is used.
const NEWTON_STEPS: usize = 100;
/// A bound no bracket of finite doubles needs (bisection from 1e308 to 1e-300 at 1e-13
/// relative takes about 2,100 halvings).
const MAX_EVALUATIONS: usize = 10_000;

/// The estimating equation of an iterative estimator: positive below the solution, negative
/// beyond it (a score, or a generalized Q minus its target).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Equation {
    /// The REML score times 2: `y'PPy - tr P`.
    RestrictedLikelihood,
    /// The ML score times 2: `y'PPy - sum w`.
    Likelihood,
    /// The generalized Q minus its target: `y'Py - target`.
    Q {
        /// `df` (EB, PM) or `qchisq(0.5, df)` (PMM), or a chi-square quantile (Q-profile).
        target: f64,
    },
}

impl Equation {
    /// `g` from the sums at one tau².
    #[inline]
    pub(crate) fn value(self, s: &EquationSums) -> f64 {
        match self {
            Equation::RestrictedLikelihood => s.rss2 - s.tr_p,
            Equation::Likelihood => s.rss2 - s.sum_w,
            Equation::Q { target } => s.rss - target,
        }
    }

    /// The slope used for a Newton step: the exact derivative `-y'PPy` of `y'Py`, Fisher's
    /// expected derivative `-tr PP` (REML) or `-sum w^2` (ML) of the scores.
    #[inline]
    fn slope(self, s: &EquationSums) -> f64 {
        match self {
            Equation::RestrictedLikelihood => -s.tr_pp,
            Equation::Likelihood => -s.sum_w2,
            Equation::Q { .. } => -s.rss2,
        }
    }

    /// Whether [`Equation::slope`] is the exact derivative (else the secant takes over).
    fn exact_slope(self) -> bool {
        matches!(self, Equation::Q { .. })
    }

    /// A tau² beyond which `g < 0` (module docs), from the largest variance, `Q(0) = y'P(0)y`
    /// and the residual degrees of freedom.
    fn upper(self, vmax: f64, q0: f64, df: f64) -> f64 {
        let rss_ols = vmax * q0;
        match self {
            Equation::RestrictedLikelihood | Equation::Likelihood => vmax.max(4.0 * rss_ols / df),
            Equation::Q { target } => 2.0 * rss_ols / target,
        }
    }
}

/// The ratio of neighbouring points of the grid on which a likelihood whose score at 0 is not
/// positive is searched for a second, interior, maximum.
const GRID_STEP: f64 = 4.0;
/// The grid's lowest point, relative to the smallest variance.
const GRID_FLOOR: f64 = 1e-3;

/// Where the solver stopped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Solution {
    /// The root.
    pub tau2: f64,
    /// Evaluations of the equation.
    pub iterations: usize,
    /// The last step taken.
    pub last_step: f64,
    /// The width of the final bracket.
    pub bracket: f64,
}

#[inline]
fn tolerance(x: f64) -> f64 {
    (RELATIVE_TOLERANCE * x.abs()).max(ABSOLUTE_TOLERANCE)
}

#[inline]
fn bisect(a: f64, b: f64) -> f64 {
    if a > 0.0 && b > 64.0 * a {
        a.sqrt() * b.sqrt()
    } else {
        a + 0.5 * (b - a)
    }
}

/// The root of a function decreasing through it inside `(lo, hi)`, given `g(lo) = g_lo > 0`,
/// the slope there, and `hi` with `g(hi) < 0` (not evaluated), from `start` when it lies inside
/// (see the module docs). `eval(x)` returns `(g(x), slope(x))`; `exact_slope` says whether the
/// slope is the derivative (else the secant through the last two iterates replaces it after
/// the first step). A NaN from `eval` is [`Error::NonFinite`].
pub(crate) fn bracketed_newton(
    mut eval: impl FnMut(f64) -> (f64, f64),
    (lo, g_lo, slope_lo): (f64, f64, f64),
    hi: f64,
    start: Option<f64>,
    exact_slope: bool,
) -> Result<Solution> {
    let (mut a, mut b) = (lo, hi);
    let newton_from_lo = lo - g_lo / slope_lo;
    let mut x = match start {
        Some(s) if s > a && s < b => s,
        _ if newton_from_lo > a && newton_from_lo < b => newton_from_lo,
        _ => bisect(a, b),
    };
    let mut prev: Option<(f64, f64)> = None;
    let (mut step, mut step_before) = (x - lo, f64::INFINITY);
    let (mut iterations, mut slow) = (0usize, 0usize);
    loop {
        let (g, slope) = eval(x);
        iterations += 1;
        if g.is_nan() {
            return Err(Error::NonFinite {
                what: "tau2 estimating equation",
            });
        }
        if g > 0.0 {
            a = x;
        } else if g < 0.0 {
            b = x;
        } else {
            return Ok(Solution {
                tau2: x,
                iterations,
                last_step: step,
                bracket: b - a,
            });
        }
        let slope = match prev {
            Some((xp, gp)) if !exact_slope && xp != x => {
                let secant = (g - gp) / (x - xp);
                if secant < 0.0 && secant.is_finite() {
                    secant
                } else {
                    slope
                }
            }
            _ => slope,
        };
        let mut next = x - g / slope;
        if (next - x).abs() > 0.5 * step_before.abs() {
            slow += 1;
        }
        if iterations > NEWTON_STEPS || !(next > a && next < b) || slow >= 3 {
            next = bisect(a, b);
            slow = 0;
        }
        step_before = step;
        step = next - x;
        prev = Some((x, g));
        x = next;
        let tol = tolerance(x);
        if step.abs() <= tol || b - a <= tol || iterations >= MAX_EVALUATIONS {
            return Ok(Solution {
                tau2: x,
                iterations,
                last_step: step,
                bracket: b - a,
            });
        }
    }
}

/// The outcome of [`solve`]: the solution, or the boundary `tau2 = 0` with `g(0) <= 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Solved {
    /// tau2 = 0 (`g(0) <= 0`, and for a likelihood no interior maximum higher); `iterations`
    /// evaluations were made.
    Boundary { iterations: usize },
    /// The interior root.
    Interior(Solution),
}

/// Solve `equation` over the design `d` (module docs). `start` is a starting value (else the
/// DerSimonian-Laird estimate when positive); it changes the path, not the solution.
pub(crate) fn solve(equation: Equation, d: &impl Design, start: Option<f64>) -> Result<Solved> {
    let s0 = d.equation_sums(0.0);
    let g0 = equation.value(&s0);
    if g0.is_nan() {
        return Err(Error::NonFinite {
            what: "tau2 estimating equation",
        });
    }
    let df = d.df();
    let start = start.or_else(|| {
        let dl = (s0.rss - df) / s0.tr_p;
        (dl > 0.0).then_some(dl)
    });
    let (vmin, vmax) = d.variance_range();
    // an overflowing bound (variances near the largest double) becomes the largest double
    let upper = equation.upper(vmax, s0.rss, df).min(f64::MAX);
    let eval = |t: f64| {
        let s = d.equation_sums(t);
        (equation.value(&s), equation.slope(&s))
    };
    let solve_in = |(lo, g_lo, slope_lo): (f64, f64, f64), hi: f64| {
        let start = start.filter(|&t| t > lo && t < hi);
        bracketed_newton(
            eval,
            (lo, g_lo, slope_lo),
            hi,
            start,
            equation.exact_slope(),
        )
    };
    let reml = match equation {
        Equation::Q { .. } if g0 > 0.0 => {
            let sol = solve_in((0.0, g0, equation.slope(&s0)), upper)?;
            return Ok(Solved::Interior(Solution {
                iterations: sol.iterations + 1,
                ..sol
            }));
        }
        Equation::Q { .. } => return Ok(Solved::Boundary { iterations: 1 }),
        Equation::RestrictedLikelihood => true,
        Equation::Likelihood => false,
    };
    // A likelihood may have more than one maximum: every sign change of the score from + to -
    // between neighbouring points of the grid upper 4^-j (down to 1e-3 vmin, then 0) brackets
    // one; the highest of them (and of 0, when g(0) <= 0) is the solution.
    let floor = GRID_FLOOR * vmin;
    let mut iterations = 1usize;
    let mut best: Option<(Solution, f64)> = None;
    let mut candidates = 0usize;
    let (mut above, mut above_g) = (upper, f64::NEG_INFINITY);
    let mut t = upper / GRID_STEP;
    loop {
        let at_zero = t <= floor;
        let (t_here, g, slope) = if at_zero {
            (0.0, g0, equation.slope(&s0))
        } else {
            let (g, slope) = eval(t);
            iterations += 1;
            if g.is_nan() {
                return Err(Error::NonFinite {
                    what: "tau2 estimating equation",
                });
            }
            (t, g, slope)
        };
        if g > 0.0 && above_g <= 0.0 {
            let sol = solve_in((t_here, g, slope), above)?;
            iterations += sol.iterations;
            candidates += 1;
            // the log-likelihood only where there is a choice to make
            let ll = if candidates > 1 || g0 <= 0.0 {
                d.log_likelihood(sol.tau2, reml)?
            } else {
                f64::NAN
            };
            if candidates > 1 && best.as_ref().is_some_and(|b| b.1.is_nan()) {
                if let Some(b) = best.as_mut() {
                    b.1 = d.log_likelihood(b.0.tau2, reml)?;
                }
            }
            if best.as_ref().map_or(true, |b| ll > b.1) {
                best = Some((sol, ll));
            }
        }
        if at_zero {
            break;
        }
        (above, above_g) = (t, g);
        t /= GRID_STEP;
    }
    Ok(match best {
        None => Solved::Boundary { iterations },
        Some((_, ll)) if g0 <= 0.0 && (ll <= d.log_likelihood(0.0, reml)? || ll.is_nan()) => {
            Solved::Boundary { iterations }
        }
        Some((sol, _)) => Solved::Interior(Solution { iterations, ..sol }),
    })
}

/// An iterative estimator (ML, REML, EB, PM, PMM) solved exactly over the design `d`, with
/// metafor's standard error at the solution ([`super::likelihood::standard_error`]).
pub(crate) fn fit(
    estimator: Tau2Estimator,
    d: &impl Design,
    control: &Tau2Control,
) -> Result<Tau2Fit> {
    let df = d.df();
    let equation = match estimator {
        Tau2Estimator::MaximumLikelihood => Equation::Likelihood,
        Tau2Estimator::RestrictedMaximumLikelihood => Equation::RestrictedLikelihood,
        Tau2Estimator::PauleMandelMedian => Equation::Q {
            target: chi_square_quantile(0.5, df),
        },
        _ => Equation::Q { target: df },
    };
    let solved = solve(equation, d, control.tau2_init())?;
    let (tau2, iterations) = match solved {
        Solved::Boundary { iterations } => (0.0, iterations),
        Solved::Interior(sol) => (sol.tau2, sol.iterations),
    };
    // the full sums at the solution, for the standard error and the equation's value
    let s = d.at(tau2);
    let value = equation.value(&EquationSums::from(s));
    let stop = match solved {
        Solved::Boundary { .. } => Tau2Stop::Boundary { equation: value },
        Solved::Interior(sol) => Tau2Stop::Solved {
            last_step: sol.last_step,
            bracket: sol.bracket,
            equation: value,
        },
    };
    Ok(Tau2Fit {
        estimator,
        tau2,
        se: Some(standard_error(estimator, &s, d)),
        iterations,
        stop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newton_finds_a_root_to_full_precision() {
        // g(x) = 1 / (1 + x) - 0.25, root 3, decreasing and convex
        let eval = |x: f64| (1.0 / (1.0 + x) - 0.25, -1.0 / ((1.0 + x) * (1.0 + x)));
        let sol = bracketed_newton(eval, (0.0, 0.75, -1.0), 100.0, None, true).unwrap();
        assert!((sol.tau2 - 3.0).abs() <= 4e-13 * 3.0, "{sol:?}");
        assert!(sol.iterations < 12, "{sol:?}");
    }

    #[test]
    fn a_useless_slope_falls_back_to_bisection() {
        // a slope of the wrong size every time: bisection still brackets the root
        let eval = |x: f64| (2.0 - x, -1e-9);
        let sol = bracketed_newton(eval, (0.0, 2.0, -1e-9), 1e6, None, true).unwrap();
        assert!((sol.tau2 - 2.0).abs() <= 1e-12, "{sol:?}");
    }

    #[test]
    fn a_tiny_root_is_found_relatively() {
        let r = 1e-200;
        let eval = |x: f64| (1.0 - x / r, -1.0 / r * 1e-3);
        let sol = bracketed_newton(eval, (0.0, 1.0, -1.0), 1.0, None, false).unwrap();
        assert!((sol.tau2 / r - 1.0).abs() <= 1e-12, "{sol:?}");
    }
}
