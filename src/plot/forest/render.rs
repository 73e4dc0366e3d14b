//! Writing the forest plot's SVG: columns, rows, squares and diamonds, the axis.

use super::layout::{EffectAxis, Extent};
use super::{ArmData, AxisRange, Favours, Forest, PredictionBar, Section};
use crate::effect::Scale;
use crate::error::Result;
use crate::plot::axis::trimmed_label;
use crate::plot::svg::{escape, Document};
use crate::pool::{Model, Pooled, Tau2Estimator};
use crate::print::{
    estimate_ci, fixed, heterogeneity_line, level_percent, measure_name, method_short,
    overall_line, p_phrase, percent, truncate, Detail,
};
use std::fmt::Write;

const ROW: f64 = 20.0;
/// Average glyph width of the 12 px sans-serif text, in pixels (to size the columns).
const CHAR: f64 = 6.4;
/// The same for the 11 px text of the statistics lines.
const SMALL_CHAR: f64 = 5.9;
const DATA_COL: f64 = 50.0;
const WEIGHT_COL: f64 = 56.0;
const PLOT_WIDTH: f64 = 320.0;
const GAP: f64 = 24.0;
const MAX_SQUARE: f64 = 15.0;
const BLUE: &str = "#2b5797";
const BOLD: &str = r#" font-weight="bold""#;
const SMALL: &str = r#" font-size="11""#;

/// The x positions of the columns (right edges for right-aligned texts).
struct Columns {
    study: f64,
    /// Right edges of the data cells; the arm headers centre over each half.
    data: Vec<f64>,
    weight: f64,
    ci: f64,
    plot: (f64, f64),
    width: f64,
}

fn text(out: &mut String, x: f64, y: f64, anchor: &str, extra: &str, t: &str) {
    let _ = writeln!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}"{extra}>{}</text>"#,
        escape(t)
    );
}

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

fn data_headers(data: &ArmData) -> &'static [&'static str] {
    match data {
        ArmData::Dichotomous(_) => &["Events", "Total", "Events", "Total"],
        ArmData::Continuous(_) => &["Mean", "SD", "Total", "Mean", "SD", "Total"],
    }
}

/// "M-H, Random" etc., with the tau² estimator when it is not DerSimonian-Laird.
fn method_text(f: &Forest) -> String {
    if let Some(m) = &f.options.method {
        return m.clone();
    }
    let base = method_short(&f.total);
    match f.total.model {
        Model::Random(e) if e != Tau2Estimator::DerSimonianLaird => {
            format!("{base} ({})", e.metafor_name())
        }
        _ => base,
    }
}

impl Forest {
    /// Plot units: the analysis value for ratios (a log axis), the display value otherwise.
    fn to_plot(&self, x: f64) -> f64 {
        match self.scale {
            Scale::Log => x,
            s => s.to_display(x),
        }
    }

    fn null_value(&self) -> Option<f64> {
        match (self.options.axis_range, self.scale) {
            (AxisRange::Proportion, _) => None,
            (_, Scale::Log | Scale::Identity | Scale::FisherZ) => Some(0.0),
            _ => None,
        }
    }

    fn pooled_fits(&self) -> impl Iterator<Item = &Pooled> {
        self.sections
            .iter()
            .filter_map(|s| s.subtotal.as_ref())
            .chain(std::iter::once(&self.total))
    }

    fn prediction_bounds(&self) -> Option<(f64, f64)> {
        match self.options.prediction {
            PredictionBar::Shown(kind) if self.total.is_random() => self
                .total
                .prediction_interval(kind)
                .ok()
                .map(|pi| (pi.lower, pi.upper)),
            _ => None,
        }
    }

    fn axis(&self, plot: (f64, f64)) -> Result<EffectAxis> {
        let z = self.total.level.z();
        let mut points = Vec::new();
        let mut studies = Vec::new();
        for (y, v) in self.studies.iter().filter_map(|s| s.effect) {
            points.push(self.to_plot(y));
            let h = z * v.sqrt();
            studies.push((self.to_plot(y - h), self.to_plot(y + h)));
        }
        let mut pooled: Vec<(f64, f64)> = self
            .pooled_fits()
            .map(|p| (self.to_plot(p.ci_lower), self.to_plot(p.ci_upper)))
            .collect();
        if let Some((a, b)) = self.prediction_bounds() {
            pooled.push((self.to_plot(a), self.to_plot(b)));
        }
        let extent = Extent {
            points: &points,
            pooled: &pooled,
            studies: &studies,
        };
        let log = self.scale == Scale::Log;
        let mut axis = EffectAxis::new(
            &extent,
            self.null_value(),
            log,
            self.options.axis_range,
            plot,
        )?;
        if self.null_value().is_none() {
            axis.clamp(0.0, 1.0);
        }
        Ok(axis)
    }

