//! Correlation coefficients: Fisher's z transform.

use super::{Effect, EffectSize, Scale, StudyEffect};
use crate::error::{count, field_err, finite, Problem, Result};
use crate::numeric::wide;

/// A Pearson correlation `r` observed in `n` participants.
///
/// Valid when `-1 < r < 1` and `n` is a whole number `>= 4` (Fisher's z variance `1/(n - 3)`
/// needs `n > 3`; metafor leaves the variance missing for `n <= 3`).
///
/// ```
/// use metapool::effect::Correlation;
/// assert!(Correlation::new(0.3, 50.0).is_ok());
/// assert!(Correlation::new(1.0, 50.0).is_err());
/// assert!(Correlation::new(0.3, 3.0).is_err());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct Correlation {
    /// The correlation coefficient.
    pub r: f64,
    /// The sample size.
    pub n: f64,
}

impl Correlation {
    /// A validated correlation (`f32` or `f64` inputs, widened to `f64`).
    ///
    /// ```
    /// use metapool::effect::Correlation;
    /// assert!(Correlation::new(0.187, 109.0).is_ok());
    /// assert!(Correlation::new(1.2, 109.0).is_err()); // |r| > 1
    /// assert!(Correlation::new(0.187f32, 3.0).is_err()); // Fisher's z needs n > 3
    /// ```
    pub fn new<T: num_traits::Float>(r: T, n: T) -> Result<Self> {
        let c = Correlation {
            r: wide(r),
            n: wide(n),
        };
        c.check()?;
        Ok(c)
    }

    pub(crate) fn check(&self) -> Result<()> {
        finite("r", self.r)?;
        if !(self.r > -1.0 && self.r < 1.0) {
            return Err(field_err(
                "r",
                Problem::OutOfRange {
                    lo: -1.0,
                    hi: 1.0,
                    got: self.r,
                },
            ));
        }
        count("n", self.n)?;
        if self.n < 4.0 {
            return Err(field_err(
                "n",
                Problem::TooSmall {
                    min: 4.0,
                    got: self.n,
                },
            ));
        }
        Ok(())
    }
}

/// Fisher's z transform of a correlation (analysed as z, shown as `r = tanh(z)`).
///
/// ```text
/// y = atanh(r) = 1/2 ln((1 + r) / (1 - r)),   v = 1 / (n - 3)
/// ```
/// Sources: Fisher (1921); metafor `escalc(measure = "ZCOR")` and `transf.ztor`.
///
/// ```
/// use metapool::{effect::Correlation, effect::EffectSize, effect::FisherZ, effect::Scale, effect::StudyEffect};
/// let z = FisherZ::new(Correlation::new(0.5, 53.0)?);
/// assert_eq!(z.scale(), Scale::FisherZ);
/// let StudyEffect::Included(e) = z.effect()? else { unreachable!() };
/// assert!((e.estimate() - 0.5 * 3f64.ln()).abs() < 1e-15);
/// assert!((e.variance() - 0.02).abs() < 1e-17);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FisherZ {
    /// The correlation.
    pub correlation: Correlation,
}

impl FisherZ {
    /// Fisher's z of a correlation.
    ///
    /// ```
    /// use metapool::{effect::Correlation, effect::EffectSize, effect::FisherZ, effect::Scale, effect::StudyEffect};
    /// // dat.molloy2014, first study: r = 0.187, n = 109 (metafor escalc("ZCOR"))
    /// let z = FisherZ::new(Correlation::new(0.187, 109.0)?);
    /// let StudyEffect::Included(e) = z.effect()? else { unreachable!() };
    /// assert!((e.estimate() - 0.1892266425309288).abs() < 1e-15); // atanh(r)
    /// assert!((e.variance() - 1.0 / 106.0).abs() < 1e-15); // 1 / (n - 3)
    /// assert_eq!(z.scale(), Scale::FisherZ);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(correlation: Correlation) -> Self {
        FisherZ { correlation }
    }
}

impl EffectSize for FisherZ {
    fn scale(&self) -> Scale {
        Scale::FisherZ
    }
    fn effect(&self) -> Result<StudyEffect> {
        self.correlation.check()?;
        let y = self.correlation.r.atanh();
        let v = 1.0 / (self.correlation.n - 3.0);
        Ok(StudyEffect::Included(Effect::new(y, v)?))
    }
}

validated_serde!(Correlation, |c| c.check());
