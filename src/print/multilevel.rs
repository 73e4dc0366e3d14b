//! The summary of a multilevel or multivariate model, laid out as metafor's `print.rma.mv`
//! prints an `rma.mv` fit (without significance stars).

use super::number::fixed;
use super::regression::{coefficient_ranges, coefficient_table, moderator_line, p_with_sign};
use super::style::Style;
use super::Summarize;
use crate::multilevel::MultilevelFit;
use std::fmt::{self, Write};

impl Summarize for MultilevelFit {
    /// ```text
    /// Multivariate Meta-Analysis Model (k = 56; method: REML)
    ///
    ///   logLik  Deviance       AIC       BIC      AICc
    ///  -7.9587   15.9174   21.9174   27.9394   22.3880
    ///
    /// Variance Components:
    ///
    ///             estim    sqrt  nlvls  fixed  factor
    /// sigma^2.1  0.0651  0.2551     11     no  district
    /// sigma^2.2  0.0327  0.1809     56     no  district/school
    ///
    /// Test for Heterogeneity:
    /// Q(df = 55) = 578.8640, p-val < .0001
    ///
    /// Model Results:
    ///
    ///          estimate      se    zval    pval   ci.lb   ci.ub
    /// intrcpt    0.1847  0.0846  2.1845  0.0289  0.0190  0.3504
    /// ```
    fn write_summary(&self, out: &mut dyn Write, style: &Style) -> fmt::Result {
        let d = style.digits();
        writeln!(
            out,
            "Multivariate Meta-Analysis Model (k = {}; method: {})",
            self.k(),
            self.method().metafor_name()
        )?;
        writeln!(out)?;
        let fs = self.fit_statistics();
        let cells = [fs.loglik, fs.deviance, fs.aic, fs.bic, fs.aicc].map(|v| fixed(v, d));
        let heads = ["logLik", "Deviance", "AIC", "BIC", "AICc"];
        let w: Vec<usize> = heads
            .iter()
            .zip(&cells)
            .map(|(h, c)| h.len().max(c.len()))
            .collect();
        let line = |v: &[String]| {
            v.iter()
                .zip(&w)
                .map(|(c, w)| format!("{c:>w$}"))
                .collect::<Vec<_>>()
                .join("  ")
        };
        writeln!(out, "{}", line(&heads.map(String::from)))?;
        writeln!(out, "{}", line(&cells))?;
        writeln!(out)?;
        writeln!(out, "Variance Components:")?;
        writeln!(out)?;
        let mut rows = vec![["", "estim", "sqrt", "nlvls", "factor"].map(String::from)];
        for c in self.components() {
            let name = c
                .name
                .replacen("sigma2", "sigma^2", 1)
                .replacen("tau2", "tau^2", 1);
            let sqrt = if c.name.starts_with("rho") {
                String::new()
            } else {
                fixed(c.estimate.sqrt(), d)
            };
            let groups = if c.groups > 0 {
                c.groups.to_string()
            } else {
                String::new()
            };
            rows.push([name, fixed(c.estimate, d), sqrt, groups, c.level.clone()]);
        }
        let widths: Vec<usize> = (0..5)
            .map(|j| rows.iter().map(|r| r[j].chars().count()).max().unwrap_or(0))
            .collect();
        for r in &rows {
            let mut l = format!("{:<w$}", r[0], w = widths[0]);
            for j in 1..4 {
                l.push_str(&format!("  {:>w$}", r[j], w = widths[j]));
            }
            l.push_str(&format!("  {}", r[4]));
            writeln!(out, "{}", l.trim_end())?;
        }
        writeln!(out)?;
        let r = self.residual_test();
        let mods = self.p() > 1 || !self.model_matrix().has_intercept();
        let (title, q) = if mods {
            ("Test for Residual Heterogeneity:", "QE")
        } else {
            ("Test for Heterogeneity:", "Q")
        };
        writeln!(out, "{title}")?;
        writeln!(
            out,
            "{q}(df = {}) = {}, p-val {}",
            r.df,
            fixed(r.qe, d),
            p_with_sign(r.p, style)
        )?;
        writeln!(out)?;
        if mods {
            let qm = self.moderator_test();
            let btt = coefficient_ranges(&qm.btt);
            let noun = if qm.btt.len() > 1 {
                "coefficients"
            } else {
                "coefficient"
            };
            writeln!(out, "Test of Moderators ({noun} {btt}):")?;
            moderator_line(out, qm, style)?;
            writeln!(out)?;
        }
        writeln!(out, "Model Results:")?;
        writeln!(out)?;
        coefficient_table(
            out,
            self.coefficients(),
            self.test().is_t().then(|| self.k() - self.p()),
            style,
        )
    }
}
