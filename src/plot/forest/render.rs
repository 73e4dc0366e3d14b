//! Writing the forest plot's SVG: columns, rows, squares and diamonds, the axis.

use super::layout::{EffectAxis, Extent};
use super::marks::{axis_block, data_headers, pooled_rows, study_row};
use super::{AxisRange, Forest, PredictionBar, Section};
use crate::effect::Scale;
use crate::error::Result;
use crate::plot::svg::{escape, Document};
use crate::pool::{Model, Pooled, Tau2Estimator};
use crate::print::{
    estimate_ci, fixed, heterogeneity_line, level_percent, measure_name, method_short,
    overall_line, p_phrase, percent, truncate, Detail,
};
use std::fmt::Write;

pub(super) const ROW: f64 = 20.0;
/// Average glyph width of the 12 px sans-serif text, in pixels (to size the columns).
const CHAR: f64 = 6.4;
/// The same for the 11 px text of the statistics lines.
const SMALL_CHAR: f64 = 5.9;
pub(super) const DATA_COL: f64 = 50.0;
const WEIGHT_COL: f64 = 56.0;
const PLOT_WIDTH: f64 = 320.0;
const GAP: f64 = 24.0;
pub(super) const MAX_SQUARE: f64 = 15.0;
pub(super) const BLUE: &str = "#2b5797";
pub(super) const BOLD: &str = r#" font-weight="bold""#;
pub(super) const SMALL: &str = r#" font-size="11""#;

/// The x positions of the columns (right edges for right-aligned texts).
pub(super) struct Columns {
    pub study: f64,
    /// Right edges of the data cells; the arm headers centre over each half.
    pub data: Vec<f64>,
    pub weight: f64,
    pub ci: f64,
    pub plot: (f64, f64),
    pub width: f64,
}

pub(super) fn text(out: &mut String, x: f64, y: f64, anchor: &str, extra: &str, t: &str) {
    let _ = writeln!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}"{extra}>{}</text>"#,
        escape(t)
    );
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
    pub(super) fn to_plot(&self, x: f64) -> f64 {
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

    pub(super) fn ci_text(&self, p: &Pooled) -> String {
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
