//! Effect sizes: from per-study data to an estimate and its sampling variance on the analysis
//! scale.
//!
//! Every effect size implements [`EffectSize`]. Ratio measures (odds and risk ratios) are
//! analysed on the log scale and shown back-transformed ([`Scale::Log`]); differences are
//! analysed and shown as they are ([`Scale::Identity`]); proportions and correlations are
//! analysed on a variance-stabilising scale and shown back-transformed ([`Scale::Logit`],
//! [`Scale::Arcsine`], [`Scale::FreemanTukey`], [`Scale::FisherZ`]).

mod association;
pub(crate) mod binary;
mod change;
mod continuous;
mod correlation;
mod generic;
mod hypergeometric;
mod partial;
mod prepost;
mod proportion;
mod rate;
mod ratio;
mod reliability;
mod set;
mod single_group;
mod table;
mod tetrachoric;

pub use association::{PhiVariance, TableEffect, TableMeasure};
pub use binary::{
    BinaryEffect, BinaryMeasure, ContinuityCorrection, CorrectionRule, LogOddsRatio, LogRiskRatio,
    PetoOddsRatio, RiskDifference, TwoByTwo,
};
pub use change::{ChangeMeasure, MeanChange, PairedMeans};
pub use continuous::{Arm, MeanDifference, SmdConvention, StandardizedMeanDifference};
pub use correlation::{
    Correlation, CorrelationVariance, FisherZ, RawCorrelation, UnbiasedCorrelation,
};
pub use generic::Generic;
pub use partial::{PartialCorrelation, PartialScale, RegressionTest, SemiPartialCorrelation};
pub use prepost::{PrePost, PrePostMeanDifference};
pub use proportion::{Proportion, ProportionEffect, ProportionTransform};
pub use rate::{
    IncidenceRate, IncidenceRateComparison, PersonTime, RateComparison, RateTable, RateTransform,
};
pub use ratio::{LogRatio, RatioMeasure};
pub use reliability::{AlphaEffect, AlphaTransform, CronbachAlpha};
pub(crate) use set::length_mismatch;
pub use set::EffectSet;
pub use single_group::{GroupEffect, GroupMeasure, GroupSummary};

use crate::error::{field_err, Problem, Result};
use crate::numeric::wide;
use crate::numeric::NeumaierSum;

/// The scale an effect is analysed on, which decides how it is shown.
///
/// Every variant's back-transformation [`Scale::to_display`] is increasing, so a confidence
/// interval on the analysis scale maps to one on the display scale.
///
/// ```
/// use metapool::{effect::EffectSet, effect::LogRiskRatio, effect::Scale, effect::TwoByTwo};
/// let set = EffectSet::from_studies(&[LogRiskRatio::new(TwoByTwo::from_cells(4, 119, 11, 128)?)])?;
/// assert_eq!(set.scale(), Scale::Log);
/// // metafor dat.bcg, Aronson 1948: RR 0.4109
/// assert!((set.scale().to_display(set.effects()[0].estimate()) - 0.4109).abs() < 5e-5);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Scale {
    /// Analysed and shown as is (mean differences, SMDs, risk differences, raw proportions).
    #[default]
    Identity,
    /// Analysed as a natural log, shown as `exp(x)` (odds ratios, risk ratios).
    Log,
    /// A proportion analysed as its logit `ln(p / (1 - p))`, shown as `1 / (1 + exp(-x))`
    /// (metafor `measure = "PLO"`, `transf.ilogit`).
    Logit,
    /// A proportion analysed as `asin(sqrt(p))`, shown as `sin(x)^2`, with `x < 0` shown as 0
    /// and `x > pi/2` as 1 (metafor `measure = "PAS"`, `transf.iarcsin`).
    Arcsine,
    /// A proportion analysed as the Freeman-Tukey double arcsine (metafor's convention, with
    /// the factor 1/2; see [`Proportion`]), shown through Miller's (1978) inverse at the
    /// harmonic mean `harmonic_n` of the studies' sample sizes (metafor `transf.ipft.hm`):
    /// ```text
    /// p = 1/2 (1 - sign(cos 2x) sqrt(1 - (sin 2x + (sin 2x - 1/sin 2x) / n)^2))
    /// p = 0 for x < ft(0, n),  p = 1 for x > ft(1, n),
    /// ft(p, n) = 1/2 (asin(sqrt(n p / (n + 1))) + asin(sqrt((n p + 1) / (n + 1))))
    /// ```
    /// A study's own [`EffectSize::scale`] carries its `n`; [`EffectSet::from_studies`]
    /// replaces it by the harmonic mean over the included studies,
    /// `n_h = k / sum(1 / n_i)`.
    FreemanTukey {
        /// The sample size used by the back-transformation (the harmonic mean of the studies'
        /// sizes in a pooled analysis).
        harmonic_n: f64,
    },
    /// A correlation analysed as Fisher's `z = atanh(r)`, shown as `tanh(x)` (metafor
    /// `measure = "ZCOR"`, `transf.ztor`).
    FisherZ,
}

