//! The exact solver's search ([`super::solve`]) as a resumable state: each call of
//! [`Search::feed`] takes the equation's sums at the point the search asked for and says
//! where it wants them next (or gives the solution), so one analysis is solved alone
//! ([`super::solve`]) or several side by side, one per SIMD lane (`super::lanes`), by the
//! very same steps: every analysis makes the floating-point operations it makes alone.
//!
//! The steps (module docs of [`super`]): `g(0)` first; for `y'Py - target` the root in
//! `(0, upper)` when `g(0) > 0`; for a likelihood the grid `upper 4^-j` down to `1e-3 vmin`,
//! then 0, with a bracketed root search below every point where the score turns positive, and
//! the highest (restricted) likelihood among the roots (and 0, when `g(0) <= 0`).

use super::newton::{Newton, NewtonStep};
use super::{Equation, Solution, Solved, GRID_FLOOR, GRID_STEP};
use crate::error::{Error, Result};
use crate::pool::tau2::design::{Design, EquationSums};

/// Where the search stands.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for the sums at 0.
    Origin,
    /// Waiting for the sums at the grid point `t`.
    Grid,
    /// A root search below the grid point whose `g` is `g_point` (at 0 when `at_zero`).
    Root {
        newton: Newton,
        g_point: f64,
        at_zero: bool,
    },
    /// The root search of `y'Py - target` in `(0, upper)`.
    QRoot(Newton),
}

/// What one [`Search::feed`] leads to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SearchStep {
    /// The sums are wanted at this tau² next.
    Evaluate(f64),
    /// The search is over.
    Done(Solved),
}

/// The exact solver of one analysis, between two evaluations of its equation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Search {
    equation: Equation,
    start: Option<f64>,
    phase: Phase,
    g0: f64,
    slope0: f64,
    floor: f64,
    iterations: usize,
    best: Option<(Solution, f64)>,
    candidates: usize,
    above: f64,
    above_g: f64,
    t: f64,
}

#[inline(always)]
fn non_finite() -> Error {
    Error::NonFinite {
        what: "tau2 estimating equation",
    }
}

impl Search {
    /// The search for the root of `equation` from `start` (else the DerSimonian-Laird
    /// estimate when positive); it first wants the sums at tau² = 0.
    #[inline(always)]
    pub(crate) fn new(equation: Equation, start: Option<f64>) -> Search {
        Search {
            equation,
            start,
            phase: Phase::Origin,
            g0: f64::NAN,
            slope0: f64::NAN,
            floor: f64::NAN,
            iterations: 0,
            best: None,
            candidates: 0,
            above: f64::NAN,
            above_g: f64::NAN,
            t: f64::NAN,
        }
    }

    /// Take the sums `s` of the design `d` at the point last asked for (first 0): the next
    /// point, or the outcome.
    #[inline(always)]
    pub(crate) fn feed(&mut self, s: &EquationSums, d: &impl Design) -> Result<SearchStep> {
        let equation = self.equation;
        match self.phase {
            Phase::Origin => self.origin(s, d),
            Phase::Grid => {
                let (g, slope) = (equation.value(s), equation.slope(s));
                self.iterations += 1;
                if g.is_nan() {
                    return Err(non_finite());
                }
                self.point((self.t, g, slope), d)
            }
            Phase::Root {
                mut newton,
                g_point,
                at_zero,
            } => match newton.feed(equation.value(s), equation.slope(s))? {
                NewtonStep::Evaluate(x) => {
                    self.phase = Phase::Root {
                        newton,
                        g_point,
                        at_zero,
                    };
                    Ok(SearchStep::Evaluate(x))
                }
                NewtonStep::Solved(sol) => {
                    self.candidate(sol, d)?;
                    self.next_point(g_point, at_zero, d)
                }
            },
            Phase::QRoot(mut newton) => match newton.feed(equation.value(s), equation.slope(s))? {
                NewtonStep::Evaluate(x) => {
                    self.phase = Phase::QRoot(newton);
                    Ok(SearchStep::Evaluate(x))
                }
                NewtonStep::Solved(sol) => Ok(SearchStep::Done(Solved::Interior(Solution {
                    iterations: sol.iterations + 1,
                    ..sol
                }))),
            },
        }
    }

