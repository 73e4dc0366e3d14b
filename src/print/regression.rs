//! The summary of a meta-regression, laid out as metafor's `print.rma` prints an `rma(mods =
//! ...)` fit (without significance stars).

use super::number::{fixed, p_value, percent};
use super::style::Style;
use super::Summarize;
use crate::regression::{RegressionFit, RegressionModel};
use std::fmt::{self, Write};

impl Summarize for RegressionFit {
    /// ```text
    /// Mixed-Effects Model (k = 13; tau² estimator: REML)
    ///
    /// tau² (estimated amount of residual heterogeneity):     0.1446 (SE = 0.1124)
    /// tau (square root of estimated tau² value):             0.3803
    /// I² (residual heterogeneity / unaccounted variability): 70.11%
    /// H² (unaccounted variability / sampling variability):   3.35
    /// R² (amount of heterogeneity accounted for):            53.84%
    ///
    /// Test for Residual Heterogeneity:
    /// QE(df = 9) = 26.2034, p-val = 0.0019
    ///
    /// Test of Moderators (coefficients 2:4):
    /// QM(df = 3) = 11.0605, p-val = 0.0114
    ///
    /// Model Results:
    ///
    ///                  estimate      se     zval    pval    ci.lb    ci.ub
    /// intrcpt            0.2932  0.4050   0.7239  0.4691  -0.5006   1.0870
    /// ...
    /// ```
    fn write_summary(&self, out: &mut dyn Write, style: &Style) -> fmt::Result {
        let d = style.digits();
        let r = self.residual();
        match self.model() {
            RegressionModel::Fixed => writeln!(
                out,
                "Fixed-Effects with Moderators Model (k = {})",
                self.k()
            )?,
            RegressionModel::Random(e) => writeln!(
                out,
                "Mixed-Effects Model (k = {}; tau² estimator: {})",
                self.k(),
                e.metafor_name()
            )?,
            RegressionModel::KnownTau2(_) => {
                writeln!(out, "Mixed-Effects Model (k = {}; tau² fixed)", self.k())?
            }
        }
        writeln!(out)?;
        if self.model() != RegressionModel::Fixed {
            let se = r
                .tau2_fit
                .and_then(|f| f.se)
                .map(|s| format!(" (SE = {})", fixed(s, d)))
                .unwrap_or_default();
            writeln!(
                out,
                "tau² (estimated amount of residual heterogeneity):     {}{se}",
                fixed(r.tau2, d)
            )?;
            writeln!(
                out,
                "tau (square root of estimated tau² value):             {}",
                fixed(r.tau2.sqrt(), d)
            )?;
        }
        writeln!(
            out,
            "I² (residual heterogeneity / unaccounted variability): {}",
            percent(r.i2, style)
        )?;
        writeln!(
            out,
            "H² (unaccounted variability / sampling variability):   {}",
            fixed(r.h2, d.min(2))
        )?;
        if let Some(r2) = self.r2() {
            writeln!(
                out,
                "R² (amount of heterogeneity accounted for):            {}",
                percent(r2, style)
            )?;
        }
        writeln!(out)?;
        writeln!(out, "Test for Residual Heterogeneity:")?;
        writeln!(
            out,
            "QE(df = {}) = {}, p-val {}",
            r.df,
            fixed(r.qe, d),
            p_with_sign(r.p, style)
        )?;
        writeln!(out)?;
        let qm = self.moderator_test();
        let btt = coefficient_ranges(&qm.btt);
        writeln!(out, "Test of Moderators (coefficients {btt}):")?;
        match qm.df2 {
            Some(df2) => writeln!(
                out,
                "F(df1 = {}, df2 = {df2}) = {}, p-val {}",
                qm.df1,
                fixed(qm.statistic, d),
                p_with_sign(qm.p, style)
            )?,
            None => writeln!(
                out,
                "QM(df = {}) = {}, p-val {}",
                qm.df1,
                fixed(qm.statistic, d),
                p_with_sign(qm.p, style)
            )?,
        }
        writeln!(out)?;
        writeln!(out, "Model Results:")?;
        writeln!(out)?;
        // t-based tests add the df column after the statistic (metafor)
        let t = self.test().is_t();
        let df = (self.k() - self.p()).to_string();
        let mut header: Vec<String> = vec![String::new(), "estimate".into(), "se".into()];
        header.push(if t { "tval" } else { "zval" }.into());
        if t {
            header.push("df".into());
        }
        header.extend(["pval", "ci.lb", "ci.ub"].map(String::from));
        let mut rows: Vec<Vec<String>> = vec![header];
        for c in self.coefficients() {
            let mut row = vec![
                c.name.clone(),
                fixed(c.estimate, d),
                fixed(c.se, d),
                fixed(c.statistic, d),
            ];
            if t {
                row.push(df.clone());
            }
            // metafor's tables write "<.0001" without the space of its test lines
            row.push(p_value(c.p, style).replace("< ", "<"));
            row.push(fixed(c.ci_lower, d));
            row.push(fixed(c.ci_upper, d));
            rows.push(row);
        }
        let cols = rows[0].len();
        let widths: Vec<usize> = (0..cols)
            .map(|j| rows.iter().map(|r| r[j].chars().count()).max().unwrap_or(0))
            .collect();
        for row in &rows {
            let mut line = format!("{:<w$}", row[0], w = widths[0]);
            for (cell, w) in row.iter().zip(&widths).skip(1) {
                line.push_str(&format!("  {cell:>w$}"));
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// 1-based coefficient numbers as metafor writes them: runs of consecutive numbers as `a:b`,
/// separated by commas (`[1, 2, 3]` -> `"2:4"`, `[1, 3]` -> `"2,4"`).
pub(super) fn coefficient_ranges(btt: &[usize]) -> String {
    let mut b: Vec<usize> = btt.iter().map(|j| j + 1).collect();
    b.sort_unstable();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let mut j = i;
        while j + 1 < b.len() && b[j + 1] == b[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}:{}", b[i], b[j])
        } else {
            b[i].to_string()
        });
        i = j + 1;
    }
    parts.join(",")
}

/// `"= 0.0019"` or `"< .0001"`.
pub(super) fn p_with_sign(p: f64, style: &Style) -> String {
    let v = p_value(p, style);
    if v.starts_with('<') {
        v
    } else {
        format!("= {v}")
    }
}
