//! What can be wrong with a cohort file's row, and why a row is left out of the analysis.

use super::columns::Role;
use crate::error::{Error, Problem};

/// What is wrong with one field or row of a cohort file.
///
/// ```
/// use metapool::Error;
/// use metapool::gwas::*;
/// let err = CohortReader::new("SNP A1 A2 BETA\n".as_bytes(), "c1.txt", &ReadSpec::new(Scheme::InverseVariance)).unwrap_err();
/// // no standard-error column: line 1 (the header)
/// assert!(matches!(err, Error::InvalidRecord { line: 1, problem: RecordProblem::MissingColumn, .. }));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum RecordProblem {
    /// The header has no column for a role the scheme needs.
    MissingColumn,
    /// The field is not a number.
    NotNumeric(String),
    /// The number is out of its range.
    Value(Problem),
    /// The row has a different number of fields than the header.
    FieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// The marker already appeared in this cohort.
    Duplicate,
    /// The file is not sorted by chromosome and position (the sorted merge needs it).
    NotSorted,
    /// The file has no header line.
    NoHeader,
    /// The file could not be read or written.
    Io(String),
}

impl std::fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordProblem::MissingColumn => write!(f, "no such column in the header"),
            RecordProblem::NotNumeric(t) => write!(f, "not a number: {t:?}"),
            RecordProblem::Value(p) => write!(f, "{p}"),
            RecordProblem::FieldCount { expected, found } => {
                write!(f, "{found} fields where the header has {expected}")
            }
            RecordProblem::Duplicate => write!(f, "marker duplicated within the cohort"),
            RecordProblem::NotSorted => write!(
                f,
                "not sorted by chromosome and position (sort it, or use the hash join)"
            ),
            RecordProblem::NoHeader => write!(f, "no header line"),
            RecordProblem::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

/// Why a row of a cohort did not enter the meta-analysis (counted per cohort).
///
/// ```
/// use metapool::gwas::{Reason, Role};
/// assert_eq!(Reason::Invalid(Role::StdErr).to_string(), "invalid standard error");
/// assert_eq!(Reason::AlleleMismatch.to_string(), "allele mismatch");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Reason {
    /// A field of this role is invalid (not a number, out of range).
    Invalid(Role),
    /// The row has the wrong number of fields.
    FieldCount,
    /// The marker already appeared in this cohort (the first row is used).
    Duplicate,
    /// Its alleles are not the variant's alleles, on either strand.
    AlleleMismatch,
    /// A palindromic variant, dropped by [`Palindromic::Drop`](super::Palindromic::Drop).
    Palindromic,
    /// A palindromic variant whose strand the frequency cannot tell
    /// ([`Palindromic::Frequency`](super::Palindromic::Frequency)).
    AmbiguousPalindromic,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Invalid(r) => write!(f, "invalid {}", r.name()),
            Reason::FieldCount => write!(f, "wrong number of fields"),
            Reason::Duplicate => write!(f, "duplicated marker"),
            Reason::AlleleMismatch => write!(f, "allele mismatch"),
            Reason::Palindromic => write!(f, "palindromic (dropped)"),
            Reason::AmbiguousPalindromic => write!(f, "palindromic, ambiguous frequency"),
        }
    }
}

/// An invalid row: its line, the column (header label) and what is wrong.
///
/// ```
/// use metapool::gwas::*;
/// let text = "SNP A1 A2 BETA SE\nrs1 A G 0.1\n";
/// let mut r = CohortReader::new(text.as_bytes(), "c1.txt", &ReadSpec::new(Scheme::InverseVariance))?;
/// let e = r.next_record(&mut Record::default()).unwrap().unwrap_err();
/// assert_eq!(e.line, 2);
/// assert_eq!(e.problem, RecordProblem::FieldCount { expected: 5, found: 4 });
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// 1-based line number.
    pub line: u64,
    /// The role of the offending column (`None` for a whole-row problem).
    pub role: Option<Role>,
    /// The header label of the column (empty for a whole-row problem).
    pub column: String,
    /// What is wrong.
    pub problem: RecordProblem,
}

impl RowError {
    /// The reason to count when the row is skipped.
    ///
    /// ```
    /// use metapool::gwas::*;
    /// let text = "SNP A1 A2 BETA SE\nrs1 A G 0.1 abc\n";
    /// let mut r = CohortReader::new(text.as_bytes(), "c1.txt", &ReadSpec::new(Scheme::InverseVariance))?;
    /// let e = r.next_record(&mut Record::default()).unwrap().unwrap_err();
    /// assert_eq!(e.reason(), Reason::Invalid(Role::StdErr));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn reason(&self) -> Reason {
        match (&self.problem, self.role) {
            (RecordProblem::Duplicate, _) => Reason::Duplicate,
            (_, Some(role)) => Reason::Invalid(role),
            _ => Reason::FieldCount,
        }
    }

    /// The crate error naming `file`.
    ///
    /// ```
    /// use metapool::Error;
    /// use metapool::gwas::*;
    /// let text = "SNP A1 A2 BETA SE\nrs1 A G 0.1 abc\n";
    /// let mut r = CohortReader::new(text.as_bytes(), "c1.txt", &ReadSpec::new(Scheme::InverseVariance))?;
    /// let e = r.next_record(&mut Record::default()).unwrap().unwrap_err().into_error("c1.txt");
    /// assert!(matches!(e, Error::InvalidRecord { line: 2, ref file, ref column, .. } if file == "c1.txt" && column == "SE"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn into_error(self, file: &str) -> Error {
        Error::InvalidRecord {
            file: file.to_string(),
            line: self.line,
            column: self.column,
            problem: self.problem,
        }
    }
}