    fn columns(&self) -> Columns {
        let chars = self.options.label_chars;
        let longest = self
            .studies
            .iter()
            .map(|s| truncate(&s.label, chars).chars().count())
            .chain(
                self.sections
                    .iter()
                    .filter_map(|s| s.title.as_ref())
                    .map(|t| t.chars().count()),
            )
            .max()
            .unwrap_or(0)
            .max("Study or Subgroup".len());
        let study = 10.0;
        let mut x = study + longest as f64 * CHAR + 12.0;
        let mut data = Vec::new();
        if let Some(d) = &self.data {
            for _ in data_headers(d) {
                x += DATA_COL;
                data.push(x);
            }
        }
        let weight = x + WEIGHT_COL;
        let level = level_percent(self.total.level.level());
        let header = format!("{}, {level} CI", method_text(self));
        let ci_chars = self
            .pooled_fits()
            .map(|p| self.ci_text(p).chars().count())
            .max()
            .unwrap_or(0)
            .max(header.chars().count())
            .max(21);
        let ci = weight + 12.0 + ci_chars as f64 * CHAR;
        let plot = (ci + GAP, ci + GAP + PLOT_WIDTH);
        Columns {
            study,
            data,
            weight,
            ci,
            plot,
            width: plot.1 + 20.0,
        }
    }

    fn ci_text(&self, p: &Pooled) -> String {
        estimate_ci(
            p.scale,
            p.estimate,
            p.ci_lower,
            p.ci_upper,
            self.options.style.digits(),
        )
    }
}

