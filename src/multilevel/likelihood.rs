//! The (restricted) log-likelihood of a multilevel or multivariate model with the fixed
//! effects profiled out (GLS), its score and expected (Fisher) information in the variance
//! parameters, computed cluster by cluster: the marginal covariance `M = V + Z G Z'` is block
//! diagonal by cluster, so every `k x k` quantity is a sum over small dense blocks.
//!
//! ```text
//! M_j = V_j + K_j(theta),   W_j = M_j^-1,   A = (sum X_j' W_j X_j)^-1,   b = A sum X_j' W_j y_j
//! r = y - X b,   RSS = sum r_j' W_j r_j,   P y = W r
//! ll_ML   = -k/2 ln 2pi - 1/2 ln|M| - 1/2 RSS
//! ll_REML = -(k-p)/2 ln 2pi + 1/2 ln|X'X| - 1/2 ln|M| - 1/2 ln|X'WX| - 1/2 RSS
//! D_q = dM/dtheta_q;  F_q = X'W D_q W X;  G_qr = X'W D_q W D_r W X
//! score_ML_q   = -1/2 tr(W D_q) + 1/2 (Wr)' D_q (Wr)
//! score_REML_q = -1/2 [tr(W D_q) - tr(A F_q)] + 1/2 (Wr)' D_q (Wr)
//! info_ML_qr   = 1/2 tr(W D_q W D_r)
//! info_REML_qr = 1/2 [tr(W D_q W D_r) - 2 tr(A G_qr) + tr(A F_q A F_r)]   (= 1/2 tr(P D_q P D_r))
//! Q_qr = (Wr)' D_q P D_r (Wr) = sum_j z_qj' W_j z_rj - c_q' A c_r,  z_q = D_q W r,  c_q = X'W z_q
//! observed information (M linear in theta) = Q - info   (ML or REML)
//! ```
//! Source: metafor's `.ll.rma.mv` (the log-likelihoods, metafor 3.8); Harville (1977), JASA
//! 72:320-338 (score and information of the (restricted) likelihood).

use super::covariance::SamplingCovariance;
use super::random::{Kind, RandomEffects};
use crate::regression::ModelMatrix;
use nalgebra::{DMatrix, DVector};

/// Which likelihood the variance components maximise (metafor's `method`).
///
/// ```
/// use metapool::multilevel::Method;
/// assert_eq!("ml".parse::<Method>()?, Method::MaximumLikelihood);
/// assert_eq!(Method::default().metafor_name(), "REML");
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Method {
    /// Restricted maximum likelihood (`REML`, metafor's default).
    #[default]
    RestrictedMaximumLikelihood,
    /// Maximum likelihood (`ML`).
    MaximumLikelihood,
}

impl Method {
    /// `REML` or `ML`.
    pub fn metafor_name(self) -> &'static str {
        match self {
            Method::RestrictedMaximumLikelihood => "REML",
            Method::MaximumLikelihood => "ML",
        }
    }
}

impl std::str::FromStr for Method {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s.to_ascii_uppercase().as_str() {
            "REML" => Ok(Method::RestrictedMaximumLikelihood),
            "ML" => Ok(Method::MaximumLikelihood),
            _ => Err(crate::Error::Unparsable {
                what: "a multilevel estimation method (REML, ML)",
                text: s.to_string(),
            }),
        }
    }
}

/// One cluster's data: its rows, `V_j`, `X_j`, `y_j`.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub rows: Vec<usize>,
    pub v: DMatrix<f64>,
    pub x: DMatrix<f64>,
    pub y: DVector<f64>,
}

/// The data of a model, cut into its clusters once.
#[derive(Debug, Clone)]
pub(crate) struct Blocks {
    pub blocks: Vec<Block>,
    pub k: usize,
    pub p: usize,
    pub log_det_xx: f64,
}

/// The log-likelihoods and GLS fit at one value of the variance parameters.
#[derive(Debug, Clone)]
pub(crate) struct Evaluation {
    pub ll_ml: f64,
    pub ll_reml: f64,
    pub beta: DVector<f64>,
    /// `(X'WX)^-1`.
    pub a: DMatrix<f64>,
    pub rss: f64,
    pub log_det_m: f64,
    /// `W_j` per cluster.
    pub w: Vec<DMatrix<f64>>,
}

