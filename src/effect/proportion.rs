//! Proportions from single-arm studies: raw, logit, arcsine and Freeman-Tukey double arcsine.

use super::{
    freeman_tukey, ContinuityCorrection, CorrectionRule, Effect, EffectSize, Scale, StudyEffect,
};
use crate::error::{count, field_err, finite, Problem, Result};
use crate::numeric::wide;

/// Events out of a total in one group (a single-arm study).
///
/// Valid when both are whole numbers, `total >= 1` and `0 <= events <= total`.
///
/// ```
/// use metapool::effect::Proportion;
/// let survival = Proportion::new(68.0, 81.0)?; // seed paper 004: 5-year survival
/// assert!((survival.value() - 68.0 / 81.0).abs() < 1e-16);
/// assert!(Proportion::new(82.0, 81.0).is_err());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct Proportion {
    /// Number of events.
    pub events: f64,
    /// Number of participants.
    pub total: f64,
}

impl Proportion {
    /// A validated proportion (`f32` or `f64` inputs, widened to `f64`).
    ///
    /// ```
    /// use metapool::effect::Proportion;
    /// assert_eq!(Proportion::new(68.0, 81.0)?.value(), 68.0 / 81.0);
    /// assert!(Proportion::new(82.0, 81.0).is_err()); // more events than patients
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new<T: num_traits::Float>(events: T, total: T) -> Result<Self> {
        let p = Proportion {
            events: wide(events),
            total: wide(total),
        };
        p.check()?;
        Ok(p)
    }

    pub(crate) fn check(&self) -> Result<()> {
        count("events", self.events)?;
        count("total", self.total)?;
        if self.total < 1.0 {
            return Err(field_err(
                "total",
                Problem::TooSmall {
                    min: 1.0,
                    got: self.total,
                },
            ));
        }
        if self.events > self.total {
            return Err(field_err(
                "events",
                Problem::EventsExceedTotal {
                    events: self.events,
                    total: self.total,
                },
            ));
        }
        Ok(())
    }

    /// The observed proportion `events / total`.
    ///
    /// ```
    /// use metapool::effect::Proportion;
    /// assert_eq!(Proportion::new(9.0f32, 36.0f32)?.value(), 0.25);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn value(&self) -> f64 {
        self.events / self.total
    }

    /// Whether there are no events or no non-events.
    ///
    /// ```
    /// use metapool::effect::Proportion;
    /// assert!(Proportion::new(0.0, 12.0)?.is_boundary());
    /// assert!(Proportion::new(12.0, 12.0)?.is_boundary());
    /// assert!(!Proportion::new(3.0, 12.0)?.is_boundary());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn is_boundary(&self) -> bool {
        self.events == 0.0 || self.events == self.total
    }
}

/// The scale a proportion is analysed on.
///
/// ```
/// use metapool::{effect::EffectSize, effect::Proportion, effect::ProportionEffect, effect::ProportionTransform, effect::StudyEffect};
/// // 68/81 (metafor escalc("PLO") and escalc("PAS"))
/// let p = Proportion::new(68.0, 81.0)?;
/// let StudyEffect::Included(lo) = ProportionEffect::new(p, ProportionTransform::Logit).effect()? else { unreachable!() };
/// assert!((lo.estimate() - (68.0f64 / 13.0).ln()).abs() < 1e-14);
/// assert!((lo.variance() - (1.0 / 68.0 + 1.0 / 13.0)).abs() < 1e-15);
/// let StudyEffect::Included(asin) = ProportionEffect::new(p, ProportionTransform::Arcsine).effect()? else { unreachable!() };
/// assert!((asin.estimate() - 1.1586063886901916).abs() < 1e-14);
/// assert!((asin.variance() - 1.0 / 324.0).abs() < 1e-17);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum ProportionTransform {
    /// The raw proportion (metafor `"PR"`): `y = p`, `v = p (1 - p) / n`.
    Raw,
    /// The logit (metafor `"PLO"`): `y = ln(p / (1 - p))`, `v = 1 / x + 1 / (n - x)`.
    Logit,
    /// The arcsine square root (metafor `"PAS"`): `y = asin(sqrt(p))`, `v = 1 / (4 n)`.
    Arcsine,
    /// The Freeman-Tukey double arcsine in metafor's convention (`"PFT"`):
    /// `y = 1/2 (asin(sqrt(x / (n + 1))) + asin(sqrt((x + 1) / (n + 1))))`,
    /// `v = 1 / (4 n + 2)`.
    FreemanTukey,
}

