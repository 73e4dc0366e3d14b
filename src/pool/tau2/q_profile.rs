//! The Q-profile confidence interval for tau² (Viechtbauer 2007), and the I² and H² intervals
//! that follow from it, as metafor 3.8 `confint.rma.uni(type = "QP")` computes them.

use super::design::{Design, Intercept};
use super::exact;
use super::zeroin::zeroin;
use super::{Tau2Control, Tau2Mode};
use crate::error::{Error, Result};
use crate::heterogeneity::{typical_variance, Heterogeneity};
use crate::inference::{chi_square_quantile, ConfidenceLevel};
use crate::pool::core::{fixed_core, generalized_q};
use crate::pool::Interval;

/// How one bound of a Q-profile interval was obtained.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum BoundStatus {
    /// Found as the root of `Q(tau2) = critical value`.
    Root {
        /// New function evaluations of the root search.
        iterations: usize,
        /// Width of its final bracket.
        bracket: f64,
    },
    /// The bound is the lower end of the search interval, 0 (the equation has no root above
    /// it); when both bounds are 0 the interval is the null set {0} of metafor.
    SearchFloor,
    /// The bound is the upper end of the search interval, `max(100, 10 tau2)`: the true bound is
    /// larger (metafor prints it with ">").
    SearchCeiling,
}

/// Confidence intervals for the heterogeneity parameters (metafor `confint()` on a
/// random-effects fit): tau², tau, I² (percent) and H², each with the point estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HeterogeneityIntervals {
    /// tau² and its interval.
    pub tau2: Interval,
    /// tau = sqrt(tau²) and its interval.
    pub tau: Interval,
    /// I² in percent and its interval.
    pub i2: Interval,
    /// H² and its interval.
    pub h2: Interval,
    /// How the lower bound was found.
    pub lower: BoundStatus,
    /// How the upper bound was found.
    pub upper: BoundStatus,
    /// The confidence level.
    pub level: f64,
}

/// Q-profile interval: the tau² values whose generalized Q lies between the chi-square
/// quantiles on `k - 1` df.
/// ```text
/// Q(tau2) = sum w (y - mu_w)^2,  w = 1 / (v + tau2)     (decreasing in tau2)
/// lower: Q(lower) = qchisq(1 - alpha/2, k - 1);  upper: Q(upper) = qchisq(alpha/2, k - 1)
/// exact mode (the default): solved by the exact solver (module `exact`) on its provable bracket,
///   to 1e-13 relative; Q(0) <= a quantile: that bound is 0 (never a search ceiling)
/// metafor mode: searched in [0, max(100, 10 tau2)] by Brent's method (tol: the control's
///   tolerance, metafor's eps^0.25 by default; at most 1000 evaluations, confint's default);
///   Q(0) below a quantile: that bound is 0; Q(max) above it: the bound is max
/// I2 = 100 t / (s2 + t),  H2 = t / s2 + 1,  s2 = (k - 1) / tr P  (typical within-study variance)
/// ```
/// Source: Viechtbauer (2007), Confidence intervals for the amount of heterogeneity in
/// meta-analysis, Stat Med 26:37-52; metafor 3.8 `confint.rma.uni`.
pub(crate) fn q_profile<Y, V>(
    k: usize,
    y: Y,
    v: V,
    fit: &Heterogeneity,
    level: &ConfidenceLevel,
    control: &Tau2Control,
) -> Result<HeterogeneityIntervals>
where
    Y: Fn(usize) -> f64 + Copy,
    V: Fn(usize) -> f64 + Copy,
{
    if k < 2 {
        return Err(Error::TooFewStudies {
            method: "Q-profile confidence interval",
            needed: 2,
            got: k,
        });
    }
    let core = fixed_core(k, y, v)?;
    let s2 = typical_variance(k - 1, core.sum_w, core.share_complement);
    q_profile_of(
        &Intercept { k, y, v },
        |t| generalized_q(k, y, v, t),
        (k - 1) as f64,
        s2,
        fit,
        level,
        control,
    )
}

