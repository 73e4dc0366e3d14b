//! Closed-form (method-of-moments type) tau² estimators and their standard errors, as metafor
//! 3.8 `rma.uni` computes them, for any [`Design`] with `p` coefficients (the intercept-only
//! model, `P = W - w w' / sum w`, the subgroup model or the meta-regression on `[1, x]`);
//! `V = diag(v)`, `df = k - p`.

use super::design::{Design, Intercept, ProjectionSums};
use super::Tau2Estimator;
use super::{Tau2Control, Tau2Fit, Tau2Stop};
use crate::error::{Error, Result};
use crate::pool::core::{weighted_sums, WeightedSums};

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

/// The DerSimonian & Laird (1986) kernel, the one every path calls (the single-analysis
/// models, the batch path, the mergeable accumulators, RevMan's "M-H, Random" and the
/// designs with moderators): the untruncated estimate from Q, its degrees of freedom and
/// `tr P` at the fixed-effect weights `w = 1 / v`:
/// ```text
/// raw  = (Q - df) / tr P,   tau2 = max(0, raw)
/// tr P = sum w - sum w^2 / sum w        (intercept only; formed without cancellation)
/// ```
/// With `tr P = 0` (every weight but one underflowed next to the largest) or a non-finite
/// `raw`, tau² is undefined: [`Error::NonFinite`] naming tau2, on every path.
#[inline(always)]
pub(crate) fn dersimonian_laird_raw(q: f64, df: f64, tr_p: f64) -> Result<f64> {
    let raw = (q - df) / tr_p;
    if !(raw.is_finite() && tr_p.is_finite() && tr_p != 0.0) {
        return Err(Error::NonFinite { what: "tau2" });
    }
    Ok(raw)
}

/// The DerSimonian-Laird fit from its moments, with metafor's standard error:
/// ```text
/// se = sqrt(2 df + 4 tau2 tr P + 2 tau2^2 tr PP) / tr P
/// ```
pub(crate) fn dersimonian_laird_fit(q: f64, df: f64, tr_p: f64, tr_pp: f64) -> Result<Tau2Fit> {
    let raw = dersimonian_laird_raw(q, df, tr_p)?;
    let t = raw.max(0.0);
    let se = (2.0 * df + 4.0 * t * tr_p + 2.0 * t * t * tr_pp).sqrt() / tr_p;
    Ok(closed(raw, se))
}

/// DerSimonian & Laird (1986) for any design, `w = 1 / v`, from the same fixed-effect kernel as
/// every other path (so the single-analysis and batch results agree bit for bit); `df = k - p`
/// (intercept only: `QE = Q`, `tr P = sum w - sum w^2 / sum w`).
pub(crate) fn dersimonian_laird(d: &impl Design) -> Result<Tau2Fit> {
    let (qe, trp) = d.fixed_q_and_tr_p()?;
    dersimonian_laird_fit(qe, d.df(), trp, d.at(0.0).tr_pp)
}

/// Hedges (1983) / Cochran's variance-component estimator, unweighted (`w = 1`, `P` the OLS
/// projection), `df = k - p`:
/// ```text
/// tau2 = max(0, (y'Py - tr PV) / df)   (intercept only: y'Py = sum (y - mean y)^2,
///                                        tr PV = (k - 1)/k sum v)
/// se   = sqrt(2 tr(PVPV) + 4 tau2 tr PV + 2 tau2^2 df) / df
/// ```
pub(crate) fn hedges(d: &impl Design) -> Tau2Fit {
    let (raw, s) = hedges_raw(d);
    let df = d.df();
    let t = raw.max(0.0);
    let se = (2.0 * s.tr_pvpv + 4.0 * t * s.tr_pv + 2.0 * t * t * df).sqrt() / df;
    closed(raw, se)
}

/// The untruncated Hedges estimate (Fisher scoring's starting value) and its sums.
pub(crate) fn hedges_raw(d: &impl Design) -> (f64, ProjectionSums) {
    let s = d.unweighted();
    ((s.rss - s.tr_pv) / d.df(), s)
}

/// Hunter & Schmidt (1990) in the general form of Viechtbauer (2005), `w = 1 / v`, and its
/// small-sample variant (`HSk`, `y'Py` multiplied by `k / df`), `df = k - p`:
/// ```text
/// HS:  tau2 = max(0, (y'Py - k) / sum w)
/// HSk: tau2 = max(0, (k/df y'Py - k) / sum w)
/// se   = [k/df for HSk] sqrt(2 df + 4 tau2 tr P + 2 tau2^2 tr PP) / sum w
/// ```
pub(crate) fn hunter_schmidt(d: &impl Design, small_sample: bool) -> Tau2Fit {
    let s = d.at(0.0);
    let kf = d.k() as f64;
    let df = d.df();
    let factor = if small_sample { kf / df } else { 1.0 };
    let raw = (factor * s.rss - kf) / s.sum_w;
    let t = raw.max(0.0);
    let se = factor * (2.0 * df + 4.0 * t * s.tr_p + 2.0 * t * t * s.tr_pp).sqrt() / s.sum_w;
    closed(raw, se)
}

/// Sidik & Jonkman (2005), from the crude start `tau0 = sum (y - mean y)^2 / k` over all
/// studies (or the user's `tau2_init`), `w = 1 / (v + tau0)`, `df = k - p`:
/// ```text
/// tau2 = tau0 y'Py / df        (never negative)
/// se   = tau0 sqrt(2 tr(PVPV) + 4 tau2 tr(PPV) + 2 tau2^2 tr PP) / df
/// ```
pub(crate) fn sidik_jonkman(d: &impl Design, control: &Tau2Control) -> Tau2Fit {
    let df = d.df();
    let tau0 = match control.tau2_init() {
        Some(t) => t,
        None => d.total_sum_of_squares() / d.k() as f64,
    };
    let s = d.at(tau0);
    let raw = tau0 * s.rss / df;
    let t = raw.max(0.0);
    let se = tau0 * ((2.0 * s.tr_pvpv + 4.0 * t * s.tr_ppv + 2.0 * t * t * s.tr_pp).sqrt() / df);
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
    let dl = dersimonian_laird(&Intercept { k, y, v })?.tau2;
    Ok(generalized_q(k, y, v, |i| 1.0 / (v(i) + dl)))
}

/// The generalized Q-statistic estimator of DerSimonian & Kacker (2007) with study weights `a`
/// (metafor `method = "GENQ", weights = a`); DL (`a = 1/v`), HE (`a = 1`) and DL2
/// (`a = 1/(v + tau2_DL)`) are special cases:
/// ```text
/// tau2 = max(0, (Q_a - tr(P_a V)) / tr P_a),   Q_a = y' P_a y,  P_a = A - a a' / sum a
/// se   = sqrt(2 tr(P_a V P_a V) + 4 tau2 tr(P_a P_a V) + 2 tau2^2 tr(P_a P_a)) / tr P_a
/// ```
pub(crate) fn generalized_q(
    k: usize,
    y: impl Fn(usize) -> f64 + Copy,
    v: impl Fn(usize) -> f64 + Copy,
    a: impl Fn(usize) -> f64 + Copy,
) -> Tau2Fit {
    let s = weighted_sums(k, y, v, a);
    let trp = s.tr_p();
    let raw = (s.rss - s.tr_pv()) / trp;
    let t = raw.max(0.0);
    closed(raw, genq_se(&s, trp, t))
}
