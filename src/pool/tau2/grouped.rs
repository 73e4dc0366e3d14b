//! tau² of the mixed-effects model with one categorical moderator (one mean per subgroup, tau²
//! common to all subgroups), as metafor 3.8 `rma.uni(yi, vi, mods = ~ factor(g), method = ...)`
//! estimates it.
//!
//! With subgroup dummies the design `X` has one column per subgroup (the intercept-plus-contrasts
//! coding of metafor spans the same space, so `P`, every trace and `det(X'WX)` are the same), so
//! `X'WX = diag(S_g)`, `S_g = sum_{i in g} w_i`, and the projection is block diagonal:
//! ```text
//! P = W - W X (X'WX)^-1 X'W = diag(P_g),   P_g = W_g - w_g w_g' / S_g
//! ```
//! Every trace and quadratic form the estimators need is then a sum over the subgroups of the
//! intercept-only sums of [`weighted_sums`] (`tr P = sum_g tr P_g`, `tr PP = sum_g tr P_g P_g`,
//! `y'Py = sum_g y_g'P_g y_g`, ...) and `ln det(X'WX) = sum_g ln S_g`: no matrix algebra.

use super::paule_mandel::mad;
use super::zeroin::zeroin;
use super::{Tau2Control, Tau2Fit, Tau2Stop};
use crate::effect::Effect;
use crate::error::{Error, Result};
use crate::inference::chi_square_quantile;
use crate::numeric::NeumaierSum;
use crate::pool::core::{fixed_core, weighted_sums};
use crate::pool::random::Tau2Estimator;

/// The sums over the block-diagonal projection `P` at weights `w_i = w(v_i)`, `V = diag(v)`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct BlockSums {
    /// `sum w`
    sum_w: f64,
    /// `sum w^2`
    sum_w2: f64,
    /// `y'Py = sum_g sum_{i in g} w_i (y_i - mu_g)^2`
    rss: f64,
    /// `y'PPy = sum_g sum_{i in g} w_i^2 (y_i - mu_g)^2`
    rss2: f64,
    /// `tr P`
    tr_p: f64,
    /// `tr PP`
    tr_pp: f64,
    /// `tr PV`
    tr_pv: f64,
    /// `tr PVPV`
    tr_pvpv: f64,
    /// `tr PPV`
    tr_ppv: f64,
    /// `ln det(X'WX) = sum_g ln S_g`
    log_det_xwx: f64,
}

/// [`BlockSums`] as the sum of each subgroup's [`weighted_sums`].
fn block_sums(groups: &[&[Effect]], w: impl Fn(f64) -> f64 + Copy) -> BlockSums {
    let mut acc = [NeumaierSum::default(); 10];
    for g in groups {
        let s = weighted_sums(
            g.len(),
            |i| g[i].estimate(),
            |i| g[i].variance(),
            |i| w(g[i].variance()),
        );
        for (a, x) in acc.iter_mut().zip([
            s.sum_w,
            s.sum_w2,
            s.rss,
            s.rss2,
            s.tr_p(),
            s.tr_pp(),
            s.tr_pv(),
            s.tr_pvpv(),
            s.tr_ppv(),
            s.sum_w.ln(),
        ]) {
            a.add(x);
        }
    }
    let v = acc.map(|a| a.value());
    BlockSums {
        sum_w: v[0],
        sum_w2: v[1],
        rss: v[2],
        rss2: v[3],
        tr_p: v[4],
        tr_pp: v[5],
        tr_pv: v[6],
        tr_pvpv: v[7],
        tr_ppv: v[8],
        log_det_xwx: v[9],
    }
}

/// Sums at the random-effects weights `w = 1 / (v + tau2)`.
fn at(groups: &[&[Effect]], tau2: f64) -> BlockSums {
    block_sums(groups, |v| 1.0 / (v + tau2))
}

fn closed(estimator: Tau2Estimator, raw: f64, se: f64) -> Tau2Fit {
    Tau2Fit {
        estimator,
        tau2: raw.max(0.0),
        se: Some(se),
        iterations: 0,
        stop: Tau2Stop::ClosedForm { raw },
    }
}

