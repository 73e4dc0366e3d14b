//! Dichotomous outcomes from 2x2 tables: log odds ratio, log risk ratio, risk difference and
//! Peto's odds ratio.

pub use super::table::{ContinuityCorrection, CorrectionRule, TwoByTwo};
use super::{Effect, EffectSize, Scale, StudyEffect};
use crate::error::{field_err, finite, Problem, Result};

/// Log odds ratio of arm 1 against arm 2 from a 2x2 table (analysed on the log scale, shown as
/// the odds ratio).
///
/// ```text
/// (a, b, c, d) = cells after the continuity correction
/// y = ln(a d / (b c))
/// v = 1/a + 1/b + 1/c + 1/d
/// ```
/// A table with no events in either arm, or all events in both, is excluded and reported as
/// such (RevMan: "Not estimable"; metafor `drop00 = TRUE`). Sources: RevMan 5 statistical
/// algorithms; metafor `escalc(measure = "OR")`.
///
/// ```
/// use metapool::{effect::EffectSize, effect::LogOddsRatio, effect::StudyEffect, effect::TwoByTwo};
/// let or = LogOddsRatio::new(TwoByTwo::new(0.0, 10.0, 3.0, 10.0)?);
/// let StudyEffect::Included(e) = or.effect()? else { unreachable!() };
/// // 0.5 added to every cell: ln(0.5 * 7.5 / (10.5 * 3.5))
/// assert!((e.estimate() - (0.5f64 * 7.5 / (10.5 * 3.5)).ln()).abs() < 1e-14);
/// let none = LogOddsRatio::new(TwoByTwo::new(0.0, 10.0, 0.0, 12.0)?);
/// assert!(matches!(none.effect()?, StudyEffect::Excluded(_)));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LogOddsRatio {
    /// The table.
    pub table: TwoByTwo,
    /// The zero-cell correction.
    pub correction: ContinuityCorrection,
}

impl LogOddsRatio {
    /// The log odds ratio of a table, with the default correction (0.5 to tables with a zero
    /// cell).
    ///
    /// ```
    /// use metapool::{effect::EffectSize, effect::LogOddsRatio, effect::StudyEffect, effect::TwoByTwo};
    /// // Aronson 1948 (metafor dat.bcg): 4/123 vaccinated, 11/139 controls with tuberculosis
    /// let lor = LogOddsRatio::new(TwoByTwo::from_cells(4, 119, 11, 128)?);
    /// let StudyEffect::Included(e) = lor.effect()? else { unreachable!() };
    /// // ln(a d / (b c)) and 1/a + 1/b + 1/c + 1/d (metafor escalc("OR"))
    /// assert!((e.estimate() - (4.0f64 * 128.0 / (119.0 * 11.0)).ln()).abs() < 1e-14);
    /// assert!((e.variance() - 0.3571249522536287).abs() < 1e-14);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(table: TwoByTwo) -> Self {
        LogOddsRatio {
            table,
            correction: ContinuityCorrection::default(),
        }
    }

    /// The same with another continuity correction.
    ///
    /// ```
    /// use metapool::{effect::ContinuityCorrection, effect::CorrectionRule, effect::EffectSize, effect::LogOddsRatio, effect::StudyEffect, effect::TwoByTwo};
    /// let t = TwoByTwo::from_cells(0, 10, 3, 7)?;
    /// // the default adds 0.5 to every cell of a table with a zero cell: ln(0.5 * 7.5 / (10.5 * 3.5))
    /// let StudyEffect::Included(e) = LogOddsRatio::new(t).effect()? else { unreachable!() };
    /// assert!((e.estimate() - (0.5f64 * 7.5 / (10.5 * 3.5)).ln()).abs() < 1e-14);
    /// // without a correction the zero cell leaves the log odds ratio undefined: a typed error
    /// let never = ContinuityCorrection::new(0.5, CorrectionRule::Never)?;
    /// assert!(LogOddsRatio::new(t).with_correction(never).effect().is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_correction(mut self, correction: ContinuityCorrection) -> Self {
        self.correction = correction;
        self
    }
}

