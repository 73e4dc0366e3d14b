//! Closed-form (method-of-moments type) tau² estimators and their standard errors, as metafor
//! 3.8 `rma.uni` computes them for the intercept-only model (`p = 1`). Notation of
//! [`WeightedSums`]: `P = W - w w' / sum w`, `V = diag(v)`, `RSS = y' P y`.

use super::{Tau2Control, Tau2Fit, Tau2Stop};
use crate::pool::core::{weighted_sums, WeightedSums};
use crate::pool::random::Tau2Estimator;

fn closed(raw: f64, se: f64) -> Tau2Fit {
    Tau2Fit {
        // placeholder, replaced by the dispatcher
        estimator: Tau2Estimator::DerSimonianLaird,
        tau2: raw.max(0.0),
        se: Some(se),
        iterations: 0,
        stop: Tau2Stop::ClosedForm { raw },
    }
}

/// Fixed-effect sums (`w = 1 / v`).
pub(crate) fn fixed_sums(
    k: usize,
    y: impl Fn(usize) -> f64 + Copy,
    v: impl Fn(usize) -> f64 + Copy,
) -> WeightedSums {
    weighted_sums(k, y, v, |i| 1.0 / v(i))
}

/// metafor's standard error of a generalized-Q estimator with weight matrix sums `s`,
/// divisor `d` and the estimate `tau2`:
/// ```text
/// se = sqrt( (2 tr(PVPV) + 4 tau2 tr(PPV) + 2 tau2^2 tr(PP)) ) / d
/// ```
fn genq_se(s: &WeightedSums, d: f64, tau2: f64) -> f64 {
    (2.0 * s.tr_pvpv() + 4.0 * tau2 * s.tr_ppv() + 2.0 * tau2 * tau2 * s.tr_pp()).sqrt() / d
}

/// DerSimonian & Laird (1986), `w = 1 / v`, from the same fixed-effect kernel as every other
/// path (so the single-analysis and batch results agree bit for bit), with the denominator
/// `tr P = sum w - sum w^2 / sum w` formed without cancellation (see `FixedCore`):
/// ```text
/// tau2 = max(0, (Q - (k - 1)) / tr P)
/// se   = sqrt(2 (k - 1) + 4 tau2 tr P + 2 tau2^2 tr PP) / tr P
/// ```
pub(crate) fn dersimonian_laird(
    k: usize,
    y: impl Fn(usize) -> f64 + Copy,
    v: impl Fn(usize) -> f64 + Copy,
) -> crate::error::Result<Tau2Fit> {
    let core = crate::pool::core::fixed_core(k, y, v)?;
    let df = (k - 1) as f64;
    let trp = core.sum_w * core.share_complement;
    let raw = (core.q - df) / trp;
    let t = raw.max(0.0);
    let s = fixed_sums(k, y, v);
    let se = (2.0 * df + 4.0 * t * trp + 2.0 * t * t * s.tr_pp()).sqrt() / trp;
    Ok(closed(raw, se))
}

/// Hedges (1983) / Cochran's variance-component estimator, unweighted (`w = 1`):
/// ```text
/// tau2 = max(0, (sum (y - mean y)^2 - tr PV) / (k - 1)),   tr PV = (k - 1)/k sum v
/// se   = sqrt(2 tr(PVPV) + 4 tau2 tr PV + 2 tau2^2 (k - 1)) / (k - 1)
/// ```
pub(crate) fn hedges(
    k: usize,
    y: impl Fn(usize) -> f64 + Copy,
    v: impl Fn(usize) -> f64 + Copy,
) -> Tau2Fit {
    let (raw, s) = hedges_raw(k, y, v);
    let df = (k - 1) as f64;
    let t = raw.max(0.0);
    let se = (2.0 * s.tr_pvpv() + 4.0 * t * s.tr_pv() + 2.0 * t * t * df).sqrt() / df;
    closed(raw, se)
}

