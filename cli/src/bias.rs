//! `metapool bias`: small-study effects of each analysis: Egger's regression test, Begg and
//! Mazumdar's rank correlation test and Duval and Tweedie's trim-and-fill (the library's `bias`
//! module; metafor's `regtest`, `ranktest` and `trimfill`), and the funnel plot.

use crate::analysis::{AnalysisError, Group, Settings};
use crate::args::{BiasArgs, EggerArg, SideArg, TrimFillArg};
use crate::json::{self, Analyses, Obj};
use crate::output::{ci_text, p_text, plot_path};
use crate::refit::{heading, json_head, refit, Refit};
use metapool::bias::{
    rank_test, regression_test, trim_and_fill, EggerModel, MissingEstimator, RankPValue, RankTest,
    RegressionTest, Side, SideRule, TrimFill, TrimFillOptions,
};
use metapool::effect::Scale;
use metapool::plot::funnel::{Funnel, FunnelStyle, TickLabels};
use std::io::{self, Write};
use std::path::Path;

/// The options of the three tests.
pub struct Options {
    classical: bool,
    trim_fill: TrimFillOptions,
}

impl Options {
    pub fn from_args(a: &BiasArgs, _s: &Settings) -> Options {
        Options {
            classical: a.egger_model == EggerArg::Classical,
            trim_fill: TrimFillOptions {
                estimator: match a.trimfill_estimator {
                    TrimFillArg::L0 => MissingEstimator::L0,
                    TrimFillArg::R0 => MissingEstimator::R0,
                },
                side: match a.side {
                    None => SideRule::Estimate,
                    Some(SideArg::Left) => SideRule::Given(Side::Left),
                    Some(SideArg::Right) => SideRule::Given(Side::Right),
                },
                ..TrimFillOptions::default()
            },
        }
    }
}

/// The tests of one analysis; a test that cannot be computed (e.g. fewer than 3 studies) holds
/// the reason.
pub struct Bias {
    pub refit: Refit,
    pub egger: Result<RegressionTest, String>,
    pub begg: Result<RankTest, String>,
    pub trim_fill: Result<TrimFill, String>,
}

pub fn run(s: &Settings, opts: &Options, g: &Group) -> Result<Bias, AnalysisError> {
    let r = refit(s, g)?;
    let text = |e: metapool::Error| e.to_string();
    let model = if opts.classical {
        EggerModel::Classical(s.level)
    } else {
        EggerModel::MetaRegression(r.pooler)
    };
    Ok(Bias {
        egger: regression_test(&r.set, model).map_err(text),
        begg: rank_test(&r.set).map_err(text),
        trim_fill: trim_and_fill(&r.pooler, &r.set, opts.trim_fill).map_err(text),
        refit: r,
    })
}

/// Write the funnel plot of an analysis (with the filled-in studies when trim-and-fill ran).
pub fn write_funnel(path: &Path, with_id: bool, g: &Group, b: &Bias) -> io::Result<()> {
    let set = &b.refit.set;
    let funnel = match &b.trim_fill {
        Ok(tf) => Funnel::trim_and_fill(set, tf),
        Err(_) => b
            .refit
            .pooler
            .pool(set)
            .and_then(|fit| Funnel::new(set, &fit)),
    };
    let style = FunnelStyle {
        title: with_id.then(|| g.id()),
        tick_labels: match set.scale() {
            Scale::Log => TickLabels::Display,
            _ => TickLabels::Analysis,
        },
        ..FunnelStyle::default()
    };
    let svg = funnel.and_then(|f| f.to_svg(&style));
    match svg {
        Ok(svg) => std::fs::write(plot_path(path, with_id, g, "funnel"), svg),
        // An analysis that cannot be plotted (e.g. one study) has no funnel file.
        Err(_) => Ok(()),
    }
}

/// `--format json` or `table`.
pub enum BiasSink<'a, W: Write> {
    Json {
        out: Analyses<W>,
        settings: &'a Settings,
        with_id: bool,
    },
    Table {
        out: W,
        with_id: bool,
        digits: usize,
    },
}

impl<W: Write> BiasSink<'_, W> {
    pub fn analysis(&mut self, g: &Group, r: &Result<Bias, AnalysisError>) -> io::Result<()> {
        match self {
            BiasSink::Json {
                out,
                settings,
                with_id,
            } => out.item(|b| json_analysis(b, settings, *with_id, g, r)),
            BiasSink::Table {
                out,
                with_id,
                digits,
            } => table(out, *with_id, *digits, g, r),
        }
    }

    pub fn finish(self) -> io::Result<()> {
        match self {
            BiasSink::Json { out, .. } => out.finish(),
            BiasSink::Table { mut out, .. } => out.flush(),
        }
    }
}

fn side_name(s: Side) -> &'static str {
    match s {
        Side::Left => "left",
        Side::Right => "right",
    }
}

