//! The output of `metapool regress`: the library's summary of each fit (metafor's
//! `print.rma` layout), one JSON object per analysis, or CSV rows (`csv.rs`).

use super::Regression;
use crate::analysis::{AnalysisError, Group, Settings};
use crate::json::{self, Analyses, Obj};
use crate::output::scale_name;
use crate::refit::{error_text, title};
use metapool::pool::Tau2Estimator;
use metapool::pool::Test;
use metapool::regression::{RegressionFit, RegressionModel};
use std::io::{self, Write};

/// `--format json` or `table`.
pub enum RegressSink<'a, W: Write> {
    Json {
        out: Analyses<W>,
        settings: &'a Settings,
        with_id: bool,
    },
    Table {
        out: W,
        with_id: bool,
    },
    Csv(Box<super::csv::RegressCsv<'a, W>>),
}

impl<W: Write> RegressSink<'_, W> {
    pub fn analysis(&mut self, g: &Group, r: &Result<Regression, AnalysisError>) -> io::Result<()> {
        match self {
            RegressSink::Json {
                out,
                settings,
                with_id,
            } => out.item(|b| json_analysis(b, settings, *with_id, g, r)),
            RegressSink::Table { out, with_id } => table(out, *with_id, g, r),
            RegressSink::Csv(c) => c.analysis(g, r),
        }
    }

    pub fn finish(self) -> io::Result<()> {
        match self {
            RegressSink::Json { out, .. } => out.finish(),
            RegressSink::Table { mut out, .. } => out.flush(),
            RegressSink::Csv(c) => c.finish(),
        }
    }
}

/// metafor's name of a test (`test = "z"`, `"t"`, `"knha"`, `"adhoc"`).
pub fn test_name(t: Test) -> &'static str {
    match t {
        Test::T => "t",
        Test::KnappHartung => "knha",
        Test::KnappHartungAdHoc => "adhoc",
        _ => "z",
    }
}

/// The fit statistics metafor reports for a fit: REML's under REML, ML's otherwise.
pub fn fit_statistics(f: &RegressionFit) -> metapool::regression::FitStatistics {
    match f.model() {
        RegressionModel::Random(Tau2Estimator::RestrictedMaximumLikelihood) => {
            f.fit_statistics_reml()
        }
        _ => f.fit_statistics_ml(),
    }
}

/// `coefficients: [{name, estimate, se, statistic, df, p, ci_lower, ci_upper}]` (`df` of a
/// t-based test, else null) and the omnibus test `qm, qm_df, qm_df2, qm_p` (shared by `regress`
/// and `mv`).
pub fn coefficients_json(
    o: &mut Obj<'_>,
    coefficients: &[metapool::regression::Coefficient],
    df: Option<usize>,
    qm: &metapool::regression::ModeratorTest,
) {
    json::array(o.key("coefficients"), coefficients, |c, b| {
        let mut o = Obj::open(b);
        o.str("name", &c.name);
        o.f64("estimate", c.estimate);
        o.f64("se", c.se);
        o.f64("statistic", c.statistic);
        o.opt_usize("df", df);
        o.f64("p", c.p);
        o.f64("ci_lower", c.ci_lower);
        o.f64("ci_upper", c.ci_upper);
        o.close();
    });
    o.f64("qm", qm.statistic);
    o.u64("qm_df", qm.df1 as u64);
    o.opt_usize("qm_df2", qm.df2);
    o.f64("qm_p", qm.p);
}

/// `id` (with --by), `first_line`, `last_line`, `measure`: the head of an analysis' JSON
/// object (shared by `regress` and `mv`).
pub fn analysis_header(o: &mut Obj<'_>, s: &Settings, with_id: bool, g: &Group) {
    o.opt_str("id", with_id.then(|| g.id()).as_deref());
    o.u64("first_line", g.first_line);
    o.u64("last_line", g.last_line);
    o.str("measure", s.measure.name());
}

/// `left_out: [{study, line, reason}]` (shared by `regress` and `mv`).
pub fn left_out_json(o: &mut Obj<'_>, g: &Group) {
    json::array(o.key("left_out"), &g.left_out, |&(row, why), b| {
        let mut o = Obj::open(b);
        o.str("study", g.name(row));
        o.u64("line", g.lines[row]);
        o.str("reason", why);
        o.close();
    });
}

