//! The meta-regression on one continuous moderator, `y_i = b0 + b1 x_i + u_i + e_i`
//! (`X = [1, x]`, `p = 2`), as a [`Design`]: metafor 3.8 `rma.uni(yi, vi, mods = ~ x, method)`.
//!
//! `X'WX` is 2x2 and, with the weighted means `xbar = sum w x / sum w`, `ybar = sum w y / sum w`
//! and `dx_i = x_i - xbar`, its inverse is closed-form in centred coordinates:
//! ```text
//! Sxx = sum w dx^2,   det(X'WX) = sum w * Sxx
//! [X (X'WX)^-1 X']_ij = c_ij = 1/sum w + dx_i dx_j / Sxx
//! P_ij = w_i [i = j] - w_i w_j c_ij,   leverage h_i = w_i c_ii
//! b1 = sum w dx (y - ybar) / Sxx,   residual r_i = y_i - ybar - b1 dx_i,   (Py)_i = w_i r_i
//! ```
//! Every trace and quadratic form the estimators need is then a weighted sum over the studies
//! (`D = diag(d)`, `E = diag(e)`, `M_m(d) = sum d w^2 dx^m`):
//! ```text
//! y'Py  = sum w r^2                 y'PPy = sum (w r)^2
//! tr PD = sum d w (1 - h)
//! tr PDPE = sum_ij d_i e_j P_ij^2
//!         = sum d e w^2 (1 - 2h) + M_0(d) M_0(e) / (sum w)^2
//!           + 2 M_1(d) M_1(e) / (sum w Sxx) + M_2(d) M_2(e) / Sxx^2
//! ```
//! (`tr PP`: `d = e = 1`; `tr PPV`: `d = v, e = 1`; `tr PVPV`: `d = e = v`): no matrix
//! algebra and no allocation, three passes over the studies. Source: metafor 3.8 `rma.uni`
//! (its estimators written with `P` for any `X`; Viechtbauer 2005, 2010; Raudenbush 2009).

use super::design::{log_variance_sum, range, Design, ProjectionSums};
use crate::error::{Error, Result};
use crate::numeric::NeumaierSum;
use crate::pool::core::weighted_sums;

/// The weighted least-squares line of `y` on `[1, x]` in centred form (stable when `x` is far
/// from 0):
/// ```text
/// xbar = sum w x / sum w,  ybar = sum w y / sum w   (accumulated relative to x_0, y_0)
/// Sxx = sum w (x - xbar)^2,  Sxy = sum w (x - xbar)(y - ybar),  b1 = Sxy / Sxx
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Line {
    /// `sum w`
    pub sum_w: f64,
    /// `sum w x / sum w`
    pub xbar: f64,
    /// `sum w y / sum w`
    pub ybar: f64,
    /// `sum w (x - xbar)^2`
    pub sxx: f64,
    /// `sum w (x - xbar)(y - ybar)`
    pub sxy: f64,
    /// `sum w x^2` (the scale of `Sxx`, for the collinearity check)
    pub swxx: f64,
}

impl Line {
    /// The slope `b1 = Sxy / Sxx`.
    pub fn slope(&self) -> f64 {
        self.sxy / self.sxx
    }
    /// Whether the moderator varies at these weights: `Sxx > 1e-14 sum w x^2` (otherwise it is
    /// collinear with the intercept in floating point).
    pub fn identifiable(&self) -> bool {
        self.sxx > 1e-14 * self.swxx
    }
}

/// [`Line`] over `k` studies given by index closures (`k >= 1`).
pub(crate) fn line(
    k: usize,
    y: impl Fn(usize) -> f64,
    x: impl Fn(usize) -> f64,
    w: impl Fn(usize) -> f64,
) -> Line {
    let (x0, y0) = (x(0), y(0));
    let (mut sw, mut swx, mut swy) = (
        NeumaierSum::default(),
        NeumaierSum::default(),
        NeumaierSum::default(),
    );
    for i in 0..k {
        let wi = w(i);
        sw.add(wi);
        swx.add(wi * (x(i) - x0));
        swy.add(wi * (y(i) - y0));
    }
    let sum_w = sw.value();
    let xbar = x0 + swx.value() / sum_w;
    let ybar = y0 + swy.value() / sum_w;
    let (mut sxx, mut sxy, mut swxx) = (
        NeumaierSum::default(),
        NeumaierSum::default(),
        NeumaierSum::default(),
    );
    for i in 0..k {
        let (wi, xi) = (w(i), x(i));
        let dx = xi - xbar;
        sxx.add(wi * dx * dx);
        sxy.add(wi * dx * (y(i) - ybar));
        swxx.add(wi * xi * xi);
    }
    Line {
        sum_w,
        xbar,
        ybar,
        sxx: sxx.value(),
        sxy: sxy.value(),
        swxx: swxx.value(),
    }
}

