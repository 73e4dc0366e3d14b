//! How printed results look: decimals and the p-value convention, shared by every summary.

use crate::error::{Error, Problem, Result};

/// How p-values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PValueStyle {
    /// As metafor prints them: with the summary's decimals, and `< .0001` below
    /// `10^-digits` (R `metafor:::.pval`). `P = 0.4021`, `P < .0001`.
    #[default]
    Metafor,
    /// As RevMan 5 prints them: two significant decimals from 0.1 up, more below, and
    /// `P < 0.00001` at the bottom. `P = 0.40`, `P = 0.0007`, `P < 0.00001`.
    RevMan,
}

/// The look of a printed summary: decimals of every estimate and statistic, and the p-value
/// convention.
///
/// `format!("{}", x)` uses [`Style::metafor`] (4 decimals); `format!("{:.2}", x)` the same with
/// 2 decimals; [`Summarize::summary`](super::Summarize::summary) any style.
///
/// ```
/// use metapool::print::{PValueStyle, Style};
/// let s = Style::revman();
/// assert_eq!((s.digits(), s.p_values()), (2, PValueStyle::RevMan));
/// assert_eq!(Style::metafor().with_digits(3)?.digits(), 3);
/// assert!(Style::metafor().with_digits(40).is_err());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Style {
    digits: usize,
    p_values: PValueStyle,
}

impl Default for Style {
    /// [`Style::metafor`].
    fn default() -> Self {
        Style::metafor()
    }
}

/// The most decimals a style prints (beyond, `f64` has no more digits to show).
pub const MAX_DIGITS: usize = 15;

impl Style {
    /// metafor's look: 4 decimals, metafor p-values.
    pub fn metafor() -> Style {
        Style {
            digits: 4,
            p_values: PValueStyle::Metafor,
        }
    }

    /// RevMan 5's look: 2 decimals, RevMan p-values.
    pub fn revman() -> Style {
        Style {
            digits: 2,
            p_values: PValueStyle::RevMan,
        }
    }

    /// The same style with `digits` decimals (at most [`MAX_DIGITS`]).
    pub fn with_digits(mut self, digits: usize) -> Result<Style> {
        if digits > MAX_DIGITS {
            return Err(Error::InvalidParameter {
                name: "digits",
                problem: Problem::OutOfRange {
                    lo: -1.0,
                    hi: (MAX_DIGITS + 1) as f64,
                    got: digits as f64,
                },
            });
        }
        self.digits = digits;
        Ok(self)
    }

    /// The same style with another p-value convention.
    pub fn with_p_values(mut self, p_values: PValueStyle) -> Style {
        self.p_values = p_values;
        self
    }

    /// Decimals.
    pub fn digits(&self) -> usize {
        self.digits
    }

    /// The p-value convention.
    pub fn p_values(&self) -> PValueStyle {
        self.p_values
    }

    /// The style a `Display` implementation uses: metafor's, with the formatter's precision
    /// (`{:.2}`) as the decimals when given (capped at [`MAX_DIGITS`]).
    pub(crate) fn from_formatter(f: &std::fmt::Formatter<'_>) -> Style {
        let mut s = Style::metafor();
        if let Some(d) = f.precision() {
            s.digits = d.min(MAX_DIGITS);
        }
        s
    }
}
