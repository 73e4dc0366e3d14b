//! The generalized Q-statistic random-effects model with user weights (metafor
//! `rma(method = "GENQ", weights = a)`).

use super::core::weighted_sums;
use super::tau2::{moment, Tau2Fit, Tau2Stop};
use super::test::Test;
use super::{fixed_core, test_for, Model, Parts, Pooled, Tau2Estimator};
use crate::effect::EffectSet;
use crate::error::{Error, Problem, Result};
use crate::heterogeneity::{typical_variance, Heterogeneity};
use crate::inference::ConfidenceLevel;

/// Random-effects model whose tau² and pooled estimate both use user weights `a_i` (for example
/// sample sizes), as metafor's `rma(yi, vi, weights = a, method = "GENQ")`:
/// ```text
/// tau2 = max(0, (Q_a - tr(P_a V)) / tr P_a)        (DerSimonian & Kacker 2007; see Tau2Estimator)
/// mu   = sum a y / sum a
/// var(mu) = sum a^2 (v + tau2) / (sum a)^2          (exact for fixed weights)
/// Test::Z / Test::T:  se = sqrt(var(mu))
/// Knapp-Hartung:      se = sqrt(s2w var(mu)),  s2w = sum w (y - mu_w)^2 / (k - 1),
///                     w = 1/(v + tau2), mu_w the inverse-variance estimate (metafor's choice)
/// weights (percent) = 100 a / sum a
/// ```
/// Q, I² and H² are reported as for [`crate::pool::RandomModel`]; the prediction interval and the
/// Q-profile interval ([`crate::pool::RandomModel::heterogeneity_intervals`], metafor
/// `confint(type = "QP")`) apply unchanged. Source: DerSimonian & Kacker (2007), Contemp Clin
/// Trials 28:105-114; metafor 3.8 `rma.uni`.
///
/// ```
/// use metapool::effect::EffectSet;
/// use metapool::pool::GeneralizedQModel;
/// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
/// let fit = GeneralizedQModel::default().pool(&set, &[120.0, 80.0, 100.0])?;
/// assert!(fit.heterogeneity.tau2 > 0.0);
/// assert!((fit.weights()[0] - 40.0).abs() < 1e-12);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GeneralizedQModel {
    /// Confidence level of the interval.
    pub level: ConfidenceLevel,
    /// How the estimate is tested (z by default).
    #[cfg_attr(feature = "serde", serde(default))]
    pub test: Test,
}

impl GeneralizedQModel {
    /// The same model with another test.
    ///
    /// ```
    /// use metapool::effect::EffectSet;
    /// use metapool::pool::{GeneralizedQModel, Test};
    /// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
    /// let fit = GeneralizedQModel::default().with_test(Test::T).pool(&set, &[1.0, 1.0, 1.0])?;
    /// assert_eq!((fit.test, fit.df), (Test::T, Some(2)));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_test(mut self, test: Test) -> Self {
        self.test = test;
        self
    }

    /// Pool a set of effects with one positive, finite weight per study, in the order of
    /// `set.effects()` (errors name the study by its input position).
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::Tau2Estimator};
    /// use metapool::pool::GeneralizedQModel;
    /// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
    /// // with weights 1 / v_i the generalized Q estimator is DerSimonian-Laird's
    /// let gq = GeneralizedQModel::default().pool(&set, &[100.0, 50.0, 1.0 / 0.015])?;
    /// let dl = Tau2Estimator::DerSimonianLaird.fit(&set)?;
    /// assert!((gq.heterogeneity.tau2 - dl.tau2).abs() < 1e-14);
    /// assert!(GeneralizedQModel::default().pool(&set, &[1.0, 1.0]).is_err()); // one weight per study
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn pool(&self, set: &EffectSet, weights: &[f64]) -> Result<Pooled> {
        let e = set.effects();
        let k = e.len();
        if weights.len() != k {
            return Err(Error::Undefined {
                what: "generalized Q model",
                why: "it needs exactly one weight per included study",
            });
        }
        for (i, &a) in weights.iter().enumerate() {
            if !(a.is_finite() && a > 0.0) {
                return Err(Error::InvalidStudy {
                    study: set.included()[i],
                    field: "weight",
                    problem: if a.is_finite() {
                        Problem::NotPositive(a)
                    } else {
                        Problem::NotFinite(a)
                    },
                });
            }
        }
        let y = |i: usize| e[i].estimate();
        let v = |i: usize| e[i].variance();
        let core = fixed_core(k, y, v)?;
        let mut fit: Tau2Fit = if k == 1 {
            Tau2Fit {
                estimator: Tau2Estimator::GeneralizedQ,
                tau2: 0.0,
                se: None,
                iterations: 0,
                stop: Tau2Stop::SingleStudy,
            }
        } else {
            moment::generalized_q(k, y, v, |i| weights[i])
        };
        fit.estimator = Tau2Estimator::GeneralizedQ;
        let tau2 = fit.tau2;
        let a_sums = weighted_sums(k, y, v, |i| weights[i]);
        let var = (a_sums.sum_vw2 + tau2 * a_sums.sum_w2) / (a_sums.sum_w * a_sums.sum_w);
        let (test, notes) = test_for(self.test, k);
        let rss_w = if test.is_t() && k >= 2 {
            weighted_sums(k, y, v, |i| 1.0 / (v(i) + tau2)).rss
        } else {
            0.0
        };
        let wald = test.wald(a_sums.estimate, 1.0 / var, rss_w, k, &self.level)?;
        let df = k - 1;
        let s2 = typical_variance(df, core.sum_w, core.share_complement);
        let mut parts = Parts::of_set(
            Model::Random(Tau2Estimator::GeneralizedQ),
            set,
            wald,
            &self.level,
            weights.iter().copied(),
            a_sums.sum_w,
            Heterogeneity::random(core.q, df, tau2, s2),
        );
        parts.test = test;
        parts.df = test.is_t().then_some(df);
        parts.tau2_fit = Some(fit);
        parts.notes = notes;
        parts.build()
    }
}
