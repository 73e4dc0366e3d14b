//! Fitting a multilevel or multivariate model (metafor `rma.mv`).

use super::covariance::{cluster_err, ClusterProblem, SamplingCovariance};
use super::likelihood::{Blocks, Method};
use super::optimise::{maximise, start};
use super::random::{Kind, RandomEffects};
use super::result::{summarise, MultilevelFit};
use crate::error::{Error, Problem, Result};
use crate::inference::ConfidenceLevel;
use crate::pool::Test;
use crate::regression::ModelMatrix;

/// The specification of a multilevel or multivariate meta-analytic model (metafor
/// `rma.mv(yi, V, mods, random, struct, method, test)`):
///
/// ```text
/// y = X b + Z u + e,   u ~ N(0, G(theta)),   e ~ N(0, V),   V known
/// M = V + Z G Z'  (block diagonal by the outermost clusters)
/// b = (X'M^-1 X)^-1 X'M^-1 y,   Var b = (X'M^-1 X)^-1
/// theta maximises the restricted (REML) or full (ML) log-likelihood with b profiled out
/// ```
/// Tests: `z` (normal) or `t` on `k - p` df (metafor `test = "t"`); the Knapp-Hartung
/// variants do not apply to `rma.mv` and are an error.
///
/// ```
/// use metapool::multilevel::{MultilevelModel, RandomEffects, SamplingCovariance};
/// use metapool::regression::ModelMatrix;
/// // dat.konstantopoulos2011, districts 11 and 12 and 18 (3 x 4 schools)
/// let yi = [-0.18, -0.22, 0.23, -0.3, 0.13, -0.26, 0.19, 0.32, 0.45, 0.38, 0.29, 0.38];
/// let vi = [0.118, 0.118, 0.144, 0.144, 0.014, 0.014, 0.015, 0.024, 0.023, 0.043, 0.012, 0.020];
/// let district = ["11", "11", "11", "11", "12", "12", "12", "12", "18", "18", "18", "18"];
/// let school = ["1", "2", "3", "4", "1", "2", "3", "4", "1", "2", "3", "4"];
/// let re = RandomEffects::nested(&[("district", &district[..]), ("school", &school[..])])?;
/// let v = SamplingCovariance::diagonal(&vi)?;
/// let x = ModelMatrix::new(vec!["intrcpt".into()], vec![vec![1.0; 12]])?;
/// let fit = MultilevelModel::default().fit(&yi, &v, &re, &x)?;
/// assert_eq!(fit.components().len(), 2);
/// assert!(fit.components().iter().all(|c| c.estimate >= 0.0));
/// println!("{fit}");
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MultilevelModel {
    pub(crate) method: Method,
    pub(crate) test: Test,
    pub(crate) level: ConfidenceLevel,
}

impl MultilevelModel {
    /// A model fitted by `method` (REML or ML), z test, 95% intervals.
    pub fn new(method: Method) -> MultilevelModel {
        MultilevelModel {
            method,
            ..MultilevelModel::default()
        }
    }
    /// The test of the coefficients: [`Test::Z`] or [`Test::T`].
    pub fn with_test(mut self, test: Test) -> Self {
        self.test = test;
        self
    }
    /// The confidence level of the intervals.
    pub fn with_level(mut self, level: ConfidenceLevel) -> Self {
        self.level = level;
        self
    }
    /// The estimation method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// Fit the model to outcomes `y` with sampling covariance `v`, random effects `random` and
    /// model matrix `x` (all with one row per effect). Errors: lengths that differ, a
    /// non-finite outcome (naming the row), a block of `V` holding effects of two of the
    /// model's clusters (naming the cluster), a test other than z or t.
    pub fn fit(
        &self,
        y: &[f64],
        v: &SamplingCovariance,
        random: &RandomEffects,
        x: &ModelMatrix,
    ) -> Result<MultilevelFit> {
        if !matches!(self.test, Test::Z | Test::T) {
            return Err(Error::Undefined {
                what: "the Knapp-Hartung test",
                why: "rma.mv models use test z or t",
            });
        }
        let k = y.len();
        for (field, n) in [("V", v.k()), ("random", random.k()), ("mods", x.k())] {
            if n != k {
                return Err(Error::InvalidField {
                    field,
                    problem: Problem::LengthMismatch {
                        expected: k,
                        got: n,
                    },
                });
            }
        }
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidStudy {
                study: i,
                field: "estimate",
                problem: Problem::NotFinite(y[i]),
            });
        }
        check_nesting(v, random)?;
        check_block_sizes(random)?;
        let blocks = Blocks::new(y, v, random, x);
        let theta0 = start(&blocks, random)?;
        let fixed = vec![None; theta0.len()];
        let opt = maximise(&blocks, random, self.method, &theta0, &fixed)?;
        summarise(self, y, x, random, blocks, opt)
    }
}

