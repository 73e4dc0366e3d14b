//! The arithmetic of the blocked kernels (`core.rs`) over one analysis (`f64`) or over
//! several analyses at once, one per SIMD lane ([`Lanes`]): the same operations in the same
//! order on every lane, so that an analysis computed in lane `j` of a group has the very bits
//! it has alone.
//!
//! Only the operations IEEE 754 rounds exactly as specified are used (`+ - * /`, comparisons,
//! selects); Rust never contracts `a * b + c` into a fused multiply-add, so the same code gives
//! the same bits whatever instruction set it is compiled for (see `batch::simd`).

// lane loops index several arrays by lane at once, on purpose
#![allow(clippy::needless_range_loop)]

use std::ops::{Add, BitAnd, BitOr, Div, Mul, Sub};

/// A real number, or [`WIDTH`] of them in lanes, for the blocked kernels.
pub(crate) trait Real:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self>
{
    /// A comparison's outcome (per lane).
    type Mask: Copy + BitAnd<Output = Self::Mask> + BitOr<Output = Self::Mask>;
    /// `x` in every lane.
    fn splat(x: f64) -> Self;
    /// `a < b` (false for NaN).
    fn lt(a: Self, b: Self) -> Self::Mask;
    /// `a > b` (false for NaN).
    fn gt(a: Self, b: Self) -> Self::Mask;
    /// `a == b` (false for NaN).
    fn eq(a: Self, b: Self) -> Self::Mask;
    /// `if m { x } else { y }`.
    fn select(m: Self::Mask, x: Self, y: Self) -> Self;
    /// `ys[at]` (per lane; `at` holds whole numbers below `ys.len()`), `fallback` otherwise.
    fn pick(ys: &[Self], at: Self, fallback: Self) -> Self;
    /// A whole number per lane.
    type Index: Copy;
    /// `x as usize` (per lane; saturating, 0 for NaN).
    fn to_index(x: Self) -> Self::Index;
    /// `f(i)` per lane.
    fn index_map(i: Self::Index, f: impl Fn(usize) -> f64) -> Self;
    /// `|x|`.
    fn abs(x: Self) -> Self;
    /// `f64::exp` (per lane).
    fn exp(x: Self) -> Self;
    /// `f64::sqrt` (per lane).
    fn sqrt(x: Self) -> Self;
    /// `f64::min` (per lane).
    fn min(x: Self, y: Self) -> Self;
    /// `y` finite, `v` finite and positive (in every lane): `study_ok`.
    fn study_ok(y: Self, v: Self) -> bool;
}

