//! The crate's one error type.
//!
//! Every invalid input is reported as a typed [`Error`] that names the study (by its 0-based
//! position in the input) and the field, never as a panic and never as a NaN in a result.

/// What is wrong with a value.
///
/// ```
/// use metapool::{effect::Effect, Error, Problem};
/// assert_eq!(
///     Effect::new(0.1, -0.5),
///     Err(Error::InvalidField { field: "variance", problem: Problem::NotPositive(-0.5) })
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Problem {
    /// The value is NaN or infinite.
    NotFinite(f64),
    /// The value must be strictly positive.
    NotPositive(f64),
    /// The value must not be negative.
    Negative(f64),
    /// The value must be a whole number (a count).
    NotInteger(f64),
    /// The value is below the smallest allowed value.
    TooSmall {
        /// The smallest allowed value.
        min: f64,
        /// The value given.
        got: f64,
    },
    /// The value must lie strictly inside `(lo, hi)`.
    OutOfRange {
        /// Lower bound (exclusive).
        lo: f64,
        /// Upper bound (exclusive).
        hi: f64,
        /// The value given.
        got: f64,
    },
    /// A count of events is larger than the number of participants.
    EventsExceedTotal {
        /// Events given.
        events: f64,
        /// Total given.
        total: f64,
    },
    /// A confidence interval's lower bound is not below its upper bound.
    CiBoundsSwapped {
        /// Lower bound given.
        lower: f64,
        /// Upper bound given.
        upper: f64,
    },
    /// A confidence interval does not contain its point estimate.
    CiExcludesEstimate {
        /// Point estimate given.
        estimate: f64,
        /// Lower bound given.
        lower: f64,
        /// Upper bound given.
        upper: f64,
    },
    /// A ratio measure (odds ratio, CI bound) must be strictly positive to be taken to the log scale.
    RatioNotPositive(f64),
    /// The computed sampling variance is zero or negative (for example a pre/post correlation of 1
    /// with equal SDs).
    DegenerateVariance(f64),
    /// A list does not have one entry per study (or per whatever it must match).
    LengthMismatch {
        /// The length required.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// An input position is listed more than once.
    Duplicate(usize),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Problem::NotFinite(x) => write!(f, "must be finite, got {x}"),
            Problem::NotPositive(x) => write!(f, "must be > 0, got {x}"),
            Problem::Negative(x) => write!(f, "must be >= 0, got {x}"),
            Problem::NotInteger(x) => write!(f, "must be a whole number, got {x}"),
            Problem::TooSmall { min, got } => write!(f, "must be >= {min}, got {got}"),
            Problem::OutOfRange { lo, hi, got } => {
                write!(f, "must lie strictly between {lo} and {hi}, got {got}")
            }
            Problem::EventsExceedTotal { events, total } => {
                write!(f, "events ({events}) exceed the total ({total})")
            }
            Problem::CiBoundsSwapped { lower, upper } => {
                write!(f, "lower bound {lower} is not below upper bound {upper}")
            }
            Problem::CiExcludesEstimate {
                estimate,
                lower,
                upper,
            } => write!(
                f,
                "interval ({lower}, {upper}) does not contain the estimate {estimate}"
            ),
            Problem::RatioNotPositive(x) => write!(f, "a ratio must be > 0, got {x}"),
            Problem::LengthMismatch { expected, got } => {
                write!(f, "must have {expected} entries (one per study), got {got}")
            }
            Problem::Duplicate(i) => write!(f, "lists input position {i} more than once"),
            Problem::DegenerateVariance(x) => {
                write!(
                    f,
                    "the sampling variance computed from it is not positive ({x})"
                )
            }
        }
    }
}

