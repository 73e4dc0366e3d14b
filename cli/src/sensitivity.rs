//! `metapool sensitivity`: leave-one-out, cumulative and influence diagnostics of each analysis
//! (the library's `sensitivity` module, metafor's `leave1out`, `cumul` and `influence`).

use crate::analysis::{AnalysisError, Group, Settings};
use crate::json::{self, Analyses, Obj};
use crate::output::{ci_text, p_text};
use crate::refit::{heading, json_head, refit, Refit};
use metapool::pool::Pooled;
use metapool::sensitivity::{
    cumulative, cumulative_by, influence, leave_one_out, CumulativeStep, Direction, Influence,
    LeaveOneOut,
};
use std::io::{self, Write};

/// The diagnostics of one analysis; a section that cannot be computed (e.g. one study) holds
/// the reason.
pub struct Sensitivity {
    pub refit: Refit,
    pub leave_one_out: Result<Vec<LeaveOneOut>, String>,
    pub cumulative: Result<Vec<CumulativeStep>, String>,
    pub influence: Result<Influence, String>,
}

/// Compute the diagnostics of an analysis. `ordered`: cumulate in the order of the `--order`
/// keys instead of the file order.
pub fn run(s: &Settings, g: &Group, ordered: bool) -> Result<Sensitivity, AnalysisError> {
    let r = refit(s, g)?;
    let text = |e: metapool::Error| e.to_string();
    let leave_one_out = leave_one_out(&r.pooler, &r.set).map_err(text);
    let cumulative = if ordered {
        cumulative_by(&r.pooler, &r.set, &g.order_keys, Direction::Ascending)
    } else {
        cumulative(&r.pooler, &r.set)
    }
    .map_err(text);
    let influence = influence(&r.pooler, &r.set).map_err(text);
    Ok(Sensitivity {
        refit: r,
        leave_one_out,
        cumulative,
        influence,
    })
}

/// `--format json` or `table`.
pub enum SensitivitySink<'a, W: Write> {
    Json {
        out: Analyses<W>,
        settings: &'a Settings,
        with_id: bool,
        order: Option<&'a str>,
    },
    Table {
        out: W,
        with_id: bool,
        digits: usize,
        order: Option<&'a str>,
    },
}

/// The statistics of a re-fit shared by leave-one-out and cumulative rows.
fn fit_fields(o: &mut Obj<'_>, p: &Pooled) {
    o.u64("k", p.k as u64);
    o.f64("estimate", p.estimate);
    o.f64("se", p.se);
    o.f64("ci_lower", p.ci_lower);
    o.f64("ci_upper", p.ci_upper);
    o.f64("z", p.statistic);
    o.f64("p", p.p);
    o.f64("q", p.heterogeneity.q);
    o.opt_f64("q_p", p.heterogeneity.q_p);
    o.f64("tau2", p.heterogeneity.tau2);
    o.f64("i2", p.heterogeneity.i2);
}

/// A section: its rows, or `null` and a note with the reason.
fn section<T>(
    o: &mut Obj<'_>,
    name: &str,
    rows: &Result<Vec<T>, String>,
    notes: &mut Vec<String>,
    write: impl Fn(&T, &mut Vec<u8>),
) {
    match rows {
        Ok(v) => json::array(o.key(name), v, write),
        Err(e) => {
            json::null(o.key(name));
            notes.push(format!("{name}: {e}"));
        }
    }
}

impl<W: Write> SensitivitySink<'_, W> {
    pub fn analysis(
        &mut self,
        g: &Group,
        r: &Result<Sensitivity, AnalysisError>,
    ) -> io::Result<()> {
        match self {
            SensitivitySink::Json {
                out,
                settings,
                with_id,
                order,
            } => out.item(|b| json_analysis(b, settings, *with_id, *order, g, r)),
            SensitivitySink::Table {
                out,
                with_id,
                digits,
                order,
            } => table(out, *with_id, *digits, *order, g, r),
        }
    }

    pub fn finish(self) -> io::Result<()> {
        match self {
            SensitivitySink::Json { out, .. } => out.finish(),
            SensitivitySink::Table { mut out, .. } => out.flush(),
        }
    }
}