/// Which comparison a 2x2-table effect size makes; the Mantel-Haenszel estimator
/// ([`crate::pool::MantelHaenszel`]) is chosen by it.
///
/// ```
/// use metapool::{effect::BinaryMeasure, effect::EffectSet, effect::LogRiskRatio, effect::TwoByTwo};
/// let tables = [(4, 119, 11, 128), (6, 300, 29, 274)]
///     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
/// let set = EffectSet::from_studies(&tables)?;
/// assert_eq!(set.measure(), Some(BinaryMeasure::RiskRatio));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum BinaryMeasure {
    /// The odds ratio ([`LogOddsRatio`]).
    OddsRatio,
    /// The risk ratio ([`LogRiskRatio`]).
    RiskRatio,
    /// The risk difference ([`RiskDifference`]).
    RiskDifference,
}

/// An effect size computed from a 2x2 table that the Mantel-Haenszel method can pool: it gives
/// its table (`as_ref`) and its measure.
///
/// ```
/// use metapool::{effect::BinaryEffect, effect::BinaryMeasure, effect::RiskDifference, effect::TwoByTwo};
/// fn measure_of<E: BinaryEffect>(e: &E) -> (BinaryMeasure, f64) {
///     (E::MEASURE, e.as_ref().events1)
/// }
/// let rd = RiskDifference::new(TwoByTwo::from_cells(4, 119, 11, 128)?);
/// assert_eq!(measure_of(&rd), (BinaryMeasure::RiskDifference, 4.0));
/// # Ok::<(), metapool::Error>(())
/// ```
pub trait BinaryEffect: EffectSize + AsRef<TwoByTwo> {
    /// The measure.
    const MEASURE: BinaryMeasure;
}

impl AsRef<TwoByTwo> for TwoByTwo {
    fn as_ref(&self) -> &TwoByTwo {
        self
    }
}

/// Validate the table and the correction, and return the corrected cells.
pub(super) fn corrected(table: &TwoByTwo, correction: &ContinuityCorrection) -> Result<[f64; 4]> {
    table.check()?;
    finite("continuity correction", correction.value)?;
    if correction.value < 0.0 {
        return Err(field_err(
            "continuity correction",
            Problem::Negative(correction.value),
        ));
    }
    Ok(correction.apply(table))
}

/// An error naming the events unless every cell is positive (the log odds ratio and the
/// tetrachoric correlation are undefined, or on their boundary, with a zero cell).
pub(super) fn all_cells_positive(cells: [f64; 4]) -> Result<()> {
    if cells.iter().all(|&x| x > 0.0) {
        return Ok(());
    }
    let zero = cells.into_iter().fold(f64::INFINITY, f64::min);
    Err(field_err("events", Problem::DegenerateVariance(zero)))
}

/// An effect from a computed `(y, v)`, or a typed error naming the events when a zero cell left
/// the estimate or its variance undefined.
pub(super) fn study_effect(y: f64, v: f64) -> Result<StudyEffect> {
    if !(y.is_finite() && v > 0.0 && v.is_finite()) {
        return Err(field_err(
            "events",
            Problem::DegenerateVariance(if v.is_finite() { v } else { f64::NAN }),
        ));
    }
    Ok(StudyEffect::Included(Effect::new(y, v)?))
}

