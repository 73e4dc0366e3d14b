//! The numeric kernels every pooled number goes through, over any indexed source of studies,
//! so that the single-analysis API and the batch path share one implementation (and agree bit
//! for bit).

use crate::error::{Error, Problem, Result};
use crate::numeric::NeumaierSum;

/// The fixed-effect (inverse-variance) summary of k studies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FixedCore {
    pub k: usize,
    /// sum 1/v_i
    pub sum_w: f64,
    /// `1 - sum (w_i / sum w)^2`, one minus the sum of the squared weight shares, computed
    /// without cancellation as `2 sum_{j<i} share_i share_j` (see [`fixed_core`]). It is the
    /// DerSimonian-Laird denominator divided by `sum w`: `sum w - sum w^2 / sum w = sum w *
    /// share_complement`. Subtracting `sum share^2` from 1 loses every digit when one study
    /// carries nearly all the weight (variances many orders of magnitude apart).
    pub share_complement: f64,
    /// inverse-variance estimate
    pub estimate: f64,
    /// Cochran's Q around `estimate`
    pub q: f64,
}

/// Validate one study's (y, v), naming it by position.
#[inline(always)]
pub(crate) fn check_study(i: usize, y: f64, v: f64) -> Result<()> {
    // one branch on three floating-point comparisons (NaN fails each) in the hot loops; the
    // detailed error is built off the fast path
    if (y.abs() < f64::INFINITY) & (v > 0.0) & (v < f64::INFINITY) {
        return Ok(());
    }
    study_error(i, y, v)
}

#[cold]
#[inline(never)]
fn study_error(i: usize, y: f64, v: f64) -> Result<()> {
    if !y.is_finite() {
        return Err(Error::InvalidStudy {
            study: i,
            field: "estimate",
            problem: Problem::NotFinite(y),
        });
    }
    if !(v > 0.0 && v.is_finite()) {
        return Err(Error::InvalidStudy {
            study: i,
            field: "variance",
            problem: if v.is_finite() {
                Problem::NotPositive(v)
            } else {
                Problem::NotFinite(v)
            },
        });
    }
    Ok(())
}

/// Weighted mean of `y` with weights `1 / (v_i + tau2)`, shifted by the y of the heaviest study for accuracy:
/// returns `(sum of weights, estimate)`.
///
/// ```text
/// mu = y_0 + sum w_i (y_i - y_0) / sum w_i
/// ```
#[inline(always)]
pub(crate) fn weighted_core(
    k: usize,
    y: impl Fn(usize) -> f64,
    v: impl Fn(usize) -> f64,
    tau2: f64,
) -> (f64, f64) {
    // the same shift as weighted_sums (bit-identical estimates on both paths)
    let y0 = y(heaviest(k, |i| 1.0 / (v(i) + tau2)));
    let (mut lo, mut hi) = (y0, y0);
    let mut sw = NeumaierSum::default();
    let mut swy = NeumaierSum::default();
    for i in 0..k {
        let yi = y(i);
        lo = lo.min(yi);
        hi = hi.max(yi);
        let w = 1.0 / (v(i) + tau2);
        sw.add(w);
        swy.add(w * (yi - y0));
    }
    let sum_w = sw.value();
    (sum_w, within(y0 + swy.value() / sum_w, lo, hi))
}

/// The position of the largest weight (the first, on ties).
#[inline(always)]
fn heaviest(k: usize, w: impl Fn(usize) -> f64) -> usize {
    let (mut i_max, mut w_max) = (0, f64::NEG_INFINITY);
    for i in 0..k {
        let wi = w(i);
        if wi > w_max {
            (w_max, i_max) = (wi, i);
        }
    }
    i_max
}

/// A weighted mean lies in `[min y, max y]`; the rounding of `y_i - y_0` (a few ulps of the range
/// of y) can carry the computed value just outside. Clamp it back: this only ever moves it toward
/// the exact value. A NaN passes through unchanged (and is reported by the caller).
#[inline(always)]
fn within(mean: f64, lo: f64, hi: f64) -> f64 {
    if mean < lo {
        lo
    } else if mean > hi {
        hi
    } else {
        mean
    }
}

