//! The numeric kernels every pooled number goes through, over any indexed source of studies,
//! so that the single-analysis API and the batch path share one implementation (and agree bit
//! for bit).
//!
//! # Summation scheme
//!
//! The studies are taken in blocks of [`BLOCK`] (256) consecutive studies: read in place from a
//! contiguous column ([`Slice`], the batch path) or copied into local arrays (index closures),
//! then validated, weighted into a local array (one division per study and pass) and searched
//! for its first heaviest study, in one pass (`block::weigh`). Inside a block
//! every sum is a plain sum in `LANES` (4) independent lanes (study `i` goes to lane
//! `i mod 4`; the last `k mod 4` studies are padded with zero-weight copies of the block's first
//! study, which add exact zeros), which the compiler turns into SIMD code; the lanes are then
//! combined pairwise.
//! A block's weighted mean, its sum of squared deviations around that mean and its sum of
//! pairwise weight products are then formed over the block in cache (`block::block_part`: one
//! pass for the sums, one more for Q; the weighting pass above is the only one over the
//! caller's data). Every pass runs in the copy compiled for the batch's SIMD level (functions
//! and macros marked `#[inline(always)]`, no closures, which would be compiled for the
//! baseline). Blocks are merged pairwise in a binary tree with
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

pub(crate) use super::block::Part;
use super::block::{block_part, weigh, within};
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
/// then validated and weighted there, where the loops are SIMD ([`block_moments`]).
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
    // a function, not a closure: a closure is compiled on its own, for the baseline, not
    // into the copy of each SIMD level
    if k <= N {
        return block_moments::<Q, PAIRS, CHECK>(0, k, src, &mut yb, &mut xb, &mut wb);
    }
    // a binary counter of merged parts: part j of the stack covers 2^levels[j] blocks
    let mut stack = [Part::NAN; 64];
    let mut levels = [0u32; 64];
    let mut len = 0;
    let mut start = 0;
    while start < k {
        let mut part = block_moments::<Q, PAIRS, CHECK>(start, k, src, &mut yb, &mut xb, &mut wb)?;
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

/// The moments of the block of studies `start..min(start + N, k)` (`N` the length of the local
/// arrays `yb`, `xb`, `wb`): copied into them (or read in place from a [`Slice`]), then
/// validated (when `CHECK`), weighted and searched for the heaviest study in one pass
/// ([`weigh`]), then summed ([`block_part`]); `Err(start)` when a study is invalid.
#[inline(always)]
fn block_moments<const Q: bool, const PAIRS: bool, const CHECK: bool>(
    start: usize,
    k: usize,
    src: &Source<impl Column, impl Column, impl Fn(f64) -> f64 + Copy, CHECK>,
    yb: &mut [f64],
    xb: &mut [f64],
    wb: &mut [f64],
) -> std::result::Result<Part, usize> {
    let n = (k - start).min(yb.len());
    let ys = &src.y.block(start, &mut yb[..n])[..n];
    let xs = &src.x.block(start, &mut xb[..n])[..n];
    let wn = &mut wb[..n];
    // a local copy of the weight function (and of what it captures, e.g. tau2), which the
    // compiler then keeps in registers
    let weight = src.weight;
    let (ok, heaviest) = weigh::<f64, CHECK>(ys, xs, wn, weight);
    if !ok {
        return Err(start);
    }
    Ok(block_part::<f64, Q, PAIRS>(ys, wn, heaviest))
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
