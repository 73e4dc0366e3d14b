//! Cluster-robust (sandwich) inference for fitted meta-analytic models: CR1 as metafor's
//! `robust()` computes it, and CR2 (bias-reduced linearization) with Satterthwaite degrees of
//! freedom and the HTZ Wald test as clubSandwich computes them.
//!
//! Every model that can be made robust exposes itself as a [`WorkingModel`]: the model matrix
//! `X`, the outcomes `y`, the estimates `b`, and the working model's marginal covariance
//! `M = V + Z G Z'` with its inverse, the weight matrix `W = M^{-1}`, restricted to the rows of
//! one cluster. For `rma.uni`-type fits `M` is diagonal (`v_i + tau²`); for multilevel and
//! multivariate fits it is block diagonal by the model's own clusters.
//!
//! ```text
//! b = (X'WX)^{-1} X'W y,   e = y - X b
//! sandwich:  V_R = B (Σ_j X_j' W_j A_j e_j e_j' A_j' W_j X_j) B,   B = (X'WX)^{-1}
//! CR1: A_j = I, times m / (m - p)            (metafor robust(), clubSandwich "CR1")
//! CR2: A_j = (I - H_jj)^{-1/2} adjusted to the working model (Pustejovsky & Tipton 2018)
//! ```
//!
//! Sources: Hedges, Tipton & Johnson (2010), Res Synth Methods 1:39-65; Pustejovsky & Tipton
//! (2018), J Bus Econ Stat 36:672-683; Tipton & Pustejovsky (2015), J Educ Behav Stat
//! 40:604-634; metafor's `robust()` and clubSandwich's `vcovCR`, `coef_test`, `Wald_test`.

mod clusters;
mod fit;
mod htz;
mod result;
mod sandwich;
mod uni;

pub use clusters::{ClusterProblem, Clusters};
pub use fit::{ClusterRobust, RobustVariance};
pub use result::{RobustCoefficient, RobustFit, RobustWaldTest};

use crate::regression::ModelMatrix;
use nalgebra::DMatrix;

/// A fitted model as cluster-robust inference sees it.
///
/// `rows` arguments are indices into the model's effects (`0..k`), in the order the caller
/// wants the block's rows and columns.
pub trait WorkingModel {
    /// The model matrix `X` (`k x p`).
    fn model_matrix(&self) -> &ModelMatrix;
    /// The observed outcomes `y` (length `k`).
    fn outcomes(&self) -> &[f64];
    /// The estimated coefficients `b` (length `p`), in the order of `X`'s columns.
    fn estimates(&self) -> Vec<f64>;
    /// The working model's marginal covariance `M` restricted to `rows` (`M[rows, rows]`).
    fn marginal_covariance(&self, rows: &[usize]) -> DMatrix<f64>;
    /// The weight matrix `W = M^{-1}` restricted to `rows`, or `None` when `rows` split one of
    /// the model's own blocks (then `W[rows, rows]` is not the inverse of `M[rows, rows]`, and a
    /// robust cluster must contain whole model clusters).
    fn weights(&self, rows: &[usize]) -> Option<DMatrix<f64>>;
}
