//! Incidence rates: events over person-time in one group (IR, IRLN, IRS, IRFT) and the
//! comparison of two groups' rates (IRR, IRD, IRSD), with metafor's `escalc` formulas.

use super::{
    ContinuityCorrection, CorrectionRule, Effect, EffectSize, Exclusion, Scale, StudyEffect,
};
use crate::error::{count, field_err, finite, positive, Problem, Result};
use crate::numeric::wide;

/// Events observed over a person-time at risk in one group.
///
/// Valid when `events` is a whole number `>= 0` and `time` is finite and `> 0`.
///
/// ```
/// use metapool::effect::PersonTime;
/// let bong = PersonTime::new(7.0, 1344.0)?; // dat.nielweise2008, study 1, arm 1
/// assert!((bong.rate() - 7.0 / 1344.0).abs() < 1e-18);
/// assert!(PersonTime::new(3.0, 0.0).is_err()); // no time at risk
/// assert!(PersonTime::new(2.5, 10.0).is_err()); // not a count
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct PersonTime {
    /// Number of events.
    pub events: f64,
    /// Person-time at risk (any unit, the same for the groups compared).
    pub time: f64,
}

impl PersonTime {
    /// Validated events and person-time (`f32` or `f64`, widened to `f64`).
    ///
    /// ```
    /// use metapool::effect::PersonTime;
    /// assert_eq!(PersonTime::new(0.0f32, 0.5f32)?.rate(), 0.0);
    /// assert!(PersonTime::new(-1.0, 10.0).is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new<T: num_traits::Float>(events: T, time: T) -> Result<Self> {
        let p = PersonTime {
            events: wide(events),
            time: wide(time),
        };
        p.check()?;
        Ok(p)
    }

    pub(crate) fn check(&self) -> Result<()> {
        count("events", self.events)?;
        positive("time", self.time)?;
        Ok(())
    }

    /// The observed rate `events / time`.
    ///
    /// ```
    /// use metapool::effect::PersonTime;
    /// assert_eq!(PersonTime::new(3.0, 12.0)?.rate(), 0.25);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn rate(&self) -> f64 {
        self.events / self.time
    }
}

/// Two groups' events and person-times: group 1 (experimental) against group 2 (control),
/// metafor's `x1i, t1i, x2i, t2i`.
///
/// ```
/// use metapool::effect::{PersonTime, RateTable};
/// let t = RateTable::new(7.0, 1344.0, 11.0, 1988.0)?;
/// assert_eq!(t.group2, PersonTime::new(11.0, 1988.0)?);
/// assert!(RateTable::new(7.0, -1.0, 11.0, 1988.0).is_err());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct RateTable {
    /// Group 1 (experimental).
    pub group1: PersonTime,
    /// Group 2 (control).
    pub group2: PersonTime,
}

impl RateTable {
    /// A validated pair from `events1, time1, events2, time2`; an error names the field
    /// (`events1`, `time1`, `events2` or `time2`).
    ///
    /// ```
    /// use metapool::{effect::RateTable, Error, Problem};
    /// assert_eq!(
    ///     RateTable::new(1.0, 10.0, 2.0, 0.0).unwrap_err(),
    ///     Error::InvalidField { field: "time2", problem: Problem::NotPositive(0.0) }
    /// );
    /// ```
    pub fn new<T: num_traits::Float>(events1: T, time1: T, events2: T, time2: T) -> Result<Self> {
        let t = RateTable {
            group1: PersonTime {
                events: wide(events1),
                time: wide(time1),
            },
            group2: PersonTime {
                events: wide(events2),
                time: wide(time2),
            },
        };
        t.check()?;
        Ok(t)
    }

    pub(crate) fn check(&self) -> Result<()> {
        count("events1", self.group1.events)?;
        positive("time1", self.group1.time)?;
        count("events2", self.group2.events)?;
        positive("time2", self.group2.time)?;
        Ok(())
    }