/// Everything that can go wrong in `metapool`.
///
/// ```
/// use metapool::{effect::EffectSet, Error, pool::FixedModel, Problem};
/// // the study is named by its 0-based input position, and the field
/// let err = EffectSet::from_estimates(&[0.1, f64::NAN, 0.3], &[0.01; 3])
///     .and_then(|set| FixedModel::default().pool(&set))
///     .unwrap_err();
/// assert!(matches!(err, Error::InvalidStudy { study: 1, field: "estimate", problem: Problem::NotFinite(_) }));
/// assert_eq!(EffectSet::from_estimates::<f64>(&[], &[]).unwrap_err(), Error::Empty);
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum Error {
    /// A field of one study's input is invalid.
    #[error("study {study}: `{field}` {problem}")]
    InvalidStudy {
        /// 0-based position of the study in the input.
        study: usize,
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        problem: Problem,
    },
    /// A field of a value being constructed is invalid (not yet attached to a study position;
    /// see [`Error::in_study`]).
    #[error("`{field}` {problem}")]
    InvalidField {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        problem: Problem,
    },
    /// A parameter of a model or method (confidence level, alpha, ...) is invalid.
    #[error("parameter `{name}` {problem}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// What is wrong with it.
        problem: Problem,
    },
    /// No studies were given.
    #[error("no studies to pool")]
    Empty,
    /// Every study was excluded (e.g. all 2x2 tables had no events, or all events, in both arms).
    #[error(
        "all {excluded} studies were excluded from pooling (no events or all events in both arms)"
    )]
    AllExcluded {
        /// How many studies were excluded.
        excluded: usize,
    },
    /// The method needs more studies than were given.
    #[error("{method} needs at least {needed} studies, got {got}")]
    TooFewStudies {
        /// The method.
        method: &'static str,
        /// Studies it needs.
        needed: usize,
        /// Studies given.
        got: usize,
    },
    /// The pooled estimate is undefined for this input (e.g. a Mantel-Haenszel odds ratio whose
    /// numerator or denominator sum is zero).
    #[error("{what} is undefined for this input: {why}")]
    Undefined {
        /// What could not be computed.
        what: &'static str,
        /// Why.
        why: &'static str,
    },
    /// An intermediate or final quantity overflowed or became NaN; no result is returned rather
    /// than a non-finite one.
    #[error("numerical failure: {what} is not finite")]
    NonFinite {
        /// The quantity.
        what: &'static str,
    },
    /// A printed figure could not be read.
    #[error("cannot read {what} from {text:?}")]
    Unparsable {
        /// What was being read.
        what: &'static str,
        /// The text given.
        text: String,
    },
    /// An iterative estimator did not converge.
    #[error(
        "{method} did not converge after {iterations} iterations (last iterate {last_iterate:e}, last change {last_change:e})"
    )]
    NotConverged {
        /// The estimator.
        method: &'static str,
        /// Iterations used.
        iterations: usize,
        /// The last iterate (tau² for the tau² estimators and the Q-profile bounds, k0 for
        /// trim-and-fill), so that a caller can restart from it.
        last_iterate: f64,
        /// The last change in the iterate.
        last_change: f64,
    },
    /// The method pools 2x2 tables, and the effect set carries none (or not of the measure
    /// the method needs).
    #[error("{method} pools 2x2 tables, and this effect set carries {why}")]
    MissingTables {
        /// The method.
        method: &'static str,
        /// What the set lacks.
        why: &'static str,
    },
    /// One analysis of a batch failed (see [`crate::batch`]); `source` says why, naming the
    /// study by its position within that analysis.
    #[error("analysis {analysis}: {source}")]
    InAnalysis {
        /// 0-based position of the analysis in the batch.
        analysis: usize,
        /// What went wrong in it.
        source: Box<Error>,
    },
    /// A row or header of a cohort file (see [`crate::gwas`]) is invalid.
    #[error("{file}, line {line}{}: {problem}", if column.is_empty() { String::new() } else { format!(", column `{column}`") })]
    InvalidRecord {
        /// The file, as named by the caller.
        file: String,
        /// 1-based line number (1 for the header).
        line: u64,
        /// The column's header label (empty for a whole-row problem).
        column: String,
        /// What is wrong.
        problem: crate::gwas::RecordProblem,
    },
    /// The structure-of-arrays layout of a batch is inconsistent (column lengths differ, offsets
    /// do not start at 0, decrease, or do not end at the number of studies).
    #[error("invalid batch layout: {why} (at position {at})")]
    InvalidLayout {
        /// What is wrong.
        why: &'static str,
        /// The position (in the offsets, or the column length) where it shows.
        at: usize,
    },
    /// A moderator of a meta-regression (see [`crate::regression`]) or a column of its model
    /// matrix is invalid.
    #[error("moderator `{column}`{}: {problem}", match study { Some(s) => format!(", study {s}"), None => String::new() })]
    InvalidModerator {
        /// The moderator's or the column's name.
        column: String,
        /// 0-based position of the study, for a problem with one value.
        study: Option<usize>,
        /// What is wrong.
        problem: crate::regression::ModeratorProblem,
    },
    /// A cluster of a multilevel or multivariate model (see [`crate::multilevel`]), its block
    /// of the sampling covariance matrix, or one of its rows is invalid.
    #[error("cluster {cluster:?}{}: {problem}", match row { Some(r) => format!(", row {r}"), None => String::new() })]
    InvalidCluster {
        /// The cluster's label (empty when the label itself is missing).
        cluster: String,
        /// 0-based row of the input, for a problem with one row.
        row: Option<usize>,
        /// What is wrong.
        problem: crate::multilevel::ClusterProblem,
    },
    /// A cluster label, or a cluster, of a cluster-robust analysis (see [`crate::robust`]) is
    /// invalid.
    #[error("cluster{}{}: {problem}", match cluster { Some(c) => format!(" `{c}`"), None => String::new() }, match row { Some(r) => format!(", row {r}"), None => String::new() })]
    InvalidRobustCluster {
        /// The cluster's label, for a problem with a cluster.
        cluster: Option<String>,
        /// 0-based position of the effect, for a problem with one label.
        row: Option<usize>,
        /// What is wrong.
        problem: crate::robust::ClusterProblem,
    },
}

