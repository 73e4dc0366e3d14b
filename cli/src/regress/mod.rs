//! `metapool regress`: meta-regression of each analysis on moderator columns of the same file
//! (the library's `regression` module, metafor's `rma(yi, vi, mods = ~ ...)`).
//!
//! The moderators come from `--mods` ([`Formula`]); each study's values are read with its row
//! (`Group::moderators`), so a missing or non-numeric cell is an error naming its line and
//! column, and with `--missing skip` a row missing a moderator is left out like a row missing
//! an effect. `factor(g)` levels are sorted as R sorts them, the reference first: the first
//! level in the file unless `--reference g=LEVEL`.

mod args;
mod csv;
mod formula;
mod newmods;
mod output;

pub use args::RegressArgs;
pub use csv::RegressCsv;
pub use formula::Formula;
pub use newmods::{NewMods, Predicted};
pub use output::{analysis_header, coefficients_json, left_out_json, test_name, RegressSink};

use crate::analysis::{effect_set, AnalysisError, Group, Settings};
use crate::args::ModelArg;
use crate::layout::{ModeratorColumn, ModeratorKind, ModeratorValue};
use crate::robust::RobustSpec;
use metapool::pool::ModelChoice;
use metapool::regression::{
    Factor, MetaRegression, ModeratorProblem, Moderators, PermutationTest, Permutations,
    RegressionFit,
};
use metapool::robust::RobustFit;

/// The validated options of `regress` besides the shared settings.
#[derive(Debug, Clone)]
pub struct Spec {
    pub formula: Formula,
    /// 0-based coefficients of the omnibus test.
    pub btt: Option<Vec<usize>>,
    /// `--reference`: (variable index, level).
    pub references: Vec<(usize, String)>,
    /// `--newmods`.
    pub newmods: Option<NewMods>,
    /// `--permutations N --seed S`.
    pub permutations: Option<Permutations>,
    /// `--robust --cluster`.
    pub robust: Option<RobustSpec>,
    /// The columns read with each row: the moderators, then the cluster column.
    pub columns: Vec<ModeratorColumn>,
}

impl Spec {
    /// Validate `--mods`, `--btt` and `--reference`; errors are usage errors.
    pub fn from_args(a: &RegressArgs) -> Result<Spec, String> {
        let formula = Formula::parse(&a.mods)?;
        let btt = match &a.btt {
            None => None,
            Some(v) if v.is_empty() || v.contains(&0) => {
                return Err("--btt takes 1-based coefficient numbers, e.g. --btt 2,3".into())
            }
            Some(v) => Some(v.iter().map(|j| j - 1).collect()),
        };
        let mut references = Vec::new();
        for r in &a.reference {
            let Some((name, level)) = r.split_once('=') else {
                return Err(format!("--reference `{r}`: expected G=LEVEL"));
            };
            let name = name.trim();
            let v = formula
                .variables
                .iter()
                .position(|v| v.name == name && v.kind == ModeratorKind::Categorical)
                .ok_or_else(|| {
                    format!("--reference `{r}`: `{name}` is not a factor(...) of --mods")
                })?;
            references.push((v, level.trim().to_string()));
        }
        let numbers = crate::cells::NumberFormat {
            decimal: a.input.decimal,
            thousands: a.input.thousands,
        };
        let newmods = a
            .newmods
            .as_deref()
            .map(|p| NewMods::read(p, a.input.delimiter, numbers))
            .transpose()?;
        let permutations = match a.permutations {
            None => None,
            Some(n) if n < 2 => return Err("--permutations must be at least 2".into()),
            Some(iterations) => Some(Permutations::Auto {
                iterations,
                seed: a.seed,
            }),
        };
        let robust = RobustSpec::from_args(&a.robust)?;
        let columns = formula
            .variables
            .iter()
            .chain(robust.as_ref().map(|r| &r.column))
            .cloned()
            .collect();
        Ok(Spec {
            robust,
            columns,
            formula,
            btt,
            references,
            newmods,
            permutations,
        })
    }
}

/// A fitted analysis.
pub struct Regression {
    pub fit: RegressionFit,
    /// "fixed" or "random", and the method ("FE", or the tau² estimator).
    pub model: &'static str,
    pub method: &'static str,
    /// With `--newmods`: the prediction at each of its rows.
    pub predictions: Option<Vec<Predicted>>,
    /// With `--permutations`: the permutation test.
    pub permutation: Option<PermutationTest>,
    /// With `--robust`: cluster-robust inference.
    pub robust: Option<RobustFit>,
}

