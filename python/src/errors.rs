//! The library's [`metapool::Error`] as Python exceptions: every one a subclass of
//! `metapool.MetapoolError`, itself a `ValueError`, carrying the library's message (which names
//! the study and the field) and, where the error has them, the attributes `study`, `field` and
//! `analysis`.

use metapool::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

create_exception!(
    metapool,
    MetapoolError,
    PyValueError,
    "Any error of metapool: invalid input, a method that cannot be computed on it, or an estimator that did not converge. The message is the library's, naming the study (0-based) and the field."
);
create_exception!(
    metapool,
    InvalidStudyError,
    MetapoolError,
    "A field of one study is invalid; `study` (0-based position) and `field` name it."
);
create_exception!(
    metapool,
    InvalidParameterError,
    MetapoolError,
    "A parameter of a model or method (level, method name, test, alpha, layout of a batch) is invalid."
);
create_exception!(
    metapool,
    TooFewStudiesError,
    MetapoolError,
    "The method needs more studies than were given (or than were left after exclusions)."
);
create_exception!(
    metapool,
    NotConvergedError,
    MetapoolError,
    "An iterative tau² estimator did not converge."
);
create_exception!(
    metapool,
    UndefinedError,
    MetapoolError,
    "The statistic is undefined or not finite for this input."
);

/// The Python exception class of an error.
fn class_of(e: &Error) -> fn(String) -> PyErr {
    match e {
        Error::InvalidStudy { .. } | Error::InvalidField { .. } => InvalidStudyError::new_err,
        Error::InvalidParameter { .. }
        | Error::Unparsable { .. }
        | Error::InvalidLayout { .. }
        | Error::MissingTables { .. } => InvalidParameterError::new_err,
        Error::Empty | Error::AllExcluded { .. } | Error::TooFewStudies { .. } => {
            TooFewStudiesError::new_err
        }
        Error::NotConverged { .. } => NotConvergedError::new_err,
        Error::Undefined { .. } | Error::NonFinite { .. } => UndefinedError::new_err,
        Error::InAnalysis { source, .. } => class_of(source),
        _ => MetapoolError::new_err,
    }
}

/// The exception for `e`, with its message and, where it has them, `study`, `field` and
/// `analysis` set.
pub fn to_py(e: Error) -> PyErr {
    let err = class_of(&e)(e.to_string());
    Python::attach(|py| {
        let value = err.value(py);
        let (mut study, mut field, mut analysis) = (None, None, None);
        let mut cur = &e;
        loop {
            match cur {
                Error::InAnalysis {
                    analysis: a,
                    source,
                } => {
                    analysis = Some(*a);
                    cur = source;
                }
                Error::InvalidStudy {
                    study: s, field: f, ..
                } => {
                    study = Some(*s);
                    field = Some(*f);
                    break;
                }
                Error::InvalidField { field: f, .. } => {
                    field = Some(*f);
                    break;
                }
                _ => break,
            }
        }
        // setting attributes on a fresh exception instance cannot fail in practice; a failure
        // would only lose the attributes, never the exception
        let _ = value.setattr("study", study);
        let _ = value.setattr("field", field);
        let _ = value.setattr("analysis", analysis);
    });
    err
}

/// `Result` into `PyResult`.
pub trait IntoPy<T> {
    /// The error as its Python exception.
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, Error> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

/// Register the exception classes on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("MetapoolError", py.get_type::<MetapoolError>())?;
    m.add("InvalidStudyError", py.get_type::<InvalidStudyError>())?;
    m.add(
        "InvalidParameterError",
        py.get_type::<InvalidParameterError>(),
    )?;
    m.add("TooFewStudiesError", py.get_type::<TooFewStudiesError>())?;
    m.add("NotConvergedError", py.get_type::<NotConvergedError>())?;
    m.add("UndefinedError", py.get_type::<UndefinedError>())?;
    Ok(())
}
