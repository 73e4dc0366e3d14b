//! One analysis: the validated settings, the studies read for it, and the library calls that
//! pool them. Every statistic comes from the `metapool` library; this module only chooses which
//! model to call and collects the results.

use crate::args::{CiArg, FixedMethodArg, ModelArg, PoolArgs, PredictionArg, ScaleArg, Tau2Arg};
use crate::measure::{Display, Measure, Studies, StudyOptions};
use metapool::pool::{PredictionKind, Test};
use metapool::{
    ConfidenceLevel, EffectSet, FixedModel, Heterogeneity, MantelHaenszel, ModelChoice, ModelRule,
    Peto, Pooled, RandomModel, Scale, SubgroupAnalysis, Tau2Estimator,
};

/// The fixed-effect method in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixedMethod {
    /// Inverse variance.
    Iv,
    /// Mantel-Haenszel (OR, RR, RD).
    Mh,
    /// Peto (PETO-OR).
    Peto,
}

/// Everything an analysis needs besides its rows, validated once.
#[derive(Debug, Clone)]
pub struct Settings {
    pub measure: Measure,
    pub model: ModelArg,
    pub fixed: FixedMethod,
    pub tau2: Tau2Arg,
    pub rule: ModelRule,
    pub random: RandomModel,
    pub level: ConfidenceLevel,
    pub display: Display,
    pub ci: CiArg,
    pub prediction: PredictionKind,
    pub study: StudyOptions,
}

