//! Mean change in one group measured twice (metafor's MC, SMCC, SMCR, SMCRH and ROMC).

use super::continuous::{checked_effect, hedges_exact_j};
use super::{EffectSize, Scale, StudyEffect};
use crate::error::{count_at_least, field_err, finite, positive, Problem, Result};

/// The summary of one group measured on two occasions: the means and SDs at occasion 1 and
/// occasion 2, the number of participants and the correlation between the two occasions
/// (metafor's `m1i, sd1i, m2i, sd2i, ni, ri`).
///
/// The change is occasion 1 minus occasion 2 (metafor's `m1i - m2i`): give the after-treatment
/// values as occasion 1 for "after minus before".
///
/// ```
/// use metapool::effect::PairedMeans;
/// let p = PairedMeans::new(5.0, 2.0, 8.0, 2.5, 20.0, 0.6)?;
/// assert_eq!(p.mean1 - p.mean2, -3.0);
/// assert!(PairedMeans::new(5.0, 2.0, 8.0, 2.5, 20.0, 1.5).is_err()); // |r| > 1
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct PairedMeans {
    /// Mean at occasion 1 (metafor `m1i`).
    pub mean1: f64,
    /// SD at occasion 1 (`sd1i`).
    pub sd1: f64,
    /// Mean at occasion 2 (`m2i`).
    pub mean2: f64,
    /// SD at occasion 2 (`sd2i`).
    pub sd2: f64,
    /// Number of participants (`ni`).
    pub n: f64,
    /// Correlation between the two occasions, in [-1, 1] (`ri`).
    pub r: f64,
}

impl PairedMeans {
    /// Validated paired means: finite means, SDs > 0, a whole `n >= 1`, `-1 <= r <= 1`.
    ///
    /// ```
    /// use metapool::effect::PairedMeans;
    /// assert!(PairedMeans::new(5.0, 2.0, 8.0, 0.0, 20.0, 0.5).is_err()); // SD 0
    /// ```
    pub fn new(mean1: f64, sd1: f64, mean2: f64, sd2: f64, n: f64, r: f64) -> Result<Self> {
        let p = PairedMeans {
            mean1,
            sd1,
            mean2,
            sd2,
            n,
            r,
        };
        p.check(true)?;
        Ok(p)
    }

    fn check(&self, needs_sd2: bool) -> Result<()> {
        finite("m1", self.mean1)?;
        positive("sd1", self.sd1)?;
        finite("m2", self.mean2)?;
        if needs_sd2 {
            positive("sd2", self.sd2)?;
        }
        count_at_least("n", self.n, 1.0)?;
        paired_correlation(self.r)?;
        Ok(())
    }

    /// The variance of the differences, `sd1^2 + sd2^2 - 2 r sd1 sd2`, evaluated as
    /// `(sd1 - sd2)^2 + 2 (1 - r) sd1 sd2` (non-negative terms: no cancellation as r -> 1).
    fn difference_variance(&self) -> f64 {
        difference_variance(self.sd1, self.sd2, self.r)
    }
}

/// Which mean-change measure (metafor's names in brackets).
///
/// ```
/// use metapool::effect::ChangeMeasure;
/// assert_eq!(ChangeMeasure::StandardizedByChangeScore.metafor_name(), "SMCC");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum ChangeMeasure {
    /// Raw mean change (`MC`).
    Raw,
    /// Mean change standardized by the SD of the change scores (`SMCC`).
    StandardizedByChangeScore,
    /// Mean change standardized by the SD at occasion 1, metafor's raw-score standardization
    /// (`SMCR`); `sd2` is not used.
    StandardizedByRawScore,
    /// The same with the heteroscedastic variance of Bonett (2008) (`SMCRH`).
    StandardizedByRawScoreHeteroscedastic,
    /// Log ratio of the two means (`ROMC`), shown as the ratio.
    LogRatioOfMeans,
}

impl ChangeMeasure {
    /// metafor's `measure` name.
    pub fn metafor_name(self) -> &'static str {
        match self {
            ChangeMeasure::Raw => "MC",
            ChangeMeasure::StandardizedByChangeScore => "SMCC",
            ChangeMeasure::StandardizedByRawScore => "SMCR",
            ChangeMeasure::StandardizedByRawScoreHeteroscedastic => "SMCRH",
            ChangeMeasure::LogRatioOfMeans => "ROMC",
        }
    }
}

