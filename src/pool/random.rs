//! Random-effects pooling.

use super::core::{weighted_sums, WeightedSums};
use super::mantel_haenszel::mantel_haenszel;
use super::tau2::{
    self, moment, q_profile, HeterogeneityIntervals, Tau2Control, Tau2Estimator, Tau2Fit, Tau2Stop,
};
use super::test::Test;
use super::{fixed_core, test_for, FixedCore, FixedMethod, Model, Parts, Pooled};
use crate::effect::{EffectSet, EffectSize, LogOddsRatio};
use crate::error::{Error, Result};
use crate::heterogeneity::{typical_variance, Heterogeneity};
use crate::inference::ConfidenceLevel;

/// Random-effects model: inverse-variance pooling with weights `1 / (v_i + tau^2)`.
///
/// ```text
/// w*_i = 1 / (v_i + tau^2)
/// mu   = sum w*_i y_i / sum w*_i,   se = sqrt(s2w / sum w*_i)   (s2w = 1 unless Knapp-Hartung)
/// CI   = mu -/+ crit se,  z = mu / se,  p from N(0,1) or t(k-1)   (see Test)
/// ```
/// Q, its p and I² are reported as in [`Heterogeneity`]; the tau² estimate with its standard
/// error and convergence report is in [`Pooled::tau2_fit`]. Source: DerSimonian & Laird (1986);
/// RevMan 5 statistical algorithms; metafor 3.8 `rma.uni`.
///
/// ```
/// use metapool::{effect::EffectSet, pool::RandomModel, pool::Tau2Estimator};
/// use metapool::pool::Test;
/// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
/// let fit = RandomModel::default().pool(&set)?;
/// assert!(fit.heterogeneity.tau2 > 0.0);
/// let hk = RandomModel::default()
///     .with_estimator(Tau2Estimator::PauleMandel)
///     .with_test(Test::KnappHartung)
///     .pool(&set)?;
/// assert_eq!(hk.df, Some(2));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RandomModel {
    /// tau² estimator.
    pub estimator: Tau2Estimator,
    /// Confidence level of the interval.
    pub level: ConfidenceLevel,
    /// How the estimate is tested (z by default).
    #[cfg_attr(feature = "serde", serde(default))]
    pub test: Test,
    /// Iteration settings of the tau² estimators (metafor's defaults).
    #[cfg_attr(feature = "serde", serde(default))]
    pub control: Tau2Control,
    /// The fixed-effect fit whose Q the DerSimonian-Laird tau² is computed from: inverse
    /// variance (the default; metafor `rma(method = "DL")`) or Mantel-Haenszel (RevMan 5's
    /// "M-H, Random", which needs the set's 2x2 tables; see [`RandomModel::with_q_from`]).
    #[cfg_attr(feature = "serde", serde(default))]
    pub q_from: FixedMethod,
}