fn json_analysis(
    b: &mut Vec<u8>,
    s: &Settings,
    with_id: bool,
    order: Option<&str>,
    g: &Group,
    r: &Result<Sensitivity, AnalysisError>,
) {
    let Some((mut o, x)) = json_head(b, s, with_id, g, r, |x: &Sensitivity| &x.refit) else {
        return;
    };
    let f = &x.refit;
    let mut notes = f.notes.clone();
    let study = |o: &mut Obj<'_>, i: usize| {
        o.str("study", f.name(g, i));
        o.u64("line", f.line(g, i));
    };
    section(
        &mut o,
        "leave_one_out",
        &x.leave_one_out,
        &mut notes,
        |l, b| {
            let mut o = Obj::open(b);
            study(&mut o, l.omitted);
            fit_fields(&mut o, &l.fit);
            o.close();
        },
    );
    o.str("order", order.unwrap_or("file"));
    section(&mut o, "cumulative", &x.cumulative, &mut notes, |c, b| {
        let mut o = Obj::open(b);
        study(&mut o, c.added);
        fit_fields(&mut o, &c.fit);
        o.close();
    });
    let infl = x.influence.as_ref().map(|i| &i.studies[..]);
    let infl = infl.map_err(Clone::clone).map(<[_]>::to_vec);
    section(&mut o, "influence", &infl, &mut notes, |i, b| {
        let mut o = Obj::open(b);
        study(&mut o, i.study);
        o.f64("rstudent", i.rstudent);
        o.f64("dffits", i.dffits);
        o.f64("cooks_distance", i.cook_d);
        o.f64("cov_ratio", i.cov_r);
        o.f64("tau2_deleted", i.tau2_deleted);
        o.f64("q_deleted", i.q_deleted);
        o.f64("hat", i.hat);
        o.f64("weight", i.weight);
        o.f64("dfbetas", i.dfbetas);
        let b = o.key("influential");
        b.extend_from_slice(if i.influential() { b"true" } else { b"false" });
        o.close();
    });
    let b = o.key("notes");
    json::array(b, &notes, |n, b| json::str_value(b, n));
    o.close();
}

/// The text of one analysis: three tables in metafor's layout, estimates on the display scale.
fn table<W: Write>(
    out: &mut W,
    with_id: bool,
    d: usize,
    order: Option<&str>,
    g: &Group,
    r: &Result<Sensitivity, AnalysisError>,
) -> io::Result<()> {
    let Some(x) = heading(out, with_id, g, r, |x| &x.refit)? else {
        return Ok(());
    };
    let f = &x.refit;
    let scale = f.set.scale();
    let w = (0..f.set.input_len())
        .map(|i| f.name(g, i).chars().count())
        .max()
        .unwrap_or(5)
        .clamp(8, 32);
    let name = |i: usize| -> String { f.name(g, i).chars().take(w).collect() };
    let fit_row = |p: &Pooled| {
        format!(
            "{:>28}  {:>13}  {:>4.0}%  {:>8.4}",
            ci_text(scale, p.estimate, p.ci_lower, p.ci_upper, d),
            p_text(p.p),
            p.heterogeneity.i2,
            p.heterogeneity.tau2
        )
    };
    let head = format!(
        "{:>28}  {:>13}  {:>5}  {:>8}",
        "Estimate [CI]", "p", "I²", "tau²"
    );
    writeln!(out, "\nLeave one out")?;
    match &x.leave_one_out {
        Ok(v) => {
            writeln!(out, "{:<w$}  {head}", "Omitted")?;
            for l in v {
                writeln!(out, "{:<w$}  {}", name(l.omitted), fit_row(&l.fit))?;
            }
        }
        Err(e) => writeln!(out, "  not available: {e}")?,
    }
    writeln!(
        out,
        "\nCumulative ({})",
        order
            .map(|o| format!("by {o}"))
            .unwrap_or("file order".into())
    )?;
    match &x.cumulative {
        Ok(v) => {
            writeln!(out, "{:<w$}  {:>3}  {head}", "Added", "k")?;
            for c in v {
                writeln!(
                    out,
                    "{:<w$}  {:>3}  {}",
                    name(c.added),
                    c.fit.k,
                    fit_row(&c.fit)
                )?;
            }
        }
        Err(e) => writeln!(out, "  not available: {e}")?,
    }
    writeln!(out, "\nInfluence")?;
    match &x.influence {
        Ok(inf) => {
            writeln!(
                out,
                "{:<w$}  {:>8}  {:>7}  {:>7}  {:>6}  {:>8}  {:>8}  {:>6}  {:>6}  inf",
                "Study",
                "rstudent",
                "dffits",
                "cook.d",
                "cov.r",
                "tau2.del",
                "QE.del",
                "hat",
                "weight"
            )?;
            for i in &inf.studies {
                writeln!(
                    out,
                    "{:<w$}  {:>8.4}  {:>7.4}  {:>7.4}  {:>6.4}  {:>8.4}  {:>8.4}  {:>6.4}  {:>6.2}  {}",
                    name(i.study),
                    i.rstudent,
                    i.dffits,
                    i.cook_d,
                    i.cov_r,
                    i.tau2_deleted,
                    i.q_deleted,
                    i.hat,
                    i.weight,
                    if i.influential() { "*" } else { "" }
                )?;
            }
        }
        Err(e) => writeln!(out, "  not available: {e}")?,
    }
    for n in &f.notes {
        writeln!(out, "Note: {n}")?;
    }
    writeln!(out)
}
