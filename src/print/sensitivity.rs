//! The summaries of the sensitivity analyses: leave-one-out and cumulative tables (metafor's
//! `print.list.rma`), and the influence diagnostics (metafor's `print.infl.rma.uni`).

use super::number::{estimate_ci, fixed, p_value};
use super::pooled::{ci_header, measure_name, model_line, study_rows};
use super::style::Style;
use super::table::Table;
use super::Summarize;
use crate::pool::Pooled;
use crate::sensitivity::{CumulativeStep, Influence, LeaveOneOut};
use std::fmt::{self, Write};

/// The label of the study at input position `pos`, from the rows of any of `fits`; "Study
/// pos+1" when none of them holds it.
fn label_of<'a>(fits: impl IntoIterator<Item = &'a Pooled>, pos: usize) -> String {
    fits.into_iter()
        .flat_map(study_rows)
        .find(|r| r.position == pos)
        .map_or_else(|| format!("Study {}", pos + 1), |r| r.label)
}

/// The header and one row per fit: label, estimate \[CI\], test statistic, P, Q, P(Q), Tau², I².
fn fit_table<'a>(
    first: &'a Pooled,
    rows: impl Iterator<Item = (String, &'a Pooled)>,
    style: &Style,
) -> Table {
    let d = style.digits();
    let stat = if first.df.is_some() { "t" } else { "Z" };
    let est = format!("{} [{}]", measure_name(first.scale), ci_header(first));
    let mut t = Table::new(&["Study", &est, stat, "P", "Q", "P(Q)", "Tau²", "I²"]);
    for (label, f) in rows {
        let h = &f.heterogeneity;
        t.row(vec![
            label,
            estimate_ci(f.scale, f.estimate, f.ci_lower, f.ci_upper, d),
            fixed(f.statistic, d),
            p_value(f.p, style),
            fixed(h.q, d),
            h.q_p.map_or_else(|| "-".to_string(), |p| p_value(p, style)),
            fixed(h.tau2, d),
            format!("{}%", fixed(h.i2, d)),
        ]);
    }
    t
}

/// A leave-one-out analysis ready to print: one row per omitted study with the re-fitted
/// estimate \[CI\], test, heterogeneity and tau² (metafor `print(leave1out(fit))`, which shows
/// the same figures with back-transformed estimates under `transf = exp`).
///
/// ```
/// use metapool::{effect::EffectSet, pool::FixedModel, print::LeaveOneOutTable, sensitivity::leave_one_out};
/// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
/// let loo = leave_one_out(&FixedModel::default().into(), &set)?;
/// let text = LeaveOneOutTable::new(&loo).to_string();
/// assert!(text.starts_with("Leave-one-out analysis: Fixed-effect model"));
/// assert_eq!(text.lines().count(), 2 + 1 + 3); // title, blank, header, one row per study
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LeaveOneOutTable<'a> {
    fits: &'a [LeaveOneOut],
}

impl<'a> LeaveOneOutTable<'a> {
    /// The table of `fits` (from [`crate::sensitivity::leave_one_out`]).
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
    /// use metapool::{print::LeaveOneOutTable, sensitivity::leave_one_out};
    /// let loo = leave_one_out(&Pooler::default(), &set)?;
    /// let text = LeaveOneOutTable::new(&loo).to_string();
    /// // metafor leave1out(rma(yi, vi, method = "DL"), transf = exp), Aronson 1948:
    /// // 0.4940 -3.8270 0.0001 0.3443 0.7089 151.5826 0.0000 0.3122 92.7432
    /// assert!(text.contains("Omitting Study 1   0.4940 [0.3443, 0.7089]  -3.8270   0.0001  151.5826  < .0001  0.3122  92.7432%"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(fits: &'a [LeaveOneOut]) -> Self {
        LeaveOneOutTable { fits }
    }
}

