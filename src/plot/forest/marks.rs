//! The marks of the forest plot: a study's row (data cells, interval, square, weight, text),
//! a pooled row (totals, diamond), the data columns' cells, and the axis with its labels.

use super::layout::EffectAxis;
use super::render::{text, Columns, BLUE, BOLD, MAX_SQUARE, ROW, SMALL};
use super::{ArmData, Favours, Forest, Section};
use crate::plot::axis::trimmed_label;
use crate::pool::Pooled;
use crate::print::{estimate_ci, truncate};
use std::fmt::Write;

/// The cells of the data columns of one study, or of a totals row (sums of `members`).
fn data_cells(data: &ArmData, i: usize) -> Vec<String> {
    let n = trimmed_label;
    match data {
        ArmData::Dichotomous(t) => {
            let t = &t[i];
            vec![n(t.events1), n(t.total1), n(t.events2), n(t.total2)]
        }
        ArmData::Continuous(a) => {
            let (e, c) = &a[i];
            vec![n(e.mean), n(e.sd), n(e.n), n(c.mean), n(c.sd), n(c.n)]
        }
    }
}

/// Totals of `members`: (cells of the totals row, cells of the "Total events" row).
fn total_cells(data: &ArmData, members: &[usize]) -> (Vec<String>, Option<Vec<String>>) {
    let sum = |f: &dyn Fn(usize) -> f64| trimmed_label(members.iter().map(|&i| f(i)).sum());
    match data {
        ArmData::Dichotomous(t) => (
            vec![
                String::new(),
                sum(&|i| t[i].total1),
                String::new(),
                sum(&|i| t[i].total2),
            ],
            Some(vec![
                sum(&|i| t[i].events1),
                String::new(),
                sum(&|i| t[i].events2),
                String::new(),
            ]),
        ),
        ArmData::Continuous(a) => {
            let mut cells = vec![String::new(); 6];
            cells[2] = sum(&|i| a[i].0.n);
            cells[5] = sum(&|i| a[i].1.n);
            (cells, None)
        }
    }
}

