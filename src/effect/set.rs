//! [`EffectSet`]: the studies of one analysis, ready to pool.

use std::sync::Arc;

use super::{BinaryMeasure, Effect, EffectSize, Exclusion, Scale, StudyEffect, TwoByTwo};
use crate::error::{Error, Problem, Result};

#[cfg(feature = "serde")]
mod deserialize;
#[cfg(feature = "serde")]
use deserialize::RawEffectSet;

/// The effects of a set of studies, ready to pool: the included effects, which input positions
/// they came from, the excluded studies with their reasons, the analysis scale, and optionally
/// the studies' labels and the 2x2 tables the effects were computed from.
///
/// Studies are named by their 0-based position in the original input. Labels and tables are
/// held per input position, so every subset of a set (leave-one-out, cumulative, subgroups)
/// keeps them aligned. A set built from [`crate::effect::LogOddsRatio`], [`crate::effect::LogRiskRatio`],
/// [`crate::effect::RiskDifference`] or [`crate::effect::PetoOddsRatio`] studies carries its tables, which the
/// Mantel-Haenszel and Peto methods pool ([`crate::pool::FixedMethod`]).
///
/// ```
/// use metapool::prelude::*;
/// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?
///     .with_labels(["Smith 2001", "Jones 2004"])?;
/// assert_eq!(set.len(), 2);
/// assert_eq!(set.label(1), Some("Jones 2004"));
/// assert!(set.tables().is_none());
/// // one label per input study
/// assert!(EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?.with_labels(["A"]).is_err());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "RawEffectSet"))]
pub struct EffectSet {
    effects: Vec<Effect>,
    included: Vec<usize>,
    excluded: Vec<(usize, Exclusion)>,
    scale: Scale,
    input_len: usize,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    labels: Option<Arc<[String]>>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    tables: Option<Arc<[TwoByTwo]>>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    measure: Option<BinaryMeasure>,
}

/// The error for a list whose length is not the one required.
pub(crate) fn length_mismatch(name: &'static str, expected: usize, got: usize) -> Error {
    Error::InvalidParameter {
        name,
        problem: Problem::LengthMismatch { expected, got },
    }
}

impl EffectSet {
    /// Compute every study's effect. The set's scale is the included studies' scale; for
    /// [`Scale::FreemanTukey`] its `harmonic_n` is the harmonic mean of the included studies'
    /// sizes. Studies of 2x2 tables ([`EffectSize::two_by_two`]) leave their tables in the set.
    /// Errors name the first invalid study by its position.
    /// Errors with [`Error::Empty`] for no studies and [`Error::AllExcluded`] when no study is
    /// estimable.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let tables = [TwoByTwo::from_cells(4, 16, 8, 12)?, TwoByTwo::from_cells(0, 15, 0, 15)?];
    /// let set = EffectSet::from_studies(&tables.map(LogOddsRatio::new))?;
    /// assert_eq!((set.len(), set.input_len()), (1, 2)); // the double-zero table is excluded
    /// assert_eq!(set.tables().map(|t| t.len()), Some(2)); // but its table is kept
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn from_studies<E: EffectSize>(studies: &[E]) -> Result<Self> {
        if studies.is_empty() {
            return Err(Error::Empty);
        }
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
        let scales: Vec<Scale> = included.iter().map(|&i| studies[i].scale()).collect();
        let scale = Scale::pooled(scales.iter()).unwrap_or_default();
        let tables: Option<Arc<[TwoByTwo]>> = studies
            .iter()
            .map(|s| s.two_by_two())
            .collect::<Option<Vec<_>>>()
            .map(Into::into);
        let measure = studies[0].binary_measure();
        let measure = studies
            .iter()
            .all(|s| s.binary_measure() == measure)
            .then_some(measure)
            .flatten();
        Ok(EffectSet {
            effects,
            included,
            excluded,
            scale,
            input_len: studies.len(),
            labels: None,
            tables,
            measure,
        })
    }

    /// Effects given directly as estimates and sampling variances on the identity scale.
    /// Errors with a [`Problem::LengthMismatch`] when the lengths differ.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let err = EffectSet::from_estimates(&[0.1, 0.2], &[0.01]).unwrap_err();
    /// assert_eq!(err.to_string(), "parameter `variances` must have 2 entries (one per study), got 1");
    /// ```
    ///
    /// `f32` columns are accepted and widened to `f64` exactly:
    /// ```
    /// use metapool::prelude::*;
    /// let single = EffectSet::from_estimates(&[0.1f32, 0.3], &[0.01f32, 0.02])?;
    /// let double = EffectSet::from_estimates(&[0.1f32 as f64, 0.3f32 as f64], &[0.01f32 as f64, 0.02f32 as f64])?;
    /// assert_eq!(single, double);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn from_estimates<T: num_traits::Float>(estimates: &[T], variances: &[T]) -> Result<Self> {
        if estimates.len() != variances.len() {
            return Err(length_mismatch(
                "variances",
                estimates.len(),
                variances.len(),
            ));
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
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let set = EffectSet::from_effects(vec![Effect::new(0.2, 0.01)?], Scale::Log)?;
    /// assert_eq!(set.scale(), Scale::Log);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn from_effects(effects: Vec<Effect>, scale: Scale) -> Result<Self> {
        if effects.is_empty() {
            return Err(Error::Empty);
        }
        for (i, e) in effects.iter().enumerate() {
            e.check().map_err(|err| err.in_study(i))?;
        }
        let included = (0..effects.len()).collect();
        Ok(EffectSet {
            input_len: effects.len(),
            effects,
            included,
            excluded: Vec::new(),
            scale,
            labels: None,
            tables: None,
            measure: None,
        })
    }

