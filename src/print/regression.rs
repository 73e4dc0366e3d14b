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
        let btt = qm
            .btt
            .iter()
            .map(|j| (j + 1).to_string())
            .collect::<Vec<_>>()
            .join(",");
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
        let stat = if self.test().is_t() { "tval" } else { "zval" };
        let mut rows: Vec<[String; 7]> = vec![[
            String::new(),
            "estimate".into(),
            "se".into(),
            stat.into(),
            "pval".into(),
            "ci.lb".into(),
            "ci.ub".into(),
        ]];
        for c in self.coefficients() {
            rows.push([
                c.name.clone(),
                fixed(c.estimate, d),
                fixed(c.se, d),
                fixed(c.statistic, d),
                p_value(c.p, style),
                fixed(c.ci_lower, d),
                fixed(c.ci_upper, d),
            ]);
        }
        let widths: Vec<usize> = (0..7)
            .map(|j| rows.iter().map(|r| r[j].chars().count()).max().unwrap_or(0))
            .collect();
        for row in &rows {
            let mut line = format!("{:<w$}", row[0], w = widths[0]);
            for j in 1..7 {
                line.push_str(&format!("  {:>w$}", row[j], w = widths[j]));
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// `"= 0.0019"` or `"< .0001"`.
fn p_with_sign(p: f64, style: &Style) -> String {
    let v = p_value(p, style);
    if v.starts_with('<') {
        v
    } else {
        format!("= {v}")
    }
}
