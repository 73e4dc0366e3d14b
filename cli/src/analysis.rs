//! One analysis: the library calls that pool a group's studies under the settings, and the
//! results collected for the output. Every statistic comes from the `metapool` library (one
//! pooling abstraction for every method: `ModelRule`, `FixedModel`, `RandomModel`,
//! `SubgroupAnalysis`); this module only chooses which model to call.

pub use crate::group::{Group, DROPPED_00, MISSING_DATA};
pub use crate::settings::Settings;

use crate::args::ModelArg;
use crate::measure::{any_zero, study, Study};
use metapool::{
    effect::EffectSet, effect::Scale, heterogeneity::Heterogeneity, pool::ModelChoice,
    pool::Pooled, pool::SubgroupAnalysis, pool::SubgroupModel,
};
use std::borrow::Cow;

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
    /// Rows of its studies (and of its rows left out), in input order.
    pub members: Vec<usize>,
    /// The fit; its positions are study positions in the analysis.
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
    /// Every study's effect (included ones) and exclusions; positions are study positions.
    pub set: EffectSet,
    pub subgroups: Option<Subgroups>,
    /// The row of each study (empty: study `i` is row `i`).
    pub row_of: Vec<usize>,
    /// Rows listed without being a study, and why.
    pub left_out: Vec<(usize, &'static str)>,
    /// Each study's own display scale (Freeman-Tukey: its own n); empty: the set's scale.
    pub own_scales: Vec<Scale>,
    /// What the fits did differently from what was asked, and say so (e.g. the z test for one
    /// study under a t-based test).
    pub notes: Vec<String>,
    /// With `--robust`: cluster-robust inference on the main fit.
    pub robust: Option<metapool::robust::RobustFit>,
}

impl Outcome {
    /// The row of study `i`.
    pub fn row(&self, i: usize) -> usize {
        self.row_of.get(i).copied().unwrap_or(i)
    }

    /// The display scale of study `i`.
    pub fn study_scale(&self, i: usize) -> Scale {
        self.own_scales
            .get(i)
            .copied()
            .unwrap_or_else(|| self.set.scale())
    }
}

/// Why an analysis could not be computed.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisError {
    /// The line of the study concerned, when the library names one.
    pub line: Option<u64>,
    pub message: String,
}