impl Settings {
    /// Validate the options. Errors are usage errors (exit status 2).
    pub fn from_args(a: &PoolArgs) -> Result<Settings, String> {
        a.measure.check_supported()?;
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
        let m = a.measure;
        let fixed = match a.fixed_method {
            None if matches!(m, Measure::Or | Measure::Rr | Measure::Rd) => FixedMethod::Mh,
            None if m == Measure::PetoOr => FixedMethod::Peto,
            None | Some(FixedMethodArg::Iv) => FixedMethod::Iv,
            Some(FixedMethodArg::Mh) if matches!(m, Measure::Or | Measure::Rr | Measure::Rd) => {
                FixedMethod::Mh
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
        let random = RandomModel::new(estimator, level).with_test(test);
        let mut rule = ModelRule::new(a.alpha)
            .map_err(|e| format!("--alpha: {e}"))?
            .with_level(level);
        rule.random = random;
        if a.scale == ScaleArg::Log && a.measure != Measure::Generic {
            return Err("--scale applies to --measure GENERIC only".to_string());
        }
        let generic_scale = match a.scale {
            ScaleArg::Identity => Scale::Identity,
            ScaleArg::Log => Scale::Log,
        };
        if !(a.r.is_finite() && (-1.0..=1.0).contains(&a.r)) {
            return Err(format!("--r must lie in [-1, 1], got {}", a.r));
        }
        Ok(Settings {
            measure: a.measure,
            model: a.model,
            fixed,
            tau2: a.tau2,
            rule,
            random,
            level,
            display: a.measure.display(generic_scale == Scale::Log),
            ci: a.ci,
            prediction: match a.prediction {
                PredictionArg::Metafor => PredictionKind::Metafor,
                PredictionArg::HigginsT => PredictionKind::HigginsT,
            },
            study: StudyOptions {
                r: a.r,
                generic_scale,
                level,
            },
        })
    }

    /// `(model, method)` labels of a fit, as written in the output.
    pub fn labels(&self, choice: ModelChoice) -> (&'static str, &'static str) {
        match choice {
            ModelChoice::Fixed => (
                "fixed",
                match self.fixed {
                    FixedMethod::Iv => "IV",
                    FixedMethod::Mh => "MH",
                    FixedMethod::Peto => "PETO",
                },
            ),
            ModelChoice::Random => ("random", self.tau2.name()),
        }
    }
}

/// The rows of one analysis.
#[derive(Debug, Clone)]
pub struct Group {
    /// The --by value (raw bytes of the cell).
    pub key: Vec<u8>,
    /// The studies, in input order.
    pub studies: Studies,
    /// Study names, concatenated (see `name_end`).
    names: String,
    name_end: Vec<usize>,
    /// The line of each study in the file.
    pub lines: Vec<u64>,
    /// Each study's subgroup (index into `subgroup_names`), with --subgroup.
    pub subgroup_of: Vec<usize>,
    /// Subgroup names, in order of first appearance.
    pub subgroup_names: Vec<String>,
    /// First and last line of the analysis.
    pub first_line: u64,
    pub last_line: u64,
    /// With --keep-going: the first row error of this analysis.
    pub failed: Option<String>,
}

impl Group {
    pub fn new(measure: Measure) -> Group {
        Group {
            key: Vec::new(),
            studies: Studies::new(measure),
            names: String::new(),
            name_end: Vec::new(),
            lines: Vec::new(),
            subgroup_of: Vec::new(),
            subgroup_names: Vec::new(),
            first_line: 0,
            last_line: 0,
            failed: None,
        }
    }

    /// Start a new analysis, keeping the allocations.
    pub fn reset(&mut self, key: &[u8], line: u64) {
        self.key.clear();
        self.key.extend_from_slice(key);
        self.studies.clear();
        self.names.clear();
        self.name_end.clear();
        self.lines.clear();
        self.subgroup_of.clear();
        self.subgroup_names.clear();
        self.first_line = line;
        self.last_line = line;
        self.failed = None;
    }

    /// The --by value as text.
    pub fn id(&self) -> String {
        String::from_utf8_lossy(&self.key).into_owned()
    }

    /// Record the name, line and subgroup of the study just pushed.
    pub fn note_study(&mut self, name: Option<&[u8]>, line: u64, subgroup: Option<&[u8]>) {
        match name {
            Some(n) if !n.is_empty() => self.names.push_str(&String::from_utf8_lossy(n)),
            _ => {
                use std::fmt::Write;
                let _ = write!(self.names, "Study {}", self.name_end.len() + 1);
            }
        }
        self.name_end.push(self.names.len());
        self.lines.push(line);
        self.last_line = line;
        if let Some(sg) = subgroup {
            let sg = String::from_utf8_lossy(sg);
            let i = match self.subgroup_names.iter().position(|s| *s == sg) {
                Some(i) => i,
                None => {
                    self.subgroup_names.push(sg.into_owned());
                    self.subgroup_names.len() - 1
                }
            };
            self.subgroup_of.push(i);
        }
    }

    /// The name of study `i` (0-based, input order).
    pub fn name(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.name_end[i - 1] };
        &self.names[start..self.name_end[i]]
    }

    /// Number of studies.
    pub fn len(&self) -> usize {
        self.lines.len()
    }
}

/// One fitted model with its labels.
#[derive(Debug, Clone)]
pub struct Fit {
    pub model: &'static str,
    pub method: &'static str,
    pub pooled: Pooled,
}

/// One subgroup's fit.
#[derive(Debug, Clone)]
pub struct SubgroupFit {
    /// Index into the group's subgroup names.
    pub index: usize,
    /// Input positions of its studies.
    pub members: Vec<usize>,
    pub fit: Pooled,
}

/// Subgroup fits and the test for subgroup differences.
#[derive(Debug, Clone)]
pub struct Subgroups {
    pub fits: Vec<SubgroupFit>,
    /// Q between subgroups (Cochran's Q of the subgroup estimates with weights 1/se²), its df,
    /// p and I².
    pub test: Heterogeneity,
}

/// A computed analysis.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The fit reported at the top level (the selected one with --model auto).
    pub main: Fit,
    /// With --model auto: the choice and both fits (fixed, random).
    pub auto: Option<(ModelChoice, Fit, Fit)>,
    /// Every study's effect (included ones) and exclusions.
    pub set: EffectSet,
    pub subgroups: Option<Subgroups>,
}

/// Why an analysis could not be computed.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisError {
    /// The line of the study concerned, when the library names one.
    pub line: Option<u64>,
    pub message: String,
}

impl AnalysisError {
    fn from_lib(e: metapool::Error, lines: &dyn Fn(usize) -> u64) -> AnalysisError {
        match e {
            metapool::Error::InvalidStudy {
                study,
                field,
                problem,
            } => AnalysisError {
                line: Some(lines(study)),
                message: format!("`{field}` {problem}"),
            },
            other => AnalysisError {
                line: None,
                message: other.to_string(),
            },
        }
    }
}

fn fit_fixed(s: &Settings, studies: &Studies, set: &EffectSet) -> metapool::Result<Pooled> {
    let special = match s.fixed {
        FixedMethod::Mh => studies.mantel_haenszel(&MantelHaenszel::new(s.level)),
        FixedMethod::Peto => studies.peto(&Peto::new(s.level)),
        FixedMethod::Iv => None,
    };
    // Settings::from_args allows MH and PETO only for measures that have them.
    special.unwrap_or_else(|| FixedModel::new(s.level).pool(set))
}

