//! The working model of a meta-regression (`rma.uni` with or without moderators): the
//! marginal covariance is diagonal, `M = diag(v_i + tau²)` (`tau² = 0` for fixed effects), and
//! every clustering is compatible with it.

use super::WorkingModel;
use crate::regression::{ModelMatrix, RegressionFit};
use nalgebra::DMatrix;

impl WorkingModel for RegressionFit {
    fn model_matrix(&self) -> &ModelMatrix {
        &self.x
    }
    fn outcomes(&self) -> &[f64] {
        &self.y
    }
    fn estimates(&self) -> Vec<f64> {
        self.coefficients.iter().map(|c| c.estimate).collect()
    }
    fn marginal_covariance(&self, rows: &[usize]) -> DMatrix<f64> {
        let tau2 = self.residual.tau2;
        DMatrix::from_diagonal(&nalgebra::DVector::from_iterator(
            rows.len(),
            rows.iter().map(|&i| self.v[i] + tau2),
        ))
    }
    fn weights(&self, rows: &[usize]) -> Option<DMatrix<f64>> {
        let tau2 = self.residual.tau2;
        Some(DMatrix::from_diagonal(&nalgebra::DVector::from_iterator(
            rows.len(),
            rows.iter().map(|&i| 1.0 / (self.v[i] + tau2)),
        )))
    }
}
