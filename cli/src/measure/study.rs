//! How one CSV row becomes one study of the library: the row's values by [`Slot`], the
//! options study construction needs, and why a row makes no study ([`FieldError`]).

use super::{Measure, Slot, SLOTS};
use metapool::{
    effect::Arm, effect::BinaryMeasure, effect::ContinuityCorrection, effect::EffectSize,
    effect::Generic, effect::LogOddsRatio, effect::LogRiskRatio, effect::MeanDifference,
    effect::PetoOddsRatio, effect::PrePost, effect::PrePostMeanDifference, effect::Proportion,
    effect::ProportionEffect, effect::ProportionTransform, effect::RiskDifference, effect::Scale,
    effect::SmdConvention, effect::StandardizedMeanDifference, effect::StudyEffect,
    effect::TwoByTwo,
};

/// Options that study construction needs besides the row.
#[derive(Debug, Clone, Copy)]
pub struct StudyOptions {
    /// Pre/post correlation when the file has no `r` column (or an empty cell).
    pub r: f64,
    /// Analysis scale of GENERIC inputs.
    pub generic_scale: metapool::effect::Scale,
    /// Confidence level of GENERIC confidence intervals.
    pub level: metapool::inference::ConfidenceLevel,
    /// `--add`/`--to` for 2x2 tables and proportions; `None`: the library's default.
    pub correction: Option<ContinuityCorrection>,
}

/// A row's values: `Some` where the column exists and the cell is not empty.
pub type Values = [Option<f64>; SLOTS];

/// One study as the library computed it from a row: its effect (or why it is excluded), its
/// scale and, for a 2x2 table, the table and its comparison. An analysis' set is made from
/// these by the library ([`metapool::effect::EffectSet::from_studies`]), which keeps the tables for the
/// Mantel-Haenszel and Peto methods.
#[derive(Debug, Clone, Copy)]
pub struct Study {
    effect: StudyEffect,
    scale: Scale,
    table: Option<TwoByTwo>,
    measure: Option<BinaryMeasure>,
}

impl Study {
    /// A study from the library's effect size (for the issue-18 measures' module).
    pub(crate) fn from_parts(parts: (StudyEffect, Scale, Option<TwoByTwo>)) -> Study {
        Study {
            effect: parts.0,
            scale: parts.1,
            table: parts.2,
            measure: None,
        }
    }

    pub(crate) fn of<E: EffectSize>(e: &E) -> metapool::Result<Study> {
        Ok(Study {
            effect: e.effect()?,
            scale: e.scale(),
            table: e.two_by_two(),
            measure: e.binary_measure(),
        })
    }

    /// The study's own scale (a Freeman-Tukey proportion carries its n).
    pub fn own_scale(&self) -> Scale {
        self.scale
    }
}

impl EffectSize for Study {
    fn scale(&self) -> Scale {
        self.scale
    }
    fn effect(&self) -> metapool::Result<StudyEffect> {
        Ok(self.effect)
    }
    fn two_by_two(&self) -> Option<TwoByTwo> {
        self.table
    }
    fn binary_measure(&self) -> Option<BinaryMeasure> {
        self.measure
    }
}

/// Whether any 2x2 table of `rows` has a zero cell, or any proportion 0 or all events
/// (metafor's test for `to = "if0all"`); tables the measure excludes (no events, or only
/// events, in both arms of OR, RR, PETO-OR) do not count.
pub fn any_zero(measure: Measure, rows: &[Values]) -> bool {
    use Slot::*;
    if let Some(zero) = crate::rates::any_zero(measure, rows) {
        return zero;
    }
    rows.iter().any(|v| {
        let g = |s: Slot| v[s.index()].unwrap_or(f64::NAN);
        if measure.is_proportion() {
            return g(Events1) == 0.0 || g(Events1) == g(Total1);
        }
        let (e1, t1, e2, t2) = (g(Events1), g(Total1), g(Events2), g(Total2));
        let zero = [e1, t1 - e1, e2, t2 - e2].contains(&0.0);
        let excluded = (e1 == 0.0 && e2 == 0.0) || (e1 == t1 && e2 == t2);
        zero && (measure == Measure::Rd || !excluded)
    })
}

