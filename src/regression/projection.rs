//! A model matrix with any number of columns as a tau² [`Design`]: the sums over
//! `P = W - W X (X'WX)^-1 X'W` every tau² estimator needs, from the thin QR decomposition of
//! `W^(1/2) X = Q R`.
//!
//! With `q_i` row `i` of `Q` and `a_i = w_i^(1/2) q_i`, `W X (X'WX)^-1 X' W = A A'`, so
//! `P_ij = w_i [i = j] - a_i'a_j` and the leverage is `h_i = |q_i|^2`. For diagonal `D`, `E`:
//! ```text
//! tr PD    = sum d w (1 - h)
//! tr PDPE  = sum d e w^2 (1 - 2h) + <M_d, M_e>,   M_d = sum_i d_i a_i a_i'  (p x p)
//! y'Py     = sum w r^2,  y'PPy = sum (w r)^2,      r = y - X b,  b = R^-1 Q' W^(1/2) y
//! ln det(X'WX) = 2 sum ln |R_jj|
//! ```
//! (`tr PP`: `d = e = 1`; `tr PPV`: `d = v, e = 1`; `tr PVPV`: `d = e = v`): `O(k p^2)` per
//! evaluation. Source: metafor 3.8 `rma.uni` (its estimators written with `P` for any `X`).

use super::linalg::ThinQr;
use super::matrix::ModelMatrix;
use crate::error::{Error, Result};
use crate::numeric::NeumaierSum;
use crate::pool::tau2::design::{log_variance_sum, range, Design, ProjectionSums};

/// The weighted least-squares solution at weights `w`: coefficients, `(X'WX)^-1`, residuals
/// and the QR factors.
#[derive(Debug, Clone)]
pub(crate) struct WeightedFit {
    pub beta: Vec<f64>,
    /// `(X'WX)^-1`, `p x p` column-major.
    pub xwx_inverse: Vec<f64>,
    /// `y'Py = sum w (y - X b)^2`.
    pub rss: f64,
    pub qr: ThinQr,
}

/// Solve the weighted least-squares problem of `y` on `X` with weights `w`.
pub(crate) fn weighted_fit(x: &ModelMatrix, y: &[f64], w: &[f64]) -> Result<WeightedFit> {
    let (k, p) = (x.k(), x.p());
    let sw: Vec<f64> = w.iter().map(|w| w.sqrt()).collect();
    let mut a = Vec::with_capacity(k * p);
    for j in 0..p {
        a.extend(x.column(j).iter().zip(&sw).map(|(x, s)| x * s));
    }
    let qr = ThinQr::new(k, p, &a).map_err(|_| Error::NonFinite {
        what: "the weighted model matrix (X'WX is singular at these weights)",
    })?;
    let wy: Vec<f64> = y.iter().zip(&sw).map(|(y, s)| y * s).collect();
    let mut beta = qr.qt_mul(&wy);
    qr.solve_r(&mut beta);
    let mut rss = NeumaierSum::default();
    for (i, (&yi, &wi)) in y.iter().zip(w).enumerate() {
        let r = yi - fitted_value(x, i, &beta);
        rss.add(wi * r * r);
    }
    let xwx_inverse = qr.gram_inverse();
    if beta.iter().chain(&xwx_inverse).any(|t| !t.is_finite()) {
        return Err(Error::NonFinite {
            what: "meta-regression coefficients",
        });
    }
    Ok(WeightedFit {
        beta,
        xwx_inverse,
        rss: rss.value(),
        qr,
    })
}

/// `x_i' b`.
pub(crate) fn fitted_value(x: &ModelMatrix, i: usize, beta: &[f64]) -> f64 {
    beta.iter().enumerate().map(|(j, b)| x.get(i, j) * b).sum()
}

/// The quadratic form `a' M a` of a `p x p` column-major matrix.
pub(crate) fn quadratic_form(m: &[f64], a: &[f64]) -> f64 {
    let p = a.len();
    let mut s = 0.0;
    for r in 0..p {
        for c in 0..p {
            s += a[r] * m[r + c * p] * a[c];
        }
    }
    s
}

/// The meta-regression of `y` on the columns of `X` with sampling variances `v`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Regression<'a> {
    pub y: &'a [f64],
    pub v: &'a [f64],
    pub x: &'a ModelMatrix,
}

