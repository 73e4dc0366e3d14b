//! Maximising the (restricted) log-likelihood over the variance parameters: Fisher scoring
//! with an active set for the bounds and a backtracking line search.
//!
//! ```text
//! theta_0: metafor's start (each variance max(0.001 n_vc, var(y - X b_FE) - 1/mean(1/v_i)) / n_vc,
//!          correlations 0.5)
//! repeat:  s = score(theta), I = observed information where it is positive definite on the
//!          free parameters (Newton; random intercepts exactly, multivariate models by central
//!          differences of the score), else the expected information (Fisher scoring)
//!          free = parameters not held at a bound whose score points out of the box
//!          solve (I_ff + lambda D) delta = s_f   (lambda = 0 unless I_ff is singular)
//!          theta' = clamp(theta + t delta), t = 1, 1/2, 1/4, ... until ll(theta') >= ll(theta)
//!          stop when max |theta'_q - theta_q| / max(|theta_q|, f_q) <= 1e-12 (Converged;
//!          f_q: the mean sampling variance for a variance, its root for an SD, 1 for a
//!          correlation), or when no step length increases ll, or 5 accepted steps in a row
//!          leave it unchanged (Stalled: the optimum to rounding)
//! ```
//! The variance components are parameterised on their natural scale with bounds `[0, inf)`,
//! so an estimate on the boundary is exactly 0 (not `exp(-20)` as on a log scale): a component
//! whose score is negative at 0 stays there, and the Kuhn-Tucker conditions are checked at
//! every step. Correlations are bounded by `[-1, 1]`; for HCS and UN the variances are
//! parameterised by their square roots (so `G` stays smooth at 0), and for UN with three or
//! more outcomes a step that leaves `G` indefinite is shortened.

use super::likelihood::{Blocks, Evaluation, Method};
use super::random::RandomEffects;
use crate::error::{Error, Result};
use nalgebra::{DMatrix, DVector};

/// How the variance components were reached.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum VarianceStop {
    /// The largest relative change of a parameter in the last step was at most 1e-12 (relative
    /// to the parameter, or below the scale of `V` absolutely).
    Converged {
        /// Fisher scoring steps taken.
        iterations: usize,
        /// The last largest relative change.
        last_change: f64,
        /// The largest absolute score of a free parameter at the estimate.
        score: f64,
    },
    /// No step length increased the log-likelihood, or five steps in a row left it unchanged:
    /// the estimate is the optimum to rounding.
    Stalled {
        /// Fisher scoring steps taken.
        iterations: usize,
        /// The last largest relative change.
        last_change: f64,
        /// The largest absolute score of a free parameter at the estimate.
        score: f64,
    },
    /// Every parameter is held at a bound (e.g. all variance components 0).
    AllOnBoundary {
        /// Fisher scoring steps taken.
        iterations: usize,
    },
}

impl VarianceStop {
    /// `converged`, `stalled` or `all_on_boundary`.
    pub fn name(&self) -> &'static str {
        match self {
            VarianceStop::Converged { .. } => "converged",
            VarianceStop::Stalled { .. } => "stalled",
            VarianceStop::AllOnBoundary { .. } => "all_on_boundary",
        }
    }
}

pub(crate) struct Optimum {
    pub theta: Vec<f64>,
    pub eval: Evaluation,
    pub stop: VarianceStop,
}

const MAX_ITER: usize = 2000;
const TOL: f64 = 1e-12;
/// Accepted steps in a row that do not raise the likelihood before the search stops (Stalled).
const FLAT_STEPS: usize = 5;

pub(crate) fn log_lik(e: &Evaluation, method: Method) -> f64 {
    match method {
        Method::RestrictedMaximumLikelihood => e.ll_reml,
        Method::MaximumLikelihood => e.ll_ml,
    }
}

