//! Fixed-effect (common-effect) pooling: inverse variance for any effect size, and
//! Mantel-Haenszel for odds ratios from 2x2 tables.

use super::test::Test;
use super::{assemble, fixed_core, percent, FixedMethod, Model, Pooled, Wald};
use crate::effect::{EffectSet, EffectSize, LogOddsRatio};
use crate::error::{Error, Result};
use crate::heterogeneity::Heterogeneity;
use crate::inference::ConfidenceLevel;
use crate::numeric::NeumaierSum;

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
/// assert_eq!(fit.weights, vec![50.0, 50.0]);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FixedModel {
    /// Confidence level of the interval.
    pub level: ConfidenceLevel,
    /// How the estimate is tested (z by default). metafor allows the Knapp-Hartung tests for
    /// fixed-effect models (with a warning that they are not meant for them); the scale factor
    /// is then `Q / (k - 1)`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub test: Test,
}

impl FixedModel {
    /// An inverse-variance fixed-effect model with the given confidence level and the z test.
    pub fn new(level: ConfidenceLevel) -> Self {
        FixedModel {
            level,
            test: Test::Z,
        }
    }

    /// The same model with another test.
    pub fn with_test(mut self, test: Test) -> Self {
        self.test = test;
        self
    }

    /// Pool a set of effects.
    pub fn pool(&self, set: &EffectSet) -> Result<Pooled> {
        let e = set.effects();
        let core = fixed_core(e.len(), |i| e[i].estimate(), |i| e[i].variance())?;
        let wald = match self.test {
            Test::Z => Wald::new(core.estimate, (1.0 / core.sum_w).sqrt(), &self.level),
            test => test.wald(core.estimate, core.sum_w, core.q, core.k, &self.level)?,
        };
        let weights = percent(e.iter().map(|x| 1.0 / x.variance()), core.sum_w);
        let mut pooled = assemble(
            Model::Fixed(FixedMethod::InverseVariance),
            set,
            wald,
            &self.level,
            weights,
            Heterogeneity::fixed(core.q, core.k - 1),
        )?;
        pooled.test = self.test;
        pooled.df = self.test.is_t().then_some(core.k - 1);
        Ok(pooled)
    }

    /// Compute each study's effect and pool them.
    pub fn pool_studies<E: EffectSize>(&self, studies: &[E]) -> Result<Pooled> {
        self.pool(&EffectSet::from_studies(studies)?)
    }
}

/// Mantel-Haenszel fixed-effect odds ratio with the Robins-Breslow-Greenland variance, RevMan's
/// default for dichotomous data.
///
/// On the raw cells `(a, b, c, d)` of each table, with `N = a + b + c + d` (no continuity
/// correction is needed for the pooled estimate):
/// ```text
/// R_i = a d / N,  S_i = b c / N,  P_i = (a + d) / N,  Q_i = (b + c) / N
/// OR_MH = sum R / sum S
/// var(ln OR_MH) = sum P R / (2 (sum R)^2) + sum (P S + Q R) / (2 sum R sum S)
///               + sum Q S / (2 (sum S)^2)
/// weight_i = S_i / sum S
/// ```
/// Heterogeneity, as RevMan and metafor `rma.mh` compute it: Q around `ln OR_MH` with the
/// inverse-variance weights of the per-study log odds ratios (continuity-corrected where a cell
/// is zero), over the estimable studies, on (estimable studies - 1) df. Tables with no events or
/// all events in both arms contribute nothing and are reported as excluded.
///
/// Sources: Mantel & Haenszel (1959); Robins, Breslow & Greenland (1986); Deeks & Higgins (2010),
/// Statistical algorithms in Review Manager 5; metafor `rma.mh`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MantelHaenszel {
    /// Confidence level of the interval.
    pub level: ConfidenceLevel,
}

impl MantelHaenszel {
    /// A Mantel-Haenszel model with the given confidence level.
    pub fn new(level: ConfidenceLevel) -> Self {
        MantelHaenszel { level }
    }

    /// Pool 2x2 tables. Errors for an empty input, an invalid table (naming it), when every
    /// table is excluded, or when `sum R` or `sum S` is zero (the MH odds ratio is 0 or infinite).
    pub fn pool(&self, tables: &[LogOddsRatio]) -> Result<Pooled> {
        let set = EffectSet::from_studies(tables)?;
        let (mut sr, mut ss) = (NeumaierSum::default(), NeumaierSum::default());
        let (mut spr, mut sps_qr, mut sqs) = (
            NeumaierSum::default(),
            NeumaierSum::default(),
            NeumaierSum::default(),
        );
        let mut s_each = Vec::with_capacity(set.len());
        for &i in set.included() {
            let [a, b, c, d] = tables[i].table.cells();
            let n = a + b + c + d;
            let (r, s) = (a * d / n, b * c / n);
            let (p, q) = ((a + d) / n, (b + c) / n);
            sr.add(r);
            ss.add(s);
            spr.add(p * r);
            sps_qr.add(p * s + q * r);
            sqs.add(q * s);
            s_each.push(s);
        }
        let (sum_r, sum_s) = (sr.value(), ss.value());
        if sum_r <= 0.0 || sum_s <= 0.0 {
            return Err(Error::Undefined {
                what: "Mantel-Haenszel odds ratio",
                why: "a sum of a*d/N or b*c/N over the tables is zero",
            });
        }
        let estimate = (sum_r / sum_s).ln();
        let var = spr.value() / (2.0 * sum_r * sum_r)
            + sps_qr.value() / (2.0 * sum_r * sum_s)
            + sqs.value() / (2.0 * sum_s * sum_s);
        let wald = Wald::new(estimate, var.sqrt(), &self.level);
        let mut q = NeumaierSum::default();
        for e in set.effects() {
            let d = e.estimate() - estimate;
            q.add(d * d / e.variance());
        }
        let weights = percent(s_each.into_iter(), sum_s);
        assemble(
            Model::Fixed(FixedMethod::MantelHaenszel),
            &set,
            wald,
            &self.level,
            weights,
            Heterogeneity::fixed(q.value(), set.len() - 1),
        )
    }
}
