//! Predictions at new moderator values and best linear unbiased predictions of the random
//! effects (metafor `predict` and `ranef` on `rma.mv` fits).

use super::random::Kind;
use super::result::{critical, MultilevelFit};
use crate::error::{Error, Problem, Result};
use nalgebra::DVector;

/// A prediction at given moderator values (metafor `predict(fit, newmods)`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MultilevelPrediction {
    /// `x'b`.
    pub estimate: f64,
    /// `sqrt(x' Var(b) x)`.
    pub se: f64,
    /// Confidence interval.
    pub ci_lower: f64,
    /// Confidence interval.
    pub ci_upper: f64,
    /// Prediction interval `x'b -/+ crit sqrt(se² + sum sigma2)` (nested models; `None` for a
    /// multivariate model, whose interval depends on the outcome level).
    pub pi_lower: Option<f64>,
    /// Upper prediction limit.
    pub pi_upper: Option<f64>,
}

/// The BLUP of one group's random effect (metafor `ranef`):
/// ```text
/// u_g = sigma2_l 1_g' P y,   Var(u_g - u) = sigma2_l - sigma2_l² 1_g' P 1_g,
/// P = W - W X (X'WX)^-1 X'W  (block by block),   interval u_g -/+ crit se
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GroupEffect {
    /// The group's label (`11/2`: district 11, school 2).
    pub group: String,
    /// The BLUP.
    pub estimate: f64,
    /// Its standard error of prediction.
    pub se: f64,
    /// Lower prediction limit.
    pub pi_lower: f64,
    /// Upper prediction limit.
    pub pi_upper: f64,
}

/// The BLUPs of one nested level.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LevelEffects {
    /// The level's name (`district/school`).
    pub level: String,
    /// One entry per group, in order of first appearance.
    pub groups: Vec<GroupEffect>,
}

impl MultilevelFit {
    /// The prediction at moderator values `x` (one per coefficient, the intercept's 1
    /// included). An error when `x` has the wrong length or a non-finite value.
    pub fn predict(&self, x: &[f64]) -> Result<MultilevelPrediction> {
        let p = self.p();
        if x.len() != p {
            return Err(Error::InvalidField {
                field: "newmods",
                problem: Problem::LengthMismatch {
                    expected: p,
                    got: x.len(),
                },
            });
        }
        if let Some(v) = x.iter().find(|v| !v.is_finite()) {
            return Err(Error::InvalidField {
                field: "newmods",
                problem: Problem::NotFinite(*v),
            });
        }
        let xv = DVector::from_column_slice(x);
        let estimate = xv.dot(&self.eval.beta);
        let se = xv.dot(&(&self.eval.a * &xv)).sqrt();
        let crit = critical(&self.spec, self.k() - p);
        let (pi_lower, pi_upper) = match self.random.kind {
            Kind::Intercepts { .. } => {
                let s = (se * se + self.sigma2().iter().sum::<f64>()).sqrt();
                (Some(estimate - crit * s), Some(estimate + crit * s))
            }
            Kind::Multivariate { .. } => (None, None),
        };
        Ok(MultilevelPrediction {
            estimate,
            se,
            ci_lower: estimate - crit * se,
            ci_upper: estimate + crit * se,
            pi_lower,
            pi_upper,
        })
    }

    /// The BLUPs of the random effects of every nested level (metafor `ranef`); empty for a
    /// multivariate model.
    pub fn random_effect_predictions(&self) -> Vec<LevelEffects> {
        let Kind::Intercepts {
            names,
            groups,
            group_names,
        } = &self.random.kind
        else {
            return Vec::new();
        };
        let crit = critical(&self.spec, self.k() - self.p());
        let sigma2 = self.sigma2();
        let p = self.p();
        let mut out = Vec::with_capacity(names.len());
        for (l, name) in names.iter().enumerate() {
            let ng = group_names[l].len();
            let mut sum_u = vec![0.0; ng];
            let mut sum_w = vec![0.0; ng];
            let mut c = vec![DVector::<f64>::zeros(p); ng];
            for (b, w) in self.blocks.blocks.iter().zip(&self.eval.w) {
                let u = w * (&b.y - &b.x * &self.eval.beta);
                let wx = w * &b.x;
                for (a, &ra) in b.rows.iter().enumerate() {
                    let g = groups[l][ra];
                    sum_u[g] += u[a];
                    c[g] += wx.row(a).transpose();
                    for (e, &re) in b.rows.iter().enumerate() {
                        if groups[l][re] == g {
                            sum_w[g] += w[(a, e)];
                        }
                    }
                }
            }
            let s2 = sigma2[l];
            let groups_out = (0..ng)
                .map(|g| {
                    let estimate = s2 * sum_u[g];
                    let quad = sum_w[g] - c[g].dot(&(&self.eval.a * &c[g]));
                    let se = (s2 - s2 * s2 * quad).max(0.0).sqrt();
                    GroupEffect {
                        group: group_names[l][g].clone(),
                        estimate,
                        se,
                        pi_lower: estimate - crit * se,
                        pi_upper: estimate + crit * se,
                    }
                })
                .collect();
            out.push(LevelEffects {
                level: name.clone(),
                groups: groups_out,
            });
        }
        out
    }
}
