//! Random-effects pooling.

use super::core::weighted_sums;
use super::fixed::mantel_haenszel;
use super::tau2::{
    self, moment, q_profile, HeterogeneityIntervals, Tau2Control, Tau2Fit, Tau2Stop,
};
use super::test::Test;
use super::{fixed_core, test_for, FixedCore, FixedMethod, Model, Parts, Pooled};
use crate::effect::{EffectSet, EffectSize, LogOddsRatio};
use crate::error::{Error, Result};
use crate::heterogeneity::{typical_variance, Heterogeneity};
use crate::inference::ConfidenceLevel;

/// How the between-study variance tau² is estimated: every estimator of metafor's `rma.uni`
/// for the intercept-only model, plus the DerSimonian-Kacker two-step estimator. Estimates are
/// truncated at 0 as metafor does. See [`crate::pool::tau2`] for the algorithms and
/// [`Tau2Control`] for the iteration settings (metafor's defaults).
///
/// With `w = 1/v`, `P = W - w w'/sum w`, `Q = y'Py` (Cochran's Q), `V = diag(v)`:
/// ```text
/// DL   (Q - (k-1)) / tr P                                   DerSimonian & Laird (1986)
/// HE   (sum (y - mean y)^2 - (k-1)/k sum v) / (k-1)         Hedges (1983)
/// HS   (Q - k) / sum w                                      Hunter & Schmidt (1990)
/// HSk  (k/(k-1) Q - k) / sum w                              Hunter & Schmidt, small-sample
/// SJ   tau0 Q(tau0) / (k-1), tau0 = sum (y - mean y)^2 / k  Sidik & Jonkman (2005)
/// ML, REML, EB   Fisher scoring (see tau2::likelihood)      Hardy & Thompson (1996); Viechtbauer (2005); Morris (1983)
/// PM   Q(tau2) = k - 1                                      Paule & Mandel (1982)
/// PMM  Q(tau2) = qchisq(0.5, k - 1)                         Viechtbauer (2021)
/// DL2  generalized Q with weights 1/(v + tau2_DL)           DerSimonian & Kacker (2007)
/// GENQ (Q_a - tr P_a V) / tr P_a with user weights a       DerSimonian & Kacker (2007)
/// ```
/// The enum is `#[non_exhaustive]`: adding estimators is not a breaking change. The default
/// is DerSimonian-Laird (RevMan's; metafor's default is REML).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Tau2Estimator {
    /// DerSimonian & Laird (1986) method of moments, RevMan's (metafor `"DL"`):
    /// ```text
    /// tau^2 = max(0, (Q - (k - 1)) / (sum w - sum w^2 / sum w)),  w = 1/v
    /// ```
    #[default]
    DerSimonianLaird,
    /// Hedges (1983) unweighted method of moments / Cochran's ANOVA estimator (metafor `"HE"`).
    Hedges,
    /// Hunter & Schmidt (1990), general form of Viechtbauer (2005) (metafor `"HS"`).
    HunterSchmidt,
    /// Hunter-Schmidt with the small-sample correction `k/(k-1)` (metafor `"HSk"`).
    HunterSchmidtSmallSample,
    /// Sidik & Jonkman (2005) model-error variance estimator (metafor `"SJ"`).
    SidikJonkman,
    /// Maximum likelihood by Fisher scoring (metafor `"ML"`).
    MaximumLikelihood,
    /// Restricted maximum likelihood by Fisher scoring (metafor `"REML"`, its default).
    RestrictedMaximumLikelihood,
    /// Empirical Bayes (Morris 1983) by Fisher scoring (metafor `"EB"`).
    EmpiricalBayes,
    /// Paule & Mandel (1982), generalized Q equal to k - 1, by Brent's method (metafor `"PM"`).
    PauleMandel,
    /// Median-unbiased Paule-Mandel, generalized Q equal to the chi-square median
    /// (Viechtbauer 2021; metafor `"PMM"`).
    PauleMandelMedian,
    /// DerSimonian & Kacker (2007) two-step estimator: the generalized-Q (GENQ) estimator with
    /// weights `1 / (v + tau2_DL)` (metafor `method = "GENQ", weights = 1/(vi + tau2_DL)`).
    DerSimonianLairdTwoStep,
    /// The generalized Q-statistic estimator with user weights (DerSimonian & Kacker 2007;
    /// metafor `"GENQ"`). It needs one weight per study, so it is fitted with
    /// [`crate::pool::GeneralizedQModel`]; [`RandomModel`] and [`Tau2Estimator::fit`] return
    /// [`crate::Error::Undefined`] for it.
    GeneralizedQ,
}