impl Scale {
    /// Map a value on the analysis scale to the display scale.
    ///
    /// ```
    /// use metapool::effect::Scale;
    /// assert_eq!(Scale::Identity.to_display(-1.5), -1.5);
    /// assert!((Scale::Log.to_display(0.0) - 1.0).abs() < 1e-15);
    /// assert!((Scale::Logit.to_display(0.0) - 0.5).abs() < 1e-15);
    /// assert_eq!(Scale::Arcsine.to_display(-0.1), 0.0);
    /// let ft = Scale::FreemanTukey { harmonic_n: 81.0 };
    /// assert!((ft.to_display(ft.to_analysis(68.0 / 81.0)) - 68.0 / 81.0).abs() < 1e-12);
    /// assert!((Scale::FisherZ.to_display(0.5f64.atanh()) - 0.5).abs() < 1e-15);
    /// ```
    pub fn to_display(self, x: f64) -> f64 {
        match self {
            Scale::Identity => x,
            Scale::Log => x.exp(),
            Scale::Logit => logistic(x),
            Scale::Arcsine => {
                if x < 0.0 {
                    0.0
                } else if x > std::f64::consts::FRAC_PI_2 {
                    1.0
                } else {
                    let s = x.sin();
                    s * s
                }
            }
            Scale::FreemanTukey { harmonic_n } => inverse_freeman_tukey(x, harmonic_n),
            Scale::FisherZ => x.tanh(),
        }
    }

    /// Map a value on the display scale to the analysis scale (`ln` for ratios, the logit,
    /// arcsine or Freeman-Tukey transform of a proportion, `atanh` of a correlation).
    ///
    /// ```
    /// use metapool::effect::Scale;
    /// assert_eq!(Scale::Log.to_analysis(1.0), 0.0);
    /// assert!((Scale::Logit.to_analysis(68.0 / 81.0) - (68.0f64 / 13.0).ln()).abs() < 1e-14);
    /// assert!((Scale::Arcsine.to_analysis(0.25) - std::f64::consts::FRAC_PI_6).abs() < 1e-15);
    /// for s in [Scale::Log, Scale::Logit, Scale::FisherZ] {
    ///     assert!((s.to_display(s.to_analysis(0.3)) - 0.3).abs() < 1e-15);
    /// }
    /// ```
    pub fn to_analysis(self, x: f64) -> f64 {
        match self {
            Scale::Identity => x,
            Scale::Log => x.ln(),
            Scale::Logit => (x / (1.0 - x)).ln(),
            Scale::Arcsine => x.sqrt().asin(),
            Scale::FreemanTukey { harmonic_n } => freeman_tukey(x * harmonic_n, harmonic_n),
            Scale::FisherZ => x.atanh(),
        }
    }

    /// [`Scale::to_analysis`] after moving `x` into the display domain (ratios to at least the
    /// smallest positive double, proportions into [0, 1] (open for the logit), correlations
    /// into the open (-1, 1)), so that the result is never NaN.
    pub(crate) fn to_analysis_bounded(self, x: f64) -> f64 {
        const TINY: f64 = f64::MIN_POSITIVE;
        let open01 = |x: f64| x.clamp(TINY, 1.0 - f64::EPSILON / 2.0);
        match self {
            Scale::Identity => x,
            Scale::Log => x.max(TINY).ln(),
            Scale::Logit => self.to_analysis(open01(x)),
            Scale::Arcsine | Scale::FreemanTukey { .. } => self.to_analysis(x.clamp(0.0, 1.0)),
            Scale::FisherZ => {
                self.to_analysis(x.clamp(-1.0 + f64::EPSILON / 2.0, 1.0 - f64::EPSILON / 2.0))
            }
        }
    }

    /// The value of "no effect" on the display scale: 0 for differences, proportions and
    /// correlations, 1 for ratios.
    ///
    /// ```
    /// use metapool::effect::Scale;
    /// assert_eq!(Scale::Log.null_value(), 1.0); // no effect on a ratio
    /// assert_eq!(Scale::Identity.null_value(), 0.0);
    /// assert_eq!(Scale::Log.to_analysis(Scale::Log.null_value()), 0.0);
    /// ```
    pub fn null_value(self) -> f64 {
        match self {
            Scale::Log => 1.0,
            _ => 0.0,
        }
    }

