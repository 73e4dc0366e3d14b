//! The summary of the model rule's selection: which model the Q test chose and why, the chosen
//! fit's summary, and the other fit's pooled row.

use super::number::{estimate_ci, fixed, p_phrase};
use super::pooled::{ci_header, model_line};
use super::style::Style;
use super::Summarize;
use crate::pool::{ModelChoice, Selection};
use std::fmt::{self, Write};

impl Summarize for Selection {
    /// ```text
    /// Model rule: random effects (heterogeneity P < .0001, below alpha = 0.1)
    ///
    /// <the summary of the chosen fit>
    ///
    /// Not chosen: Fixed-effect model (k = 13; inverse variance): 0.6503 [0.6011, 0.7035] (95% CI)
    /// ```
    fn write_summary(&self, out: &mut dyn Write, style: &Style) -> fmt::Result {
        let alpha = fixed(self.alpha, 4);
        let alpha = alpha.trim_end_matches('0');
        let chosen = match self.choice {
            ModelChoice::Fixed => "fixed effect",
            ModelChoice::Random => "random effects",
        };
        match self.q_p {
            Some(p) => {
                let side = match self.choice {
                    ModelChoice::Random => "below",
                    ModelChoice::Fixed => "not below",
                };
                writeln!(
                    out,
                    "Model rule: {chosen} (heterogeneity {}, {side} alpha = {alpha})",
                    p_phrase(p, style)
                )?;
            }
            None => writeln!(
                out,
                "Model rule: {chosen} (one study: no heterogeneity test)"
            )?,
        }
        writeln!(out)?;
        self.selected().write_summary(out, style)?;
        let other = match self.choice {
            ModelChoice::Fixed => &self.random,
            ModelChoice::Random => &self.fixed,
        };
        writeln!(out)?;
        writeln!(
            out,
            "Not chosen: {}: {} ({}), {}",
            model_line(other),
            estimate_ci(
                other.scale,
                other.estimate,
                other.ci_lower,
                other.ci_upper,
                style.digits()
            ),
            ci_header(other),
            p_phrase(other.p, style)
        )
    }
}
