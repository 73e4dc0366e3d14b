//! How printed results look: decimals and the p-value convention, shared by every summary.

use crate::error::{Error, Problem, Result};

/// How p-values are written.
///
/// ```
/// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
/// # use metapool::prelude::*;
/// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
/// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
/// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
/// #     (27, 16886, 29, 17825)]
/// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
/// # let set = EffectSet::from_studies(&bcg)?;
/// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
/// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
/// use metapool::print::{PValueStyle, Style, Summarize};
/// let fit = Pooler::default().pool(&set)?; // p = 6.46e-5 (metafor)
/// let metafor = fit.summary(Style::metafor()).to_string();
/// let revman = fit.summary(Style::metafor().with_p_values(PValueStyle::RevMan)).to_string();
/// assert!(metafor.contains("Z = -3.9952 (P < .0001)"));
/// assert!(revman.contains("Z = -3.9952 (P = 0.00006)"));
/// # Ok::<(), metapool::Error>(())
/// ```
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
///
/// ```
/// use metapool::print::{Style, MAX_DIGITS};
/// assert!(Style::metafor().with_digits(MAX_DIGITS).is_ok());
/// assert!(Style::metafor().with_digits(MAX_DIGITS + 1).is_err());
/// ```
pub const MAX_DIGITS: usize = 15;

impl Style {
    /// metafor's look: 4 decimals, metafor p-values.
    ///
    /// ```
    /// use metapool::print::{PValueStyle, Style};
    /// assert_eq!((Style::metafor().digits(), Style::metafor().p_values()), (4, PValueStyle::Metafor));
    /// assert_eq!(Style::default(), Style::metafor());
    /// ```
    pub fn metafor() -> Style {
        Style {
            digits: 4,
            p_values: PValueStyle::Metafor,
        }
    }

    /// RevMan 5's look: 2 decimals, RevMan p-values.
    ///
    /// ```
    /// use metapool::effect::EffectSet;
    /// use metapool::pool::FixedModel;
    /// use metapool::print::{Style, Summarize};
    /// let set = EffectSet::from_estimates(&[0.2, 0.4], &[0.04, 0.04])?;
    /// // mu = 0.3, se = sqrt(0.02): z = 2.1213, p = 0.0339
    /// let text = FixedModel::default().pool(&set)?.summary(Style::revman()).to_string();
    /// assert!(text.contains("Test for overall effect: Z = 2.12 (P = 0.034)"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn revman() -> Style {
        Style {
            digits: 2,
            p_values: PValueStyle::RevMan,
        }
    }

    /// The same style with `digits` decimals (at most [`MAX_DIGITS`]).
    ///
    /// ```
    /// use metapool::effect::EffectSet;
    /// use metapool::pool::FixedModel;
    /// use metapool::print::{Style, Summarize};
    /// let set = EffectSet::from_estimates(&[0.2, 0.4], &[0.04, 0.04])?;
    /// let fit = FixedModel::default().pool(&set)?;
    /// // z = 0.3 / sqrt(0.02) = 2.121320...
    /// assert!(fit.summary(Style::metafor().with_digits(6)?).to_string().contains("Z = 2.121320"));
    /// assert_eq!(format!("{fit:.6}"), fit.summary(Style::metafor().with_digits(6)?).to_string());
    /// # Ok::<(), metapool::Error>(())
    /// ```
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
    ///
    /// ```
    /// use metapool::print::{PValueStyle, Style};
    /// let s = Style::revman().with_p_values(PValueStyle::Metafor);
    /// assert_eq!((s.digits(), s.p_values()), (2, PValueStyle::Metafor));
    /// ```
    pub fn with_p_values(mut self, p_values: PValueStyle) -> Style {
        self.p_values = p_values;
        self
    }

    /// Decimals.
    ///
    /// ```
    /// use metapool::print::Style;
    /// assert_eq!(Style::revman().digits(), 2);
    /// ```
    pub fn digits(&self) -> usize {
        self.digits
    }

    /// The p-value convention.
    ///
    /// ```
    /// use metapool::print::{PValueStyle, Style};
    /// assert_eq!(Style::revman().p_values(), PValueStyle::RevMan);
    /// ```
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