/// metafor's starting values.
pub(crate) fn start(blocks: &Blocks, re: &RandomEffects) -> Result<Vec<f64>> {
    let zero = vec![0.0; re.parameters()];
    let fe = blocks.evaluate(re, &zero).ok_or(Error::NonFinite {
        what: "the fixed-effects fit with the sampling covariance V",
    })?;
    let (mut n, mut sum, mut sum2, mut winv) = (0.0, 0.0, 0.0, 0.0);
    for b in &blocks.blocks {
        let r = &b.y - &b.x * &fe.beta;
        for (a, ra) in r.iter().enumerate() {
            n += 1.0;
            sum += ra;
            sum2 += ra * ra;
            winv += 1.0 / b.v[(a, a)];
        }
    }
    let var = (sum2 - sum * sum / n) / (n - 1.0);
    let nvc = re
        .bounds()
        .iter()
        .filter(|(lo, hi)| *lo == 0.0 && hi.is_infinite())
        .count() as f64;
    let total = (0.001 * nvc).max(var - 1.0 / (winv / n));
    Ok(re
        .bounds()
        .iter()
        .enumerate()
        .map(|(q, (lo, _))| {
            if *lo < 0.0 {
                0.5
            } else if re.is_sd(q) {
                (total / nvc).sqrt()
            } else {
                total / nvc
            }
        })
        .collect())
}

/// Maximise over the parameters not in `fixed` (held at the given values).
pub(crate) fn maximise(
    blocks: &Blocks,
    re: &RandomEffects,
    method: Method,
    start: &[f64],
    fixed: &[Option<f64>],
) -> Result<Optimum> {
    let bounds = re.bounds();
    let nq = start.len();
    let clamp = |q: usize, x: f64| fixed[q].unwrap_or(x.clamp(bounds[q].0, bounds[q].1));
    let mut theta: Vec<f64> = (0..nq).map(|q| clamp(q, start[q])).collect();
    let mut eval = blocks.evaluate(re, &theta).ok_or(Error::NonFinite {
        what: "the marginal covariance at the starting values",
    })?;
    let mut last_change = f64::INFINITY;
    let floor = change_floor(blocks, re);
    let mut flat = 0;
    for it in 1..=MAX_ITER {
        let d = blocks.derivatives(re, &theta, &eval);
        let (score, info) = match method {
            Method::RestrictedMaximumLikelihood => (d.score_reml, d.info_reml),
            Method::MaximumLikelihood => (d.score_ml, d.info_ml),
        };
        // Newton on the observed information where it is positive definite on the free
        // parameters (near the optimum: quadratic convergence, no zig-zag along a ridge where
        // the expected information is a poor model), Fisher scoring elsewhere
        let free: Vec<usize> = (0..nq)
            .filter(|&q| {
                fixed[q].is_none()
                    && !(theta[q] <= bounds[q].0 && score[q] <= 0.0)
                    && !(theta[q] >= bounds[q].1 && score[q] >= 0.0)
            })
            .collect();
        let max_score = free.iter().map(|&q| score[q].abs()).fold(0.0, f64::max);
        if free.is_empty() {
            return Ok(Optimum {
                theta,
                eval,
                stop: VarianceStop::AllOnBoundary { iterations: it - 1 },
            });
        }
        let observed = if re.is_linear() {
            Some(&d.quad_pp - &info)
        } else {
            score_differences(blocks, re, method, &theta, &free, &floor)
        };
        let delta = match observed.and_then(|h| newton_step(&h, &score, &free)) {
            Some(step) => step,
            None => scoring_step(&info, &score, &free),
        };
        let ll0 = log_lik(&eval, method);
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..60 {
            let mut cand = theta.clone();
            for (f, &q) in free.iter().enumerate() {
                cand[q] = clamp(q, theta[q] + t * delta[f]);
            }
            if let Some(e) = blocks.evaluate(re, &cand) {
                if log_lik(&e, method) >= ll0 - 4.0 * f64::EPSILON * ll0.abs() {
                    accepted = Some((cand, e));
                    break;
                }
            }
            t *= 0.5;
        }
        let Some((cand, e)) = accepted else {
            return Ok(Optimum {
                theta,
                eval,
                stop: VarianceStop::Stalled {
                    iterations: it - 1,
                    last_change,
                    score: max_score,
                },
            });
        };
        last_change = (0..nq)
            .map(|q| (cand[q] - theta[q]).abs() / theta[q].abs().max(floor[q]))
            .fold(0.0, f64::max);
        // steps that no longer raise the likelihood: rounding (e.g. a 2-cycle of a few ulps)
        flat = if log_lik(&e, method) > ll0 {
            0
        } else {
            flat + 1
        };
        theta = cand;
        eval = e;
        if flat >= FLAT_STEPS {
            return Ok(Optimum {
                theta,
                eval,
                stop: VarianceStop::Stalled {
                    iterations: it,
                    last_change,
                    score: max_score,
                },
            });
        }
        if last_change <= TOL {
            return Ok(Optimum {
                theta,
                eval,
                stop: VarianceStop::Converged {
                    iterations: it,
                    last_change,
                    score: max_score,
                },
            });
        }
    }
    Err(Error::NotConverged {
        method: "rma.mv Fisher scoring",
        iterations: MAX_ITER,
        last_iterate: theta.first().copied().unwrap_or(f64::NAN),
        last_change,
    })
}

