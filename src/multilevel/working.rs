//! A multilevel fit as the working model of cluster-robust inference.

use super::result::MultilevelFit;
use crate::regression::ModelMatrix;
use crate::robust::WorkingModel;
use nalgebra::DMatrix;

impl MultilevelFit {
    /// `(cluster, position within the cluster's block)` of every row.
    fn locate(&self, rows: &[usize]) -> Vec<(usize, usize)> {
        rows.iter().map(|&i| self.row_block[i]).collect()
    }
}

/// `M = V + Z G Z'` and `W = M^-1` of the fitted model, from its per-cluster blocks.
///
/// ```
/// use metapool::multilevel::{MultilevelModel, RandomEffects, SamplingCovariance};
/// use metapool::regression::ModelMatrix;
/// use metapool::robust::WorkingModel;
/// let y = [0.1, 0.3, 0.2, 0.5, 0.4, 0.0];
/// let cl = ["a", "a", "b", "b", "c", "c"];
/// let es = ["1", "2", "1", "2", "1", "2"];
/// let re = RandomEffects::nested(&[("cl", &cl[..]), ("es", &es[..])])?;
/// let v = SamplingCovariance::diagonal(&[0.01, 0.02, 0.01, 0.03, 0.02, 0.01])?;
/// let x = ModelMatrix::new(vec!["intrcpt".into()], vec![vec![1.0; 6]])?;
/// let fit = MultilevelModel::default().fit(&y, &v, &re, &x)?;
/// let m = fit.marginal_covariance(&[0, 1]);
/// let w = fit.weights(&[0, 1]).expect("a whole cluster");
/// assert!(((&m * &w) - nalgebra::DMatrix::<f64>::identity(2, 2)).abs().max() < 1e-10);
/// assert!(fit.weights(&[0]).is_none()); // splits cluster a
/// # Ok::<(), metapool::Error>(())
/// ```
impl WorkingModel for MultilevelFit {
    fn model_matrix(&self) -> &ModelMatrix {
        &self.x
    }
    fn outcomes(&self) -> &[f64] {
        &self.y
    }
    fn estimates(&self) -> Vec<f64> {
        self.eval.beta.iter().copied().collect()
    }
    fn marginal_covariance(&self, rows: &[usize]) -> DMatrix<f64> {
        let at = self.locate(rows);
        let mut blocks: Vec<(usize, DMatrix<f64>)> = Vec::new();
        for &(j, _) in &at {
            if !blocks.iter().any(|(c, _)| *c == j) {
                let m = self.blocks.marginal(&self.random, &self.theta, j, false).0;
                blocks.push((j, m));
            }
        }
        let get = |j: usize| &blocks.iter().find(|(c, _)| *c == j).expect("block").1;
        DMatrix::from_fn(rows.len(), rows.len(), |a, b| {
            let ((ja, pa), (jb, pb)) = (at[a], at[b]);
            if ja == jb {
                get(ja)[(pa, pb)]
            } else {
                0.0
            }
        })
    }
    fn weights(&self, rows: &[usize]) -> Option<DMatrix<f64>> {
        let at = self.locate(rows);
        let mut seen: Vec<(usize, usize)> = Vec::new();
        for &(j, _) in &at {
            match seen.iter_mut().find(|(c, _)| *c == j) {
                Some(e) => e.1 += 1,
                None => seen.push((j, 1)),
            }
        }
        let mut distinct = rows.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() != rows.len()
            || seen
                .iter()
                .any(|&(j, n)| n != self.blocks.blocks[j].rows.len())
        {
            return None;
        }
        Some(DMatrix::from_fn(rows.len(), rows.len(), |a, b| {
            let ((ja, pa), (jb, pb)) = (at[a], at[b]);
            if ja == jb {
                self.eval.w[ja][(pa, pb)]
            } else {
                0.0
            }
        }))
    }
}