    /// The same set with a label for every input study (included or excluded, in input
    /// order). Errors with a [`Problem::LengthMismatch`] unless there is one label per input
    /// study ([`EffectSet::input_len`]).
    ///
    /// ```
    /// use metapool::effect::EffectSet;
    /// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?;
    /// let set = set.with_labels(["Ash 2001", "Bell 2004"])?;
    /// assert_eq!(set.label(1), Some("Bell 2004"));
    /// // one label per input study, or a typed error
    /// let short = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?.with_labels(["Ash 2001"]);
    /// assert!(short.is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_labels<S: Into<String>>(
        mut self,
        labels: impl IntoIterator<Item = S>,
    ) -> Result<Self> {
        let labels: Vec<String> = labels.into_iter().map(Into::into).collect();
        if labels.len() != self.input_len {
            return Err(length_mismatch("labels", self.input_len, labels.len()));
        }
        self.labels = Some(labels.into());
        Ok(self)
    }

    /// The label of the study at input position `position`, if the set has labels.
    ///
    /// ```
    /// use metapool::effect::EffectSet;
    /// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?;
    /// assert_eq!(set.label(0), None); // no labels
    /// let set = set.with_labels(["A", "B"])?;
    /// assert_eq!((set.label(0), set.label(2)), (Some("A"), None));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn label(&self, position: usize) -> Option<&str> {
        self.labels.as_ref()?.get(position).map(String::as_str)
    }

    /// Every input study's label, in input order, if the set has labels.
    ///
    /// ```
    /// use metapool::effect::EffectSet;
    /// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?.with_labels(["A", "B"])?;
    /// assert_eq!(set.labels().unwrap().join(", "), "A, B");
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn labels(&self) -> Option<&[String]> {
        self.labels.as_deref()
    }

    /// Every input study's 2x2 table, in input order, if the effects were computed from tables.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, effect::LogOddsRatio, effect::TwoByTwo};
    /// let t = TwoByTwo::from_cells(4, 119, 11, 128)?;
    /// let set = EffectSet::from_studies(&[LogOddsRatio::new(t)])?;
    /// assert_eq!(set.tables(), Some(&[t][..]));
    /// assert_eq!(EffectSet::from_estimates(&[0.1], &[0.01])?.tables(), None);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn tables(&self) -> Option<&[TwoByTwo]> {
        self.tables.as_deref()
    }

    /// The comparison the tables' effects make (odds ratio, risk ratio or risk difference), if
    /// the effects were computed from tables by one of the Mantel-Haenszel measures.
    ///
    /// ```
    /// use metapool::{effect::BinaryMeasure, effect::EffectSet, effect::LogOddsRatio, effect::PetoOddsRatio, effect::TwoByTwo};
    /// let t = TwoByTwo::from_cells(4, 119, 11, 128)?;
    /// assert_eq!(EffectSet::from_studies(&[LogOddsRatio::new(t)])?.measure(), Some(BinaryMeasure::OddsRatio));
    /// assert_eq!(EffectSet::from_studies(&[PetoOddsRatio::new(t)])?.measure(), None);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn measure(&self) -> Option<BinaryMeasure> {
        self.measure
    }

    /// The number of studies in the original input: included plus excluded.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, effect::LogOddsRatio, effect::TwoByTwo};
    /// let tables = [(4, 16, 8, 12), (0, 20, 0, 20)]
    ///     .map(|(a, b, c, d)| LogOddsRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// let set = EffectSet::from_studies(&tables)?;
    /// assert_eq!((set.input_len(), set.len()), (2, 1)); // the double-zero table is excluded
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn input_len(&self) -> usize {
        self.input_len
    }

    fn with_parts(&self, effects: Vec<Effect>, included: Vec<usize>) -> EffectSet {
        EffectSet {
            effects,
            included,
            excluded: self.excluded.clone(),
            scale: self.scale,
            input_len: self.input_len,
            labels: self.labels.clone(),
            tables: self.tables.clone(),
            measure: self.measure,
        }
    }

    /// The subset of included effects at positions `idx` (indices into [`EffectSet::effects`],
    /// in the order given), keeping their input positions, the excluded list, the scale, the
    /// labels and the tables. `idx` must be non-empty and in range (checked by the callers
    /// inside the crate).
    pub(crate) fn select(&self, idx: &[usize]) -> EffectSet {
        self.with_parts(
            idx.iter().map(|&i| self.effects[i]).collect(),
            idx.iter().map(|&i| self.included[i]).collect(),
        )
    }

    /// These effects followed by `extra` effects, which get input positions after the
    /// original input (`input_len()`, `input_len() + 1`, ...): used for trim-and-fill. The
    /// result has no tables (the extra studies have none) and its labels, if any, are
    /// extended with empty ones.
    pub(crate) fn extended(&self, extra: &[Effect]) -> EffectSet {
        let n = self.input_len;
        let mut effects = self.effects.clone();
        effects.extend_from_slice(extra);
        let mut included = self.included.clone();
        included.extend(n..n + extra.len());
        let mut set = self.with_parts(effects, included);
        set.input_len = n + extra.len();
        set.tables = None;
        set.measure = None;
        set.labels = self.labels.as_ref().map(|l| {
            l.iter()
                .cloned()
                .chain(std::iter::repeat(String::new()).take(extra.len()))
                .collect()
        });
        set
    }

    /// The included effects, in input order.
    ///
    /// ```
    /// use metapool::effect::EffectSet;
    /// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.04])?;
    /// assert_eq!(set.effects()[1].se(), 0.2);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// For each included effect, its position in the original input.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, effect::LogOddsRatio, effect::TwoByTwo};
    /// let tables = [(0, 20, 0, 20), (4, 16, 8, 12), (1, 29, 5, 25)]
    ///     .map(|(a, b, c, d)| LogOddsRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// assert_eq!(EffectSet::from_studies(&tables)?.included(), &[1, 2]);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn included(&self) -> &[usize] {
        &self.included
    }

    /// Studies left out, with their positions and reasons.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, effect::Exclusion, effect::LogRiskRatio, effect::TwoByTwo};
    /// let tables = [(4, 16, 8, 12), (20, 0, 20, 0)]
    ///     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// assert_eq!(EffectSet::from_studies(&tables)?.excluded(), &[(1, Exclusion::AllEventsInBothArms)]);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn excluded(&self) -> &[(usize, Exclusion)] {
        &self.excluded
    }

    /// The analysis scale.
    ///
    /// ```
    /// use metapool::{effect::Correlation, effect::EffectSet, effect::FisherZ, effect::Scale};
    /// let set = EffectSet::from_studies(&[FisherZ::new(Correlation::new(0.3, 50.0)?)])?;
    /// assert_eq!(set.scale(), Scale::FisherZ);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn scale(&self) -> Scale {
        self.scale
    }

    /// Number of included effects.
    ///
    /// ```
    /// use metapool::effect::EffectSet;
    /// assert_eq!(EffectSet::from_estimates(&[0.1, 0.2, 0.3], &[0.01; 3])?.len(), 3);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.effects.len()
    }

    /// The studies at the input positions for which `keep` is true, as a set of their own
    /// (positions stay those of the original input; the scale is the parent's). Errors with
    /// [`Error::Empty`] when no position is kept and [`Error::AllExcluded`] when every kept study
    /// is excluded.
    pub(crate) fn subset_where(&self, keep: impl Fn(usize) -> bool) -> Result<EffectSet> {
        let mut effects = Vec::new();
        let mut included = Vec::new();
        for (e, &i) in self.effects.iter().zip(&self.included) {
            if keep(i) {
                effects.push(*e);
                included.push(i);
            }
        }
        let excluded: Vec<(usize, Exclusion)> = self
            .excluded
            .iter()
            .copied()
            .filter(|&(i, _)| keep(i))
            .collect();
        if effects.is_empty() {
            return Err(if excluded.is_empty() {
                Error::Empty
            } else {
                Error::AllExcluded {
                    excluded: excluded.len(),
                }
            });
        }
        let mut set = self.with_parts(effects, included);
        set.excluded = excluded;
        Ok(set)
    }

    /// Whether no effect is included (never true for a constructed or deserialized set).
    ///
    /// ```
    /// use metapool::effect::EffectSet;
    /// assert!(!EffectSet::from_estimates(&[0.1], &[0.01])?.is_empty());
    /// assert!(EffectSet::from_estimates::<f64>(&[], &[]).is_err()); // an empty set is never built
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.effects.is_empty()
    }

    /// [`Error::TooFewStudies`] naming `method` unless the set has at least `needed` included
    /// studies.
    pub(crate) fn at_least(&self, method: &'static str, needed: usize) -> Result<()> {
        if self.len() < needed {
            return Err(Error::TooFewStudies {
                method,
                needed,
                got: self.len(),
            });
        }
        Ok(())
    }

    /// Every input position the set holds (included and excluded), in ascending order.
    pub(crate) fn positions(&self) -> Vec<usize> {
        let mut p: Vec<usize> = self
            .included
            .iter()
            .copied()
            .chain(self.excluded.iter().map(|&(i, _)| i))
            .collect();
        p.sort_unstable();
        p
    }
}
