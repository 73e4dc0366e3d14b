//! The model-selection rule RevMan users apply: random effects when Cochran's Q test is
//! significant at `alpha` (default 0.10), fixed effect otherwise.

use super::{FixedMethod, FixedModel, Pooled, RandomModel, Tau2Estimator};
use crate::effect::{EffectSet, LogOddsRatio};
use crate::error::{open_unit, Result};
use crate::inference::ConfidenceLevel;

/// Which model the rule chose.
///
/// ```
/// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
/// # use metapool::prelude::*;
/// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
/// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
/// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
/// #     (27, 16886, 29, 17825)]
/// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
/// # let set = EffectSet::from_studies(&bcg)?;
/// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
/// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
/// // dat.bcg: Q(df = 12) = 152.23, p < .0001 < 0.10, so the rule picks random effects
/// let sel = ModelRule::default().select(&set)?;
/// assert_eq!(sel.choice, ModelChoice::Random);
/// # Ok::<(), metapool::Error>(())
/// ```
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
/// use metapool::{effect::EffectSet, pool::ModelChoice, pool::ModelRule};
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
///
/// ```
/// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
/// # use metapool::prelude::*;
/// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
/// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
/// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
/// #     (27, 16886, 29, 17825)]
/// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
/// # let set = EffectSet::from_studies(&bcg)?;
/// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
/// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
/// let sel = ModelRule::default().select(&set)?;
/// assert!((sel.q_p.unwrap() - 1.9967645908459738e-26).abs() < 1e-35); // metafor's Q-test p
/// assert_eq!(sel.alpha, 0.10);
/// assert!((sel.fixed.estimate - -0.4303).abs() < 5e-5 && (sel.random.estimate - -0.7141).abs() < 5e-5);
/// # Ok::<(), metapool::Error>(())
/// ```
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
    ///
    /// ```
    /// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
    /// # use metapool::prelude::*;
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// let sel = ModelRule::default().select(&set)?;
    /// assert_eq!(sel.selected(), &sel.random);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn selected(&self) -> &Pooled {
        match self.choice {
            ModelChoice::Fixed => &self.fixed,
            ModelChoice::Random => &self.random,
        }
    }

    /// Whether no heterogeneity test was possible (one study).
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let sel = ModelRule::default().select(&EffectSet::from_estimates(&[0.3], &[0.01])?)?;
    /// assert!(sel.no_heterogeneity_test());
    /// assert_eq!(sel.choice, ModelChoice::Fixed);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn no_heterogeneity_test(&self) -> bool {
        self.q_p.is_none()
    }
}

