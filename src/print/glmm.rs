//! `Display` of a GLMM fit in the layout of metafor's `print.rma.glmm` (4 decimals).

use std::fmt;

use super::fixed;
use crate::glmm::{GlmmEffects, GlmmFit, HeterogeneityTest};

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
        if let Some(t) = &self.moderators_test {
            writeln!(f, "Test of Moderators:")?;
            let p = p_phrase(t.p);
            writeln!(
                f,
                "QM(df = {}) = {}, p-val {p}",
                t.df,
                fixed(t.statistic, 4)
            )?;
            writeln!(f)?;
        }
        writeln!(f, "Model Results:")?;
        writeln!(f)?;
        let rows: Vec<[String; 7]> = self
            .coefficients
            .iter()
            .map(|c| {
                [
                    if int_only {
                        String::new()
                    } else {
                        c.name.clone()
                    },
                    fixed(c.estimate, 4),
                    fixed(c.se, 4),
                    fixed(c.z, 4),
                    pval(c.p),
                    fixed(c.ci_lower, 4),
                    fixed(c.ci_upper, 4),
                ]
            })
            .collect();
        let head = ["", "estimate", "se", "zval", "pval", "ci.lb", "ci.ub"];
        let width: Vec<usize> = (0..7)
            .map(|j| {
                rows.iter()
                    .map(|r| r[j].len())
                    .chain([head[j].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: [&str; 7]| {
            let mut s = String::new();
            for (j, c) in cells.iter().enumerate() {
                if j == 0 {
                    if width[0] > 0 {
                        s.push_str(&format!("{c:<w$}  ", w = width[0]));
                    }
                } else {
                    s.push_str(&format!("{c:>w$}  ", w = width[j]));
                }
            }
            s.trim_end().to_owned()
        };
        writeln!(f, "{}", line(head))?;
        for r in &rows {
            writeln!(
                f,
                "{}",
                line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6]])
            )?;
        }
        Ok(())
    }
}