    /// The scale of a pooled set from its studies' scales: the first study's, except that the
    /// Freeman-Tukey sample sizes are replaced by their harmonic mean.
    pub(crate) fn pooled<'a>(mut scales: impl Iterator<Item = &'a Scale>) -> Option<Scale> {
        let first = *scales.next()?;
        match first {
            Scale::FreemanTukey { harmonic_n } => {
                let (mut k, mut inv) = (1.0, NeumaierSum::default());
                inv.add(1.0 / harmonic_n);
                for s in scales {
                    if let Scale::FreemanTukey { harmonic_n } = *s {
                        k += 1.0;
                        inv.add(1.0 / harmonic_n);
                    }
                }
                Some(Scale::FreemanTukey {
                    harmonic_n: k / inv.value(),
                })
            }
            other => Some(other),
        }
    }
}

/// The logistic function `1 / (1 + exp(-x))`, computed without overflow.
fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// The Freeman-Tukey double arcsine of `x` events out of `n` in metafor's convention
/// (`escalc(measure = "PFT")`, `transf.pft`):
/// `1/2 (asin(sqrt(x / (n + 1))) + asin(sqrt((x + 1) / (n + 1))))`.
pub(crate) fn freeman_tukey(x: f64, n: f64) -> f64 {
    // asin(sqrt(a / b)) as atan2(sqrt(a), sqrt(b - a)): the same angle, without the loss of
    // asin near 1 (x near n); n + 1 - x and n - x are exact for counts
    let half_angle = |a: f64, b_minus_a: f64| a.sqrt().atan2(b_minus_a.max(0.0).sqrt());
    0.5 * (half_angle(x, n + 1.0 - x) + half_angle(x + 1.0, n - x))
}

/// Miller's (1978) inverse of the Freeman-Tukey double arcsine at sample size `n`, clamped to
/// [0, 1] outside the transform's range as metafor's `transf.ipft` does. A radicand that is
/// negative by rounding is taken as 0, so the result is never NaN.
fn inverse_freeman_tukey(x: f64, n: f64) -> f64 {
    if x > freeman_tukey(n, n) {
        return 1.0;
    }
    if x < freeman_tukey(0.0, n) {
        return 0.0;
    }
    let s = (2.0 * x).sin();
    let c = (2.0 * x).cos();
    let t = s + (s - 1.0 / s) / n;
    let sign = if c > 0.0 {
        1.0
    } else if c < 0.0 {
        -1.0
    } else {
        0.0
    };
    0.5 * (1.0 - sign * (1.0 - t * t).max(0.0).sqrt())
}

/// One study's effect on the analysis scale: an estimate `y` and its sampling variance `v > 0`.
///
/// ```
/// use metapool::effect::Effect;
/// let e = Effect::new(-0.5, 0.04).unwrap();
/// assert_eq!(e.se(), 0.2);
/// assert!(Effect::new(f64::NAN, 0.04).is_err());
/// assert!(Effect::new(0.1, 0.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct Effect {
    estimate: f64,
    variance: f64,
}

impl Effect {
    /// An effect from an estimate and its sampling variance. Errors unless both are finite and
    /// the variance is strictly positive.
    /// `f32` or `f64` inputs are accepted (widened to `f64`).
    ///
    /// ```
    /// use metapool::effect::Effect;
    /// let e = Effect::new(0.25f32, 0.0625f32)?; // f32 widened to f64 exactly
    /// assert_eq!((e.estimate(), e.se()), (0.25, 0.25));
    /// assert!(Effect::new(0.1, -1.0).is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new<T: num_traits::Float>(estimate: T, variance: T) -> Result<Self> {
        let (estimate, variance) = (wide(estimate), wide(variance));
        crate::error::finite("estimate", estimate)?;
        crate::error::positive("variance", variance)?;
        Ok(Effect { estimate, variance })
    }

    /// An effect from an estimate and its standard error (`v = se^2`).
    ///
    /// ```
    /// use metapool::effect::Effect;
    /// let e = Effect::from_se(-0.5, 0.2)?;
    /// assert!((e.variance() - 0.04).abs() < 1e-17);
    /// assert!(Effect::from_se(-0.5, 1e-200).is_err()); // se² underflows to 0
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn from_se<T: num_traits::Float>(estimate: T, se: T) -> Result<Self> {
        let (estimate, se) = (wide(estimate), wide(se));
        crate::error::positive("se", se)?;
        let v = se * se;
        if v == 0.0 || !v.is_finite() {
            return Err(field_err("se", Problem::DegenerateVariance(v)));
        }
        Effect::new(estimate, v)
    }

    /// The estimate `y` on the analysis scale.
    ///
    /// ```
    /// use metapool::effect::Effect;
    /// assert_eq!(Effect::new(-0.8893, 0.3256)?.estimate(), -0.8893);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn estimate(&self) -> f64 {
        self.estimate
    }

    /// The sampling variance `v`.
    ///
    /// ```
    /// use metapool::effect::Effect;
    /// assert_eq!(Effect::from_se(1.0, 0.5)?.variance(), 0.25);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn variance(&self) -> f64 {
        self.variance
    }

    /// The standard error `sqrt(v)`.
    ///
    /// ```
    /// use metapool::effect::Effect;
    /// assert_eq!(Effect::new(1.0, 0.0004)?.se(), 0.02);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn se(&self) -> f64 {
        self.variance.sqrt()
    }

    /// Check the invariants (used where a value may have come from deserialization).
    pub(crate) fn check(&self) -> Result<()> {
        Effect::new(self.estimate, self.variance).map(|_| ())
    }
}