/// A test's object, or `null` and a note with the reason.
fn test<T>(
    o: &mut Obj<'_>,
    name: &str,
    r: &Result<T, String>,
    notes: &mut Vec<String>,
    write: impl FnOnce(&T, &mut Obj<'_>),
) {
    match r {
        Ok(x) => {
            let mut t = Obj::open(o.key(name));
            write(x, &mut t);
            t.close();
        }
        Err(e) => {
            json::null(o.key(name));
            notes.push(format!("{name}: {e}"));
        }
    }
}

fn json_analysis(
    b: &mut Vec<u8>,
    s: &Settings,
    with_id: bool,
    g: &Group,
    r: &Result<Bias, AnalysisError>,
) {
    let Some((mut o, x)) = json_head(b, s, with_id, g, r, |x: &Bias| &x.refit) else {
        return;
    };
    let f = &x.refit;
    let mut notes = f.notes.clone();
    test(&mut o, "egger", &x.egger, &mut notes, |e, t| {
        t.str(
            "model",
            match e.model {
                EggerModel::Classical(_) => "classical",
                _ => "mixed",
            },
        );
        t.f64("statistic", e.statistic);
        t.opt_usize("df", e.df);
        t.f64("p", e.p);
        t.f64("slope", e.slope);
        t.f64("slope_se", e.slope_se);
        t.f64("limit_estimate", e.limit.estimate);
        t.f64("limit_ci_lower", e.limit.lower);
        t.f64("limit_ci_upper", e.limit.upper);
        t.f64("tau2", e.tau2);
    });
    test(&mut o, "begg", &x.begg, &mut notes, |r, t| {
        t.f64("tau", r.tau);
        t.f64("score", r.score);
        t.f64("p", r.p);
        t.str(
            "p_method",
            match r.method {
                RankPValue::Exact => "exact",
                RankPValue::NormalApproximation => "normal",
            },
        );
    });
    test(
        &mut o,
        "trim_and_fill",
        &x.trim_fill,
        &mut notes,
        |tf, t| {
            t.u64("k0", tf.k0 as u64);
            t.str("side", side_name(tf.side));
            t.str(
                "estimator",
                match tf.estimator {
                    MissingEstimator::L0 => "L0",
                    MissingEstimator::R0 => "R0",
                },
            );
            t.f64("se_k0", tf.se_k0);
            t.opt_f64("p_k0", tf.p_k0);
            let p = &tf.fit;
            t.u64("k", p.k as u64);
            t.f64("estimate", p.estimate);
            t.f64("se", p.se);
            t.f64("ci_lower", p.ci_lower);
            t.f64("ci_upper", p.ci_upper);
            t.f64("z", p.statistic);
            t.f64("p", p.p);
            t.f64("q", p.heterogeneity.q);
            t.f64("tau2", p.heterogeneity.tau2);
            t.f64("i2", p.heterogeneity.i2);
            json::array(t.key("filled"), &tf.filled, |e, b| {
                let mut o = Obj::open(b);
                o.f64("estimate", e.estimate());
                o.f64("se", e.se());
                o.close();
            });
        },
    );
    json::array(o.key("notes"), &notes, |n, b| json::str_value(b, n));
    o.close();
}

fn table<W: Write>(
    out: &mut W,
    with_id: bool,
    d: usize,
    g: &Group,
    r: &Result<Bias, AnalysisError>,
) -> io::Result<()> {
    let Some(x) = heading(out, with_id, g, r, |x| &x.refit)? else {
        return Ok(());
    };
    let f = &x.refit;
    let scale = f.set.scale();
    match &x.egger {
        Ok(e) => {
            let stat = match e.df {
                Some(df) => format!("t = {:.4}, df = {df}", e.statistic),
                None => format!("z = {:.4}", e.statistic),
            };
            writeln!(
                out,
                "Regression test for funnel plot asymmetry ({}): {stat}, {}",
                match e.model {
                    EggerModel::Classical(_) => "classical Egger, weighted regression",
                    _ => "mixed-effects meta-regression on the SE",
                },
                p_text(e.p)
            )?;
            writeln!(
                out,
                "  Limit estimate (as se -> 0): {}",
                ci_text(scale, e.limit.estimate, e.limit.lower, e.limit.upper, d)
            )?;
        }
        Err(e) => writeln!(out, "Regression test: not available: {e}")?,
    }
    match &x.begg {
        Ok(r) => writeln!(
            out,
            "Rank correlation test for funnel plot asymmetry: Kendall's tau = {:.4}, {}{}",
            r.tau,
            p_text(r.p),
            if r.method == RankPValue::Exact {
                " (exact)"
            } else {
                " (normal approximation, ties)"
            }
        )?,
        Err(e) => writeln!(out, "Rank correlation test: not available: {e}")?,
    }
    match &x.trim_fill {
        Ok(tf) => {
            writeln!(
                out,
                "Trim and fill ({:?}): estimated number of missing studies on the {} side: {} \
                 (SE = {:.4})",
                tf.estimator,
                side_name(tf.side),
                tf.k0,
                tf.se_k0
            )?;
            let p = &tf.fit;
            writeln!(
                out,
                "  Adjusted estimate (k = {}): {} ({}); tau² = {:.4}, I² = {:.0}%",
                p.k,
                ci_text(scale, p.estimate, p.ci_lower, p.ci_upper, d),
                p_text(p.p),
                p.heterogeneity.tau2,
                p.heterogeneity.i2
            )?;
        }
        Err(e) => writeln!(out, "Trim and fill: not available: {e}")?,
    }
    for n in &f.notes {
        writeln!(out, "Note: {n}")?;
    }
    writeln!(out)
}