impl Real for f64 {
    type Mask = bool;
    #[inline(always)]
    fn splat(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn lt(a: Self, b: Self) -> bool {
        a < b
    }
    #[inline(always)]
    fn gt(a: Self, b: Self) -> bool {
        a > b
    }
    #[inline(always)]
    #[allow(clippy::float_cmp)]
    fn eq(a: Self, b: Self) -> bool {
        a == b
    }
    #[inline(always)]
    fn select(m: bool, x: Self, y: Self) -> Self {
        if m {
            x
        } else {
            y
        }
    }
    #[inline(always)]
    fn pick(ys: &[Self], at: Self, fallback: Self) -> Self {
        ys.get(at as usize).copied().unwrap_or(fallback)
    }
    type Index = usize;
    #[inline(always)]
    fn to_index(x: Self) -> usize {
        x as usize
    }
    #[inline(always)]
    fn index_map(i: usize, f: impl Fn(usize) -> f64) -> Self {
        f(i)
    }
    #[inline(always)]
    fn abs(x: Self) -> Self {
        x.abs()
    }
    #[inline(always)]
    fn exp(x: Self) -> Self {
        x.exp()
    }
    #[inline(always)]
    fn sqrt(x: Self) -> Self {
        x.sqrt()
    }
    #[inline(always)]
    fn min(x: Self, y: Self) -> Self {
        x.min(y)
    }
    #[inline(always)]
    fn study_ok(y: Self, v: Self) -> bool {
        super::core::study_ok(y, v)
    }
}

/// Analyses per group of the lane kernels: 8 `f64`, one AVX-512 register, two AVX2 ones, four
/// SSE2 ones.
pub(crate) const WIDTH: usize = 8;

/// [`WIDTH`] values, one per analysis of a group; every operation acts lane by lane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Lanes(pub [f64; WIDTH]);

/// One comparison outcome per lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LaneMask(pub [bool; WIDTH]);

impl Lanes {
    /// `f` of every lane.
    #[inline(always)]
    pub(crate) fn map(self, f: impl Fn(f64) -> f64) -> Lanes {
        let mut r = self;
        for j in 0..WIDTH {
            r.0[j] = f(self.0[j]);
        }
        r
    }
    /// `f` of every pair of lanes.
    #[inline(always)]
    pub(crate) fn zip(self, o: Lanes, f: impl Fn(f64, f64) -> f64) -> Lanes {
        let mut r = [0.0; WIDTH];
        for j in 0..WIDTH {
            r[j] = f(self.0[j], o.0[j]);
        }
        Lanes(r)
    }
    #[inline(always)]
    fn test(self, o: Lanes, f: impl Fn(f64, f64) -> bool) -> LaneMask {
        let mut r = [false; WIDTH];
        for j in 0..WIDTH {
            r[j] = f(self.0[j], o.0[j]);
        }
        LaneMask(r)
    }
}

macro_rules! lane_op {
    ($tr:ident, $f:ident, $op:tt, $t:ty) => {
        impl $tr for $t {
            type Output = $t;
            #[inline(always)]
            fn $f(self, o: $t) -> $t {
                let mut r = self;
                for j in 0..WIDTH {
                    r.0[j] = self.0[j] $op o.0[j];
                }
                r
            }
        }
    };
}
lane_op!(Add, add, +, Lanes);
lane_op!(Sub, sub, -, Lanes);
lane_op!(Mul, mul, *, Lanes);
lane_op!(Div, div, /, Lanes);
lane_op!(BitAnd, bitand, &, LaneMask);
lane_op!(BitOr, bitor, |, LaneMask);

impl Real for Lanes {
    type Mask = LaneMask;
    #[inline(always)]
    fn splat(x: f64) -> Self {
        Lanes([x; WIDTH])
    }
    #[inline(always)]
    fn lt(a: Self, b: Self) -> LaneMask {
        a.test(b, |x, y| x < y)
    }
    #[inline(always)]
    fn gt(a: Self, b: Self) -> LaneMask {
        a.test(b, |x, y| x > y)
    }
    #[inline(always)]
    #[allow(clippy::float_cmp)]
    fn eq(a: Self, b: Self) -> LaneMask {
        a.test(b, |x, y| x == y)
    }
    #[inline(always)]
    fn select(m: LaneMask, x: Self, y: Self) -> Self {
        let mut r = y;
        for j in 0..WIDTH {
            r.0[j] = if m.0[j] { x.0[j] } else { y.0[j] };
        }
        r
    }
    #[inline(always)]
    fn pick(ys: &[Self], at: Self, fallback: Self) -> Self {
        let mut r = fallback;
        for j in 0..WIDTH {
            r.0[j] = ys.get(at.0[j] as usize).map_or(fallback.0[j], |y| y.0[j]);
        }
        r
    }
    type Index = [usize; WIDTH];
    #[inline(always)]
    fn to_index(x: Self) -> [usize; WIDTH] {
        let mut r = [0; WIDTH];
        for j in 0..WIDTH {
            r[j] = x.0[j] as usize;
        }
        r
    }
    #[inline(always)]
    fn index_map(i: [usize; WIDTH], f: impl Fn(usize) -> f64) -> Self {
        let mut r = [0.0; WIDTH];
        for j in 0..WIDTH {
            r[j] = f(i[j]);
        }
        Lanes(r)
    }
    #[inline(always)]
    fn abs(x: Self) -> Self {
        x.map(f64::abs)
    }
    #[inline(always)]
    fn exp(x: Self) -> Self {
        x.map(f64::exp)
    }
    #[inline(always)]
    fn sqrt(x: Self) -> Self {
        x.map(f64::sqrt)
    }
    #[inline(always)]
    fn min(x: Self, y: Self) -> Self {
        x.zip(y, f64::min)
    }
    #[inline(always)]
    fn study_ok(y: Self, v: Self) -> bool {
        let mut ok = true;
        for j in 0..WIDTH {
            ok &= super::core::study_ok(y.0[j], v.0[j]);
        }
        ok
    }
}

impl super::block::Part<Lanes> {
    /// The moments of the analysis in lane `j`.
    #[inline(always)]
    pub(crate) fn lane(&self, j: usize) -> super::block::Part {
        super::block::Part {
            s: self.s.0[j],
            mean: self.mean.0[j],
            y_ref: self.y_ref.0[j],
            offset: self.offset.0[j],
            m2: self.m2.0[j],
            pairs: self.pairs.0[j],
            lo: self.lo.0[j],
            hi: self.hi.0[j],
        }
    }
}
