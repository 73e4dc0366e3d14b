//! `metapool mv`: multilevel and multivariate models of each analysis (the library's
//! `multilevel` module, metafor's `rma.mv(yi, V, mods, random, struct)`).
//!
//! The random-effect columns (`--random "study/es"`, crossed terms `--random "study/es + lab"`,
//! `--outcome`) are read with each row like
//! categorical moderators, so a missing label is left out with `--missing skip` (the row is
//! named under `left_out`) or is an error naming its line and column; the moderators come from
//! `--mods` as in `regress`. V is diagonal, or built with `--rho` per outermost cluster.

mod args;
mod output;
mod vfile;

pub use args::{MvArgs, MvMethodArg, StructArg};
pub use output::MvSink;

use crate::analysis::{effect_set, AnalysisError, Group, Settings};
use crate::layout::{ModeratorColumn, ModeratorKind, ModeratorValue};
use crate::regress::Formula;
use crate::robust::RobustSpec;
use metapool::multilevel::{
    CovarianceStructure, Method, MultilevelFit, MultilevelModel, RandomEffects, SamplingCovariance,
};
use metapool::regression::ModelMatrix;

/// The validated options of `mv` besides the shared settings.
#[derive(Debug, Clone)]
pub struct Spec {
    /// `--mods` (`None`: intercept only).
    pub mods: Option<Formula>,
    /// The `--random` columns, outermost first, term after term.
    pub levels: Vec<String>,
    /// The number of levels of each crossed term of `--random` (one term: nested levels).
    pub terms: Vec<usize>,
    /// `--struct` and `--outcome`.
    pub multivariate: Option<(CovarianceStructure, String)>,
    pub rho: f64,
    /// `--v-file`.
    pub v_file: Option<vfile::Covariances>,
    pub method: Method,
    /// `--robust --cluster`.
    pub robust: Option<RobustSpec>,
    /// Every column read per row: the moderators, the random-effect columns, the outcome, then
    /// the `--cluster` column.
    pub columns: Vec<ModeratorColumn>,
}

impl Spec {
    /// Validate `--random`, `--struct`, `--rho` and `--mods`; errors are usage errors.
    pub fn from_args(a: &MvArgs) -> Result<Spec, String> {
        let mods = a.mods.as_deref().map(Formula::parse).transpose()?;
        let terms: Vec<usize> = a.random.split('+').map(|t| t.split('/').count()).collect();
        let levels: Vec<String> = a
            .random
            .split(['+', '/'])
            .map(|s| s.trim().to_string())
            .collect();
        if levels.iter().any(|l| l.is_empty()) {
            return Err(format!(
                "--random `{}`: expected column names joined by `/` (nested) and `+` (crossed terms), e.g. \"study/es\" or \"study/es + lab\"",
                a.random
            ));
        }
        let multivariate = match (a.structure, &a.outcome) {
            (Some(s), Some(o)) => {
                if levels.len() != 1 {
                    return Err("--struct takes one --random column (the cluster)".into());
                }
                let s = match s {
                    StructArg::Cs => CovarianceStructure::CompoundSymmetry,
                    StructArg::Hcs => CovarianceStructure::HeteroscedasticCompoundSymmetry,
                    StructArg::Un => CovarianceStructure::Unstructured,
                };
                Some((s, o.clone()))
            }
            _ => None,
        };
        let rho = a.rho.unwrap_or(0.0);
        if !(rho > -1.0 && rho < 1.0) {
            return Err(format!(
                "--rho must lie strictly between -1 and 1, got {rho}"
            ));
        }
        let method = match a.method {
            MvMethodArg::Reml => Method::RestrictedMaximumLikelihood,
            MvMethodArg::Ml => Method::MaximumLikelihood,
        };
        let mut columns = mods
            .as_ref()
            .map(|f| f.variables.clone())
            .unwrap_or_default();
        let categorical = |name: &str| ModeratorColumn {
            name: name.to_string(),
            kind: ModeratorKind::Categorical,
        };
        columns.extend(levels.iter().map(|l| categorical(l)));
        if let Some((_, o)) = &multivariate {
            columns.push(categorical(o));
        }
        let robust = RobustSpec::from_args(&a.robust)?;
        if let Some(r) = &robust {
            columns.push(r.column.clone());
        }
        let v_file = a
            .v_file
            .as_deref()
            .map(vfile::Covariances::read)
            .transpose()?;
        Ok(Spec {
            terms,
            v_file,
            robust,
            mods,
            levels,
            multivariate,
            rho,
            method,
            columns,
        })
    }
}

/// A fitted analysis.
pub struct Multilevel {
    pub fit: MultilevelFit,
    /// `--robust`: cluster-robust inference on `fit`.
    pub robust: Option<metapool::robust::RobustFit>,
}