impl AnalysisError {
    pub fn from_lib(e: metapool::Error, lines: &dyn Fn(usize) -> u64) -> AnalysisError {
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

/// The studies of an analysis as pooled: with `--to if0all`, every one re-computed with the
/// correction when any table (or proportion) has a zero cell.
fn studies_of<'g>(s: &Settings, g: &'g Group) -> Result<Cow<'g, [Study]>, AnalysisError> {
    match s.if0all {
        Some(c) if any_zero(s.measure, &g.values) => {
            let opts = crate::measure::StudyOptions {
                correction: Some(c),
                ..s.study
            };
            let line_of = |i: usize| g.lines[g.row_of(i)];
            g.values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    study(s.measure, v, &opts).map_err(|e| AnalysisError {
                        line: Some(line_of(i)),
                        message: format!("{}: {}", e.field.unwrap_or("study"), e.reason),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Cow::Owned)
        }
        _ => Ok(Cow::Borrowed(&g.studies)),
    }
}

/// The effect set of an analysis, with the error of a study naming its line; an analysis whose
/// rows were all left out is an error.
pub fn effect_set(s: &Settings, g: &Group) -> Result<(EffectSet, Vec<Scale>), AnalysisError> {
    if g.studies_len() == 0 {
        return Err(AnalysisError {
            line: None,
            message: format!(
                "no study to pool: all {} row{} left out ({})",
                g.len(),
                if g.len() == 1 { " is" } else { "s are" },
                g.left_out.first().map(|l| l.1).unwrap_or(MISSING_DATA)
            ),
        });
    }
    let studies = studies_of(s, g)?;
    let line_of = |i: usize| g.lines.get(g.row_of(i)).copied().unwrap_or(g.first_line);
    let set =
        EffectSet::from_studies(&studies).map_err(|e| AnalysisError::from_lib(e, &line_of))?;
    let own = match set.scale() {
        Scale::FreemanTukey { .. } => studies.iter().map(Study::own_scale).collect(),
        _ => Vec::new(),
    };
    Ok((set, own))
}

/// The library's notes of a fit, in words, prefixed by `what`.
fn notes_of(p: &Pooled, what: &str, notes: &mut Vec<String>) {
    for n in &p.notes {
        let text = format!("{what}{n}");
        if !notes.contains(&text) {
            notes.push(text);
        }
    }
}

/// Pool one analysis.
pub fn run(s: &Settings, g: &Group, with_subgroups: bool) -> Result<Outcome, AnalysisError> {
    let (set, own_scales) = effect_set(s, g)?;
    let line_of = |i: usize| g.lines.get(g.row_of(i)).copied().unwrap_or(g.first_line);
    let lib = |e| AnalysisError::from_lib(e, &line_of);
    let fit = |choice: ModelChoice, pooled: Pooled| {
        let (model, method) = s.labels(choice);
        Fit {
            model,
            method,
            pooled,
        }
    };
    let mut notes = Vec::new();
    let (main, auto, choice) = match s.model {
        ModelArg::Fixed => {
            let p = s.rule.fixed.pool(&set).map_err(lib)?;
            (fit(ModelChoice::Fixed, p), None, ModelChoice::Fixed)
        }
        ModelArg::Random => {
            let p = s.rule.random.pool(&set).map_err(lib)?;
            (fit(ModelChoice::Random, p), None, ModelChoice::Random)
        }
        ModelArg::Auto => {
            let sel = s.rule.select(&set).map_err(lib)?;
            let main = fit(sel.choice, sel.selected().clone());
            let both = (
                sel.choice,
                fit(ModelChoice::Fixed, sel.fixed),
                fit(ModelChoice::Random, sel.random),
            );
            (main, Some(both), sel.choice)
        }
    };
    notes_of(&main.pooled, "", &mut notes);
    if let Some((_, _, r)) = &auto {
        notes_of(&r.pooled, "random-effects fit: ", &mut notes);
    }
    let robust = s
        .robust
        .as_ref()
        .map(|r| robust_fit(s, g, &set, choice, r, &line_of))
        .transpose()?;
    let subgroups = if with_subgroups {
        Some(run_subgroups(s, g, &set, choice, &mut notes).map_err(lib)?)
    } else {
        None
    };
    Ok(Outcome {
        main,
        auto,
        set,
        subgroups,
        row_of: if g.left_out.is_empty() {
            Vec::new()
        } else {
            (0..g.studies_len()).map(|i| g.row_of(i)).collect()
        },
        left_out: g.left_out.clone(),
        own_scales,
        notes,
        robust,
    })
}

/// Cluster-robust inference on the pooled fit: the intercept-only meta-regression under the
/// same model (metafor `robust(rma(yi, vi, method), cluster)`), which needs inverse-variance
/// weights.
fn robust_fit(
    s: &Settings,
    g: &Group,
    set: &EffectSet,
    choice: ModelChoice,
    r: &crate::robust::RobustSpec,
    line_of: &dyn Fn(usize) -> u64,
) -> Result<metapool::robust::RobustFit, AnalysisError> {
    use metapool::regression::{MetaRegression, Moderators};
    let spec = match choice {
        ModelChoice::Random => {
            MetaRegression::random(s.random.estimator).with_control(s.random.control)
        }
        _ if s.fixed != metapool::pool::FixedMethod::InverseVariance => {
            return Err(AnalysisError {
                line: None,
                message: "--robust needs inverse-variance weights (--method IV or a random-effects model)".into(),
            })
        }
        _ => MetaRegression::fixed(),
    };
    let lib = |e| AnalysisError::from_lib(e, line_of);
    let x = Moderators::new(set.included().len())
        .matrix()
        .map_err(lib)?;
    let fit = spec.with_level(s.level).fit(set, &x).map_err(lib)?;
    r.apply(&fit, g, set.included(), 1, 0, line_of)
}

/// The library's subgroup analysis with the analysis' model (the one --model auto selected for
/// the whole analysis, as RevMan applies one model to all subgroups; random effects with tau²
/// estimated within each subgroup, as RevMan does), and RevMan's test for subgroup differences:
/// Cochran's Q of the subgroup estimates with weights 1/se², on (subgroups - 1) df.
fn run_subgroups(
    s: &Settings,
    g: &Group,
    set: &EffectSet,
    choice: ModelChoice,
    notes: &mut Vec<String>,
) -> metapool::Result<Subgroups> {
    let model = match choice {
        ModelChoice::Fixed => SubgroupModel::Fixed,
        ModelChoice::Random => SubgroupModel::RandomSeparate(s.random.estimator),
    };
    if choice == ModelChoice::Random && s.random.test != metapool::pool::Test::Z {
        notes.push(format!(
            "subgroup fits are tested with z (the library's subgroup analysis has no --ci {})",
            s.ci.name()
        ));
    }
    let groups: Vec<usize> = (0..g.studies_len())
        .map(|i| g.subgroup_of[g.row_of(i)])
        .collect();
    let res = SubgroupAnalysis::new(model)
        .with_level(s.level)
        .with_method(s.fixed)
        .pool(set, &groups)?;
    for &index in &res.not_estimable {
        notes.push(format!(
            "subgroup `{}`: no estimable study, no subtotal",
            g.subgroup_names[index]
        ));
    }
    for (index, name) in g.subgroup_names.iter().enumerate() {
        if !groups.contains(&index) {
            notes.push(format!(
                "subgroup `{name}`: every row left out, no subtotal"
            ));
        }
    }
    let fits = res
        .groups
        .into_iter()
        .map(|sg| {
            let members = (0..g.len())
                .filter(|&r| g.subgroup_of[r] == sg.label)
                .collect();
            SubgroupFit {
                index: sg.label,
                members,
                fit: sg.pooled,
            }
        })
        .collect();
    Ok(Subgroups {
        fits,
        test: res.between,
    })
}
