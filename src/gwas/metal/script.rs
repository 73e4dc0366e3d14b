//! METAL's script language: one command per line, matched as METAL matches it (a command is
//! any prefix of its full name, case-insensitively, tried in METAL's order), `#` comments.

use super::super::{Scheme, Separator};

/// Genomic control of each input file (METAL's `GENOMICCONTROL`).
///
/// ```
/// use metapool::gwas::metal::{parse_line, Command, GenomicControl};
/// assert_eq!(parse_line("GENOMICCONTROL ON"), Some(Command::GenomicControl(GenomicControl::Estimate)));
/// assert_eq!(parse_line("GENOMICCONTROL 1.05"), Some(Command::GenomicControl(GenomicControl::Given(1.05))));
/// assert_eq!(parse_line("genomiccontrol list snps.txt"), Some(Command::GenomicControl(GenomicControl::List("snps.txt".into()))));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum GenomicControl {
    /// None (`OFF`, the default).
    Off,
    /// Estimated from the file's median chi-square (`ON`).
    Estimate,
    /// A given lambda (`GENOMICCONTROL 1.05`).
    Given(f64),
    /// Estimated from the markers listed in a file (`GENOMICCONTROL LIST snps.txt`).
    List(String),
}

/// One command of a METAL script.
///
/// ```
/// use metapool::gwas::metal::{parse_line, Command};
/// // any prefix of a command's name, as METAL matches it
/// assert_eq!(parse_line("DEFAULT 500"), Some(Command::DefaultWeight(500.0)));
/// assert_eq!(parse_line("CLEAR"), Some(Command::Clear));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `ANALYZE [HETEROGENEITY]`.
    Analyze {
        /// Whether the heterogeneity columns are asked for.
        heterogeneity: bool,
    },
    /// `CLEAR`: forget the files processed so far.
    Clear,
    /// `COLUMNCOUNTING STRICT|LENIENT` (`true` for strict).
    ColumnCounting(bool),
    /// `DEFAULTWEIGHT n`.
    DefaultWeight(f64),
    /// `WEIGHTLABEL` / `WEIGHT` label.
    Weight(String),
    /// `GENOMICCONTROL ...`.
    GenomicControl(GenomicControl),
    /// `AVERAGEFREQ ON|OFF`.
    AverageFreq(bool),
    /// `MINMAXFREQ ON|OFF`.
    MinMaxFreq(bool),
    /// `MARKERLABEL` / `MARKER` label.
    Marker(String),
    /// `PVALUELABEL` / `PVAL` label.
    PValue(String),
    /// `EFFECTLABEL` / `EFFECT` label (or `log(label)`).
    Effect(String),
    /// `FREQLABEL` / `FREQ` label.
    Freq(String),
    /// `SOURCE file`: run another script.
    Source(String),
    /// `STDERRLABEL` / `STDERR` label.
    StdErr(String),
    /// `CHROMOSOMELABEL` / `CHROMOSOME` label.
    Chromosome(String),
    /// `POSITIONLABEL` / `POSITION` label.
    Position(String),
    /// `SCHEME SAMPLESIZE|STDERR`.
    Scheme(Scheme),
    /// `SEPARATOR WHITESPACE|COMMAS|TABS|BOTH`.
    Separator(Separator),
    /// `PROCESSFILE` / `PROCESS` file.
    Process(String),
    /// `MINWEIGHT n`.
    MinWeight(f64),
    /// `OVERLAP ON|OFF`.
    Overlap(bool),
    /// `TRACKPOSITIONS ON|OFF`.
    TrackPositions(bool),
    /// `EFFECT_PRINT_PRECISION n`.
    EffectPrecision(usize),
    /// `STDERR_PRINT_PRECISION n`.
    StdErrPrecision(usize),
    /// `ALLELELABELS` / `ALLELE` label1 label2.
    Alleles(String, String),
    /// `OUTFILE prefix suffix`.
    Outfile(String, String),
    /// A METAL command this interpreter does not implement (filters, custom variables, strand
    /// column, flips, log p-values...): reported, never silently ignored.
    Unsupported(String),
    /// A line METAL ignores (unknown, or a known command with bad arguments).
    Ignored(String),
}

/// Whether `token` is a prefix of `command` (case-insensitive): METAL's `MatchesBeginningOf`.
fn abbreviates(token: &str, command: &str) -> bool {
    token.len() <= command.len()
        && command.as_bytes()[..token.len()].eq_ignore_ascii_case(token.as_bytes())
}

fn on_off(t: &str) -> Option<bool> {
    if t.eq_ignore_ascii_case("ON") {
        Some(true)
    } else if t.len() > 1 && abbreviates(t, "OFF") {
        Some(false)
    } else {
        None
    }
}

