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
/// use metapool::{effect::EffectSet, pool::FixedModel};
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
    /// let fit = FixedModel::new(ConfidenceLevel::new(0.90)?).pool(&set)?;
    /// // metafor rma(method = "FE", level = 90): estimate -0.4303, se 0.0405
    /// assert!((fit.estimate - -0.4302851636540909).abs() < 1e-12);
    /// assert!((fit.ci_upper - (fit.estimate + 1.6448536269514722 * fit.se)).abs() < 1e-12);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(level: ConfidenceLevel) -> Self {
        FixedModel {
            level,
            test: Test::Z,
            method: FixedMethod::InverseVariance,
        }
    }

    /// The Mantel-Haenszel model (95% CI, z test): odds ratio, risk ratio or risk difference
    /// as the set's tables were analysed ([`EffectSet::measure`]); see [`MantelHaenszel`](crate::pool::MantelHaenszel).
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
    /// let fit = FixedModel::mantel_haenszel().pool(&set)?;
    /// // metafor rma.mh(measure = "RR"): -0.4537 (se 0.0393), Q(df = 12) = 152.5676; RR 0.6353
    /// assert!((fit.estimate - -0.4537096046837539).abs() < 1e-12);
    /// assert!((fit.se - 0.03933736687129438).abs() < 1e-12);
    /// assert!((fit.heterogeneity.q - 152.56755358665728).abs() < 1e-9);
    /// assert!((fit.display().estimate - 0.6353).abs() < 5e-5);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn mantel_haenszel() -> Self {
        FixedModel::default().with_method(FixedMethod::MantelHaenszel)
    }

    /// Peto's odds ratio model (95% CI, z test); see [`Peto`](crate::pool::Peto).
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    ///     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    ///     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    ///     (27, 16886, 29, 17825)]
    ///     .map(|(a, b, c, d)| PetoOddsRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// let fit = FixedModel::peto().pool(&EffectSet::from_studies(&bcg)?)?;
    /// // metafor rma.peto(dat.bcg): -0.4744 (se 0.0407), Q(df = 12) = 167.7302
    /// assert!((fit.estimate - -0.47444631094063633).abs() < 1e-12);
    /// assert!((fit.heterogeneity.q - 167.7301675114894).abs() < 1e-9);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn peto() -> Self {
        FixedModel::default().with_method(FixedMethod::Peto)
    }

    /// The same model with another test.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
    /// let kh = FixedModel::default().with_test(Test::KnappHartung).pool(&set)?;
    /// let z = FixedModel::default().pool(&set)?;
    /// // Knapp-Hartung scale for a fixed-effect model: Q / (k - 1)
    /// let scale = z.heterogeneity.q / 2.0;
    /// assert!((kh.se - z.se * scale.sqrt()).abs() < 1e-14);
    /// assert_eq!(kh.df, Some(2));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_test(mut self, test: Test) -> Self {
        self.test = test;
        self
    }

    /// The same model with another confidence level.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let set = EffectSet::from_estimates(&[0.2, 0.4], &[0.04, 0.04])?;
    /// let fit = FixedModel::default().with_level(ConfidenceLevel::new(0.99)?).pool(&set)?;
    /// // mu = 0.3, se = sqrt(1 / 50); 99%: mu +/- 2.5758293035489004 se
    /// assert!((fit.ci_lower - (0.3 - 2.5758293035489004 * 0.02f64.sqrt())).abs() < 1e-14);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_level(mut self, level: ConfidenceLevel) -> Self {
        self.level = level;
        self
    }

    /// The same model with another method.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// assert_eq!(FixedModel::default().with_method(FixedMethod::Peto), FixedModel::peto());
    /// ```
    pub fn with_method(mut self, method: FixedMethod) -> Self {
        self.method = method;
        self
    }

    /// Pool a set of effects. Mantel-Haenszel and Peto pool the set's 2x2 tables
    /// ([`Error::MissingTables`] for a set without them).
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
    /// let fit = FixedModel::default().pool(&set)?;
    /// // metafor rma(yi, vi, method = "FE"): -0.4303 (se 0.0405), z = -10.6247, CI -0.5097 to -0.3509
    /// assert!((fit.estimate - -0.4302851636540909).abs() < 1e-12);
    /// assert!((fit.se - 0.04049875171086381).abs() < 1e-12);
    /// assert!((fit.statistic - -10.624652501046512).abs() < 1e-9);
    /// assert!((fit.ci_lower - -0.5096612584262139).abs() < 1e-12);
    /// assert!((fit.studies[0].weight - 0.503754802568308).abs() < 1e-10);
    /// # Ok::<(), metapool::Error>(())
    /// ```
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
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let studies = [
    ///     MeanDifference::new(Arm::new(10.0, 2.0, 20.0)?, Arm::new(12.0, 2.0, 20.0)?)?,
    ///     MeanDifference::new(Arm::new(11.0, 2.0, 20.0)?, Arm::new(12.0, 2.0, 20.0)?)?,
    /// ];
    /// // equal variances (0.4 each): the fixed-effect estimate is the plain mean of -2 and -1
    /// let fit = FixedModel::default().pool_studies(&studies)?;
    /// assert!((fit.estimate - -1.5).abs() < 1e-15 && (fit.se - 0.2f64.sqrt()).abs() < 1e-15);
    /// # Ok::<(), metapool::Error>(())
    /// ```
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