fn json_analysis(
    b: &mut Vec<u8>,
    s: &Settings,
    with_id: bool,
    g: &Group,
    r: &Result<Regression, AnalysisError>,
) {
    let mut o = Obj::open(b);
    analysis_header(&mut o, s, with_id, g);
    let x = match r {
        Err(e) => {
            o.str("error", &error_text(e));
            o.close();
            return;
        }
        Ok(x) => x,
    };
    let f = &x.fit;
    o.str("scale", scale_name(f.scale()));
    o.str("model", x.model);
    o.str("method", x.method);
    o.str("test", test_name(f.test()));
    o.u64("k", f.k() as u64);
    o.u64("p", f.p() as u64);
    let df = (f.test() != Test::Z).then(|| f.k() - f.p());
    coefficients_json(&mut o, f.coefficients(), df, f.moderator_test());
    let res = f.residual();
    o.f64("qe", res.qe);
    o.u64("qe_df", res.df as u64);
    o.f64("qe_p", res.p);
    o.f64("tau2", res.tau2);
    o.opt_f64("tau2_se", res.tau2_fit.and_then(|t| t.se));
    o.f64("i2", res.i2);
    o.f64("h2", res.h2);
    o.opt_f64("r2", f.r2());
    let st = fit_statistics(f);
    o.f64("loglik", st.loglik);
    o.f64("deviance", st.deviance);
    o.f64("aic", st.aic);
    o.f64("bic", st.bic);
    o.f64("aicc", st.aicc);
    if let Some(r) = &x.robust {
        crate::robust::json_robust(&mut o, r);
    }
    if let Some(preds) = &x.predictions {
        json::array(o.key("predictions"), preds, |p, b| {
            let mut o = Obj::open(b);
            o.u64("line", p.line);
            let q = &p.prediction;
            o.f64("estimate", q.estimate);
            o.opt_f64("se", q.se);
            o.f64("ci_lower", q.ci_lower);
            o.f64("ci_upper", q.ci_upper);
            o.f64("pi_lower", q.pi_lower);
            o.f64("pi_upper", q.pi_upper);
            o.close();
        });
    }
    if let Some(perm) = &x.permutation {
        let b = o.key("permutation");
        let mut o = Obj::open(b);
        o.f64("qm_p", perm.qm_p);
        json::array(o.key("p"), &perm.p, |p, b| json::f64_value(b, *p));
        o.u64("permutations", perm.permutations);
        o.u64("failed", perm.failed);
        let b = o.key("exact");
        b.extend_from_slice(if perm.exact { b"true" } else { b"false" });
        o.close();
    }
    left_out_json(&mut o, g);
    o.opt_str("error", None);
    o.close();
}

/// The text of one analysis: its title and the library's summary of the fit.
fn table<W: Write>(
    out: &mut W,
    with_id: bool,
    g: &Group,
    r: &Result<Regression, AnalysisError>,
) -> io::Result<()> {
    let title = title(with_id, g);
    match r {
        Err(e) => writeln!(out, "{title}\n  error: {}\n", error_text(e)),
        Ok(x) => {
            writeln!(out, "{title}\n\n{}", x.fit)?;
            if let Some(r) = &x.robust {
                writeln!(out, "Cluster-robust inference (--robust):\n\n{r}")?;
            }
            if let Some(perm) = &x.permutation {
                writeln!(
                    out,
                    "Permutation test ({} permutations{}{}):\n  QM: p-val = {:.4}",
                    perm.permutations,
                    if perm.exact { ", exact" } else { "" },
                    if perm.failed > 0 {
                        format!(", {} fits failed", perm.failed)
                    } else {
                        String::new()
                    },
                    perm.qm_p
                )?;
                for (c, p) in x.fit.coefficients().iter().zip(&perm.p) {
                    writeln!(out, "  {}: p-val = {p:.4}", c.name)?;
                }
                writeln!(out)?;
            }
            if let Some(preds) = &x.predictions {
                writeln!(
                    out,
                    "Predicted values (--newmods):\n\n{:>6}  {:>8}  {:>7}  {:>8}  {:>8}  {:>8}  {:>8}",
                    "line", "pred", "se", "ci.lb", "ci.ub", "pi.lb", "pi.ub"
                )?;
                for p in preds {
                    let q = &p.prediction;
                    writeln!(
                        out,
                        "{:>6}  {:>8.4}  {:>7.4}  {:>8.4}  {:>8.4}  {:>8.4}  {:>8.4}",
                        p.line,
                        q.estimate,
                        q.se.unwrap_or(f64::NAN),
                        q.ci_lower,
                        q.ci_upper,
                        q.pi_lower,
                        q.pi_upper
                    )?;
                }
                writeln!(out)?;
            }
            for &(row, why) in &g.left_out {
                writeln!(
                    out,
                    "Left out: {} (line {}): {why}",
                    g.name(row),
                    g.lines[row]
                )?;
            }
            if !g.left_out.is_empty() {
                writeln!(out)?;
            }
            Ok(())
        }
    }
}
