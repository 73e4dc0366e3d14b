//! The validated options of an analysis: the measure, the models and their rule, the study
//! options and the zero-cell corrections.

use crate::args::{
    CiArg, FixedMethodArg, InputArgs, ModelArg, ModelArgs, PredictionArg, ScaleArg, Tau2Arg,
    Tau2ControlArg, ToArg, YesNo,
};
use crate::measure::{Display, Measure, StudyOptions};
use metapool::pool::{PredictionKind, Test};
use metapool::{
    effect::ContinuityCorrection, effect::CorrectionRule, effect::Scale,
    inference::ConfidenceLevel, pool::FixedMethod, pool::FixedModel, pool::ModelChoice,
    pool::ModelRule, pool::RandomModel, pool::Tau2Control, pool::Tau2Estimator,
};

/// Everything an analysis needs besides its rows, validated once.
#[derive(Debug, Clone)]
pub struct Settings {
    pub measure: Measure,
    pub model: ModelArg,
    /// The fixed-effect method (IV, MH, PETO).
    pub fixed: FixedMethod,
    pub tau2: Tau2Arg,
    /// The model rule, holding the fixed-effect and the random-effects model.
    pub rule: ModelRule,
    /// `rule.random`.
    pub random: RandomModel,
    pub level: ConfidenceLevel,
    pub display: Display,
    pub ci: CiArg,
    pub prediction: PredictionKind,
    pub study: StudyOptions,
    /// `--to if0all`: the correction given to every table of an analysis with a zero cell.
    pub if0all: Option<ContinuityCorrection>,
    /// `--drop00 yes` for RD: tables with no (or only) events in both arms are dropped.
    pub drop00: bool,
    /// GENERIC without `--scale`: warn when the CIs look like ratios.
    pub warn_scale: bool,
    /// `pool --robust --cluster`: cluster-robust inference on the pooled fit.
    pub robust: Option<crate::robust::RobustSpec>,
}

/// `--tau2-control`, with `--max-iter` and `--threshold` for the metafor mode.
fn tau2_control(a: &ModelArgs) -> Result<Tau2Control, String> {
    match a.tau2_control {
        Tau2ControlArg::Exact => {
            if a.max_iter.is_some() || a.threshold.is_some() {
                return Err(
                    "--max-iter and --threshold apply to --tau2-control metafor (the exact \
                     solver needs neither)"
                        .to_string(),
                );
            }
            Ok(Tau2Control::default())
        }
        Tau2ControlArg::Metafor => {
            let mut c = Tau2Control::metafor();
            if let Some(n) = a.max_iter {
                c = c
                    .with_max_iterations(n)
                    .map_err(|e| format!("--max-iter: {e}"))?;
            }
            if let Some(t) = a.threshold {
                c = c
                    .with_threshold(t)
                    .map_err(|e| format!("--threshold: {e}"))?;
            }
            Ok(c)
        }
    }
}