/// Why a study is left out of the pooled estimate although its data are valid.
///
/// ```
/// use metapool::{effect::EffectSet, effect::Exclusion, effect::LogOddsRatio, effect::TwoByTwo};
/// let tables = [(4, 16, 8, 12), (0, 20, 0, 20)]
///     .map(|(a, b, c, d)| LogOddsRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
/// let set = EffectSet::from_studies(&tables)?;
/// assert_eq!(set.excluded(), &[(1, Exclusion::NoEventsInEitherArm)]);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Exclusion {
    /// A 2x2 table with no events in either arm: the odds ratio is not estimable (RevMan shows
    /// "Not estimable").
    NoEventsInEitherArm,
    /// A 2x2 table in which every participant of both arms had the event.
    AllEventsInBothArms,
}

/// What an effect size yields for one study.
///
/// ```
/// use metapool::{effect::EffectSize, effect::Exclusion, effect::LogRiskRatio, effect::StudyEffect, effect::TwoByTwo};
/// let all = LogRiskRatio::new(TwoByTwo::from_cells(20, 0, 20, 0)?);
/// assert_eq!(all.effect()?, StudyEffect::Excluded(Exclusion::AllEventsInBothArms));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum StudyEffect {
    /// The study contributes this effect.
    Included(Effect),
    /// The study is valid but not estimable, and is reported as excluded.
    Excluded(Exclusion),
}

/// A way of turning one study's data into an effect on the analysis scale.
///
/// Implementors validate their data at construction; [`EffectSize::effect`] still checks again,
/// so a value that bypassed the constructor (e.g. through deserialization) cannot yield a NaN.
///
/// ```
/// use metapool::{effect::Arm, effect::EffectSize, effect::MeanDifference, effect::Scale, effect::StudyEffect};
/// let md = MeanDifference::new(Arm::new(10.0, 2.0, 20.0)?, Arm::new(12.0, 3.0, 25.0)?)?;
/// assert_eq!(md.scale(), Scale::Identity);
/// match md.effect()? {
///     StudyEffect::Included(e) => {
///         assert_eq!(e.estimate(), -2.0);
///         assert!((e.variance() - (4.0 / 20.0 + 9.0 / 25.0)).abs() < 1e-15);
///     }
///     StudyEffect::Excluded(_) => unreachable!(),
/// }
/// # Ok::<(), metapool::Error>(())
/// ```
pub trait EffectSize {
    /// The scale the effect is analysed on.
    fn scale(&self) -> Scale;
    /// The study's effect, or why it is excluded.
    fn effect(&self) -> Result<StudyEffect>;
    /// The 2x2 table the effect is computed from, for effect sizes of dichotomous outcomes
    /// (`None` for the others). [`EffectSet::from_studies`] keeps the tables of a set whose
    /// studies all have one, for the Mantel-Haenszel and Peto methods.
    fn two_by_two(&self) -> Option<TwoByTwo> {
        None
    }
    /// The comparison a 2x2-table effect makes, for the Mantel-Haenszel measures (`None` for
    /// the others, including Peto's odds ratio).
    fn binary_measure(&self) -> Option<BinaryMeasure> {
        None
    }
}

impl EffectSize for Effect {
    fn scale(&self) -> Scale {
        Scale::Identity
    }
    fn effect(&self) -> Result<StudyEffect> {
        self.check()?;
        Ok(StudyEffect::Included(*self))
    }
}

validated_serde!(Effect, |e| e.check());