impl Tau2Estimator {
    /// Every estimator that needs nothing but the effects (all but [`Tau2Estimator::GeneralizedQ`]),
    /// in metafor's order of documentation.
    pub const ALL: [Tau2Estimator; 11] = [
        Tau2Estimator::DerSimonianLaird,
        Tau2Estimator::Hedges,
        Tau2Estimator::HunterSchmidt,
        Tau2Estimator::HunterSchmidtSmallSample,
        Tau2Estimator::SidikJonkman,
        Tau2Estimator::MaximumLikelihood,
        Tau2Estimator::RestrictedMaximumLikelihood,
        Tau2Estimator::EmpiricalBayes,
        Tau2Estimator::PauleMandel,
        Tau2Estimator::PauleMandelMedian,
        Tau2Estimator::DerSimonianLairdTwoStep,
    ];

    /// metafor's name for the method (`"DL2"` for the two-step estimator, which metafor fits as
    /// `"GENQ"` with weights `1/(vi + tau2_DL)`).
    pub fn metafor_name(self) -> &'static str {
        match self {
            Tau2Estimator::DerSimonianLaird => "DL",
            Tau2Estimator::Hedges => "HE",
            Tau2Estimator::HunterSchmidt => "HS",
            Tau2Estimator::HunterSchmidtSmallSample => "HSk",
            Tau2Estimator::SidikJonkman => "SJ",
            Tau2Estimator::MaximumLikelihood => "ML",
            Tau2Estimator::RestrictedMaximumLikelihood => "REML",
            Tau2Estimator::EmpiricalBayes => "EB",
            Tau2Estimator::PauleMandel => "PM",
            Tau2Estimator::PauleMandelMedian => "PMM",
            Tau2Estimator::DerSimonianLairdTwoStep => "DL2",
            Tau2Estimator::GeneralizedQ => "GENQ",
        }
    }

    /// The estimator with metafor's name (`"DL"`, `"REML"`, ..., `"DL2"`, `"GENQ"`), as
    /// [`Tau2Estimator::metafor_name`] gives it.
    ///
    /// ```
    /// use metapool::Tau2Estimator;
    /// assert_eq!(Tau2Estimator::from_metafor_name("REML"), Some(Tau2Estimator::RestrictedMaximumLikelihood));
    /// assert_eq!(Tau2Estimator::from_metafor_name("XYZ"), None);
    /// ```
    pub fn from_metafor_name(name: &str) -> Option<Tau2Estimator> {
        Tau2Estimator::ALL
            .into_iter()
            .chain([Tau2Estimator::GeneralizedQ])
            .find(|e| e.metafor_name() == name)
    }

    /// Whether the estimator is iterative (Fisher scoring or root finding).
    pub fn is_iterative(self) -> bool {
        matches!(
            self,
            Tau2Estimator::MaximumLikelihood
                | Tau2Estimator::RestrictedMaximumLikelihood
                | Tau2Estimator::EmpiricalBayes
                | Tau2Estimator::PauleMandel
                | Tau2Estimator::PauleMandelMedian
        )
    }

    /// Estimate tau² with metafor's default [`Tau2Control`].
    ///
    /// ```
    /// use metapool::{EffectSet, Tau2Estimator};
    /// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
    /// let fit = Tau2Estimator::RestrictedMaximumLikelihood.fit(&set)?;
    /// assert!(fit.tau2 > 0.0 && fit.iterations > 0);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn fit(self, set: &EffectSet) -> Result<Tau2Fit> {
        self.fit_with(set, &Tau2Control::default())
    }

    /// Estimate tau² with the given iteration settings.
    pub fn fit_with(self, set: &EffectSet, control: &Tau2Control) -> Result<Tau2Fit> {
        let e = set.effects();
        tau2::estimate(
            self,
            e.len(),
            |i| e[i].estimate(),
            |i| e[i].variance(),
            control,
        )
    }
}

impl std::str::FromStr for Tau2Estimator {
    type Err = Error;
    /// An estimator by metafor's name (`"DL"`, `"REML"`, ..., as
    /// [`Tau2Estimator::metafor_name`] gives it), case-insensitively.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// assert_eq!("REML".parse::<Tau2Estimator>()?, Tau2Estimator::RestrictedMaximumLikelihood);
    /// assert_eq!("pm".parse::<Tau2Estimator>()?, Tau2Estimator::PauleMandel);
    /// assert!("XYZ".parse::<Tau2Estimator>().is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        Tau2Estimator::ALL
            .into_iter()
            .chain([Tau2Estimator::GeneralizedQ])
            .find(|e| e.metafor_name().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::Unparsable {
                what: "a tau² estimator (DL, HE, HS, HSk, SJ, ML, REML, EB, PM, PMM, DL2, GENQ)",
                text: s.to_owned(),
            })
    }
}

