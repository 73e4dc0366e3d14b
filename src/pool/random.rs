//! Random-effects pooling.

use super::{assemble, fixed_core, percent, weighted_core, FixedCore, Model, Pooled, Wald};
use crate::effect::{EffectSet, EffectSize};
use crate::error::Result;
use crate::heterogeneity::{typical_variance, Heterogeneity};
use crate::inference::ConfidenceLevel;

/// How the between-study variance tau² is estimated. More estimators follow (REML, PM, ...);
/// the enum is `#[non_exhaustive]` so adding them is not a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Tau2Estimator {
    /// DerSimonian & Laird (1986) method of moments, RevMan's:
    /// ```text
    /// tau^2 = max(0, (Q - (k - 1)) / (sum w - sum w^2 / sum w)),  w = 1/v
    /// ```
    #[default]
    DerSimonianLaird,
}

impl Tau2Estimator {
    /// tau² from the fixed-effect summary.
    pub(crate) fn estimate(self, core: &FixedCore) -> f64 {
        match self {
            Tau2Estimator::DerSimonianLaird => dersimonian_laird(core),
        }
    }
}

#[inline(always)]
pub(crate) fn dersimonian_laird(core: &FixedCore) -> f64 {
    if core.k < 2 {
        return 0.0;
    }
    let df = (core.k - 1) as f64;
    let c = core.sum_w * (1.0 - core.share2);
    if core.q > df && c > 0.0 {
        (core.q - df) / c
    } else {
        0.0
    }
}

/// Random-effects model: inverse-variance pooling with weights `1 / (v_i + tau^2)`.
///
/// ```text
/// w*_i = 1 / (v_i + tau^2)
/// mu   = sum w*_i y_i / sum w*_i,   se = 1 / sqrt(sum w*_i)
/// CI   = mu -/+ z se,  z = mu / se,  p = 2 (1 - Phi(|z|))
/// ```
/// Q, its p and I² are reported as in [`Heterogeneity`]. Source: DerSimonian & Laird (1986);
/// RevMan 5 statistical algorithms; metafor `rma(method = "DL")`.
///
/// ```
/// use metapool::{EffectSet, RandomModel};
/// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
/// let fit = RandomModel::default().pool(&set)?;
/// assert!(fit.heterogeneity.tau2 > 0.0);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RandomModel {
    /// tau² estimator.
    pub estimator: Tau2Estimator,
    /// Confidence level of the interval.
    pub level: ConfidenceLevel,
}

impl RandomModel {
    /// A random-effects model.
    pub fn new(estimator: Tau2Estimator, level: ConfidenceLevel) -> Self {
        RandomModel { estimator, level }
    }

    /// Pool a set of effects.
    pub fn pool(&self, set: &EffectSet) -> Result<Pooled> {
        let e = set.effects();
        let core = fixed_core(e.len(), |i| e[i].estimate(), |i| e[i].variance())?;
        let tau2 = self.estimator.estimate(&core);
        self.pool_with_tau2(set, &core, tau2)
    }

    /// Compute each study's effect and pool them.
    pub fn pool_studies<E: EffectSize>(&self, studies: &[E]) -> Result<Pooled> {
        self.pool(&EffectSet::from_studies(studies)?)
    }

    pub(crate) fn pool_with_tau2(
        &self,
        set: &EffectSet,
        core: &FixedCore,
        tau2: f64,
    ) -> Result<Pooled> {
        let e = set.effects();
        let (sum_w, estimate) =
            weighted_core(e.len(), |i| e[i].estimate(), |i| e[i].variance(), tau2);
        let wald = Wald::new(estimate, (1.0 / sum_w).sqrt(), &self.level);
        let weights = percent(e.iter().map(|x| 1.0 / (x.variance() + tau2)), sum_w);
        let df = core.k - 1;
        let s2 = typical_variance(df, core.sum_w, core.share2);
        assemble(
            Model::Random(self.estimator),
            set,
            wald,
            &self.level,
            weights,
            Heterogeneity::random(core.q, df, tau2, s2),
        )
    }
}