impl ProportionTransform {
    /// metafor's default correction for this transform: 1/2 added to the events and non-events
    /// of a study with 0 or all events for the raw proportion and the logit (`add = 1/2,
    /// to = "only0"`); none for the arcsine and Freeman-Tukey transforms, which are defined at
    /// 0 and 1 (`add = 0`).
    ///
    /// ```
    /// use metapool::{effect::CorrectionRule, effect::ProportionTransform};
    /// let c = ProportionTransform::Logit.default_correction();
    /// assert_eq!((c.value, c.rule), (0.5, CorrectionRule::OnlyZeroCells));
    /// assert_eq!(ProportionTransform::FreemanTukey.default_correction().rule, CorrectionRule::Never);
    /// ```
    pub fn default_correction(self) -> ContinuityCorrection {
        match self {
            ProportionTransform::Raw | ProportionTransform::Logit => {
                ContinuityCorrection::default()
            }
            ProportionTransform::Arcsine | ProportionTransform::FreemanTukey => {
                ContinuityCorrection {
                    value: 0.5,
                    rule: CorrectionRule::Never,
                }
            }
        }
    }
}

/// A single-arm proportion as an effect size, on the scale of `transform`.
///
/// ```text
/// (x, m) = events and non-events after the continuity correction,  n = x + m,  p = x / n
/// Raw:          y = p,                v = p (1 - p) / n                 Scale::Identity
/// Logit:        y = ln(p / (1 - p)),  v = 1/x + 1/m                     Scale::Logit
/// Arcsine:      y = asin(sqrt(p)),    v = 1 / (4 n)                     Scale::Arcsine
/// FreemanTukey: y = 1/2 (asin(sqrt(x / (n + 1))) + asin(sqrt((x + 1) / (n + 1))))
///               v = 1 / (4 n + 2)                                       Scale::FreemanTukey
/// ```
/// The correction adds `value` to both events and non-events (metafor's `to = "only0"`: only
/// when either is 0). Defaults ([`ProportionTransform::default_correction`]) are metafor's:
/// 1/2 for Raw and Logit, none for Arcsine and Freeman-Tukey. Without a correction
/// ([`CorrectionRule::Never`]) a study with 0 or all events has `v = 0` (Raw) or an infinite
/// logit (Logit), which is a typed error
/// ([`Problem::DegenerateVariance`](crate::Problem::DegenerateVariance)); metafor gives such a
/// study a zero variance, which its models reject.
///
/// The Freeman-Tukey study's scale carries its own `n`; pooled, the back-transformation uses
/// the harmonic mean of the included studies' `n` (Miller 1978; metafor `transf.ipft.hm`).
///
/// Sources: metafor `escalc(measure = "PR" | "PLO" | "PAS" | "PFT")`; Freeman & Tukey (1950);
/// Miller (1978).
///
/// ```
/// use metapool::{effect::EffectSet, pool::FixedModel, effect::Proportion, effect::ProportionEffect, effect::ProportionTransform};
/// // seed paper 004: 68/81 five-year survival, 28/81 remission, 9/37 relapse
/// let studies = [(68.0, 81.0), (28.0, 81.0), (9.0, 37.0)]
///     .map(|(x, n)| ProportionEffect::new(Proportion::new(x, n).unwrap(),
///                                         ProportionTransform::FreemanTukey));
/// let set = EffectSet::from_studies(&studies)?;
/// let fit = FixedModel::default().pool(&set)?;
/// let shown = fit.display(); // a proportion, back-transformed at the harmonic-mean n
/// assert!(shown.lower < shown.estimate && shown.estimate < shown.upper);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ProportionEffect {
    /// The events and total.
    pub proportion: Proportion,
    /// The analysis scale.
    pub transform: ProportionTransform,
    /// The correction for 0 or all events.
    pub correction: ContinuityCorrection,
}