/// DerSimonian-Laird from a [`FixedCore`] (the allocation-free form for batch paths).
#[inline(always)]
pub(crate) fn dersimonian_laird(core: &FixedCore) -> f64 {
    if core.k < 2 {
        return 0.0;
    }
    let df = (core.k - 1) as f64;
    let c = core.sum_w * core.share_complement;
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
/// mu   = sum w*_i y_i / sum w*_i,   se = sqrt(s2w / sum w*_i)   (s2w = 1 unless Knapp-Hartung)
/// CI   = mu -/+ crit se,  z = mu / se,  p from N(0,1) or t(k-1)   (see Test)
/// ```
/// Q, its p and I² are reported as in [`Heterogeneity`]; the tau² estimate with its standard
/// error and convergence report is in [`Pooled::tau2_fit`]. Source: DerSimonian & Laird (1986);
/// RevMan 5 statistical algorithms; metafor 3.8 `rma.uni`.
///
/// ```
/// use metapool::{EffectSet, RandomModel, Tau2Estimator};
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
    pub fn new(estimator: Tau2Estimator, level: ConfidenceLevel) -> Self {
        RandomModel {
            estimator,
            level,
            ..RandomModel::default()
        }
    }

    /// The same model with another tau² estimator.
    pub fn with_estimator(mut self, estimator: Tau2Estimator) -> Self {
        self.estimator = estimator;
        self
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
    pub fn with_control(mut self, control: Tau2Control) -> Self {
        self.control = control;
        self
    }

    /// Pool a set of effects.
    pub fn pool(&self, set: &EffectSet) -> Result<Pooled> {
        let e = set.effects();
        let mut core = fixed_core(e.len(), |i| e[i].estimate(), |i| e[i].variance())?;
        match self.q_from {
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
        self.pool_with_tau2(set, &core, fit)
    }

    /// Compute each study's effect and pool them.
    pub fn pool_studies<E: EffectSize>(&self, studies: &[E]) -> Result<Pooled> {
        self.pool(&EffectSet::from_studies(studies)?)
    }

    /// The Q-profile confidence intervals for tau², tau, I² and H² of a fit of this model
    /// (metafor `confint()`), at this model's confidence level and with its
    /// [`Tau2Control::tolerance`] for the root searches (metafor's default `eps^0.25`; tighten it
    /// for bounds exact to rounding); see [`HeterogeneityIntervals`].
    ///
    /// ```
    /// use metapool::{EffectSet, RandomModel};
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
            self.control.tolerance(),
        )
    }

    /// RevMan 5's "M-H, Random" analysis of odds ratios: this model with
    /// [`RandomModel::with_q_from`]`(FixedMethod::MantelHaenszel)` on the tables' effect set.
    /// Errors with [`crate::Error::Undefined`] for another estimator than DerSimonian-Laird.
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
    fn pool_with_dl_core(&self, set: &EffectSet, core: &FixedCore) -> Result<Pooled> {
        let e = set.effects();
        let k = e.len();
        let fit = if k < 2 {
            Tau2Fit {
                estimator: Tau2Estimator::DerSimonianLaird,
                tau2: 0.0,
                se: None,
                iterations: 0,
                stop: Tau2Stop::SingleStudy,
            }
        } else {
            let df = (k - 1) as f64;
            let s = moment::fixed_sums(k, |i| e[i].estimate(), |i| e[i].variance());
            let trp = core.sum_w * core.share_complement;
            let t = dersimonian_laird(core);
            Tau2Fit {
                estimator: Tau2Estimator::DerSimonianLaird,
                tau2: t,
                se: Some((2.0 * df + 4.0 * t * trp + 2.0 * t * t * s.tr_pp()).sqrt() / trp),
                iterations: 0,
                stop: Tau2Stop::ClosedForm {
                    raw: (core.q - df) / trp,
                },
            }
        };
        self.pool_with_tau2(set, core, fit)
    }

    fn pool_with_tau2(&self, set: &EffectSet, core: &FixedCore, fit: Tau2Fit) -> Result<Pooled> {
        let e = set.effects();
        let k = e.len();
        let tau2 = fit.tau2;
        let sums = weighted_sums(
            k,
            |i| e[i].estimate(),
            |i| e[i].variance(),
            |i| 1.0 / (e[i].variance() + tau2),
        );
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