/// Inverse-variance pooling and Cochran's Q, in two passes (the second for Q, around the final
/// estimate, which avoids the cancellation of the one-pass `sum w y^2 - (sum w y)^2 / sum w`).
/// Both passes work on deviations from the first study, `y_i - y_0`, which are exact when the
/// studies are nearly identical: Q of studies that differ in the 12th digit keeps 10 digits.
///
/// ```text
/// w_i = 1 / v_i;  mu = sum w_i y_i / sum w_i;  Q = sum w_i (y_i - mu)^2
/// share_i = w_i / sum w
/// share_complement = 1 - sum share_i^2 = 2 sum_i share_i (sum_{j<i} share_j)
///     (positive terms only; so that  sum w - sum w^2 / sum w = sum w * share_complement)
/// ```
#[inline(always)]
pub(crate) fn fixed_core(
    k: usize,
    y: impl Fn(usize) -> f64,
    v: impl Fn(usize) -> f64,
) -> Result<FixedCore> {
    if k == 0 {
        return Err(Error::Empty);
    }
    let y0 = y(0);
    let (mut lo, mut hi) = (y0, y0);
    let mut sw = NeumaierSum::default();
    let mut swy = NeumaierSum::default();
    for i in 0..k {
        let (yi, vi) = (y(i), v(i));
        check_study(i, yi, vi)?;
        lo = lo.min(yi);
        hi = hi.max(yi);
        let w = 1.0 / vi;
        sw.add(w);
        swy.add(w * (yi - y0));
    }
    let sum_w = sw.value();
    // the weighted mean of the deviations from y0: Q uses it directly, since the deviations
    // y_i - y0 are exact for nearly identical studies and y0 + offset is not
    let offset = swy.value() / sum_w;
    let estimate = within(y0 + offset, lo, hi);
    let inv_sum_w = 1.0 / sum_w;
    let mut q = NeumaierSum::default();
    let mut pairs = NeumaierSum::default();
    let mut prefix = NeumaierSum::default();
    for i in 0..k {
        let vi = v(i);
        let d = (y(i) - y0) - offset;
        q.add(d * d / vi);
        let share = inv_sum_w / vi;
        pairs.add(share * prefix.value());
        prefix.add(share);
    }
    let core = FixedCore {
        k,
        sum_w,
        share_complement: 2.0 * pairs.value(),
        estimate,
        q: q.value(),
    };
    if !(core.sum_w.is_finite() && core.estimate.is_finite() && core.q.is_finite()) {
        return Err(Error::NonFinite {
            what: "inverse-variance sums",
        });
    }
    Ok(core)
}

/// Sums of a weighted intercept-only fit with weights `w_i` (`1 / (v_i + tau^2)` for the
/// random-effects model, `1 / v_i` for the fixed-effect one, `1` for the unweighted fit of the
/// Hedges estimator), everything the tau² estimators, their standard errors and the
/// Hartung-Knapp factor need. With `S = sum w`, `mu = sum w y / S`, the projection
/// `P = W - w w' / S` (metafor's `P` for `X = 1`) and `V = diag(v)`:
/// ```text
/// rss    = y' P y      = sum w (y - mu)^2            (generalized Q)
/// rss2   = y' P P y    = sum w^2 (y - mu)^2
/// tr P   = S - sum w^2 / S
/// tr PP  = sum w^2 - 2 sum w^3 / S + (sum w^2 / S)^2  (= sum(P * P))
/// tr PV  = sum v w - sum v w^2 / S
/// tr PVPV = sum v^2 w^2 - 2 sum v^2 w^3 / S + (sum v w^2 / S)^2
/// tr PPV = sum v w^2 - 2 sum v w^3 / S + (sum w^2 / S^2) sum v w^2   (= sum(PV * P))
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct WeightedSums {
    pub k: usize,
    pub sum_w: f64,
    /// `1 - sum (w_i / sum w)^2`, from pairwise products (see [`FixedCore::share_complement`])
    pub share_complement: f64,
    /// `tr(PP) / (sum w)^2`, from positive terms (see [`weighted_sums`])
    pub pp_scaled: f64,
    /// `tr(PV) = sum v_i w_i (1 - w_i / sum w)`, from positive terms
    pub pv: f64,
    pub estimate: f64,
    pub rss: f64,
    pub rss2: f64,
    pub sum_w2: f64,
    pub sum_w3: f64,
    pub sum_vw: f64,
    pub sum_vw2: f64,
    pub sum_vw3: f64,
    pub sum_v2w2: f64,
    pub sum_v2w3: f64,
}

impl WeightedSums {
    /// `tr P`
    #[inline]
    pub fn tr_p(&self) -> f64 {
        // = sum w - sum w^2 / sum w, without its cancellation when one weight dominates
        self.sum_w * self.share_complement
    }
    /// `tr P P`
    #[inline]
    pub fn tr_pp(&self) -> f64 {
        // = sum w^2 - 2 sum w^3 / sum w + (sum w^2 / sum w)^2, which cancels (to 0, or below)
        // when one weight dominates
        self.sum_w * self.pp_scaled * self.sum_w
    }
    /// `tr P V`
    #[inline]
    pub fn tr_pv(&self) -> f64 {
        // = sum v w - sum v w^2 / sum w, without its cancellation when one weight dominates
        self.pv
    }
    /// `tr P V P V`
    #[inline]
    pub fn tr_pvpv(&self) -> f64 {
        let r = self.sum_vw2 / self.sum_w;
        self.sum_v2w2 - 2.0 * self.sum_v2w3 / self.sum_w + r * r
    }
    /// `tr P P V`
    #[inline]
    pub fn tr_ppv(&self) -> f64 {
        let s = self.sum_w;
        self.sum_vw2 - 2.0 * self.sum_vw3 / s + self.sum_w2 / (s * s) * self.sum_vw2
    }
}

