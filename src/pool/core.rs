//! The numeric kernels every pooled number goes through, over any indexed source of studies,
//! so that the single-analysis API and the batch path share one implementation (and agree bit
//! for bit).
//!
//! # Summation scheme
//!
//! The studies are taken in blocks of [`BLOCK`] (256) consecutive studies: read in place from a
//! contiguous column ([`Slice`], the batch path) or copied into local arrays (index closures),
//! validated, and weighted into a local array (one division per study and pass). Inside a block
//! every sum is a plain sum in [`LANES`] (4) independent lanes (study `i` goes to lane
//! `i mod 4`; the last `k mod 4` studies are padded with zero-weight copies of the block's first
//! study, which add exact zeros), which the compiler turns into SIMD code; the lanes are then
//! combined pairwise.
//! A block's weighted mean, its sum of squared deviations around that mean and its sum of
//! pairwise weight products are formed over the block in cache (two passes over the local
//! arrays, one pass over the caller's data). Blocks are merged pairwise in a binary tree with
//! the updating formulas of Chan, Golub & LeVeque (1979), in which every added term is
//! positive:
//! ```text
//! S    = S_a + S_b
//! mu   = mu_a + (mu_b - mu_a) S_b / S
//! M2   = M2_a + M2_b + (mu_b - mu_a)^2 S_a S_b / S      (M2 = sum w (y - mu)^2, Cochran's Q)
//! P    = P_a + P_b + S_a S_b                              (P = sum_{i<j} w_i w_j)
//! ```
//! so Cochran's Q needs one pass over the data, not two, and no sum of positive quantities
//! ever cancels.
//!
//! # Error bounds
//!
//! With `eps = 2^-53`, `m = ceil(min(k, 256) / 4) + 2` (the longest chain of plain additions
//! inside a block: one per study of a lane, and 2 to combine the lanes; `m = 66` for `k >= 256`)
//! and `t = ceil(log2(k / 256))` (0 for `k <= 256`) the depth of the block tree, to first order in
//! `eps` (`gamma_n = n eps / (1 - n eps)`):
//! - sums of positive terms (`sum w`, `P`) have a relative error of at most `gamma_(m + t + 2)`
//!   (`gamma_8` for `k <= 16`; `gamma_84`, about `9.3e-15`, at `k = 10^7`);
//! - the weighted mean is `y_ref + sum w (y - y_ref) / sum w` per block (`y_ref` the block's
//!   first effect), so its absolute error is at most `gamma_(m + 3 t + 4) (max y - min y)`; it is
//!   then clamped to `[min y, max y]`;
//! - Q (`M2`) has a relative error of at most `gamma_(m + 3 t + 6)` plus the (second-order) effect
//!   of the mean's error, `sum w * (error of mu)^2`;
//! - `share_complement = 2 P / S^2` has a relative error of at most `gamma_(2 m + 2 t + 6)`,
//!   whatever the spread of the weights (no cancellation).
//!
//! Before this scheme every sum was Neumaier-compensated in index order (error independent of
//! k); the blocked scheme trades a bound growing like `k / 4` for `k <= 256` and `log2 k`
//! beyond for SIMD lanes and one pass fewer, and keeps every number well inside the 1e-10
//! relative agreement with metafor (which sums plainly, in index order).

use crate::error::{Error, Problem, Result};
use crate::numeric::{merge_moments, Merged};

pub(crate) use super::lanes::Real;

/// Number of independent lanes of the plain partial sums inside a block.
const LANES: usize = 4;
/// Studies per block (the local arrays of a block stay in L1 cache).
const BLOCK: usize = 256;
/// Size of the local arrays when all studies fit in one small block (no 4 KiB of zeroed
/// arrays for an analysis of a few studies; the arithmetic is the same as with [`BLOCK`]).
pub(crate) const SMALL: usize = 16;

/// The fixed-effect (inverse-variance) summary of k studies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FixedCore {
    pub k: usize,
    /// sum 1/v_i
    pub sum_w: f64,
    /// `1 - sum (w_i / sum w)^2`, one minus the sum of the squared weight shares, computed
    /// without cancellation as `2 sum_{i<j} w_i w_j / (sum w)^2` (see [`fixed_core`]). It is the
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
    if study_ok(y, v) {
        return Ok(());
    }
    study_error(i, y, v)
}

