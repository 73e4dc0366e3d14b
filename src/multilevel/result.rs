//! A fitted multilevel or multivariate model and the statistics metafor prints for it.

use super::fit::{components, MultilevelModel, VarianceComponent};
use super::likelihood::{Blocks, Evaluation, Method};
use super::optimise::{Optimum, VarianceStop};
use super::random::{Kind, RandomEffects};
use crate::error::{Error, Result};
use crate::inference::{chi_square_upper_tail, t_upper_quantile};
use crate::pool::Test;
use crate::regression::result::wald_test;
use crate::regression::{Coefficient, FitStatistics, ModelMatrix, ModeratorTest};
use nalgebra::{DMatrix, DVector};

/// The test of residual heterogeneity (metafor's `QE` for `rma.mv`): the weighted residual
/// sum of squares of the model without random effects, with weights `V^-1`.
/// ```text
/// QE = (y - X b_V)' V^-1 (y - X b_V),  b_V = (X'V^-1 X)^-1 X'V^-1 y,  chi-square on k - p df
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ResidualTest {
    /// `QE`.
    pub qe: f64,
    /// `k - p`.
    pub df: usize,
    /// `P(chi2(k - p) >= QE)`.
    pub p: f64,
}

/// The multilevel I² (metafor FAQ "I² for multilevel and multivariate models", after
/// Nakagawa & Santos 2012), for nested models:
/// ```text
/// W = diag(1 / v_i),  P = W - W X (X'WX)^-1 X'W,  v~ = (k - p) / tr(P)   (typical sampling variance)
/// I²_l = 100 sigma2_l / (sum_l sigma2_l + v~),   I² = sum_l I²_l
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MultilevelI2 {
    /// I² per level (percent), in the order of the variance components.
    pub levels: Vec<f64>,
    /// Total I² (percent).
    pub total: f64,
    /// The typical sampling variance `v~`.
    pub typical_variance: f64,
}

/// A fitted multilevel or multivariate model (metafor `rma.mv`).
#[derive(Debug, Clone)]
pub struct MultilevelFit {
    pub(crate) spec: MultilevelModel,
    pub(crate) random: RandomEffects,
    pub(crate) x: ModelMatrix,
    pub(crate) y: Vec<f64>,
    pub(crate) blocks: Blocks,
    pub(crate) theta: Vec<f64>,
    pub(crate) eval: Evaluation,
    pub(crate) stop: VarianceStop,
    pub(crate) components: Vec<VarianceComponent>,
    pub(crate) coefficients: Vec<Coefficient>,
    pub(crate) moderators: ModeratorTest,
    pub(crate) residual: ResidualTest,
    pub(crate) ml: FitStatistics,
    pub(crate) reml: FitStatistics,
    pub(crate) i2: Option<MultilevelI2>,
    pub(crate) g: Option<DMatrix<f64>>,
    /// `(cluster, position in its block)` of every row.
    pub(crate) row_block: Vec<(usize, usize)>,
}

