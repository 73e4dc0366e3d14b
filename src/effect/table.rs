//! The 2x2 table of a dichotomous outcome and its continuity correction.

use super::Exclusion;
use crate::error::{count, field_err, Problem, Result};
use crate::numeric::wide;

/// A 2x2 table in RevMan's layout: events and totals in the experimental arm (1) and the
/// control arm (2).
///
/// Valid when every entry is a whole number `>= 0`, `events <= total`, and each total is `>= 1`.
///
/// ```
/// use metapool::effect::TwoByTwo;
/// assert!(TwoByTwo::new(3.0, 20.0, 7.0, 21.0).is_ok());
/// assert!(TwoByTwo::new(21.0, 20.0, 7.0, 21.0).is_err()); // events > total
/// assert!(TwoByTwo::new(-1.0, 20.0, 7.0, 21.0).is_err()); // negative count
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
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
    ///
    /// ```
    /// use metapool::effect::TwoByTwo;
    /// let t = TwoByTwo::new(4.0, 123.0, 11.0, 139.0)?; // events and totals
    /// assert_eq!(t.cells(), [4.0, 119.0, 11.0, 128.0]);
    /// assert!(TwoByTwo::new(12.0, 10.0, 1.0, 10.0).is_err()); // events exceed the total
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new<T: num_traits::Float>(events1: T, total1: T, events2: T, total2: T) -> Result<Self> {
        let t = TwoByTwo {
            events1: wide(events1),
            total1: wide(total1),
            events2: wide(events2),
            total2: wide(total2),
        };
        t.check()?;
        Ok(t)
    }

    /// A validated table from its four cells in the textbook layout: `a` events and `b`
    /// non-events in arm 1, `c` events and `d` non-events in arm 2 (metafor's `ai, bi, ci, di`).
    /// Any primitive number is accepted (integer counts as they are).
    ///
    /// ```
    /// use metapool::effect::TwoByTwo;
    /// let t = TwoByTwo::from_cells(3, 17, 7, 14)?;
    /// assert_eq!(t, TwoByTwo::new(3.0, 20.0, 7.0, 21.0)?);
    /// assert_eq!(t.cells(), [3.0, 17.0, 7.0, 14.0]);
    /// assert!(TwoByTwo::from_cells(-1, 2, 3, 4).is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn from_cells<T: num_traits::ToPrimitive>(a: T, b: T, c: T, d: T) -> Result<Self> {
        let cell = |name: &'static str, x: T| {
            x.to_f64()
                .ok_or_else(|| field_err(name, Problem::NotFinite(f64::NAN)))
                .and_then(|x| count(name, x))
        };
        let (a, b, c, d) = (cell("a", a)?, cell("b", b)?, cell("c", c)?, cell("d", d)?);
        TwoByTwo::new(a, a + b, c, c + d)
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
    ///
    /// ```
    /// use metapool::effect::TwoByTwo;
    /// let [a, b, c, d] = TwoByTwo::new(4.0f32, 123.0, 11.0, 139.0)?.cells();
    /// assert_eq!((a, b, c, d), (4.0, 119.0, 11.0, 128.0));
    /// # Ok::<(), metapool::Error>(())
    /// ```
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
    ///
    /// ```
    /// use metapool::{effect::Exclusion, effect::TwoByTwo};
    /// assert_eq!(TwoByTwo::from_cells(0, 20, 0, 18)?.exclusion(), Some(Exclusion::NoEventsInEitherArm));
    /// assert_eq!(TwoByTwo::from_cells(0, 20, 1, 18)?.exclusion(), None);
    /// # Ok::<(), metapool::Error>(())
    /// ```
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
    ///
    /// ```
    /// use metapool::effect::TwoByTwo;
    /// assert!(TwoByTwo::from_cells(0, 20, 1, 18)?.has_zero_cell());
    /// assert!(!TwoByTwo::from_cells(4, 119, 11, 128)?.has_zero_cell());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn has_zero_cell(&self) -> bool {
        self.cells().contains(&0.0)
    }
}

/// When a continuity correction is added to the cells of a 2x2 table.
///
/// ```
/// use metapool::{effect::ContinuityCorrection, effect::CorrectionRule, effect::TwoByTwo};
/// let t = TwoByTwo::from_cells(4, 119, 11, 128)?; // no zero cell
/// let all = ContinuityCorrection::new(0.5, CorrectionRule::AllTables)?;
/// assert_eq!(all.apply(&t), [4.5, 119.5, 11.5, 128.5]);
/// assert_eq!(ContinuityCorrection::default().apply(&t), t.cells());
/// # Ok::<(), metapool::Error>(())
/// ```
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
///
/// ```
/// use metapool::{effect::ContinuityCorrection, effect::CorrectionRule};
/// let c = ContinuityCorrection::default(); // RevMan 5 and metafor's escalc
/// assert_eq!((c.value, c.rule), (0.5, CorrectionRule::OnlyZeroCells));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
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
    ///
    /// ```
    /// use metapool::{effect::ContinuityCorrection, effect::CorrectionRule};
    /// assert!(ContinuityCorrection::new(0.1, CorrectionRule::OnlyZeroCells).is_ok());
    /// assert!(ContinuityCorrection::new(0.0, CorrectionRule::AllTables).is_err());
    /// ```
    pub fn new(value: f64, rule: CorrectionRule) -> Result<Self> {
        crate::error::positive("continuity correction", value)?;
        Ok(ContinuityCorrection { value, rule })
    }

    /// The cells after correction.
    ///
    /// ```
    /// use metapool::{effect::ContinuityCorrection, effect::TwoByTwo};
    /// let t = TwoByTwo::from_cells(0, 10, 3, 7)?;
    /// assert_eq!(ContinuityCorrection::default().apply(&t), [0.5, 10.5, 3.5, 7.5]);
    /// # Ok::<(), metapool::Error>(())
    /// ```
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

validated_serde!(TwoByTwo, |t| t.check());

validated_serde!(ContinuityCorrection, |c| crate::error::positive(
    "continuity correction",
    c.value
)
.map(|_| ()));