    /// `Some(NoEventsInEitherArm)` when neither group had an event (metafor `drop00 = TRUE`).
    ///
    /// ```
    /// use metapool::effect::{Exclusion, RateTable};
    /// assert_eq!(RateTable::new(0.0, 5.0, 0.0, 4.0)?.exclusion(), Some(Exclusion::NoEventsInEitherArm));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn exclusion(&self) -> Option<Exclusion> {
        (self.group1.events == 0.0 && self.group2.events == 0.0)
            .then_some(Exclusion::NoEventsInEitherArm)
    }
}

/// The scale a single group's incidence rate is analysed on (metafor's measure names).
///
/// ```text
/// x = events after the correction, t = person-time, r = x / t
/// Raw (IR):            y = r,                                 v = r / t
/// Log (IRLN):          y = ln r,                              v = 1 / x
/// SquareRoot (IRS):    y = sqrt(r),                           v = 1 / (4 t)
/// FreemanTukey (IRFT): y = (sqrt(r) + sqrt(r + 1/t)) / 2,     v = 1 / (4 t)
/// ```
/// Source: metafor `escalc(measure = "IR" | "IRLN" | "IRS" | "IRFT")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum RateTransform {
    /// The rate itself (`"IR"`).
    Raw,
    /// The log rate (`"IRLN"`), shown back-transformed.
    Log,
    /// The square-root rate (`"IRS"`).
    SquareRoot,
    /// The Freeman-Tukey transformed rate (`"IRFT"`).
    FreemanTukey,
}

/// How two groups' incidence rates are compared (metafor's measure names).
///
/// ```text
/// x1, x2 = events after the correction, r_j = x_j / t_j
/// Ratio (IRR):                y = ln r1 - ln r2,        v = 1/x1 + 1/x2
/// Difference (IRD):           y = r1 - r2,              v = r1/t1 + r2/t2
/// SquareRootDifference (IRSD): y = sqrt(r1) - sqrt(r2), v = 1/(4 t1) + 1/(4 t2)
/// ```
/// Source: metafor `escalc(measure = "IRR" | "IRD" | "IRSD")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum RateComparison {
    /// The log incidence-rate ratio (`"IRR"`), shown as the ratio.
    Ratio,
    /// The incidence-rate difference (`"IRD"`).
    Difference,
    /// The difference of square-root rates (`"IRSD"`).
    SquareRootDifference,
}

/// metafor's default correction: 1/2 added to the events of a study with a zero count
/// (`add = 1/2, to = "only0"`) for the raw, log, ratio and difference measures; none for the
/// square-root and Freeman-Tukey measures (`add = 0`).
fn default_correction(needs_one: bool) -> ContinuityCorrection {
    if needs_one {
        ContinuityCorrection::default()
    } else {
        ContinuityCorrection {
            value: 0.5,
            rule: CorrectionRule::Never,
        }
    }
}

/// The amount `correction` adds to every event count of a study, `any_zero` telling whether one
/// of them is 0; the correction itself is validated (finite, `>= 0`).
fn added(correction: &ContinuityCorrection, any_zero: bool) -> Result<f64> {
    finite("continuity correction", correction.value)?;
    if correction.value < 0.0 {
        return Err(field_err(
            "continuity correction",
            Problem::Negative(correction.value),
        ));
    }
    Ok(match correction.rule {
        CorrectionRule::OnlyZeroCells if any_zero => correction.value,
        CorrectionRule::AllTables => correction.value,
        _ => 0.0,
    })
}

/// An effect from `(y, v)`, or a typed error naming the events when a zero count left the
/// estimate or its variance undefined.
fn included(y: f64, v: f64) -> Result<StudyEffect> {
    if !(y.is_finite() && v > 0.0 && v.is_finite()) {
        return Err(field_err(
            "events",
            Problem::DegenerateVariance(if v.is_finite() { v } else { f64::NAN }),
        ));
    }
    Ok(StudyEffect::Included(Effect::new(y, v)?))
}