/// The Q-profile interval for any design: `q(tau2)` is its generalized Q (`y'Py` at
/// `w = 1 / (v + tau2)`, decreasing; metafor's path searches it), `design` the same model for
/// the exact solver, `df = k - p`, `s2` the typical within-study variance `(k - p) / tr P` at
/// `w = 1/v` (for I² and H²), `fit` the point estimates; otherwise as [`q_profile`] (metafor
/// 3.8 `confint.rma.uni` for models with moderators).
pub(crate) fn q_profile_of(
    design: &impl Design,
    q: impl Fn(f64) -> f64,
    df: f64,
    s2: f64,
    fit: &Heterogeneity,
    level: &ConfidenceLevel,
    control: &Tau2Control,
) -> Result<HeterogeneityIntervals> {
    let (tau2, i2, h2) = (fit.tau2, fit.i2, fit.h2);
    let alpha = 1.0 - level.level();
    let crit_u = chi_square_quantile(1.0 - alpha / 2.0, df);
    let crit_l = chi_square_quantile(alpha / 2.0, df);
    // 1 - alpha/2 rounds to 1 for levels within 1e-16 of 1, whose quantile is NaN: every
    // comparison with it is false and the root search would return a bound from nothing
    if !(crit_u.is_finite() && crit_l.is_finite()) {
        return Err(Error::NonFinite {
            what: "Q-profile chi-square critical value",
        });
    }
    let (lb, ub) = match control.mode() {
        Tau2Mode::Metafor => metafor_bounds(q, tau2, (crit_l, crit_u), control.tolerance())?,
        _ => exact_bounds(design, (crit_l, crit_u))?,
    };
    if lb.0 > ub.0 {
        // both roots were found only to the search's absolute tolerance, which is coarser than
        // tau² itself when the variances are tiny (metafor's uniroot tol = eps^0.25 likewise)
        return Err(Error::Undefined {
            what: "Q-profile confidence interval",
            why: "its bounds cross: tau² is below the root search's tolerance (lower it with Tau2Control::with_tolerance)",
        });
    }
    // t / (s2 + t) <= 1 before scaling: (100 t) / (s2 + t) can round above 100
    let i2_of = |t: f64| 100.0 * (t / (s2 + t));
    let h2_of = |t: f64| t / s2 + 1.0;
    let out = HeterogeneityIntervals {
        tau2: Interval {
            estimate: tau2,
            lower: lb.0,
            upper: ub.0,
        },
        tau: Interval {
            estimate: tau2.sqrt(),
            lower: lb.0.sqrt(),
            upper: ub.0.sqrt(),
        },
        // I² is increasing in tau², but t / (s2 + t) rounds non-monotonically by an ulp once
        // s2 is below the ulp of t: keep the bounds ordered
        i2: Interval {
            estimate: i2,
            lower: i2_of(lb.0).min(i2_of(ub.0)),
            upper: i2_of(ub.0).max(i2_of(lb.0)),
        },
        h2: Interval {
            estimate: h2,
            lower: h2_of(lb.0),
            upper: h2_of(ub.0),
        },
        lower: lb.1,
        upper: ub.1,
        level: level.level(),
    };
    for x in [out.tau2, out.tau, out.i2, out.h2] {
        if !(x.lower.is_finite() && x.upper.is_finite()) {
            return Err(Error::NonFinite {
                what: "heterogeneity confidence interval",
            });
        }
    }
    Ok(out)
}

/// A bound with how it was found.
type Bound = (f64, BoundStatus);

/// metafor's bounds: `uniroot` (Brent, tolerance `tol`, at most 1000 evaluations) on
/// `[0, max(100, 10 tau2)]`, the ends when the equation has no root inside.
fn metafor_bounds(
    q: impl Fn(f64) -> f64,
    tau2: f64,
    (crit_l, crit_u): (f64, f64),
    tol: f64,
) -> Result<(Bound, Bound)> {
    let tau2_min = 0.0;
    let tau2_max = (10.0 * tau2).max(100.0);
    let max_iter = 1000;
    let q_min = q(tau2_min);
    let q_max = q(tau2_max);
    let solve = |crit: f64| -> Result<Bound> {
        let r = zeroin(
            |t| q(t) - crit,
            tau2_min,
            tau2_max,
            q_min - crit,
            q_max - crit,
            tol,
            max_iter,
        );
        if !r.converged {
            return Err(Error::NotConverged {
                method: "Q-profile root search",
                iterations: r.iterations,
                last_iterate: r.x,
                last_change: r.bracket,
            });
        }
        Ok((
            r.x,
            BoundStatus::Root {
                iterations: r.iterations,
                bracket: r.bracket,
            },
        ))
    };
    let floor = (tau2_min, BoundStatus::SearchFloor);
    let ceiling = (tau2_max, BoundStatus::SearchCeiling);
    let ub = if q_min < crit_l {
        floor
    } else if q_max > crit_l {
        ceiling
    } else {
        solve(crit_l)?
    };
    let (lb, ub) = if q_max > crit_u {
        (ceiling, ceiling)
    } else if q_min < crit_u {
        (floor, ub)
    } else {
        (solve(crit_u)?, ub)
    };
    Ok((lb, ub))
}

/// The exact bounds: the root of `Q(tau2) = crit` by the exact solver on its provable bracket
/// ([`exact::Equation::Q`]), or 0 when `Q(0) <= crit`; never the search ceiling.
fn exact_bounds(d: &impl Design, (crit_l, crit_u): (f64, f64)) -> Result<(Bound, Bound)> {
    let bound = |crit: f64| -> Result<Bound> {
        Ok(
            match exact::solve(exact::Equation::Q { target: crit }, d, None)? {
                exact::Solved::Boundary { .. } => (0.0, BoundStatus::SearchFloor),
                exact::Solved::Interior(sol) => (
                    sol.tau2,
                    BoundStatus::Root {
                        iterations: sol.iterations,
                        bracket: sol.bracket,
                    },
                ),
            },
        )
    };
    Ok((bound(crit_u)?, bound(crit_l)?))
}
