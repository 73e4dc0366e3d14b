//! The output formats: JSON (the machine-readable contract, [`json`]), CSV (one row per
//! analysis, subgroup and, with `--csv-rows all`, study, [`csv`]) and a RevMan-style text table
//! ([`table`]). Every writer streams: it writes each analysis as it arrives and keeps nothing.
//! This module holds what they share: the statistics of a fit and the rows of an analysis.

mod csv;
mod json;
mod table;
mod text;

pub use self::csv::{csv_io, CsvSink};
pub use self::json::JsonSink;
pub use self::table::TableSink;
pub use self::text::{ci_text, model_text, p_text};

use crate::analysis::{Outcome, Settings};
use crate::measure::Display;
use metapool::pool::PredictionKind;
use metapool::{effect::Scale, pool::ModelChoice, pool::Pooled};

/// The pooled statistics of one fit, as the JSON contract names them. `None` is `null`.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub k: Option<usize>,
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub ci_lower: Option<f64>,
    pub ci_upper: Option<f64>,
    /// The test statistic: z, or t for t-based tests (`--ci t | hk | hk-adhoc`).
    pub z: Option<f64>,
    pub p: Option<f64>,
    /// Degrees of freedom of a t-based test; `null` for z.
    pub t_df: Option<usize>,
    pub tau2: Option<f64>,
    pub tau: Option<f64>,
    pub i2: Option<f64>,
    pub h2: Option<f64>,
    pub q: Option<f64>,
    pub q_df: Option<usize>,
    pub q_p: Option<f64>,
    /// Prediction interval (random-effects fits; `null` for fixed-effect fits).
    pub pi_lower: Option<f64>,
    pub pi_upper: Option<f64>,
    /// Iterations of an iterative tau² estimator (0 for closed forms); `null` for fixed effect.
    pub tau2_iterations: Option<usize>,
    /// How tau² was reached (`metapool::pool::Tau2Stop::name`); `null` for fixed effect.
    pub tau2_stop: Option<&'static str>,
    /// Ratio measures only (absent otherwise): the estimate and bounds back-transformed.
    pub exp_estimate: Option<Option<f64>>,
    pub exp_ci_lower: Option<Option<f64>>,
    pub exp_ci_upper: Option<Option<f64>>,
    pub exp_pi_lower: Option<Option<f64>>,
    pub exp_pi_upper: Option<Option<f64>>,
    /// Transformed proportions (PLO, PAS, PFT) only: the same back-transformed to proportions.
    pub proportion_estimate: Option<Option<f64>>,
    pub proportion_ci_lower: Option<Option<f64>>,
    pub proportion_ci_upper: Option<Option<f64>>,
    pub proportion_pi_lower: Option<Option<f64>>,
    pub proportion_pi_upper: Option<Option<f64>>,
    /// Mantel-Haenszel odds ratios only (absent otherwise): the Cochran-Mantel-Haenszel and
    /// Tarone tests (`cmh`, `cmh_p`, `tarone`, `tarone_df`, `tarone_p`).
    pub mantel_haenszel_tests: Option<metapool::pool::MantelHaenszelTests>,
}

/// The back-transformed fields of a display: `(exp fields, proportion fields)`, each
/// `Some(value or null)` when the display has them, `None` (absent) otherwise.
pub fn back(
    display: Display,
    scale: Scale,
    x: Option<f64>,
) -> (Option<Option<f64>>, Option<Option<f64>>) {
    let v = x.map(|x| scale.to_display(x));
    match display {
        Display::Ratio => (Some(v), None),
        Display::Proportion => (None, Some(v)),
        Display::Identity => (None, None),
    }
}

impl Stats {
    /// All `null` (a failed analysis), with the back-transformed fields of the display.
    pub fn null(display: Display) -> Stats {
        let (e, p) = back(display, Scale::Identity, None);
        Stats {
            exp_estimate: e,
            exp_ci_lower: e,
            exp_ci_upper: e,
            exp_pi_lower: e,
            exp_pi_upper: e,
            proportion_estimate: p,
            proportion_ci_lower: p,
            proportion_ci_upper: p,
            proportion_pi_lower: p,
            proportion_pi_upper: p,
            ..Stats::default()
        }
    }

    /// One study's row: its estimate, SE and Wald CI, back-transformed at its own scale.
    pub fn of_study(r: &StudyRow, display: Display) -> Stats {
        let b = |x: Option<f64>| back(display, r.scale, x);
        let (ee, pe) = b(r.estimate);
        let (el, pl) = b(r.ci_lower);
        let (eu, pu) = b(r.ci_upper);
        Stats {
            k: r.estimate.map(|_| 1),
            estimate: r.estimate,
            se: r.se,
            ci_lower: r.ci_lower,
            ci_upper: r.ci_upper,
            exp_estimate: ee,
            exp_ci_lower: el,
            exp_ci_upper: eu,
            proportion_estimate: pe,
            proportion_ci_lower: pl,
            proportion_ci_upper: pu,
            ..Stats::null(display)
        }
    }

