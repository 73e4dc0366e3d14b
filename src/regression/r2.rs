//! metafor's pseudo-R² of a meta-regression: the proportional reduction in tau² against the
//! intercept-only model (`r2def = "1"`), and for fixed effects the adjusted R² of the weighted fit.

use super::fit::{MetaRegression, RegressionModel};
use super::ModelMatrix;
use crate::error::Result;
use crate::pool::tau2;

/// Whether a fit computes the pseudo-R².
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PseudoR2 {
    Compute,
    Skip,
}

impl MetaRegression {
    /// metafor's pseudo-R² (`r2def = "1"`; fixed effects: the adjusted R² of the weighted fit).
    pub(super) fn pseudo_r2(
        &self,
        y: &[f64],
        v: &[f64],
        x: &ModelMatrix,
        tau2: f64,
        qe: f64,
    ) -> Result<Option<f64>> {
        if !x.has_intercept() || x.p() < 2 {
            return Ok(None);
        }
        let k = y.len();
        match self.model {
            RegressionModel::Fixed => {
                let first = y[0];
                if y.iter().all(|&t| t == first) {
                    return Ok(Some(0.0));
                }
                let w: Vec<f64> = v.iter().map(|v| 1.0 / v).collect();
                let sw: f64 = w.iter().sum();
                let mean = y.iter().zip(&w).map(|(y, w)| y * w).sum::<f64>() / sw;
                let tss: f64 = y.iter().zip(&w).map(|(y, w)| w * (y - mean).powi(2)).sum();
                let adj = 1.0 - (qe / (k - x.p()) as f64) / (tss / (k - 1) as f64);
                Ok(Some((100.0 * adj).max(0.0)))
            }
            RegressionModel::KnownTau2(_) => Ok(None),
            RegressionModel::Random(e) => {
                let reduced = tau2::estimate(e, k, |i| y[i], |i| v[i], &self.control);
                Ok(match reduced {
                    Ok(r) if r.tau2 == 0.0 => Some(0.0),
                    Ok(r) => Some((100.0 * (r.tau2 - tau2) / r.tau2).max(0.0)),
                    Err(_) => None,
                })
            }
        }
    }
}
