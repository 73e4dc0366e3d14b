//! The summary of a subgroup analysis, as RevMan 5 lays it out: each subgroup's studies, its
//! subtotal, heterogeneity and test for the overall effect; the total; the test for subgroup
//! differences.

use super::number::{fixed, p_phrase, percent};
use super::pooled::{
    ci_header, heterogeneity_line, overall_line, study_rows, study_table, write_excluded_and_notes,
    Detail,
};
use super::style::Style;
use super::Summarize;
use crate::pool::{SubgroupModel, Subgroups};
use std::fmt::{self, Display, Write};

/// "Subgroup analysis: fixed effect within subgroups".
fn model_text(m: SubgroupModel) -> String {
    match m {
        SubgroupModel::Fixed => "fixed effect within subgroups".to_string(),
        SubgroupModel::RandomSeparate(e) => {
            format!(
                "random effects, tau² ({}) separate per subgroup",
                e.metafor_name()
            )
        }
        SubgroupModel::RandomCommon(e) => {
            format!(
                "random effects, tau² ({}) common to all subgroups",
                e.metafor_name()
            )
        }
    }
}

impl<G: Display> Summarize for Subgroups<G> {
    /// ```text
    /// Subgroup analysis: fixed effect within subgroups
    ///
    /// alternate
    /// Study ...                      (the subgroup's studies, weights of the total)
    /// Subtotal (95% CI)  0.4875 [0.4180, 0.5686]  27.18%
    /// Heterogeneity: Chi² = ..., df = 1 (P = ...); I² = ...
    /// Test for overall effect: Z = ... (P < .0001)
    /// ...
    /// Total (95% CI) ...
    /// Test for subgroup differences: Chi² = 19.8654, df = 2 (P < .0001); I² = 89.93%
    /// Residual heterogeneity within subgroups: Q = 132.3676, df = 10 (P < .0001)
    /// ```
    fn write_summary(&self, out: &mut dyn Write, style: &Style) -> fmt::Result {
        let d = style.digits();
        writeln!(out, "Subgroup analysis: {}", model_text(self.model))?;
        let total_rows = study_rows(&self.overall);
        let weight_of = |pos: usize| {
            total_rows
                .iter()
                .find(|r| r.position == pos)
                .map(|r| r.weight)
        };
        for g in &self.groups {
            writeln!(out)?;
            writeln!(out, "{}", g.label)?;
            let mut rows = study_rows(&g.pooled);
            for r in &mut rows {
                if let Some(w) = weight_of(r.position) {
                    r.weight = w;
                }
            }
            let share = if total_rows.is_empty() {
                100.0
            } else {
                rows.iter().map(|r| r.weight).sum()
            };
            let label = format!("Subtotal ({})", ci_header(&g.pooled));
            study_table(&g.pooled, &rows, (&label, share), style).write(out)?;
            write_excluded_and_notes(out, &g.pooled)?;
            writeln!(
                out,
                "{}",
                heterogeneity_line(&g.pooled, style, Detail::Full)
            )?;
            writeln!(out, "{}", overall_line(&g.pooled, style, Detail::Full))?;
        }
        for g in &self.not_estimable {
            writeln!(out)?;
            writeln!(out, "{g}: not estimable")?;
        }
        writeln!(out)?;
        let label = format!("Total ({})", ci_header(&self.overall));
        study_table(&self.overall, &[], (&label, 100.0), style).write(out)?;
        writeln!(
            out,
            "{}",
            heterogeneity_line(&self.overall, style, Detail::Full)
        )?;
        writeln!(out, "{}", overall_line(&self.overall, style, Detail::Full))?;
        let b = &self.between;
        match b.q_p {
            Some(p) => writeln!(
                out,
                "Test for subgroup differences: Chi² = {}, df = {} ({}); I² = {}",
                fixed(b.q, d),
                b.df,
                p_phrase(p, style),
                percent(b.i2, style)
            )?,
            None => writeln!(
                out,
                "Test for subgroup differences: not applicable (one subgroup)"
            )?,
        }
        let w = &self.within;
        if let Some(p) = w.q_p {
            writeln!(
                out,
                "Residual heterogeneity within subgroups: Q = {}, df = {} ({})",
                fixed(w.q, d),
                w.df,
                p_phrase(p, style)
            )?;
        }
        Ok(())
    }
}

impl<G: Display> Display for Subgroups<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let style = Style::from_formatter(f);
        self.write_summary(f, &style)
    }
}
