//! The model-selection rule RevMan users apply: random effects when Cochran's Q test is
//! significant at `alpha` (default 0.10), fixed effect otherwise.

use super::{FixedModel, MantelHaenszel, Pooled, RandomModel, Tau2Estimator};
use crate::effect::{EffectSet, LogOddsRatio};
use crate::error::{open_unit, Result};
use crate::inference::ConfidenceLevel;

/// Which model the rule chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ModelChoice {
    /// The fixed-effect fit.
    Fixed,
    /// The random-effects fit.
    Random,
}

/// The rule: pick random effects when `p(Q) < alpha` (strict), fixed otherwise; with one study
/// (no heterogeneity test possible) pick fixed.
///
/// Source: Zhou et al. (2020), Methods 2.4, and common practice with RevMan: "a random-effects
/// model was used when the heterogeneity test gave P < 0.1, otherwise a fixed-effect model".
///
/// ```
/// use metapool::{EffectSet, ModelChoice, ModelRule};
/// let rule = ModelRule::default();
/// assert_eq!(rule.decide(Some(0.06)), ModelChoice::Random);
/// assert_eq!(rule.decide(Some(0.10)), ModelChoice::Fixed); // strict inequality
/// assert_eq!(rule.decide(None), ModelChoice::Fixed);        // one study
///
/// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
/// let sel = rule.select(&set)?;
/// assert_eq!(sel.choice, ModelChoice::Random);
/// assert!(sel.selected().is_random());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "RawModelRule"))]
pub struct ModelRule {
    alpha: f64,
    /// The fixed-effect model fitted to every analysis.
    pub fixed: FixedModel,
    /// The random-effects model fitted to every analysis.
    pub random: RandomModel,
}

/// The serialized form of a [`ModelRule`], validated on the way in (alpha inside (0, 1)).
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawModelRule {
    alpha: f64,
    fixed: FixedModel,
    random: RandomModel,
}

#[cfg(feature = "serde")]
impl TryFrom<RawModelRule> for ModelRule {
    type Error = crate::Error;
    fn try_from(raw: RawModelRule) -> Result<Self> {
        Ok(ModelRule {
            alpha: open_unit("alpha", raw.alpha)?,
            fixed: raw.fixed,
            random: raw.random,
        })
    }
}

impl Default for ModelRule {
    /// alpha = 0.10, inverse-variance fixed effect, DerSimonian-Laird random effects, 95% CIs.
    fn default() -> Self {
        ModelRule {
            alpha: 0.10,
            fixed: FixedModel::default(),
            random: RandomModel::default(),
        }
    }
}

/// The outcome of the rule: both fits, the Q-test p that decided, and the choice.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Selection {
    /// The model chosen.
    pub choice: ModelChoice,
    /// The Q-test p-value that decided (`None`: one study, no test was possible).
    pub q_p: Option<f64>,
    /// The threshold used.
    pub alpha: f64,
    /// The fixed-effect fit.
    pub fixed: Pooled,
    /// The random-effects fit.
    pub random: Pooled,
}

impl Selection {
    /// The fit of the chosen model.
    pub fn selected(&self) -> &Pooled {
        match self.choice {
            ModelChoice::Fixed => &self.fixed,
            ModelChoice::Random => &self.random,
        }
    }

    /// Whether no heterogeneity test was possible (one study).
    pub fn no_heterogeneity_test(&self) -> bool {
        self.q_p.is_none()
    }
}

impl ModelRule {
    /// The rule at significance level `alpha` (strictly inside (0, 1)), with 95% CIs.
    pub fn new(alpha: f64) -> Result<Self> {
        Ok(ModelRule {
            alpha: open_unit("alpha", alpha)?,
            ..ModelRule::default()
        })
    }

    /// The same rule with another confidence level for both fits.
    pub fn with_level(mut self, level: ConfidenceLevel) -> Self {
        self.fixed.level = level;
        self.random.level = level;
        self
    }

    /// The threshold.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The choice for a Q-test p-value (`None` when no test was possible).
    pub fn decide(&self, q_p: Option<f64>) -> ModelChoice {
        match q_p {
            Some(p) if p < self.alpha => ModelChoice::Random,
            _ => ModelChoice::Fixed,
        }
    }

    /// Fit both models to a set of effects (inverse variance and the random model) and choose.
    pub fn select(&self, set: &EffectSet) -> Result<Selection> {
        let fixed = self.fixed.pool(set)?;
        let random = self.random.pool(set)?;
        Ok(self.choose(fixed, random))
    }

    /// Fit both models to 2x2 tables the way RevMan 5 does for odds ratios ("M-H, Fixed" and
    /// "M-H, Random"): the Mantel-Haenszel fixed effect, whose Q (centred on the MH estimate)
    /// decides; and the random model on the per-study log odds ratios with tau² estimated from
    /// that same MH-centred Q:
    /// ```text
    /// Q_MH  = sum w_i (y_i - ln OR_MH)^2,  w_i = 1/v_i
    /// tau^2 = max(0, (Q_MH - (k - 1)) / (sum w - sum w^2 / sum w))     (DerSimonian-Laird)
    /// ```
    /// Source: Deeks & Higgins (2010), Statistical algorithms in Review Manager 5; R `meta`'s
    /// `Q.Cochrane = TRUE`; Stata `metan` ("the estimate of heterogeneity being taken from the
    /// Mantel-Haenszel model"). metafor's `rma(method = "DL")` on the same log odds ratios
    /// centres Q on the inverse-variance estimate instead; the two differ in the last digits.
    /// With another tau² estimator than DerSimonian-Laird the random model is fitted to the log
    /// odds ratios as [`RandomModel::pool`] does (those estimators have no MH-centred form).
    pub fn select_tables(&self, tables: &[LogOddsRatio]) -> Result<Selection> {
        let fixed = MantelHaenszel::new(self.fixed.level).pool(tables)?;
        let random = if self.random.estimator == Tau2Estimator::DerSimonianLaird {
            self.random.pool_mantel_haenszel_q(tables)?
        } else {
            // other estimators have no MH-centred form: fitted on the log odds ratios as usual
            self.random.pool(&EffectSet::from_studies(tables)?)?
        };
        Ok(self.choose(fixed, random))
    }

    /// Choose between two fits already made, by the fixed fit's Q-test p.
    pub fn choose(&self, fixed: Pooled, random: Pooled) -> Selection {
        let q_p = fixed.heterogeneity.q_p;
        Selection {
            choice: self.decide(q_p),
            q_p,
            alpha: self.alpha,
            fixed,
            random,
        }
    }
}
