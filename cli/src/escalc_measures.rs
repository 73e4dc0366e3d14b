//! The further metafor measures of the command line (issue 18): mean change, two-group and
//! single-group ratios and variability, Cronbach's alpha, raw, unbiased, partial and
//! semi-partial correlations, and the other 2x2-table measures. The columns each reads (metafor's
//! argument names are accepted through the aliases of `columns.rs`), and how one row becomes the
//! library's effect size; no statistics here.

use crate::measure::{FieldError, Measure, Slot, StudyOptions, Values};
use metapool::effect::{
    AlphaEffect, AlphaTransform, Arm, ChangeMeasure, Correlation, CronbachAlpha, EffectSize,
    GroupEffect, GroupMeasure, GroupSummary, LogRatio, MeanChange, PairedMeans, PartialCorrelation,
    PartialScale, PhiVariance, RatioMeasure, RawCorrelation, RegressionTest, Scale,
    SemiPartialCorrelation, StudyEffect, TableEffect, TableMeasure, TwoByTwo, UnbiasedCorrelation,
};

type Need<'a> = &'a dyn Fn(&[(Slot, &str)]) -> Result<Vec<(Slot, usize)>, String>;
type Optional<'a> = &'a dyn Fn(&mut Vec<(Slot, usize)>, Slot, &str);

/// The forest plot's name of the measure.
pub fn title(m: Measure) -> &'static str {
    use Measure::*;
    match m {
        Mc => "Mean change",
        Smcc | Smcr | Smcrh => "Standardized mean change",
        Romc | Rom => "Ratio of means",
        Cvr => "Ratio of coefficients of variation",
        Vr => "Ratio of standard deviations",
        Mn | Mnln => "Mean",
        Cvln => "Coefficient of variation",
        Sdln => "Standard deviation",
        Ahw | Abt => "Transformed alpha",
        Cor | Ucor | Rtet | Phi => "Correlation",
        Pcor => "Partial correlation",
        Zpcor => "Fisher z of the partial correlation",
        Spcor => "Semi-partial correlation",
        As => "Arcsine risk difference",
        Yuq => "Yule's Q",
        Yuy => "Yule's Y",
        Pbit | Or2dn | Or2dl => "Standardized mean difference",
        _ => "Estimate",
    }
}

fn change_measure(m: Measure) -> Option<ChangeMeasure> {
    Some(match m {
        Measure::Mc => ChangeMeasure::Raw,
        Measure::Smcc => ChangeMeasure::StandardizedByChangeScore,
        Measure::Smcr => ChangeMeasure::StandardizedByRawScore,
        Measure::Smcrh => ChangeMeasure::StandardizedByRawScoreHeteroscedastic,
        Measure::Romc => ChangeMeasure::LogRatioOfMeans,
        _ => return None,
    })
}

fn table_measure(m: Measure) -> Option<TableMeasure> {
    Some(match m {
        Measure::As => TableMeasure::ArcsineRiskDifference,
        Measure::Phi => TableMeasure::Phi(PhiVariance::CrossSectional),
        Measure::Yuq => TableMeasure::YulesQ,
        Measure::Yuy => TableMeasure::YulesY,
        Measure::Rtet => TableMeasure::Tetrachoric,
        Measure::Pbit => TableMeasure::ProbitDifference,
        Measure::Or2dn => TableMeasure::OddsRatioAsSmdNormal,
        Measure::Or2dl => TableMeasure::OddsRatioAsSmdLogistic,
        _ => return None,
    })
}