/// Parse one line of a script (`None` for a blank line or a comment).
///
/// ```
/// use metapool::gwas::metal::{parse_line, Command};
/// assert_eq!(parse_line("MARKER SNP"), Some(Command::Marker("SNP".into())));
/// assert_eq!(parse_line("  ALLELE a1 a2"), Some(Command::Alleles("a1".into(), "a2".into())));
/// assert_eq!(parse_line("analyze het"), Some(Command::Analyze { heterogeneity: true }));
/// assert_eq!(parse_line("# PROCESS x"), None);
/// ```
pub fn parse_line(line: &str) -> Option<Command> {
    let input = line.trim();
    let t: Vec<&str> = input.split_whitespace().collect();
    if t.is_empty() || input.starts_with('#') {
        return None;
    }
    let c = t[0];
    let ab = |name: &str, min_len: usize| c.len() > min_len && abbreviates(c, name);
    let ignored = || Some(Command::Ignored(input.to_string()));
    let unsupported = || Some(Command::Unsupported(input.to_string()));
    if ab("ANALYZE", 1) || ab("ANALYSE", 1) {
        return Some(Command::Analyze {
            heterogeneity: t.len() > 1 && abbreviates(t[1], "HETEROGENEITY"),
        });
    }
    if ab("CLEAR", 1) {
        return Some(Command::Clear);
    }
    if ab("REMOVEFILTERS", 2) || ab("FLIP", 1) {
        return unsupported();
    }
    if ab("HELP", 0) || ab("QUIT", 0) || ab("EXIT", 1) || ab("RETURN", 2) {
        return unsupported();
    }
    if t.len() == 1 {
        return ignored();
    }
    let a = t[1];
    if ab("COLUMNCOUNTING", 1) {
        if abbreviates(a, "STRICT") {
            return Some(Command::ColumnCounting(true));
        }
        if abbreviates(a, "LENIENT") {
            return Some(Command::ColumnCounting(false));
        }
    }
    if ab("CUSTOMVARIABLE", 1) {
        return unsupported();
    }
    if ab("DEFAULTWEIGHT", 0) {
        return Some(Command::DefaultWeight(as_double(a)));
    }
    if ab("WEIGHTLABEL", 0) {
        return Some(Command::Weight(a.to_string()));
    }
    if ab("GENOMICCONTROL", 0) {
        if a.eq_ignore_ascii_case("ON") {
            return Some(Command::GenomicControl(GenomicControl::Estimate));
        } else if a.len() > 1 && abbreviates(a, "OFF") {
            return Some(Command::GenomicControl(GenomicControl::Off));
        } else if abbreviates(a, "LIST") && t.len() == 3 {
            return Some(Command::GenomicControl(GenomicControl::List(
                t[2].to_string(),
            )));
        } else if as_double(a) > 0.0 {
            return Some(Command::GenomicControl(GenomicControl::Given(as_double(a))));
        }
    }
    if ab("LOGPVALUE", 0) || ab("USESTRAND", 3) {
        return unsupported();
    }
    if ab("VERBOSE", 0) {
        return ignored();
    }
    if ab("AVERAGEFREQUENCY", 1) {
        if let Some(x) = on_off(a) {
            return Some(Command::AverageFreq(x));
        }
    }
    if ab("MINMAXFREQUENCY", 3) {
        if let Some(x) = on_off(a) {
            return Some(Command::MinMaxFreq(x));
        }
    }
    if ab("MARKERLABEL", 2) {
        return Some(Command::Marker(a.to_string()));
    }
    if ab("MAXWARNINGS", 2) {
        return ignored();
    }
    if ab("PVALUELABEL", 1) {
        return Some(Command::PValue(a.to_string()));
    }
    if ab("EFFECTLABEL", 1) {
        return Some(Command::Effect(a.to_string()));
    }
    if ab("FREQLABEL", 1) {
        return Some(Command::Freq(a.to_string()));
    }
    if ab("SOURCE", 1) {
        return Some(Command::Source(a.to_string()));
    }
    if ab("STDERRLABEL", 2) {
        return Some(Command::StdErr(a.to_string()));
    }
    if ab("STRANDLABEL", 2) {
        return unsupported();
    }
    if ab("CHROMOSOMELABEL", 2) {
        return Some(Command::Chromosome(a.to_string()));
    }
    if ab("POSITIONLABEL", 2) {
        return Some(Command::Position(a.to_string()));
    }
    if ab("SCHEME", 1) {
        if a.len() > 1 && abbreviates(a, "SAMPLESIZE") {
            return Some(Command::Scheme(Scheme::SampleSize));
        }
        if a.len() > 1 && abbreviates(a, "STDERR") {
            return Some(Command::Scheme(Scheme::InverseVariance));
        }
        return ignored();
    }
    if ab("SEPARATOR", 1) {
        let s = if abbreviates(a, "WHITESPACE") {
            Separator::Whitespace
        } else if abbreviates(a, "COMMAS") {
            Separator::Comma
        } else if abbreviates(a, "TABS") {
            Separator::Tab
        } else if abbreviates(a, "BOTH") {
            Separator::Any
        } else {
            return ignored();
        };
        return Some(Command::Separator(s));
    }
    if ab("PROCESSFILE", 1) {
        return Some(Command::Process(a.to_string()));
    }
    if ab("MINWEIGHT", 3) {
        return Some(Command::MinWeight(as_double(a)));
    }
    if ab("OVERLAP", 0) {
        if let Some(x) = on_off(a) {
            return Some(Command::Overlap(x));
        }
    }
    if ab("TRACKPOSITIONS", 0) {
        if let Some(x) = on_off(a) {
            return Some(Command::TrackPositions(x));
        }
    }
    if ab("EFFECT_PRINT_PRECISION", 0) {
        return Some(Command::EffectPrecision(a.parse().unwrap_or(0)));
    }
    if ab("STDERR_PRINT_PRECISION", 0) {
        return Some(Command::StdErrPrecision(a.parse().unwrap_or(0)));
    }
    if ab("ZCUTOFF", 0) {
        return unsupported();
    }
    if t.len() == 2 {
        return ignored();
    }
    if ab("ALLELELABELS", 1) {
        return Some(Command::Alleles(a.to_string(), t[2].to_string()));
    }
    if ab("OUTFILE", 0) {
        return Some(Command::Outfile(a.to_string(), t[2].to_string()));
    }
    if ab("ADDFILTER", 2) || (ab("LABEL", 0) && t.len() > 3) {
        return unsupported();
    }
    ignored()
}

/// C's `atof`-like reading METAL applies to numbers (0 when unreadable).
fn as_double(t: &str) -> f64 {
    t.parse().unwrap_or(0.0)
}
