//! `--format table`: what a RevMan or metafor user expects to read.

use super::text::{
    ci_text, heterogeneity_text, mantel_haenszel_text, model_text, overall_text, p_text,
    prediction_text,
};
use super::{choice_name, study_rows};
use crate::analysis::{AnalysisError, Group, Outcome, Settings, MISSING_DATA};
use crate::measure::Display;
use crate::pipeline::Sink;
use metapool::pool::Pooled;
use std::io::{self, Write};

/// `--format table`: what a RevMan or metafor user expects to read.
pub struct TableSink<'a, W: Write> {
    out: W,
    settings: &'a Settings,
    with_id: bool,
    digits: usize,
}

impl<'a, W: Write> TableSink<'a, W> {
    pub fn new(out: W, settings: &'a Settings, with_id: bool, digits: usize) -> Self {
        TableSink {
            out,
            settings,
            with_id,
            digits,
        }
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl<W: Write> Sink for TableSink<'_, W> {
    fn analysis(&mut self, g: &Group, o: &Result<Outcome, AnalysisError>) -> io::Result<()> {
        let s = self.settings;
        let d = self.digits;
        let out = &mut self.out;
        let level = (s.level.level() * 1e4).round() / 100.0;
        let title = if self.with_id {
            format!("Analysis `{}` ({})", g.id(), g.lines_text())
        } else {
            format!("Analysis ({})", g.lines_text())
        };
        let o = match o {
            Err(e) => {
                writeln!(out, "{title}: {}", s.measure.name())?;
                match e.line {
                    Some(l) => writeln!(out, "  error: line {l}: {}\n", e.message)?,
                    None => writeln!(out, "  error: {}\n", e.message)?,
                }
                return Ok(());
            }
            Ok(o) => o,
        };
        let ratio = if s.display == Display::Ratio {
            " (ratio scale)"
        } else if s.display == Display::Proportion {
            " (shown as proportions)"
        } else {
            ""
        };
        writeln!(
            out,
            "{title}: {}{ratio}, {}, {level}% CI",
            s.measure.name(),
            model_text(&o.main)
        )?;
        if let Some((choice, fixed, _)) = &o.auto {
            match fixed.pooled.heterogeneity.q_p {
                Some(qp) => writeln!(
                    out,
                    "Model selected: {} (Q test {}; random if P < {})",
                    choice_name(*choice),
                    p_text(qp),
                    s.rule.alpha()
                )?,
                None => writeln!(
                    out,
                    "Model selected: {} (no Q test with one study)",
                    choice_name(*choice)
                )?,
            }
        }
        let rows = study_rows(s, g.len(), o);
        let name_w = (0..g.len())
            .map(|i| g.name(i).chars().count())
            .chain(g.subgroup_names.iter().map(|n| n.chars().count()))
            .chain(std::iter::once(
                format!("Subtotal ({level}% CI)").chars().count(),
            ))
            .max()
            .unwrap_or(5)
            .clamp(14, 40);
        let ci_head = format!("{} [{level}% CI]", "Estimate");
        writeln!(
            out,
            "{:<name_w$}  {:>30}  {:>7}",
            "Study", ci_head, "Weight"
        )?;
        let study_line = |out: &mut W, i: usize| -> io::Result<()> {
            let r = &rows[i];
            let name: String = g
                .name(i)
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(name_w)
                .collect();
            match (r.estimate, r.ci_lower, r.ci_upper) {
                (Some(y), Some(lo), Some(hi)) => writeln!(
                    out,
                    "{name:<name_w$}  {:>30}  {:>6.1}%",
                    ci_text(r.scale, y, lo, hi, d),
                    r.weight.unwrap_or(0.0)
                ),
                _ => writeln!(
                    out,
                    "{name:<name_w$}  {:>30}  {:>7}",
                    match r.excluded {
                        Some(MISSING_DATA) => MISSING_DATA,
                        _ => "Not estimable",
                    },
                    ""
                ),
            }
        };
        let total_line = |out: &mut W, label: &str, p: &Pooled, w: f64| -> io::Result<()> {
            writeln!(
                out,
                "{label:<name_w$}  {:>30}  {:>6.1}%",
                ci_text(p.scale, p.estimate, p.ci_lower, p.ci_upper, d),
                w
            )
        };
        match &o.subgroups {
            None => {
                for i in 0..g.len() {
                    study_line(out, i)?;
                }
            }
            Some(sg) => {
                for f in &sg.fits {
                    writeln!(out, "{}", g.subgroup_names[f.index])?;
                    for &i in &f.members {
                        study_line(out, i)?;
                    }
                    let w: f64 = f.members.iter().filter_map(|&i| rows[i].weight).sum();
                    total_line(out, &format!("Subtotal ({level}% CI)"), &f.fit, w)?;
                    writeln!(out, "  {}", heterogeneity_text(&f.fit, d))?;
                    writeln!(out, "  {}", overall_text(&f.fit))?;
                }
            }
        }
        total_line(out, &format!("Total ({level}% CI)"), &o.main.pooled, 100.0)?;
        if let Some(pi) = prediction_text(&o.main.pooled, s.prediction, d) {
            writeln!(out, "{pi}")?;
        }
        writeln!(out, "{}", heterogeneity_text(&o.main.pooled, d))?;
        writeln!(out, "{}", overall_text(&o.main.pooled))?;
        for line in mantel_haenszel_text(&o.main.pooled, d) {
            writeln!(out, "{line}")?;
        }
        if let Some(r) = &o.robust {
            writeln!(out, "\nCluster-robust inference (--robust):\n\n{r}")?;
        }
        if let Some(sg) = &o.subgroups {
            let t = &sg.test;
            match t.q_p {
                Some(p) => writeln!(
                    out,
                    "Test for subgroup differences: Chi² = {:.2}, df = {} ({}), I² = {:.0}%",
                    t.q,
                    t.df,
                    p_text(p),
                    t.i2
                )?,
                None => writeln!(
                    out,
                    "Test for subgroup differences: not applicable (one subgroup)"
                )?,
            }
        }
        let excluded = o.set.excluded().len();
        if excluded > 0 {
            writeln!(
                out,
                "{excluded} stud{} not estimable (excluded)",
                if excluded == 1 { "y" } else { "ies" }
            )?;
        }
        let missing = o.left_out.iter().filter(|l| l.1 == MISSING_DATA).count();
        if missing > 0 {
            writeln!(
                out,
                "{missing} row{} with missing data (not estimable, left out)",
                if missing == 1 { "" } else { "s" }
            )?;
        }
        let dropped = o.left_out.len() - missing;
        if dropped > 0 {
            writeln!(
                out,
                "{dropped} stud{} dropped by --drop00 yes",
                if dropped == 1 { "y" } else { "ies" }
            )?;
        }
        for n in &o.notes {
            writeln!(out, "Note: {n}")?;
        }
        writeln!(out)
    }
}
