//! SVG forest plots, written by hand.
//!
//! A forest plot is a few dozen rectangles, lines, polygons and text labels at computed
//! positions. Plotting crates (plotters and the like) are built around charts with data series
//! and would need as much layout code again for the text columns, subgroup sections and the
//! diamond, while adding dependencies and font handling; SVG building crates only wrap the same
//! string writing. So this module writes the SVG directly, escaping every text it takes from
//! the input. Escaping, the document skeleton and the axis ticks and labels come from the
//! library's `metapool::plot::{svg, axis}`, shared with its funnel plot. The forest plot itself
//! stays here: its text columns are the CLI's RevMan-style table texts (`output.rs`).
//!
//! Layout (RevMan style): study names on the left; the plot with one square per study (area
//! proportional to its weight) and its confidence interval, a diamond per pooled result, the
//! line of no effect and a dashed line at the pooled estimate; weights and estimates with CIs
//! on the right; heterogeneity and the test for the overall effect below each pooled row; the
//! axis at the bottom on the display scale (a log axis for ratios). With `--subgroup` each
//! subgroup is its own section with its subtotal diamond, followed by the overall result and
//! the test for subgroup differences.

use crate::analysis::{AnalysisError, Group, Outcome, Settings};
use crate::input::Sink;
use crate::measure::{Display, Measure};
use crate::output::{
    ci_text, heterogeneity_text, model_text, num_text, overall_text, p_text, study_rows,
};
use metapool::plot::axis::{linear_ticks, log_ticks, ratio_label, trimmed_label, LogSpan, Steps};
use metapool::plot::svg::{escape, Document};
use metapool::Pooled;
use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;

const WIDTH: f64 = 960.0;
const ROW: f64 = 20.0;
const PLOT_LEFT: f64 = 330.0;
const PLOT_RIGHT: f64 = 650.0;
const WEIGHT_RIGHT: f64 = 725.0;
const CI_RIGHT: f64 = 945.0;
const MAX_SQUARE: f64 = 16.0;

/// Writes one SVG per analysis.
pub struct ForestSink {
    path: PathBuf,
    settings: Settings,
    with_id: bool,
    digits: usize,
}

impl ForestSink {
    pub fn new(path: PathBuf, settings: &Settings, with_id: bool, digits: usize) -> ForestSink {
        ForestSink {
            path,
            settings: settings.clone(),
            with_id,
            digits,
        }
    }

    /// `FILE.svg`, or `FILE-<id>.svg` with --by (the id reduced to safe file-name characters).
    fn path_for(&self, g: &Group) -> PathBuf {
        if !self.with_id {
            return self.path.clone();
        }
        let id: String = g
            .id()
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "forest".to_string());
        self.path.with_file_name(format!("{stem}-{id}.svg"))
    }
}

impl Sink for ForestSink {
    fn analysis(&mut self, g: &Group, o: &Result<Outcome, AnalysisError>) -> io::Result<()> {
        if let Ok(o) = o {
            let title = if self.with_id { Some(g.id()) } else { None };
            let svg = render(&self.settings, g, o, title.as_deref(), self.digits);
            std::fs::write(self.path_for(g), svg)?;
        }
        Ok(())
    }
}

/// The horizontal axis, in plot units (the log ratio for ratios, the display value otherwise),
/// and its ticks.
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    log: bool,
}

impl Axis {
    fn x(&self, v: f64) -> f64 {
        PLOT_LEFT + (v - self.lo) / (self.hi - self.lo) * (PLOT_RIGHT - PLOT_LEFT)
    }