/// One group's incidence rate on the scale of `transform` (see [`RateTransform`] for the
/// formulas).
///
/// The correction adds `value` to the events (metafor `to = "only0"`: only when they are 0);
/// defaults are metafor's ([`IncidenceRate::new`]). Without a correction a study with no events
/// has `v = 0` (IR) or an infinite log (IRLN): a typed error
/// ([`Problem::DegenerateVariance`](crate::Problem::DegenerateVariance)).
///
/// ```
/// use metapool::{effect::EffectSize, effect::IncidenceRate, effect::PersonTime, effect::RateTransform, effect::StudyEffect};
/// // 0 events over 0.5 person-years: 1/2 added, ln(0.5 / 0.5) = 0 and v = 1 / 0.5
/// let ir = IncidenceRate::new(PersonTime::new(0.0, 0.5)?, RateTransform::Log);
/// let StudyEffect::Included(e) = ir.effect()? else { unreachable!() };
/// assert_eq!((e.estimate(), e.variance()), (0.0, 2.0));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct IncidenceRate {
    /// The events and person-time.
    pub data: PersonTime,
    /// The analysis scale.
    pub transform: RateTransform,
    /// The correction for zero events.
    pub correction: ContinuityCorrection,
}

impl IncidenceRate {
    /// A rate on the scale of `transform` with metafor's default correction (1/2 added to a
    /// count of 0 for IR and IRLN; none for IRS and IRFT).
    ///
    /// ```
    /// use metapool::{effect::CorrectionRule, effect::IncidenceRate, effect::PersonTime, effect::RateTransform};
    /// let p = PersonTime::new(0.0, 10.0)?;
    /// assert_eq!(IncidenceRate::new(p, RateTransform::Raw).correction.rule, CorrectionRule::OnlyZeroCells);
    /// assert_eq!(IncidenceRate::new(p, RateTransform::SquareRoot).correction.rule, CorrectionRule::Never);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(data: PersonTime, transform: RateTransform) -> Self {
        let needs = matches!(transform, RateTransform::Raw | RateTransform::Log);
        IncidenceRate {
            data,
            transform,
            correction: default_correction(needs),
        }
    }

    /// The same with another correction.
    ///
    /// ```
    /// use metapool::{effect::ContinuityCorrection, effect::CorrectionRule, effect::EffectSize, effect::IncidenceRate, effect::PersonTime, effect::RateTransform};
    /// let zero = IncidenceRate::new(PersonTime::new(0.0, 10.0)?, RateTransform::Log);
    /// let never = ContinuityCorrection::new(0.5, CorrectionRule::Never)?;
    /// assert!(zero.with_correction(never).effect().is_err()); // ln 0
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_correction(mut self, correction: ContinuityCorrection) -> Self {
        self.correction = correction;
        self
    }
}

impl EffectSize for IncidenceRate {
    fn scale(&self) -> Scale {
        match self.transform {
            RateTransform::Log => Scale::Log,
            _ => Scale::Identity,
        }
    }

    fn effect(&self) -> Result<StudyEffect> {
        self.data.check()?;
        let t = self.data.time;
        let x = self.data.events + added(&self.correction, self.data.events == 0.0)?;
        let r = x / t;
        let (y, v) = match self.transform {
            RateTransform::Raw => (r, r / t),
            RateTransform::Log => (r.ln(), 1.0 / x),
            RateTransform::SquareRoot => (r.sqrt(), 1.0 / (4.0 * t)),
            RateTransform::FreemanTukey => {
                (0.5 * (r.sqrt() + (r + 1.0 / t).sqrt()), 1.0 / (4.0 * t))
            }
        };
        included(y, v)
    }
}

