//! Command-line arguments.

use crate::measure::Measure;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

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
}

/// `metapool pool`.
#[derive(Debug, Args)]
pub struct PoolArgs {
    /// CSV file with a header row, or `-` for standard input.
    pub file: String,

    /// Effect measure; it decides which columns are read.
    #[arg(long, value_enum, ignore_case = true)]
    pub measure: Measure,

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

    /// Confidence interval and test of the random-effects model.
    #[arg(long, value_enum, ignore_case = true, default_value = "wald")]
    pub ci: CiArg,

    /// Prediction interval of random-effects fits.
    #[arg(long, value_enum, ignore_case = true, default_value = "metafor")]
    pub prediction: PredictionArg,

    /// Confidence level.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,

    /// One independent analysis per distinct value of this column, in order of first
    /// appearance. Rows of one analysis must be contiguous (the file is streamed); see
    /// --unsorted.
    #[arg(long, value_name = "COLUMN")]
    pub by: Option<String>,

    /// With --by: accept the values in any order (holds every analysis in memory until the end).
    #[arg(long, requires = "by")]
    pub unsorted: bool,

    /// Subgroup analysis by this column, with the test for subgroup differences.
    #[arg(long, value_name = "COLUMN")]
    pub subgroup: Option<String>,

    /// Field separator: one character, or `tab` (e.g. `;` for spreadsheets saved with a
    /// decimal-comma locale).
    #[arg(long, default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,

    /// Column that names the studies (optional in the file).
    #[arg(long, value_name = "COLUMN", default_value = "study")]
    pub study_column: String,

    /// Output format.
    #[arg(long, value_enum, ignore_case = true, default_value = "table")]
    pub format: Format,

    /// Write an SVG forest plot (with --by: one file per analysis, FILE-<value>.svg).
    #[arg(long, value_name = "FILE.svg")]
    pub forest: Option<PathBuf>,

    /// With --by: report a bad analysis with its error and compute the others (exit status is
    /// still 2).
    #[arg(long)]
    pub keep_going: bool,

    /// PREPOST-MD: pre/post correlation for rows without an `r` value.
    #[arg(long, default_value_t = 0.0)]
    pub r: f64,

    /// GENERIC: scale of the inputs. `log`: estimate,se are a log ratio and its SE, while
    /// estimate,ci_lower,ci_upper are a ratio and its CI.
    #[arg(long, value_enum, ignore_case = true, default_value = "identity")]
    pub scale: ScaleArg,

    /// Decimals shown by --format table and the forest plot.
    #[arg(long, default_value_t = 2)]
    pub digits: usize,
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!("expected one ASCII character or `tab`, got `{s}`")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    Fixed,
    Random,
    Auto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FixedMethodArg {
    #[value(name = "IV")]
    Iv,
    #[value(name = "MH")]
    Mh,
    #[value(name = "PETO")]
    Peto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Tau2Arg {
    #[value(name = "DL")]
    Dl,
    #[value(name = "REML")]
    Reml,
    #[value(name = "ML")]
    Ml,
    #[value(name = "PM")]
    Pm,
    #[value(name = "HE")]
    He,
    #[value(name = "HS")]
    Hs,
    #[value(name = "SJ")]
    Sj,
    #[value(name = "EB")]
    Eb,
    #[value(name = "HSK")]
    Hsk,
    #[value(name = "PMM")]
    Pmm,
    #[value(name = "DL2")]
    Dl2,
}

impl Tau2Arg {
    pub fn name(self) -> &'static str {
        match self {
            Tau2Arg::Dl => "DL",
            Tau2Arg::Reml => "REML",
            Tau2Arg::Ml => "ML",
            Tau2Arg::Pm => "PM",
            Tau2Arg::He => "HE",
            Tau2Arg::Hs => "HS",
            Tau2Arg::Sj => "SJ",
            Tau2Arg::Eb => "EB",
            Tau2Arg::Hsk => "HSk",
            Tau2Arg::Pmm => "PMM",
            Tau2Arg::Dl2 => "DL2",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CiArg {
    /// Normal (z) test and interval.
    Wald,
    /// t on k - 1 df with the model-based SE (metafor test = "t").
    T,
    /// Hartung-Knapp / Sidik-Jonkman (metafor test = "knha").
    Hk,
    /// Hartung-Knapp with the scale factor truncated at 1 (metafor test = "adhoc").
    HkAdhoc,
}

impl CiArg {
    pub fn name(self) -> &'static str {
        match self {
            CiArg::Wald => "wald",
            CiArg::T => "t",
            CiArg::Hk => "hk",
            CiArg::HkAdhoc => "hk-adhoc",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PredictionArg {
    /// metafor's predict(): the critical value of the test (z, or t on k - 1 df).
    Metafor,
    /// Higgins et al. (2009): t on k - 2 df.
    HigginsT,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScaleArg {
    Identity,
    Log,
}