    /// Ticks for a range in plot units.
    fn new(lo: f64, hi: f64, log: bool) -> Axis {
        match log {
            false => {
                let t = linear_ticks(lo, hi, 8, Steps::OneTwoFive);
                let (lo, hi) = (t.values[0], t.values[t.values.len() - 1]);
                Axis {
                    lo,
                    hi,
                    ticks: t.values,
                    log,
                }
            }
            true => {
                // the library's one log-axis rule (1, 2, 5 x 10^k; powers of ten when many)
                let ticks = log_ticks(lo.exp(), hi.exp(), LogSpan::Inside)
                    .into_iter()
                    .map(f64::ln)
                    .collect();
                Axis { lo, hi, ticks, log }
            }
        }
    }

    fn label(&self, t: f64) -> String {
        if self.log {
            ratio_label(t.exp())
        } else {
            trimmed_label(t)
        }
    }
}

/// The range shown: every point estimate, every pooled CI and the null value; study CIs too
/// unless they would squeeze the rest (then they are cut with an arrow).
fn axis_range(
    points: &[f64],
    pooled: &[(f64, f64)],
    cis: &[(f64, f64)],
    null: Option<f64>,
) -> (f64, f64) {
    let mut lo = null.unwrap_or(f64::INFINITY);
    let mut hi = null.unwrap_or(f64::NEG_INFINITY);
    for &p in points {
        lo = lo.min(p);
        hi = hi.max(p);
    }
    for &(a, b) in pooled {
        lo = lo.min(a);
        hi = hi.max(b);
    }
    let core = (hi - lo).max(1e-6);
    let (mut flo, mut fhi) = (lo, hi);
    for &(a, b) in cis {
        flo = flo.min(a);
        fhi = fhi.max(b);
    }
    let lo = flo.max(lo - core);
    let hi = fhi.min(hi + core);
    let pad = 0.02 * (hi - lo).max(1e-6);
    (lo - pad, hi + pad)
}

fn axis_title(s: &Settings) -> String {
    let base = match s.measure {
        Measure::Md => "Mean difference",
        Measure::Smd | Measure::SmdRevman => "Standardized mean difference",
        Measure::PrepostMd => "Mean change (after - before)",
        Measure::Or => "Odds ratio",
        Measure::Rr => "Risk ratio",
        Measure::Rd => "Risk difference",
        Measure::PetoOr => "Peto odds ratio",
        Measure::Generic if s.display == Display::Ratio => "Ratio",
        Measure::Generic => "Estimate",
        Measure::Pr | Measure::Plo | Measure::Pas | Measure::Pft => "Proportion",
    };
    if s.display == Display::Ratio {
        format!("{base} (log scale)")
    } else {
        base.to_string()
    }
}