pub(crate) fn summarise(
    spec: &MultilevelModel,
    y: &[f64],
    x: &ModelMatrix,
    random: &RandomEffects,
    blocks: Blocks,
    opt: Optimum,
) -> Result<MultilevelFit> {
    let (k, p) = (blocks.k, blocks.p);
    let df = k - p;
    let crit = critical(spec, df);
    let coefficients = (0..p)
        .map(|j| {
            let (b, se) = (opt.eval.beta[j], opt.eval.a[(j, j)].sqrt());
            Coefficient::wald(&x.names()[j], b, se, spec.test, df, crit)
        })
        .collect();
    let btt: Vec<usize> = if x.has_intercept() && p > 1 {
        (1..p).collect()
    } else if x.has_intercept() {
        vec![0]
    } else {
        (0..p).collect()
    };
    let vcov: Vec<f64> = opt.eval.a.iter().copied().collect();
    let beta: Vec<f64> = opt.eval.beta.iter().copied().collect();
    let moderators = wald_test(&beta, &vcov, p, &btt, spec.test, df)?;
    let zero = vec![0.0; opt.theta.len()];
    let fe = blocks.evaluate(random, &zero).ok_or(Error::NonFinite {
        what: "the fit with the sampling covariance V alone (QE)",
    })?;
    let residual = ResidualTest {
        qe: fe.rss,
        df,
        p: chi_square_upper_tail(fe.rss, df as f64),
    };
    let parms = (p + opt.theta.len()) as f64;
    let ll_qe = -0.5 * k as f64 * (2.0 * std::f64::consts::PI).ln() - 0.5 * fe.log_det_m;
    let stats = |ll: f64, dev: f64, n: f64| FitStatistics::from_loglik(ll, dev, parms, n);
    let ml = stats(opt.eval.ll_ml, -2.0 * (opt.eval.ll_ml - ll_qe), k as f64);
    let reml = stats(opt.eval.ll_reml, -2.0 * opt.eval.ll_reml, df as f64);
    let components = components(random, &opt.theta);
    let i2 = match random.kind {
        Kind::Intercepts { .. } => Some(multilevel_i2(&blocks, &components)?),
        Kind::Multivariate { .. } => None,
    };
    let g = match random.kind {
        Kind::Multivariate { .. } => Some(random.outcome_covariance(&opt.theta).0),
        Kind::Intercepts { .. } => None,
    };
    let mut row_block = vec![(0, 0); k];
    for (j, b) in blocks.blocks.iter().enumerate() {
        for (a, &i) in b.rows.iter().enumerate() {
            row_block[i] = (j, a);
        }
    }
    Ok(MultilevelFit {
        row_block,
        spec: *spec,
        random: random.clone(),
        x: x.clone(),
        y: y.to_vec(),
        blocks,
        theta: opt.theta,
        eval: opt.eval,
        stop: opt.stop,
        components,
        coefficients,
        moderators,
        residual,
        ml,
        reml,
        i2,
        g,
    })
}

/// The critical value of the intervals: `z_(1-alpha/2)` or `t_(k-p, 1-alpha/2)`.
pub(crate) fn critical(spec: &MultilevelModel, df: usize) -> f64 {
    if spec.test == Test::T {
        t_upper_quantile((1.0 - spec.level.level()) / 2.0, df as f64)
    } else {
        spec.level.z()
    }
}

fn multilevel_i2(blocks: &Blocks, comps: &[VarianceComponent]) -> Result<MultilevelI2> {
    let p = blocks.p;
    let mut xwx = DMatrix::zeros(p, p);
    let mut xw2x = DMatrix::zeros(p, p);
    let mut trw = 0.0;
    for b in &blocks.blocks {
        for a in 0..b.rows.len() {
            let w = 1.0 / b.v[(a, a)];
            let xa = b.x.row(a).transpose();
            xwx += &xa * xa.transpose() * w;
            xw2x += &xa * xa.transpose() * (w * w);
            trw += w;
        }
    }
    let inv = xwx.cholesky().ok_or(Error::NonFinite {
        what: "the multilevel I² (X'WX is singular)",
    })?;
    let tr_p = trw - (inv.inverse() * xw2x).trace();
    let typical = (blocks.k - p) as f64 / tr_p;
    let sum: f64 = comps.iter().map(|c| c.estimate).sum();
    let levels: Vec<f64> = comps
        .iter()
        .map(|c| 100.0 * c.estimate / (sum + typical))
        .collect();
    Ok(MultilevelI2 {
        total: levels.iter().sum(),
        levels,
        typical_variance: typical,
    })
}

