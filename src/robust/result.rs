//! The result of cluster-robust inference.

use super::fit::{omnibus, wald, RobustVariance};
use super::sandwich::Sandwich;
use crate::error::{Error, Problem, Result};
use crate::inference::ConfidenceLevel;
use nalgebra::DMatrix;

/// One coefficient under cluster-robust inference.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RobustCoefficient {
    /// Its name (the model matrix's column name).
    pub name: String,
    /// The estimate `b_j` (the model's own).
    pub estimate: f64,
    /// The robust standard error `sqrt(V_R[j, j])`.
    pub se: f64,
    /// `b_j / se`, referred to t(`df`).
    pub statistic: f64,
    /// Degrees of freedom: `m - p` (CR1) or Satterthwaite (CR2).
    pub df: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// Lower confidence limit.
    pub ci_lower: f64,
    /// Upper confidence limit.
    pub ci_upper: f64,
}

/// A robust Wald test of `q` linear constraints as an F test: metafor's `QM` of a robust fit.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RobustWaldTest {
    /// `F = δ Q / q`.
    pub statistic: f64,
    /// Numerator df `q`.
    pub df1: usize,
    /// Denominator df: `m - p` (CR1) or `ν - q + 1` (CR2, HTZ).
    pub df2: f64,
    /// p-value; `None` when `df2 <= 0` (HTZ with `ν < q - 1`; clubSandwich gives NA).
    pub p: Option<f64>,
    /// The HTZ scaling `δ = max(0, (ν - q + 1) / ν)` (1 for CR1).
    pub delta: f64,
    /// The coefficients tested (0-based), for the omnibus test; empty for a test of general
    /// constraints.
    pub btt: Vec<usize>,
}

/// Cluster-robust inference on a fitted model (metafor's `robust.rma` object).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RobustFit {
    pub(super) variance: RobustVariance,
    pub(super) level: ConfidenceLevel,
    pub(super) k: usize,
    pub(super) cluster_sizes: Vec<usize>,
    pub(super) coefficients: Vec<RobustCoefficient>,
    pub(super) vcov: Vec<f64>,
    pub(super) test: RobustWaldTest,
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(super) sandwich: Sandwich,
}

impl RobustFit {
    /// The estimator (CR1 or CR2).
    pub fn variance(&self) -> RobustVariance {
        self.variance
    }
    /// The confidence level.
    pub fn level(&self) -> ConfidenceLevel {
        self.level
    }
    /// Number of effects `k`.
    pub fn k(&self) -> usize {
        self.k
    }
    /// Number of clusters `m`.
    pub fn clusters(&self) -> usize {
        self.cluster_sizes.len()
    }
    /// The number of effects in each cluster (in the order clusters first appear).
    pub fn cluster_sizes(&self) -> &[usize] {
        &self.cluster_sizes
    }
    /// The coefficients, in the model matrix's column order.
    pub fn coefficients(&self) -> &[RobustCoefficient] {
        &self.coefficients
    }
    /// The robust covariance `V_R`, `p x p` column-major (metafor `vcov` of a robust fit;
    /// clubSandwich `vcovCR`).
    pub fn vcov(&self) -> &[f64] {
        &self.vcov
    }
    /// The omnibus test of the coefficients `btt` (metafor's `QM` of a robust fit).
    pub fn omnibus(&self) -> &RobustWaldTest {
        &self.test
    }

    /// The robust Wald test of `C b = 0` for a constraint matrix given by its rows (each of
    /// length `p`): CR1 `Q / q ~ F(q, m - p)`, CR2 clubSandwich's
    /// `Wald_test(constraints = C, test = "HTZ")`.
    ///
    /// ```
    /// # use metapool::effect::EffectSet;
    /// # use metapool::regression::{MetaRegression, Moderators};
    /// # use metapool::robust::{ClusterRobust, Clusters, RobustVariance};
    /// let set = EffectSet::from_estimates(&[0.1, 0.5, 0.3, 0.9, 0.7, 0.2, 0.4, 0.8],
    ///     &[0.02, 0.03, 0.01, 0.05, 0.02, 0.04, 0.03, 0.02])?;
    /// let x = Moderators::new(8).continuous("dose", &[1.0, 2.0, 1.5, 3.0, 2.5, 1.0, 2.0, 3.0])?.matrix()?;
    /// let fit = MetaRegression::default().fit(&set, &x)?;
    /// let clusters = Clusters::new(&["a", "a", "b", "b", "c", "d", "d", "e"])?;
    /// let robust = ClusterRobust::new(RobustVariance::Cr2).fit(&fit, &clusters)?;
    /// let both = robust.wald_test(&[vec![1.0, 0.0], vec![0.0, 1.0]])?;
    /// assert_eq!(both.df1, 2);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn wald_test(&self, constraints: &[Vec<f64>]) -> Result<RobustWaldTest> {
        let p = self.coefficients.len();
        if constraints.is_empty() {
            return Err(Error::InvalidParameter {
                name: "constraints",
                problem: Problem::TooSmall { min: 1.0, got: 0.0 },
            });
        }
        if let Some(row) = constraints.iter().find(|r| r.len() != p) {
            return Err(Error::InvalidParameter {
                name: "constraints",
                problem: Problem::LengthMismatch {
                    expected: p,
                    got: row.len(),
                },
            });
        }
        if let Some(&v) = constraints.iter().flatten().find(|v| !v.is_finite()) {
            return Err(Error::InvalidParameter {
                name: "constraints",
                problem: Problem::NotFinite(v),
            });
        }
        let c = DMatrix::from_fn(constraints.len(), p, |r, j| constraints[r][j]);
        wald(&self.sandwich, &c)
    }

    /// The omnibus test recomputed for other coefficients (0-based).
    pub fn test_coefficients(&self, btt: &[usize]) -> Result<RobustWaldTest> {
        omnibus(&self.sandwich, btt)
    }

    pub(super) fn check_finite(&self) -> Result<()> {
        let ok = self
            .coefficients
            .iter()
            .flat_map(|c| [c.se, c.statistic, c.df, c.p, c.ci_lower, c.ci_upper])
            .chain([self.test.statistic, self.test.df2])
            .all(f64::is_finite);
        if ok {
            Ok(())
        } else {
            Err(Error::NonFinite {
                what: "cluster-robust results",
            })
        }
    }
}