macro_rules! table_effect_common {
    ($t:ident, $what:literal) => {
        impl $t {
            #[doc = concat!("The ", $what, " of a table, with the default correction (0.5 added to every cell of a table with a zero cell, as metafor's `escalc` and RevMan do).")]
            ///
            /// ```
            /// use metapool::{effect::EffectSize, effect::LogRiskRatio, effect::PetoOddsRatio, effect::RiskDifference, effect::StudyEffect, effect::TwoByTwo};
            /// // Aronson 1948 (metafor dat.bcg); values of metafor's escalc("RR"), ("RD"), ("PETO")
            /// let t = TwoByTwo::from_cells(4, 119, 11, 128)?;
            /// let y = |e: StudyEffect| match e { StudyEffect::Included(e) => e.estimate(), _ => f64::NAN };
            /// assert!((y(LogRiskRatio::new(t).effect()?) - -0.8893113339202054).abs() < 1e-14);
            /// assert!((y(RiskDifference::new(t).effect()?) - -0.04661636544422997).abs() < 1e-15);
            /// assert!((y(PetoOddsRatio::new(t).effect()?) - -0.8603833473164194).abs() < 1e-14);
            /// # Ok::<(), metapool::Error>(())
            /// ```
            pub fn new(table: TwoByTwo) -> Self {
                $t {
                    table,
                    correction: ContinuityCorrection::default(),
                }
            }

            /// The same with another continuity correction.
            ///
            /// ```
            /// use metapool::{effect::ContinuityCorrection, effect::CorrectionRule, effect::EffectSize, effect::LogRiskRatio, effect::StudyEffect, effect::TwoByTwo};
            /// let t = TwoByTwo::from_cells(4, 119, 11, 128)?;
            /// let all = ContinuityCorrection::new(0.5, CorrectionRule::AllTables)?;
            /// let StudyEffect::Included(e) = LogRiskRatio::new(t).with_correction(all).effect()? else { unreachable!() };
            /// // ln((4.5 / 124) / (11.5 / 140))
            /// assert!((e.estimate() - (4.5f64 / 124.0 / (11.5 / 140.0)).ln()).abs() < 1e-14);
            /// # Ok::<(), metapool::Error>(())
            /// ```
            pub fn with_correction(mut self, correction: ContinuityCorrection) -> Self {
                self.correction = correction;
                self
            }
        }

        impl AsRef<TwoByTwo> for $t {
            fn as_ref(&self) -> &TwoByTwo {
                &self.table
            }
        }
    };
}

table_effect_common!(LogRiskRatio, "log risk ratio");
table_effect_common!(RiskDifference, "risk difference");
table_effect_common!(PetoOddsRatio, "Peto log odds ratio");

impl AsRef<TwoByTwo> for LogOddsRatio {
    fn as_ref(&self) -> &TwoByTwo {
        &self.table
    }
}

impl BinaryEffect for LogOddsRatio {
    const MEASURE: BinaryMeasure = BinaryMeasure::OddsRatio;
}

/// Log risk ratio of arm 1 against arm 2 from a 2x2 table (analysed on the log scale, shown as
/// the risk ratio).
///
/// ```text
/// (a, b, c, d) = cells after the continuity correction,  n1 = a + b,  n2 = c + d
/// y = ln(a / n1) - ln(c / n2)
/// v = 1/a - 1/n1 + 1/c - 1/n2
/// ```
/// The correction is the one of [`LogOddsRatio`] (default: 0.5 added to all four cells of a
/// table with a zero cell; metafor `add = 1/2, to = "only0"`). A table with no events in either
/// arm, or all events in both, is excluded (RevMan: "Not estimable"; metafor `drop00 = TRUE`,
/// which `rma.mh` uses for its per-study estimates; note that `escalc`'s own default is
/// `drop00 = FALSE`, which would keep such a table with corrected cells). Sources: RevMan 5
/// statistical algorithms; metafor `escalc(measure = "RR")`.
///
/// ```
/// use metapool::{effect::EffectSize, effect::LogRiskRatio, effect::StudyEffect, effect::TwoByTwo};
/// let rr = LogRiskRatio::new(TwoByTwo::new(4.0, 20.0, 8.0, 20.0)?);
/// let StudyEffect::Included(e) = rr.effect()? else { unreachable!() };
/// assert!((e.estimate() - 0.5f64.ln()).abs() < 1e-15);
/// assert!((e.variance() - (1.0 / 4.0 - 1.0 / 20.0 + 1.0 / 8.0 - 1.0 / 20.0)).abs() < 1e-15);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LogRiskRatio {
    /// The table.
    pub table: TwoByTwo,
    /// The zero-cell correction.
    pub correction: ContinuityCorrection,
}