/// Fit the model of one analysis.
pub fn run(s: &Settings, spec: &Spec, g: &Group) -> Result<Multilevel, AnalysisError> {
    let (set, _) = effect_set(s, g)?;
    let included = set.included();
    let line_of = |i: usize| g.lines.get(g.row_of(i)).copied().unwrap_or(g.first_line);
    let lib = |e: metapool::Error| match e {
        metapool::Error::InvalidCluster {
            cluster,
            row: Some(j),
            problem,
        } => AnalysisError {
            line: Some(line_of(included[j])),
            message: format!("cluster {cluster:?}: {problem}"),
        },
        other => AnalysisError::from_lib(other, &|j| line_of(included[j])),
    };
    let k = included.len();
    let x = match &spec.mods {
        Some(f) => {
            let sub = crate::regress::Spec {
                formula: f.clone(),
                btt: None,
                references: Vec::new(),
                newmods: None,
                permutations: None,
                robust: None,
                columns: Vec::new(),
            };
            crate::regress::model_matrix(&sub, g, included, &line_of)?
        }
        None => ModelMatrix::new(vec!["intrcpt".into()], vec![vec![1.0; k]]).map_err(lib)?,
    };
    let m = spec.columns.len();
    let label = |j: usize, c: usize| match &g.moderators[included[j] * m + c] {
        ModeratorValue::Level(l) => l.clone(),
        ModeratorValue::Number(v) => v.to_string(),
    };
    // the random-effect columns follow the moderators; then the outcome and the cluster
    let first = spec.mods.as_ref().map_or(0, |f| f.variables.len());
    let outcome_at = first + spec.levels.len();
    let labels: Vec<Vec<String>> = (0..spec.levels.len())
        .map(|l| (0..k).map(|j| label(j, first + l)).collect())
        .collect();
    let random = match &spec.multivariate {
        None => {
            let lv: Vec<(&str, &[String])> = spec
                .levels
                .iter()
                .zip(&labels)
                .map(|(n, l)| (n.as_str(), l.as_slice()))
                .collect();
            let mut rest = lv.as_slice();
            let terms: Vec<&[(&str, &[String])]> = spec
                .terms
                .iter()
                .map(|&n| {
                    let (term, tail) = rest.split_at(n);
                    rest = tail;
                    term
                })
                .collect();
            RandomEffects::crossed(&terms)
        }
        Some((structure, outcome)) => {
            let o: Vec<String> = (0..k).map(|j| label(j, outcome_at)).collect();
            RandomEffects::multivariate((outcome, &o), (&spec.levels[0], &labels[0]), *structure)
        }
    }
    .map_err(lib)?;
    let y: Vec<f64> = set.effects().iter().map(|e| e.estimate()).collect();
    let vi: Vec<f64> = set.effects().iter().map(|e| e.variance()).collect();
    let v = match &spec.v_file {
        None => SamplingCovariance::constant_correlation(&vi, &labels[0], spec.rho),
        Some(cov) => {
            let lines: Vec<u64> = (0..k).map(|j| line_of(included[j])).collect();
            v_from_file(cov, &vi, &labels[0], &lines)?
        }
    }
    .map_err(lib)?;
    let fit = MultilevelModel::new(spec.method)
        .with_level(s.level)
        .with_test(s.random.test)
        .fit(&y, &v, &random, &x)
        .map_err(lib)?;
    let robust = spec
        .robust
        .as_ref()
        .map(|r| {
            let at = outcome_at + usize::from(spec.multivariate.is_some());
            r.apply_model(&fit, s.level, g, included, (m, at), &line_of)
        })
        .transpose()?;
    Ok(Multilevel { fit, robust })
}

/// V from `--v-file`: each effect's row of its outermost cluster's block (diagonal `vi`,
/// off-diagonal the listed covariances). A listed pair of two rows of this analysis in
/// different clusters is an error naming both rows.
fn v_from_file(
    cov: &vfile::Covariances,
    vi: &[f64],
    cluster: &[String],
    lines: &[u64],
) -> Result<metapool::Result<SamplingCovariance>, AnalysisError> {
    let position: std::collections::HashMap<u64, usize> =
        lines.iter().enumerate().map(|(j, &l)| (l, j)).collect();
    for (a, b) in cov.pairs() {
        if let (Some(&i), Some(&j)) = (position.get(&a), position.get(&b)) {
            if cluster[i] != cluster[j] {
                return Err(AnalysisError {
                    line: Some(a),
                    message: format!(
                        "--v-file: rows {a} and {b} are in different clusters ({} and {}); V is block diagonal by the outermost --random level",
                        cluster[i], cluster[j]
                    ),
                });
            }
        }
    }
    let mut members: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (j, c) in cluster.iter().enumerate() {
        members.entry(c.as_str()).or_default().push(j);
    }
    let rows: Vec<Vec<f64>> = (0..vi.len())
        .map(|i| {
            members[cluster[i].as_str()]
                .iter()
                .map(|&j| {
                    if j == i {
                        vi[i]
                    } else {
                        cov.get(lines[i], lines[j])
                    }
                })
                .collect()
        })
        .collect();
    Ok(SamplingCovariance::from_block_rows(cluster, &rows))
}
