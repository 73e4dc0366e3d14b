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
//! use metapool::{effect::EffectSet, pool::RandomModel, print::{Style, Summarize}};
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
mod glmm;
mod multilevel;
mod number;
mod pooled;
mod regression;
mod robust;
mod selection;
mod sensitivity;
mod style;
mod subgroups;
mod table;

pub use number::{display_value, estimate_ci, p_phrase};
pub use pooled::{heterogeneity_line, mantel_haenszel_test_lines, overall_line, Detail};
pub use sensitivity::{CumulativeTable, LeaveOneOutTable};
pub use style::{PValueStyle, Style, MAX_DIGITS};

#[allow(unused_imports)]
pub(crate) use number::{fixed, level_percent, percent};
#[allow(unused_imports)]
pub(crate) use pooled::{ci_header, measure_name, method_short, study_rows, StudyRow};
#[allow(unused_imports)]
pub(crate) use table::truncate;

use std::fmt;

/// A result that writes its summary in a given [`Style`]; its `Display` is the summary in
/// [`Style::metafor`] with the formatter's precision as the decimals.
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
/// use metapool::print::{Style, Summarize};
/// let fit = Pooler::default().pool(&set)?;
/// // metafor print(rma(yi, vi, method = "DL")): tau^2 0.3088 (SE = 0.2299), I^2 92.12%,
/// // H^2 12.69, Q(df = 12) = 152.2330, zval -3.9952, ci.lb -1.0644, ci.ub -0.3638
/// let text = fit.to_string();
/// assert!(text.contains("Heterogeneity: Tau² = 0.3088 (SE = 0.2299); Chi² = 152.2330, df = 12 (P < .0001); I² = 92.12%; H² = 12.69"));
/// assert!(text.contains("Test for overall effect: Z = -3.9952 (P < .0001)"));
/// assert!(text.contains("95% CI [-1.0644, -0.3638]"));
/// // RevMan's look: the same fit, 2 decimals
/// assert!(fit.summary(Style::revman()).to_string().contains("Total (95% CI)  0.49 [0.34, 0.70]  100.0%"));
/// # Ok::<(), metapool::Error>(())
/// ```
pub trait Summarize {
    /// Write the summary, each line ending in a newline.
    fn write_summary(&self, out: &mut dyn fmt::Write, style: &Style) -> fmt::Result;

    /// The summary in `style`, ready for `format!`/`println!`.
    fn summary(&self, style: Style) -> Summary<'_, Self> {
        Summary { item: self, style }
    }
}

/// A result with the [`Style`] to print it in (from [`Summarize::summary`]).
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
/// use metapool::print::{Style, Summarize};
/// let fit = FixedModel::default().pool(&set)?;
/// // metafor print(rma(yi, vi, method = "FE")): zval -10.6247; RR exp(-0.4303) = 0.6503,
/// // CI exp(-0.5097) = 0.6007 to exp(-0.3509) = 0.7040
/// let summary = fit.summary(Style::metafor());
/// assert!(summary.to_string().contains("Test for overall effect: Z = -10.6247 (P < .0001)"));
/// assert!(format!("{summary}").contains("Total (95% CI)  0.6503 [0.6007, 0.7040]"));
/// # Ok::<(), metapool::Error>(())
/// ```
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
    crate::multilevel::MultilevelFit,
    crate::pool::Pooled,
    crate::pool::Selection,
    crate::sensitivity::Influence,
    crate::bias::RegressionTest,
    crate::bias::RankTest,
    crate::bias::TrimFill,
    crate::regression::RegressionFit,
    crate::robust::RobustFit,
    LeaveOneOutTable<'_>,
    CumulativeTable<'_>,
);
