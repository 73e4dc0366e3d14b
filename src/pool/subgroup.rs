//! Subgroup analysis: pool within subgroups and test for differences between them.

use super::tau2::grouped::common_tau2;
use super::{
    fixed_core, weighted_core, FixedMethod, FixedModel, Model, Parts, Pooled, RandomModel,
    Tau2Control, Tau2Estimator, Tau2Fit, Wald,
};
use crate::effect::{length_mismatch, EffectSet};
use crate::error::{Error, Result};
use crate::heterogeneity::{typical_variance, Heterogeneity};
use crate::inference::ConfidenceLevel;
use crate::numeric::NeumaierSum;

/// How the studies within each subgroup are pooled, which decides the test for subgroup
/// differences.
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
/// let res = SubgroupAnalysis::new(SubgroupModel::Fixed).pool(&set, &alloc)?;
/// // metafor rma(yi, vi, mods = ~ factor(alloc), method = "FE"): QM(df = 2) = 19.8654
/// assert!((res.between.q - 19.86536981966557).abs() < 1e-9);
/// assert_eq!(res.between.df, 2);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum SubgroupModel {
    /// Inverse-variance fixed effect within each subgroup (RevMan's fixed-effect subgroup
    /// analysis; metafor `rma(yi, vi, mods = ~ factor(g), method = "FE")`).
    Fixed,
    /// Random effects with tau² estimated separately within each subgroup (RevMan's
    /// random-effects subgroup analysis).
    RandomSeparate(Tau2Estimator),
    /// Random effects with one tau² common to all subgroups: the mixed-effects model with a
    /// categorical moderator (metafor `rma(yi, vi, mods = ~ factor(g), method = ...)`, QM test).
    /// Every estimator metafor 3.8 allows with moderators is implemented (DL, HE, HS, HSk, SJ,
    /// ML, REML, EB, PM, PMM); [`Tau2Estimator::DerSimonianLairdTwoStep`] and
    /// [`Tau2Estimator::GeneralizedQ`] are not ([`Error::Undefined`]).
    RandomCommon(Tau2Estimator),
}

/// One subgroup: its label and its full pooled result.
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
/// let res = SubgroupAnalysis::new(SubgroupModel::Fixed).pool(&set, &alloc)?;
/// let random = &res.groups[0];
/// // metafor rma(yi, vi, method = "FE", subset = alloc == "random"): -0.2945 (k = 7)
/// assert_eq!((random.label, random.pooled.k), ("random", 7));
/// assert!((random.pooled.estimate - -0.294536663614776).abs() < 1e-12);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Subgroup<G> {
    /// The label the studies were grouped by.
    pub label: G,
    /// The subgroup's pooled result (study positions are those of the whole input).
    pub pooled: Pooled,
}