impl Settings {
    /// Validate the options. Errors are usage errors (exit status 2).
    pub fn from_args(i: &InputArgs, a: &ModelArgs) -> Result<Settings, String> {
        i.measure.check_supported()?;
        let level = ConfidenceLevel::new(a.level).map_err(|e| format!("--level: {e}"))?;
        let estimator = match a.tau2 {
            Tau2Arg::Dl => Tau2Estimator::DerSimonianLaird,
            Tau2Arg::Reml => Tau2Estimator::RestrictedMaximumLikelihood,
            Tau2Arg::Ml => Tau2Estimator::MaximumLikelihood,
            Tau2Arg::Pm => Tau2Estimator::PauleMandel,
            Tau2Arg::He => Tau2Estimator::Hedges,
            Tau2Arg::Hs => Tau2Estimator::HunterSchmidt,
            Tau2Arg::Sj => Tau2Estimator::SidikJonkman,
            Tau2Arg::Eb => Tau2Estimator::EmpiricalBayes,
            Tau2Arg::Hsk => Tau2Estimator::HunterSchmidtSmallSample,
            Tau2Arg::Pmm => Tau2Estimator::PauleMandelMedian,
            Tau2Arg::Dl2 => Tau2Estimator::DerSimonianLairdTwoStep,
        };
        let test = match a.ci {
            CiArg::Wald => Test::Z,
            CiArg::T => Test::T,
            CiArg::Hk => Test::KnappHartung,
            CiArg::HkAdhoc => Test::KnappHartungAdHoc,
        };
        if a.ci != CiArg::Wald && a.model == ModelArg::Fixed {
            return Err(format!(
                "--ci {} applies to the random-effects model (use --model random or auto)",
                a.ci.name()
            ));
        }
        let m = i.measure;
        let fixed = match a.fixed_method {
            None if matches!(m, Measure::Or | Measure::Rr | Measure::Rd) => {
                FixedMethod::MantelHaenszel
            }
            None if m == Measure::PetoOr => FixedMethod::Peto,
            None | Some(FixedMethodArg::Iv) => FixedMethod::InverseVariance,
            Some(FixedMethodArg::Mh) if matches!(m, Measure::Or | Measure::Rr | Measure::Rd) => {
                FixedMethod::MantelHaenszel
            }
            Some(FixedMethodArg::Mh) => {
                return Err(format!(
                    "--fixed-method MH applies to OR, RR and RD, not {}",
                    m.name()
                ))
            }
            Some(FixedMethodArg::Peto) if m == Measure::PetoOr => FixedMethod::Peto,
            Some(FixedMethodArg::Peto) => {
                return Err(format!(
                    "--fixed-method PETO applies to --measure PETO-OR, not {}",
                    m.name()
                ))
            }
        };
        // Odds ratios with the Mantel-Haenszel method and DL tau² follow RevMan's "M-H, Random"
        // (tau² from the MH-centred Q); every other random-effects fit is metafor's `rma` on the
        // per-study effects (`--fixed-method IV` gives metafor's fit for OR).
        let mut random = RandomModel::new(estimator, level)
            .with_test(test)
            .with_control(tau2_control(a)?);
        if m == Measure::Or
            && fixed == FixedMethod::MantelHaenszel
            && estimator == Tau2Estimator::DerSimonianLaird
        {
            random = random.with_q_from(FixedMethod::MantelHaenszel);
        }
        let rule = ModelRule::new(a.alpha)
            .map_err(|e| format!("--alpha: {e}"))?
            .with_level(level)
            .with_fixed(FixedModel::new(level).with_method(fixed))
            .with_random(random);
        if i.scale == Some(ScaleArg::Log) && m != Measure::Generic {
            return Err("--scale applies to --measure GENERIC only".to_string());
        }
        let generic_scale = match i.scale {
            None | Some(ScaleArg::Identity) => Scale::Identity,
            Some(ScaleArg::Log) => Scale::Log,
        };
        if !(i.r.is_finite() && (-1.0..=1.0).contains(&i.r)) {
            return Err(format!("--r must lie in [-1, 1], got {}", i.r));
        }
        if i.decimal == b'\'' || i.decimal == b' ' {
            return Err("--decimal must be `.` or `,`".to_string());
        }
        if i.thousands == Some(i.decimal) {
            return Err("--thousands must differ from --decimal".to_string());
        }
        let (correction, if0all) = correction(i)?;
        let drop00 = match (i.drop00, m) {
            (Some(YesNo::No), Measure::Or | Measure::Rr | Measure::PetoOr) => {
                return Err(format!(
                    "--drop00 no is not available for {}: the library excludes tables with no \
                     (or only) events in both arms from ratio measures",
                    m.name()
                ))
            }
            (Some(_), m) if !m.is_binary() => {
                return Err("--drop00 applies to OR, RR, RD and PETO-OR".to_string())
            }
            (d, _) => d == Some(YesNo::Yes) && m == Measure::Rd,
        };
        Ok(Settings {
            measure: m,
            model: a.model,
            fixed,
            tau2: a.tau2,
            rule,
            random,
            level,
            display: m.display(generic_scale == Scale::Log),
            ci: a.ci,
            prediction: match a.prediction {
                PredictionArg::Metafor => PredictionKind::Metafor,
                PredictionArg::HigginsT => PredictionKind::HigginsT,
            },
            study: StudyOptions {
                r: i.r,
                generic_scale,
                level,
                correction,
            },
            if0all,
            drop00,
            warn_scale: m == Measure::Generic && i.scale.is_none(),
            robust: None,
        })
    }

    /// `(model, method)` labels of a fit, as written in the output.
    pub fn labels(&self, choice: ModelChoice) -> (&'static str, &'static str) {
        match choice {
            ModelChoice::Fixed => ("fixed", self.fixed.metafor_name()),
            ModelChoice::Random => ("random", self.tau2.name()),
        }
    }
}

/// The zero-cell correction of `--add`/`--to`: `(per-study correction, if0all correction)`;
/// `None` keeps the library's default for the measure.
fn correction(
    i: &InputArgs,
) -> Result<(Option<ContinuityCorrection>, Option<ContinuityCorrection>), String> {
    if i.add.is_none() && i.to.is_none() {
        return Ok((None, None));
    }
    if !(i.measure.is_binary() || i.measure.is_proportion()) {
        return Err("--add and --to apply to 2x2 tables and proportions".to_string());
    }
    let default_add = match i.measure {
        Measure::Pas | Measure::Pft => 0.0,
        _ => 0.5,
    };
    let add = i.add.unwrap_or(default_add);
    if !(add.is_finite() && add >= 0.0) {
        return Err(format!("--add must be a finite number >= 0, got {add}"));
    }
    let make = |rule| ContinuityCorrection { value: add, rule };
    // No correction (the value is then unused; the library wants it positive).
    let never = ContinuityCorrection {
        value: 0.5,
        rule: CorrectionRule::Never,
    };
    if add == 0.0 {
        return Ok((Some(never), None));
    }
    Ok(match i.to.unwrap_or(ToArg::Only0) {
        ToArg::Only0 => (Some(make(CorrectionRule::OnlyZeroCells)), None),
        ToArg::All => (Some(make(CorrectionRule::AllTables)), None),
        ToArg::None => (Some(never), None),
        ToArg::If0all => (Some(never), Some(make(CorrectionRule::AllTables))),
    })
}