/// The untruncated Hedges estimate (Fisher scoring's starting value) and its sums.
pub(crate) fn hedges_raw(
    k: usize,
    y: impl Fn(usize) -> f64 + Copy,
    v: impl Fn(usize) -> f64 + Copy,
) -> (f64, WeightedSums) {
    let s = weighted_sums(k, y, v, |_| 1.0);
    ((s.rss - s.tr_pv()) / (k - 1) as f64, s)
}

/// Hunter & Schmidt (1990) in the general form of Viechtbauer (2005), `w = 1 / v`, and its
/// small-sample variant (`HSk`, Q multiplied by `k / (k - 1)`):
/// ```text
/// HS:  tau2 = max(0, (Q - k) / sum w)
/// HSk: tau2 = max(0, (k/(k-1) Q - k) / sum w)
/// se   = [k/(k-1) for HSk] sqrt(2 (k - 1) + 4 tau2 tr P + 2 tau2^2 tr PP) / sum w
/// ```
pub(crate) fn hunter_schmidt(
    k: usize,
    y: impl Fn(usize) -> f64 + Copy,
    v: impl Fn(usize) -> f64 + Copy,
    small_sample: bool,
) -> Tau2Fit {
    let s = fixed_sums(k, y, v);
    let kf = k as f64;
    let df = kf - 1.0;
    let factor = if small_sample { kf / df } else { 1.0 };
    let raw = (factor * s.rss - kf) / s.sum_w;
    let t = raw.max(0.0);
    let se = factor * (2.0 * df + 4.0 * t * s.tr_p() + 2.0 * t * t * s.tr_pp()).sqrt() / s.sum_w;
    closed(raw, se)
}

/// Sidik & Jonkman (2005), from the crude start `tau0 = sum (y - mean y)^2 / k` (or the
/// user's `tau2_init`), `w = 1 / (v + tau0)`:
/// ```text
/// tau2 = tau0 RSS / (k - 1)        (never negative)
/// se   = tau0 sqrt(2 tr(PVPV) + 4 tau2 tr(PPV) + 2 tau2^2 tr PP) / (k - 1)
/// ```
pub(crate) fn sidik_jonkman(
    k: usize,
    y: impl Fn(usize) -> f64 + Copy,
    v: impl Fn(usize) -> f64 + Copy,
    control: &Tau2Control,
) -> Tau2Fit {
    let df = (k - 1) as f64;
    let tau0 = match control.tau2_init() {
        Some(t) => t,
        None => weighted_sums(k, y, v, |_| 1.0).rss / k as f64,
    };
    let s = weighted_sums(k, y, v, |i| 1.0 / (v(i) + tau0));
    let raw = tau0 * s.rss / df;
    let t = raw.max(0.0);
    let se = tau0 * genq_se(&s, df, t);
    closed(raw, se)
}

/// DerSimonian & Kacker (2007) two-step estimator (DL2): the generalized-Q estimator with
/// weights `a = 1 / (v + tau2_DL)`, i.e. metafor's `method = "GENQ"` with those weights:
/// ```text
/// tau2 = max(0, (Q_a - tr(P_a V)) / tr P_a),   Q_a = y' P_a y
/// se   = sqrt(2 tr(P_a V P_a V) + 4 tau2 tr(P_a P_a V) + 2 tau2^2 tr(P_a P_a)) / tr P_a
/// ```
pub(crate) fn dersimonian_laird_two_step(
    k: usize,
    y: impl Fn(usize) -> f64 + Copy,
    v: impl Fn(usize) -> f64 + Copy,
) -> crate::error::Result<Tau2Fit> {
    let dl = dersimonian_laird(k, y, v)?.tau2;
    let s = weighted_sums(k, y, v, |i| 1.0 / (v(i) + dl));
    let trp = s.tr_p();
    let raw = (s.rss - s.tr_pv()) / trp;
    let t = raw.max(0.0);
    Ok(closed(raw, genq_se(&s, trp, t)))
}
