//! The summaries of the small-study tests: the regression test (metafor `print.regtest`), the
//! rank correlation test (`print.ranktest`) and trim-and-fill (`print.rma` of a trimfill fit).

use super::number::{fixed, p_phrase};
use super::style::Style;
use super::Summarize;
use crate::bias::{
    EggerModel, MissingEstimator, RankPValue, RankTest, RegressionTest, Side, TrimFill,
};
use crate::pool::Pooler;
use std::fmt::{self, Write};

impl Summarize for RegressionTest {
    /// ```text
    /// Regression test for funnel plot asymmetry
    /// Model: mixed-effects meta-regression model; predictor: standard error
    /// Test for funnel plot asymmetry: z = -0.8379 (P = 0.4021)
    /// Limit estimate (as SE -> 0): b = -0.5063 (95% CI: -1.0950, 0.0823)
    /// ```
    fn write_summary(&self, out: &mut dyn Write, style: &Style) -> fmt::Result {
        let d = style.digits();
        let model = match self.model {
            EggerModel::MetaRegression(Pooler::Random(_)) => "mixed-effects meta-regression model",
            EggerModel::MetaRegression(_) => "fixed-effects meta-regression model",
            EggerModel::Classical(_) => "weighted regression with multiplicative dispersion",
        };
        writeln!(
            out,
            "Regression test for funnel plot asymmetry (k = {})",
            self.k
        )?;
        writeln!(out, "Model: {model}; predictor: standard error")?;
        let stat = match self.df {
            Some(df) => format!("t = {}, df = {df}", fixed(self.statistic, d)),
            None => format!("z = {}", fixed(self.statistic, d)),
        };
        writeln!(
            out,
            "Test for funnel plot asymmetry: {stat} ({})",
            p_phrase(self.p, style)
        )?;
        let level = match self.model {
            EggerModel::MetaRegression(p) => p.level(),
            EggerModel::Classical(l) => l,
        };
        writeln!(
            out,
            "Limit estimate (as SE -> 0): b = {} ({} CI: {}, {})",
            fixed(self.limit.estimate, d),
            super::number::level_percent(level.level()),
            fixed(self.limit.lower, d),
            fixed(self.limit.upper, d)
        )
    }
}

impl Summarize for RankTest {
    /// ```text
    /// Rank correlation test for funnel plot asymmetry (k = 13; exact p-value)
    /// Kendall's tau = 0.0256 (P = 0.9524)
    /// ```
    fn write_summary(&self, out: &mut dyn Write, style: &Style) -> fmt::Result {
        let how = match self.method {
            RankPValue::Exact => "exact p-value",
            RankPValue::NormalApproximation => "normal approximation, ties",
        };
        writeln!(
            out,
            "Rank correlation test for funnel plot asymmetry (k = {}; {how})",
            self.k
        )?;
        writeln!(
            out,
            "Kendall's tau = {} ({})",
            fixed(self.tau, style.digits()),
            p_phrase(self.p, style)
        )
    }
}

impl Summarize for TrimFill {
    /// ```text
    /// Trim-and-fill (L0): estimated number of missing studies on the right side: 1 (SE = 2.4528)
    ///
    /// <the summary of the fit to the observed and filled-in studies>
    /// ```
    fn write_summary(&self, out: &mut dyn Write, style: &Style) -> fmt::Result {
        let d = style.digits();
        let side = match self.side {
            Side::Left => "left",
            Side::Right => "right",
        };
        let est = match self.estimator {
            MissingEstimator::L0 => "L0",
            MissingEstimator::R0 => "R0",
        };
        write!(
            out,
            "Trim-and-fill ({est}): estimated number of missing studies on the {side} side: {} (SE = {})",
            self.k0,
            fixed(self.se_k0, d)
        )?;
        match self.p_k0 {
            Some(p) => writeln!(out, ", test of k0 = 0: {}", p_phrase(p, style))?,
            None => writeln!(out)?,
        }
        writeln!(out)?;
        self.fit.write_summary(out, style)?;
        if !self.filled.is_empty() {
            writeln!(
                out,
                "Filled-in studies ({}, analysis scale): {}",
                self.filled.len(),
                self.filled
                    .iter()
                    .map(|e| fixed(e.estimate(), d))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        Ok(())
    }
}
