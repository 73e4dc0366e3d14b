//! [`Tau2Estimator`]: which estimator of the between-study variance, by metafor's names.

use super::Tau2Control;
use super::Tau2Fit;
use crate::effect::EffectSet;
use crate::error::{Error, Result};

/// How the between-study variance tau² is estimated: every estimator of metafor's `rma.uni`
/// for the intercept-only model, plus the DerSimonian-Kacker two-step estimator. Estimates are
/// truncated at 0 as metafor does. See the [`pool`](crate::pool) module documentation for the algorithms and
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
///
/// ```
/// // `y`, `v`: metafor's escalc("RR") of dat.bcg (13 trials)
/// # let y = [-0.8893113339202054, -1.5853886572014306, -1.3480731482996933, -1.4415511900213054,
/// #     -0.21754732221129558, -0.786115585818864, -1.6208982235983918, 0.011952333523840508,
/// #     -0.4694176487381494, -1.3713448034727844, -0.3393588283383906, 0.44591340057137874,
/// #     -0.017313948216879815];
/// # let v = [0.32558476500396133, 0.19458112139814385, 0.4153679653679654, 0.020010031902247573,
/// #     0.05121017216963086, 0.0069056184559087574, 0.22301724757231517, 0.0039615792978177295,
/// #     0.056434210463248966, 0.07302479361302891, 0.01241221397155972, 0.5325058452001528,
/// #     0.0714046596839863];
/// use metapool::{effect::EffectSet, pool::Tau2Estimator};
/// let set = EffectSet::from_estimates(&y, &v)?;
/// // metafor rma(yi, vi, method = m)$tau2 for m in DL, HE, HS, HSk, SJ, ML, REML, EB, PM, PMM, DL2
/// let metafor = [0.3087602628623762, 0.3285638579957688, 0.22836286367690684, 0.24916993028096543,
///     0.34551570159859507, 0.280028171049595, 0.3132433259808949, 0.3180685157713051,
///     0.3180937118630151, 0.34340869818605063, 0.3179555661213229];
/// for (e, r) in Tau2Estimator::ALL.into_iter().zip(metafor) {
///     // closed forms to rounding; iterative estimators within metafor's own convergence
///     // tolerance (uniroot's eps^0.25 for PM and PMM)
///     let tol = if e.is_iterative() { 2e-4 } else { 1e-12 };
///     assert!((e.fit(&set)?.tau2 - r).abs() < tol * r, "{}", e.metafor_name());
/// }
/// # Ok::<(), metapool::Error>(())
/// ```
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
    /// [`crate::pool::GeneralizedQModel`]; [`crate::pool::RandomModel`] and [`Tau2Estimator::fit`] return
    /// [`crate::Error::Undefined`] for it.
    GeneralizedQ,
}

impl Tau2Estimator {
    /// Every estimator that needs nothing but the effects (all but [`Tau2Estimator::GeneralizedQ`]),
    /// in metafor's order of documentation.
    ///
    /// ```
    /// use metapool::pool::Tau2Estimator;
    /// assert_eq!(Tau2Estimator::ALL.len(), 11);
    /// assert!(!Tau2Estimator::ALL.contains(&Tau2Estimator::GeneralizedQ)); // it needs user weights
    /// ```
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
    ///
    /// ```
    /// use metapool::pool::Tau2Estimator;
    /// let names: Vec<&str> = Tau2Estimator::ALL.iter().map(|e| e.metafor_name()).collect();
    /// assert_eq!(names, ["DL", "HE", "HS", "HSk", "SJ", "ML", "REML", "EB", "PM", "PMM", "DL2"]);
    /// for e in Tau2Estimator::ALL {
    ///     assert_eq!(e.metafor_name().parse::<Tau2Estimator>()?, e);
    /// }
    /// # Ok::<(), metapool::Error>(())
    /// ```
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
    /// use metapool::pool::Tau2Estimator;
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
    ///
    /// ```
    /// use metapool::pool::Tau2Estimator;
    /// let iterative: Vec<&str> = Tau2Estimator::ALL.iter().filter(|e| e.is_iterative()).map(|e| e.metafor_name()).collect();
    /// assert_eq!(iterative, ["ML", "REML", "EB", "PM", "PMM"]);
    /// ```
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

    /// Estimate tau² with the default [`Tau2Control`] (the exact solver).
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::Tau2Estimator};
    /// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
    /// let fit = Tau2Estimator::RestrictedMaximumLikelihood.fit(&set)?;
    /// assert!(fit.tau2 > 0.0 && fit.iterations > 0);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn fit(self, set: &EffectSet) -> Result<Tau2Fit> {
        self.fit_with(set, &Tau2Control::default())
    }

    /// Estimate tau² with the given iteration settings.
    ///
    /// ```
    /// // `y`, `v`: metafor's escalc("RR") of dat.bcg (13 trials)
    /// # let y = [-0.8893113339202054, -1.5853886572014306, -1.3480731482996933, -1.4415511900213054,
    /// #     -0.21754732221129558, -0.786115585818864, -1.6208982235983918, 0.011952333523840508,
    /// #     -0.4694176487381494, -1.3713448034727844, -0.3393588283383906, 0.44591340057137874,
    /// #     -0.017313948216879815];
    /// # let v = [0.32558476500396133, 0.19458112139814385, 0.4153679653679654, 0.020010031902247573,
    /// #     0.05121017216963086, 0.0069056184559087574, 0.22301724757231517, 0.0039615792978177295,
    /// #     0.056434210463248966, 0.07302479361302891, 0.01241221397155972, 0.5325058452001528,
    /// #     0.0714046596839863];
    /// use metapool::{effect::EffectSet, pool::Tau2Control, pool::Tau2Estimator};
    /// let set = EffectSet::from_estimates(&y, &v)?;
    /// // a tighter convergence threshold than metafor's 1e-5 moves REML by less than metafor's own
    /// // tolerance: metafor rma(yi, vi, method = "REML")$tau2 = 0.3132433259808949
    /// let tight = Tau2Control::default().with_threshold(1e-12)?;
    /// let fit = Tau2Estimator::RestrictedMaximumLikelihood.fit_with(&set, &tight)?;
    /// assert!((fit.tau2 - 0.3132433259808949).abs() < 1e-5);
    /// // SE from the inverse Fisher information; metafor: tau^2 0.3132 (SE = 0.1664)
    /// assert!((fit.se.unwrap() - 0.1664).abs() < 5e-5);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn fit_with(self, set: &EffectSet, control: &Tau2Control) -> Result<Tau2Fit> {
        let e = set.effects();
        super::estimate(
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
