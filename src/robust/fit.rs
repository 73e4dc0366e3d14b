//! Cluster-robust inference on a fitted model: the estimator (CR1 or CR2), the tests of single
//! coefficients and the omnibus Wald test.

use super::clusters::Clusters;
use super::htz::working_df;
use super::result::{RobustCoefficient, RobustFit, RobustWaldTest};
use super::sandwich::Sandwich;
use super::WorkingModel;
use crate::error::{Error, Problem, Result};
use crate::inference::{f_upper_tail, t_two_sided_p, t_upper_quantile, ConfidenceLevel};
use nalgebra::DMatrix;

/// The cluster-robust covariance estimator and its small-sample tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum RobustVariance {
    /// metafor's `robust(x, cluster, adjust = TRUE)`: the sandwich times `m / (m - p)`, t tests
    /// on `m - p` df, `QM / q ~ F(q, m - p)`.
    #[default]
    Cr1,
    /// Bias-reduced linearization (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018) with the
    /// working model as target: clubSandwich's `vcovCR(type = "CR2")`, Satterthwaite df per
    /// coefficient and the HTZ test (metafor `robust(..., clubSandwich = TRUE)`).
    Cr2,
}

impl RobustVariance {
    /// `"CR1"` or `"CR2"`.
    pub fn name(self) -> &'static str {
        match self {
            RobustVariance::Cr1 => "CR1",
            RobustVariance::Cr2 => "CR2",
        }
    }
}

impl std::fmt::Display for RobustVariance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for RobustVariance {
    type Err = Error;
    /// `"CR1"` or `"CR2"` (any case).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "CR1" => Ok(RobustVariance::Cr1),
            "CR2" => Ok(RobustVariance::Cr2),
            _ => Err(Error::Unparsable {
                what: "a cluster-robust estimator (CR1 or CR2)",
                text: s.to_string(),
            }),
        }
    }
}

/// Cluster-robust inference: the estimator, the confidence level and the coefficients of the
/// omnibus test (`btt`, 0-based; by default every coefficient but the intercept, or the
/// intercept of an intercept-only model, as metafor).
///
/// ```text
/// se_j = sqrt(V_R[j, j]),   t_j = b_j / se_j ~ t(df_j),   CI: b_j ± t_{df_j, 1 - α/2} se_j
/// CR1: df_j = m - p;   omnibus QM / q ~ F(q, m - p),   QM = b_B' (V_R)_BB^{-1} b_B
/// CR2: df_j Satterthwaite;   omnibus HTZ: δ QM / q ~ F(q, ν - q + 1)
/// ```
/// Source: metafor 3.8 `robust.rma.uni` / `robust.rma.mv`; clubSandwich 0.5.8 `coef_test`,
/// `conf_int`, `Wald_test`.
///
/// ```
/// use metapool::effect::EffectSet;
/// use metapool::regression::{MetaRegression, Moderators};
/// use metapool::robust::{ClusterRobust, Clusters, RobustVariance};
/// // dat.bcg (metafor): log risk ratios, variances, absolute latitude, allocation
/// let yi = [-0.8893, -1.5854, -1.3481, -1.4416, -0.2175, -0.7861, -1.6209, 0.0120, -0.4694,
///           -1.3713, -0.3394, 0.4459, -0.0173];
/// let vi = [0.3256, 0.1946, 0.4154, 0.0200, 0.0512, 0.0069, 0.2230, 0.0040, 0.0564,
///           0.0730, 0.0124, 0.5325, 0.0714];
/// let alloc = ["r", "r", "r", "r", "a", "a", "r", "r", "r", "s", "s", "s", "s"];
/// let set = EffectSet::from_estimates(&yi, &vi)?;
/// let x = Moderators::new(13).matrix()?; // intercept only
/// let fit = MetaRegression::default().fit(&set, &x)?;
/// let robust = ClusterRobust::new(RobustVariance::Cr2).fit(&fit, &Clusters::new(&alloc)?)?;
/// let b0 = &robust.coefficients()[0];
/// assert!(b0.df < 3.0); // Satterthwaite df with 3 clusters
/// println!("{robust}");
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterRobust {
    /// The estimator.
    pub variance: RobustVariance,
    /// The confidence level of the intervals.
    pub level: ConfidenceLevel,
    /// The coefficients (0-based) of the omnibus test; `None`: metafor's default.
    pub btt: Option<Vec<usize>>,
}

