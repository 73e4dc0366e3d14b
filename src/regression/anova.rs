//! Model comparison (metafor `anova.rma`): Wald tests of linear combinations of the
//! coefficients, and likelihood-ratio tests between nested fits.

use super::fit::RegressionModel;
use super::linalg::spd_inverse;
use super::projection::quadratic_form;
use super::result::{wald_test, FitStatistics, ModeratorTest, RegressionFit};
use crate::error::{Error, Problem, Result};
use crate::inference::{chi_square_upper_tail, normal_two_sided_p, t_two_sided_p};
use crate::pool::Tau2Estimator;

/// One linear combination `l'b` of the coefficients, tested against 0.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Combination {
    /// `l'b`.
    pub estimate: f64,
    /// `sqrt(l' Var(b) l)`.
    pub se: f64,
    /// `l'b / se`, z or t.
    pub statistic: f64,
    /// Two-sided p-value (N(0, 1), or t on `k - p` under the t-based tests).
    pub p: f64,
}

/// Wald tests of linear combinations `L b = 0` (metafor `anova(res, X = L)`).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct WaldTest {
    /// Each row of `L`, tested alone.
    pub combinations: Vec<Combination>,
    /// The joint test `QM = (Lb)' (L Var(b) L')^-1 (Lb)` (chi-square on `m` df, or `QM / m` on
    /// F(m, k - p) under the t-based tests); `None` when the rows of `L` are linearly dependent.
    pub joint: Option<ModeratorTest>,
}

/// The likelihood-ratio test of a reduced model nested in a full one (metafor
/// `anova(full, reduced)`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LikelihoodRatioTest {
    /// `dev_reduced - dev_full` (truncated at 0), with the deviance of the fits' method (REML
    /// for REML fits, ML otherwise).
    pub statistic: f64,
    /// `parms_full - parms_reduced`.
    pub df: usize,
    /// `P(chi2(df) >= statistic)`.
    pub p: f64,
    /// Fit statistics of the full model.
    pub full: FitStatistics,
    /// Fit statistics of the reduced model.
    pub reduced: FitStatistics,
    /// `100 max(0, (tau2_r - tau2_f) / tau2_r)` (0 when `tau2_r = 0`): the share of the reduced
    /// model's heterogeneity the extra coefficients account for; fixed effects: the same with
    /// the residual variances `QE / (k - p)` of the weighted least-squares fits.
    pub r2: Option<f64>,
}

impl RegressionFit {
    /// Wald tests of the rows of `l` (each of length `p`) (metafor `anova(res, X = L)`):
    /// ```text
    /// l'b, se = sqrt(l' Var(b) l), z = l'b / se   (t on k - p under the t-based tests)
    /// QM = (Lb)' (L Var(b) L')^-1 (Lb) ~ chi2(m), or QM / m ~ F(m, k - p)
    /// ```
    pub fn wald(&self, l: &[Vec<f64>]) -> Result<WaldTest> {
        let p = self.p();
        if l.is_empty() {
            return Err(Error::InvalidParameter {
                name: "L",
                problem: Problem::LengthMismatch {
                    expected: 1,
                    got: 0,
                },
            });
        }
        for row in l {
            if row.len() != p {
                return Err(Error::InvalidParameter {
                    name: "L",
                    problem: Problem::LengthMismatch {
                        expected: p,
                        got: row.len(),
                    },
                });
            }
            if let Some(bad) = row.iter().find(|t| !t.is_finite()) {
                return Err(Error::InvalidParameter {
                    name: "L",
                    problem: Problem::NotFinite(*bad),
                });
            }
        }
        let df = self.k - p;
        let beta: Vec<f64> = self.coefficients.iter().map(|c| c.estimate).collect();
        let m = l.len();
        let lb: Vec<f64> = l
            .iter()
            .map(|r| r.iter().zip(&beta).map(|(a, b)| a * b).sum())
            .collect();
        // L Var(b) L'
        let mut cov = vec![0.0; m * m];
        for a in 0..m {
            for b in 0..m {
                let mut s = 0.0;
                for r in 0..p {
                    for c in 0..p {
                        s += l[a][r] * self.vcov[r + c * p] * l[b][c];
                    }
                }
                cov[a + b * m] = s;
            }
        }
        let combinations = (0..m)
            .map(|a| {
                let se = quadratic_form(&self.vcov, &l[a]).sqrt();
                let z = lb[a] / se;
                Combination {
                    estimate: lb[a],
                    se,
                    statistic: z,
                    p: if self.test.is_t() {
                        t_two_sided_p(z, df as f64)
                    } else {
                        normal_two_sided_p(z)
                    },
                }
            })
            .collect();
        let joint = spd_inverse(m, &cov)
            .map(|_| wald_test(&lb, &cov, m, &(0..m).collect::<Vec<_>>(), self.test, df))
            .transpose()?;
        Ok(WaldTest {
            combinations,
            joint,
        })
    }

    /// The likelihood-ratio test of `reduced` against this (full) fit, metafor
    /// `anova(full, reduced)`:
    /// ```text
    /// LRT = dev_reduced - dev_full  (REML deviances for REML fits, ML otherwise), >= 0
    /// df  = parms_full - parms_reduced,   p = P(chi2(df) >= LRT)
    /// ```
    /// Both fits must be to the same studies; with a REML full model both must have the same
    /// model matrix (restricted likelihoods of different fixed effects are not comparable:
    /// this compares, e.g., REML against a fixed-effects fit, testing tau² = 0); the full model
    /// must have more parameters. Nesting, and fitting both by ML or REML, are the caller's
    /// responsibility (metafor warns only).
    pub fn likelihood_ratio(&self, reduced: &RegressionFit) -> Result<LikelihoodRatioTest> {
        let undefined = |why: &'static str| Error::Undefined {
            what: "likelihood-ratio test",
            why,
        };
        if self.y != reduced.y || self.v != reduced.v {
            return Err(undefined("the two models are fitted to different studies"));
        }
        let reml =
            self.model == RegressionModel::Random(Tau2Estimator::RestrictedMaximumLikelihood);
        if reml && self.x != reduced.x {
            return Err(undefined(
                "REML likelihoods of models with different fixed effects are not comparable (refit with ML)",
            ));
        }
        let (pf, pr) = (self.parms(), reduced.parms());
        if pf <= pr {
            return Err(undefined(
                "the full model must have more parameters than the reduced one",
            ));
        }
        let (full, red) = if reml {
            (self.reml, reduced.reml)
        } else {
            (self.ml, reduced.ml)
        };
        let statistic = (red.deviance - full.deviance).max(0.0);
        let df = pf - pr;
        let r2: Option<f64> = match self.model {
            RegressionModel::Fixed => {
                // the residual variances of the weighted least-squares fits
                let s2 = |f: &RegressionFit| f.residual.qe / f.residual.df as f64;
                let (sf, sr) = (s2(self), s2(reduced));
                Some((100.0 * (sr - sf) / sr).max(0.0))
            }
            _ => {
                let (tf, tr) = (self.residual.tau2, reduced.residual.tau2);
                Some(if tr == 0.0 {
                    0.0
                } else {
                    (100.0 * (tr - tf) / tr).max(0.0)
                })
            }
        };
        Ok(LikelihoodRatioTest {
            statistic,
            df,
            p: chi_square_upper_tail(statistic, df as f64),
            full,
            reduced: red,
            r2,
        })
    }

    /// Parameters: the coefficients, and tau² when it is estimated.
    pub(crate) fn parms(&self) -> usize {
        self.p() + usize::from(matches!(self.model, RegressionModel::Random(_)))
    }
}