    /// The sums at 0: the bracket, the start, and the first grid point or root search.
    #[inline(always)]
    fn origin(&mut self, s0: &EquationSums, d: &impl Design) -> Result<SearchStep> {
        let equation = self.equation;
        let g0 = equation.value(s0);
        if g0.is_nan() {
            return Err(non_finite());
        }
        let df = d.df();
        self.start = self.start.or_else(|| {
            let dl = (s0.rss - df) / s0.tr_p;
            (dl > 0.0).then_some(dl)
        });
        let (vmin, vmax) = d.variance_range();
        // an overflowing bound (variances near the largest double) becomes the largest double
        let upper = equation.upper(vmax, s0.rss, df).min(f64::MAX);
        self.g0 = g0;
        self.slope0 = equation.slope(s0);
        match equation {
            Equation::Q { .. } if g0 > 0.0 => {
                let newton = self.root_search((0.0, g0, self.slope0), upper);
                self.phase = Phase::QRoot(newton);
                return Ok(SearchStep::Evaluate(newton.at()));
            }
            Equation::Q { .. } => return Ok(SearchStep::Done(Solved::Boundary { iterations: 1 })),
            Equation::RestrictedLikelihood | Equation::Likelihood => {}
        }
        // A likelihood may have more than one maximum: every sign change of the score from +
        // to - between neighbouring points of the grid upper 4^-j (down to 1e-3 vmin, then 0)
        // brackets one; the highest of them (and of 0, when g(0) <= 0) is the solution.
        self.floor = GRID_FLOOR * vmin;
        self.iterations = 1;
        (self.above, self.above_g) = (upper, f64::NEG_INFINITY);
        self.t = upper / GRID_STEP;
        self.descend(d)
    }

    /// The safeguarded Newton iteration in `(lo, hi)`, from the start when it lies inside.
    #[inline(always)]
    fn root_search(&self, lo: (f64, f64, f64), hi: f64) -> Newton {
        let start = self.start.filter(|&t| t > lo.0 && t < hi);
        Newton::new(lo, hi, start, self.equation.exact_slope())
    }

    /// At the grid point `t`: ask for its sums; at the floor, 0 instead (whose sums are
    /// known): a root search below it where the score turns positive, else the outcome.
    /// (No step calls back into another, so that all of them are inlined.)
    #[inline(always)]
    fn descend(&mut self, d: &impl Design) -> Result<SearchStep> {
        if self.t <= self.floor {
            let g0 = self.g0;
            if g0 > 0.0 && self.above_g <= 0.0 {
                return Ok(self.root_below((0.0, g0, self.slope0), true));
            }
            return self.outcome(d).map(SearchStep::Done);
        }
        self.phase = Phase::Grid;
        Ok(SearchStep::Evaluate(self.t))
    }

    /// The root search below the point `(t, g, slope)` (0 when `at_zero`), up to the point
    /// above it.
    #[inline(always)]
    fn root_below(&mut self, (t, g, slope): (f64, f64, f64), at_zero: bool) -> SearchStep {
        let newton = self.root_search((t, g, slope), self.above);
        self.phase = Phase::Root {
            newton,
            g_point: g,
            at_zero,
        };
        SearchStep::Evaluate(newton.at())
    }

    /// `g` and its slope at the grid point `t`: a root search below it where the score turns
    /// positive, else on to the next point.
    #[inline(always)]
    fn point(&mut self, (t, g, slope): (f64, f64, f64), d: &impl Design) -> Result<SearchStep> {
        if g > 0.0 && self.above_g <= 0.0 {
            return Ok(self.root_below((t, g, slope), false));
        }
        self.next_point(g, false, d)
    }

    /// A root found below a grid point: kept if its likelihood is the highest so far (the
    /// log-likelihood only where there is a choice to make).
    #[inline(always)]
    fn candidate(&mut self, sol: Solution, d: &impl Design) -> Result<()> {
        let reml = self.equation == Equation::RestrictedLikelihood;
        self.iterations += sol.iterations;
        self.candidates += 1;
        let ll = if self.candidates > 1 || self.g0 <= 0.0 {
            d.log_likelihood(sol.tau2, reml)?
        } else {
            f64::NAN
        };
        if self.candidates > 1 && self.best.as_ref().is_some_and(|b| b.1.is_nan()) {
            if let Some(b) = self.best.as_mut() {
                b.1 = d.log_likelihood(b.0.tau2, reml)?;
            }
        }
        if self.best.as_ref().map_or(true, |b| ll > b.1) {
            self.best = Some((sol, ll));
        }
        Ok(())
    }

    /// Past the grid point whose `g` is `g`: the next one, or (past 0) the outcome.
    #[inline(always)]
    fn next_point(&mut self, g: f64, at_zero: bool, d: &impl Design) -> Result<SearchStep> {
        if at_zero {
            return self.outcome(d).map(SearchStep::Done);
        }
        (self.above, self.above_g) = (self.t, g);
        self.t /= GRID_STEP;
        self.descend(d)
    }

    /// The highest of the roots found, or the boundary.
    #[inline(always)]
    fn outcome(&self, d: &impl Design) -> Result<Solved> {
        let reml = self.equation == Equation::RestrictedLikelihood;
        let iterations = self.iterations;
        Ok(match self.best {
            None => Solved::Boundary { iterations },
            Some((_, ll))
                if self.g0 <= 0.0 && (ll <= d.log_likelihood(0.0, reml)? || ll.is_nan()) =>
            {
                Solved::Boundary { iterations }
            }
            Some((sol, _)) => Solved::Interior(Solution { iterations, ..sol }),
        })
    }
}
