//! SVG forest plots: the library's `metapool::plot::forest::Forest` (RevMan 5's layout) fed
//! with the CLI's analysis: study names, per-arm data columns (events/total, or mean, SD,
//! total), the main fit as the total, one section per `--subgroup` value with its subtotal and
//! the test for subgroup differences, the prediction interval of a random-effects total, and a
//! title naming the measure and the model.

use crate::analysis::{AnalysisError, Group, Outcome, Settings};
use crate::input::Sink;
use crate::measure::{Display, Measure, Slot};
use crate::output::model_text;
use metapool::effect::{Arm, EffectSize};
use metapool::plot::forest::{ArmData, AxisRange, Forest, PredictionBar};
use metapool::print::Style;
use std::io;
use std::path::PathBuf;

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
            match render(&self.settings, g, o, title.as_deref(), self.digits) {
                Ok(svg) => std::fs::write(self.path_for(g), svg)?,
                Err(e) => eprintln!("metapool: no forest plot for `{}`: {e}", g.id()),
            }
        }
        Ok(())
    }
}

fn axis_title(s: &Settings) -> String {
    let base = measure_title(s);
    if s.display == Display::Ratio {
        format!("{base} (log scale)")
    } else {
        base.to_string()
    }
}

fn measure_title(s: &Settings) -> &'static str {
    match s.measure {
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
        Measure::Ir | Measure::Irs | Measure::Irft | Measure::Irln => "Incidence rate",
        Measure::Irr => "Incidence-rate ratio",
        Measure::Ird | Measure::Irsd => "Incidence-rate difference",
        m => crate::escalc_measures::title(m),
    }
}

/// The per-arm columns of the studies, when the input has them (one entry per study pooled).
fn arm_data(s: &Settings, g: &Group) -> Option<ArmData> {
    use crate::measure::Slot::*;
    if s.measure.is_binary() {
        return g
            .studies
            .iter()
            .map(|st| st.two_by_two())
            .collect::<Option<Vec<_>>>()
            .map(ArmData::Dichotomous);
    }
    if !matches!(s.measure, Measure::Md | Measure::Smd | Measure::SmdRevman) {
        return None;
    }
    g.values
        .iter()
        .map(|v| {
            let arm = |m: Slot, sd: Slot, n: Slot| {
                Arm::new(v[m.index()]?, v[sd.index()]?, v[n.index()]?).ok()
            };
            Some((arm(M1, Sd1, N1)?, arm(M2, Sd2, N2)?))
        })
        .collect::<Option<Vec<_>>>()
        .map(ArmData::Continuous)
}

/// Render the forest plot of one analysis: one row per study pooled (rows left out for
/// missing data are counted in the title).
pub fn render(
    s: &Settings,
    g: &Group,
    o: &Outcome,
    title: Option<&str>,
    digits: usize,
) -> metapool::Result<String> {
    let names: Vec<&str> = (0..g.studies_len()).map(|i| g.name(g.row_of(i))).collect();
    let mut f = Forest::new(&o.set, &o.main.pooled)
        .labels(&names)?
        .measure(measure_title(s))
        .axis_title(&axis_title(s))
        .prediction(PredictionBar::Shown(s.prediction))
        .style(Style::revman().with_digits(digits)?);
    if s.display == Display::Proportion || s.measure == Measure::Pr {
        f = f.axis_range(AxisRange::Proportion);
    }
    if let Some(d) = arm_data(s, g) {
        f = f.data(d)?;
    }
    if let Some(sg) = &o.subgroups {
        for fit in &sg.fits {
            let members: Vec<usize> = (0..g.studies_len())
                .filter(|&i| g.subgroup_of[g.row_of(i)] == fit.index)
                .collect();
            f = f.subgroup(&g.subgroup_names[fit.index], &members, Some(&fit.fit))?;
        }
        f = f.subgroup_test(sg.test);
    }
    let heading = match title {
        Some(t) => format!("{t}: {}, {}", s.measure.name(), model_text(&o.main)),
        None => format!("{}, {}", s.measure.name(), model_text(&o.main)),
    };
    let heading = match &o.auto {
        Some((c, _, _)) => format!(
            "{heading} (selected by the Q test at alpha {}: {})",
            s.rule.alpha(),
            match c {
                metapool::pool::ModelChoice::Fixed => "fixed",
                metapool::pool::ModelChoice::Random => "random",
            }
        ),
        None => heading,
    };
    let heading = match g.left_out.len() {
        0 => heading,
        n => format!(
            "{heading}; {n} row{} not estimable (missing data)",
            if n == 1 { "" } else { "s" }
        ),
    };
    f.title(&heading).to_svg()
}
