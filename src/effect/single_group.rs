//! One group's mean and variability (metafor's MN, MNLN, CVLN and SDLN).

use super::continuous::checked_effect;
use super::{EffectSize, Scale, StudyEffect};
use crate::error::{count_at_least, field_err, finite, positive, Problem, Result};

/// The mean, SD and size of one group (metafor's `mi, sdi, ni`).
///
/// ```
/// use metapool::effect::GroupSummary;
/// assert!(GroupSummary::new(4.2, 1.1, 30.0).is_ok());
/// assert!(GroupSummary::new(4.2, -1.1, 30.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct GroupSummary {
    /// Mean (`mi`; not used by [`GroupMeasure::LogStandardDeviation`]).
    pub mean: f64,
    /// Standard deviation (`sdi`).
    pub sd: f64,
    /// Number of participants (`ni`).
    pub n: f64,
}

impl GroupSummary {
    /// A validated summary: a finite mean, `sd > 0`, a whole `n >= 2`.
    pub fn new(mean: f64, sd: f64, n: f64) -> Result<Self> {
        let g = GroupSummary { mean, sd, n };
        g.check(true)?;
        Ok(g)
    }

    fn check(&self, needs_mean: bool) -> Result<()> {
        if needs_mean {
            finite("mean", self.mean)?;
        }
        positive("sd", self.sd)?;
        count_at_least("n", self.n, 2.0)?;
        Ok(())
    }
}

/// Which single-group measure (metafor's names in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum GroupMeasure {
    /// The raw mean (`MN`).
    Mean,
    /// The log mean (`MNLN`), shown as the mean.
    LogMean,
    /// The log coefficient of variation (`CVLN`), shown as the CV.
    LogCoefficientOfVariation,
    /// The log standard deviation (`SDLN`), shown as the SD.
    LogStandardDeviation,
}

/// A single-group mean or variability measure, as metafor's `escalc` computes it.
///
/// ```text
/// MN     y = m                                v = sd^2 / n
/// MNLN   y = ln m                             v = sd^2 / (n m^2)
/// CVLN   y = ln(sd / m) + 1 / (2 (n - 1))     v = 1 / (2 (n - 1)) + sd^2 / (n m^2)
/// SDLN   y = ln sd + 1 / (2 (n - 1))          v = 1 / (2 (n - 1))
/// ```
/// The log measures are analysed on the log scale ([`Scale::Log`]). MNLN and CVLN need a mean
/// `> 0` (escalc rejects negative means; a zero mean has no log): `NotPositive` on `mean`.
/// Sources: Nakagawa et al. (2015) for the bias-corrected log CV and log SD; metafor
/// `escalc(measure = "MN" | "MNLN" | "CVLN" | "SDLN")`.
///
/// ```
/// use metapool::{effect::EffectSize, effect::GroupEffect, effect::GroupMeasure, effect::GroupSummary, effect::StudyEffect};
/// let g = GroupSummary::new(10.0, 2.0, 26.0)?;
/// let StudyEffect::Included(e) = GroupEffect::new(g, GroupMeasure::LogStandardDeviation).effect()? else { unreachable!() };
/// assert!((e.estimate() - (2f64.ln() + 0.02)).abs() < 1e-15);
/// assert!((e.variance() - 0.02).abs() < 1e-17);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct GroupEffect {
    /// The group.
    pub group: GroupSummary,
    /// The measure.
    pub measure: GroupMeasure,
}

impl GroupEffect {
    /// `group` as `measure` (validated when the effect is computed).
    pub fn new(group: GroupSummary, measure: GroupMeasure) -> Self {
        GroupEffect { group, measure }
    }

    fn check(&self) -> Result<()> {
        use GroupMeasure::*;
        self.group.check(self.measure != LogStandardDeviation)?;
        if matches!(self.measure, LogMean | LogCoefficientOfVariation) && self.group.mean <= 0.0 {
            return Err(field_err("mean", Problem::NotPositive(self.group.mean)));
        }
        Ok(())
    }
}

impl EffectSize for GroupEffect {
    fn scale(&self) -> Scale {
        match self.measure {
            GroupMeasure::Mean => Scale::Identity,
            _ => Scale::Log,
        }
    }

    fn effect(&self) -> Result<StudyEffect> {
        use GroupMeasure::*;
        self.check()?;
        let GroupSummary { mean: m, sd, n } = self.group;
        let bias = 1.0 / (2.0 * (n - 1.0));
        let (y, v) = match self.measure {
            Mean => (m, sd * sd / n),
            LogMean => (m.ln(), (sd / m) * (sd / m) / n),
            LogCoefficientOfVariation => ((sd / m).ln() + bias, bias + (sd / m) * (sd / m) / n),
            LogStandardDeviation => (sd.ln() + bias, bias),
        };
        checked_effect(y, v, "single-group measure")
    }
}

validated_serde!(GroupSummary, |g| g.check(false));

validated_serde!(GroupEffect, |g| g.check());