impl ProportionEffect {
    /// A proportion on the scale of `transform`, with metafor's default correction for it.
    ///
    /// ```
    /// use metapool::{effect::EffectSize, effect::Proportion, effect::ProportionEffect, effect::ProportionTransform, effect::StudyEffect};
    /// // 0 of 20 on the logit: 0.5 added to events and non-events, ln(0.5 / 20.5)
    /// let p = ProportionEffect::new(Proportion::new(0.0, 20.0)?, ProportionTransform::Logit);
    /// let StudyEffect::Included(e) = p.effect()? else { unreachable!() };
    /// assert!((e.estimate() - (0.5f64 / 20.5).ln()).abs() < 1e-14);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(proportion: Proportion, transform: ProportionTransform) -> Self {
        ProportionEffect {
            proportion,
            transform,
            correction: transform.default_correction(),
        }
    }

    /// The same with another correction.
    ///
    /// ```
    /// use metapool::{effect::ContinuityCorrection, effect::CorrectionRule, effect::EffectSize, effect::Proportion, effect::ProportionEffect, effect::ProportionTransform};
    /// let zero = ProportionEffect::new(Proportion::new(0.0, 20.0)?, ProportionTransform::Logit);
    /// let never = ContinuityCorrection::new(0.5, CorrectionRule::Never)?;
    /// assert!(zero.with_correction(never).effect().is_err()); // logit(0) is undefined
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_correction(mut self, correction: ContinuityCorrection) -> Self {
        self.correction = correction;
        self
    }

    /// Events and non-events after the correction.
    fn corrected(&self) -> Result<(f64, f64)> {
        self.proportion.check()?;
        finite("continuity correction", self.correction.value)?;
        if self.correction.value < 0.0 {
            return Err(field_err(
                "continuity correction",
                Problem::Negative(self.correction.value),
            ));
        }
        let x = self.proportion.events;
        let m = self.proportion.total - x;
        let add = match self.correction.rule {
            CorrectionRule::OnlyZeroCells if self.proportion.is_boundary() => self.correction.value,
            CorrectionRule::AllTables => self.correction.value,
            _ => 0.0,
        };
        Ok((x + add, m + add))
    }
}

impl EffectSize for ProportionEffect {
    fn scale(&self) -> Scale {
        match self.transform {
            ProportionTransform::Raw => Scale::Identity,
            ProportionTransform::Logit => Scale::Logit,
            ProportionTransform::Arcsine => Scale::Arcsine,
            ProportionTransform::FreemanTukey => Scale::FreemanTukey {
                harmonic_n: self.proportion.total,
            },
        }
    }

    fn effect(&self) -> Result<StudyEffect> {
        let (x, m) = self.corrected()?;
        let n = x + m;
        // p and 1 - p each from its own count: 1 - x/n cancels as p -> 1 (at 999999/1e6 the
        // raw variance kept 10 digits, at n = 1e12 four); asin(sqrt(p)) is taken as
        // atan2(sqrt(x), sqrt(m)), which keeps its digits near p = 1 too
        let (p, q) = (x / n, m / n);
        let (y, v) = match self.transform {
            ProportionTransform::Raw => (p, p * q / n),
            ProportionTransform::Logit => ((x / m).ln(), 1.0 / x + 1.0 / m),
            ProportionTransform::Arcsine => (x.sqrt().atan2(m.sqrt()), 1.0 / (4.0 * n)),
            ProportionTransform::FreemanTukey => (freeman_tukey(x, n), 1.0 / (4.0 * n + 2.0)),
        };
        if !(y.is_finite() && v > 0.0 && v.is_finite()) {
            return Err(field_err(
                "events",
                Problem::DegenerateVariance(if v.is_finite() { v } else { f64::NAN }),
            ));
        }
        Ok(StudyEffect::Included(Effect::new(y, v)?))
    }
}

validated_serde!(Proportion, |p| p.check());