/// The most effects one cluster of the model may hold: its marginal covariance and the
/// matrices derived from it are dense (`8 n²` bytes each, several at a time), so a larger
/// block, e.g. a fully crossed design of many effects, is an error rather than an abort when
/// memory runs out.
pub const MAX_CLUSTER_EFFECTS: usize = 5_000;

fn check_block_sizes(random: &RandomEffects) -> Result<()> {
    let mut size = vec![0usize; random.clusters()];
    for &c in &random.clusters.of {
        size[c] += 1;
    }
    match size.iter().position(|&n| n > MAX_CLUSTER_EFFECTS) {
        Some(c) => Err(cluster_err(
            &random.clusters.names[c],
            None,
            ClusterProblem::TooLarge {
                effects: size[c],
                limit: MAX_CLUSTER_EFFECTS,
            },
        )),
        None => Ok(()),
    }
}

/// Every block of `V` must lie within one cluster of the model.
fn check_nesting(v: &SamplingCovariance, random: &RandomEffects) -> Result<()> {
    let mut owner: Vec<Option<usize>> = Vec::new();
    for (i, &c) in random.clusters.of.iter().enumerate() {
        let b = v.block_of(i);
        if owner.len() <= b {
            owner.resize(b + 1, None);
        }
        match owner[b] {
            None => owner[b] = Some(c),
            Some(o) if o != c => {
                return Err(cluster_err(
                    v.block_name(b),
                    Some(i),
                    ClusterProblem::SpansClusters,
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// One estimated variance parameter of the random effects.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct VarianceComponent {
    /// metafor's name: `sigma2.1`, `tau2.2`, `rho`.
    pub name: String,
    /// The level it belongs to (`study/es`, an outcome level), empty for a correlation.
    pub level: String,
    /// The estimate (a variance, or a correlation).
    pub estimate: f64,
    /// Number of distinct groups of the level (0 for a multivariate model's parameters).
    pub groups: usize,
    /// Whether the estimate is on its boundary (a variance at 0, a correlation at -1 or 1).
    pub on_boundary: bool,
}

/// The variance components from the optimiser's parameters (variances from standard
/// deviations where HCS and UN are parameterised by them).
pub(crate) fn components(random: &RandomEffects, theta: &[f64]) -> Vec<VarianceComponent> {
    let bounds = random.bounds();
    let names = random.component_names();
    let levels = random.level_names();
    let mut out = Vec::with_capacity(theta.len());
    for (q, &t) in theta.iter().enumerate() {
        let on_boundary = t <= bounds[q].0 || t >= bounds[q].1;
        let (name, level, estimate, groups) = if q < names.len() {
            let est = if random.is_sd(q) { t * t } else { t };
            let (level, groups) = match &random.kind {
                Kind::Intercepts { group_names, .. } => (levels[q].clone(), group_names[q].len()),
                Kind::Multivariate { levels, .. } if names.len() == 1 => (levels.join(","), 0),
                Kind::Multivariate { .. } => (levels[q].clone(), 0),
            };
            (names[q].clone(), level, est, groups)
        } else {
            let r = q - names.len();
            let name = if theta.len() - names.len() == 1 {
                "rho".to_string()
            } else {
                format!("rho.{}", r + 1)
            };
            (name, String::new(), t, 0)
        };
        out.push(VarianceComponent {
            name,
            level,
            estimate,
            groups,
            on_boundary,
        });
    }
    out
}
