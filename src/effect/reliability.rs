//! Cronbach's alpha, transformed (metafor's AHW and ABT).

use super::continuous::checked_effect;
use super::{EffectSize, Scale, StudyEffect};
use crate::error::{count_at_least, field_err, finite, Problem, Result};

/// One study's Cronbach's alpha with its number of items and of participants (metafor's
/// `ai, mi, ni`).
///
/// ```
/// use metapool::effect::CronbachAlpha;
/// assert!(CronbachAlpha::new(0.8, 10.0, 100.0).is_ok());
/// assert!(CronbachAlpha::new(1.0, 10.0, 100.0).is_err()); // alpha must be < 1
/// assert!(CronbachAlpha::new(0.8, 1.0, 100.0).is_err()); // at least two items
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct CronbachAlpha {
    /// The alpha coefficient, `< 1` (`ai`).
    pub alpha: f64,
    /// Number of items, a whole number `>= 2` (`mi`).
    pub items: f64,
    /// Number of participants, a whole number `>= 3` (`ni`).
    pub n: f64,
}

impl CronbachAlpha {
    /// A validated alpha.
    pub fn new(alpha: f64, items: f64, n: f64) -> Result<Self> {
        let a = CronbachAlpha { alpha, items, n };
        a.check()?;
        Ok(a)
    }

    fn check(&self) -> Result<()> {
        finite("alpha", self.alpha)?;
        if self.alpha >= 1.0 {
            return Err(field_err(
                "alpha",
                Problem::OutOfRange {
                    lo: f64::NEG_INFINITY,
                    hi: 1.0,
                    got: self.alpha,
                },
            ));
        }
        count_at_least("items", self.items, 2.0)?;
        count_at_least("n", self.n, 3.0)?;
        Ok(())
    }
}

/// Which transformation of alpha.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum AlphaTransform {
    /// Hakstian & Whalen (1976), `1 - (1 - alpha)^(1/3)` (metafor `AHW`).
    HakstianWhalen,
    /// Bonett (2002), `-ln(1 - alpha)` (metafor `ABT`).
    Bonett,
}

/// A transformed Cronbach's alpha, as metafor's `escalc` computes it (`m` items, `n`
/// participants):
///
/// ```text
/// AHW  y = 1 - (1 - alpha)^(1/3)   v = 18 m (n - 1) (1 - alpha)^(2/3) / ((m - 1) (9n - 11)^2)
/// ABT  y = -ln(1 - alpha)          v = 2 m / ((m - 1) (n - 2))
/// ```
/// Analysed and shown on the transformed scale ([`Scale::Identity`]); back-transform a pooled
/// value with [`AlphaTransform::to_alpha`]. Alpha must be `< 1` (escalc rejects alpha `> 1`
/// and gives an infinite or zero variance at 1), items `>= 2`, `n >= 3`. Sources: Hakstian &
/// Whalen (1976); Bonett (2002); metafor `escalc(measure = "AHW" | "ABT")`.
///
/// ```
/// use metapool::{effect::AlphaEffect, effect::AlphaTransform, effect::CronbachAlpha, effect::EffectSize, effect::StudyEffect};
/// let a = CronbachAlpha::new(0.75, 5.0, 52.0)?;
/// let StudyEffect::Included(e) = AlphaEffect::new(a, AlphaTransform::Bonett).effect()? else { unreachable!() };
/// assert!((e.estimate() - 4f64.ln()).abs() < 1e-15);
/// assert!((e.variance() - 10.0 / 200.0).abs() < 1e-17);
/// assert!((AlphaTransform::Bonett.to_alpha(e.estimate()) - 0.75).abs() < 1e-15);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct AlphaEffect {
    /// The alpha.
    pub alpha: CronbachAlpha,
    /// The transformation.
    pub transform: AlphaTransform,
}

impl AlphaTransform {
    /// The inverse transformation, from the analysis scale to alpha (metafor `transf.iahw`,
    /// `transf.iabt`).
    ///
    /// ```
    /// use metapool::effect::AlphaTransform;
    /// assert!((AlphaTransform::HakstianWhalen.to_alpha(0.5) - 0.875).abs() < 1e-15);
    /// ```
    pub fn to_alpha(self, y: f64) -> f64 {
        match self {
            AlphaTransform::HakstianWhalen => 1.0 - (1.0 - y).powi(3),
            AlphaTransform::Bonett => -(-y).exp_m1(),
        }
    }
}

impl AlphaEffect {
    /// `alpha` on the scale of `transform` (validated when the effect is computed).
    pub fn new(alpha: CronbachAlpha, transform: AlphaTransform) -> Self {
        AlphaEffect { alpha, transform }
    }
}

impl EffectSize for AlphaEffect {
    fn scale(&self) -> Scale {
        Scale::Identity
    }

    fn effect(&self) -> Result<StudyEffect> {
        self.alpha.check()?;
        let CronbachAlpha { alpha, items: m, n } = self.alpha;
        let (y, v) = match self.transform {
            AlphaTransform::HakstianWhalen => {
                let c = (1.0 - alpha).cbrt();
                let d = 9.0 * n - 11.0;
                (1.0 - c, 18.0 * m * (n - 1.0) * c * c / ((m - 1.0) * d * d))
            }
            AlphaTransform::Bonett => (-(-alpha).ln_1p(), 2.0 * m / ((m - 1.0) * (n - 2.0))),
        };
        checked_effect(y, v, "alpha")
    }
}

validated_serde!(CronbachAlpha, |a| a.check());

validated_serde!(AlphaEffect, |a| a.alpha.check());
