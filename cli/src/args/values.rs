//! The values of the model and output options (`--tau2`, `--ci`, `--format`, ...).

use clap::ValueEnum;

/// `--tau2-control`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Tau2ControlArg {
    Exact,
    Metafor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CsvRows {
    Analyses,
    All,
}

pub(super) fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() && !s.as_bytes()[0].is_ascii_alphanumeric() => {
            Ok(s.as_bytes()[0])
        }
        _ => Err(format!(
            "expected one ASCII punctuation character or `tab`, got `{s}`"
        )),
    }
}

/// A decimal mark or thousands separator.
pub(super) fn parse_mark(s: &str) -> Result<u8, String> {
    match s {
        "." | "," | "'" => Ok(s.as_bytes()[0]),
        "space" | " " => Ok(b' '),
        _ => Err(format!("expected `.`, `,`, `'` or `space`, got `{s}`")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MissingArg {
    /// List the row as "Not estimable (missing data)" and leave it out.
    Skip,
    /// Stop with an error naming the row and column.
    Error,
}

/// metafor's `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ToArg {
    #[value(name = "only0")]
    Only0,
    #[value(name = "all")]
    All,
    #[value(name = "if0all")]
    If0all,
    #[value(name = "none")]
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum YesNo {
    Yes,
    No,
}

/// `--method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Generalized linear mixed model (metafor's rma.glmm).
    #[value(name = "GLMM")]
    Glmm,
}

/// `--glmm-model`: metafor's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GlmmModelArg {
    /// Unconditional, fixed study effects.
    #[value(name = "UM.FS")]
    UmFs,
    /// Unconditional, random study effects.
    #[value(name = "UM.RS")]
    UmRs,
    /// Conditional, exact likelihood.
    #[value(name = "CM.EL")]
    CmEl,
    /// Conditional, approximate likelihood.
    #[value(name = "CM.AL")]
    CmAl,
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