    pub fn of(p: &Pooled, display: Display, prediction: PredictionKind) -> Stats {
        let h = &p.heterogeneity;
        let pi = if p.is_random() {
            p.prediction_interval(prediction).ok()
        } else {
            None
        };
        let (pi_lower, pi_upper) = (pi.map(|i| i.lower), pi.map(|i| i.upper));
        let b = |x: Option<f64>| back(display, p.scale, x);
        let (ee, pe) = b(Some(p.estimate));
        let (el, pl) = b(Some(p.ci_lower));
        let (eu, pu) = b(Some(p.ci_upper));
        let (epl, ppl) = b(pi_lower);
        let (epu, ppu) = b(pi_upper);
        Stats {
            k: Some(p.k),
            estimate: Some(p.estimate),
            se: Some(p.se),
            ci_lower: Some(p.ci_lower),
            ci_upper: Some(p.ci_upper),
            z: Some(p.statistic),
            p: Some(p.p),
            t_df: p.df,
            tau2: Some(h.tau2),
            tau: Some(h.tau),
            i2: Some(h.i2),
            h2: Some(h.h2),
            q: Some(h.q),
            q_df: Some(h.df),
            q_p: h.q_p,
            pi_lower,
            pi_upper,
            tau2_iterations: p.tau2_fit.as_ref().map(|f| f.iterations),
            tau2_stop: p.tau2_fit.as_ref().map(|f| f.stop.name()),
            mantel_haenszel_tests: p.mantel_haenszel_tests,
            exp_estimate: ee,
            exp_ci_lower: el,
            exp_ci_upper: eu,
            exp_pi_lower: epl,
            exp_pi_upper: epu,
            proportion_estimate: pe,
            proportion_ci_lower: pl,
            proportion_ci_upper: pu,
            proportion_pi_lower: ppl,
            proportion_pi_upper: ppu,
        }
    }
}

/// Why a study was excluded, in words.
pub fn exclusion_text(why: metapool::effect::Exclusion) -> &'static str {
    match why {
        metapool::effect::Exclusion::NoEventsInEitherArm => {
            "no events in either arm (not estimable)"
        }
        metapool::effect::Exclusion::AllEventsInBothArms => {
            "all events in both arms (not estimable)"
        }
        _ => "not estimable",
    }
}

/// Per-row figures of an outcome, in input order.
pub struct StudyRow {
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub ci_lower: Option<f64>,
    pub ci_upper: Option<f64>,
    pub weight: Option<f64>,
    pub excluded: Option<&'static str>,
    /// The study's display scale (a Freeman-Tukey proportion at its own n).
    pub scale: Scale,
}

/// Weights of a fit per row of the analysis (`None` for rows without a weight).
pub fn weights_by_position(p: &Pooled, o: &Outcome, n: usize) -> Vec<Option<f64>> {
    let mut w = vec![None; n];
    for st in &p.studies {
        let r = o.row(st.position);
        if r < n {
            w[r] = Some(st.weight);
        }
    }
    w
}

/// The rows of an outcome: effect, Wald CI at the analysis level (`y -/+ z se`), weight in
/// the reported fit; rows left out and studies excluded by the library carry the reason.
pub fn study_rows(s: &Settings, n: usize, o: &Outcome) -> Vec<StudyRow> {
    let z = s.level.z();
    let weights = weights_by_position(&o.main.pooled, o, n);
    let mut rows: Vec<StudyRow> = (0..n)
        .map(|i| StudyRow {
            estimate: None,
            se: None,
            ci_lower: None,
            ci_upper: None,
            weight: weights[i],
            excluded: None,
            scale: o.set.scale(),
        })
        .collect();
    for (e, &i) in o.set.effects().iter().zip(o.set.included()) {
        let (y, se) = (e.estimate(), e.se());
        let r = &mut rows[o.row(i)];
        r.estimate = Some(y);
        r.se = Some(se);
        r.ci_lower = Some(y - z * se);
        r.ci_upper = Some(y + z * se);
        r.scale = o.study_scale(i);
    }
    for &(i, why) in o.set.excluded() {
        rows[o.row(i)].excluded = Some(exclusion_text(why));
    }
    for &(r, why) in &o.left_out {
        rows[r].excluded = Some(why);
    }
    rows
}

/// The analysis scale as written in the JSON.
pub fn scale_name(s: Scale) -> &'static str {
    match s {
        Scale::Identity => "identity",
        Scale::Log => "log",
        Scale::Logit => "logit",
        Scale::Arcsine => "arcsine",
        Scale::FreemanTukey { .. } => "freeman-tukey",
        Scale::FisherZ => "fisher-z",
        _ => "other",
    }
}

/// "fixed" or "random".
pub fn choice_name(c: ModelChoice) -> &'static str {
    match c {
        ModelChoice::Fixed => "fixed",
        ModelChoice::Random => "random",
    }
}

/// The file of a plot: `path`, or with --by `STEM-<id>.svg` (the id reduced to safe file-name
/// characters).
pub fn plot_path(
    path: &std::path::Path,
    with_id: bool,
    g: &crate::analysis::Group,
    default_stem: &str,
) -> std::path::PathBuf {
    if !with_id {
        return path.to_path_buf();
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
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| default_stem.to_string());
    path.with_file_name(format!("{stem}-{id}.svg"))
}
