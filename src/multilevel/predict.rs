//! Predictions at new moderator values and best linear unbiased predictions of the random
//! effects (metafor `predict` and `ranef` on `rma.mv` fits).

use super::random::{CovarianceStructure, Kind};
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
    /// Prediction interval `x'b -/+ crit sqrt(se² + sum sigma2)` (random intercepts), or
    /// `tau2` for a CS multivariate model; `None` for HCS and UN, whose interval depends on
    /// the outcome level ([`MultilevelFit::predict_for_outcome`]), as metafor's `NA`.
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
        let tau2 = match &self.random.kind {
            Kind::Intercepts { .. } => Some(self.sigma2().iter().sum::<f64>()),
            Kind::Multivariate { structure, .. } => {
                (*structure == CovarianceStructure::CompoundSymmetry).then(|| self.tau2()[0])
            }
        };
        let pi = tau2.map(|t2| crit * (se * se + t2).sqrt());
        Ok(MultilevelPrediction {
            estimate,
            se,
            ci_lower: estimate - crit * se,
            ci_upper: estimate + crit * se,
            pi_lower: pi.map(|h| estimate - h),
            pi_upper: pi.map(|h| estimate + h),
        })
    }

    /// The prediction at moderator values `x` with the prediction interval of one outcome level
    /// of a multivariate model, `x'b -/+ crit sqrt(se² + tau2_level)` (metafor
    /// `predict(fit, newmods, tau2.levels = level)`). An error for a nested model or an unknown
    /// level.
    ///
    /// ```
    /// use metapool::multilevel::{CovarianceStructure, MultilevelModel, RandomEffects, SamplingCovariance};
    /// use metapool::regression::ModelMatrix;
    /// let trial = ["1", "1", "2", "2", "3", "3", "4", "4"];
    /// let outcome = ["AL", "PD", "AL", "PD", "AL", "PD", "AL", "PD"];
    /// let y = [-0.3, 0.4, -0.6, 0.3, 0.1, 0.5, -0.4, 0.2];
    /// let re = RandomEffects::multivariate(("outcome", &outcome[..]), ("trial", &trial[..]),
    ///     CovarianceStructure::Unstructured)?;
    /// let v = SamplingCovariance::constant_correlation(&[0.02; 8], &trial, 0.4)?;
    /// let al: Vec<f64> = outcome.iter().map(|o| f64::from(u8::from(*o == "AL"))).collect();
    /// let x = ModelMatrix::new(vec!["AL".into(), "PD".into()],
    ///     vec![al.clone(), al.iter().map(|a| 1.0 - a).collect()])?;
    /// let fit = MultilevelModel::default().fit(&y, &v, &re, &x)?;
    /// let p = fit.predict_for_outcome(&[1.0, 0.0], "AL")?;
    /// assert!(p.pi_lower.unwrap() <= p.ci_lower && fit.predict(&[1.0, 0.0])?.pi_lower.is_none());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn predict_for_outcome(&self, x: &[f64], level: &str) -> Result<MultilevelPrediction> {
        let Kind::Multivariate { levels, .. } = &self.random.kind else {
            return Err(Error::Unparsable {
                what: "an outcome level (the model has none: it is not multivariate)",
                text: level.to_string(),
            });
        };
        let Some(o) = levels.iter().position(|l| l == level) else {
            return Err(Error::Unparsable {
                what: "an outcome level of the model",
                text: level.to_string(),
            });
        };
        let tau2 = self.tau2();
        let t2 = tau2[o.min(tau2.len() - 1)];
        let p = self.predict(x)?;
        let crit = critical(&self.spec, self.k() - self.p());
        let h = crit * (p.se * p.se + t2).sqrt();
        Ok(MultilevelPrediction {
            pi_lower: Some(p.estimate - h),
            pi_upper: Some(p.estimate + h),
            ..p
        })
    }

    /// The BLUPs of the random effects (metafor `ranef`): of every level of a random-intercept
    /// model, or for a multivariate model one list (`outcome | cluster`) of every outcome level
    /// in every cluster (`AL | 1`, `PD | 1`, `AL | 2`, ...):
    /// ```text
    /// u_oj = g_oj' P y,  Var(u_oj - u) = G_oo - g_oj' P g_oj,  (g_oj)_a = G[o, outcome(a)] on
    /// the rows a of cluster j, 0 elsewhere
    /// ```
    pub fn random_effect_predictions(&self) -> Vec<LevelEffects> {
        let (names, groups, group_names) = match &self.random.kind {
            Kind::Intercepts {
                names,
                groups,
                group_names,
            } => (names, groups, group_names),
            Kind::Multivariate { .. } => return vec![self.outcome_effects()],
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

    /// The multivariate model's BLUPs (see [`MultilevelFit::random_effect_predictions`]).
    fn outcome_effects(&self) -> LevelEffects {
        let Kind::Multivariate {
            outcome_name,
            cluster_name,
            levels,
            outcome,
            ..
        } = &self.random.kind
        else {
            unreachable!("called for multivariate models only")
        };
        let g = self.random.outcome_covariance(&self.theta).0;
        let crit = critical(&self.spec, self.k() - self.p());
        let mut groups = Vec::with_capacity(levels.len() * self.blocks.blocks.len());
        for (j, (b, w)) in self.blocks.blocks.iter().zip(&self.eval.w).enumerate() {
            let u = w * (&b.y - &b.x * &self.eval.beta);
            let wx = w * &b.x;
            for (o, level) in levels.iter().enumerate() {
                let go = DVector::from_fn(b.rows.len(), |a, _| g[(o, outcome[b.rows[a]])]);
                let estimate = go.dot(&u);
                let c = wx.transpose() * &go;
                let quad = go.dot(&(w * &go)) - c.dot(&(&self.eval.a * &c));
                let se = (g[(o, o)] - quad).max(0.0).sqrt();
                groups.push(GroupEffect {
                    group: format!("{level} | {}", self.random.clusters.names[j]),
                    estimate,
                    se,
                    pi_lower: estimate - crit * se,
                    pi_upper: estimate + crit * se,
                });
            }
        }
        LevelEffects {
            level: format!("{outcome_name} | {cluster_name}"),
            groups,
        }
    }
}
