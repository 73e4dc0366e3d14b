//! The weighted sums of an intercept-only fit that the tau² estimators, their standard errors
//! and the Knapp-Hartung factor need, on the blocked kernel of [`super::core`].

use super::core::{moments, Part, Source};
use super::lanes::Real;
use super::tau2::design::EquationSums;
use crate::numeric::NeumaierSum;

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
/// (the blocked kernel of [`weighted_core`], deviations from the heaviest study's y), the second
/// (Neumaier-compensated, in index order) for the sums around `mu`, plus the sum of the weights
/// other than the heaviest.
#[inline(always)]
pub(crate) fn weighted_sums(
    k: usize,
    y: impl Fn(usize) -> f64,
    v: impl Fn(usize) -> f64,
    w: impl Fn(usize) -> f64,
) -> WeightedSums {
    // The study with the largest weight: 1 - its share comes from the sum of the other
    // weights. The first pass is the blocked kernel of weighted_core (the same bits), whose
    // deviations are taken from the heaviest study's y (exact when it dominates, squared with
    // the largest weight in y'PPy, the ML/REML score); the second pass uses the same deviations.
    let i_max = heaviest(k, &w);
    let src = Source::<_, _, _, false> {
        y: &y,
        x: &w,
        weight: move |w| w,
    };
    let part = match moments::<false, false, _>(k, &src) {
        Ok(p) => p,
        Err(_) => Part::NAN,
    };
    let (sum_w, estimate, y0, offset) = (part.s, part.mean, part.y_ref, part.offset);
    let mut except_max = NeumaierSum::default();
    for i in 0..k {
        if i != i_max {
            except_max.add(w(i));
        }
    }
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
/// in one allocation-free pass (the blocked moments of the module docs; at `tau2 = 0` it is
/// [`fixed_core`]'s Q bit for bit): the function the Paule-Mandel estimator and the Q-profile
/// interval find roots of.
#[inline(always)]
pub(crate) fn generalized_q(
    k: usize,
    y: impl Fn(usize) -> f64,
    v: impl Fn(usize) -> f64,
    tau2: f64,
) -> f64 {
    let src = Source::<_, _, _, false> {
        y,
        x: v,
        weight: move |v| 1.0 / (v + tau2),
    };
    match moments::<true, false, _>(k, &src) {
        Ok(p) => p.m2,
        Err(_) => f64::NAN,
    }
}

/// The sums of the iterative estimators' estimating equations for the intercept-only model at
/// weights `w_i` (`1 / (v_i + tau2)`), in two plain passes (no compensation, no allocation: the
/// exact solver's inner loop), each sum of positive terms except the deviations:
/// ```text
/// S = sum w,  mu = y_0 + sum w (y - y_0) / S,  e = y - mu
/// y'Py = sum w e^2,  y'PPy = sum w^2 e^2
/// tr P = 2 sum_{i<j} w_i w_j / S     (= S - sum w^2 / S, without its cancellation)
/// tr PP = sum w^2 - 2 sum w^3 / S + (sum w^2 / S)^2
/// ```
/// Over one analysis (`R = f64`) or one per SIMD lane (`R = Lanes`, each lane at its own
/// tau²), with the same operations in the same order on every lane; `w(i)` is asked for once
/// per pass, and must give the same value each time.
#[inline(always)]
pub(crate) fn equation_sums<R: Real>(
    k: usize,
    y: impl Fn(usize) -> R,
    w: impl Fn(usize) -> R,
) -> EquationSums<R> {
    let zero = R::splat(0.0);
    let y0 = if k > 0 { y(0) } else { zero };
    let (mut s, mut swd, mut pairs, mut s2, mut s3) = (zero, zero, zero, zero, zero);
    for i in 0..k {
        let wi = w(i);
        pairs = pairs + wi * s;
        s = s + wi;
        swd = swd + wi * (y(i) - y0);
        let w2 = wi * wi;
        s2 = s2 + w2;
        s3 = s3 + w2 * wi;
    }
    let offset = swd / s;
    let (mut rss, mut rss2) = (zero, zero);
    for i in 0..k {
        let wi = w(i);
        let e = (y(i) - y0) - offset;
        let we2 = wi * e * e;
        rss = rss + we2;
        rss2 = rss2 + wi * we2;
    }
    let r = s2 / s;
    let two = R::splat(2.0);
    EquationSums {
        sum_w: s,
        sum_w2: s2,
        rss,
        rss2,
        tr_p: two * pairs / s,
        tr_pp: s2 - two * s3 / s + r * r,
    }
}