/// Build one study from a row's values. On error: the library's field name (for
/// [`field_slot`]) and the message.
pub fn study(measure: Measure, values: &Values, opts: &StudyOptions) -> Result<Study, FieldError> {
    use Slot::*;
    let get = |s: Slot| values[s.index()];
    // Required slots are present (the binding checked the columns, the reader the cells).
    let req = |s: Slot| get(s).unwrap_or(f64::NAN);
    let table = || TwoByTwo::new(req(Events1), req(Total1), req(Events2), req(Total2));
    macro_rules! corrected {
        ($e:expr) => {
            match opts.correction {
                Some(c) => $e.with_correction(c),
                None => $e,
            }
        };
    }
    // Validated by the effect size's constructor, which names the arm's fields (`sd2`).
    let arms = || -> Result<(Arm, Arm), metapool::Error> {
        let arm = |mean, sd, n| Arm { mean, sd, n };
        Ok((
            arm(req(M1), req(Sd1), req(N1)),
            arm(req(M2), req(Sd2), req(N2)),
        ))
    };
    Ok(match measure {
        Measure::Md => {
            let (a, b) = arms()?;
            Study::of(&MeanDifference::new(a, b)?)?
        }
        Measure::Smd | Measure::SmdRevman => {
            let (a, b) = arms()?;
            Study::of(
                &StandardizedMeanDifference::new(a, b)?.with_convention(match measure {
                    Measure::SmdRevman => SmdConvention::RevMan5,
                    _ => SmdConvention::Metafor,
                }),
            )?
        }
        Measure::PrepostMd => {
            let n = match get(N) {
                Some(n) => n,
                None => {
                    let (n1, n2) = (req(N1), req(N2));
                    if n1 != n2 {
                        return Err(FieldError {
                            field: Some("n2"),
                            reason: format!(
                                "must equal n1 ({n1}) for PREPOST-MD (the same patients \
                                 before and after), got {n2}"
                            ),
                        });
                    }
                    n1
                }
            };
            let data = PrePost {
                mean_post: req(M1),
                sd_post: req(Sd1),
                mean_pre: req(M2),
                sd_pre: req(Sd2),
                n,
            };
            Study::of(&PrePostMeanDifference::new(data, get(R).unwrap_or(opts.r))?)?
        }
        Measure::Or => Study::of(&corrected!(LogOddsRatio::new(table()?)))?,
        Measure::Rr => Study::of(&corrected!(LogRiskRatio::new(table()?)))?,
        Measure::Rd => Study::of(&corrected!(RiskDifference::new(table()?)))?,
        Measure::PetoOr => Study::of(&corrected!(PetoOddsRatio::new(table()?)))?,
        Measure::Pr | Measure::Plo | Measure::Pas | Measure::Pft => {
            let transform = match measure {
                Measure::Plo => ProportionTransform::Logit,
                Measure::Pas => ProportionTransform::Arcsine,
                Measure::Pft => ProportionTransform::FreemanTukey,
                _ => ProportionTransform::Raw,
            };
            let p = Proportion::new(req(Events1), req(Total1))?;
            Study::of(&corrected!(ProportionEffect::new(p, transform)))?
        }
        Measure::Ir | Measure::Irln | Measure::Irs | Measure::Irft => {
            crate::rates::one_group(measure, req(Events1), req(Total1), opts.correction)?
        }
        Measure::Irr | Measure::Ird | Measure::Irsd => crate::rates::two_groups(
            measure,
            [req(Events1), req(Total1), req(Events2), req(Total2)],
            opts.correction,
        )?,
        Measure::Generic => {
            let se = match (get(Se), get(Vi)) {
                (Some(se), _) => Some(se),
                (None, Some(vi)) if vi > 0.0 => Some(vi.sqrt()),
                (None, Some(vi)) => {
                    return Err(FieldError {
                        field: Some("vi"),
                        reason: format!("must be > 0, got {vi}"),
                    })
                }
                (None, None) => None,
            };
            let g = match se {
                Some(se) => Generic::from_se(req(Estimate), se, opts.generic_scale)?,
                None => match (get(CiLower), get(CiUpper)) {
                    (Some(lo), Some(hi)) => {
                        Generic::from_ci(req(Estimate), lo, hi, opts.level, opts.generic_scale)?
                    }
                    _ => {
                        return Err(FieldError {
                            field: Some("se"),
                            reason: "is empty and there is no ci_lower/ci_upper to use instead"
                                .to_string(),
                        })
                    }
                },
            };
            Study::of(&g)?
        }
        m => return crate::escalc_measures::study(m, values, opts).map(Study::from_parts),
    })
}

/// Why a row does not make a study: the library's field name (see [`field_slot`]) and the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// The library's name of the offending field, if one is named.
    pub field: Option<&'static str>,
    /// What is wrong.
    pub reason: String,
}

impl From<metapool::Error> for FieldError {
    fn from(e: metapool::Error) -> Self {
        match e {
            metapool::Error::InvalidField { field, problem }
            | metapool::Error::InvalidStudy { field, problem, .. } => FieldError {
                field: Some(field),
                reason: problem.to_string(),
            },
            other => FieldError {
                field: None,
                reason: other.to_string(),
            },
        }
    }
}
