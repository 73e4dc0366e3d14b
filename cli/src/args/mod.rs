//! Command-line arguments.

use crate::measure::Measure;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

mod values;
pub use values::*;
use values::{parse_delimiter, parse_mark};

/// Meta-analysis from a spreadsheet: RevMan-style CSV in; a summary table, JSON, CSV or an SVG
/// forest plot out.
#[derive(Debug, Parser)]
#[command(name = "metapool", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Pool the studies of a CSV file (one analysis, or one per --by value).
    ///
    /// Exit status: 0 on success; 2 for a usage error or bad input (the message names the
    /// line, the column and the reason), also when --keep-going computed the other analyses.
    Pool(PoolArgs),
    /// Genome-wide meta-analysis of per-cohort summary statistics (or a METAL script).
    Gwas(crate::gwas::GwasArgs),

    /// Leave-one-out, cumulative (file order or --order) and influence diagnostics of each
    /// analysis, with the same model options as `pool`.
    Sensitivity(SensitivityArgs),

    /// Small-study effects: Egger's regression test, Begg's rank correlation test and
    /// trim-and-fill, optionally with a funnel plot.
    Bias(BiasArgs),

    /// Meta-regression on moderator columns of the same file (metafor's `rma(yi, vi, mods =
    /// ~ ...)`), with the same input and model options as `pool`.
    Regress(crate::regress::RegressArgs),

    /// Multilevel and multivariate models (metafor's `rma.mv`): nested random effects
    /// (`--random "study/es"`) or correlated outcomes within clusters (`--struct --outcome`),
    /// with a known sampling covariance (`--rho`) and moderators (`--mods`).
    Mv(crate::mv::MvArgs),

    /// Re-check published figures: is each row's estimate, CI and p consistent once rounding
    /// is reasoned over, does the printed model follow the Q-test rule, does a printed I²
    /// agree with the printed Q and df?
    Check(CheckArgs),
}

/// `metapool sensitivity`.
#[derive(Debug, Args)]
pub struct SensitivityArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub model: ModelArgs,

    /// Cumulative analysis in the order of this numeric column (e.g. the publication year),
    /// smallest first; ties keep the file order.
    #[arg(long, value_name = "COLUMN")]
    pub order: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `metapool bias`.
#[derive(Debug, Args)]
pub struct BiasArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub model: ModelArgs,

    /// Egger's test: `mixed` (metafor's default regtest: a meta-regression on the SE with the
    /// analysis' model) or `classical` (Egger et al. 1997: weighted least squares, t test).
    #[arg(long, value_enum, ignore_case = true, default_value = "mixed")]
    pub egger_model: EggerArg,

    /// Estimator of the number of missing studies in trim-and-fill.
    #[arg(long, value_enum, ignore_case = true, default_value = "L0")]
    pub trimfill_estimator: TrimFillArg,

    /// Side on which studies are missing [default: estimated, as metafor does].
    #[arg(long, value_enum, ignore_case = true)]
    pub side: Option<SideArg>,

    /// Write an SVG funnel plot with the filled-in studies (with --by: FILE-<value>.svg).
    #[arg(long, value_name = "FILE.svg")]
    pub funnel: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `metapool check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// CSV file with columns estimate, ci_lower, ci_upper, p (optional: label, scale, k, q_p,
    /// model, i2, q, q_df, level), or `-` for standard input. Numbers are read as printed
    /// ("<0.00001", "0.46", "1.520").
    pub file: String,

    /// Field separator: one ASCII character, or `tab`. Quoted fields may contain it.
    #[arg(long, default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,

    /// Threshold of the Q-test rule the printed models are checked against (random effects
    /// when the Q-test p < ALPHA).
    #[arg(long, default_value_t = 0.10)]
    pub alpha: f64,

    /// Output format (csv is not available).
    #[arg(long, value_enum, ignore_case = true, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EggerArg {
    Mixed,
    Classical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrimFillArg {
    #[value(name = "L0")]
    L0,
    #[value(name = "R0")]
    R0,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SideArg {
    Left,
    Right,
}

/// `metapool pool`.
#[derive(Debug, Args)]
pub struct PoolArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub model: ModelArgs,

    /// Subgroup analysis by this column, with the test for subgroup differences.
    #[arg(long, value_name = "COLUMN")]
    pub subgroup: Option<String>,

    /// Pooling method: GLMM fits metafor's rma.glmm to the counts (--measure OR, PLO, IRR or
    /// IRLN; --model fixed or random; JSON output).
    #[arg(long, value_enum, ignore_case = true)]
    pub method: Option<MethodArg>,

    /// The GLMM's parameterisation for two-group data (with --method GLMM).
    #[arg(long, value_enum, ignore_case = true, default_value = "UM.FS")]
    pub glmm_model: GlmmModelArg,

    #[command(flatten)]
    pub robust: crate::robust::RobustArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Write an SVG forest plot (with --by: one file per analysis, FILE-<value>.svg).
    #[arg(long, value_name = "FILE.svg")]
    pub forest: Option<PathBuf>,
}

/// The input options every analysing subcommand shares: the file, the measure, which columns
/// hold what, how cells are read, and how the rows are grouped into analyses.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// CSV file with a header row, or `-` for standard input.
    pub file: String,

    /// Effect measure; it decides which columns are read.
    #[arg(long, value_enum, ignore_case = true)]
    pub measure: Measure,

    /// Explicit column map, e.g. `m1=Mean_T,sd1=SD_T,n1=N_T`; it wins over the header
    /// matching (which ignores case, spaces, dots, hyphens and underscores and knows the
    /// usual aliases: RevMan, metafor, R meta).
    #[arg(long, value_name = "NAME=HEADER,...")]
    pub columns: Option<String>,

    /// A row with NA, an empty cell or `.` in a required column: `skip` lists it as "Not
    /// estimable (missing data)" and leaves it out; `error` stops.
    #[arg(long, value_enum, ignore_case = true, default_value = "skip")]
    pub missing: MissingArg,

    /// Field separator: one ASCII character, or `tab`. Quoted fields may contain it.
    #[arg(long, default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,

    /// Decimal mark of the numbers: `.` or `,` (with `--delimiter ';'`, the layout of a
    /// European spreadsheet).
    #[arg(long, default_value = ".", value_parser = parse_mark)]
    pub decimal: u8,

    /// Thousands separator to remove from numbers (`,`, `.`, `'` or `space`); none unless given.
    #[arg(long, value_parser = parse_mark)]
    pub thousands: Option<u8>,

    /// Column that names the studies (optional in the file).
    #[arg(long, value_name = "COLUMN", default_value = "study")]
    pub study_column: String,

    /// One independent analysis per distinct value of this column, in order of first
    /// appearance. Rows of one analysis must be contiguous (the file is streamed); see
    /// --unsorted.
    #[arg(long, value_name = "COLUMN")]
    pub by: Option<String>,

    /// With --by: accept the values in any order (holds every analysis in memory until the end).
    #[arg(long, requires = "by")]
    pub unsorted: bool,

    /// With --by: report a bad analysis with its error and compute the others (exit status is
    /// still 2).
    #[arg(long)]
    pub keep_going: bool,

    /// PREPOST-MD: pre/post correlation for rows without an `r` value.
    #[arg(long, default_value_t = 0.0)]
    pub r: f64,

    /// GENERIC: scale of the inputs. `log`: estimate,se are a log ratio and its SE, while
    /// estimate,ci_lower,ci_upper are a ratio and its CI.
    #[arg(long, value_enum, ignore_case = true)]
    pub scale: Option<ScaleArg>,

    /// Zero-cell correction added to the cells of 2x2 tables and to proportions (metafor
    /// `add`); 0 turns it off [default: 0.5, or 0 for PAS and PFT].
    #[arg(long)]
    pub add: Option<f64>,

    /// Which tables receive --add (metafor `to`): `only0` (tables with a zero cell), `all`,
    /// `if0all` (every table when any has a zero cell), `none` [default: only0].
    #[arg(long, value_enum, ignore_case = true)]
    pub to: Option<ToArg>,

    /// Drop studies with no events (or only events) in both arms (metafor `drop00`)
    /// [default: yes for OR, RR, PETO-OR; no for RD].
    #[arg(long, value_enum, ignore_case = true)]
    pub drop00: Option<YesNo>,
}

