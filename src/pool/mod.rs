//! Pooling models: fixed effect (inverse variance, Mantel-Haenszel), random effects, and the
//! Q-test model-selection rule. Every model produces a [`Pooled`].

mod core;
mod fixed;
mod generalized;
mod pooler;
mod random;
mod regression;
mod rule;
mod subgroup;
pub mod tau2;
mod test;

#[allow(unused_imports)]
pub(crate) use self::core::{
    check_study, fixed_core, fixed_core_of, weighted_core, weighted_core_of, FixedCore, Slice,
};
pub use fixed::{FixedModel, MantelHaenszel, Peto};
pub use generalized::GeneralizedQModel;
pub use pooler::Pooler;
pub use random::{RandomModel, Tau2Estimator};
pub(crate) use regression::weighted_least_squares;
pub use rule::{ModelChoice, ModelRule, Selection};
pub use subgroup::{Subgroup, SubgroupAnalysis, SubgroupModel, Subgroups};
pub use tau2::{BoundStatus, HeterogeneityIntervals, Tau2Control, Tau2Fit, Tau2Stop};
pub use test::{PredictionKind, Test};

use crate::effect::{EffectSet, Exclusion, Scale};
use crate::error::{Error, Result};
use crate::heterogeneity::Heterogeneity;
use crate::inference::{normal_two_sided_p, ConfidenceLevel};

/// Which fixed-effect method produced a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum FixedMethod {
    /// Inverse-variance weights `1/v_i`.
    #[default]
    InverseVariance,
    /// Mantel-Haenszel: odds ratio with the Robins-Breslow-Greenland variance, risk ratio and
    /// risk difference with the Greenland-Robins variances (see [`MantelHaenszel`]).
    MantelHaenszel,
    /// Peto's one-step odds ratio (see [`Peto`]).
    Peto,
}

/// The model behind a pooled result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Model {
    /// A fixed-effect (common-effect) model.
    Fixed(FixedMethod),
    /// A random-effects model with the given tau² estimator.
    Random(Tau2Estimator),
}

/// A pooled result: the figures RevMan and metafor print for one analysis.
///
/// All numbers are on the analysis scale (log scale for ratios); [`Pooled::display`] gives the
/// back-transformed estimate and CI. Every number is finite: a computation that would produce a
/// NaN or an infinity returns [`Error::NonFinite`] instead.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Pooled {
    /// The model.
    pub model: Model,
    /// Number of studies used.
    pub k: usize,
    /// Pooled estimate.
    pub estimate: f64,
    /// Its standard error.
    pub se: f64,
    /// Lower confidence bound.
    pub ci_lower: f64,
    /// Upper confidence bound.
    pub ci_upper: f64,
    /// Wald statistic `estimate / se`.
    pub z: f64,
    /// Two-sided p-value of `z`.
    pub p: f64,
    /// The confidence level of the interval.
    pub level: f64,
    /// The analysis scale.
    pub scale: Scale,
    /// Per-study weights in percent (summing to 100), in the order of `included`.
    pub weights: Vec<f64>,
    /// Heterogeneity statistics.
    pub heterogeneity: Heterogeneity,
    /// Input positions of the studies used.
    pub included: Vec<usize>,
    /// Input positions of studies left out, with the reason.
    pub excluded: Vec<(usize, Exclusion)>,
    /// The test behind `z`, `p` and the CI (for t-based tests `z` holds the t statistic).
    #[cfg_attr(feature = "serde", serde(default))]
    pub test: Test,
    /// Degrees of freedom of the t distribution for t-based tests (`k - 1`), else `None`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub df: Option<usize>,
    /// The tau² estimate with its standard error and convergence report (random effects).
    #[cfg_attr(feature = "serde", serde(default))]
    pub tau2_fit: Option<Tau2Fit>,
}

/// A point estimate with its confidence interval, on one scale.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Interval {
    /// Point estimate.
    pub estimate: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