/// Score, expected information (ML and REML), and `Q_qr = y'P D_q P D_r P y`, with which the
/// observed information of a model linear in its parameters (`d²M/dtheta_q dtheta_r = 0`:
/// random intercepts) is `Q - info` (ML: `P` in `Q`, `W` in `info`; REML: `P` in both).
#[derive(Debug, Clone)]
pub(crate) struct Derivatives {
    pub score_ml: DVector<f64>,
    pub score_reml: DVector<f64>,
    pub info_ml: DMatrix<f64>,
    pub info_reml: DMatrix<f64>,
    pub quad_pp: DMatrix<f64>,
}

const LN_2PI: f64 = 1.837_877_066_409_345_3;

impl Blocks {
    pub(crate) fn new(
        y: &[f64],
        v: &SamplingCovariance,
        re: &RandomEffects,
        x: &ModelMatrix,
    ) -> Blocks {
        let p = x.p();
        let blocks = re
            .clusters
            .members()
            .into_iter()
            .map(|rows| {
                let n = rows.len();
                Block {
                    v: DMatrix::from_fn(n, n, |a, b| v.get(rows[a], rows[b])),
                    x: DMatrix::from_fn(n, p, |a, j| x.get(rows[a], j)),
                    y: DVector::from_fn(n, |a, _| y[rows[a]]),
                    rows,
                }
            })
            .collect();
        let xm = DMatrix::from_column_slice(x.k(), p, x.entries());
        let log_det_xx = log_det_spd(&(xm.transpose() * &xm)).unwrap_or(f64::NAN);
        Blocks {
            blocks,
            k: y.len(),
            p,
            log_det_xx,
        }
    }

    /// `M_j(theta)` and, when asked, `dM_j/dtheta_q`.
    pub(crate) fn marginal(
        &self,
        re: &RandomEffects,
        theta: &[f64],
        j: usize,
        with_derivatives: bool,
    ) -> (DMatrix<f64>, Vec<DMatrix<f64>>) {
        let b = &self.blocks[j];
        let n = b.rows.len();
        let mut m = b.v.clone();
        let mut d = Vec::new();
        match &re.kind {
            Kind::Intercepts { groups, .. } => {
                for (l, g) in groups.iter().enumerate() {
                    let s = DMatrix::from_fn(n, n, |a, c| {
                        f64::from(u8::from(g[b.rows[a]] == g[b.rows[c]]))
                    });
                    m += &s * theta[l];
                    if with_derivatives {
                        d.push(s);
                    }
                }
            }
            Kind::Multivariate { outcome, .. } => {
                let (g, dg) = re.outcome_covariance(theta);
                let o = |a: usize| outcome[b.rows[a]];
                m += DMatrix::from_fn(n, n, |a, c| g[(o(a), o(c))]);
                if with_derivatives {
                    d = dg
                        .iter()
                        .map(|dq| DMatrix::from_fn(n, n, |a, c| dq[(o(a), o(c))]))
                        .collect();
                }
            }
        }
        (m, d)
    }

    /// The GLS fit and log-likelihoods at `theta`; `None` when some `M_j` is not positive
    /// definite (then the likelihood is taken as `-inf`).
    pub(crate) fn evaluate(&self, re: &RandomEffects, theta: &[f64]) -> Option<Evaluation> {
        let p = self.p;
        let mut xwx = DMatrix::zeros(p, p);
        let mut xwy = DVector::zeros(p);
        let mut log_det_m = 0.0;
        let mut ws = Vec::with_capacity(self.blocks.len());
        for (j, b) in self.blocks.iter().enumerate() {
            let (m, _) = self.marginal(re, theta, j, false);
            let chol = m.cholesky()?;
            log_det_m += 2.0
                * chol
                    .l_dirty()
                    .diagonal()
                    .iter()
                    .map(|d| d.ln())
                    .sum::<f64>();
            let w = chol.inverse();
            let wx = &w * &b.x;
            xwx += b.x.transpose() * &wx;
            xwy += wx.transpose() * &b.y;
            ws.push(w);
        }
        let chol = xwx.clone().cholesky()?;
        let log_det_xwx = 2.0
            * chol
                .l_dirty()
                .diagonal()
                .iter()
                .map(|d| d.ln())
                .sum::<f64>();
        let beta = chol.solve(&xwy);
        let a = chol.inverse();
        let mut rss = 0.0;
        for (b, w) in self.blocks.iter().zip(&ws) {
            let r = &b.y - &b.x * &beta;
            rss += r.dot(&(w * &r));
        }
        let (k, pf) = (self.k as f64, p as f64);
        let ll_ml = -0.5 * k * LN_2PI - 0.5 * log_det_m - 0.5 * rss;
        let ll_reml = -0.5 * (k - pf) * LN_2PI + 0.5 * self.log_det_xx
            - 0.5 * log_det_m
            - 0.5 * log_det_xwx
            - 0.5 * rss;
        if !(ll_ml.is_finite() && ll_reml.is_finite()) {
            return None;
        }
        Some(Evaluation {
            ll_ml,
            ll_reml,
            beta,
            a,
            rss,
            log_det_m,
            w: ws,
        })
    }