impl ClusterRobust {
    /// Robust inference with `variance`, 95% intervals and metafor's default omnibus test.
    pub fn new(variance: RobustVariance) -> ClusterRobust {
        ClusterRobust {
            variance,
            ..ClusterRobust::default()
        }
    }
    /// With the confidence level of the intervals.
    pub fn with_level(mut self, level: ConfidenceLevel) -> ClusterRobust {
        self.level = level;
        self
    }
    /// With the coefficients (0-based) of the omnibus test.
    pub fn with_btt(mut self, btt: Vec<usize>) -> ClusterRobust {
        self.btt = Some(btt);
        self
    }

    /// The robust inference for `model` with `clusters`. Errors (typed, naming the cluster or
    /// row): labels not one per effect, `m <= p` clusters, a robust cluster that splits a block
    /// of the working model, a cluster whose working covariance is not positive definite.
    pub fn fit<M: WorkingModel + ?Sized>(
        &self,
        model: &M,
        clusters: &Clusters,
    ) -> Result<RobustFit> {
        let sandwich = Sandwich::new(model, clusters, self.variance)?;
        let x = model.model_matrix();
        let p = x.p();
        let btt = match &self.btt {
            Some(b) => b.clone(),
            None if x.has_intercept() && p > 1 => (1..p).collect(),
            None => (0..p).collect(),
        };
        let test = omnibus(&sandwich, &btt)?;
        let alpha = 1.0 - self.level.level();
        let mut coefficients = Vec::with_capacity(p);
        for (j, name) in x.names().iter().enumerate() {
            let estimate = sandwich.b[j];
            let se = sandwich.vcov[(j, j)].sqrt();
            let df = match self.variance {
                RobustVariance::Cr1 => (sandwich.m - p) as f64,
                RobustVariance::Cr2 => working_df(&sandwich, &unit_rows(&[j], p))?,
            };
            let statistic = estimate / se;
            let crit = t_upper_quantile(alpha / 2.0, df);
            coefficients.push(RobustCoefficient {
                name: name.clone(),
                estimate,
                se,
                statistic,
                df,
                p: t_two_sided_p(statistic, df),
                ci_lower: estimate - crit * se,
                ci_upper: estimate + crit * se,
            });
        }
        let fit = RobustFit {
            variance: self.variance,
            level: self.level,
            k: clusters.effects(),
            cluster_sizes: clusters.sizes(),
            coefficients,
            vcov: sandwich.vcov.as_slice().to_vec(),
            test,
            sandwich,
        };
        fit.check_finite()?;
        Ok(fit)
    }
}

/// The robust test of the coefficients `btt` (0-based) being 0; an error for an empty `btt`
/// or a coefficient out of range.
pub(super) fn omnibus(sandwich: &Sandwich, btt: &[usize]) -> Result<RobustWaldTest> {
    let p = sandwich.b.len();
    if btt.is_empty() {
        return Err(Error::InvalidParameter {
            name: "btt",
            problem: Problem::TooSmall { min: 1.0, got: 0.0 },
        });
    }
    if let Some(&j) = btt.iter().find(|&&j| j >= p) {
        return Err(Error::InvalidParameter {
            name: "btt",
            problem: Problem::OutOfRange {
                lo: -1.0,
                hi: p as f64,
                got: j as f64,
            },
        });
    }
    let mut test = wald(sandwich, &unit_rows(btt, p))?;
    test.btt = btt.to_vec();
    Ok(test)
}

/// The rows of the identity selecting `which` (`q x p`).
pub(super) fn unit_rows(which: &[usize], p: usize) -> DMatrix<f64> {
    DMatrix::from_fn(which.len(), p, |r, c| if which[r] == c { 1.0 } else { 0.0 })
}

/// The robust Wald test of `C b = 0`: CR1 `Q / q ~ F(q, m - p)` (metafor), CR2 HTZ
/// (clubSandwich).
pub(super) fn wald(sandwich: &Sandwich, c: &DMatrix<f64>) -> Result<RobustWaldTest> {
    let q = c.nrows();
    let p = c.ncols();
    let cb = c * &sandwich.b;
    let cvc = c * &sandwich.vcov * c.transpose();
    let inv = cvc.cholesky().ok_or(Error::NonFinite {
        what: "the robust Wald test (C V_R C' is singular)",
    })?;
    let qstat = cb.dot(&inv.solve(&cb));
    let qf = q as f64;
    let (delta, df2) = match sandwich.correction {
        RobustVariance::Cr1 => (1.0, (sandwich.m - p) as f64),
        RobustVariance::Cr2 => {
            let nu = working_df(sandwich, c)?;
            (((nu - qf + 1.0) / nu).max(0.0), nu - qf + 1.0)
        }
    };
    let statistic = delta * qstat / qf;
    Ok(RobustWaldTest {
        statistic,
        df1: q,
        df2,
        p: (df2 > 0.0).then(|| f_upper_tail(statistic, qf, df2)),
        delta,
        btt: Vec::new(),
    })
}
