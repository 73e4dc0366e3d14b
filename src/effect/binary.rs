//! Dichotomous outcomes from 2x2 tables: the log odds ratio.

use super::{Effect, EffectSize, Exclusion, Scale, StudyEffect};
use crate::error::{count, field_err, finite, Problem, Result};

/// A 2x2 table in RevMan's layout: events and totals in the experimental arm (1) and the
/// control arm (2).
///
/// Valid when every entry is a whole number `>= 0`, `events <= total`, and each total is `>= 1`.
///
/// ```
/// use metapool::TwoByTwo;
/// assert!(TwoByTwo::new(3.0, 20.0, 7.0, 21.0).is_ok());
/// assert!(TwoByTwo::new(21.0, 20.0, 7.0, 21.0).is_err()); // events > total
/// assert!(TwoByTwo::new(-1.0, 20.0, 7.0, 21.0).is_err()); // negative count
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TwoByTwo {
    /// Events in arm 1.
    pub events1: f64,
    /// Participants in arm 1.
    pub total1: f64,
    /// Events in arm 2.
    pub events2: f64,
    /// Participants in arm 2.
    pub total2: f64,
}

impl TwoByTwo {
    /// A validated table.
    pub fn new(events1: f64, total1: f64, events2: f64, total2: f64) -> Result<Self> {
        let t = TwoByTwo {
            events1,
            total1,
            events2,
            total2,
        };
        t.check()?;
        Ok(t)
    }

    pub(crate) fn check(&self) -> Result<()> {
        count("events1", self.events1)?;
        count("total1", self.total1)?;
        count("events2", self.events2)?;
        count("total2", self.total2)?;
        for (field, t) in [("total1", self.total1), ("total2", self.total2)] {
            if t < 1.0 {
                return Err(field_err(field, Problem::TooSmall { min: 1.0, got: t }));
            }
        }
        for (field, e, t) in [
            ("events1", self.events1, self.total1),
            ("events2", self.events2, self.total2),
        ] {
            if e > t {
                return Err(field_err(
                    field,
                    Problem::EventsExceedTotal {
                        events: e,
                        total: t,
                    },
                ));
            }
        }
        Ok(())
    }

    /// The four cells `(a, b, c, d)`: events and non-events in arm 1, events and non-events in
    /// arm 2.
    pub fn cells(&self) -> [f64; 4] {
        [
            self.events1,
            self.total1 - self.events1,
            self.events2,
            self.total2 - self.events2,
        ]
    }

    /// Why the table is not estimable as a ratio, if it is not: no events in either arm, or all
    /// participants with the event in both arms.
    pub fn exclusion(&self) -> Option<Exclusion> {
        if self.events1 == 0.0 && self.events2 == 0.0 {
            Some(Exclusion::NoEventsInEitherArm)
        } else if self.events1 == self.total1 && self.events2 == self.total2 {
            Some(Exclusion::AllEventsInBothArms)
        } else {
            None
        }
    }

    /// Whether any of the four cells is zero.
    pub fn has_zero_cell(&self) -> bool {
        self.cells().contains(&0.0)
    }
}

/// When a continuity correction is added to the cells of a 2x2 table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CorrectionRule {
    /// Only to tables with at least one zero cell (RevMan 5; metafor `to = "only0"`).
    #[default]
    OnlyZeroCells,
    /// To every table (metafor `to = "all"`).
    AllTables,
    /// Never (a table with a zero cell then yields an error for the inverse-variance log odds
    /// ratio).
    Never,
}

/// The continuity correction for zero cells: `value` is added to all four cells of a table
/// selected by `rule`. Default: 0.5 to tables with a zero cell, as RevMan 5 does.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ContinuityCorrection {
    /// The amount added to each cell.
    pub value: f64,
    /// Which tables receive it.
    pub rule: CorrectionRule,
}

impl Default for ContinuityCorrection {
    fn default() -> Self {
        ContinuityCorrection {
            value: 0.5,
            rule: CorrectionRule::OnlyZeroCells,
        }
    }
}

impl ContinuityCorrection {
    /// A correction of `value` (finite, `> 0`) under `rule`.
    pub fn new(value: f64, rule: CorrectionRule) -> Result<Self> {
        crate::error::positive("continuity correction", value)?;
        Ok(ContinuityCorrection { value, rule })
    }

    /// The cells after correction.
    pub fn apply(&self, t: &TwoByTwo) -> [f64; 4] {
        let cells = t.cells();
        let add = match self.rule {
            CorrectionRule::OnlyZeroCells if t.has_zero_cell() => self.value,
            CorrectionRule::AllTables => self.value,
            _ => 0.0,
        };
        cells.map(|c| c + add)
    }
}

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
/// use metapool::{EffectSize, LogOddsRatio, StudyEffect, TwoByTwo};
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
    pub fn new(table: TwoByTwo) -> Self {
        LogOddsRatio {
            table,
            correction: ContinuityCorrection::default(),
        }
    }

    /// The same with another continuity correction.
    pub fn with_correction(mut self, correction: ContinuityCorrection) -> Self {
        self.correction = correction;
        self
    }
}

impl EffectSize for LogOddsRatio {
    fn scale(&self) -> Scale {
        Scale::Log
    }
    fn effect(&self) -> Result<StudyEffect> {
        self.table.check()?;
        finite("continuity correction", self.correction.value)?;
        if let Some(why) = self.table.exclusion() {
            return Ok(StudyEffect::Excluded(why));
        }
        let [a, b, c, d] = self.correction.apply(&self.table);
        if a <= 0.0 || b <= 0.0 || c <= 0.0 || d <= 0.0 {
            let zero = [a, b, c, d].into_iter().fold(f64::INFINITY, f64::min);
            return Err(field_err("events", Problem::DegenerateVariance(zero)));
        }
        let y = (a * d / (b * c)).ln();
        let v = 1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d;
        Ok(StudyEffect::Included(Effect::new(y, v)?))
    }
}