/// `y` finite, `v` finite and positive (NaN fails each comparison); branch-free.
#[inline(always)]
#[allow(clippy::eq_op)] // `x - x` is the finiteness test, on purpose
pub(crate) fn study_ok(y: f64, v: f64) -> bool {
    // `x - x` is 0 for finite x and NaN for infinite or NaN x: float comparisons only, which
    // stay in SIMD registers (`x.abs() < inf` becomes a 64-bit integer comparison, which SSE2
    // lacks, and keeps the validation loop scalar)
    ((y - y) + (v - v) == 0.0) & (v > 0.0)
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

/// A weighted mean lies in `[min y, max y]`; the rounding of `y_i - y_ref` (a few ulps of the
/// range of y) can carry the computed value just outside. Clamp it back: this only ever moves
/// it toward the exact value. A NaN passes through unchanged (and is reported by the caller).
#[inline(always)]
fn within<R: Real>(mean: R, lo: R, hi: R) -> R {
    R::select(R::lt(mean, lo), lo, R::select(R::gt(mean, hi), hi, mean))
}

/// The weighted moments of a set of studies (a block, or the union of blocks): `s = sum w`,
/// the weighted mean, `m2 = sum w (y - mean)^2` (when asked for), `pairs = sum_{i<j} w_i w_j`
/// (when asked for), and the range of y; of one analysis (`f64`) or of one per lane.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Part<R = f64> {
    pub(crate) s: R,
    pub(crate) mean: R,
    /// the effect the deviations are taken from (the heaviest study's, first on ties)
    pub(crate) y_ref: R,
    /// `sum w (y - y_ref) / sum w`, unclamped: `mean` is `y_ref + offset` clamped to the range
    pub(crate) offset: R,
    pub(crate) m2: R,
    pub(crate) pairs: R,
    pub(crate) lo: R,
    pub(crate) hi: R,
}

impl Part {
    pub(super) const NAN: Part = Part {
        s: f64::NAN,
        mean: f64::NAN,
        y_ref: f64::NAN,
        offset: f64::NAN,
        m2: f64::NAN,
        pairs: f64::NAN,
        lo: f64::NAN,
        hi: f64::NAN,
    };
}

/// `(a0 + a1) + (a2 + a3)`
#[inline(always)]
fn lane_total<R: Real>(a: [R; LANES]) -> R {
    (a[0] + a[1]) + (a[2] + a[3])
}

/// The studies of a block in chunks of [`LANES`]: the full chunks in place, then the last
/// `n mod LANES` studies padded with zero-weight copies of `y[0]` (which add exact zeros);
/// `$body` runs on each chunk with `$yc`, `$wc` bound to `&[R; LANES]`. A macro rather than a
/// function taking a closure, so that the body is always inlined (also over lanes of analyses).
macro_rules! for_chunks {
    ($y:expr, $w:expr, |$yc:pat_param, $wc:pat_param| $body:block) => {{
        let (y, w) = ($y, $w);
        let n = y.len();
        let w = &w[..n];
        let full = n / LANES * LANES;
        let zero = [R::splat(0.0); LANES];
        for (yc, wc) in y[..full]
            .chunks_exact(LANES)
            .zip(w[..full].chunks_exact(LANES))
        {
            let $yc: &[_; LANES] = yc.try_into().unwrap_or(&zero);
            let $wc: &[_; LANES] = wc.try_into().unwrap_or(&zero);
            $body
        }
        if full < n {
            let (mut yt, mut wt) = ([y[0]; LANES], zero);
            // element by element: `copy_from_slice` of 1 to 3 values is a libc `memcpy` call
            for (j, (&a, &b)) in y[full..].iter().zip(&w[full..]).enumerate() {
                yt[j] = a;
                wt[j] = b;
            }
            let $yc = &yt;
            let $wc = &wt;
            $body
        }
    }};
}