/// The random-effects fit. Odds ratios with the Mantel-Haenszel fixed method and DL tau² follow
/// RevMan's "M-H, Random" (tau² from the MH-centred Q); everything else is fitted to the
/// per-study effects as metafor's `rma` does (`--fixed-method IV` gives metafor's fit for OR).
fn fit_random(s: &Settings, studies: &Studies, set: &EffectSet) -> metapool::Result<Pooled> {
    match studies.odds_ratio_tables() {
        Some(_)
            if s.fixed == FixedMethod::Mh
                && s.random.estimator == Tau2Estimator::DerSimonianLaird =>
        {
            s.random
                .with_q_from(metapool::FixedMethod::MantelHaenszel)
                .pool(set)
        }
        _ => s.random.pool(set),
    }
}

fn fit_one(
    s: &Settings,
    choice: ModelChoice,
    studies: &Studies,
    set: &EffectSet,
) -> metapool::Result<Fit> {
    let (model, method) = s.labels(choice);
    let pooled = match choice {
        ModelChoice::Fixed => fit_fixed(s, studies, set)?,
        ModelChoice::Random => fit_random(s, studies, set)?,
    };
    Ok(Fit {
        model,
        method,
        pooled,
    })
}

/// Pool one analysis.
pub fn run(s: &Settings, g: &Group, with_subgroups: bool) -> Result<Outcome, AnalysisError> {
    let line_of = |i: usize| g.lines.get(i).copied().unwrap_or(g.first_line);
    let lib = |e| AnalysisError::from_lib(e, &line_of);
    let set = g.studies.effect_set().map_err(lib)?;
    let (main, auto, choice) = match s.model {
        ModelArg::Fixed => (
            fit_one(s, ModelChoice::Fixed, &g.studies, &set).map_err(lib)?,
            None,
            ModelChoice::Fixed,
        ),
        ModelArg::Random => (
            fit_one(s, ModelChoice::Random, &g.studies, &set).map_err(lib)?,
            None,
            ModelChoice::Random,
        ),
        ModelArg::Auto => {
            let fixed = fit_one(s, ModelChoice::Fixed, &g.studies, &set).map_err(lib)?;
            let random = fit_one(s, ModelChoice::Random, &g.studies, &set).map_err(lib)?;
            let sel = s.rule.choose(fixed.pooled.clone(), random.pooled.clone());
            let main = match sel.choice {
                ModelChoice::Fixed => fixed.clone(),
                ModelChoice::Random => random.clone(),
            };
            (main, Some((sel.choice, fixed, random)), sel.choice)
        }
    };
    let subgroups = if with_subgroups {
        Some(run_subgroups(s, g, choice)?)
    } else {
        None
    };
    Ok(Outcome {
        main,
        auto,
        set,
        subgroups,
    })
}

/// Pool each subgroup with the analysis' model (the one --model auto selected for the whole
/// analysis, as RevMan applies one model to all subgroups; random effects with tau² estimated
/// within each subgroup, as RevMan does), and test for subgroup differences as RevMan 5 does:
/// Cochran's Q of the subgroup estimates with weights 1/se², on (subgroups - 1) df
/// (`SubgroupAnalysis::difference_test`).
fn run_subgroups(s: &Settings, g: &Group, choice: ModelChoice) -> Result<Subgroups, AnalysisError> {
    let mut fits = Vec::with_capacity(g.subgroup_names.len());
    for (index, name) in g.subgroup_names.iter().enumerate() {
        let members: Vec<usize> = (0..g.len())
            .filter(|&i| g.subgroup_of[i] == index)
            .collect();
        let studies = g.studies.subset(&members);
        let line_of = |i: usize| g.lines[members[i]];
        let lib = |e: metapool::Error| {
            let mut err = AnalysisError::from_lib(e, &line_of);
            err.message = format!("subgroup `{name}`: {}", err.message);
            err
        };
        let set = studies.effect_set().map_err(lib)?;
        let fit = fit_one(s, choice, &studies, &set).map_err(lib)?;
        // Positions in the subgroup map back to positions in the analysis.
        let mut pooled = fit.pooled;
        for row in &mut pooled.studies {
            row.position = members[row.position];
        }
        for row in &mut pooled.excluded {
            row.position = members[row.position];
        }
        fits.push(SubgroupFit {
            index,
            members,
            fit: pooled,
        });
    }
    let pooled: Vec<Pooled> = fits.iter().map(|f| f.fit.clone()).collect();
    let test = SubgroupAnalysis::difference_test(&pooled).map_err(|e| AnalysisError {
        line: None,
        message: format!("test for subgroup differences: {e}"),
    })?;
    Ok(Subgroups { fits, test })
}
