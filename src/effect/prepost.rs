//! The pre/post mean difference of self-controlled studies (the same patients measured before
//! and after treatment).

use super::change::{difference_variance, paired_correlation};
use super::continuous::checked_effect;
use super::{EffectSize, Scale, StudyEffect};
use crate::error::{count_at_least, field_err, finite, positive, Problem, Result};

/// The before and after measurements of one self-controlled study (the same `n` patients).
///
/// ```
/// use metapool::{effect::EffectSize, effect::PrePost, effect::PrePostMeanDifference, effect::StudyEffect};
/// let pp = PrePost { mean_pre: 8.0, sd_pre: 2.0, mean_post: 5.0, sd_post: 2.0, n: 16.0 };
/// // r = 0: the two time points as independent samples, v = (4 + 4) / 16
/// let StudyEffect::Included(e) = PrePostMeanDifference::new(pp, 0.0)?.effect()? else { unreachable!() };
/// assert_eq!((e.estimate(), e.variance()), (-3.0, 0.5));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PrePost {
    /// Mean before treatment.
    pub mean_pre: f64,
    /// SD before treatment.
    pub sd_pre: f64,
    /// Mean after treatment.
    pub mean_post: f64,
    /// SD after treatment.
    pub sd_post: f64,
    /// Number of patients.
    pub n: f64,
}

/// Mean change in a self-controlled study (after minus before), for case series such as those of
/// Zhou et al. 2020 Table 3.
///
/// ```text
/// y = m_post - m_pre
/// v = (sd_pre^2 + sd_post^2 - 2 r sd_pre sd_post) / n
/// ```
/// `r` is the correlation between a patient's before and after values, an explicit parameter
/// because papers rarely report it. `r = 0` treats the two time points as if they were
/// independent samples of size n (`v = sd_pre^2/n + sd_post^2/n`): it is what a two-group
/// analysis of before/after data in RevMan computes, and it is conservative when the true
/// correlation is positive. Source: metafor `escalc(measure = "MC")`; Morris & DeShon (2002).
///
/// ```
/// use metapool::{effect::EffectSize, effect::PrePost, effect::PrePostMeanDifference, effect::StudyEffect};
/// let pp = PrePost { mean_pre: 8.0, sd_pre: 2.0, mean_post: 5.0, sd_post: 2.0, n: 16.0 };
/// let d = PrePostMeanDifference::new(pp, 0.5)?;
/// let StudyEffect::Included(e) = d.effect()? else { unreachable!() };
/// assert_eq!(e.estimate(), -3.0);
/// assert!((e.variance() - 0.25).abs() < 1e-15);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct PrePostMeanDifference {
    /// The measurements.
    pub data: PrePost,
    /// Pre/post correlation, in [-1, 1].
    pub r: f64,
}

impl PrePostMeanDifference {
    /// A validated pre/post mean difference with correlation `r`.
    ///
    /// ```
    /// use metapool::{effect::EffectSize, effect::PrePost, effect::PrePostMeanDifference, effect::StudyEffect};
    /// let pp = PrePost { mean_pre: 8.0, sd_pre: 2.0, mean_post: 5.0, sd_post: 3.0, n: 10.0 };
    /// // v = (sd_pre² + sd_post² - 2 r sd_pre sd_post) / n = (4 + 9 - 2 * 0.8 * 6) / 10
    /// let StudyEffect::Included(e) = PrePostMeanDifference::new(pp, 0.8)?.effect()? else { unreachable!() };
    /// assert!((e.variance() - 0.34).abs() < 1e-15);
    /// assert!(PrePostMeanDifference::new(pp, 1.5).is_err()); // r outside [-1, 1]
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(data: PrePost, r: f64) -> Result<Self> {
        let s = PrePostMeanDifference { data, r };
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> Result<()> {
        let d = &self.data;
        finite("mean_pre", d.mean_pre)?;
        positive("sd_pre", d.sd_pre)?;
        finite("mean_post", d.mean_post)?;
        positive("sd_post", d.sd_post)?;
        count_at_least("n", d.n, 2.0)?;
        paired_correlation(self.r)?;
        if self.variance() <= 0.0 {
            return Err(field_err("r", Problem::DegenerateVariance(self.variance())));
        }
        Ok(())
    }

    /// `(sd_pre^2 + sd_post^2 - 2 r sd_pre sd_post) / n`, evaluated as the algebraically equal
    /// `((sd_pre - sd_post)^2 + 2 (1 - r) sd_pre sd_post) / n`: a sum of non-negative terms, so
    /// it keeps full precision as r approaches 1 (the textbook form cancels: at r = 1 - 1e-12
    /// with equal SDs it keeps 4 digits) and cannot turn into `inf - inf = NaN` for huge SDs.
    fn variance(&self) -> f64 {
        let d = &self.data;
        difference_variance(d.sd_pre, d.sd_post, self.r) / d.n
    }
}

impl EffectSize for PrePostMeanDifference {
    fn scale(&self) -> Scale {
        Scale::Identity
    }
    fn effect(&self) -> Result<StudyEffect> {
        self.check()?;
        checked_effect(
            self.data.mean_post - self.data.mean_pre,
            self.variance(),
            "pre/post mean difference",
        )
    }
}

validated_serde!(PrePostMeanDifference, |p| p.check());
