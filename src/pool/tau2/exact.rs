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
//! The search is resumable ([`Search`]: it asks for the sums at one tau² at a time), so one
//! analysis ([`solve`]) and several side by side in SIMD lanes ([`solve_lanes`]) take the very
//! same steps.
//!
//! Bisection alone reaches the root in at most about 2,200 halvings of a bracket of finite
//! doubles, so the solver cannot fail on finite sums. Sources: Press et al., Numerical Recipes,
//! 3rd ed. (2007), §9.4 (`rtsafe`); Brent (1973) ch. 4; the estimating equations of metafor
//! 3.8 `rma.uni` (Viechtbauer 2005; Paule & Mandel 1982; Viechtbauer 2007).

mod lanes;
mod newton;
mod search;

use super::design::{Design, EquationSums};
use super::likelihood::standard_error;
use super::{Tau2Control, Tau2Estimator, Tau2Fit, Tau2Stop};
use crate::error::Result;
use crate::inference::chi_square_quantile;
pub(crate) use lanes::solve_lanes;
#[cfg(test)]
use newton::bracketed_newton;
pub(crate) use search::{Search, SearchStep};

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
    /// The equation of an iterative estimator (ML, REML, EB, PM, PMM) on `df` residual
    /// degrees of freedom; `None` for the others.
    pub(crate) fn of(estimator: Tau2Estimator, df: f64) -> Option<Equation> {
        Some(match estimator {
            Tau2Estimator::MaximumLikelihood => Equation::Likelihood,
            Tau2Estimator::RestrictedMaximumLikelihood => Equation::RestrictedLikelihood,
            Tau2Estimator::PauleMandelMedian => Equation::Q {
                target: chi_square_quantile(0.5, df),
            },
            Tau2Estimator::EmpiricalBayes | Tau2Estimator::PauleMandel => {
                Equation::Q { target: df }
            }
            _ => return None,
        })
    }

    /// `g` from the sums at one tau².
    #[inline(always)]
    pub(crate) fn value(self, s: &EquationSums) -> f64 {
        match self {
            Equation::RestrictedLikelihood => s.rss2 - s.tr_p,
            Equation::Likelihood => s.rss2 - s.sum_w,
            Equation::Q { target } => s.rss - target,
        }
    }

    /// The slope used for a Newton step: the exact derivative `-y'PPy` of `y'Py`, Fisher's
    /// expected derivative `-tr PP` (REML) or `-sum w^2` (ML) of the scores.
    #[inline(always)]
    fn slope(self, s: &EquationSums) -> f64 {
        match self {
            Equation::RestrictedLikelihood => -s.tr_pp,
            Equation::Likelihood => -s.sum_w2,
            Equation::Q { .. } => -s.rss2,
        }
    }

    /// Whether [`Equation::slope`] is the exact derivative (else the secant takes over).
    #[inline(always)]
    fn exact_slope(self) -> bool {
        matches!(self, Equation::Q { .. })
    }

    /// A tau² beyond which `g < 0` (module docs), from the largest variance, `Q(0) = y'P(0)y`
    /// and the residual degrees of freedom.
    #[inline(always)]
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

/// The outcome of [`solve`]: the solution, or the boundary `tau2 = 0` with `g(0) <= 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Solved {
    /// tau2 = 0 (`g(0) <= 0`, and for a likelihood no interior maximum higher); `iterations`
    /// evaluations were made.
    Boundary { iterations: usize },
    /// The interior root.
    Interior(Solution),
}

impl Solved {
    /// tau² and the evaluations it took.
    #[inline(always)]
    pub(crate) fn estimate(&self) -> (f64, usize) {
        match *self {
            Solved::Boundary { iterations } => (0.0, iterations),
            Solved::Interior(sol) => (sol.tau2, sol.iterations),
        }
    }
}

/// Solve `equation` over the design `d` (module docs). `start` is a starting value (else the
/// DerSimonian-Laird estimate when positive); it changes the path, not the solution.
pub(crate) fn solve(equation: Equation, d: &impl Design, start: Option<f64>) -> Result<Solved> {
    let mut search = Search::new(equation, start);
    let mut tau2 = 0.0;
    loop {
        match search.feed(&d.equation_sums(tau2), d)? {
            SearchStep::Evaluate(t) => tau2 = t,
            SearchStep::Done(solved) => return Ok(solved),
        }
    }
}

/// An iterative estimator (ML, REML, EB, PM, PMM) solved exactly over the design `d`, with
/// metafor's standard error at the solution ([`super::likelihood::standard_error`]).
pub(crate) fn fit(
    estimator: Tau2Estimator,
    d: &impl Design,
    control: &Tau2Control,
) -> Result<Tau2Fit> {
    let df = d.df();
    let equation = Equation::of(estimator, df).unwrap_or(Equation::Q { target: df });
    let solved = solve(equation, d, control.tau2_init())?;
    let (tau2, iterations) = solved.estimate();
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