/// The result of a subgroup analysis.
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
/// let res = SubgroupAnalysis::new(SubgroupModel::Fixed).pool(&set, &alloc)?;
/// let labels: Vec<&str> = res.groups.iter().map(|g| g.label).collect();
/// assert_eq!(labels, ["random", "alternate", "systematic"]); // order of first appearance
/// assert!((res.overall.estimate - -0.4302851636540909).abs() < 1e-12);
/// assert!((res.between.q_p.unwrap() - 4.8561238362814666e-05).abs() < 1e-13);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Subgroups<G> {
    /// The model.
    pub model: SubgroupModel,
    /// The subgroups with at least one estimable study, in order of first appearance.
    pub groups: Vec<Subgroup<G>>,
    /// Labels of subgroups in which every study was excluded (not estimable).
    pub not_estimable: Vec<G>,
    /// All studies pooled together, ignoring the subgroups (inverse-variance fixed effect for
    /// [`SubgroupModel::Fixed`], the random-effects model otherwise).
    pub overall: Pooled,
    /// The test for subgroup differences: `q` is Q between subgroups on `df` = (number of
    /// subgroups - 1), `q_p` its chi-square p-value, `i2` RevMan's I² for subgroup differences
    /// `max(0, (Q - df) / Q)`. (`tau2` is 0; `q_p` is `None` with one subgroup.)
    pub between: Heterogeneity,
    /// The test for residual heterogeneity within subgroups (metafor's QE of the moderator
    /// model): `q = sum of the within-subgroup fixed-effect Q`, on `k - (number of subgroups)`
    /// df. For [`SubgroupModel::RandomCommon`], `tau2` holds the common tau², and `i2`, `h2`
    /// are metafor's for the moderator model: `I² = 100 tau² / (vt + tau²)`,
    /// `H² = tau² / vt + 1`, with the typical variance `vt = (k - G) / tr P` at `w = 1/v`.
    pub within: Heterogeneity,
    /// The common tau² with its standard error (metafor's `se.tau2`) and how its estimation
    /// stopped, for [`SubgroupModel::RandomCommon`] (also in each subgroup's
    /// [`Pooled::tau2_fit`]); `None` otherwise.
    #[cfg_attr(feature = "serde", serde(default))]
    pub tau2_fit: Option<Tau2Fit>,
}

/// A subgroup analysis under one [`SubgroupModel`].
///
/// ```text
/// each subgroup g: estimate mu_g with standard error se_g, pooled under the model
/// Q_between = sum_g W_g (mu_g - mu_bar)^2,  W_g = 1 / se_g^2,  mu_bar = sum W_g mu_g / sum W_g
/// df = G - 1,  p = P(chi2_df >= Q_between),  I^2 = max(0, (Q_between - df) / Q_between)
/// ```
/// - Fixed: each subgroup by inverse variance; Q_between equals
///   `Q_total - sum_g Q_g` (RevMan) and metafor's QM of the fixed-effects moderator model.
/// - Random, separate tau²: each subgroup has its own tau² (RevMan 5's random-effects
///   subgroup test, which treats the subgroup estimates as a fixed-effect meta-analysis).
/// - Random, common tau²: the mixed-effects model with the subgroup as categorical moderator,
///   tau² estimated from its residuals as metafor's `rma.uni` does with `mods`. With one
///   dummy per subgroup `X'WX` is diagonal and the projection block diagonal,
///   `P = diag(P_g)`, `P_g = W_g - w_g w_g' / S_g`, `S_g = sum_{i in g} w_i`, so every trace and
///   quadratic form is a sum of per-subgroup sums, e.g. for DerSimonian-Laird:
///   ```text
///   QE = y'Py = sum_g Q_g (within-subgroup fixed-effect Q),  w_i = 1 / v_i
///   tau^2 = max(0, (QE - (k - G)) / tr P),  tr P = sum_g (S_g - sum_{i in g} w_i^2 / S_g)
///   REML: Fisher scoring  tau^2 += (y'PPy - tr P) / tr PP  at w_i = 1 / (v_i + tau^2)
///   ```
///   (all estimators, their standard errors and stopping rules: [`Tau2Control`] and the
///   `tau2` module documentation; the report is in [`Subgroups::tau2_fit`]); then each subgroup
///   is pooled with weights `1 / (v_i + tau^2)`, which gives the moderator model's subgroup
///   means and standard errors; Q_between is then metafor's QM, the Wald test that all
///   subgroup means are equal.
///
/// Sources: Deeks, Higgins & Altman, Cochrane Handbook 10.11.3; RevMan 5 statistical
/// algorithms (tests for subgroup differences); metafor `rma.uni` with `mods`
/// (Viechtbauer 2010), tau² estimators for meta-regression (Raudenbush 2009; Viechtbauer
/// 2005).
///
/// ```
/// use metapool::{effect::EffectSet, pool::SubgroupAnalysis, pool::SubgroupModel, pool::Tau2Estimator};
/// let set = EffectSet::from_estimates(
///     &[0.1, 0.3, 0.2, 0.9, 0.5, 1.2],
///     &[0.02, 0.03, 0.02, 0.04, 0.03, 0.05],
/// )?;
/// let groups = ["a", "a", "a", "b", "b", "b"];
/// let model = SubgroupModel::RandomCommon(Tau2Estimator::RestrictedMaximumLikelihood);
/// let res = SubgroupAnalysis::new(model).pool(&set, &groups)?;
/// let fit = res.tau2_fit.unwrap();
/// assert_eq!(fit.tau2, res.within.tau2);
/// assert!(fit.iterations >= 1);
/// # Ok::<(), metapool::Error>(())
/// ```
///
/// ```
/// use metapool::{effect::EffectSet, pool::SubgroupAnalysis, pool::SubgroupModel};
/// let set = EffectSet::from_estimates(&[0.1, 0.2, 0.8, 0.9], &[0.01, 0.02, 0.01, 0.02])?;
/// let groups = ["a", "a", "b", "b"];
/// let res = SubgroupAnalysis::new(SubgroupModel::Fixed).pool(&set, &groups)?;
/// assert_eq!(res.groups.len(), 2);
/// assert_eq!(res.between.df, 1);
/// assert!(res.between.q_p.unwrap() < 1e-5);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SubgroupAnalysis {
    /// The model within subgroups.
    pub model: SubgroupModel,
    /// Confidence level of every interval.
    pub level: ConfidenceLevel,
    /// Iteration settings of the tau² estimators (metafor's defaults), for the random-effects
    /// models (within subgroups, common, and overall).
    #[cfg_attr(feature = "serde", serde(default))]
    pub control: Tau2Control,
    /// The fixed-effect method of [`SubgroupModel::Fixed`] (inverse variance by default;
    /// Mantel-Haenszel or Peto within each subgroup and overall, as RevMan does for
    /// dichotomous data, for a set that carries its 2x2 tables). With
    /// [`SubgroupModel::RandomSeparate`] and DerSimonian-Laird, Mantel-Haenszel also gives
    /// RevMan's "M-H, Random" within each subgroup ([`RandomModel::with_q_from`]).
    #[cfg_attr(feature = "serde", serde(default))]
    pub method: FixedMethod,
}