/// The moments of one block of `n >= 1` studies (effects `y`, weights `w`): plain sums in
/// [`LANES`] lanes, study `i` in lane `i mod LANES`. Over one analysis (`R = f64`) or over
/// one analysis per SIMD lane (`R = Lanes`, `ys[i]` holding study `i` of each), with the same
/// operations in the same order on every lane.
#[inline(always)]
#[allow(unused_assignments)] // the last chunk's `base +=`
pub(crate) fn block_part<R: Real, const Q: bool, const PAIRS: bool>(y: &[R], w: &[R]) -> Part<R> {
    let w = &w[..y.len()];
    let zero = R::splat(0.0);
    // deviations are taken from the heaviest study's effect (the first, on ties): its own
    // deviation, squared with the largest weight, is then exact, and so are all deviations of
    // nearly identical studies
    let (mut w_max, mut at) = ([R::splat(f64::NEG_INFINITY); LANES], [zero; LANES]);
    let mut base = 0.0;
    for_chunks!(y, w, |_, wc| {
        for l in 0..LANES {
            // each lane's first maximum and its position (as f64: one SIMD select for both)
            let more = R::gt(wc[l], w_max[l]);
            w_max[l] = R::select(more, wc[l], w_max[l]);
            at[l] = R::select(more, R::splat(base + l as f64), at[l]);
        }
        base += LANES as f64;
    });
    // the largest of the lane maxima, the smallest position on ties: the first heaviest study
    // (padding has weight 0 and never beats a study's positive weight)
    let mut top = (w_max[0], at[0]);
    for l in 1..LANES {
        let better = R::gt(w_max[l], top.0) | (R::eq(w_max[l], top.0) & R::lt(at[l], top.1));
        top = (
            R::select(better, w_max[l], top.0),
            R::select(better, at[l], top.1),
        );
    }
    let y_ref = R::pick(y, top.1, y[0]);
    let y0 = y[0];
    let (mut lo, mut hi) = ([y0; LANES], [y0; LANES]);
    let (mut s, mut t, mut p) = ([zero; LANES], [zero; LANES], [zero; LANES]);
    for_chunks!(y, w, |yc, wc| {
        for l in 0..LANES {
            let (yi, wi) = (yc[l], wc[l]);
            // select forms (not f64::min/max) so that they compile to SIMD min/max
            lo[l] = R::select(R::lt(yi, lo[l]), yi, lo[l]);
            hi[l] = R::select(R::gt(yi, hi[l]), yi, hi[l]);
            if PAIRS {
                // w_i times the sum of the lane's earlier weights
                p[l] = p[l] + wi * s[l];
            }
            s[l] = s[l] + wi;
            t[l] = t[l] + wi * (yi - y_ref);
        }
    });
    let (s01, s23) = (s[0] + s[1], s[2] + s[3]);
    let sum = s01 + s23;
    let pairs = if PAIRS {
        ((p[0] + p[1] + s[0] * s[1]) + (p[2] + p[3] + s[2] * s[3])) + s01 * s23
    } else {
        zero
    };
    let lo = lo.into_iter().fold(y0, |a, b| R::select(R::lt(b, a), b, a));
    let hi = hi.into_iter().fold(y0, |a, b| R::select(R::gt(b, a), b, a));
    let offset = lane_total(t) / sum;
    let mean = within(y_ref + offset, lo, hi);
    let m2 = if Q {
        let mut m = [zero; LANES];
        for_chunks!(y, w, |yc, wc| {
            for l in 0..LANES {
                // from the exact deviations y - y_ref, not from the rounded mean
                let d = (yc[l] - y_ref) - offset;
                m[l] = m[l] + wc[l] * d * d;
            }
        });
        lane_total(m)
    } else {
        zero
    };
    Part {
        s: sum,
        mean,
        y_ref,
        offset,
        m2,
        pairs,
        lo,
        hi,
    }
}

/// The moments of the union of the disjoint studies of `a` (earlier) and `b` (Chan, Golub &
/// LeVeque 1979; every added term positive). A part of zero total weight contributes its range
/// only.
#[inline(always)]
fn merge<const Q: bool, const PAIRS: bool>(a: Part, b: Part) -> Part {
    let lo = if b.lo < a.lo { b.lo } else { a.lo };
    let hi = if b.hi > a.hi { b.hi } else { a.hi };
    if b.s == 0.0 {
        return Part { lo, hi, ..a };
    }
    if a.s == 0.0 {
        return Part { lo, hi, ..b };
    }
    let s = a.s + b.s;
    let Merged { d, fb, mean, m2 } = merge_moments((a.s, a.mean, a.m2), (b.s, b.mean, b.m2), s);
    // the reference of the heavier part, and the offset of the merged mean from it
    let (y_ref, offset) = if b.s > a.s {
        (b.y_ref, b.offset - d * (a.s / s))
    } else {
        (a.y_ref, a.offset + d * fb)
    };
    Part {
        s,
        mean: within(mean, lo, hi),
        y_ref,
        offset,
        m2: if Q { m2 } else { 0.0 },
        pairs: if PAIRS {
            a.pairs + b.pairs + a.s * b.s
        } else {
            0.0
        },
        lo,
        hi,
    }
}