/// tau² common to the subgroups `groups` (each non-empty) under `estimator`, with `k` studies
/// in `p` subgroups, `df = k - p`, `P` the block-diagonal projection, `V = diag(v)`:
/// ```text
/// DL   w = 1/v:            tau2 = (QE - df) / tr P
///                          se = sqrt(2 df + 4 t tr P + 2 t^2 tr PP) / tr P
/// HE   w = 1:              tau2 = (y'Py - tr PV) / df
///                          se = sqrt(2 tr PVPV + 4 t tr PV + 2 t^2 df) / df
/// HS   w = 1/v:            tau2 = (y'Py - k) / sum w
///                          se = sqrt(2 df + 4 t tr P + 2 t^2 tr PP) / sum w
/// HSk  w = 1/v:            tau2 = (k/df y'Py - k) / sum w,  se = k/df x the HS se
/// SJ   t0 = sum (y - mean y)^2 / k (all studies), w = 1/(v + t0):
///                          tau2 = t0 y'Py / df
///                          se = t0 sqrt(2 tr PVPV + 4 t tr PPV + 2 t^2 tr PP) / df
/// ML, REML, EB: Fisher scoring from max(0, HE) at w = 1/(v + tau2):
///      ML   step = (y'PPy - sum w) / sum w^2          se = sqrt(2 / sum w^2)
///      REML step = (y'PPy - tr P) / tr PP             se = sqrt(2 / tr PP)
///      EB   step = (k/df y'Py - k) / sum w            se = sqrt(2 k^2 / df) / sum w
///      step times stepadj, halved while tau2 + step < 0; stop when |change| <= threshold;
///      ML/REML: tau2 = 0 when ll(0) - ll(tau2) > tol and tau2 > threshold (ll0check), with
///      ML   ll = -k/2 ln 2pi - 1/2 sum ln(v + tau2) - 1/2 y'Py
///      REML ll = -df/2 ln 2pi - 1/2 sum ln(v + tau2) - 1/2 sum_g ln S_g - 1/2 y'Py
/// PM, PMM: the root of y'Py(tau2) = target in [0, tau2_max] (Brent, as uniroot), target = df
///      (PM) or qchisq(0.5, df) (PMM); tau2 = 0 when y'Py(0) < target;
///      tau2_max = max(100, 10 mad(y)^2);   se = sqrt(2 k^2 / df) / sum w
/// every estimate truncated at 0 (t = the truncated estimate in the se formulas)
/// ```
/// With `df = 0` (every subgroup a single study) there is no residual information: tau2 = 0
/// ([`Tau2Stop::Saturated`]; metafor refuses to fit). Source: metafor 3.8 `rma.uni` (its code
/// for models with moderators; Viechtbauer 2005, 2010; Raudenbush 2009).
pub(crate) fn common_tau2(
    estimator: Tau2Estimator,
    groups: &[&[Effect]],
    control: &Tau2Control,
) -> Result<Tau2Fit> {
    control.validate()?;
    if groups.is_empty() || groups.iter().any(|g| g.is_empty()) {
        return Err(Error::Empty);
    }
    let k: usize = groups.iter().map(|g| g.len()).sum();
    let p = groups.len();
    if k == p {
        return Ok(Tau2Fit {
            estimator,
            tau2: 0.0,
            se: None,
            iterations: 0,
            stop: Tau2Stop::Saturated,
        });
    }
    let (kf, df) = (k as f64, (k - p) as f64);
    let hedges = || {
        let s = block_sums(groups, |_| 1.0);
        ((s.rss - s.tr_pv) / df, s)
    };
    let fit = match estimator {
        Tau2Estimator::DerSimonianLaird => {
            // QE and tr P from the fixed-effect kernel of every other path (tr P without
            // cancellation, see FixedCore)
            let (mut qe, mut tr_p) = (NeumaierSum::default(), NeumaierSum::default());
            for g in groups {
                let c = fixed_core(g.len(), |i| g[i].estimate(), |i| g[i].variance())?;
                qe.add(c.q);
                tr_p.add(c.sum_w * c.share_complement);
            }
            let (qe, tr_p) = (qe.value(), tr_p.value());
            let raw = (qe - df) / tr_p;
            let t = raw.max(0.0);
            let s = at(groups, 0.0);
            let se = (2.0 * df + 4.0 * t * tr_p + 2.0 * t * t * s.tr_pp).sqrt() / tr_p;
            closed(estimator, raw, se)
        }
        Tau2Estimator::Hedges => {
            let (raw, s) = hedges();
            let t = raw.max(0.0);
            let se = (2.0 * s.tr_pvpv + 4.0 * t * s.tr_pv + 2.0 * t * t * df).sqrt() / df;
            closed(estimator, raw, se)
        }
        Tau2Estimator::HunterSchmidt | Tau2Estimator::HunterSchmidtSmallSample => {
            let s = at(groups, 0.0);
            let factor = if estimator == Tau2Estimator::HunterSchmidt {
                1.0
            } else {
                kf / df
            };
            let raw = (factor * s.rss - kf) / s.sum_w;
            let t = raw.max(0.0);
            let se =
                factor * (2.0 * df + 4.0 * t * s.tr_p + 2.0 * t * t * s.tr_pp).sqrt() / s.sum_w;
            closed(estimator, raw, se)
        }
        Tau2Estimator::SidikJonkman => {
            let t0 = match control.tau2_init() {
                Some(t) => t,
                None => {
                    let all: Vec<&Effect> = groups.iter().flat_map(|g| g.iter()).collect();
                    weighted_sums(k, |i| all[i].estimate(), |i| all[i].variance(), |_| 1.0).rss
                        / kf
                }
            };
            let s = at(groups, t0);
            let raw = t0 * s.rss / df;
            let t = raw.max(0.0);
            let se = t0
                * (2.0 * s.tr_pvpv + 4.0 * t * s.tr_ppv + 2.0 * t * t * s.tr_pp).sqrt()
                / df;
            closed(estimator, raw, se)
        }
        Tau2Estimator::MaximumLikelihood
        | Tau2Estimator::RestrictedMaximumLikelihood
        | Tau2Estimator::EmpiricalBayes => {
            let start = match control.tau2_init() {
                Some(t) => t,
                None => hedges().0.max(0.0),
            };
            fisher_scoring(estimator, groups, k, p, start, control)?
        }
        Tau2Estimator::PauleMandel | Tau2Estimator::PauleMandelMedian => {
            paule_mandel(estimator, groups, k, p, control)?
        }
        Tau2Estimator::DerSimonianLairdTwoStep | Tau2Estimator::GeneralizedQ => {
            return Err(Error::Undefined {
                what: "common-tau² subgroup model",
                why: "metafor 3.8 has no two-step DL with moderators, and the generalized Q estimator needs study weights",
            })
        }
    };
    if !fit.tau2.is_finite() {
        return Err(Error::NonFinite {
            what: "common tau2 of the subgroups",
        });
    }
    Ok(Tau2Fit {
        se: fit.se.filter(|s| s.is_finite()),
        ..fit
    })
}