/// The SVG of a forest plot.
pub(super) fn render(f: &Forest) -> Result<String> {
    let cols = f.columns();
    let axis = f.axis(cols.plot)?;
    let style = &f.options.style;
    let level = level_percent(f.total.level.level());
    let z = f.total.level.z();
    let measure = f.options.measure.clone().unwrap_or_else(|| match f.scale {
        Scale::Identity => "Mean Difference".to_string(),
        s => measure_name(s).to_string(),
    });
    let method = format!("{}, {level} CI", method_text(f));
    let w_max = f
        .studies
        .iter()
        .filter_map(|s| s.weight)
        .fold(0.0f64, f64::max)
        .max(1e-12);
    let mut body = String::new();

    // header
    let mut y = 18.0;
    if let Some(t) = &f.options.title {
        text(
            &mut body,
            cols.study,
            y,
            "start",
            r#" font-weight="bold" font-size="14""#,
            t,
        );
        y += ROW + 4.0;
    }
    let (plot_mid, ci_mid) = (
        (cols.plot.0 + cols.plot.1) / 2.0,
        cols.weight + (cols.ci - cols.weight) / 2.0 + 6.0,
    );
    if let Some(d) = &f.data {
        let half = data_headers(d).len() / 2;
        let first = cols.data[0] - DATA_COL;
        let arms = [&f.options.arms.0, &f.options.arms.1];
        for (a, arm) in arms.iter().enumerate() {
            let (l, r) = (
                first + (a * half) as f64 * DATA_COL,
                first + ((a + 1) * half) as f64 * DATA_COL,
            );
            text(&mut body, (l + r) / 2.0 + 6.0, y, "middle", BOLD, arm);
        }
    }
    text(&mut body, ci_mid, y, "middle", BOLD, &measure);
    text(&mut body, plot_mid, y, "middle", BOLD, &measure);
    y += ROW - 4.0;
    text(&mut body, cols.study, y, "start", BOLD, "Study or Subgroup");
    if let Some(d) = &f.data {
        for (h, &x) in data_headers(d).iter().zip(&cols.data) {
            text(&mut body, x, y, "end", BOLD, h);
        }
    }
    text(&mut body, cols.weight, y, "end", BOLD, "Weight");
    text(&mut body, ci_mid, y, "middle", BOLD, &method);
    text(&mut body, plot_mid, y, "middle", BOLD, &method);
    let _ = writeln!(
        body,
        r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="black" stroke-width="0.6"/>"#,
        cols.study,
        y + 5.0,
        cols.plot.1,
        y + 5.0
    );
    let top = y + 5.0;
    y += ROW + 2.0;

    let total_section = Section {
        title: None,
        members: (0..f.studies.len()).collect(),
        subtotal: None,
    };
    let subgrouped = f.sections.iter().any(|s| s.title.is_some());
    for section in &f.sections {
        if let Some(t) = &section.title {
            text(
                &mut body,
                cols.study,
                y,
                "start",
                BOLD,
                &truncate(t, f.options.label_chars * 2),
            );
            y += ROW;
        }
        for &i in &section.members {
            study_row(&mut body, f, &cols, &axis, i, y, z, w_max);
            y += ROW;
        }
        if let Some(sub) = &section.subtotal {
            let w: f64 = section
                .members
                .iter()
                .filter_map(|&i| f.studies[i].weight)
                .sum();
            y = pooled_rows(
                &mut body,
                f,
                &cols,
                &axis,
                section,
                sub,
                (&format!("Subtotal ({level} CI)"), w),
                y,
                false,
            );
            text(
                &mut body,
                cols.study,
                y,
                "start",
                SMALL,
                &heterogeneity_line(sub, style, Detail::RevMan),
            );
            y += ROW - 5.0;
            text(
                &mut body,
                cols.study,
                y,
                "start",
                SMALL,
                &overall_line(sub, style, Detail::RevMan),
            );
            y += ROW + 6.0;
        } else if subgrouped {
            text(
                &mut body,
                cols.study,
                y,
                "start",
                SMALL,
                "Subtotal: not estimable",
            );
            y += ROW + 6.0;
        }
    }
    y = pooled_rows(
        &mut body,
        f,
        &cols,
        &axis,
        &total_section,
        &f.total,
        (&format!("Total ({level} CI)"), 100.0),
        y,
        true,
    );
    if let Some((a, b)) = f.prediction_bounds() {
        text(&mut body, cols.study, y, "start", "", "Prediction interval");
        let (xa, xb) = (axis.x_clamped(f.to_plot(a)), axis.x_clamped(f.to_plot(b)));
        let _ = writeln!(
            body,
            r##"<rect class="prediction" x="{xa:.1}" y="{:.1}" width="{:.1}" height="6" fill="#9e9e9e"/>"##,
            y - 7.0,
            (xb - xa).max(1.0)
        );
        let d = style.digits();
        let v = |x: f64| crate::print::fixed(f.scale.to_display(x), d);
        text(
            &mut body,
            cols.ci,
            y,
            "end",
            "",
            &format!("[{}, {}]", v(a), v(b)),
        );
        y += ROW;
    }

    // statistics lines on the left, the axis on the right at the same height
    let axis_y = y - 8.0;
    let mut lines = vec![
        heterogeneity_line(&f.total, style, Detail::RevMan),
        overall_line(&f.total, style, Detail::RevMan),
    ];
    if let Some(t) = &f.subgroup_test {
        lines.push(match t.q_p {
            Some(p) => format!(
                "Test for subgroup differences: Chi² = {}, df = {} ({}), I² = {}",
                fixed(t.q, style.digits()),
                t.df,
                p_phrase(p, style),
                percent(t.i2, style)
            ),
            None => "Test for subgroup differences: not applicable".to_string(),
        });
    }
    let widest = lines
        .iter()
        .map(|l| cols.study + l.chars().count() as f64 * SMALL_CHAR)
        .fold(0.0, f64::max);
    let axis_bottom = axis_block(&mut body, f, &axis, axis_y);
    // beside the axis when they fit left of it, else below it
    let mut ty = if widest < cols.plot.0 - 8.0 {
        y + 4.0
    } else {
        axis_bottom + 20.0
    };
    for l in &lines {
        text(&mut body, cols.study, ty, "start", SMALL, l);
        ty += ROW - 5.0;
    }

    // the line of no effect, from the header to the axis
    if let Some(n) = axis.null.filter(|&n| axis.shows(n)) {
        let xn = axis.x(n);
        let _ = writeln!(
            body,
            r#"<line class="null" x1="{xn:.1}" y1="{top:.1}" x2="{xn:.1}" y2="{axis_y:.1}" stroke="black" stroke-width="0.8"/>"#
        );
    }
    let height = (ty.max(axis_bottom) + 10.0).round();
    let width = cols.width.max(widest + 10.0).round();
    Ok(Document::new(width, height, 12.0).render(f.options.title.as_deref(), &body))
}

#[allow(clippy::too_many_arguments)]
fn study_row(
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
fn pooled_rows(
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
fn axis_block(body: &mut String, f: &Forest, axis: &EffectAxis, y: f64) -> f64 {
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