/// A mean change of one group measured twice, as metafor's `escalc` computes it.
///
/// ```text
/// d = m1 - m2,  s_d^2 = sd1^2 + sd2^2 - 2 r sd1 sd2,  J = J(n - 1) (Hedges' exact correction)
/// MC     y = d                                 v = s_d^2 / n
/// SMCC   y = J d / s_d                         v = 1/n + y^2 / (2n)
/// SMCR   y = J d / sd1                         v = 2 (1 - r) / n + y^2 / (2n)
/// SMCRH  y = J d / sd1                         v = J^2 (s_d^2 / (sd1^2 (n - 1)) + y^2 / (2 (n - 1)))
/// ROMC   y = ln(m1 / m2)                       v = sd1^2/(n m1^2) + sd2^2/(n m2^2) - 2 r sd1 sd2/(n m1 m2)
/// ```
/// (`vtype = "LS"`, escalc's default, for SMCC and SMCR.) Sources: Gibbons, Hedeker & Davis
/// (1993); Becker (1988); Bonett (2008); Lajeunesse (2011); metafor `escalc(measure = "MC" |
/// "SMCC" | "SMCR" | "SMCRH" | "ROMC")`.
///
/// Errors: the standardized measures need `n >= 3` (escalc: NA), ROMC a positive ratio
/// `m1 / m2` (`RatioNotPositive`), and a variance that is zero (`r = 1` with equal SDs) is
/// `DegenerateVariance`, naming `r`.
///
/// ```
/// use metapool::{effect::ChangeMeasure, effect::EffectSize, effect::MeanChange, effect::PairedMeans, effect::StudyEffect};
/// let p = PairedMeans::new(12.0, 4.0, 10.0, 4.0, 25.0, 0.5)?;
/// let StudyEffect::Included(e) = MeanChange::new(p, ChangeMeasure::Raw).effect()? else { unreachable!() };
/// assert_eq!((e.estimate(), e.variance()), (2.0, 16.0 / 25.0)); // s_d^2 = 16 + 16 - 16
/// let smcc = MeanChange::new(p, ChangeMeasure::StandardizedByChangeScore);
/// let StudyEffect::Included(e) = smcc.effect()? else { unreachable!() };
/// // metafor escalc("SMCC", m1i = 12, m2i = 10, sd1i = 4, sd2i = 4, ni = 25, ri = 0.5)
/// assert!((e.estimate() - 0.48418261672385854).abs() < 1e-15);
/// assert!((e.variance() - 0.044688656126751256).abs() < 1e-15);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct MeanChange {
    /// The data.
    pub data: PairedMeans,
    /// The measure.
    pub measure: ChangeMeasure,
}

impl MeanChange {
    /// A mean change of `data` as `measure` (validated when the effect is computed).
    pub fn new(data: PairedMeans, measure: ChangeMeasure) -> Self {
        MeanChange { data, measure }
    }

    fn check(&self) -> Result<()> {
        use ChangeMeasure::*;
        self.data.check(self.measure != StandardizedByRawScore)?;
        if !matches!(self.measure, Raw | LogRatioOfMeans) {
            count_at_least("n", self.data.n, 3.0)?;
        }
        Ok(())
    }
}

impl EffectSize for MeanChange {
    fn scale(&self) -> Scale {
        match self.measure {
            ChangeMeasure::LogRatioOfMeans => Scale::Log,
            _ => Scale::Identity,
        }
    }

    fn effect(&self) -> Result<StudyEffect> {
        use ChangeMeasure::*;
        self.check()?;
        let p = &self.data;
        let n = p.n;
        let d = p.mean1 - p.mean2;
        let j = || hedges_exact_j(n - 1.0);
        let (y, v) = match self.measure {
            Raw => (d, p.difference_variance() / n),
            StandardizedByChangeScore => {
                let s_d = p.difference_variance().sqrt();
                degenerate_if_zero(s_d)?;
                let y = j() * d / s_d;
                (y, 1.0 / n + y * y / (2.0 * n))
            }
            StandardizedByRawScore => {
                let y = j() * d / p.sd1;
                (y, 2.0 * (1.0 - p.r) / n + y * y / (2.0 * n))
            }
            StandardizedByRawScoreHeteroscedastic => {
                let j = j();
                let y = j * d / p.sd1;
                let v = p.difference_variance() / (p.sd1 * p.sd1 * (n - 1.0))
                    + y * y / (2.0 * (n - 1.0));
                (y, j * j * v)
            }
            LogRatioOfMeans => {
                let ratio = p.mean1 / p.mean2;
                if !(ratio > 0.0 && ratio.is_finite()) {
                    return Err(field_err("m2", Problem::RatioNotPositive(ratio)));
                }
                let (c1, c2) = (p.sd1 / p.mean1, p.sd2 / p.mean2);
                let v = (c1 * c1 + c2 * c2 - 2.0 * p.r * c1 * c2) / n;
                (ratio.ln(), v)
            }
        };
        if v.is_nan() || v <= 0.0 {
            return Err(field_err("r", Problem::DegenerateVariance(v)));
        }
        checked_effect(y, v, "mean change")
    }
}

fn degenerate_if_zero(s: f64) -> Result<()> {
    if s > 0.0 {
        Ok(())
    } else {
        Err(field_err("r", Problem::DegenerateVariance(s * s)))
    }
}

/// A correlation between two measurements of the same participants: finite and in [-1, 1].
pub(super) fn paired_correlation(r: f64) -> Result<f64> {
    finite("r", r)?;
    if !(-1.0..=1.0).contains(&r) {
        return Err(field_err(
            "r",
            Problem::OutOfRange {
                lo: -1.0,
                hi: 1.0,
                got: r,
            },
        ));
    }
    Ok(r)
}

/// The variance of the difference of two measurements with SDs `sd1`, `sd2` and correlation
/// `r`, `sd1^2 + sd2^2 - 2 r sd1 sd2`, as `(sd1 - sd2)^2 + 2 (1 - r) sd1 sd2` (see
/// `PrePostMeanDifference::variance`).
pub(super) fn difference_variance(sd1: f64, sd2: f64, r: f64) -> f64 {
    let diff = sd1 - sd2;
    diff * diff + 2.0 * (1.0 - r) * sd1 * sd2
}

validated_serde!(PairedMeans, |p| p.check(false));

validated_serde!(MeanChange, |m| m.check());