pub(super) fn data_headers(data: &ArmData) -> &'static [&'static str] {
    match data {
        ArmData::Dichotomous(_) => &["Events", "Total", "Events", "Total"],
        ArmData::Continuous(_) => &["Mean", "SD", "Total", "Mean", "SD", "Total"],
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn study_row(
    body: &mut String,
    f: &Forest,
    cols: &Columns,
    axis: &EffectAxis,
    i: usize,
    y: f64,
    z: f64,
    w_max: f64,
) {
    let s = &f.studies[i];
    text(
        body,
        cols.study,
        y,
        "start",
        "",
        &truncate(&s.label, f.options.label_chars),
    );
    if let Some(d) = &f.data {
        for (c, &x) in data_cells(d, i).iter().zip(&cols.data) {
            text(body, x, y, "end", "", c);
        }
    }
    let Some((e, v)) = s.effect else {
        text(body, cols.ci, y, "end", "", "Not estimable");
        return;
    };
    let h = z * v.sqrt();
    let (pe, pa, pb) = (f.to_plot(e), f.to_plot(e - h), f.to_plot(e + h));
    let cy = y - 4.0;
    let (xa, xb) = (axis.x_clamped(pa), axis.x_clamped(pb));
    let _ = writeln!(
        body,
        r#"<line class="ci" x1="{xa:.1}" y1="{cy:.1}" x2="{xb:.1}" y2="{cy:.1}" stroke="black" stroke-width="1.1"/>"#
    );
    for (beyond, x, dir) in [(pa < axis.lo, xa, 1.0), (pb > axis.hi, xb, -1.0)] {
        if beyond {
            let _ = writeln!(
                body,
                r#"<path class="arrow" d="M{x:.1},{cy:.1} l{:.1},-3.5 v7 z" fill="black"/>"#,
                6.0 * dir
            );
        }
    }
    if axis.shows(pe) {
        let side = (MAX_SQUARE * (s.weight.unwrap_or(0.0) / w_max).sqrt()).max(3.0);
        let _ = writeln!(
            body,
            r#"<rect class="study" x="{:.1}" y="{:.1}" width="{side:.1}" height="{side:.1}" fill="{BLUE}"/>"#,
            axis.x(pe) - side / 2.0,
            cy - side / 2.0
        );
    }
    if let Some(w) = s.weight {
        text(body, cols.weight, y, "end", "", &format!("{w:.1}%"));
    }
    let ci = estimate_ci(f.scale, e, e - h, e + h, f.options.style.digits());
    text(body, cols.ci, y, "end", "", &ci);
}

/// The pooled row (label, arm totals, weight, estimate [CI], diamond) and the "Total events"
/// row; returns the next baseline.
#[allow(clippy::too_many_arguments)]
pub(super) fn pooled_rows(
    body: &mut String,
    f: &Forest,
    cols: &Columns,
    axis: &EffectAxis,
    section: &Section,
    p: &Pooled,
    (label, weight): (&str, f64),
    mut y: f64,
    bold: bool,
) -> f64 {
    let extra = if bold { BOLD } else { "" };
    text(body, cols.study, y, "start", extra, label);
    let events = f.data.as_ref().and_then(|d| {
        let (cells, events) = total_cells(d, &section.members);
        for (c, &x) in cells.iter().zip(&cols.data) {
            text(body, x, y, "end", extra, c);
        }
        events
    });
    text(body, cols.weight, y, "end", extra, &format!("{weight:.1}%"));
    text(body, cols.ci, y, "end", extra, &f.ci_text(p));
    let cy = y - 4.0;
    let (xa, xe, xb) = (
        axis.x_clamped(f.to_plot(p.ci_lower)),
        axis.x_clamped(f.to_plot(p.estimate)),
        axis.x_clamped(f.to_plot(p.ci_upper)),
    );
    let _ = writeln!(
        body,
        r#"<polygon points="{xa:.1},{cy:.1} {xe:.1},{:.1} {xb:.1},{cy:.1} {xe:.1},{:.1}" class="diamond" fill="black"/>"#,
        cy - 6.0,
        cy + 6.0
    );
    y += ROW;
    if let Some(ev) = events {
        text(body, cols.study, y, "start", "", "Total events");
        for (c, &x) in ev.iter().zip(&cols.data) {
            text(body, x, y, "end", "", c);
        }
        y += ROW;
    }
    y
}

/// The axis line, ticks, tick labels, the "Favours" labels and the caption; returns the
/// lowest baseline used.
pub(super) fn axis_block(body: &mut String, f: &Forest, axis: &EffectAxis, y: f64) -> f64 {
    let (l, r) = (axis.left, axis.right);
    let _ = writeln!(
        body,
        r#"<line class="axis" x1="{l:.1}" y1="{y:.1}" x2="{r:.1}" y2="{y:.1}" stroke="black"/>"#
    );
    for &t in &axis.ticks {
        let x = axis.x(t);
        let _ = writeln!(
            body,
            r#"<line class="tick" x1="{x:.1}" y1="{y:.1}" x2="{x:.1}" y2="{:.1}" stroke="black"/>"#,
            y + 5.0
        );
        text(body, x, y + 17.0, "middle", SMALL, &axis.label(t));
    }
    let mut bottom = y + 17.0;
    // without a line of no effect (proportions) there is no side to favour
    let null = axis.null.filter(|&n| axis.shows(n));
    if let (Favours::Labels { left, right }, Some(n)) = (&f.options.favours, null) {
        let xn = axis.x(n);
        bottom += 16.0;
        text(body, xn - 8.0, bottom, "end", SMALL, left);
        text(body, xn + 8.0, bottom, "start", SMALL, right);
    }
    if let Some(t) = &f.options.axis_title {
        bottom += 16.0;
        text(body, (l + r) / 2.0, bottom, "middle", "", t);
    }
    bottom
}
