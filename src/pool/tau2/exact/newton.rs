//! The safeguarded Newton iteration of the exact solver (see [`super`]'s module docs), as a
//! resumable state: [`Newton::at`] says where the equation is wanted next and
//! [`Newton::feed`] takes its value there, so that one analysis can be solved alone
//! or several side by side, each in its own SIMD lane, with the very
//! same steps.

use super::{Solution, MAX_EVALUATIONS, NEWTON_STEPS};
use crate::error::{Error, Result};

/// Relative stopping tolerance of the exact solver.
pub(crate) const RELATIVE_TOLERANCE: f64 = 1e-13;
/// Absolute stopping tolerance near 0.
const ABSOLUTE_TOLERANCE: f64 = 1e-300;

#[inline(always)]
fn tolerance(x: f64) -> f64 {
    (RELATIVE_TOLERANCE * x.abs()).max(ABSOLUTE_TOLERANCE)
}

#[inline(always)]
fn bisect(a: f64, b: f64) -> f64 {
    if a > 0.0 && b > 64.0 * a {
        a.sqrt() * b.sqrt()
    } else {
        a + 0.5 * (b - a)
    }
}

/// The state of the safeguarded Newton iteration inside a bracket `[a, b]` (`g(a) > 0 > g(b)`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Newton {
    a: f64,
    b: f64,
    x: f64,
    prev: Option<(f64, f64)>,
    step: f64,
    step_before: f64,
    iterations: usize,
    slow: usize,
    exact_slope: bool,
}

/// What one evaluation fed to [`Newton::feed`] leads to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum NewtonStep {
    /// The equation is wanted at this point next.
    Evaluate(f64),
    /// The root.
    Solved(Solution),
}

impl Newton {
    /// The iteration for the root of a function decreasing through it inside `(lo, hi)`, given
    /// `g(lo) = g_lo > 0`, the slope there, and `hi` with `g(hi) < 0` (not evaluated), from
    /// `start` when it lies inside; `exact_slope` says whether the slope is the derivative
    /// (else the secant through the last two iterates replaces it after the first step).
    #[inline(always)]
    pub(crate) fn new(
        (lo, g_lo, slope_lo): (f64, f64, f64),
        hi: f64,
        start: Option<f64>,
        exact_slope: bool,
    ) -> Newton {
        let (a, b) = (lo, hi);
        let newton_from_lo = lo - g_lo / slope_lo;
        let x = match start {
            Some(s) if s > a && s < b => s,
            _ if newton_from_lo > a && newton_from_lo < b => newton_from_lo,
            _ => bisect(a, b),
        };
        Newton {
            a,
            b,
            x,
            prev: None,
            step: x - lo,
            step_before: f64::INFINITY,
            iterations: 0,
            slow: 0,
            exact_slope,
        }
    }

    /// Where the equation is wanted next.
    #[inline(always)]
    pub(crate) fn at(&self) -> f64 {
        self.x
    }

    /// Take `g` and the slope at [`Newton::at`]: the next point, or the root. A NaN `g` is
    /// [`Error::NonFinite`].
    #[inline(always)]
    pub(crate) fn feed(&mut self, g: f64, slope: f64) -> Result<NewtonStep> {
        let x = self.x;
        self.iterations += 1;
        if g.is_nan() {
            return Err(Error::NonFinite {
                what: "tau2 estimating equation",
            });
        }
        if g > 0.0 {
            self.a = x;
        } else if g < 0.0 {
            self.b = x;
        } else {
            return Ok(NewtonStep::Solved(self.solution(x)));
        }
        let (a, b) = (self.a, self.b);
        let slope = match self.prev {
            Some((xp, gp)) if !self.exact_slope && xp != x => {
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
        if (next - x).abs() > 0.5 * self.step_before.abs() {
            self.slow += 1;
        }
        if self.iterations > NEWTON_STEPS || !(next > a && next < b) || self.slow >= 3 {
            next = bisect(a, b);
            self.slow = 0;
        }
        self.step_before = self.step;
        self.step = next - x;
        self.prev = Some((x, g));
        self.x = next;
        let tol = tolerance(next);
        if self.step.abs() <= tol || b - a <= tol || self.iterations >= MAX_EVALUATIONS {
            return Ok(NewtonStep::Solved(self.solution(next)));
        }
        Ok(NewtonStep::Evaluate(next))
    }

    #[inline(always)]
    fn solution(&self, tau2: f64) -> Solution {
        Solution {
            tau2,
            iterations: self.iterations,
            last_step: self.step,
            bracket: self.b - self.a,
        }
    }
}

/// The root of a function decreasing through it inside `(lo, hi)` by [`Newton`], evaluating
/// it alone: `eval(x)` returns `(g(x), slope(x))`. A NaN from `eval` is [`Error::NonFinite`].
/// (The solver drives [`Newton`] through [`super::Search`]; this drives it on any function,
/// for the tests of the iteration itself.)
#[cfg(test)]
pub(crate) fn bracketed_newton(
    mut eval: impl FnMut(f64) -> (f64, f64),
    lo: (f64, f64, f64),
    hi: f64,
    start: Option<f64>,
    exact_slope: bool,
) -> Result<Solution> {
    let mut newton = Newton::new(lo, hi, start, exact_slope);
    loop {
        let (g, slope) = eval(newton.at());
        match newton.feed(g, slope)? {
            NewtonStep::Evaluate(_) => {}
            NewtonStep::Solved(sol) => return Ok(sol),
        }
    }
}
