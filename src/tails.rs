//! Fast tail probabilities for the hot path: the two-sided standard normal p-value and the
//! chi-square upper tail for whole degrees of freedom, each at the cost of one `exp`.
//!
//! ```text
//! two-sided normal:  p(z) = erfc(|z| / sqrt 2) = exp(-z^2 / 2) h(|z|),
//!                    h(z) = exp(z^2 / 2) erfc(z / sqrt 2)   (smooth, h(0) = 1, h ~ sqrt(2/pi) / z)
//! chi-square, df = 2m:     Q = exp(-x/2) sum_{j=0}^{m-1} (x/2)^j / j!
//! chi-square, df = 2m + 1: Q = exp(-x/2) [ h(sqrt x) + sqrt(2x/pi) sum_{j=1}^{m} x^(j-1) / (2j-1)!! ]
//! ```
//! The closed forms for whole df are Abramowitz & Stegun 26.4.4 and 26.4.5 (with 26.2.29 for the
//! normal tail); every term is positive, so nothing cancels. `h` is tabulated as degree-12
//! polynomials on intervals of width 1/2 (`fixtures/tails/fit_normal_tail.py`, Chebyshev fits at
//! 50 digits), and `z^2` is formed exactly (Dekker's product) so that `exp(-z^2/2)` carries no
//! error from squaring.
//!
//! Accuracy against 50-digit mpmath values (`fixtures/tails/reference.json`, tested in
//! `tests/tails.rs`): see the constants in that test; in short about 1e-15 relative for the
//! normal tail while p is a normal (not subnormal) `f64`, and for the chi-square closed forms.

mod table;

use crate::pool::{LaneMask, Lanes, Real, WIDTH};
use table::{DEGREE, H, INTERVALS};

/// Largest whole df handled by the closed forms; larger df go to `statrs::function::gamma::gamma_ur`.
pub(crate) const MAX_CLOSED_DF: f64 = 100.0;

/// Beyond this `x / 2` the closed forms' `exp(-x/2)` nears underflow; `statrs` takes over.
const MAX_HALF_X: f64 = 700.0;

/// `sqrt(2 / pi)`.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;

/// `1 / j` for `j = 0..=100` (entry 0 unused), rounded to nearest: the series multiply by them
/// instead of dividing (one more rounding per term, well inside the tested 1e-14).
#[rustfmt::skip]
static RECIPROCALS: [f64; 101] = [
    0.0,
    1.0,
    0.5,
    0.3333333333333333,
    0.25,
    0.2,
    0.16666666666666666,
    0.14285714285714285,
    0.125,
    0.1111111111111111,
    0.1,
    0.09090909090909091,
    0.08333333333333333,
    0.07692307692307693,
    0.07142857142857142,
    0.06666666666666667,
    0.0625,
    0.058823529411764705,
    0.05555555555555555,
    0.05263157894736842,
    0.05,
    0.047619047619047616,
    0.045454545454545456,
    0.043478260869565216,
    0.041666666666666664,
    0.04,
    0.038461538461538464,
    0.037037037037037035,
    0.03571428571428571,
    0.034482758620689655,
    0.03333333333333333,
    0.03225806451612903,
    0.03125,
    0.030303030303030304,
    0.029411764705882353,
    0.02857142857142857,
    0.027777777777777776,
    0.02702702702702703,
    0.02631578947368421,
    0.02564102564102564,
    0.025,
    0.024390243902439025,
    0.023809523809523808,
    0.023255813953488372,
    0.022727272727272728,
    0.022222222222222223,
    0.021739130434782608,
    0.02127659574468085,
    0.020833333333333332,
    0.02040816326530612,
    0.02,
    0.0196078431372549,
    0.019230769230769232,
    0.018867924528301886,
    0.018518518518518517,
    0.01818181818181818,
    0.017857142857142856,
    0.017543859649122806,
    0.017241379310344827,
    0.01694915254237288,
    0.016666666666666666,
    0.01639344262295082,
    0.016129032258064516,
    0.015873015873015872,
    0.015625,
    0.015384615384615385,
    0.015151515151515152,
    0.014925373134328358,
    0.014705882352941176,
    0.014492753623188406,
    0.014285714285714285,
    0.014084507042253521,
    0.013888888888888888,
    0.0136986301369863,
    0.013513513513513514,
    0.013333333333333334,
    0.013157894736842105,
    0.012987012987012988,
    0.01282051282051282,
    0.012658227848101266,
    0.0125,
    0.012345679012345678,
    0.012195121951219513,
    0.012048192771084338,
    0.011904761904761904,
    0.011764705882352941,
    0.011627906976744186,
    0.011494252873563218,
    0.011363636363636364,
    0.011235955056179775,
    0.011111111111111112,
    0.01098901098901099,
    0.010869565217391304,
    0.010752688172043012,
    0.010638297872340425,
    0.010526315789473684,
    0.010416666666666666,
    0.010309278350515464,
    0.01020408163265306,
    0.010101010101010102,
    0.01,
];

/// Veltkamp's splitting constant `2^27 + 1`.
const SPLIT: f64 = 134_217_729.0;

/// `z^2` as an unevaluated sum `hi + lo`, exactly (Dekker 1971), for `|z| < 2^500`.
#[inline(always)]
fn exact_square<R: Real>(z: R) -> (R, R) {
    let c = R::splat(SPLIT) * z;
    let zh = c - (c - z);
    let zl = z - zh;
    let hi = z * z;
    let lo = ((zh * zh - hi) + R::splat(2.0) * zh * zl) + zl * zl;
    (hi, lo)
}