/// [`WeightedSums`] in two passes over the studies (no allocation): the first for `S` and `mu`
/// (shifted by `y_0`, as in [`weighted_core`]), the second for the sums around `mu`.
#[inline(always)]
pub(crate) fn weighted_sums(
    k: usize,
    y: impl Fn(usize) -> f64,
    v: impl Fn(usize) -> f64,
    w: impl Fn(usize) -> f64,
) -> WeightedSums {
    // The study with the largest weight: deviations are taken from its y, so that its own
    // deviation (tiny when it dominates, and squared with the largest weight in y'PPy, the
    // ML/REML score) is computed exactly instead of as a difference of two rounded numbers of
    // the size of y; and 1 - its share comes from the sum of the other weights.
    let i_max = heaviest(k, &w);
    let y0 = y(i_max);
    let (mut lo, mut hi) = (y0, y0);
    let mut sw = NeumaierSum::default();
    let mut swy = NeumaierSum::default();
    let mut except_max = NeumaierSum::default();
    for i in 0..k {
        let (yi, wi) = (y(i), w(i));
        lo = lo.min(yi);
        hi = hi.max(yi);
        sw.add(wi);
        swy.add(wi * (yi - y0));
        if i != i_max {
            except_max.add(wi);
        }
    }
    let sum_w = sw.value();
    // as in fixed_core: deviations from y0 (exact for nearly identical studies), and
    // 1 - sum share^2 from the pairwise products (no cancellation when one weight dominates)
    let offset = swy.value() / sum_w;
    let estimate = within(y0 + offset, lo, hi);
    let inv_sum_w = 1.0 / sum_w;
    let mut pairs = NeumaierSum::default();
    let mut prefix = NeumaierSum::default();
    // tr(PP) / (sum w)^2 = sum s_i^2 (1 - s_i)^2 + 2 sum_i s_i^2 sum_{j<i} s_j^2, s = w / sum w
    let (mut pp_own, mut pp_pairs, mut prefix_sq) = (
        NeumaierSum::default(),
        NeumaierSum::default(),
        NeumaierSum::default(),
    );
    // tr(PV) = sum v_i w_i (1 - s_i), positive terms
    let mut pv = NeumaierSum::default();
    let mut acc = [NeumaierSum::default(); 9];
    for i in 0..k {
        let (wi, vi) = (w(i), v(i));
        let d = (y(i) - y0) - offset;
        let share = wi * inv_sum_w;
        pairs.add(share * prefix.value());
        prefix.add(share);
        let rest = if i == i_max {
            except_max.value() * inv_sum_w
        } else {
            (sum_w - wi) * inv_sum_w
        };
        let own = share * rest;
        pp_own.add(own * own);
        pv.add(vi * wi * rest);
        let sq = share * share;
        pp_pairs.add(sq * prefix_sq.value());
        prefix_sq.add(sq);
        let w2 = wi * wi;
        let w3 = w2 * wi;
        acc[0].add(wi * d * d);
        acc[1].add(w2 * d * d);
        acc[2].add(w2);
        acc[3].add(w3);
        acc[4].add(vi * wi);
        acc[5].add(vi * w2);
        acc[6].add(vi * w3);
        acc[7].add(vi * vi * w2);
        acc[8].add(vi * vi * w3);
    }
    WeightedSums {
        k,
        sum_w,
        share_complement: 2.0 * pairs.value(),
        pp_scaled: pp_own.value() + 2.0 * pp_pairs.value(),
        pv: pv.value(),
        estimate,
        rss: acc[0].value(),
        rss2: acc[1].value(),
        sum_w2: acc[2].value(),
        sum_w3: acc[3].value(),
        sum_vw: acc[4].value(),
        sum_vw2: acc[5].value(),
        sum_vw3: acc[6].value(),
        sum_v2w2: acc[7].value(),
        sum_v2w3: acc[8].value(),
    }
}

/// The generalized Q statistic `Q(tau^2) = sum w_i (y_i - mu)^2`, `w_i = 1 / (v_i + tau^2)`,
/// in two allocation-free passes: the function the Paule-Mandel estimator and the Q-profile
/// interval find roots of.
#[inline(always)]
pub(crate) fn generalized_q(
    k: usize,
    y: impl Fn(usize) -> f64,
    v: impl Fn(usize) -> f64,
    tau2: f64,
) -> f64 {
    let (_, mu) = weighted_core(k, &y, &v, tau2);
    let mut q = NeumaierSum::default();
    for i in 0..k {
        let d = y(i) - mu;
        q.add(d * d / (v(i) + tau2));
    }
    q.value()
}
