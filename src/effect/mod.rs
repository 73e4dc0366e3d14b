//! Effect sizes: from per-study data to an estimate and its sampling variance on the analysis
//! scale.
//!
//! Every effect size implements [`EffectSize`]. Ratio measures (the odds ratio) are analysed on
//! the log scale and shown back-transformed ([`Scale::Log`]); differences are analysed and shown
//! as they are ([`Scale::Identity`]).

mod binary;
mod continuous;
mod generic;

pub use binary::{ContinuityCorrection, CorrectionRule, LogOddsRatio, TwoByTwo};
pub use continuous::{
    Arm, MeanDifference, PrePost, PrePostMeanDifference, SmdConvention, StandardizedMeanDifference,
};
pub use generic::Generic;

use crate::error::{field_err, Error, Problem, Result};

/// The scale an effect is analysed on, which decides how it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Scale {
    /// Analysed and shown as is (mean differences, SMDs).
    #[default]
    Identity,
    /// Analysed as a natural log, shown as `exp(x)` (odds ratios, risk ratios).
    Log,
}

impl Scale {
    /// Map a value on the analysis scale to the display scale.
    ///
    /// ```
    /// use metapool::Scale;
    /// assert_eq!(Scale::Identity.to_display(-1.5), -1.5);
    /// assert!((Scale::Log.to_display(0.0) - 1.0).abs() < 1e-15);
    /// ```
    pub fn to_display(self, x: f64) -> f64 {
        match self {
            Scale::Identity => x,
            Scale::Log => x.exp(),
        }
    }

    /// Map a value on the display scale to the analysis scale (`ln` for ratios).
    pub fn to_analysis(self, x: f64) -> f64 {
        match self {
            Scale::Identity => x,
            Scale::Log => x.ln(),
        }
    }

    /// The value of "no effect" on the display scale (0 for differences, 1 for ratios).
    pub fn null_value(self) -> f64 {
        match self {
            Scale::Identity => 0.0,
            Scale::Log => 1.0,
        }
    }
}

/// One study's effect on the analysis scale: an estimate `y` and its sampling variance `v > 0`.
///
/// ```
/// use metapool::Effect;
/// let e = Effect::new(-0.5, 0.04).unwrap();
/// assert_eq!(e.se(), 0.2);
/// assert!(Effect::new(f64::NAN, 0.04).is_err());
/// assert!(Effect::new(0.1, 0.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Effect {
    estimate: f64,
    variance: f64,
}

impl Effect {
    /// An effect from an estimate and its sampling variance. Errors unless both are finite and
    /// the variance is strictly positive.
    pub fn new(estimate: f64, variance: f64) -> Result<Self> {
        crate::error::finite("estimate", estimate)?;
        crate::error::positive("variance", variance)?;
        Ok(Effect { estimate, variance })
    }

    /// An effect from an estimate and its standard error (`v = se^2`).
    pub fn from_se(estimate: f64, se: f64) -> Result<Self> {
        crate::error::positive("se", se)?;
        let v = se * se;
        if v == 0.0 || !v.is_finite() {
            return Err(field_err("se", Problem::DegenerateVariance(v)));
        }
        Effect::new(estimate, v)
    }

    /// The estimate `y` on the analysis scale.
    pub fn estimate(&self) -> f64 {
        self.estimate
    }

    /// The sampling variance `v`.
    pub fn variance(&self) -> f64 {
        self.variance
    }

    /// The standard error `sqrt(v)`.
    pub fn se(&self) -> f64 {
        self.variance.sqrt()
    }

    /// Check the invariants (used where a value may have come from deserialization).
    pub(crate) fn check(&self) -> Result<()> {
        Effect::new(self.estimate, self.variance).map(|_| ())
    }
}

/// Why a study is left out of the pooled estimate although its data are valid.
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
/// use metapool::{Arm, EffectSize, MeanDifference, Scale, StudyEffect};
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

/// The effects of a set of studies, ready to pool: the included effects, which input positions
/// they came from, the excluded studies with their reasons, and the analysis scale.
///
/// ```
/// use metapool::{EffectSet, Effect};
/// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?;
/// assert_eq!(set.len(), 2);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EffectSet {
    effects: Vec<Effect>,
    included: Vec<usize>,
    excluded: Vec<(usize, Exclusion)>,
    scale: Scale,
}