/// A column of per-study values for the blocked kernels: any index closure `Fn(usize) -> f64`,
/// or a contiguous [`Slice`], which loads a block with one copy instead of a call per study
/// (the same values, hence the same results bit for bit).
pub(crate) trait Column {
    /// Value of study `i`.
    fn at(&self, i: usize) -> f64;
    /// Values of studies `start..start + buf.len()`: copied into `buf`, or borrowed in place.
    #[inline(always)]
    fn block<'s>(&'s self, start: usize, buf: &'s mut [f64]) -> &'s [f64] {
        for (j, o) in buf.iter_mut().enumerate() {
            *o = self.at(start + j);
        }
        buf
    }
}

impl<F: Fn(usize) -> f64> Column for F {
    #[inline(always)]
    fn at(&self, i: usize) -> f64 {
        self(i)
    }
}

/// A contiguous column of per-study values (the batch path's structure of arrays).
#[derive(Clone, Copy)]
pub(crate) struct Slice<'a>(pub &'a [f64]);

impl Column for Slice<'_> {
    #[inline(always)]
    fn at(&self, i: usize) -> f64 {
        self.0[i]
    }
    #[inline(always)]
    fn block<'s>(&'s self, start: usize, buf: &'s mut [f64]) -> &'s [f64] {
        &self.0[start..start + buf.len()]
    }
}

/// Where the studies of the blocked kernels come from: effect `y(i)`, a second value `x(i)`
/// (the variance, or the weight itself), the weight `weight(x)`, and whether `(y, x)` is
/// validated as `(effect, variance)` ([`study_ok`]) before weighting (`CHECK`).
pub(super) struct Source<Y, X, W, const CHECK: bool> {
    pub(super) y: Y,
    pub(super) x: X,
    pub(super) weight: W,
}

/// The moments of `k >= 1` studies in blocks of `N` (see the module docs); on the first block
/// holding an invalid study (when checked) the result is `Err(start of that block)`.
///
/// Each block is copied into local arrays first (scalar loads through the index closures),
/// then validated and weighted there, where the loops are SIMD (one `divpd` per two studies).
#[inline(always)]
fn moments_in<const N: usize, const Q: bool, const PAIRS: bool, const CHECK: bool>(
    k: usize,
    src: &Source<impl Column, impl Column, impl Fn(f64) -> f64 + Copy, CHECK>,
) -> std::result::Result<Part, usize> {
    if k == 0 {
        // no studies: zero weight, no mean (every caller has k >= 1)
        return Ok(Part {
            s: 0.0,
            m2: 0.0,
            pairs: 0.0,
            ..Part::NAN
        });
    }
    let (mut yb, mut xb, mut wb) = ([0.0; N], [0.0; N], [0.0; N]);
    let mut block = |start: usize| -> std::result::Result<Part, usize> {
        let n = (k - start).min(N);
        let ys = src.y.block(start, &mut yb[..n]);
        let xs = &src.x.block(start, &mut xb[..n])[..n];
        let wn = &mut wb[..n];
        let ys = &ys[..n];
        if CHECK {
            let mut ok = true;
            for (&a, &b) in ys.iter().zip(xs) {
                ok &= study_ok(a, b);
            }
            if !ok {
                return Err(start);
            }
        }
        // a local copy of the weight function (and of what it captures, e.g. tau2), which the
        // compiler then keeps in registers
        let weight = src.weight;
        for (w, &b) in wn.iter_mut().zip(xs) {
            *w = weight(b);
        }
        Ok(block_part::<f64, Q, PAIRS>(ys, wn))
    };
    if k <= N {
        return block(0);
    }
    // a binary counter of merged parts: part j of the stack covers 2^levels[j] blocks
    let mut stack = [Part::NAN; 64];
    let mut levels = [0u32; 64];
    let mut len = 0;
    let mut start = 0;
    while start < k {
        let mut part = block(start)?;
        let mut level = 0;
        while len > 0 && levels[len - 1] == level {
            part = merge::<Q, PAIRS>(stack[len - 1], part);
            len -= 1;
            level += 1;
        }
        stack[len] = part;
        levels[len] = level;
        len += 1;
        start += N;
    }
    let mut part = stack[len - 1];
    for j in (0..len - 1).rev() {
        part = merge::<Q, PAIRS>(stack[j], part);
    }
    Ok(part)
}

/// [`moments_in`] with small local arrays when the studies fit in them (the same arithmetic).
#[inline(always)]
pub(super) fn moments<const Q: bool, const PAIRS: bool, const CHECK: bool>(
    k: usize,
    src: &Source<impl Column, impl Column, impl Fn(f64) -> f64 + Copy, CHECK>,
) -> std::result::Result<Part, usize> {
    if k <= SMALL {
        moments_in::<SMALL, Q, PAIRS, CHECK>(k, src)
    } else {
        moments_in::<BLOCK, Q, PAIRS, CHECK>(k, src)
    }
}