/// The columns of a measure of this module.
pub fn columns(
    m: Measure,
    need: Need<'_>,
    optional: Optional<'_>,
) -> Result<Vec<(Slot, usize)>, String> {
    use Slot::*;
    let mut cols = match m {
        Measure::Smcr => need(&[(M1, "m1"), (Sd1, "sd1"), (M2, "m2"), (N, "n")])?,
        _ if change_measure(m).is_some() => {
            need(&[(M1, "m1"), (Sd1, "sd1"), (M2, "m2"), (Sd2, "sd2"), (N, "n")])?
        }
        Measure::Vr => need(&[(Sd1, "sd1"), (N1, "n1"), (Sd2, "sd2"), (N2, "n2")])?,
        Measure::Rom | Measure::Cvr => need(&[
            (M1, "m1"),
            (Sd1, "sd1"),
            (N1, "n1"),
            (M2, "m2"),
            (Sd2, "sd2"),
            (N2, "n2"),
        ])?,
        Measure::Sdln => need(&[(Sd1, "sd"), (N, "n")])?,
        Measure::Mn | Measure::Mnln | Measure::Cvln => {
            need(&[(M1, "mean"), (Sd1, "sd"), (N, "n")])?
        }
        Measure::Ahw | Measure::Abt => need(&[(Alpha, "alpha"), (Items, "items"), (N, "n")])?,
        Measure::Cor | Measure::Ucor => need(&[(R, "r"), (N, "n")])?,
        Measure::Pcor | Measure::Zpcor => need(&[(T, "t"), (N, "n"), (Predictors, "predictors")])?,
        Measure::Spcor => need(&[(T, "t"), (N, "n"), (Predictors, "predictors"), (R2, "r2")])?,
        _ => need(&[
            (Events1, "events1"),
            (Total1, "total1"),
            (Events2, "events2"),
            (Total2, "total2"),
        ])?,
    };
    if change_measure(m).is_some() {
        optional(&mut cols, R, "r");
    }
    Ok(cols)
}

/// One study of a measure of this module: its effect, scale and (2x2 measures) table.
pub fn study(
    m: Measure,
    values: &Values,
    opts: &StudyOptions,
) -> Result<(StudyEffect, Scale, Option<TwoByTwo>), FieldError> {
    use Slot::*;
    let get = |s: Slot| values[s.index()];
    let req = |s: Slot| get(s).unwrap_or(f64::NAN);
    fn parts<E: EffectSize>(e: E) -> Result<(StudyEffect, Scale, Option<TwoByTwo>), FieldError> {
        Ok((e.effect()?, e.scale(), e.two_by_two()))
    }
    let arm = |mean, sd, n| Arm { mean, sd, n };
    if let Some(c) = change_measure(m) {
        let data = PairedMeans {
            mean1: req(M1),
            sd1: req(Sd1),
            mean2: req(M2),
            sd2: get(Sd2).unwrap_or(f64::NAN),
            n: req(N),
            r: get(R).unwrap_or(opts.r),
        };
        return parts(MeanChange::new(data, c));
    }
    if let Some(t) = table_measure(m) {
        let table = TwoByTwo::new(req(Events1), req(Total1), req(Events2), req(Total2))?;
        let e = TableEffect::new(table, t);
        return parts(match opts.correction {
            Some(c) => e.with_correction(c),
            None => e,
        });
    }
    let group = |g| {
        GroupEffect::new(
            GroupSummary {
                mean: get(M1).unwrap_or(f64::NAN),
                sd: req(Sd1),
                n: req(N),
            },
            g,
        )
    };
    let alpha = |t| {
        AlphaEffect::new(
            CronbachAlpha {
                alpha: req(Alpha),
                items: req(Items),
                n: req(N),
            },
            t,
        )
    };
    let ratio = |r| {
        LogRatio::new(
            arm(get(M1).unwrap_or(1.0), req(Sd1), req(N1)),
            arm(get(M2).unwrap_or(1.0), req(Sd2), req(N2)),
            r,
        )
    };
    let cor = || Correlation {
        r: req(R),
        n: req(N),
    };
    let test = || RegressionTest {
        t: req(T),
        n: req(N),
        predictors: req(Predictors),
    };
    match m {
        Measure::Rom => parts(ratio(RatioMeasure::Means)),
        Measure::Cvr => parts(ratio(RatioMeasure::CoefficientsOfVariation)),
        Measure::Vr => parts(ratio(RatioMeasure::StandardDeviations)),
        Measure::Mn => parts(group(GroupMeasure::Mean)),
        Measure::Mnln => parts(group(GroupMeasure::LogMean)),
        Measure::Cvln => parts(group(GroupMeasure::LogCoefficientOfVariation)),
        Measure::Sdln => parts(group(GroupMeasure::LogStandardDeviation)),
        Measure::Ahw => parts(alpha(AlphaTransform::HakstianWhalen)),
        Measure::Abt => parts(alpha(AlphaTransform::Bonett)),
        Measure::Cor => parts(RawCorrelation::new(cor())),
        Measure::Ucor => parts(UnbiasedCorrelation::new(cor())),
        Measure::Pcor => parts(PartialCorrelation::new(test(), PartialScale::Raw)),
        Measure::Zpcor => parts(PartialCorrelation::new(test(), PartialScale::FisherZ)),
        _ => parts(SemiPartialCorrelation {
            test: test(),
            r2: req(R2),
        }),
    }
}
