//! [`Pooler`]: the pooling models that re-fit a set of effects (any subset of it, or a
//! meta-regression on it), as the sensitivity and small-study analyses need.

use super::regression::{fit_regression, RegressionFit};
use super::{FixedModel, Pooled, RandomModel, Test};
use crate::effect::EffectSet;
use crate::error::Result;
use crate::inference::ConfidenceLevel;

/// A pooling model for inverse-variance-weighted effects: fixed effect or random effects with
/// any [`crate::Tau2Estimator`] and any [`Test`]. (Mantel-Haenszel and Peto pool 2x2 tables,
/// not effects, and are not poolers.) Leave-one-out, cumulative, influence, regression-test and
/// trim-and-fill analyses take one and re-fit the same model to subsets of the studies, as
/// metafor re-fits `rma(method = ...)` (so new tau² estimators slot in through
/// [`RandomModel::estimator`]).
///
/// ```
/// use metapool::{EffectSet, FixedModel, Pooler, RandomModel};
/// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
/// let fe: Pooler = FixedModel::default().into();
/// let re: Pooler = RandomModel::default().into();
/// assert!(fe.pool(&set)?.se < re.pool(&set)?.se);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Pooler {
    /// Inverse-variance fixed effect (metafor `method = "FE"`).
    Fixed(FixedModel),
    /// Random effects (metafor `method = "DL"`, ...).
    Random(RandomModel),
}

impl Default for Pooler {
    /// DerSimonian-Laird random effects, 95% CIs.
    fn default() -> Self {
        Pooler::Random(RandomModel::default())
    }
}

impl From<FixedModel> for Pooler {
    fn from(m: FixedModel) -> Self {
        Pooler::Fixed(m)
    }
}

impl From<RandomModel> for Pooler {
    fn from(m: RandomModel) -> Self {
        Pooler::Random(m)
    }
}

impl Pooler {
    /// Pool a set of effects with this model.
    pub fn pool(&self, set: &EffectSet) -> Result<Pooled> {
        match self {
            Pooler::Fixed(m) => m.pool(set),
            Pooler::Random(m) => m.pool(set),
        }
    }

    /// How the model tests its estimate.
    pub fn test(&self) -> Test {
        match self {
            Pooler::Fixed(m) => m.test,
            Pooler::Random(m) => m.test,
        }
    }

    /// The same model with another test.
    pub fn with_test(self, test: Test) -> Pooler {
        match self {
            Pooler::Fixed(m) => Pooler::Fixed(m.with_test(test)),
            Pooler::Random(m) => Pooler::Random(m.with_test(test)),
        }
    }

    /// Pool a subset as metafor's `leave1out`, `cumul` and `influence` re-fit it: a single
    /// study is tested with z even under a t-based test (metafor falls back to the normal
    /// distribution when `k = 1`, where t on `k - 1` df is undefined).
    pub(crate) fn pool_subset(&self, set: &EffectSet) -> Result<Pooled> {
        if set.len() == 1 && self.test().is_t() {
            self.with_test(Test::Z).pool(set)
        } else {
            self.pool(set)
        }
    }

    /// The confidence level of the model's intervals.
    pub fn level(&self) -> ConfidenceLevel {
        match self {
            Pooler::Fixed(m) => m.level,
            Pooler::Random(m) => m.level,
        }
    }

    /// Meta-regression of `y` on an intercept and the moderator `x` with this model's weights
    /// and tau² estimator.
    pub(crate) fn regress(&self, y: &[f64], v: &[f64], x: &[f64]) -> Result<RegressionFit> {
        fit_regression(self, y, v, x)
    }
}