/// The scale below which a parameter's change is measured absolutely: for a variance, the
/// mean sampling variance (the components live on the scale of `V`; a change of 1e-12 of it
/// is rounding, whatever the component's own size); its square root for a standard deviation;
/// 1 for a correlation.
fn change_floor(blocks: &Blocks, re: &RandomEffects) -> Vec<f64> {
    let (mut sum, mut n) = (0.0, 0usize);
    for b in &blocks.blocks {
        sum += b.v.diagonal().sum();
        n += b.rows.len();
    }
    let scale = (sum / n.max(1) as f64).max(f64::MIN_POSITIVE);
    re.bounds()
        .iter()
        .enumerate()
        .map(|(q, (lo, _))| {
            if *lo < 0.0 {
                1.0
            } else if re.is_sd(q) {
                scale.sqrt()
            } else {
                scale
            }
        })
        .collect()
}

/// The observed information of a model not linear in its parameters (multivariate: `G` is a
/// product of SDs and correlations), by central differences of the analytic score over the
/// free parameters, step `1e-5 max(|theta_q|, f_q)`, one-sided at a bound; `None` where a
/// shifted point is not positive definite.
fn score_differences(
    blocks: &Blocks,
    re: &RandomEffects,
    method: Method,
    theta: &[f64],
    free: &[usize],
    floor: &[f64],
) -> Option<DMatrix<f64>> {
    let bounds = re.bounds();
    let nq = theta.len();
    let score_at = |t: &[f64]| {
        let e = blocks.evaluate(re, t)?;
        let d = blocks.derivatives(re, t, &e);
        Some(match method {
            Method::RestrictedMaximumLikelihood => d.score_reml,
            Method::MaximumLikelihood => d.score_ml,
        })
    };
    let mut h = DMatrix::zeros(nq, nq);
    for &q in free {
        let step = 1e-5 * theta[q].abs().max(floor[q]);
        let up = (theta[q] + step).min(bounds[q].1);
        let down = (theta[q] - step).max(bounds[q].0);
        let (mut tu, mut td) = (theta.to_vec(), theta.to_vec());
        tu[q] = up;
        td[q] = down;
        let (su, sd) = (score_at(&tu)?, score_at(&td)?);
        for r in 0..nq {
            h[(r, q)] = -(su[r] - sd[r]) / (up - down);
        }
    }
    Some((&h + h.transpose()) * 0.5)
}

/// Solve `H_ff delta = s_f` for the observed information `H`, when it is positive definite on
/// the free parameters.
fn newton_step(observed: &DMatrix<f64>, score: &DVector<f64>, free: &[usize]) -> Option<Vec<f64>> {
    let nf = free.len();
    let sub = DMatrix::from_fn(nf, nf, |a, b| observed[(free[a], free[b])]);
    let rhs = DVector::from_fn(nf, |a, _| score[free[a]]);
    let x = sub.cholesky()?.solve(&rhs);
    x.iter()
        .all(|v| v.is_finite())
        .then(|| x.iter().copied().collect())
}

/// Solve `I_ff delta = s_f`, adding a growing ridge when `I_ff` is singular.
fn scoring_step(info: &DMatrix<f64>, score: &DVector<f64>, free: &[usize]) -> Vec<f64> {
    let nf = free.len();
    let sub = DMatrix::from_fn(nf, nf, |a, b| info[(free[a], free[b])]);
    let rhs = DVector::from_fn(nf, |a, _| score[free[a]]);
    let scale = (0..nf)
        .map(|a| sub[(a, a)].abs())
        .fold(0.0, f64::max)
        .max(1e-300);
    let mut lambda = 0.0;
    loop {
        let mut m = sub.clone();
        for a in 0..nf {
            m[(a, a)] += lambda * scale;
        }
        if let Some(c) = m.cholesky() {
            let x = c.solve(&rhs);
            if x.iter().all(|v| v.is_finite()) {
                return x.iter().copied().collect();
            }
        }
        lambda = if lambda == 0.0 { 1e-10 } else { lambda * 10.0 };
        if lambda > 1e10 {
            return rhs.iter().map(|s| s / scale).collect();
        }
    }
}