/// `h(z) = exp(z^2/2) erfc(z / sqrt 2)` for `0 <= z < INTERVALS / 2` (per lane: the Horner
/// steps of all lanes interleave).
#[inline(always)]
fn h<R: Real>(z: R) -> R {
    let i = R::to_index(R::splat(2.0) * z);
    let t = R::splat(4.0) * z - R::index_map(i, |i| (2 * i + 1) as f64);
    let coefficient = |c: usize| R::index_map(i, |i| H[i.min(INTERVALS - 1)][c]);
    let mut acc = coefficient(0);
    for c in 1..=DEGREE {
        acc = acc * t + coefficient(c);
    }
    acc
}

/// Two-sided p-value of a standard normal statistic, `erfc(|z| / sqrt 2)`. NaN for NaN; 0 once
/// the value underflows `f64` (`|z| > 38.6`). Of one statistic, or of one per lane (the same
/// operations on each, so the same bits).
#[inline(always)]
pub(crate) fn normal_two_sided<R: Real>(z: R) -> R {
    let z = R::abs(z);
    let inside = R::lt(z, R::splat((INTERVALS / 2) as f64));
    // the closed form on [0, 39); elsewhere it runs on 0 and is discarded
    let zi = R::select(inside, z, R::splat(0.0));
    let (hi, lo) = exact_square(zi);
    // exp(-(hi + lo)/2) = exp(-hi/2) (1 - lo/2) to within lo^2, |lo| <= ulp(hi) / 2.
    let p = R::min(
        R::exp(R::splat(-0.5) * hi) * (R::splat(1.0) - R::splat(0.5) * lo) * h(zi),
        R::splat(1.0),
    );
    // beyond: 0, or NaN for NaN (which fails `z == z`)
    R::select(inside, p, R::select(R::eq(z, z), R::splat(0.0), z))
}

/// Chi-square upper tail `P(X >= x)` on `df` degrees of freedom; closed forms for whole
/// `1 <= df <= 100` and `x <= 1400`, `statrs`' regularized incomplete gamma otherwise.
/// Returns 1 for `x <= 0`.
#[inline]
pub(crate) fn chi_square_upper(x: f64, df: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x == f64::INFINITY {
        return 0.0;
    }
    let half = 0.5 * x;
    if let (Some(n), true) = (closed_df(df), half <= MAX_HALF_X) {
        closed_form(x, n)
    } else if half <= 0.0 {
        // x is subnormal and x/2 underflowed: statrs' gamma_ur would panic at 0
        1.0
    } else {
        // gamma_ur unwraps and panics unless 0 < df/2 < inf; NaN instead (callers report it)
        statrs::function::gamma::checked_gamma_ur(df / 2.0, half).map_or(f64::NAN, |p| p.min(1.0))
    }
}

/// `df` as a whole number when the closed forms cover it (`1 <= df <= 100`).
#[inline(always)]
fn closed_df(df: f64) -> Option<usize> {
    ((1.0..=MAX_CLOSED_DF).contains(&df) && df == df.trunc()).then_some(df as usize)
}

/// The closed forms of the module docs for `0 < x <= 2 MAX_HALF_X` and whole `df = n` in
/// `1..=100`, of one value or of one per lane (the same operations on each, so the same bits).
#[inline(always)]
fn closed_form<R: Real>(x: R, n: usize) -> R {
    let half = R::splat(0.5) * x;
    let e = R::exp(R::splat(0.0) - half);
    let one = R::splat(1.0);
    if n % 2 == 0 {
        // exp(-x/2) sum_{j<m} (x/2)^j / j!
        let mut term = one;
        let mut sum = one;
        for &r in &RECIPROCALS[1..n / 2] {
            term = term * (half * R::splat(r));
            sum = sum + term;
        }
        // the closed forms can round a hair above 1 for tiny x; a probability is <= 1
        R::min(e * sum, one)
    } else {
        let s = R::sqrt(x);
        let mut bracket = h::<R>(R::min(s, R::splat((INTERVALS / 2) as f64 - 0.25)));
        if n > 1 {
            // sum_{j=1}^{m} x^(j-1) / (2j-1)!!
            let mut term = one;
            let mut sum = one;
            for j in 2..=n / 2 {
                term = term * (x * R::splat(RECIPROCALS[2 * j - 1]));
                sum = sum + term;
            }
            bracket = bracket + R::splat(SQRT_2_OVER_PI) * s * sum;
        }
        R::min(e * bracket, one)
    }
}

/// [`chi_square_upper`] of one statistic per lane, all on the same `df`: the closed forms run
/// in the lanes (the same operations as one at a time, so the same bits), and the lanes they
/// do not cover (`x` outside `(0, 1400]`, NaN) go through [`chi_square_upper`].
#[inline(always)]
pub(crate) fn chi_square_upper_lanes(x: Lanes, df: f64) -> Lanes {
    let Some(n) = closed_df(df) else {
        return x.map(|x| chi_square_upper(x, df));
    };
    // the scalar function's tests, lane by lane (`x > 0` is false for NaN; `x/2 <= 700` for inf)
    let mut inside = LaneMask([false; WIDTH]);
    for j in 0..WIDTH {
        inside.0[j] = x.0[j] > 0.0 && 0.5 * x.0[j] <= MAX_HALF_X;
    }
    // the closed form runs on 1 in the other lanes, whose values are then replaced
    let mut p = closed_form(Lanes::select(inside, x, Lanes::splat(1.0)), n);
    for j in 0..WIDTH {
        if !inside.0[j] {
            p.0[j] = chi_square_upper(x.0[j], df);
        }
    }
    p
}