impl Summarize for LeaveOneOutTable<'_> {
    fn write_summary(&self, out: &mut dyn Write, style: &Style) -> fmt::Result {
        let Some(first) = self.fits.first() else {
            return writeln!(out, "Leave-one-out analysis: no studies");
        };
        writeln!(out, "Leave-one-out analysis: {}", model_line(&first.fit))?;
        writeln!(out)?;
        let rows = self.fits.iter().map(|l| {
            let others = self.fits.iter().map(|o| &o.fit);
            (format!("Omitting {}", label_of(others, l.omitted)), &l.fit)
        });
        fit_table(&first.fit, rows, style).write(out)
    }
}

/// A cumulative meta-analysis ready to print: one row per step with the estimate \[CI\], test,
/// heterogeneity and tau² of the studies so far (metafor `print(cumul(fit))`).
///
/// ```
/// use metapool::{effect::EffectSet, pool::FixedModel, print::CumulativeTable, sensitivity::cumulative};
/// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
/// let steps = cumulative(&FixedModel::default().into(), &set)?;
/// let text = format!("{:.2}", CumulativeTable::new(&steps));
/// // metafor cumul(rma(yi, vi, method = "FE")), step 3: 0.3769 [0.2438, 0.5101]
/// assert!(text.lines().last().unwrap().starts_with("+ Study 3"));
/// assert!(text.contains("0.38 [0.24, 0.51]"));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CumulativeTable<'a> {
    steps: &'a [CumulativeStep],
}

impl<'a> CumulativeTable<'a> {
    /// The table of `steps` (from [`crate::sensitivity::cumulative`]).
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
    /// use metapool::{print::CumulativeTable, sensitivity::cumulative};
    /// let steps = cumulative(&Pooler::default(), &set)?;
    /// let text = CumulativeTable::new(&steps).to_string();
    /// // metafor cumul(rma(yi, vi, method = "DL"), transf = exp), Hart & Sutherland 1977:
    /// // 0.2412 -11.0694 0.0000 0.1875 0.3103 1.0410 0.7913 0.0000 0.0000
    /// assert!(text.contains("+ Study 4   0.2412 [0.1875, 0.3103]  -11.0694  < .0001    1.0410   0.7913  0.0000   0.0000%"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(steps: &'a [CumulativeStep]) -> Self {
        CumulativeTable { steps }
    }
}

impl Summarize for CumulativeTable<'_> {
    fn write_summary(&self, out: &mut dyn Write, style: &Style) -> fmt::Result {
        let Some(last) = self.steps.last() else {
            return writeln!(out, "Cumulative meta-analysis: no studies");
        };
        writeln!(out, "Cumulative meta-analysis: {}", model_line(&last.fit))?;
        writeln!(out)?;
        let rows = self.steps.iter().map(|s| {
            (
                format!("+ {}", label_of([&s.fit, &last.fit], s.added)),
                &s.fit,
            )
        });
        fit_table(&self.steps[0].fit, rows, style).write(out)
    }
}

impl Summarize for Influence {
    /// metafor's `print(influence(fit))` columns: rstudent, dffits, cook.d, cov.r, tau2.del,
    /// QE.del, hat, weight (percent), dfbetas, and `*` for an influential study.
    fn write_summary(&self, out: &mut dyn Write, style: &Style) -> fmt::Result {
        let d = style.digits();
        writeln!(out, "Influence diagnostics: {}", model_line(&self.fit))?;
        writeln!(out)?;
        let mut t = Table::new(&[
            "Study", "rstudent", "dffits", "cook.d", "cov.r", "tau2.del", "QE.del", "hat",
            "weight", "dfbetas", "inf",
        ]);
        for s in &self.studies {
            t.row(vec![
                label_of([&self.fit], s.study),
                fixed(s.rstudent, d),
                fixed(s.dffits, d),
                fixed(s.cook_d, d),
                fixed(s.cov_r, d),
                fixed(s.tau2_deleted, d),
                fixed(s.q_deleted, d),
                fixed(s.hat, d),
                fixed(s.weight, d),
                fixed(s.dfbetas, d),
                if s.influential() { "*" } else { "" }.to_string(),
            ]);
        }
        t.write(out)
    }
}