/// Weighted mean of `y` with weights `1 / (v_i + tau2)`: returns `(sum of weights, estimate)`,
/// by the blocked scheme of the module docs (the same arithmetic as the first pass of
/// [`weighted_sums`] with these weights, and, at `tau2 = 0`, as [`fixed_core`]'s `sum_w` and
/// `estimate`, bit for bit).
///
/// ```text
/// per block: mu_b = y_ref + sum w_i (y_i - y_ref) / sum w_i,  clamped to [min y, max y]
/// blocks merged: mu = mu_a + (mu_b - mu_a) S_b / (S_a + S_b)
/// ```
#[inline(always)]
pub(crate) fn weighted_core(
    k: usize,
    y: impl Fn(usize) -> f64,
    v: impl Fn(usize) -> f64,
    tau2: f64,
) -> (f64, f64) {
    weighted_core_of(k, y, v, tau2)
}

/// [`weighted_core`] over any [`Column`]s (e.g. [`Slice`]s).
#[inline(always)]
pub(crate) fn weighted_core_of(k: usize, y: impl Column, v: impl Column, tau2: f64) -> (f64, f64) {
    let src = Source::<_, _, _, false> {
        y,
        x: v,
        weight: move |v| 1.0 / (v + tau2),
    };
    match moments::<false, false, _>(k, &src) {
        Ok(p) => (p.s, p.mean),
        Err(_) => (f64::NAN, f64::NAN),
    }
}

/// Inverse-variance pooling and Cochran's Q in one pass over the studies (blocks of 256 in
/// cache, two passes over each block, blocks merged with positive terms only: see the module
/// docs), which avoids the cancellation of the one-pass `sum w y^2 - (sum w y)^2 / sum w`.
///
/// ```text
/// w_i = 1 / v_i;  mu = sum w_i y_i / sum w_i;  Q = sum w_i (y_i - mu)^2
/// share_complement = 1 - sum (w_i / sum w)^2 = 2 sum_{i<j} w_i w_j / (sum w)^2
///     (positive terms only; so that  sum w - sum w^2 / sum w = sum w * share_complement)
/// ```
/// Error bounds: module docs (relative `gamma_(m + t + 2)` for `sum w`, about `gamma_(m + 3t + 6)`
/// for Q, `gamma_(2m + 2t + 6)` for `share_complement`, absolute `gamma_(m + 3t + 4) (max y -
/// min y)` for the estimate).
#[inline(always)]
pub(crate) fn fixed_core(
    k: usize,
    y: impl Fn(usize) -> f64,
    v: impl Fn(usize) -> f64,
) -> Result<FixedCore> {
    fixed_core_of(k, y, v)
}

/// [`fixed_core`] over any [`Column`]s (e.g. [`Slice`]s).
#[inline(always)]
pub(crate) fn fixed_core_of(k: usize, y: impl Column, v: impl Column) -> Result<FixedCore> {
    if k == 0 {
        return Err(Error::Empty);
    }
    let src = Source::<_, _, _, true> {
        y,
        x: v,
        weight: move |v| 1.0 / v,
    };
    let part = match moments::<true, true, _>(k, &src) {
        Ok(p) => p,
        Err(start) => {
            // the first invalid study of that block, named by position
            for i in start..k {
                check_study(i, src.y.at(i), src.x.at(i))?;
            }
            Part::NAN
        }
    };
    FixedCore::from_part(k, &part)
}

impl FixedCore {
    /// A placeholder (no studies, NaN sums) for arrays filled lane by lane.
    pub(crate) const NAN: FixedCore = FixedCore {
        k: 0,
        sum_w: f64::NAN,
        share_complement: f64::NAN,
        estimate: f64::NAN,
        q: f64::NAN,
    };

    /// The fixed-effect summary of `k` studies from their moments (with `Q` and the pairs);
    /// [`Error::NonFinite`] when a sum overflowed or the mean is undefined.
    #[inline(always)]
    pub(crate) fn from_part(k: usize, part: &Part) -> Result<FixedCore> {
        let core = FixedCore {
            k,
            sum_w: part.s,
            share_complement: 2.0 * (part.pairs / part.s) / part.s,
            estimate: part.mean,
            q: part.m2,
        };
        if !(core.sum_w.is_finite() && core.estimate.is_finite() && core.q.is_finite()) {
            return Err(Error::NonFinite {
                what: "inverse-variance sums",
            });
        }
        Ok(core)
    }
}

pub(crate) use super::sums::{generalized_q, weighted_sums, WeightedSums};