/// Render the forest plot of one analysis.
pub fn render(s: &Settings, g: &Group, o: &Outcome, title: Option<&str>, digits: usize) -> String {
    let rows = study_rows(s, g.len(), o);
    let level = (s.level.level() * 1e4).round() / 100.0;
    // Plot units: the log ratio for ratios (a log axis), the shown value otherwise (proportions
    // back-transformed, so that their axis reads as proportions).
    let scale = o.set.scale();
    let log = s.display == Display::Ratio;
    let to_plot = |x: f64| if log { x } else { scale.to_display(x) };
    let null = match s.display {
        Display::Proportion => None,
        _ => Some(0.0),
    };
    let points: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.estimate)
        .map(to_plot)
        .collect();
    let cis: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|r| Some((to_plot(r.ci_lower?), to_plot(r.ci_upper?))))
        .collect();
    let pooled_plot = |p: &Pooled| (to_plot(p.ci_lower), to_plot(p.ci_upper));
    let mut pooled: Vec<(f64, f64)> = vec![pooled_plot(&o.main.pooled)];
    if let Some(sg) = &o.subgroups {
        pooled.extend(sg.fits.iter().map(|f| pooled_plot(&f.fit)));
    }
    if o.main.pooled.is_random() {
        if let Ok(pi) = o.main.pooled.prediction_interval(s.prediction) {
            pooled.push((to_plot(pi.lower), to_plot(pi.upper)));
        }
    }
    let (lo, hi) = axis_range(&points, &pooled, &cis, null);
    let mut axis = Axis::new(lo, hi, log);
    if s.display == Display::Proportion || s.measure == Measure::Pr {
        // Proportions: the axis ends at 0 and 1.
        axis.lo = axis.lo.max(0.0);
        axis.hi = axis.hi.min(1.0);
        let (a, b) = (axis.lo, axis.hi);
        axis.ticks.retain(|&t| t >= a - 1e-12 && t <= b + 1e-12);
    }
    let w_max = rows
        .iter()
        .filter_map(|r| r.weight)
        .fold(0.0f64, f64::max)
        .max(1e-12);

    let mut body = String::new();
    let mut y = 58.0; // first row's baseline
    let top = y - ROW + 4.0;

    let text = |body: &mut String, x: f64, y: f64, anchor: &str, extra: &str, t: &str| {
        let _ = writeln!(
            body,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}"{extra}>{}</text>"#,
            escape(t)
        );
    };

    let study_row = |body: &mut String, i: usize, y: f64| {
        let r = &rows[i];
        text(body, 10.0, y, "start", "", g.name(i));
        match (r.estimate, r.ci_lower, r.ci_upper) {
            (Some(ye), Some(ya), Some(yb)) => {
                let (e, a, b) = (to_plot(ye), to_plot(ya), to_plot(yb));
                let cy = y - 4.0;
                let (xa, xb) = (axis.x(a.max(axis.lo)), axis.x(b.min(axis.hi)));
                let _ = writeln!(
                    body,
                    r#"<line x1="{xa:.1}" y1="{cy:.1}" x2="{xb:.1}" y2="{cy:.1}" stroke="black" stroke-width="1.2"/>"#
                );
                if a < axis.lo {
                    let _ = writeln!(
                        body,
                        r#"<polygon points="{:.1},{cy:.1} {:.1},{:.1} {:.1},{:.1}" fill="black"/>"#,
                        xa,
                        xa + 6.0,
                        cy - 3.5,
                        xa + 6.0,
                        cy + 3.5
                    );
                }
                if b > axis.hi {
                    let _ = writeln!(
                        body,
                        r#"<polygon points="{:.1},{cy:.1} {:.1},{:.1} {:.1},{:.1}" fill="black"/>"#,
                        xb,
                        xb - 6.0,
                        cy - 3.5,
                        xb - 6.0,
                        cy + 3.5
                    );
                }
                if e >= axis.lo && e <= axis.hi {
                    let side = (MAX_SQUARE * (r.weight.unwrap_or(0.0) / w_max).sqrt()).max(3.0);
                    let _ = writeln!(
                        body,
                        r##"<rect x="{:.1}" y="{:.1}" width="{side:.1}" height="{side:.1}" fill="#2b5797"/>"##,
                        axis.x(e) - side / 2.0,
                        cy - side / 2.0
                    );
                }
                text(
                    body,
                    WEIGHT_RIGHT,
                    y,
                    "end",
                    "",
                    &format!("{:.1}%", r.weight.unwrap_or(0.0)),
                );
                text(
                    body,
                    CI_RIGHT,
                    y,
                    "end",
                    "",
                    &ci_text(scale, ye, ya, yb, digits),
                );
            }
            _ => text(body, CI_RIGHT, y, "end", "", "Not estimable"),
        }
    };

    let diamond = |body: &mut String, label: &str, p: &Pooled, weight: f64, y: f64, bold: bool| {
        let extra = if bold { r#" font-weight="bold""# } else { "" };
        text(body, 10.0, y, "start", extra, label);
        let cy = y - 4.0;
        let (xa, xe, xb) = (
            axis.x(to_plot(p.ci_lower).max(axis.lo)),
            axis.x(to_plot(p.estimate)),
            axis.x(to_plot(p.ci_upper).min(axis.hi)),
        );
        let _ = writeln!(
            body,
            r#"<polygon points="{xa:.1},{cy:.1} {xe:.1},{:.1} {xb:.1},{cy:.1} {xe:.1},{:.1}" fill="black"/>"#,
            cy - 6.0,
            cy + 6.0
        );
        text(
            body,
            WEIGHT_RIGHT,
            y,
            "end",
            extra,
            &format!("{weight:.1}%"),
        );
        text(
            body,
            CI_RIGHT,
            y,
            "end",
            extra,
            &ci_text(p.scale, p.estimate, p.ci_lower, p.ci_upper, digits),
        );
    };

    let small = r#" font-size="11""#;
    match &o.subgroups {
        None => {
            for i in 0..g.len() {
                study_row(&mut body, i, y);
                y += ROW;
            }
        }
        Some(sg) => {
            for f in &sg.fits {
                text(
                    &mut body,
                    10.0,
                    y,
                    "start",
                    r#" font-weight="bold""#,
                    &g.subgroup_names[f.index],
                );
                y += ROW;
                for &i in &f.members {
                    study_row(&mut body, i, y);
                    y += ROW;
                }
                let w: f64 = f.members.iter().filter_map(|&i| rows[i].weight).sum();
                diamond(
                    &mut body,
                    &format!("Subtotal ({level}% CI)"),
                    &f.fit,
                    w,
                    y,
                    false,
                );
                y += ROW - 4.0;
                text(
                    &mut body,
                    20.0,
                    y,
                    "start",
                    small,
                    &heterogeneity_text(&f.fit, digits),
                );
                y += ROW - 6.0;
                text(&mut body, 20.0, y, "start", small, &overall_text(&f.fit));
                y += ROW + 4.0;
            }
        }
    }
    let pooled_y = y;
    diamond(
        &mut body,
        &format!("Total ({level}% CI)"),
        &o.main.pooled,
        100.0,
        y,
        true,
    );
    let mut rows_bottom = y + 6.0;
    // The prediction interval of a random-effects fit: a grey bar on its own row.
    let main = &o.main.pooled;
    if let (true, Ok(pi)) = (main.is_random(), main.prediction_interval(s.prediction)) {
        y += ROW;
        rows_bottom = y + 6.0;
        text(&mut body, 10.0, y, "start", "", "Prediction interval");
        let (pa, pb) = (to_plot(pi.lower), to_plot(pi.upper));
        let cy = y - 4.0;
        let (xa, xb) = (axis.x(pa.max(axis.lo)), axis.x(pb.min(axis.hi)));
        let _ = writeln!(
            body,
            r##"<rect x="{xa:.1}" y="{:.1}" width="{:.1}" height="6" fill="#9e9e9e"/>"##,
            cy - 3.0,
            (xb - xa).max(1.0)
        );
        let f = |x: f64| num_text(main.scale, main.scale.to_display(x), digits);
        text(
            &mut body,
            CI_RIGHT,
            y,
            "end",
            "",
            &format!("[{}, {}]", f(pi.lower), f(pi.upper)),
        );
    }
    y += ROW - 4.0;
    text(
        &mut body,
        10.0,
        y,
        "start",
        small,
        &heterogeneity_text(&o.main.pooled, digits),
    );
    y += ROW - 6.0;
    text(
        &mut body,
        10.0,
        y,
        "start",
        small,
        &overall_text(&o.main.pooled),
    );
    if let Some(sg) = &o.subgroups {
        y += ROW - 6.0;
        let t = &sg.test;
        let line = match t.q_p {
            Some(p) => format!(
                "Test for subgroup differences: Chi² = {:.2}, df = {} ({}), I² = {:.0}%",
                t.q,
                t.df,
                p_text(p),
                t.i2
            ),
            None => "Test for subgroup differences: not applicable (one subgroup)".to_string(),
        };
        text(&mut body, 10.0, y, "start", small, &line);
    }
    let excluded = o.set.excluded().len();
    if excluded > 0 {
        y += ROW - 6.0;
        text(
            &mut body,
            10.0,
            y,
            "start",
            small,
            &format!("{excluded} not estimable (excluded from pooling)"),
        );
    }

    // Axis below everything, then the vertical lines over the rows.
    let axis_y = y + 18.0;
    let mut ax = String::new();
    let _ = writeln!(
        ax,
        r#"<line x1="{PLOT_LEFT}" y1="{axis_y:.1}" x2="{PLOT_RIGHT}" y2="{axis_y:.1}" stroke="black"/>"#
    );
    for &t in &axis.ticks {
        let x = axis.x(t);
        let _ = writeln!(
            ax,
            r#"<line x1="{x:.1}" y1="{axis_y:.1}" x2="{x:.1}" y2="{:.1}" stroke="black"/>"#,
            axis_y + 5.0
        );
        text(&mut ax, x, axis_y + 18.0, "middle", small, &axis.label(t));
    }
    text(
        &mut ax,
        (PLOT_LEFT + PLOT_RIGHT) / 2.0,
        axis_y + 36.0,
        "middle",
        "",
        &axis_title(s),
    );
    let height = axis_y + 50.0;
    let mut lines = String::new();
    if let Some(null) = null.filter(|&n| n >= axis.lo && n <= axis.hi) {
        let xn = axis.x(null);
        let _ = writeln!(
            lines,
            r#"<line x1="{xn:.1}" y1="{top:.1}" x2="{xn:.1}" y2="{axis_y:.1}" stroke="black" stroke-width="1"/>"#
        );
    }
    let xp = axis.x(to_plot(o.main.pooled.estimate));
    let _ = writeln!(
        lines,
        r##"<line x1="{xp:.1}" y1="{top:.1}" x2="{xp:.1}" y2="{:.1}" stroke="#888" stroke-dasharray="4,3"/>"##,
        rows_bottom.min(pooled_y)
    );

    let mut head = String::new();
    let heading = match title {
        Some(t) => format!("{t}: {}, {}", s.measure.name(), model_text(&o.main)),
        None => format!("{}, {}", s.measure.name(), model_text(&o.main)),
    };
    let heading = match &o.auto {
        Some((c, _, _)) => format!(
            "{heading} (selected by the Q test at alpha {}: {})",
            s.rule.alpha(),
            match c {
                metapool::ModelChoice::Fixed => "fixed",
                metapool::ModelChoice::Random => "random",
            }
        ),
        None => heading,
    };
    text(
        &mut head,
        10.0,
        16.0,
        "start",
        r#" font-weight="bold""#,
        &heading,
    );
    let hy = 36.0;
    text(
        &mut head,
        10.0,
        hy,
        "start",
        r#" font-weight="bold""#,
        "Study",
    );
    text(
        &mut head,
        (PLOT_LEFT + PLOT_RIGHT) / 2.0,
        hy,
        "middle",
        r#" font-weight="bold""#,
        &format!("{} [{level}% CI]", s.measure.name()),
    );
    text(
        &mut head,
        WEIGHT_RIGHT,
        hy,
        "end",
        r#" font-weight="bold""#,
        "Weight",
    );
    text(
        &mut head,
        CI_RIGHT,
        hy,
        "end",
        r#" font-weight="bold""#,
        &format!("{} [{level}% CI]", s.measure.name()),
    );
    let _ = writeln!(
        head,
        r#"<line x1="10" y1="{:.1}" x2="{CI_RIGHT}" y2="{:.1}" stroke="black" stroke-width="0.6"/>"#,
        hy + 5.0,
        hy + 5.0
    );

    let mut svg = head;
    svg.push_str(&lines);
    svg.push_str(&body);
    svg.push_str(&ax);
    Document::new(WIDTH, height.round(), 12.0).render(None, &svg)
}