impl EffectSet {
    /// Compute every study's effect. Errors name the first invalid study by its position.
    /// Errors with [`Error::Empty`] for no studies and [`Error::AllExcluded`] when no study is
    /// estimable.
    pub fn from_studies<E: EffectSize>(studies: &[E]) -> Result<Self> {
        if studies.is_empty() {
            return Err(Error::Empty);
        }
        let scale = studies[0].scale();
        let mut effects = Vec::with_capacity(studies.len());
        let mut included = Vec::with_capacity(studies.len());
        let mut excluded = Vec::new();
        for (i, s) in studies.iter().enumerate() {
            match s.effect().map_err(|e| e.in_study(i))? {
                StudyEffect::Included(e) => {
                    effects.push(e);
                    included.push(i);
                }
                StudyEffect::Excluded(why) => excluded.push((i, why)),
            }
        }
        if effects.is_empty() {
            return Err(Error::AllExcluded {
                excluded: excluded.len(),
            });
        }
        Ok(EffectSet {
            effects,
            included,
            excluded,
            scale,
        })
    }

    /// Effects given directly as estimates and sampling variances on the identity scale.
    pub fn from_estimates(estimates: &[f64], variances: &[f64]) -> Result<Self> {
        if estimates.len() != variances.len() {
            return Err(Error::InvalidParameter {
                name: "variances",
                problem: Problem::OutOfRange {
                    lo: estimates.len() as f64,
                    hi: estimates.len() as f64,
                    got: variances.len() as f64,
                },
            });
        }
        let effects = estimates
            .iter()
            .zip(variances)
            .enumerate()
            .map(|(i, (&y, &v))| Effect::new(y, v).map_err(|e| e.in_study(i)))
            .collect::<Result<Vec<_>>>()?;
        Self::from_effects(effects, Scale::Identity)
    }

    /// Effects already computed, on the given scale.
    pub fn from_effects(effects: Vec<Effect>, scale: Scale) -> Result<Self> {
        if effects.is_empty() {
            return Err(Error::Empty);
        }
        for (i, e) in effects.iter().enumerate() {
            e.check().map_err(|err| err.in_study(i))?;
        }
        let included = (0..effects.len()).collect();
        Ok(EffectSet {
            effects,
            included,
            excluded: Vec::new(),
            scale,
        })
    }

    /// The number of studies in the original input: included plus excluded.
    pub fn input_len(&self) -> usize {
        self.effects.len() + self.excluded.len()
    }

    /// The subset of included effects at positions `idx` (indices into [`EffectSet::effects`],
    /// in the order given), keeping their input positions, the excluded list and the scale.
    /// `idx` must be non-empty and in range (checked by the callers inside the crate).
    pub(crate) fn subset(&self, idx: &[usize]) -> EffectSet {
        EffectSet {
            effects: idx.iter().map(|&i| self.effects[i]).collect(),
            included: idx.iter().map(|&i| self.included[i]).collect(),
            excluded: self.excluded.clone(),
            scale: self.scale,
        }
    }

    /// These effects followed by `extra` effects, which get input positions after the
    /// original input (`input_len()`, `input_len() + 1`, ...): used for trim-and-fill.
    pub(crate) fn extended(&self, extra: &[Effect]) -> EffectSet {
        let n = self.input_len();
        let mut effects = self.effects.clone();
        effects.extend_from_slice(extra);
        let mut included = self.included.clone();
        included.extend(n..n + extra.len());
        EffectSet {
            effects,
            included,
            excluded: self.excluded.clone(),
            scale: self.scale,
        }
    }

    /// The included effects, in input order.
    pub fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// For each included effect, its position in the original input.
    pub fn included(&self) -> &[usize] {
        &self.included
    }

    /// Studies left out, with their positions and reasons.
    pub fn excluded(&self) -> &[(usize, Exclusion)] {
        &self.excluded
    }

    /// The analysis scale.
    pub fn scale(&self) -> Scale {
        self.scale
    }

    /// Number of included effects.
    pub fn len(&self) -> usize {
        self.effects.len()
    }

    /// Whether no effect is included (never true for a constructed set).
    pub fn is_empty(&self) -> bool {
        self.effects.is_empty()
    }
}
