//! The sandwich estimator, cluster by cluster: the bread `B = (X'WX)^{-1}`, the CR1 or CR2
//! adjusted estimating functions of each cluster, and (CR2) the per-cluster pieces the
//! Satterthwaite and HTZ degrees of freedom are built from.
//!
//! ```text
//! F_j = B X_j' W_j A_j              (p x n_j)      u_j = F_j e_j,   e = y - X b
//! V_R = c Σ_j u_j u_j'              c = m / (m - p) (CR1), 1 (CR2)
//! CR1: A_j = I
//! CR2: A_j = L_j G_j^{-1/2} L_j',   G_j = L_j' (M_j - X_j B X_j') L_j,   L_j L_j' = M_j
//! CR2 pieces: D_j = F_j M_j F_j'    K_j = F_j X_j L_B,   L_B L_B' = B      (p x p each)
//! ```
//! `A_j` is clubSandwich's `CR2` adjustment with the target `Θ_j = M_j` and `W_j = M_j^{-1}`
//! ("inverse_var"), written with the lower Cholesky factor (the adjustment does not depend on
//! which square root of `M_j` is used); `G^{-1/2}` drops eigenvalues below `1e-12` times the
//! largest (clubSandwich: below `1e-12` absolute, on its weight-scaled matrices), a
//! pseudo-inverse when a cluster alone determines a coefficient.
//!
//! Cost: one pass for `X'WX` and one for the adjustments: `O(Σ_j n_j³ + n_j² p)` time and
//! `O(m p²)` memory besides the largest cluster's `n_j x n_j` blocks; no `k x k` matrix.

use super::clusters::{cluster_error, ClusterProblem, Clusters};
use super::{RobustVariance, WorkingModel};
use crate::error::{Error, Result};
use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// The sandwich of one model and one clustering, with what the small-sample tests need.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Sandwich {
    pub(super) correction: RobustVariance,
    /// Clusters `m`.
    pub(super) m: usize,
    /// The estimates `b`.
    pub(super) b: DVector<f64>,
    /// The robust covariance `V_R` (`p x p`).
    pub(super) vcov: DMatrix<f64>,
    /// CR2: `D_j` per cluster.
    pub(super) d: Vec<DMatrix<f64>>,
    /// CR2: `K_j` per cluster.
    pub(super) k: Vec<DMatrix<f64>>,
}

/// `X_j` (`n_j x p`) of the rows of one cluster.
fn rows_of_x<M: WorkingModel + ?Sized>(model: &M, rows: &[usize]) -> DMatrix<f64> {
    let x = model.model_matrix();
    DMatrix::from_fn(rows.len(), x.p(), |i, c| x.get(rows[i], c))
}

/// `x^{-1/2}` of a symmetric positive semi-definite matrix, eigenvalues at or below `1e-12`
/// times the largest taken as 0 (a pseudo-inverse square root, as clubSandwich's
/// `matrix_power(x, -1/2)`).
pub(super) fn inverse_sqrt(x: DMatrix<f64>) -> DMatrix<f64> {
    let eig = SymmetricEigen::new(x);
    let top = eig.eigenvalues.iter().fold(0.0f64, |a, &v| a.max(v));
    let scaled = eig
        .eigenvalues
        .map(|v| if v > 1e-12 * top { v.powf(-0.5) } else { 0.0 });
    let q = &eig.eigenvectors;
    q * DMatrix::from_diagonal(&scaled) * q.transpose()
}

impl Sandwich {
    /// The sandwich of `model` over `clusters` with the given small-sample correction.
    pub(super) fn new<M: WorkingModel + ?Sized>(
        model: &M,
        clusters: &Clusters,
        correction: RobustVariance,
    ) -> Result<Sandwich> {
        let x = model.model_matrix();
        let y = model.outcomes();
        let (k, p, m) = (y.len(), x.p(), clusters.len());
        if clusters.effects() != k || x.k() != k {
            let got = if x.k() != k {
                x.k()
            } else {
                clusters.effects()
            };
            return Err(cluster_error(
                None,
                None,
                ClusterProblem::LengthMismatch { expected: k, got },
            ));
        }
        if m <= p {
            return Err(cluster_error(
                None,
                None,
                ClusterProblem::TooFewClusters {
                    clusters: m,
                    coefficients: p,
                },
            ));
        }
        let weights = |j: usize| {
            model.weights(clusters.rows(j)).ok_or_else(|| {
                cluster_error(
                    Some(clusters.label(j)),
                    None,
                    ClusterProblem::SplitsModelBlock,
                )
            })
        };
        // pass 1: the bread
        let mut xwx = DMatrix::<f64>::zeros(p, p);
        for j in 0..m {
            let xj = rows_of_x(model, clusters.rows(j));
            let w = weights(j)?;
            xwx += xj.transpose() * w * &xj;
        }
        let singular = Error::NonFinite {
            what: "the bread (X'WX)^-1 of the robust covariance (X'WX is singular)",
        };
        let bread = xwx.cholesky().ok_or_else(|| singular.clone())?.inverse();
        let bread_root = bread.clone().cholesky().ok_or(singular)?.l();
        let b = DVector::from_vec(model.estimates());
        let cr2 = correction == RobustVariance::Cr2;
        // pass 2: the adjusted estimating functions
        let mut meat = DMatrix::<f64>::zeros(p, p);
        let (mut d, mut kk) = (Vec::new(), Vec::new());
        for j in 0..m {
            let rows = clusters.rows(j);
            let xj = rows_of_x(model, rows);
            let e = DVector::from_iterator(rows.len(), rows.iter().map(|&i| y[i])) - &xj * &b;
            let w = weights(j)?;
            let mut f = &bread * xj.transpose() * w;
            if cr2 {
                let mj = model.marginal_covariance(rows);
                let l = mj.clone().cholesky().map(|c| c.l()).ok_or_else(|| {
                    cluster_error(
                        Some(clusters.label(j)),
                        None,
                        ClusterProblem::NotPositiveDefinite,
                    )
                })?;
                let g = l.transpose() * (&mj - &xj * &bread * xj.transpose()) * &l;
                let a = &l * inverse_sqrt(g) * l.transpose();
                f *= a;
                d.push(&f * &mj * f.transpose());
                kk.push(&f * &xj * &bread_root);
            }
            let u = &f * e;
            meat += &u * u.transpose();
        }
        if correction == RobustVariance::Cr1 {
            meat *= m as f64 / (m - p) as f64;
        }
        if meat.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "the cluster-robust covariance",
            });
        }
        Ok(Sandwich {
            correction,
            m,
            b,
            vcov: meat,
            d,
            k: kk,
        })
    }
}
