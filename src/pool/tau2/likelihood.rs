//! Likelihood-based tau² estimators (ML, REML) and the empirical Bayes estimator, by Fisher
//! scoring with step halving, exactly as metafor 3.8 `rma.uni` iterates (Harville 1977;
//! Jennrich & Sampson 1976; Viechtbauer 2005), for any [`Design`].

use super::design::{Design, ProjectionSums};
use super::moment::hedges_raw;
use super::Tau2Estimator;
use super::{Tau2Control, Tau2Fit, Tau2Stop};
use crate::error::{Error, Result};

/// Fisher scoring for ML, REML or EB. With `w = 1 / (v + tau2)`, the projection `P` of the
/// design at the current tau2 (see [`super::design::ProjectionSums`]) and `df = k - p`:
/// ```text
/// start: tau2 = tau2_init, or max(0, Hedges estimate)
/// ML:   step = (y'PPy - sum w) / sum w^2
/// REML: step = (y'PPy - tr P) / tr PP
/// EB:   step = (k/df y'Py - k) / sum w
/// step *= step_adjustment; halve it while tau2 + step < 0; tau2 += step
/// stop when |change| <= threshold; more than max_iterations steps: NotConverged
/// ML/REML: if ll(0) - ll(tau2) > tolerance and tau2 > threshold, tau2 = 0 (metafor ll0check)
/// se: ML sqrt(2 / sum w^2), REML sqrt(2 / tr PP), EB sqrt(2 k^2 / df) / sum w
/// ```
pub(crate) fn fisher_scoring(
    estimator: Tau2Estimator,
    d: &impl Design,
    control: &Tau2Control,
) -> Result<Tau2Fit> {
    let kf = d.k() as f64;
    let df = d.df();
    let mut tau2 = match control.tau2_init() {
        Some(t) => t,
        None => hedges_raw(d).0.max(0.0),
    };
    let mut change = control.threshold() + 1.0;
    let mut iterations = 0usize;
    while change > control.threshold() {
        iterations += 1;
        let old = tau2;
        let s = d.at(tau2);
        let mut step = match estimator {
            Tau2Estimator::MaximumLikelihood => (s.rss2 - s.sum_w) / s.sum_w2,
            Tau2Estimator::RestrictedMaximumLikelihood => (s.rss2 - s.tr_p) / s.tr_pp,
            _ => (s.rss * kf / df - kf) / s.sum_w,
        };
        step *= control.step_adjustment();
        if step.is_nan() {
            step = 0.0;
        }
        if step.is_infinite() {
            // halving an infinite step never ends: report instead of looping
            return Err(Error::NotConverged {
                method: "Fisher scoring",
                iterations,
                last_iterate: tau2,
                last_change: f64::INFINITY,
            });
        }
        while tau2 + step < 0.0 && step != 0.0 {
            step /= 2.0;
        }
        tau2 += step;
        change = (old - tau2).abs();
        // metafor gives up after the (max_iterations + 1)-th step, even if that step converged
        if iterations > control.max_iterations() || !tau2.is_finite() {
            return Err(Error::NotConverged {
                method: "Fisher scoring",
                iterations,
                last_iterate: tau2,
                last_change: change,
            });
        }
    }
    let mut stop = Tau2Stop::Converged {
        last_change: change,
    };
    if estimator != Tau2Estimator::EmpiricalBayes {
        let reml = estimator == Tau2Estimator::RestrictedMaximumLikelihood;
        let gain = d.log_likelihood(0.0, reml)? - d.log_likelihood(tau2, reml)?;
        if gain > control.tolerance() && tau2 > control.threshold() {
            stop = Tau2Stop::ResetToZero {
                converged_at: tau2,
                loglik_gain: gain,
            };
            tau2 = 0.0;
        }
    }
    Ok(Tau2Fit {
        estimator,
        tau2,
        se: Some(standard_error(estimator, &d.at(tau2), d)),
        iterations,
        stop,
    })
}

/// metafor's standard error of an iterative estimate from the sums at the estimate
/// (`df = k - p`):
/// ```text
/// ML   sqrt(2 / sum w^2)      REML  sqrt(2 / tr PP)      EB, PM, PMM  sqrt(2 k^2 / df) / sum w
/// ```
pub(crate) fn standard_error(estimator: Tau2Estimator, s: &ProjectionSums, d: &impl Design) -> f64 {
    let kf = d.k() as f64;
    match estimator {
        Tau2Estimator::MaximumLikelihood => (2.0 / s.sum_w2).sqrt(),
        Tau2Estimator::RestrictedMaximumLikelihood => (2.0 / s.tr_pp).sqrt(),
        _ => (2.0 * kf * kf / d.df()).sqrt() / s.sum_w,
    }
}