impl MultilevelFit {
    /// The estimation method.
    pub fn method(&self) -> Method {
        self.spec.method
    }
    /// The test of the coefficients.
    pub fn test(&self) -> Test {
        self.spec.test
    }
    /// The model's specification.
    pub fn specification(&self) -> &MultilevelModel {
        &self.spec
    }
    /// Number of effects.
    pub fn k(&self) -> usize {
        self.blocks.k
    }
    /// Number of coefficients.
    pub fn p(&self) -> usize {
        self.blocks.p
    }
    /// Number of clusters of the outermost random level.
    pub fn clusters(&self) -> usize {
        self.blocks.blocks.len()
    }
    /// The random-effect structure.
    pub fn random_effects(&self) -> &RandomEffects {
        &self.random
    }
    /// The estimated variance parameters: `sigma2.l` per nested level, or `tau2` / `tau2.i`
    /// and `rho` / `rho.i` of a multivariate model (metafor's order).
    pub fn components(&self) -> &[VarianceComponent] {
        &self.components
    }
    /// The variance components of the nested levels (metafor `sigma2`); empty for a
    /// multivariate model.
    pub fn sigma2(&self) -> Vec<f64> {
        self.by_prefix("sigma2")
    }
    /// The outcome variances of a multivariate model (metafor `tau2`); empty for nested ones.
    pub fn tau2(&self) -> Vec<f64> {
        self.by_prefix("tau2")
    }
    /// The correlations of a multivariate model (metafor `rho`); empty for nested ones.
    pub fn rho(&self) -> Vec<f64> {
        self.by_prefix("rho")
    }
    fn by_prefix(&self, prefix: &str) -> Vec<f64> {
        self.components
            .iter()
            .filter(|c| c.name.starts_with(prefix))
            .map(|c| c.estimate)
            .collect()
    }
    /// The covariance matrix `G` of the outcome random effects (multivariate models).
    pub fn outcome_covariance(&self) -> Option<&DMatrix<f64>> {
        self.g.as_ref()
    }
    /// How the optimiser stopped.
    pub fn stop(&self) -> VarianceStop {
        self.stop
    }
    /// The coefficients with SE, z or t, p and CI.
    pub fn coefficients(&self) -> &[Coefficient] {
        &self.coefficients
    }
    /// `Var b = (X'M^-1 X)^-1`.
    pub fn vcov(&self) -> &DMatrix<f64> {
        &self.eval.a
    }
    /// The coefficient estimates.
    pub fn beta(&self) -> &DVector<f64> {
        &self.eval.beta
    }
    /// The omnibus test of the moderators (metafor `QM`; all coefficients but the intercept).
    pub fn moderator_test(&self) -> &ModeratorTest {
        &self.moderators
    }
    /// The test of residual heterogeneity (metafor `QE`).
    pub fn residual_test(&self) -> ResidualTest {
        self.residual
    }
    /// Fit statistics under the maximum likelihood.
    pub fn fit_statistics_ml(&self) -> FitStatistics {
        self.ml
    }
    /// Fit statistics under the restricted likelihood.
    pub fn fit_statistics_reml(&self) -> FitStatistics {
        self.reml
    }
    /// Fit statistics of the fitted method (what metafor prints).
    pub fn fit_statistics(&self) -> FitStatistics {
        match self.spec.method {
            Method::RestrictedMaximumLikelihood => self.reml,
            Method::MaximumLikelihood => self.ml,
        }
    }
    /// The multilevel I² (nested models).
    pub fn i2(&self) -> Option<&MultilevelI2> {
        self.i2.as_ref()
    }
    /// The model matrix.
    pub fn model_matrix(&self) -> &ModelMatrix {
        &self.x
    }
    /// The outcomes.
    pub fn outcomes(&self) -> &[f64] {
        &self.y
    }
    /// The log-likelihood of the fitted method (REML or ML, b profiled out) at other values
    /// of the variance parameters, given as [`components`](Self::components) reports them
    /// (variances and correlations); `None` when they are out of their bounds or the marginal
    /// covariance is not positive definite there.
    ///
    /// ```
    /// # use metapool::multilevel::{MultilevelModel, RandomEffects, SamplingCovariance};
    /// # use metapool::regression::ModelMatrix;
    /// # let y = [0.1, 0.3, 0.2, 0.5, 0.4, 0.0, 0.6, 0.2];
    /// # let cl = ["a", "a", "b", "b", "c", "c", "d", "d"];
    /// # let es = ["1", "2", "1", "2", "1", "2", "1", "2"];
    /// # let re = RandomEffects::nested(&[("cl", &cl[..]), ("es", &es[..])])?;
    /// # let v = SamplingCovariance::diagonal(&[0.01; 8])?;
    /// # let x = ModelMatrix::new(vec!["intrcpt".into()], vec![vec![1.0; 8]])?;
    /// let fit = MultilevelModel::default().fit(&y, &v, &re, &x)?;
    /// let best = fit.fit_statistics().loglik;
    /// assert!(fit.log_likelihood_at(&[0.05, 0.01]).unwrap() <= best);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn log_likelihood_at(&self, values: &[f64]) -> Option<f64> {
        if values.len() != self.theta.len() {
            return None;
        }
        let bounds = self.random.bounds();
        let mut theta = Vec::with_capacity(values.len());
        for (q, &v) in values.iter().enumerate() {
            if !(v >= bounds[q].0 && v <= bounds[q].1) {
                return None;
            }
            theta.push(if self.random.is_sd(q) { v.sqrt() } else { v });
        }
        let e = self.blocks.evaluate(&self.random, &theta)?;
        Some(super::optimise::log_lik(&e, self.spec.method))
    }
}