impl Error {
    /// Attach a study position to an [`Error::InvalidField`], turning it into
    /// [`Error::InvalidStudy`]; other errors are returned unchanged.
    ///
    /// ```
    /// use metapool::{effect::Effect, Error, Problem};
    /// let err = Effect::new(f64::INFINITY, 0.1).unwrap_err().in_study(4);
    /// assert!(matches!(err, Error::InvalidStudy { study: 4, field: "estimate", problem: Problem::NotFinite(_) }));
    /// assert_eq!(Error::Empty.in_study(4), Error::Empty); // other errors unchanged
    /// ```
    pub fn in_study(self, study: usize) -> Error {
        match self {
            Error::InvalidField { field, problem } => Error::InvalidStudy {
                study,
                field,
                problem,
            },
            other => other,
        }
    }
}

/// `Result` with the crate's [`Error`].
///
/// ```
/// fn pooled_estimate(y: &[f64], v: &[f64]) -> metapool::Result<f64> {
///     let set = metapool::effect::EffectSet::from_estimates(y, v)?;
///     Ok(metapool::pool::FixedModel::default().pool(&set)?.estimate)
/// }
/// assert_eq!(pooled_estimate(&[0.2, 0.4], &[0.04, 0.04]).unwrap(), 0.30000000000000004);
/// assert!(pooled_estimate(&[0.2], &[0.04, 0.04]).is_err()); // lengths differ
/// ```
pub type Result<T> = std::result::Result<T, Error>;

// Validation helpers shared by every constructor.

pub(crate) fn field_err(field: &'static str, problem: Problem) -> Error {
    Error::InvalidField { field, problem }
}

pub(crate) fn finite(field: &'static str, x: f64) -> Result<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(field_err(field, Problem::NotFinite(x)))
    }
}

pub(crate) fn positive(field: &'static str, x: f64) -> Result<f64> {
    finite(field, x)?;
    if x > 0.0 {
        Ok(x)
    } else {
        Err(field_err(field, Problem::NotPositive(x)))
    }
}

/// A whole, non-negative count.
pub(crate) fn count(field: &'static str, x: f64) -> Result<f64> {
    finite(field, x)?;
    if x < 0.0 {
        return Err(field_err(field, Problem::Negative(x)));
    }
    if x.fract() != 0.0 {
        return Err(field_err(field, Problem::NotInteger(x)));
    }
    Ok(x)
}

/// A whole count of at least `min`.
pub(crate) fn count_at_least(field: &'static str, x: f64, min: f64) -> Result<f64> {
    count(field, x)?;
    if x < min {
        return Err(field_err(field, Problem::TooSmall { min, got: x }));
    }
    Ok(x)
}

/// A probability-like parameter strictly inside (0, 1).
pub(crate) fn open_unit(name: &'static str, x: f64) -> Result<f64> {
    if !x.is_finite() {
        return Err(Error::InvalidParameter {
            name,
            problem: Problem::NotFinite(x),
        });
    }
    if x > 0.0 && x < 1.0 {
        Ok(x)
    } else {
        Err(Error::InvalidParameter {
            name,
            problem: Problem::OutOfRange {
                lo: 0.0,
                hi: 1.0,
                got: x,
            },
        })
    }
}