impl EffectSize for LogRiskRatio {
    fn two_by_two(&self) -> Option<TwoByTwo> {
        Some(self.table)
    }
    fn binary_measure(&self) -> Option<BinaryMeasure> {
        Some(Self::MEASURE)
    }
    fn scale(&self) -> Scale {
        Scale::Log
    }
    fn effect(&self) -> Result<StudyEffect> {
        let [a, b, c, d] = corrected(&self.table, &self.correction)?;
        if let Some(why) = self.table.exclusion() {
            return Ok(StudyEffect::Excluded(why));
        }
        let (n1, n2) = (a + b, c + d);
        let y = (a / n1).ln() - (c / n2).ln();
        let v = 1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2;
        study_effect(y, v)
    }
}

impl BinaryEffect for LogRiskRatio {
    const MEASURE: BinaryMeasure = BinaryMeasure::RiskRatio;
}

/// Risk difference of arm 1 minus arm 2 from a 2x2 table, with the large-sample variance.
///
/// ```text
/// (a, b, c, d) = cells after the continuity correction,  n1 = a + b,  n2 = c + d
/// p1 = a / n1,  p2 = c / n2
/// y = p1 - p2
/// v = p1 (1 - p1) / n1 + p2 (1 - p2) / n2
/// ```
/// No table is excluded: a risk difference is defined with no events (or all events) in both
/// arms. metafor's `escalc(measure = "RD")` keeps such tables (`drop00 = FALSE`) and, by
/// default, adds 1/2 to all cells of any table with a zero cell (`add = 1/2, to = "only0"`),
/// which is this type's default ([`ContinuityCorrection::default`]), so that a table with
/// zero events in both arms still has a positive variance. RevMan 5 also includes double-zero
/// studies in a risk-difference analysis. With [`CorrectionRule::Never`], a table whose two
/// arms both have 0 or all events has `v = 0` and yields a typed error
/// ([`Problem::DegenerateVariance`](crate::Problem::DegenerateVariance)). Sources: RevMan 5
/// statistical algorithms; metafor `escalc(measure = "RD", vtype = "LS")`.
///
/// ```
/// use metapool::{effect::EffectSize, effect::RiskDifference, effect::StudyEffect, effect::TwoByTwo};
/// let rd = RiskDifference::new(TwoByTwo::new(4.0, 20.0, 8.0, 20.0)?);
/// let StudyEffect::Included(e) = rd.effect()? else { unreachable!() };
/// assert!((e.estimate() + 0.2).abs() < 1e-15);
/// // double zero: kept, corrected to 0.5/21 - 0.5/11
/// let dz = RiskDifference::new(TwoByTwo::new(0.0, 20.0, 0.0, 10.0)?);
/// let StudyEffect::Included(e) = dz.effect()? else { unreachable!() };
/// assert!((e.estimate() - (0.5 / 21.0 - 0.5 / 11.0)).abs() < 1e-15);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RiskDifference {
    /// The table.
    pub table: TwoByTwo,
    /// The zero-cell correction.
    pub correction: ContinuityCorrection,
}

impl EffectSize for RiskDifference {
    fn two_by_two(&self) -> Option<TwoByTwo> {
        Some(self.table)
    }
    fn binary_measure(&self) -> Option<BinaryMeasure> {
        Some(Self::MEASURE)
    }
    fn scale(&self) -> Scale {
        Scale::Identity
    }
    fn effect(&self) -> Result<StudyEffect> {
        let [a, b, c, d] = corrected(&self.table, &self.correction)?;
        let (n1, n2) = (a + b, c + d);
        let (p1, p2) = (a / n1, c / n2);
        let y = p1 - p2;
        let v = p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2;
        study_effect(y, v)
    }
}

impl BinaryEffect for RiskDifference {
    const MEASURE: BinaryMeasure = BinaryMeasure::RiskDifference;
}