/// The error of a moderator collinear with the intercept.
pub(crate) fn constant_moderator() -> Error {
    Error::Undefined {
        what: "meta-regression of the regression test",
        why: "the moderator is constant (all standard errors equal), so it is collinear with the intercept",
    }
}

/// The meta-regression of `y` on `[1, x]` with sampling variances `v`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Moderator<'a> {
    y: &'a [f64],
    v: &'a [f64],
    x: &'a [f64],
}

impl<'a> Moderator<'a> {
    /// `y`, `v` and `x` have one entry per study. Errors with fewer than 3 studies (no residual
    /// degrees of freedom), or when `x` does not vary (checked at the fixed-effect weights
    /// `1/v`, as metafor checks the design first).
    pub(crate) fn new(y: &'a [f64], v: &'a [f64], x: &'a [f64]) -> Result<Self> {
        debug_assert!(y.len() == v.len() && y.len() == x.len());
        if y.len() < 3 {
            return Err(Error::TooFewStudies {
                method: "meta-regression tau2",
                needed: 3,
                got: y.len(),
            });
        }
        let d = Moderator { y, v, x };
        if !line(d.y.len(), |i| y[i], |i| x[i], |i| 1.0 / v[i]).identifiable() {
            return Err(constant_moderator());
        }
        Ok(d)
    }

    /// The sums over `P` at weights `w`.
    fn sums(&self, w: impl Fn(usize) -> f64 + Copy) -> ProjectionSums {
        let (y, v, x) = (self.y, self.v, self.x);
        let k = y.len();
        let l = line(k, |i| y[i], |i| x[i], w);
        let (s, sxx, b1) = (l.sum_w, l.sxx, l.slope());
        // [sum w^2, y'Py, y'PPy, tr P, tr PV,
        //  sum w^2 (1-2h), sum v w^2 (1-2h), sum v^2 w^2 (1-2h),
        //  M_1(1), M_2(1), M_0(v), M_1(v), M_2(v)]
        let mut acc = [NeumaierSum::default(); 13];
        for i in 0..k {
            let (wi, vi) = (w(i), v[i]);
            let dx = x[i] - l.xbar;
            let r = y[i] - l.ybar - b1 * dx;
            let h = wi * (1.0 / s + dx * dx / sxx);
            let w2 = wi * wi;
            let g = w2 * (1.0 - 2.0 * h);
            for (a, t) in acc.iter_mut().zip([
                w2,
                wi * r * r,
                w2 * r * r,
                wi * (1.0 - h),
                vi * wi * (1.0 - h),
                g,
                vi * g,
                vi * vi * g,
                w2 * dx,
                w2 * dx * dx,
                vi * w2,
                vi * w2 * dx,
                vi * w2 * dx * dx,
            ]) {
                a.add(t);
            }
        }
        let [sum_w2, rss, rss2, tr_p, tr_pv, g11, gv1, gvv, a1, a2, b0, b1m, b2] =
            acc.map(|a| a.value());
        let a0 = sum_w2;
        // sum_ij d_i e_j w_i^2 w_j^2 c_ij^2 from the moments M_m(d), M_m(e)
        let cross = |d: [f64; 3], e: [f64; 3]| {
            d[0] * e[0] / (s * s) + 2.0 * d[1] * e[1] / (s * sxx) + d[2] * e[2] / (sxx * sxx)
        };
        let (m1, mv) = ([a0, a1, a2], [b0, b1m, b2]);
        ProjectionSums {
            sum_w: s,
            sum_w2,
            rss,
            rss2,
            tr_p,
            tr_pp: g11 + cross(m1, m1),
            tr_pv,
            tr_pvpv: gvv + cross(mv, mv),
            tr_ppv: gv1 + cross(mv, m1),
            log_det_xwx: (s * sxx).ln(),
        }
    }
}