impl ModelRule {
    /// The rule at significance level `alpha` (strictly inside (0, 1)), with 95% CIs.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let rule = ModelRule::new(0.05)?;
    /// assert_eq!(rule.decide(Some(0.06)), ModelChoice::Fixed);
    /// assert!(ModelRule::new(1.0).is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(alpha: f64) -> Result<Self> {
        Ok(ModelRule {
            alpha: open_unit("alpha", alpha)?,
            ..ModelRule::default()
        })
    }

    /// The same rule with another confidence level for both fits.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let rule = ModelRule::default().with_level(ConfidenceLevel::new(0.9)?);
    /// assert_eq!((rule.fixed.level.level(), rule.random.level.level()), (0.9, 0.9));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_level(mut self, level: ConfidenceLevel) -> Self {
        self.fixed.level = level;
        self.random.level = level;
        self
    }

    /// The threshold.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// assert_eq!(ModelRule::default().alpha(), 0.10);
    /// ```
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The choice for a Q-test p-value (`None` when no test was possible).
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let rule = ModelRule::default();
    /// assert_eq!(rule.decide(Some(0.0999)), ModelChoice::Random);
    /// assert_eq!(rule.decide(Some(0.1)), ModelChoice::Fixed);
    /// ```
    pub fn decide(&self, q_p: Option<f64>) -> ModelChoice {
        match q_p {
            Some(p) if p < self.alpha => ModelChoice::Random,
            _ => ModelChoice::Fixed,
        }
    }

    /// The same rule with another fixed-effect model (e.g. [`FixedModel::mantel_haenszel`]).
    ///
    /// ```
    /// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
    /// # use metapool::prelude::*;
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// let sel = ModelRule::default().with_fixed(FixedModel::mantel_haenszel()).select(&set)?;
    /// // metafor rma.mh(measure = "RR"): -0.4537; its Q (152.5676) decides
    /// assert!((sel.fixed.estimate - -0.4537096046837539).abs() < 1e-12);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_fixed(mut self, fixed: FixedModel) -> Self {
        self.fixed = fixed;
        self
    }

    /// The same rule with another random-effects model.
    ///
    /// ```
    /// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
    /// # use metapool::prelude::*;
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// let rule = ModelRule::default().with_random(RandomModel::default().with_estimator("REML".parse()?));
    /// let sel = rule.select(&set)?;
    /// assert!((sel.selected().estimate - -0.7145).abs() < 5e-5); // metafor REML
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_random(mut self, random: RandomModel) -> Self {
        self.random = random;
        self
    }

    /// RevMan 5's rule for 2x2 tables ("M-H, Fixed" against "M-H, Random"): the
    /// Mantel-Haenszel fixed effect, whose Q (centred on the MH estimate) decides, and the
    /// random model with DerSimonian-Laird tau² from that same Q
    /// ([`RandomModel::with_q_from`]); with another tau² estimator than DerSimonian-Laird the
    /// random model is fitted to the per-study effects as [`RandomModel::pool`] does (those
    /// estimators have no MH-centred form). Levels, tests and the estimator are this rule's.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let tables = [(10, 40, 20, 30), (5, 35, 4, 36), (30, 70, 45, 55)]
    ///     .map(|(a, b, c, d)| LogOddsRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// let set = EffectSet::from_studies(&tables)?;
    /// let sel = ModelRule::default().mantel_haenszel().select(&set)?;
    /// assert_eq!(sel.fixed.model, Model::Fixed(FixedMethod::MantelHaenszel));
    /// assert_eq!(sel.random.heterogeneity.q, sel.fixed.heterogeneity.q);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn mantel_haenszel(mut self) -> Self {
        self.fixed.method = FixedMethod::MantelHaenszel;
        if self.random.estimator == Tau2Estimator::DerSimonianLaird {
            self.random.q_from = FixedMethod::MantelHaenszel;
        }
        self
    }

    /// Fit both models to a set of effects and choose. Either model may be any method
    /// (inverse variance, Mantel-Haenszel or Peto fixed effect; any tau² estimator and test);
    /// a method that pools 2x2 tables needs a set that carries them
    /// ([`crate::Error::MissingTables`]).
    ///
    /// ```
    /// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
    /// # use metapool::prelude::*;
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// let sel = ModelRule::default().select(&set)?;
    /// // metafor rma(method = "DL"): RR exp(-0.7141) = 0.4896
    /// assert!((sel.selected().display().estimate - 0.4896).abs() < 5e-5);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn select(&self, set: &EffectSet) -> Result<Selection> {
        let fixed = self.fixed.pool(set)?;
        let random = self.random.pool(set)?;
        Ok(self.choose(fixed, random))
    }

    /// RevMan 5's rule on tables of odds ratios: [`ModelRule::mantel_haenszel`] then
    /// [`ModelRule::select`] (the fixed model's test is then z).
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// use metapool::prelude::*;
    /// let tables = [(10, 40, 20, 30), (5, 35, 4, 36), (30, 70, 45, 55)]
    ///     .map(|(a, b, c, d)| LogOddsRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// let old = ModelRule::default().select_tables(&tables)?;
    /// let new = ModelRule::default().mantel_haenszel().select(&EffectSet::from_studies(&tables)?)?;
    /// assert_eq!(old.selected(), new.selected());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    #[deprecated(note = "use `rule.mantel_haenszel().select(&EffectSet::from_studies(tables)?)`")]
    pub fn select_tables(&self, tables: &[LogOddsRatio]) -> Result<Selection> {
        let mut rule = self.mantel_haenszel();
        rule.fixed.test = super::Test::Z;
        rule.select(&EffectSet::from_studies(tables)?)
    }

    /// Choose between two fits already made, by the fixed fit's Q-test p.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
    /// let (fe, re) = (FixedModel::default().pool(&set)?, RandomModel::default().pool(&set)?);
    /// let sel = ModelRule::default().choose(fe, re);
    /// assert_eq!(sel, ModelRule::default().select(&set)?);
    /// # Ok::<(), metapool::Error>(())
    /// ```
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