    /// Score and expected information at `theta` (whose evaluation is `e`).
    pub(crate) fn derivatives(
        &self,
        re: &RandomEffects,
        theta: &[f64],
        e: &Evaluation,
    ) -> Derivatives {
        let nq = theta.len();
        let p = self.p;
        let mut tr = DVector::<f64>::zeros(nq);
        let mut quad = DVector::<f64>::zeros(nq);
        let mut trww = DMatrix::<f64>::zeros(nq, nq);
        let mut f = vec![DMatrix::zeros(p, p); nq];
        let mut g = vec![DMatrix::<f64>::zeros(p, p); nq * nq];
        // Q = sum_j z_q' W z_r - c_q' A c_r,  z_q = D_q W r,  c_q = X'W z_q
        let mut zwz = DMatrix::<f64>::zeros(nq, nq);
        let mut c = vec![DVector::<f64>::zeros(p); nq];
        for (j, (b, w)) in self.blocks.iter().zip(&e.w).enumerate() {
            let (_, d) = self.marginal(re, theta, j, true);
            let u = w * (&b.y - &b.x * &e.beta);
            let wx = w * &b.x;
            let z: Vec<DVector<f64>> = d.iter().map(|dq| dq * &u).collect();
            let wz: Vec<DVector<f64>> = z.iter().map(|zq| w * zq).collect();
            for q in 0..nq {
                c[q] += wx.transpose() * &z[q];
                for r in q..nq {
                    zwz[(q, r)] += z[q].dot(&wz[r]);
                }
            }
            let wd: Vec<DMatrix<f64>> = d.iter().map(|dq| w * dq).collect();
            let dwx: Vec<DMatrix<f64>> = d.iter().map(|dq| dq * &wx).collect();
            for q in 0..nq {
                tr[q] += wd[q].trace();
                quad[q] += u.dot(&(&d[q] * &u));
                f[q] += wx.transpose() * &dwx[q];
                for r in q..nq {
                    // tr(W D_q W D_r) without forming the product
                    let (a, c) = (&wd[q], &wd[r]);
                    let n = a.nrows();
                    let mut t = 0.0;
                    for i in 0..n {
                        for j in 0..n {
                            t += a[(i, j)] * c[(j, i)];
                        }
                    }
                    trww[(q, r)] += t;
                    g[q * nq + r] += dwx[q].transpose() * w * &dwx[r];
                }
            }
        }
        let af: Vec<DMatrix<f64>> = f.iter().map(|fq| &e.a * fq).collect();
        let mut quad_pp = DMatrix::zeros(nq, nq);
        for q in 0..nq {
            for r in q..nq {
                let v = zwz[(q, r)] - c[q].dot(&(&e.a * &c[r]));
                quad_pp[(q, r)] = v;
                quad_pp[(r, q)] = v;
            }
        }
        let mut score_ml = DVector::zeros(nq);
        let mut score_reml = DVector::zeros(nq);
        let mut info_ml = DMatrix::zeros(nq, nq);
        let mut info_reml = DMatrix::zeros(nq, nq);
        for q in 0..nq {
            score_ml[q] = -0.5 * tr[q] + 0.5 * quad[q];
            score_reml[q] = -0.5 * (tr[q] - af[q].trace()) + 0.5 * quad[q];
            for r in q..nq {
                let ml = 0.5 * trww[(q, r)];
                let reml = 0.5
                    * (trww[(q, r)] - 2.0 * (&e.a * &g[q * nq + r]).trace()
                        + (&af[q] * &af[r]).trace());
                info_ml[(q, r)] = ml;
                info_ml[(r, q)] = ml;
                info_reml[(q, r)] = reml;
                info_reml[(r, q)] = reml;
            }
        }
        Derivatives {
            score_ml,
            score_reml,
            info_ml,
            info_reml,
            quad_pp,
        }
    }
}

pub(crate) fn log_det_spd(m: &DMatrix<f64>) -> Option<f64> {
    let c = m.clone().cholesky()?;
    Some(2.0 * c.l_dirty().diagonal().iter().map(|d| d.ln()).sum::<f64>())
}
