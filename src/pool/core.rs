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

/// Weighted mean of `y` with weights `1 / (v_i + tau2)`, shifted by the first y for accuracy:
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
    let y0 = y(0);
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
