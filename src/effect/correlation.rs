//! Correlation coefficients: Fisher's z transform, the raw correlation and the unbiased
//! (Olkin-Pratt) correlation.

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

/// The raw correlation coefficient as the effect (metafor `escalc(measure = "COR")`, its
/// default `vtype = "LS"`):
///
/// ```text
/// y = r,   v = (1 - r^2)^2 / (n - 1)
/// ```
/// Source: Pearson & Filon (1898); metafor `escalc`. The input is a [`Correlation`]
/// (`-1 < r < 1`, `n >= 4`; at `|r| = 1` the variance is 0, a typed error).
///
/// ```
/// use metapool::{effect::Correlation, effect::EffectSize, effect::RawCorrelation, effect::StudyEffect};
/// let StudyEffect::Included(e) = RawCorrelation::new(Correlation::new(0.5, 51.0)?).effect()? else { unreachable!() };
/// assert_eq!(e.estimate(), 0.5);
/// assert!((e.variance() - 0.5625 / 50.0).abs() < 1e-17);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RawCorrelation {
    /// The correlation.
    pub correlation: Correlation,
}

impl RawCorrelation {
    /// The raw correlation `correlation`.
    pub fn new(correlation: Correlation) -> Self {
        RawCorrelation { correlation }
    }
}

impl EffectSize for RawCorrelation {
    fn scale(&self) -> Scale {
        Scale::Identity
    }
    fn effect(&self) -> Result<StudyEffect> {
        self.correlation.check()?;
        let Correlation { r, n } = self.correlation;
        let one_minus = (1.0 - r) * (1.0 + r);
        super::continuous::checked_effect(r, one_minus * one_minus / (n - 1.0), "correlation")
    }
}

/// The sampling variance of an [`UnbiasedCorrelation`] (metafor's `vtype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum CorrelationVariance {
    /// The large-sample variance `(1 - y^2)^2 / (n - 1)` (`vtype = "LS"`, escalc's default).
    #[default]
    LargeSample,
    /// The unbiased estimate of the variance (`vtype = "UB"`, Hedges 1989):
    /// `y^2 - (1 - (n - 3)/(n - 2) (1 - r^2) 2F1(1, 1; n/2; 1 - r^2))`.
    Unbiased,
}

/// The approximately unbiased correlation of Olkin & Pratt (1958) (metafor
/// `escalc(measure = "UCOR")`):
///
/// ```text
/// y = r 2F1(1/2, 1/2; (n - 2)/2; 1 - r^2)
/// ```
/// with the variance of [`CorrelationVariance`]. The Gauss hypergeometric function is computed
/// from Euler's integral by double-exponential quadrature (metafor uses GSL's `hyperg_2F1`).
/// Needs `n >= 5` (escalc: NA for `n <= 4`); an unbiased variance estimate that is not positive
/// is a typed error (`DegenerateVariance`). Sources: Olkin & Pratt (1958); Hedges (1989);
/// metafor `escalc`.
///
/// ```
/// use metapool::{effect::Correlation, effect::EffectSize, effect::StudyEffect, effect::UnbiasedCorrelation};
/// let StudyEffect::Included(e) = UnbiasedCorrelation::new(Correlation::new(0.5, 20.0)?).effect()? else { unreachable!() };
/// // metafor escalc("UCOR", ri = 0.5, ni = 20)
/// assert!((e.estimate() - 0.51145209695227778).abs() < 1e-14);
/// assert!((e.variance() - 0.028697857916146704).abs() < 1e-14);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UnbiasedCorrelation {
    /// The correlation.
    pub correlation: Correlation,
    /// The variance.
    pub variance: CorrelationVariance,
}

impl UnbiasedCorrelation {
    /// The unbiased correlation with the large-sample variance.
    pub fn new(correlation: Correlation) -> Self {
        UnbiasedCorrelation {
            correlation,
            variance: CorrelationVariance::default(),
        }
    }

    /// The same with another variance.
    pub fn with_variance(mut self, variance: CorrelationVariance) -> Self {
        self.variance = variance;
        self
    }
}

impl EffectSize for UnbiasedCorrelation {
    fn scale(&self) -> Scale {
        Scale::Identity
    }
    fn effect(&self) -> Result<StudyEffect> {
        use super::hypergeometric::{hyp2f1, hyp2f1_minus_one};
        self.correlation.check()?;
        let Correlation { r, n } = self.correlation;
        if n < 5.0 {
            return Err(field_err("n", Problem::TooSmall { min: 5.0, got: n }));
        }
        let x = (1.0 - r) * (1.0 + r);
        // y = r F with F - 1 computed as such, so that 1 - y^2 = x - r^2 (F - 1)(F + 1) keeps
        // its digits as |r| -> 1 (1 - y^2 itself would cancel)
        let f_minus_one = hyp2f1_minus_one(0.5, 0.5, (n - 2.0) / 2.0, x, r * r);
        let y = r * (1.0 + f_minus_one);
        let v = match self.variance {
            CorrelationVariance::LargeSample => {
                let q = x - r * r * f_minus_one * (2.0 + f_minus_one);
                q * q / (n - 1.0)
            }
            CorrelationVariance::Unbiased => {
                y * y - (1.0 - (n - 3.0) / (n - 2.0) * x * hyp2f1(1.0, 1.0, n / 2.0, x, r * r))
            }
        };
        if v.is_nan() || v <= 0.0 {
            return Err(field_err("r", Problem::DegenerateVariance(v)));
        }
        super::continuous::checked_effect(y, v, "correlation")
    }
}

validated_serde!(Correlation, |c| c.check());