impl SubgroupAnalysis {
    /// A subgroup analysis with 95% intervals.
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
    /// let res = SubgroupAnalysis::new(SubgroupModel::Fixed).pool(&set, &alloc)?;
    /// // metafor, alloc == "alternate": -0.7186 (se 0.0780)
    /// assert!((res.groups[1].pooled.se - 0.07800677661604308).abs() < 1e-12);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(model: SubgroupModel) -> Self {
        SubgroupAnalysis {
            model,
            level: ConfidenceLevel::default(),
            control: Tau2Control::default(),
            method: FixedMethod::InverseVariance,
        }
    }

    /// The same with another fixed-effect method (see [`SubgroupAnalysis::method`]).
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let tables = [(4, 16, 8, 12), (1, 29, 5, 25), (10, 40, 9, 41), (3, 27, 6, 24)]
    ///     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// let set = EffectSet::from_studies(&tables)?;
    /// let res = SubgroupAnalysis::new(SubgroupModel::Fixed)
    ///     .with_method(FixedMethod::MantelHaenszel)
    ///     .pool(&set, &["a", "a", "b", "b"])?;
    /// assert_eq!(res.overall.model, Model::Fixed(FixedMethod::MantelHaenszel));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_method(mut self, method: FixedMethod) -> Self {
        self.method = method;
        self
    }

    /// The same with other iteration settings for the tau² estimators.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// use metapool::pool::Tau2Control;
    /// let a = SubgroupAnalysis::new(SubgroupModel::RandomCommon(Tau2Estimator::RestrictedMaximumLikelihood))
    ///     .with_control(Tau2Control::default().with_max_iterations(500)?);
    /// assert_eq!(a.control.max_iterations(), 500);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_control(mut self, control: Tau2Control) -> Self {
        self.control = control;
        self
    }

    /// The same with another confidence level.
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
    /// let res = SubgroupAnalysis::new(SubgroupModel::Fixed).with_level(ConfidenceLevel::new(0.9)?).pool(&set, &alloc)?;
    /// let g = &res.groups[0].pooled;
    /// assert!((g.ci_upper - (g.estimate + 1.6448536269514722 * g.se)).abs() < 1e-14);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_level(mut self, level: ConfidenceLevel) -> Self {
        self.level = level;
        self
    }

    /// Pool `set` within the subgroups given by `groups`, one label per input study (included
    /// or excluded, in input order: `groups.len() == set.input_len()`).
    ///
    /// Each subgroup's result keeps the scale of `set`; for [`crate::effect::Scale::FreemanTukey`] that
    /// is the harmonic mean of the sizes of all included studies, not of the subgroup's (pool a
    /// subgroup's studies on their own to back-transform at the subgroup's harmonic mean).
    ///
    /// Errors when the lengths differ, when the common-tau² model is asked for with the two-step
    /// DL or generalized Q estimator, when an iterative estimator does not converge, or when a
    /// pooled number is not finite.
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
    /// let model = SubgroupModel::RandomSeparate(Tau2Estimator::DerSimonianLaird);
    /// let res = SubgroupAnalysis::new(model).pool(&set, &alloc)?;
    /// assert_eq!(res.groups.len(), 3);
    /// assert!(SubgroupAnalysis::new(model).pool(&set, &alloc[..12]).is_err()); // one label per study
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn pool<G: Clone + PartialEq>(
        &self,
        set: &EffectSet,
        groups: &[G],
    ) -> Result<Subgroups<G>> {
        if groups.len() != set.input_len() {
            return Err(length_mismatch("groups", set.input_len(), groups.len()));
        }
        let mut labels: Vec<G> = Vec::new();
        for g in groups {
            if !labels.contains(g) {
                labels.push(g.clone());
            }
        }
        let mut subsets = Vec::with_capacity(labels.len());
        let mut not_estimable = Vec::new();
        for label in labels {
            match set.subset_where(|i| groups[i] == label) {
                Ok(sub) => subsets.push((label, sub)),
                Err(Error::AllExcluded { .. }) => not_estimable.push(label),
                Err(e) => return Err(e),
            }
        }
        let random_model = |estimator| {
            let mut m = RandomModel::new(estimator, self.level);
            m.control = self.control;
            if self.method == FixedMethod::MantelHaenszel
                && estimator == Tau2Estimator::DerSimonianLaird
            {
                m.q_from = FixedMethod::MantelHaenszel;
            }
            m
        };
        let (pooled, overall, tau2_fit) = match self.model {
            SubgroupModel::Fixed => {
                let fixed = FixedModel::new(self.level).with_method(self.method);
                let pooled = subsets
                    .iter()
                    .map(|(_, s)| fixed.pool(s))
                    .collect::<Result<Vec<_>>>()?;
                (pooled, fixed.pool(set)?, None)
            }
            SubgroupModel::RandomSeparate(estimator) => {
                let random = random_model(estimator);
                let pooled = subsets
                    .iter()
                    .map(|(_, s)| random.pool(s))
                    .collect::<Result<Vec<_>>>()?;
                (pooled, random.pool(set)?, None)
            }
            SubgroupModel::RandomCommon(estimator) => {
                let effects: Vec<_> = subsets.iter().map(|(_, s)| s.effects()).collect();
                let fit = common_tau2(estimator, &effects, &self.control)?;
                let pooled = subsets
                    .iter()
                    .map(|(_, s)| pool_with_tau2(s, fit, &self.level))
                    .collect::<Result<Vec<_>>>()?;
                let overall = random_model(estimator).pool(set)?;
                (pooled, overall, Some(fit))
            }
        };
        let between = Self::difference_test(&pooled)?;
        let (mut q_within, mut tr_p) = (NeumaierSum::default(), NeumaierSum::default());
        let mut k = 0;
        for (_, s) in &subsets {
            let e = s.effects();
            let core = fixed_core(e.len(), |i| e[i].estimate(), |i| e[i].variance())?;
            q_within.add(core.q);
            tr_p.add(core.sum_w * core.share_complement);
            k += e.len();
        }
        let df = k - subsets.len();
        let within = match tau2_fit {
            // metafor's I² and H² of the moderator model, typical variance (k - p) / tr P
            Some(fit) => {
                Heterogeneity::random(q_within.value(), df, fit.tau2, df as f64 / tr_p.value())
            }
            None => Heterogeneity::fixed(q_within.value(), df),
        };
        Ok(Subgroups {
            model: self.model,
            groups: subsets
                .into_iter()
                .zip(pooled)
                .map(|((label, _), pooled)| Subgroup { label, pooled })
                .collect(),
            not_estimable,
            overall,
            between,
            within,
            tau2_fit,
        })
    }
}