impl Design for Moderator<'_> {
    fn k(&self) -> usize {
        self.y.len()
    }
    fn p(&self) -> usize {
        2
    }
    fn y(&self, i: usize) -> f64 {
        self.y[i]
    }
    fn at(&self, tau2: f64) -> ProjectionSums {
        let v = self.v;
        self.sums(|i| 1.0 / (v[i] + tau2))
    }
    fn unweighted(&self) -> ProjectionSums {
        self.sums(|_| 1.0)
    }
    fn sum_log_variance(&self, tau2: f64) -> f64 {
        log_variance_sum(self.v.iter().copied(), tau2)
    }
    fn variance_range(&self) -> (f64, f64) {
        range(self.v.iter().copied())
    }
    /// `(QE, tr P)` at `w = 1/v`: the residual Q of the regression and `sum w (1 - h)`.
    fn fixed_q_and_tr_p(&self) -> Result<(f64, f64)> {
        let s = self.at(0.0);
        Ok((s.rss, s.tr_p))
    }
    fn total_sum_of_squares(&self) -> f64 {
        let y = self.y;
        weighted_sums(y.len(), |i| y[i], |_| 1.0, |_| 1.0).rss
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The closed-form sums against `P = W - W X (X'WX)^-1 X'W` formed entry by entry.
    #[test]
    fn sums_equal_the_explicit_projection() {
        let y = [0.3, -0.1, 0.8, 0.25, 0.5, -0.4];
        let v = [0.04, 0.09, 0.2, 0.01, 0.15, 0.3];
        let x: Vec<f64> = v.iter().map(|v: &f64| v.sqrt()).collect();
        let d = Moderator::new(&y, &v, &x).unwrap();
        let tau2 = 0.07;
        let k = y.len();
        let w: Vec<f64> = v.iter().map(|v| 1.0 / (v + tau2)).collect();
        // X'WX and its inverse
        let (s0, s1, s2) = (
            w.iter().sum::<f64>(),
            (0..k).map(|i| w[i] * x[i]).sum::<f64>(),
            (0..k).map(|i| w[i] * x[i] * x[i]).sum::<f64>(),
        );
        let det = s0 * s2 - s1 * s1;
        let inv = [[s2 / det, -s1 / det], [-s1 / det, s0 / det]];
        let p = |i: usize, j: usize| {
            let xi = [1.0, x[i]];
            let xj = [1.0, x[j]];
            let mut c = 0.0;
            for a in 0..2 {
                for b in 0..2 {
                    c += xi[a] * inv[a][b] * xj[b];
                }
            }
            (if i == j { w[i] } else { 0.0 }) - w[i] * w[j] * c
        };
        let py: Vec<f64> = (0..k)
            .map(|i| (0..k).map(|j| p(i, j) * y[j]).sum())
            .collect();
        let tr = |d: &dyn Fn(usize) -> f64, e: &dyn Fn(usize) -> f64| -> f64 {
            let mut t = 0.0;
            for i in 0..k {
                for j in 0..k {
                    t += d(i) * p(i, j) * e(j) * p(j, i);
                }
            }
            t
        };
        let one = |_| 1.0;
        let var = |i: usize| v[i];
        let s = d.at(tau2);
        let want = [
            (s.sum_w, s0),
            (s.sum_w2, w.iter().map(|w| w * w).sum()),
            (s.rss, (0..k).map(|i| y[i] * py[i]).sum()),
            (s.rss2, py.iter().map(|q| q * q).sum()),
            (s.tr_p, (0..k).map(|i| p(i, i)).sum()),
            (s.tr_pv, (0..k).map(|i| p(i, i) * v[i]).sum()),
            (s.tr_pp, tr(&one, &one)),
            (s.tr_ppv, tr(&var, &one)),
            (s.tr_pvpv, tr(&var, &var)),
            (s.log_det_xwx, det.ln()),
        ];
        for (n, (got, want)) in want.into_iter().enumerate() {
            assert!(
                ((got - want) / want).abs() < 1e-12,
                "sum {n}: {got:e} vs {want:e}"
            );
        }
    }

    #[test]
    fn constant_moderator_is_a_typed_error() {
        let y = [0.1, 0.2, 0.3];
        let v = [0.04; 3];
        let x = [0.2; 3];
        assert!(matches!(
            Moderator::new(&y, &v, &x),
            Err(Error::Undefined { .. })
        ));
        assert!(matches!(
            Moderator::new(&y[..2], &v[..2], &[0.1, 0.2]),
            Err(Error::TooFewStudies { .. })
        ));
    }
}