/// Two groups' incidence rates compared by `comparison` (see [`RateComparison`] for the
/// formulas).
///
/// A study with no events in either group is excluded (metafor `drop00 = TRUE`, as the 2x2
/// measures here do). The correction adds `value` to both groups' events (metafor
/// `to = "only0"`: when either count is 0); defaults are metafor's ([`IncidenceRateComparison::new`]).
///
/// ```
/// use metapool::{effect::EffectSize, effect::IncidenceRateComparison, effect::RateComparison, effect::RateTable, effect::StudyEffect};
/// // dat.nielweise2008, Bong et al. 2003 (metafor escalc("IRR"))
/// let irr = IncidenceRateComparison::new(RateTable::new(7.0, 1344.0, 11.0, 1988.0)?, RateComparison::Ratio);
/// let StudyEffect::Included(e) = irr.effect()? else { unreachable!() };
/// assert!((e.estimate() - (7.0f64 / 1344.0 / (11.0 / 1988.0)).ln()).abs() < 1e-15);
/// assert!((e.variance() - (1.0 / 7.0 + 1.0 / 11.0)).abs() < 1e-16);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct IncidenceRateComparison {
    /// The two groups' events and person-times.
    pub table: RateTable,
    /// The comparison.
    pub comparison: RateComparison,
    /// The correction for zero events.
    pub correction: ContinuityCorrection,
}

impl IncidenceRateComparison {
    /// The comparison with metafor's default correction (1/2 added to both counts of a study
    /// with a zero count for IRR and IRD; none for IRSD).
    ///
    /// ```
    /// use metapool::{effect::EffectSize, effect::IncidenceRateComparison, effect::RateComparison, effect::RateTable, effect::StudyEffect};
    /// let t = RateTable::new(0.0, 100.0, 4.0, 80.0)?;
    /// let StudyEffect::Included(e) = IncidenceRateComparison::new(t, RateComparison::Difference).effect()? else { unreachable!() };
    /// assert!((e.estimate() - (0.5 / 100.0 - 4.5 / 80.0)).abs() < 1e-16);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(table: RateTable, comparison: RateComparison) -> Self {
        let needs = !matches!(comparison, RateComparison::SquareRootDifference);
        IncidenceRateComparison {
            table,
            comparison,
            correction: default_correction(needs),
        }
    }

    /// The same with another correction.
    ///
    /// ```
    /// use metapool::{effect::ContinuityCorrection, effect::CorrectionRule, effect::EffectSize, effect::IncidenceRateComparison, effect::RateComparison, effect::RateTable, effect::StudyEffect};
    /// let t = RateTable::new(3.0, 100.0, 4.0, 80.0)?;
    /// let all = ContinuityCorrection::new(0.5, CorrectionRule::AllTables)?;
    /// let c = IncidenceRateComparison::new(t, RateComparison::Ratio).with_correction(all);
    /// let StudyEffect::Included(e) = c.effect()? else { unreachable!() };
    /// assert!((e.variance() - (1.0 / 3.5 + 1.0 / 4.5)).abs() < 1e-16);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_correction(mut self, correction: ContinuityCorrection) -> Self {
        self.correction = correction;
        self
    }
}

impl EffectSize for IncidenceRateComparison {
    fn scale(&self) -> Scale {
        match self.comparison {
            RateComparison::Ratio => Scale::Log,
            _ => Scale::Identity,
        }
    }

    fn effect(&self) -> Result<StudyEffect> {
        self.table.check()?;
        if let Some(why) = self.table.exclusion() {
            return Ok(StudyEffect::Excluded(why));
        }
        let (g1, g2) = (self.table.group1, self.table.group2);
        let add = added(&self.correction, g1.events == 0.0 || g2.events == 0.0)?;
        let (x1, x2) = (g1.events + add, g2.events + add);
        let (r1, r2) = (x1 / g1.time, x2 / g2.time);
        let (y, v) = match self.comparison {
            RateComparison::Ratio => (r1.ln() - r2.ln(), 1.0 / x1 + 1.0 / x2),
            RateComparison::Difference => (r1 - r2, r1 / g1.time + r2 / g2.time),
            RateComparison::SquareRootDifference => (
                r1.sqrt() - r2.sqrt(),
                1.0 / (4.0 * g1.time) + 1.0 / (4.0 * g2.time),
            ),
        };
        included(y, v)
    }
}

validated_serde!(PersonTime, |p| p.check());
validated_serde!(RateTable, |t| t.check());
