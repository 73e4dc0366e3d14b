//! The summary of cluster-robust inference, laid out as metafor's `print.rma` prints the
//! robust part of a `robust.rma` object (without significance stars).

use super::number::{fixed, p_value};
use super::regression::{coefficient_ranges, p_with_sign};
use super::style::Style;
use super::Summarize;
use crate::robust::{RobustFit, RobustVariance};
use std::fmt::{self, Write};

/// A df as metafor prints it: whole numbers without decimals, others with 2.
fn df_text(df: f64) -> String {
    if df.fract() == 0.0 {
        format!("{df}")
    } else {
        fixed(df, 2)
    }
}

/// metafor's "Estimates per cluster": `2-7 (mean: 4.33, median: 4)`, or `1` when all are equal.
fn per_cluster(sizes: &[usize]) -> String {
    let mut s = sizes.to_vec();
    s.sort_unstable();
    let (lo, hi) = (s[0], s[s.len() - 1]);
    if lo == hi {
        return lo.to_string();
    }
    let mean = s.iter().sum::<usize>() as f64 / s.len() as f64;
    let n = s.len();
    let median = if n % 2 == 1 {
        s[n / 2] as f64
    } else {
        (s[n / 2 - 1] + s[n / 2]) as f64 / 2.0
    };
    format!("{lo}-{hi} (mean: {}, median: {})", fixed(mean, 2), median)
}

impl Summarize for RobustFit {
    /// ```text
    /// Number of estimates:   13
    /// Number of clusters:    3
    /// Estimates per cluster: 2-7 (mean: 4.33, median: 4)
    ///
    /// Test of Moderators (coefficient 2):¹
    /// F(df1 = 1, df2 = 1.52) = 41.6109, p-val = 0.0440
    ///
    /// Model Results:
    ///
    ///          estimate      se¹     tval¹    df¹    pval¹    ci.lb¹    ci.ub¹
    /// intrcpt    0.2515  0.0917    2.7422   1.69   0.1332   -0.2217    0.7246
    /// ablat     -0.0291  0.0045   -6.4507   1.52   0.0440   -0.0558   -0.0024
    ///
    /// 1) results based on cluster-robust inference (var-cov estimator: CR2,
    ///    approx t/F-tests and confidence intervals, df: Satterthwaite approx)
    /// ```
    fn write_summary(&self, out: &mut dyn Write, style: &Style) -> fmt::Result {
        let d = style.digits();
        writeln!(out, "Number of estimates:   {}", self.k())?;
        writeln!(out, "Number of clusters:    {}", self.clusters())?;
        writeln!(
            out,
            "Estimates per cluster: {}",
            per_cluster(self.cluster_sizes())
        )?;
        writeln!(out)?;
        let p = self.coefficients().len();
        let q = self.omnibus();
        if p > 1 {
            let which = if q.btt.len() == 1 {
                "coefficient"
            } else {
                "coefficients"
            };
            writeln!(
                out,
                "Test of Moderators ({which} {}):¹",
                coefficient_ranges(&q.btt)
            )?;
            let pv =
                q.p.map(|p| p_with_sign(p, style))
                    .unwrap_or_else(|| "= NA".into());
            writeln!(
                out,
                "F(df1 = {}, df2 = {}) = {}, p-val {pv}",
                q.df1,
                df_text(q.df2),
                fixed(q.statistic, d)
            )?;
            writeln!(out)?;
        }
        writeln!(out, "Model Results:")?;
        writeln!(out)?;
        let mut rows: Vec<Vec<String>> = vec![[
            "", "estimate", "se¹", "tval¹", "df¹", "pval¹", "ci.lb¹", "ci.ub¹",
        ]
        .map(String::from)
        .to_vec()];
        for c in self.coefficients() {
            rows.push(vec![
                if p > 1 { c.name.clone() } else { String::new() },
                fixed(c.estimate, d),
                fixed(c.se, d),
                fixed(c.statistic, d),
                df_text(c.df),
                p_value(c.p, style).replace("< ", "<"),
                fixed(c.ci_lower, d),
                fixed(c.ci_upper, d),
            ]);
        }
        let widths: Vec<usize> = (0..rows[0].len())
            .map(|j| rows.iter().map(|r| r[j].chars().count()).max().unwrap_or(0))
            .collect();
        for row in &rows {
            let mut line = format!("{:<w$}", row[0], w = widths[0]);
            for (cell, w) in row.iter().zip(&widths).skip(1) {
                let pad = w - cell.chars().count();
                line.push_str(&format!("  {}{cell}", " ".repeat(pad)));
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        writeln!(out)?;
        let (tests, df) = match (self.variance(), p > 1) {
            (RobustVariance::Cr1, true) => (
                "approx t/F-tests and confidence intervals",
                "residual method",
            ),
            (RobustVariance::Cr1, false) => {
                ("approx t-test and confidence interval", "residual method")
            }
            (_, true) => (
                "approx t/F-tests and confidence intervals",
                "Satterthwaite approx",
            ),
            (_, false) => (
                "approx t-test and confidence interval",
                "Satterthwaite approx",
            ),
        };
        writeln!(
            out,
            "1) results based on cluster-robust inference (var-cov estimator: {},",
            self.variance()
        )?;
        writeln!(out, "   {tests}, df: {df})")
    }
}