impl SubgroupAnalysis {
    /// The test for subgroup differences from subgroup results already pooled by any model
    /// (for example Mantel-Haenszel within each subgroup, as RevMan does for dichotomous data):
    /// the subgroup estimates with their standard errors pooled by inverse variance.
    ///
    /// ```text
    /// Q = sum_g (mu_g - mu_bar)^2 / se_g^2,  mu_bar = sum (mu_g / se_g^2) / sum (1 / se_g^2)
    /// df = G - 1,  p = P(chi2_df >= Q),  I^2 = max(0, (Q - df) / Q)
    /// ```
    /// The results should be on one analysis scale. Errors with [`Error::Empty`] for no results.
    /// Source: Deeks, Higgins & Altman, Cochrane Handbook 10.11.3.1; RevMan 5 statistical
    /// algorithms.
    ///
    /// ```
    /// use metapool::{pool::FixedModel, effect::EffectSet, pool::SubgroupAnalysis};
    /// let a = FixedModel::default().pool(&EffectSet::from_estimates(&[0.1, 0.2], &[0.01, 0.02])?)?;
    /// let b = FixedModel::default().pool(&EffectSet::from_estimates(&[0.8], &[0.01])?)?;
    /// let test = SubgroupAnalysis::difference_test(&[a, b])?;
    /// assert_eq!(test.df, 1);
    /// assert!(test.q_p.unwrap() < 1e-4);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn difference_test(groups: &[Pooled]) -> Result<Heterogeneity> {
        let core = fixed_core(
            groups.len(),
            |g| groups[g].estimate,
            |g| groups[g].se * groups[g].se,
        )?;
        Ok(Heterogeneity::fixed(core.q, groups.len() - 1))
    }
}

/// Random-effects pooling of one subgroup with the common tau² of `fit`.
fn pool_with_tau2(set: &EffectSet, fit: Tau2Fit, level: &ConfidenceLevel) -> Result<Pooled> {
    let tau2 = fit.tau2;
    let e = set.effects();
    let core = fixed_core(e.len(), |i| e[i].estimate(), |i| e[i].variance())?;
    let (sum_w, estimate) = weighted_core(e.len(), |i| e[i].estimate(), |i| e[i].variance(), tau2);
    let wald = Wald::new(estimate, (1.0 / sum_w).sqrt(), level);
    let df = core.k - 1;
    let s2 = typical_variance(df, core.sum_w, core.share_complement);
    let mut parts = Parts::of_set(
        Model::Random(fit.estimator),
        set,
        wald,
        level,
        e.iter().map(|x| 1.0 / (x.variance() + tau2)),
        sum_w,
        Heterogeneity::random(core.q, df, tau2, s2),
    );
    parts.tau2_fit = Some(fit);
    parts.build()
}
