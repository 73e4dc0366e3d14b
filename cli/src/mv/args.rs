//! The options of `metapool mv`.

use crate::args::{InputArgs, ModelArgs, OutputArgs};
use clap::{Args, ValueEnum};

/// metafor's `struct` of `random = ~ outcome | study`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StructArg {
    /// Compound symmetry.
    Cs,
    /// Heteroscedastic compound symmetry.
    Hcs,
    /// Unstructured.
    Un,
}

/// `--method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MvMethodArg {
    /// Restricted maximum likelihood.
    Reml,
    /// Maximum likelihood.
    Ml,
}

/// `metapool mv`.
#[derive(Debug, Args)]
pub struct MvArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub model: ModelArgs,

    /// The nested random effects, outermost first, as metafor's `random = ~ 1 | study/es`:
    /// column names joined by `/`; crossed terms joined by `+`, as metafor's
    /// `random = list(~ 1 | study/es, ~ 1 | lab)`: "study/es + lab". With --struct: the
    /// cluster column of `~ outcome | study`.
    #[arg(long, value_name = "A/B/... [+ C...]")]
    pub random: String,

    /// A multivariate model (`random = ~ outcome | study`) with this covariance structure of
    /// the outcome random effects; needs --outcome.
    #[arg(long = "struct", value_enum, ignore_case = true, requires = "outcome")]
    pub structure: Option<StructArg>,

    /// The outcome column of a multivariate model.
    #[arg(long, value_name = "COLUMN", requires = "structure")]
    pub outcome: Option<String>,

    /// The correlation of the sampling errors of effects in the same cluster of the outermost
    /// --random level (metafor `vcalc(vi, cluster, obs, rho)`) [default: 0, V diagonal].
    #[arg(long, conflicts_with = "v_file")]
    pub rho: Option<f64>,

    /// The sampling covariances of effects in the same outermost cluster: a CSV of
    /// `row1,row2,cov` lines, rows numbered as a spreadsheet shows them (the header is row 1);
    /// unlisted pairs have covariance 0, the variances come from the measure.
    #[arg(long, value_name = "FILE")]
    pub v_file: Option<String>,

    /// The moderators, as in `regress --mods` [default: intercept only].
    #[arg(long, value_name = "FORMULA")]
    pub mods: Option<String>,

    /// Estimation of the variance components.
    #[arg(long, value_enum, ignore_case = true, default_value = "reml")]
    pub method: MvMethodArg,

    #[command(flatten)]
    pub robust: crate::robust::RobustArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}