impl Pooled {
    /// The estimate and CI on the display scale: back-transformed (`exp`) for ratio measures,
    /// unchanged otherwise.
    pub fn display(&self) -> Interval {
        Interval {
            estimate: self.scale.to_display(self.estimate),
            lower: self.scale.to_display(self.ci_lower),
            upper: self.scale.to_display(self.ci_upper),
        }
    }

    /// Whether this is a random-effects result.
    pub fn is_random(&self) -> bool {
        matches!(self.model, Model::Random(_))
    }
}

/// The Wald part of a result: `z = mu / se`, `p = 2 (1 - Phi(|z|))`, `CI = mu -/+ z_crit se`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Wald {
    pub estimate: f64,
    pub se: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub z: f64,
    pub p: f64,
}

impl Wald {
    #[inline]
    pub(crate) fn new(estimate: f64, se: f64, level: &ConfidenceLevel) -> Wald {
        let half = level.z() * se;
        let z = estimate / se;
        Wald {
            estimate,
            se,
            ci_lower: estimate - half,
            ci_upper: estimate + half,
            z,
            p: normal_two_sided_p(z),
        }
    }

    pub(crate) fn check_finite(&self) -> Result<()> {
        for (what, x) in [
            ("pooled estimate", self.estimate),
            ("standard error", self.se),
            ("confidence interval", self.ci_lower),
            ("confidence interval", self.ci_upper),
            ("z statistic", self.z),
            ("p-value", self.p),
        ] {
            if !x.is_finite() {
                return Err(Error::NonFinite { what });
            }
        }
        Ok(())
    }
}

pub(crate) fn check_heterogeneity(h: &Heterogeneity) -> Result<()> {
    for (what, x) in [
        ("Q", h.q),
        ("I2", h.i2),
        ("H2", h.h2),
        ("tau2", h.tau2),
        ("Q p-value", h.q_p.unwrap_or(0.0)),
    ] {
        if !x.is_finite() {
            return Err(Error::NonFinite { what });
        }
    }
    Ok(())
}

/// Weights in percent from raw weights.
pub(crate) fn percent(weights: impl Iterator<Item = f64>, total: f64) -> Vec<f64> {
    // share first: 100 w overflows for weights above 1.8e306 (variances below 5e-307)
    weights.map(|w| 100.0 * (w / total)).collect()
}

pub(crate) fn assemble(
    model: Model,
    set: &EffectSet,
    wald: Wald,
    level: &ConfidenceLevel,
    weights: Vec<f64>,
    heterogeneity: Heterogeneity,
) -> Result<Pooled> {
    assemble_parts(
        model,
        Studies {
            scale: set.scale(),
            included: set.included().to_vec(),
            excluded: set.excluded().to_vec(),
        },
        wald,
        level,
        weights,
        heterogeneity,
    )
}

/// Which studies a result used, for models that do not pool an [`EffectSet`] (Mantel-Haenszel,
/// Peto).
pub(crate) struct Studies {
    pub scale: Scale,
    pub included: Vec<usize>,
    pub excluded: Vec<(usize, Exclusion)>,
}

pub(crate) fn assemble_parts(
    model: Model,
    studies: Studies,
    wald: Wald,
    level: &ConfidenceLevel,
    weights: Vec<f64>,
    heterogeneity: Heterogeneity,
) -> Result<Pooled> {
    wald.check_finite()?;
    check_heterogeneity(&heterogeneity)?;
    if weights.iter().any(|w| !w.is_finite()) {
        return Err(Error::NonFinite { what: "weights" });
    }
    Ok(Pooled {
        model,
        k: studies.included.len(),
        estimate: wald.estimate,
        se: wald.se,
        ci_lower: wald.ci_lower,
        ci_upper: wald.ci_upper,
        z: wald.z,
        p: wald.p,
        level: level.level(),
        scale: studies.scale,
        weights,
        heterogeneity,
        included: studies.included,
        excluded: studies.excluded,
        test: Test::Z,
        df: None,
        tau2_fit: None,
    })
}