/// The model options every analysing subcommand shares.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Pooling model: fixed, random, or auto (random when the Q-test p < --alpha).
    #[arg(long, value_enum, ignore_case = true, default_value = "auto")]
    pub model: ModelArg,

    /// Threshold of the Q test for --model auto.
    #[arg(long, default_value_t = 0.10)]
    pub alpha: f64,

    /// Fixed-effect method [default: MH for OR, RR, RD; PETO for PETO-OR; IV otherwise].
    #[arg(long, value_enum, ignore_case = true)]
    pub fixed_method: Option<FixedMethodArg>,

    /// Between-study variance estimator of the random-effects model.
    #[arg(long, value_enum, ignore_case = true, default_value = "DL")]
    pub tau2: Tau2Arg,

    /// How iterative tau² estimators (REML, ML, EB, PM, PMM) are solved: `exact` solves the
    /// estimating equation to full precision and always converges; `metafor` follows metafor's
    /// iteration path and stopping rules (Fisher scoring, uniroot), failures included.
    #[arg(long, value_enum, ignore_case = true, default_value = "exact")]
    pub tau2_control: Tau2ControlArg,

    /// Iteration limit of --tau2-control metafor (metafor's `maxiter`) [default: 100].
    #[arg(long)]
    pub max_iter: Option<usize>,

    /// Convergence threshold of --tau2-control metafor (metafor's `threshold`) [default: 1e-5].
    #[arg(long)]
    pub threshold: Option<f64>,

    /// Confidence interval and test of the random-effects model.
    #[arg(long, value_enum, ignore_case = true, default_value = "wald")]
    pub ci: CiArg,

    /// Prediction interval of random-effects fits.
    #[arg(long, value_enum, ignore_case = true, default_value = "metafor")]
    pub prediction: PredictionArg,

    /// Confidence level.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
}

/// Output options.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, ignore_case = true, default_value = "table")]
    pub format: Format,

    /// Decimals shown by --format table and the forest plot.
    #[arg(long, default_value_t = 2)]
    pub digits: usize,

    /// Rows of --format csv: `analyses` (one per analysis and subgroup) or `all` (a `row`
    /// column first, and also one row per study and one for the test for subgroup
    /// differences: everything the JSON has).
    #[arg(long, value_enum, ignore_case = true, default_value = "analyses")]
    pub csv_rows: CsvRows,
}
