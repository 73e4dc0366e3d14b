//! Results that print themselves: the metafor/RevMan summary of every result type.
//!
//! `format!("{}", result)` gives the summary in [`Style::metafor`] (4 decimals, `P < .0001`);
//! `format!("{:.2}", result)` the same with 2 decimals; [`Summarize::summary`] takes any
//! [`Style`], e.g. [`Style::revman`] (2 decimals, `P < 0.00001`). Ratio measures are shown
//! back-transformed (the estimate column holds ratios), with the analysis-scale figures on
//! their own line, as metafor prints "Model Results (log scale)" and "(RR scale)".
//!
//! Printed types: [`Pooled`](crate::pool::Pooled), [`Selection`](crate::pool::Selection),
//! [`Subgroups`](crate::pool::Subgroups), the sensitivity analyses
//! ([`LeaveOneOutTable`], [`CumulativeTable`], [`Influence`](crate::sensitivity::Influence)) and
//! the bias tests ([`RegressionTest`](crate::bias::RegressionTest),
//! [`RankTest`](crate::bias::RankTest), [`TrimFill`](crate::bias::TrimFill)). Every number
//! goes through one formatter (fixed decimals; ratios too small or too large for them in
//! scientific notation).
//!
//! ```
//! use metapool::{EffectSet, RandomModel, print::{Style, Summarize}};
//! let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
//! let fit = RandomModel::default().pool(&set)?;
//! let text = format!("{fit}");
//! assert!(text.starts_with("Random-effects model (k = 3; tau² estimator: DL)"));
//! assert!(text.contains("Test for overall effect: Z = "));
//! // metafor rma(yi, vi, method = "DL"): tau^2 0.1400 (SE = 0.1568), Q(df = 2) = 21.3846,
//! // zval 2.0160, pval 0.0438
//! assert!(text.contains("Tau² = 0.1400 (SE = 0.1568); Chi² = 21.3846, df = 2 (P < .0001)"));
//! assert!(text.contains("Z = 2.0160 (P = 0.0438)"));
//! let revman = fit.summary(Style::revman()).to_string();
//! assert!(revman.contains("Heterogeneity: Tau² = 0.14 (SE = 0.16); Chi² = 21.38, df = 2 (P = 0.00002); I² = 91%"));
//! # Ok::<(), metapool::Error>(())
//! ```

mod bias;
mod number;
mod pooled;
mod regression;
mod selection;
mod sensitivity;
mod style;
mod subgroups;
mod table;

pub use sensitivity::{CumulativeTable, LeaveOneOutTable};
pub use style::{PValueStyle, Style, MAX_DIGITS};

#[allow(unused_imports)]
pub(crate) use number::{estimate_ci, fixed, level_percent, p_phrase, percent};
#[allow(unused_imports)]
pub(crate) use pooled::{
    ci_header, heterogeneity_line, measure_name, method_short, overall_line, study_rows, Detail,
    StudyRow,
};
#[allow(unused_imports)]
pub(crate) use table::truncate;

use std::fmt;

/// A result that writes its summary in a given [`Style`]; its `Display` is the summary in
/// [`Style::metafor`] with the formatter's precision as the decimals.
pub trait Summarize {
    /// Write the summary, each line ending in a newline.
    fn write_summary(&self, out: &mut dyn fmt::Write, style: &Style) -> fmt::Result;

    /// The summary in `style`, ready for `format!`/`println!`.
    fn summary(&self, style: Style) -> Summary<'_, Self> {
        Summary { item: self, style }
    }
}

/// A result with the [`Style`] to print it in (from [`Summarize::summary`]).
#[derive(Debug, Clone, Copy)]
pub struct Summary<'a, T: ?Sized> {
    item: &'a T,
    style: Style,
}

impl<T: Summarize + ?Sized> fmt::Display for Summary<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.item.write_summary(f, &self.style)
    }
}

/// `impl Display` through [`Summarize`] with [`Style::from_formatter`].
macro_rules! display_by_summary {
    ($($t:ty),* $(,)?) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let style = $crate::print::Style::from_formatter(f);
                $crate::print::Summarize::write_summary(self, f, &style)
            }
        }
    )*};
}

display_by_summary!(
    crate::pool::Pooled,
    crate::pool::Selection,
    crate::sensitivity::Influence,
    crate::bias::RegressionTest,
    crate::bias::RankTest,
    crate::bias::TrimFill,
    crate::regression::RegressionFit,
    LeaveOneOutTable<'_>,
    CumulativeTable<'_>,
);
