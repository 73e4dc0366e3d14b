//! Log ratios of two independent groups' means or variabilities (metafor's ROM, CVR and VR).

use super::continuous::checked_effect;
use super::{Arm, EffectSize, Scale, StudyEffect};
use crate::error::{field_err, Problem, Result};

/// Which two-group log ratio (metafor's names in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum RatioMeasure {
    /// The log ratio of means, the "response ratio" (`ROM`).
    Means,
    /// The log ratio of the coefficients of variation (`CVR`).
    CoefficientsOfVariation,
    /// The log ratio of the standard deviations, the "variability ratio" (`VR`).
    StandardDeviations,
}

/// A log ratio of arm 1 to arm 2, as metafor's `escalc` computes it (analysed on the log scale,
/// shown as the ratio).
///
/// ```text
/// ROM  y = ln(m1 / m2)                                  v = sd1^2/(n1 m1^2) + sd2^2/(n2 m2^2)
/// CVR  y = ln(cv1 / cv2) + 1/(2(n1-1)) - 1/(2(n2-1))    v = 1/(2(n1-1)) + sd1^2/(n1 m1^2)
///                                                          + 1/(2(n2-1)) + sd2^2/(n2 m2^2)
/// VR   y = ln(sd1 / sd2) + 1/(2(n1-1)) - 1/(2(n2-1))    v = 1/(2(n1-1)) + 1/(2(n2-1))
/// ```
/// with `cv = sd / m` (ROM: `vtype = "LS"`, escalc's default). ROM needs `m1 / m2 > 0`
/// (escalc: NaN), else `RatioNotPositive` naming `m2`; CVR takes the log of each arm's CV and
/// needs both means `> 0` (`NotPositive`). The means do not enter
/// VR. Sources: Hedges, Gurevitch & Curtis (1999); Nakagawa et al. (2015); metafor
/// `escalc(measure = "ROM" | "CVR" | "VR")`.
///
/// ```
/// use metapool::{effect::Arm, effect::EffectSize, effect::LogRatio, effect::RatioMeasure, effect::StudyEffect};
/// let (a, b) = (Arm::new(20.0, 4.0, 10.0)?, Arm::new(10.0, 3.0, 10.0)?);
/// let StudyEffect::Included(e) = LogRatio::new(a, b, RatioMeasure::Means).effect()? else { unreachable!() };
/// assert!((e.estimate() - 2f64.ln()).abs() < 1e-15);
/// assert!((e.variance() - (16.0 / 4000.0 + 9.0 / 1000.0)).abs() < 1e-17);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct LogRatio {
    /// Arm 1 (numerator).
    pub arm1: Arm,
    /// Arm 2 (denominator).
    pub arm2: Arm,
    /// The measure.
    pub measure: RatioMeasure,
}

impl LogRatio {
    /// The log ratio `measure` of `arm1` to `arm2` (validated when the effect is computed).
    pub fn new(arm1: Arm, arm2: Arm, measure: RatioMeasure) -> Self {
        LogRatio {
            arm1,
            arm2,
            measure,
        }
    }

    fn check(&self) -> Result<()> {
        self.arm1.check_as("m1", "sd1", "n1")?;
        self.arm2.check_as("m2", "sd2", "n2")?;
        if self.measure == RatioMeasure::CoefficientsOfVariation {
            // ln(sd / m) of each arm, as escalc takes it: each mean must be positive
            for (field, m) in [("m1", self.arm1.mean), ("m2", self.arm2.mean)] {
                if m <= 0.0 {
                    return Err(field_err(field, Problem::NotPositive(m)));
                }
            }
        }
        if self.measure == RatioMeasure::Means {
            let ratio = self.arm1.mean / self.arm2.mean;
            if !(ratio > 0.0 && ratio.is_finite()) {
                return Err(field_err("m2", Problem::RatioNotPositive(ratio)));
            }
        }
        Ok(())
    }
}

impl EffectSize for LogRatio {
    fn scale(&self) -> Scale {
        Scale::Log
    }

    fn effect(&self) -> Result<StudyEffect> {
        self.check()?;
        let (a, b) = (&self.arm1, &self.arm2);
        let (c1, c2) = (a.sd / a.mean, b.sd / b.mean);
        let (h1, h2) = (1.0 / (2.0 * (a.n - 1.0)), 1.0 / (2.0 * (b.n - 1.0)));
        let (y, v) = match self.measure {
            RatioMeasure::Means => ((a.mean / b.mean).ln(), c1 * c1 / a.n + c2 * c2 / b.n),
            RatioMeasure::CoefficientsOfVariation => (
                (c1 / c2).ln() + h1 - h2,
                h1 + c1 * c1 / a.n + h2 + c2 * c2 / b.n,
            ),
            RatioMeasure::StandardDeviations => ((a.sd / b.sd).ln() + h1 - h2, h1 + h2),
        };
        checked_effect(y, v, "log ratio")
    }
}

validated_serde!(LogRatio, |r| r.check());
