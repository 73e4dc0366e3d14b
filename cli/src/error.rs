//! Why a row, an analysis or a run could not be read.

use std::fmt;

/// A problem with the input, named by line and column where possible.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub line: Option<u64>,
    /// 1-based column number and header name.
    pub column: Option<(usize, String)>,
    pub reason: String,
}

impl InputError {
    pub fn at(line: u64, reason: impl Into<String>) -> InputError {
        InputError {
            line: Some(line),
            column: None,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.line, &self.column) {
            (Some(l), Some((c, name))) => write!(f, "line {l}, column {c} (`{name}`): ")?,
            (Some(l), None) => write!(f, "line {l}: ")?,
            (None, Some((c, name))) => write!(f, "column {c} (`{name}`): ")?,
            (None, None) => {}
        }
        f.write_str(&self.reason)
    }
}

/// Why a run stopped.
#[derive(Debug)]
pub enum Fatal {
    /// Bad input or a failed analysis (exit status 2).
    Input(InputError),
    /// Writing the output failed.
    Io(std::io::Error),
}

impl From<std::io::Error> for Fatal {
    fn from(e: std::io::Error) -> Self {
        Fatal::Io(e)
    }
}

impl From<InputError> for Fatal {
    fn from(e: InputError) -> Self {
        Fatal::Input(e)
    }
}
