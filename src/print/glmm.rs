//! `Display` of a GLMM fit in the layout of metafor's `print.rma.glmm` (4 decimals).

use std::fmt;

use super::fixed;
use super::regression::{coefficient_table, moderator_line};
use super::style::Style;
use crate::glmm::{GlmmEffects, GlmmFit, HeterogeneityTest};
use crate::regression::Coefficient;
use std::fmt::Write as _;

fn pval(p: f64) -> String {
    if p < 1e-4 {
        "<.0001".to_owned()
    } else {
        fixed(p, 4)
    }
}

/// `< .0001` or `= 0.0123`, as metafor's `p-val` phrases.
fn p_phrase(p: f64) -> String {
    let p = pval(p);
    match p.strip_prefix('<') {
        Some(rest) => format!("< {rest}"),
        None => format!("= {p}"),
    }
}

fn test_line(f: &mut fmt::Formatter<'_>, name: &str, t: &HeterogeneityTest) -> fmt::Result {
    let p = p_phrase(t.p);
    writeln!(
        f,
        "{name}(df = {}) = {}, p-val {p}",
        t.df,
        fixed(t.statistic, 4)
    )
}

impl fmt::Display for GlmmFit {
    /// ```
    /// use metapool::glmm::{Glmm, GlmmData, GlmmModel};
    /// use metapool::effect::TwoByTwo;
    /// let tables = [(4, 123, 11, 139), (6, 306, 29, 303), (3, 231, 11, 220), (62, 13598, 248, 12867)]
    ///     .map(|(a, n1, c, n2)| TwoByTwo::new(a as f64, n1 as f64, c as f64, n2 as f64).unwrap());
    /// let fit = Glmm::random(GlmmModel::CmAl).fit(&GlmmData::Tables(tables.to_vec()))?;
    /// let text = fit.to_string();
    /// assert!(text.starts_with("Random-Effects Model (k = 4; tau^2 estimator: ML)"));
    /// assert!(text.contains("Model Type: Conditional Model with Approximate Likelihood"));
    /// assert!(text.contains("LRT(df = 3) = "));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int_only = self.coefficients.len() == 1;
        match (self.effects, int_only) {
            (GlmmEffects::Fixed, true) => write!(f, "Fixed-Effects Model (k = {})", self.k)?,
            (GlmmEffects::Fixed, false) => {
                write!(f, "Fixed-Effects with Moderators Model (k = {})", self.k)?
            }
            (GlmmEffects::Random, true) => write!(
                f,
                "Random-Effects Model (k = {}; tau^2 estimator: ML)",
                self.k
            )?,
            (GlmmEffects::Random, false) => write!(
                f,
                "Mixed-Effects Model (k = {}; tau^2 estimator: ML)",
                self.k
            )?,
        }
        writeln!(f)?;
        if let Some(m) = self.model {
            writeln!(f, "Model Type: {}", m.description())?;
        }
        writeln!(f)?;
        if self.effects == GlmmEffects::Random {
            let what = if int_only { "total" } else { "residual" };
            writeln!(
                f,
                "tau^2 (estimated amount of {what} heterogeneity): {}",
                fixed(self.tau2, 4)
            )?;
            writeln!(
                f,
                "tau (square root of estimated tau^2 value): {}",
                fixed(self.tau, 4)
            )?;
            writeln!(f)?;
        }
        if let Some(s2) = self.sigma2 {
            writeln!(
                f,
                "sigma^2 (estimated amount of study level variability): {}",
                fixed(s2, 4)
            )?;
            writeln!(
                f,
                "sigma (square root of estimated sigma^2 value): {}",
                fixed(s2.sqrt(), 4)
            )?;
            writeln!(f)?;
        }
        if self.wald_het.is_some() || self.lrt_het.is_some() {
            let what = if int_only {
                "Tests for Heterogeneity:"
            } else {
                "Tests for Residual Heterogeneity:"
            };
            writeln!(f, "{what}")?;
            if let Some(t) = &self.wald_het {
                test_line(f, "Wld", t)?;
            }
            if let Some(t) = &self.lrt_het {
                test_line(f, "LRT", t)?;
            }
            writeln!(f)?;
        }
        let style = Style::metafor();
        let mut out = String::new();
        if let Some(qm) = &self.moderators_test {
            writeln!(out, "Test of Moderators:")?;
            moderator_line(&mut out, qm, &style)?;
            writeln!(out)?;
        }
        writeln!(out, "Model Results:")?;
        writeln!(out)?;
        // an intercept-only model's row has no name (metafor)
        let blank: Vec<Coefficient>;
        let coefficients = if int_only {
            blank = self
                .coefficients
                .iter()
                .map(|c| Coefficient {
                    name: String::new(),
                    ..c.clone()
                })
                .collect();
            &blank
        } else {
            &self.coefficients
        };
        coefficient_table(&mut out, coefficients, self.df, &style)?;
        f.write_str(&out)?;
        Ok(())
    }
}
