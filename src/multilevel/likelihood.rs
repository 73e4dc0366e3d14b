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
use super::terms::Terms;
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
    /// Random intercepts: per level, each row's group numbered within the block, and the
    /// number of groups (the derivatives are then group sums); empty otherwise.
    pub groups: Vec<(Vec<usize>, usize)>,
    /// Whether `V` is diagonal within the block.
    pub v_diagonal: bool,
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
                let vb = DMatrix::from_fn(n, n, |a, b| v.get(rows[a], rows[b]));
                Block {
                    groups: local_groups(re, &rows),
                    v_diagonal: (0..n).all(|a| (0..n).all(|b| a == b || vb[(a, b)] == 0.0)),
                    v: vb,
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
            let (w, log_det) = match woodbury(b, theta) {
                Some(found) => found?,
                None => {
                    let (m, _) = self.marginal(re, theta, j, false);
                    let chol = m.cholesky()?;
                    let log_det = log_det_factor(&chol);
                    (chol.inverse(), log_det)
                }
            };
            log_det_m += log_det;
            let wx = &w * &b.x;
            xwx += b.x.transpose() * &wx;
            xwy += wx.transpose() * &b.y;
            ws.push(w);
        }
        let chol = xwx.clone().cholesky()?;
        let log_det_xwx = log_det_factor(&chol);
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
        let mut t = Terms::new(nq, p);
        for (j, (b, w)) in self.blocks.iter().zip(&e.w).enumerate() {
            let u = w * (&b.y - &b.x * &e.beta);
            let wx = w * &b.x;
            if b.groups.is_empty() {
                let (_, d) = self.marginal(re, theta, j, true);
                t.add_dense(w, &d, &wx, &u);
            } else {
                t.add_groups(w, &b.groups, &wx, &u);
            }
        }
        let Terms {
            tr,
            quad,
            trww,
            f,
            g,
            zwz,
            c,
        } = t;
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

/// `W = M^-1` and `ln|M|` of a random-intercept block with a diagonal `V` and fewer groups
/// (of the levels with a positive variance) than effects, by the Woodbury identity:
///
/// ```text
/// M = V + Z Γ Z',  Γ = diag(theta_l per group),  C = Γ^-1 + Z'V^-1 Z
/// W = V^-1 - V^-1 Z C^-1 Z' V^-1,   ln|M| = ln|V| + ln|Γ| + ln|C|
/// ```
/// (`O(n² L + n g²)` for `g` groups and `L` levels instead of `O(n³)`: crossed designs make
/// large blocks with few groups). `None` where the identity does not apply or does not pay;
/// `Some(None)` where `C` is not positive definite.
#[allow(clippy::option_option)]
fn woodbury(b: &Block, theta: &[f64]) -> Option<Option<(DMatrix<f64>, f64)>> {
    let n = b.rows.len();
    if b.groups.is_empty() || !b.v_diagonal {
        return None;
    }
    let mut offset = vec![None; b.groups.len()];
    let mut total = 0;
    for (l, (_, m)) in b.groups.iter().enumerate() {
        if theta[l] > 0.0 {
            offset[l] = Some(total);
            total += m;
        }
    }
    if total >= n {
        return None;
    }
    let vinv: Vec<f64> = (0..n).map(|a| 1.0 / b.v[(a, a)]).collect();
    let mut log_det: f64 = (0..n).map(|a| b.v[(a, a)].ln()).sum();
    let mut c = DMatrix::<f64>::zeros(total, total);
    let active: Vec<(usize, usize)> = offset
        .iter()
        .enumerate()
        .filter_map(|(l, o)| o.map(|o| (l, o)))
        .collect();
    for &(l, o) in &active {
        let m = b.groups[l].1;
        for g in 0..m {
            c[(o + g, o + g)] += 1.0 / theta[l];
        }
        log_det += m as f64 * theta[l].ln();
    }
    let col = |a: usize, l: usize, o: usize| o + b.groups[l].0[a];
    for (a, &va) in vinv.iter().enumerate() {
        for &(l, o) in &active {
            for &(l2, o2) in &active {
                c[(col(a, l, o), col(a, l2, o2))] += va;
            }
        }
    }
    let Some(chol) = c.cholesky() else {
        return Some(None);
    };
    log_det += log_det_factor(&chol);
    // K = C^-1 Z' V^-1 (total x n); W = V^-1 - V^-1 Z K
    let mut zt = DMatrix::<f64>::zeros(total, n);
    for (a, &va) in vinv.iter().enumerate() {
        for &(l, o) in &active {
            zt[(col(a, l, o), a)] = va;
        }
    }
    let k = chol.solve(&zt);
    let mut w = DMatrix::<f64>::zeros(n, n);
    for bcol in 0..n {
        for a in 0..n {
            let mut t = 0.0;
            for &(l, o) in &active {
                t += k[(col(a, l, o), bcol)];
            }
            w[(a, bcol)] = -vinv[a] * t;
        }
        w[(bcol, bcol)] += vinv[bcol];
    }
    if !log_det.is_finite() || w.iter().any(|x| !x.is_finite()) {
        return Some(None);
    }
    Some(Some((w, log_det)))
}

/// The groups of each random-intercept level among `rows`, numbered from 0 in order of first
/// appearance (empty for a multivariate model).
fn local_groups(re: &RandomEffects, rows: &[usize]) -> Vec<(Vec<usize>, usize)> {
    let Kind::Intercepts { groups, .. } = &re.kind else {
        return Vec::new();
    };
    groups
        .iter()
        .map(|level| {
            let mut seen: std::collections::HashMap<usize, usize> = Default::default();
            let ids = rows
                .iter()
                .map(|&i| {
                    let next = seen.len();
                    *seen.entry(level[i]).or_insert(next)
                })
                .collect();
            (ids, seen.len())
        })
        .collect()
}

/// `ln|M|` from the Cholesky factor of `M`.
fn log_det_factor(chol: &nalgebra::Cholesky<f64, nalgebra::Dyn>) -> f64 {
    2.0 * chol
        .l_dirty()
        .diagonal()
        .iter()
        .map(|d| d.ln())
        .sum::<f64>()
}

pub(crate) fn log_det_spd(m: &DMatrix<f64>) -> Option<f64> {
    Some(log_det_factor(&m.clone().cholesky()?))
}