/// Peto's one-step log odds ratio of arm 1 against arm 2 from a 2x2 table: observed minus
/// expected events in arm 1 over the hypergeometric variance.
///
/// ```text
/// (a, b, c, d) = cells after the continuity correction,  n1 = a + b,  n2 = c + d,
/// N = n1 + n2
/// O - E = a - (a + c) n1 / N
/// V     = (a + c) (b + d) (n1 / N) (n2 / N) / (N - 1)
/// y = (O - E) / V,   v = 1 / V
/// ```
/// A table with no events in either arm, or all events in both, has `V = 0` and is excluded.
/// The default correction is metafor `escalc(measure = "PETO")`'s (0.5 added to all cells of a
/// table with a zero cell); RevMan 5 computes the per-study Peto odds ratio on the raw cells,
/// which [`CorrectionRule::Never`] gives (Peto's formula needs no correction). The pooled Peto
/// method ([`crate::pool::Peto`]) always uses the raw cells. Sources: Yusuf et al. (1985); RevMan 5
/// statistical algorithms; metafor `escalc(measure = "PETO")`.
///
/// ```
/// use metapool::{effect::EffectSize, effect::PetoOddsRatio, effect::StudyEffect, effect::TwoByTwo};
/// let peto = PetoOddsRatio::new(TwoByTwo::new(4.0, 20.0, 8.0, 20.0)?);
/// let StudyEffect::Included(e) = peto.effect()? else { unreachable!() };
/// let v = 12.0 * 28.0 * 0.25 / 39.0;
/// assert!((e.estimate() - (4.0 - 6.0) / v).abs() < 1e-14);
/// assert!((e.variance() - 1.0 / v).abs() < 1e-15);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PetoOddsRatio {
    /// The table.
    pub table: TwoByTwo,
    /// The zero-cell correction of the per-study estimate.
    pub correction: ContinuityCorrection,
}

/// Peto's `(O - E, V)` of cells `(a, b, c, d)`.
pub(crate) fn peto_o_e_v([a, b, c, d]: [f64; 4]) -> (f64, f64) {
    let (n1, n2) = (a + b, c + d);
    let n = n1 + n2;
    let (xt, yt) = (a + c, b + d);
    let e = xt * n1 / n;
    let v = xt * yt * (n1 / n) * (n2 / n) / (n - 1.0);
    (a - e, v)
}

impl EffectSize for PetoOddsRatio {
    fn two_by_two(&self) -> Option<TwoByTwo> {
        Some(self.table)
    }
    fn scale(&self) -> Scale {
        Scale::Log
    }
    fn effect(&self) -> Result<StudyEffect> {
        let cells = corrected(&self.table, &self.correction)?;
        if let Some(why) = self.table.exclusion() {
            return Ok(StudyEffect::Excluded(why));
        }
        let (o_e, v) = peto_o_e_v(cells);
        study_effect(o_e / v, 1.0 / v)
    }
}

impl EffectSize for LogOddsRatio {
    fn two_by_two(&self) -> Option<TwoByTwo> {
        Some(self.table)
    }
    fn binary_measure(&self) -> Option<BinaryMeasure> {
        Some(Self::MEASURE)
    }
    fn scale(&self) -> Scale {
        Scale::Log
    }
    fn effect(&self) -> Result<StudyEffect> {
        self.table.check()?;
        // re-checked in full: a correction that bypassed ContinuityCorrection::new (through
        // deserialization or a struct literal) must not subtract from the cells
        crate::error::positive("continuity correction", self.correction.value)?;
        if let Some(why) = self.table.exclusion() {
            return Ok(StudyEffect::Excluded(why));
        }
        let [a, b, c, d] = self.correction.apply(&self.table);
        all_cells_positive([a, b, c, d])?;
        let y = (a * d / (b * c)).ln();
        let v = 1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d;
        Ok(StudyEffect::Included(Effect::new(y, v)?))
    }
}