/// Fisher scoring for ML, REML and EB with the moderator model's sums (see [`common_tau2`]).
fn fisher_scoring(
    estimator: Tau2Estimator,
    groups: &[&[Effect]],
    k: usize,
    p: usize,
    start: f64,
    control: &Tau2Control,
) -> Result<Tau2Fit> {
    let (kf, df) = (k as f64, (k - p) as f64);
    let mut tau2 = start;
    let mut change = control.threshold() + 1.0;
    let mut iterations = 0usize;
    while change > control.threshold() {
        iterations += 1;
        let old = tau2;
        let s = at(groups, tau2);
        let mut step = match estimator {
            Tau2Estimator::MaximumLikelihood => (s.rss2 - s.sum_w) / s.sum_w2,
            Tau2Estimator::RestrictedMaximumLikelihood => (s.rss2 - s.tr_p) / s.tr_pp,
            _ => (s.rss * kf / df - kf) / s.sum_w,
        };
        step *= control.step_adjustment();
        if step.is_nan() {
            step = 0.0;
        }
        while tau2 + step < 0.0 && step != 0.0 {
            step /= 2.0;
        }
        tau2 += step;
        change = (old - tau2).abs();
        // metafor gives up after the (max_iterations + 1)-th step, even if that step converged
        if iterations > control.max_iterations() || !tau2.is_finite() {
            return Err(Error::NotConverged {
                method: "Fisher scoring for the common tau2 of the subgroups",
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
        let gain =
            log_likelihood(groups, k, p, 0.0, reml) - log_likelihood(groups, k, p, tau2, reml);
        if gain > control.tolerance() && tau2 > control.threshold() {
            stop = Tau2Stop::ResetToZero {
                converged_at: tau2,
                loglik_gain: gain,
            };
            tau2 = 0.0;
        }
    }
    let s = at(groups, tau2);
    let se = match estimator {
        Tau2Estimator::MaximumLikelihood => (2.0 / s.sum_w2).sqrt(),
        Tau2Estimator::RestrictedMaximumLikelihood => (2.0 / s.tr_pp).sqrt(),
        _ => (2.0 * kf * kf / df).sqrt() / s.sum_w,
    };
    Ok(Tau2Fit {
        estimator,
        tau2,
        se: Some(se),
        iterations,
        stop,
    })
}

/// The (restricted) log-likelihood of the moderator model at `tau2` (see [`common_tau2`]).
fn log_likelihood(groups: &[&[Effect]], k: usize, p: usize, tau2: f64, reml: bool) -> f64 {
    let s = at(groups, tau2);
    let mut logs = NeumaierSum::default();
    for e in groups.iter().flat_map(|g| g.iter()) {
        logs.add((e.variance() + tau2).ln());
    }
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    if reml {
        -0.5 * (k - p) as f64 * ln2pi - 0.5 * logs.value() - 0.5 * s.log_det_xwx - 0.5 * s.rss
    } else {
        -0.5 * k as f64 * ln2pi - 0.5 * logs.value() - 0.5 * s.rss
    }
}

/// Paule-Mandel on the residual (generalized) Q of the moderator model (see [`common_tau2`]).
fn paule_mandel(
    estimator: Tau2Estimator,
    groups: &[&[Effect]],
    k: usize,
    p: usize,
    control: &Tau2Control,
) -> Result<Tau2Fit> {
    let (kf, df) = (k as f64, (k - p) as f64);
    let target = if estimator == Tau2Estimator::PauleMandelMedian {
        chi_square_quantile(0.5, df)
    } else {
        df
    };
    let tau2_max = match control.tau2_max() {
        Some(m) => m,
        None => {
            let all: Vec<&Effect> = groups.iter().flat_map(|g| g.iter()).collect();
            let m = mad(k, |i| all[i].estimate());
            (10.0 * m * m).max(100.0)
        }
    };
    let f = |t: f64| at(groups, t).rss - target;
    let f_min = f(0.0);
    let (tau2, iterations, stop) = if f_min < 0.0 {
        (0.0, 0, Tau2Stop::AtLowerBound)
    } else {
        let f_max = f(tau2_max);
        if f_max > 0.0 {
            return Err(Error::Undefined {
                what: "Paule-Mandel common tau2 of the subgroups",
                why: "the residual Q at tau2_max is still above its target: raise tau2_max",
            });
        }
        let root = zeroin(
            f,
            0.0,
            tau2_max,
            f_min,
            f_max,
            control.tolerance(),
            control.max_iterations(),
        );
        if !root.converged {
            return Err(Error::NotConverged {
                method: "Paule-Mandel root search for the common tau2 of the subgroups",
                iterations: root.iterations,
                last_change: root.bracket,
            });
        }
        (
            root.x.max(0.0),
            root.iterations,
            Tau2Stop::Root {
                bracket: root.bracket,
            },
        )
    };
    let s = at(groups, tau2);
    Ok(Tau2Fit {
        estimator,
        tau2,
        se: Some((2.0 * kf * kf / df).sqrt() / s.sum_w),
        iterations,
        stop,
    })
}
