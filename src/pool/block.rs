//! The moments of one block of studies (the inner kernel of `core.rs`, whose module docs give
//! the summation scheme and its error bounds), over one analysis (`f64`) or over one analysis
//! per SIMD lane ([`Lanes`](super::Lanes)): [`weigh`] (weights, validation and the heaviest
//! study, one pass) and [`block_part`] (the sums, one pass, and Q, one more).

// lane loops index several arrays by lane at once, on purpose
#![allow(clippy::needless_range_loop)]

use super::lanes::Real;

/// Number of independent lanes of the plain partial sums inside a block.
pub(super) const LANES: usize = 4;

/// A weighted mean lies in `[min y, max y]`; the rounding of `y_i - y_ref` (a few ulps of the
/// range of y) can carry the computed value just outside. Clamp it back: this only ever moves
/// it toward the exact value. A NaN passes through unchanged (and is reported by the caller).
#[inline(always)]
pub(super) fn within<R: Real>(mean: R, lo: R, hi: R) -> R {
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
    pub(crate) const NAN: Part = Part {
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

/// Weigh a block of `n >= 1` studies and find its first heaviest study, in one pass:
/// `w[i] = weight(x[i])`; returns whether every `(y[i], x[i])` is a valid (effect, variance)
/// pair (when `CHECK`; see `study_ok`) and the position of the first study of largest weight
/// (as `f64`, per lane of analyses), for [`block_part`].
///
/// The maximum is kept per lane ([`LANES`], study `i` in lane `i mod LANES`, the last chunk
/// padded with zero weights, which never beat a study's positive weight), then the lanes are
/// compared (larger weight, smaller position on ties). Selections only: no rounding.
#[inline(always)]
pub(crate) fn weigh<R: Real, const CHECK: bool>(
    y: &[R],
    x: &[R],
    w: &mut [R],
    weight: impl Fn(R) -> R,
) -> (bool, R) {
    let n = y.len();
    let (x, w) = (&x[..n], &mut w[..n]);
    let zero = R::splat(0.0);
    let mut ok = true;
    let (mut w_max, mut at) = ([R::splat(f64::NEG_INFINITY); LANES], [zero; LANES]);
    let mut base = 0.0;
    let full = n / LANES * LANES;
    for ((yc, xc), wc) in y[..full]
        .chunks_exact(LANES)
        .zip(x[..full].chunks_exact(LANES))
        .zip(w[..full].chunks_exact_mut(LANES))
    {
        let mut c = [zero; LANES];
        for l in 0..LANES {
            if CHECK {
                ok &= R::study_ok(yc[l], xc[l]);
            }
            c[l] = weight(xc[l]);
            wc[l] = c[l];
        }
        heavier(&c, base, &mut w_max, &mut at);
        base += LANES as f64;
    }
    if full < n {
        let mut c = [zero; LANES];
        for j in 0..n - full {
            if CHECK {
                ok &= R::study_ok(y[full + j], x[full + j]);
            }
            c[j] = weight(x[full + j]);
            w[full + j] = c[j];
        }
        heavier(&c, base, &mut w_max, &mut at);
    }
    // the largest of the lane maxima, the smallest position on ties: the first heaviest study
    let mut top = (w_max[0], at[0]);
    for l in 1..LANES {
        let better = R::gt(w_max[l], top.0) | (R::eq(w_max[l], top.0) & R::lt(at[l], top.1));
        top = (
            R::select(better, w_max[l], top.0),
            R::select(better, at[l], top.1),
        );
    }
    (ok, top.1)
}

/// Each lane's first maximum weight and its position (as f64: one SIMD select for both), on
/// one more chunk of weights (`wc`, studies `base..base + LANES`).
#[inline(always)]
fn heavier<R: Real>(wc: &[R; LANES], base: f64, w_max: &mut [R; LANES], at: &mut [R; LANES]) {
    for l in 0..LANES {
        let more = R::gt(wc[l], w_max[l]);
        w_max[l] = R::select(more, wc[l], w_max[l]);
        at[l] = R::select(more, R::splat(base + l as f64), at[l]);
    }
}

/// The moments of one block of `n >= 1` studies (effects `y`, weights `w`): plain sums in
/// [`LANES`] lanes, study `i` in lane `i mod LANES`. Over one analysis (`R = f64`) or over
/// one analysis per SIMD lane (`R = Lanes`, `ys[i]` holding study `i` of each), with the same
/// operations in the same order on every lane. `heaviest` is the position of the block's
/// first heaviest study, from [`weigh`].
#[inline(always)]
pub(crate) fn block_part<R: Real, const Q: bool, const PAIRS: bool>(
    y: &[R],
    w: &[R],
    heaviest: R,
) -> Part<R> {
    let w = &w[..y.len()];
    let zero = R::splat(0.0);
    // deviations are taken from the heaviest study's effect (the first, on ties): its own
    // deviation, squared with the largest weight, is then exact, and so are all deviations of
    // nearly identical studies
    let y_ref = R::pick(y, heaviest, y[0]);
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
    let (mut lo_all, mut hi_all) = (y0, y0);
    for l in 0..LANES {
        lo_all = R::select(R::lt(lo[l], lo_all), lo[l], lo_all);
        hi_all = R::select(R::gt(hi[l], hi_all), hi[l], hi_all);
    }
    let (lo, hi) = (lo_all, hi_all);
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