impl Regression<'_> {
    #[allow(clippy::needless_range_loop)] // one pass over the studies reads y, v, w and Q by row
    fn sums(&self, w: &[f64]) -> ProjectionSums {
        let (k, p) = (self.x.k(), self.x.p());
        let fit = match weighted_fit(self.x, self.y, w) {
            Ok(f) => f,
            Err(_) => return nan_sums(),
        };
        let mut m1 = vec![0.0; p * p];
        let mut mv = vec![0.0; p * p];
        let mut q = vec![0.0; p];
        // [sum w, sum w^2, y'Py, y'PPy, tr P, tr PV, sum w^2(1-2h), sum v w^2(1-2h), sum v^2 w^2(1-2h)]
        let mut acc = [NeumaierSum::default(); 9];
        for i in 0..k {
            let (wi, vi) = (w[i], self.v[i]);
            fit.qr.q_row(i, &mut q);
            let h: f64 = q.iter().map(|t| t * t).sum();
            let r = self.y[i] - fitted_value(self.x, i, &fit.beta);
            let w2 = wi * wi;
            let g = w2 * (1.0 - 2.0 * h);
            for (a, t) in acc.iter_mut().zip([
                wi,
                w2,
                wi * r * r,
                w2 * r * r,
                wi * (1.0 - h),
                vi * wi * (1.0 - h),
                g,
                vi * g,
                vi * vi * g,
            ]) {
                a.add(t);
            }
            // M_d += d_i w_i q_i q_i' (upper triangle; M is symmetric)
            for c in 0..p {
                let wq = wi * q[c];
                for rr in 0..=c {
                    let t = wq * q[rr];
                    m1[rr + c * p] += t;
                    mv[rr + c * p] += vi * t;
                }
            }
        }
        let [sum_w, sum_w2, rss, rss2, tr_p, tr_pv, g1, gv, gvv] = acc.map(|a| a.value());
        // <A, B> over the full symmetric matrices from their upper triangles
        let dot = |a: &[f64], b: &[f64]| {
            let mut s = 0.0;
            for c in 0..p {
                for r in 0..c {
                    s += 2.0 * a[r + c * p] * b[r + c * p];
                }
                s += a[c + c * p] * b[c + c * p];
            }
            s
        };
        ProjectionSums {
            sum_w,
            sum_w2,
            rss,
            rss2,
            tr_p,
            tr_pp: g1 + dot(&m1, &m1),
            tr_pv,
            tr_pvpv: gvv + dot(&mv, &mv),
            tr_ppv: gv + dot(&mv, &m1),
            log_det_xwx: fit.qr.log_det_gram(),
        }
    }
}

fn nan_sums() -> ProjectionSums {
    ProjectionSums {
        sum_w: f64::NAN,
        sum_w2: f64::NAN,
        rss: f64::NAN,
        rss2: f64::NAN,
        tr_p: f64::NAN,
        tr_pp: f64::NAN,
        tr_pv: f64::NAN,
        tr_pvpv: f64::NAN,
        tr_ppv: f64::NAN,
        log_det_xwx: f64::NAN,
    }
}

impl Design for Regression<'_> {
    fn k(&self) -> usize {
        self.y.len()
    }
    fn p(&self) -> usize {
        self.x.p()
    }
    fn y(&self, i: usize) -> f64 {
        self.y[i]
    }
    fn at(&self, tau2: f64) -> ProjectionSums {
        let w: Vec<f64> = self.v.iter().map(|v| 1.0 / (v + tau2)).collect();
        self.sums(&w)
    }
    fn unweighted(&self) -> ProjectionSums {
        self.sums(&vec![1.0; self.y.len()])
    }
    fn residual_q(&self, tau2: f64) -> f64 {
        let w: Vec<f64> = self.v.iter().map(|v| 1.0 / (v + tau2)).collect();
        weighted_fit(self.x, self.y, &w).map_or(f64::NAN, |f| f.rss)
    }
    fn sum_log_variance(&self, tau2: f64) -> f64 {
        log_variance_sum(self.v.iter().copied(), tau2)
    }
    fn variance_range(&self) -> (f64, f64) {
        range(self.v.iter().copied())
    }
    /// `(QE, tr P)` at `w = 1/v`.
    fn fixed_q_and_tr_p(&self) -> Result<(f64, f64)> {
        let s = self.at(0.0);
        Ok((s.rss, s.tr_p))
    }
    fn total_sum_of_squares(&self) -> f64 {
        let k = self.y.len() as f64;
        let mean = self.y.iter().sum::<f64>() / k;
        self.y.iter().map(|y| (y - mean).powi(2)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::tau2::moderator::Moderator;

    /// The QR sums equal the closed-form sums of the one-moderator design.
    #[test]
    fn sums_equal_the_one_moderator_closed_forms() {
        let y = [0.3, -0.1, 0.8, 0.25, 0.5, -0.4];
        let v = [0.04, 0.09, 0.2, 0.01, 0.15, 0.3];
        let x: Vec<f64> = v.iter().map(|v: &f64| v.sqrt()).collect();
        let closed = Moderator::new(&y, &v, &x).unwrap();
        let m = ModelMatrix::new(
            vec!["intrcpt".into(), "x".into()],
            vec![vec![1.0; 6], x.clone()],
        )
        .unwrap();
        let qr = Regression {
            y: &y,
            v: &v,
            x: &m,
        };
        for tau2 in [0.0, 0.07, 3.0] {
            let (a, b) = (closed.at(tau2), qr.at(tau2));
            for (s, t) in [
                (a.sum_w, b.sum_w),
                (a.sum_w2, b.sum_w2),
                (a.rss, b.rss),
                (a.rss2, b.rss2),
                (a.tr_p, b.tr_p),
                (a.tr_pp, b.tr_pp),
                (a.tr_pv, b.tr_pv),
                (a.tr_pvpv, b.tr_pvpv),
                (a.tr_ppv, b.tr_ppv),
                (a.log_det_xwx, b.log_det_xwx),
            ] {
                assert!((s - t).abs() <= 1e-12 * s.abs().max(1.0), "{s} {t}");
            }
        }
    }
}
