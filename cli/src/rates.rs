//! The incidence-rate measures of the command line (IR, IRLN, IRS, IRFT from `events,time`;
//! IRR, IRD, IRSD from `events1,time1,events2,time2`): one CSV row to one library study.

use crate::measure::{FieldError, Measure, Slot, Study, Values};
use metapool::effect::{
    ContinuityCorrection, IncidenceRate, IncidenceRateComparison, PersonTime, RateComparison,
    RateTable, RateTransform,
};

/// A single group's rate.
pub fn one_group(
    measure: Measure,
    events: f64,
    time: f64,
    correction: Option<ContinuityCorrection>,
) -> Result<Study, FieldError> {
    let transform = match measure {
        Measure::Ir => RateTransform::Raw,
        Measure::Irln => RateTransform::Log,
        Measure::Irs => RateTransform::SquareRoot,
        _ => RateTransform::FreemanTukey,
    };
    let mut e = IncidenceRate::new(PersonTime::new(events, time)?, transform);
    if let Some(c) = correction {
        e = e.with_correction(c);
    }
    Ok(Study::of(&e)?)
}

/// Two groups' rates compared.
pub fn two_groups(
    measure: Measure,
    [e1, t1, e2, t2]: [f64; 4],
    correction: Option<ContinuityCorrection>,
) -> Result<Study, FieldError> {
    let comparison = match measure {
        Measure::Irr => RateComparison::Ratio,
        Measure::Ird => RateComparison::Difference,
        _ => RateComparison::SquareRootDifference,
    };
    let mut e = IncidenceRateComparison::new(RateTable::new(e1, t1, e2, t2)?, comparison);
    if let Some(c) = correction {
        e = e.with_correction(c);
    }
    Ok(Study::of(&e)?)
}

/// For a rate measure, whether any row has a zero count (`--to if0all`); `None` for the others.
pub fn any_zero(measure: Measure, rows: &[Values]) -> Option<bool> {
    let g = |v: &Values, s: Slot| v[s.index()].unwrap_or(f64::NAN);
    match measure {
        Measure::Ir | Measure::Irln | Measure::Irs | Measure::Irft => {
            Some(rows.iter().any(|v| g(v, Slot::Events1) == 0.0))
        }
        Measure::Irr | Measure::Ird | Measure::Irsd => Some(rows.iter().any(|v| {
            let (e1, e2) = (g(v, Slot::Events1), g(v, Slot::Events2));
            (e1 == 0.0 || e2 == 0.0) && !(e1 == 0.0 && e2 == 0.0)
        })),
        _ => None,
    }
}