/// The model matrix of an analysis' included studies (`included`: their study positions).
pub(crate) fn model_matrix(
    spec: &Spec,
    g: &Group,
    included: &[usize],
    line_of: &dyn Fn(usize) -> u64,
) -> Result<metapool::regression::ModelMatrix, AnalysisError> {
    let f = &spec.formula;
    // columns read per study (`mv` reads its random-effect columns after the moderators)
    let m = g.moderators.len() / g.studies.len().max(1);
    let value = |j: usize, v: usize| &g.moderators[included[j] * m + v];
    let lib = |e: metapool::Error| match e {
        metapool::Error::InvalidModerator {
            problem: problem @ ModeratorProblem::TooManyCoefficients { .. },
            ..
        } => AnalysisError {
            line: None,
            message: format!("the design of --mods {problem}"),
        },
        metapool::Error::InvalidModerator {
            column,
            study,
            problem,
        } => AnalysisError {
            line: study.map(|j| line_of(included[j])),
            message: format!("moderator `{column}` {problem}"),
        },
        other => AnalysisError {
            line: None,
            message: other.to_string(),
        },
    };
    let k = included.len();
    let mut mods = Moderators::new(k).with_intercept(f.intercept);
    for (v, col) in f.variables.iter().enumerate() {
        mods = match col.kind {
            ModeratorKind::Continuous => {
                let x: Vec<f64> = (0..k)
                    .map(|j| match value(j, v) {
                        ModeratorValue::Number(x) => *x,
                        ModeratorValue::Level(_) => f64::NAN,
                    })
                    .collect();
                mods.continuous(&col.name, &x)
            }
            ModeratorKind::Categorical => {
                let levels: Vec<&str> = (0..k)
                    .map(|j| match value(j, v) {
                        ModeratorValue::Level(l) => l.as_str(),
                        ModeratorValue::Number(_) => "",
                    })
                    .collect();
                let reference = spec
                    .references
                    .iter()
                    .find(|r| r.0 == v)
                    .map(|r| r.1.as_str())
                    .or(levels.first().copied());
                let mut factor = Factor::new(&col.name, &levels).map_err(lib)?;
                if let Some(r) = reference {
                    factor = factor.with_reference(r).map_err(lib)?;
                }
                mods.factor(factor)
            }
        }
        .map_err(lib)?;
    }
    for (v, col) in f.variables.iter().enumerate() {
        if !f.has_main_effect(v) {
            mods = mods.without_main_effect(&col.name).map_err(lib)?;
        }
    }
    for t in f.terms.iter().filter(|t| t.len() > 1) {
        let names: Vec<&str> = t.iter().map(|&v| f.variables[v].name.as_str()).collect();
        mods = mods.interaction(&names).map_err(lib)?;
    }
    mods.matrix().map_err(lib)
}

/// Fit the meta-regression of one analysis: `--model fixed`, `random`, or `auto` (random when
/// the residual-heterogeneity test QE of the fixed-effects fit has p < --alpha, as `pool`
/// decides on Cochran's Q).
pub fn run(s: &Settings, spec: &Spec, g: &Group) -> Result<Regression, AnalysisError> {
    let (set, _) = effect_set(s, g)?;
    let line_of = |i: usize| g.lines.get(g.row_of(i)).copied().unwrap_or(g.first_line);
    let x = model_matrix(spec, g, set.included(), &line_of)?;
    let lib = |e: metapool::Error| AnalysisError::from_lib(e, &line_of);
    let with_options = |r: MetaRegression| {
        let r = r.with_level(s.level).with_control(s.random.control);
        match &spec.btt {
            Some(b) => r.with_btt(b),
            None => r,
        }
    };
    let fixed = || with_options(MetaRegression::fixed()).fit(&set, &x);
    let random = || {
        with_options(MetaRegression::random(s.random.estimator))
            .with_test(s.random.test)
            .fit(&set, &x)
    };
    let (choice, fit) = match s.model {
        ModelArg::Fixed => (ModelChoice::Fixed, fixed().map_err(lib)?),
        ModelArg::Random => (ModelChoice::Random, random().map_err(lib)?),
        ModelArg::Auto => {
            let fe = fixed().map_err(lib)?;
            match s.rule.decide(Some(fe.residual().p)) {
                ModelChoice::Random => (ModelChoice::Random, random().map_err(lib)?),
                _ => (ModelChoice::Fixed, fe),
            }
        }
    };
    let (model, method) = match choice {
        ModelChoice::Fixed => ("fixed", "FE"),
        _ => ("random", s.tau2.name()),
    };
    let predictions = spec
        .newmods
        .as_ref()
        .map(|n| n.predict(&fit))
        .transpose()
        .map_err(|message| AnalysisError {
            line: None,
            message,
        })?;
    let permutation = spec
        .permutations
        .map(|how| fit.permutation_test(how))
        .transpose()
        .map_err(lib)?;
    let robust = spec
        .robust
        .as_ref()
        .map(|r| {
            let (stride, at) = (spec.columns.len(), spec.formula.variables.len());
            r.apply(&fit, g, set.included(), stride, at, &line_of)
        })
        .transpose()?;
    Ok(Regression {
        robust,
        fit,
        model,
        method,
        predictions,
        permutation,
    })
}
