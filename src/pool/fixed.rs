//! Fixed-effect (common-effect) pooling: inverse variance for any effect size; the
//! Mantel-Haenszel and Peto methods for 2x2 tables through the same [`FixedModel`].

use super::mantel_haenszel::mantel_haenszel;
use super::peto::peto;
use super::test::Test;
use super::{fixed_core, test_for, FixedMethod, Model, Parts, Pooled, Wald};
use crate::effect::{EffectSet, EffectSize, TwoByTwo};
use crate::error::{Error, Result};
use crate::heterogeneity::Heterogeneity;
use crate::inference::ConfidenceLevel;

/// Inverse-variance fixed-effect model.
///
/// ```text
/// w_i = 1 / v_i
/// mu  = sum w_i y_i / sum w_i,   se = 1 / sqrt(sum w_i)
/// CI  = mu -/+ z_(1-alpha/2) se, z = mu / se, p = 2 (1 - Phi(|z|))
/// Q   = sum w_i (y_i - mu)^2 on k - 1 df
/// ```
/// Source: RevMan 5 statistical algorithms (inverse-variance method); metafor
/// `rma(method = "FE")`.
///
/// ```
/// use metapool::{EffectSet, FixedModel};
/// let set = EffectSet::from_estimates(&[0.2, 0.4], &[0.04, 0.04])?;
/// let fit = FixedModel::default().pool(&set)?;
/// assert!((fit.estimate - 0.3).abs() < 1e-15);
/// assert!((fit.se - 0.02f64.sqrt()).abs() < 1e-15);
/// assert_eq!(fit.weights(), vec![50.0, 50.0]);
/// # Ok::<(), metapool::Error>(())
/// ```
///
/// The same type fits the Mantel-Haenszel and Peto methods to an [`EffectSet`] that carries
/// its 2x2 tables (see [`FixedMethod`]; a set without tables is an
/// [`Error::MissingTables`]):
///
/// ```
/// use metapool::prelude::*;
/// let tables = [TwoByTwo::from_cells(4, 16, 8, 12)?, TwoByTwo::from_cells(1, 29, 5, 25)?];
/// let set = EffectSet::from_studies(&tables.map(LogOddsRatio::new))?;
/// let mh = FixedModel::mantel_haenszel().pool(&set)?;
/// let peto = FixedModel::peto().pool(&set)?;
/// assert!(mh.display().estimate < 1.0 && peto.display().estimate < 1.0);
/// let plain = EffectSet::from_estimates(&[0.1, 0.2], &[0.01, 0.02])?;
/// assert!(matches!(FixedModel::peto().pool(&plain), Err(Error::MissingTables { .. })));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FixedModel {
    /// Confidence level of the interval.
    pub level: ConfidenceLevel,
    /// How the estimate is tested (z by default). metafor allows the Knapp-Hartung tests for
    /// inverse-variance fixed-effect models (with a warning that they are not meant for them);
    /// the scale factor is then `Q / (k - 1)`. Mantel-Haenszel and Peto fits are tested with z
    /// only (a t-based test is an [`Error::Undefined`]).
    #[cfg_attr(feature = "serde", serde(default))]
    pub test: Test,
    /// The method: inverse variance (default), Mantel-Haenszel or Peto.
    #[cfg_attr(feature = "serde", serde(default))]
    pub method: FixedMethod,
}

impl FixedModel {
    /// An inverse-variance fixed-effect model with the given confidence level and the z test.
    pub fn new(level: ConfidenceLevel) -> Self {
        FixedModel {
            level,
            test: Test::Z,
            method: FixedMethod::InverseVariance,
        }
    }

    /// The Mantel-Haenszel model (95% CI, z test): odds ratio, risk ratio or risk difference
    /// as the set's tables were analysed ([`EffectSet::measure`]); see [`MantelHaenszel`](crate::pool::MantelHaenszel).
    pub fn mantel_haenszel() -> Self {
        FixedModel::default().with_method(FixedMethod::MantelHaenszel)
    }

    /// Peto's odds ratio model (95% CI, z test); see [`Peto`](crate::pool::Peto).
    pub fn peto() -> Self {
        FixedModel::default().with_method(FixedMethod::Peto)
    }

    /// The same model with another test.
    pub fn with_test(mut self, test: Test) -> Self {
        self.test = test;
        self
    }

    /// The same model with another confidence level.
    pub fn with_level(mut self, level: ConfidenceLevel) -> Self {
        self.level = level;
        self
    }

    /// The same model with another method.
    pub fn with_method(mut self, method: FixedMethod) -> Self {
        self.method = method;
        self
    }

    /// Pool a set of effects. Mantel-Haenszel and Peto pool the set's 2x2 tables
    /// ([`Error::MissingTables`] for a set without them).
    pub fn pool(&self, set: &EffectSet) -> Result<Pooled> {
        match self.method {
            FixedMethod::InverseVariance => self.pool_inverse_variance(set),
            FixedMethod::MantelHaenszel | FixedMethod::Peto if self.test.is_t() => {
                Err(Error::Undefined {
                    what: "a t-based test of a Mantel-Haenszel or Peto fit",
                    why: "these methods are tested with z (RevMan, metafor rma.mh and rma.peto)",
                })
            }
            FixedMethod::MantelHaenszel => mantel_haenszel(set, &self.level),
            FixedMethod::Peto => peto(set, &self.level),
        }
    }

    fn pool_inverse_variance(&self, set: &EffectSet) -> Result<Pooled> {
        let e = set.effects();
        let core = fixed_core(e.len(), |i| e[i].estimate(), |i| e[i].variance())?;
        let (test, notes) = test_for(self.test, core.k);
        let wald = match test {
            Test::Z => Wald::new(core.estimate, (1.0 / core.sum_w).sqrt(), &self.level),
            test => test.wald(core.estimate, core.sum_w, core.q, core.k, &self.level)?,
        };
        let mut parts = Parts::of_set(
            Model::Fixed(FixedMethod::InverseVariance),
            set,
            wald,
            &self.level,
            e.iter().map(|x| 1.0 / x.variance()),
            core.sum_w,
            Heterogeneity::fixed(core.q, core.k - 1),
        );
        parts.test = test;
        parts.df = test.is_t().then_some(core.k - 1);
        parts.notes = notes;
        parts.build()
    }

    /// Compute each study's effect and pool them.
    pub fn pool_studies<E: EffectSize>(&self, studies: &[E]) -> Result<Pooled> {
        self.pool(&EffectSet::from_studies(studies)?)
    }
}

/// The set's tables, or the error naming `method`.
pub(crate) fn tables_of<'a>(set: &'a EffectSet, method: &'static str) -> Result<&'a [TwoByTwo]> {
    set.tables().ok_or(Error::MissingTables {
        method,
        why: "none (build it from 2x2-table effect sizes such as LogOddsRatio)",
    })
}
