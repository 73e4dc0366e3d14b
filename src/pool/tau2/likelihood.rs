//! Likelihood-based tau² estimators (ML, REML) and the empirical Bayes estimator, by Fisher
//! scoring with step halving, exactly as metafor 3.8 `rma.uni` iterates (Harville 1977;
//! Jennrich & Sampson 1976; Viechtbauer 2005).

use super::moment::hedges_raw;
use super::{Tau2Control, Tau2Fit, Tau2Stop};
use crate::error::{Error, Result};
use crate::numeric::NeumaierSum;
use crate::pool::core::{fixed_core, weighted_sums};
use crate::pool::random::Tau2Estimator;

/// Fisher scoring for ML, REML or EB. With `w = 1 / (v + tau2)` and the sums of
/// [`crate::pool::core::WeightedSums`] at the current tau2:
/// ```text
/// start: tau2 = tau2_init, or max(0, Hedges estimate)
/// ML:   step = (y'PPy - sum w) / sum w^2
/// REML: step = (y'PPy - tr P) / tr PP
/// EB:   step = (k/(k-1) y'Py - k) / sum w
/// step *= step_adjustment; halve it while tau2 + step < 0; tau2 += step
/// stop when |change| <= threshold; more than max_iterations steps: NotConverged
/// ML/REML: if ll(0) - ll(tau2) > tolerance and tau2 > threshold, tau2 = 0 (metafor ll0check)
/// se: ML sqrt(2 / sum w^2), REML sqrt(2 / tr PP), EB sqrt(2 k^2 / (k - 1) / (sum w)^2)
/// ```
pub(crate) fn fisher_scoring(
    estimator: Tau2Estimator,
    k: usize,
    y: impl Fn(usize) -> f64 + Copy,
    v: impl Fn(usize) -> f64 + Copy,
    control: &Tau2Control,
) -> Result<Tau2Fit> {
    let kf = k as f64;
    let mut tau2 = match control.tau2_init() {
        Some(t) => t,
        None => hedges_raw(k, y, v).0.max(0.0),
    };
    let mut change = control.threshold() + 1.0;
    let mut iterations = 0usize;
    while change > control.threshold() {
        iterations += 1;
        let old = tau2;
        let s = weighted_sums(k, y, v, |i| 1.0 / (v(i) + tau2));
        let mut step = match estimator {
            Tau2Estimator::MaximumLikelihood => (s.rss2 - s.sum_w) / s.sum_w2,
            Tau2Estimator::RestrictedMaximumLikelihood => (s.rss2 - s.tr_p()) / s.tr_pp(),
            _ => (s.rss * kf / (kf - 1.0) - kf) / s.sum_w,
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
                last_change: f64::INFINITY,
            });
        }
        while tau2 + step < 0.0 && step != 0.0 {
            step /= 2.0;
        }
        tau2 += step;
        change = (old - tau2).abs();
        if iterations > control.max_iterations() || !tau2.is_finite() {
            return Err(Error::NotConverged {
                method: "Fisher scoring",
                iterations,
                last_change: change,
            });
        }
    }
    let mut stop = Tau2Stop::Converged {
        last_change: change,
    };
    if estimator != Tau2Estimator::EmpiricalBayes {
        let reml = estimator == Tau2Estimator::RestrictedMaximumLikelihood;
        let gain = log_likelihood(k, y, v, 0.0, reml)? - log_likelihood(k, y, v, tau2, reml)?;
        if gain > control.tolerance() && tau2 > control.threshold() {
            stop = Tau2Stop::ResetToZero {
                converged_at: tau2,
                loglik_gain: gain,
            };
            tau2 = 0.0;
        }
    }
    let s = weighted_sums(k, y, v, |i| 1.0 / (v(i) + tau2));
    let se = match estimator {
        Tau2Estimator::MaximumLikelihood => (2.0 / s.sum_w2).sqrt(),
        Tau2Estimator::RestrictedMaximumLikelihood => (2.0 / s.tr_pp()).sqrt(),
        _ => (2.0 * kf * kf / (kf - 1.0)).sqrt() / s.sum_w,
    };
    Ok(Tau2Fit {
        estimator,
        tau2,
        se: Some(se),
        iterations,
        stop,
    })
}

/// The (restricted) log-likelihood of the random-effects model at `tau2`, as metafor's
/// `ll0check` computes it:
/// ```text
/// ML:   -k/2 ln(2 pi) - 1/2 sum ln(v + tau2) - 1/2 RSS
/// REML: -(k-1)/2 ln(2 pi) - 1/2 sum ln(v + tau2) - 1/2 ln(sum w) - 1/2 RSS
/// ```
pub(crate) fn log_likelihood(
    k: usize,
    y: impl Fn(usize) -> f64 + Copy,
    v: impl Fn(usize) -> f64 + Copy,
    tau2: f64,
    reml: bool,
) -> Result<f64> {
    let core = fixed_core(k, y, |i| v(i) + tau2)?;
    let mut logs = NeumaierSum::default();
    for i in 0..k {
        logs.add((v(i) + tau2).ln());
    }
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    let kf = k as f64;
    Ok(if reml {
        -0.5 * (kf - 1.0) * ln2pi - 0.5 * logs.value() - 0.5 * core.sum_w.ln() - 0.5 * core.q
    } else {
        -0.5 * kf * ln2pi - 0.5 * logs.value() - 0.5 * core.q
    })
}