impl RandomModel {
    /// A random-effects model with the z test and metafor's iteration defaults.
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
    /// let fit = RandomModel::new(Tau2Estimator::RestrictedMaximumLikelihood, ConfidenceLevel::default()).pool(&set)?;
    /// // metafor rma(yi, vi, method = "REML"): -0.7145 (se 0.1798), tau² = 0.3132, I² = 92.22%
    /// assert!((fit.estimate - -0.7145).abs() < 5e-5 && (fit.se - 0.1798).abs() < 5e-5);
    /// assert!((fit.heterogeneity.tau2 - 0.3132).abs() < 5e-5);
    /// assert!((fit.heterogeneity.i2 - 92.22).abs() < 5e-3);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(estimator: Tau2Estimator, level: ConfidenceLevel) -> Self {
        RandomModel {
            estimator,
            level,
            ..RandomModel::default()
        }
    }

    /// The same model with another tau² estimator.
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
    /// let reml = RandomModel::default().with_estimator("REML".parse()?).pool(&set)?;
    /// // metafor: tau² = 0.3132 (SE = 0.1664)
    /// let tau2 = reml.tau2_fit.unwrap();
    /// assert!((tau2.tau2 - 0.3132).abs() < 5e-5 && (tau2.se.unwrap() - 0.1664).abs() < 5e-5);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_estimator(mut self, estimator: Tau2Estimator) -> Self {
        self.estimator = estimator;
        self
    }

    /// The same model with another test.
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
    /// let fit = RandomModel::default().with_estimator("REML".parse()?).with_test("knha".parse()?).pool(&set)?;
    /// // metafor rma(yi, vi, method = "REML", test = "knha"): CI -1.1084 to -0.3206, p = 0.0019
    /// assert!((fit.ci_lower - -1.1084).abs() < 5e-5 && (fit.ci_upper - -0.3206).abs() < 5e-5);
    /// assert!((fit.p - 0.0019).abs() < 5e-5);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_test(mut self, test: Test) -> Self {
        self.test = test;
        self
    }

    /// The same model with another confidence level.
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
    /// let fit = RandomModel::default().with_level(ConfidenceLevel::new(0.9)?).pool(&set)?;
    /// // DL: -0.7141 (se 0.1787); 90%: mu +/- 1.6448536269514722 se
    /// assert!((fit.ci_lower - (-0.7141172220732269 - 1.6448536269514722 * 0.1787420895354031)).abs() < 1e-11);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_level(mut self, level: ConfidenceLevel) -> Self {
        self.level = level;
        self
    }

    /// The same model with tau² from the Q of another fixed-effect fit (see
    /// [`RandomModel::q_from`]). With [`FixedMethod::MantelHaenszel`] this is RevMan 5's
    /// "M-H, Random" analysis: the random model on the per-study effects (log odds ratios, log
    /// risk ratios or risk differences), with DerSimonian-Laird tau² estimated from the Q of the
    /// Mantel-Haenszel fit (centred on the MH estimate) instead of the Q centred on the
    /// inverse-variance estimate:
    /// ```text
    /// Q_MH  = sum w_i (y_i - theta_MH)^2,  w_i = 1/v_i   (tables that are not all-zero / all-event)
    /// tau^2 = max(0, (Q_MH - (k - 1)) / (sum w - sum w^2 / sum w))
    /// w*_i  = 1/(v_i + tau^2),  mu = sum w*_i y_i / sum w*_i,  se = 1/sqrt(sum w*_i)
    /// ```
    /// The reported heterogeneity (Q, its p, I², H²) is the MH-centred one, as RevMan reports
    /// it. Source: Deeks & Higgins (2010), Statistical algorithms in Review Manager 5 (random
    /// effects "M-H, Random": "the estimate of tau² from the Mantel-Haenszel Q"); R `meta`'s
    /// `Q.Cochrane = TRUE`. metafor's `rma(measure = "OR", method = "DL")` centres Q on the
    /// inverse-variance estimate; the two differ in the last digits.
    ///
    /// Only DerSimonian-Laird has an MH-centred form: with another estimator, or with
    /// [`FixedMethod::Peto`], [`RandomModel::pool`] returns [`crate::Error::Undefined`]; a set
    /// without tables is an [`crate::Error::MissingTables`].
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let tables = [(10, 40, 20, 30), (5, 35, 4, 36), (30, 70, 45, 55)]
    ///     .map(|(a, b, c, d)| LogOddsRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// let set = EffectSet::from_studies(&tables)?;
    /// let fit = RandomModel::default().with_q_from(FixedMethod::MantelHaenszel).pool(&set)?;
    /// let mh = FixedModel::mantel_haenszel().pool(&set)?;
    /// assert_eq!(fit.heterogeneity.q, mh.heterogeneity.q);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_q_from(mut self, fixed: FixedMethod) -> Self {
        self.q_from = fixed;
        self
    }

    /// The same model with other iteration settings.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// use metapool::{pool::Tau2Control, pool::Tau2Stop};
    /// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4, 0.7], &[0.01, 0.02, 0.015, 0.03])?;
    /// let one_step = Tau2Control::default().with_max_iterations(1)?;
    /// let fit = RandomModel::default().with_estimator("REML".parse()?).with_control(one_step).pool(&set);
    /// // REML does not converge in one Fisher scoring step from its start: a typed error or report
    /// match fit {
    ///     Ok(f) => assert!(!matches!(f.tau2_fit.unwrap().stop, Tau2Stop::Converged { .. })),
    ///     Err(e) => assert!(matches!(e, Error::NotConverged { .. })),
    /// }
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_control(mut self, control: Tau2Control) -> Self {
        self.control = control;
        self
    }

    /// Pool a set of effects.
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
    /// let fit = RandomModel::default().pool(&set)?;
    /// // metafor rma(yi, vi, method = "DL"): -0.7141 (se 0.1787), z = -3.9952, CI -1.0644 to -0.3638
    /// assert!((fit.estimate - -0.7141172220732269).abs() < 1e-12);
    /// assert!((fit.statistic - -3.9952381888865807).abs() < 1e-10);
    /// assert!((fit.ci_upper - -0.3637891640624032).abs() < 1e-12);
    /// assert!((fit.p - 6.462924304703998e-05).abs() < 1e-15);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn pool(&self, set: &EffectSet) -> Result<Pooled> {
        let e = set.effects();
        let mut core = fixed_core(e.len(), |i| e[i].estimate(), |i| e[i].variance())?;
        match self.q_from {
            FixedMethod::InverseVariance if self.estimator == Tau2Estimator::DerSimonianLaird => {
                self.control.validate()?;
                return self.pool_with_dl_core(set, &core);
            }
            FixedMethod::InverseVariance => {}
            FixedMethod::MantelHaenszel if self.estimator == Tau2Estimator::DerSimonianLaird => {
                core.q = mantel_haenszel(set, &self.level)?.heterogeneity.q;
                return self.pool_with_dl_core(set, &core);
            }
            _ => {
                return Err(Error::Undefined {
                    what: "tau² from a Mantel-Haenszel or Peto Q",
                    why: "only the DerSimonian-Laird estimator has a Mantel-Haenszel-centred form",
                })
            }
        }
        let fit = tau2::estimate(
            self.estimator,
            e.len(),
            |i| e[i].estimate(),
            |i| e[i].variance(),
            &self.control,
        )?;
        self.pool_with_tau2(set, &core, fit, None)
    }

    /// Compute each study's effect and pool them.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let studies = [0.1, 0.9, 0.4].map(|y| Effect::new(y, 0.01).unwrap());
    /// // equal variances v = 0.01: DL tau² = (Q - df) / (sum w - sum w² / sum w),
    /// // Q = sum (y - 0.4667)² / 0.01 = 98 / 3, so tau² = (98 / 3 - 2) / 200
    /// let fit = RandomModel::default().pool_studies(&studies)?;
    /// assert!((fit.heterogeneity.tau2 - (98.0 / 3.0 - 2.0) / 200.0).abs() < 1e-14);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn pool_studies<E: EffectSize>(&self, studies: &[E]) -> Result<Pooled> {
        self.pool(&EffectSet::from_studies(studies)?)
    }

    /// The Q-profile confidence intervals for tau², tau, I² and H² of a fit of this model
    /// (metafor `confint()`), at this model's confidence level: exact bounds by default, or with
    /// [`Tau2Control::metafor`] metafor's `uniroot` searches with the control's
    /// [`Tau2Control::tolerance`] (metafor's default `eps^0.25`); see [`HeterogeneityIntervals`].
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::RandomModel};
    /// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4, 0.2], &[0.01, 0.02, 0.015, 0.01])?;
    /// let model = RandomModel::default();
    /// let fit = model.pool(&set)?;
    /// let ci = model.heterogeneity_intervals(&set, &fit)?;
    /// assert!(ci.tau2.lower <= fit.heterogeneity.tau2 && fit.heterogeneity.tau2 <= ci.tau2.upper);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn heterogeneity_intervals(
        &self,
        set: &EffectSet,
        fit: &Pooled,
    ) -> Result<HeterogeneityIntervals> {
        let e = set.effects();
        q_profile::q_profile(
            e.len(),
            |i| e[i].estimate(),
            |i| e[i].variance(),
            &fit.heterogeneity,
            &self.level,
            &self.control,
        )
    }

    /// RevMan 5's "M-H, Random" analysis of odds ratios: this model with
    /// [`RandomModel::with_q_from`]`(FixedMethod::MantelHaenszel)` on the tables' effect set.
    /// Errors with [`crate::Error::Undefined`] for another estimator than DerSimonian-Laird.
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// use metapool::prelude::*;
    /// let tables = [(10, 40, 20, 30), (5, 35, 4, 36), (30, 70, 45, 55)]
    ///     .map(|(a, b, c, d)| LogOddsRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// let old = RandomModel::default().pool_mantel_haenszel_q(&tables)?;
    /// let new = RandomModel::default().with_q_from(FixedMethod::MantelHaenszel).pool(&EffectSet::from_studies(&tables)?)?;
    /// assert_eq!(old, new);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    #[deprecated(note = "use `with_q_from(FixedMethod::MantelHaenszel).pool(&set)`")]
    pub fn pool_mantel_haenszel_q(&self, tables: &[LogOddsRatio]) -> Result<Pooled> {
        if self.estimator != Tau2Estimator::DerSimonianLaird {
            return Err(Error::Undefined {
                what: "Mantel-Haenszel-centred tau²",
                why: "only the DerSimonian-Laird estimator has a Mantel-Haenszel-centred form",
            });
        }
        self.with_q_from(FixedMethod::MantelHaenszel)
            .pool(&EffectSet::from_studies(tables)?)
    }

    /// RevMan's "M-H, Random" path: DerSimonian-Laird tau² from `core`, whose Q may be centred
    /// on another estimate (the Mantel-Haenszel one), then the usual random-effects pooling.
    /// DerSimonian-Laird tau² from `core`, whose Q may be centred on another estimate (the
    /// Mantel-Haenszel one), then the random-effects pooling. One fixed-effect core and one set
    /// of fixed-effect weighted sums serve the estimate, its standard error and, when tau² is
    /// 0, the random-effects sums (weights `1 / (v + 0)` are the fixed-effect ones, bit for
    /// bit).
    fn pool_with_dl_core(&self, set: &EffectSet, core: &FixedCore) -> Result<Pooled> {
        let e = set.effects();
        let k = e.len();
        if k < 2 {
            let fit = Tau2Fit {
                estimator: Tau2Estimator::DerSimonianLaird,
                tau2: 0.0,
                se: None,
                iterations: 0,
                stop: Tau2Stop::SingleStudy,
            };
            return self.pool_with_tau2(set, core, fit, None);
        }
        let s = moment::fixed_sums(k, |i| e[i].estimate(), |i| e[i].variance());
        let trp = core.sum_w * core.share_complement;
        let mut fit = moment::dersimonian_laird_fit(core.q, (k - 1) as f64, trp, s.tr_pp())?;
        fit.se = fit.se.filter(|x| x.is_finite());
        let reuse = (fit.tau2 == 0.0).then_some(s);
        self.pool_with_tau2(set, core, fit, reuse)
    }

    /// Pool with weights `1 / (v + tau2)`; `sums`, when given, are the weighted sums at those
    /// weights already formed.
    fn pool_with_tau2(
        &self,
        set: &EffectSet,
        core: &FixedCore,
        fit: Tau2Fit,
        sums: Option<WeightedSums>,
    ) -> Result<Pooled> {
        let e = set.effects();
        let k = e.len();
        let tau2 = fit.tau2;
        let sums = sums.unwrap_or_else(|| {
            weighted_sums(
                k,
                |i| e[i].estimate(),
                |i| e[i].variance(),
                |i| 1.0 / (e[i].variance() + tau2),
            )
        });
        let (test, notes) = test_for(self.test, k);
        let wald = test.wald(sums.estimate, sums.sum_w, sums.rss, k, &self.level)?;
        let df = core.k - 1;
        let s2 = typical_variance(df, core.sum_w, core.share_complement);
        let mut parts = Parts::of_set(
            Model::Random(self.estimator),
            set,
            wald,
            &self.level,
            e.iter().map(|x| 1.0 / (x.variance() + tau2)),
            sums.sum_w,
            Heterogeneity::random(core.q, df, tau2, s2),
        );
        parts.test = test;
        parts.df = test.is_t().then_some(df);
        parts.tau2_fit = Some(fit);
        parts.notes = notes;
        parts.build()
    }
}
