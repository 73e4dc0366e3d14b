//! The summary of one pooled result: the per-study rows (estimate [CI], weight), the pooled
//! row, heterogeneity and the test for the overall effect, as RevMan 5 lays them out, with
//! metafor's model line and figures.

use super::number::{estimate_ci, fixed, level_percent, p_phrase, percent, weight};
use super::style::Style;
use super::table::Table;
use super::Summarize;
use crate::effect::{Exclusion, Scale};
use crate::pool::{FixedMethod, Model, Pooled, Test};
use std::fmt::{self, Write};

/// One study of a pooled result as printed: its input position, label, estimate and variance
/// on the analysis scale (`None`: not estimable on its own), and weight in percent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StudyRow {
    pub position: usize,
    pub label: String,
    pub effect: Option<(f64, f64)>,
    pub weight: f64,
}

/// The label of the study at input `position`: its own, or "Study position+1".
pub(crate) fn label_or_number(label: Option<&str>, position: usize) -> String {
    label.map_or_else(|| format!("Study {}", position + 1), str::to_string)
}

/// The studies of a fit, in the order they were pooled.
pub(crate) fn study_rows(p: &Pooled) -> Vec<StudyRow> {
    p.studies
        .iter()
        .map(|s| StudyRow {
            position: s.position,
            label: label_or_number(s.label.as_deref(), s.position),
            effect: s.effect.map(|e| (e.estimate(), e.variance())),
            weight: s.weight,
        })
        .collect()
}

/// The name of what the estimate column holds, from the scale: "Ratio", "Proportion", ...
pub(crate) fn measure_name(scale: Scale) -> &'static str {
    match scale {
        Scale::Log => "Ratio",
        Scale::Logit | Scale::Arcsine | Scale::FreemanTukey { .. } => "Proportion",
        Scale::FisherZ => "Correlation",
        _ => "Estimate",
    }
}

/// Why a study was left out, in words.
pub(crate) fn exclusion_text(why: Exclusion) -> &'static str {
    match why {
        Exclusion::NoEventsInEitherArm => "no events in either arm",
        Exclusion::AllEventsInBothArms => "all events in both arms",
    }
}

/// The name of the analysis scale: "log", "logit", ...
pub(crate) fn scale_name(scale: Scale) -> &'static str {
    match scale {
        Scale::Log => "log",
        Scale::Logit => "logit",
        Scale::Arcsine => "arcsine",
        Scale::FreemanTukey { .. } => "Freeman-Tukey",
        Scale::FisherZ => "Fisher z",
        _ => "identity",
    }
}

/// "Random-effects model (k = 13; tau² estimator: DL)", "Fixed-effect model (k = 13;
/// Mantel-Haenszel)", with the test when it is not z.
pub(crate) fn model_line(p: &Pooled) -> String {
    let what = match p.model {
        Model::Fixed(m) => format!("Fixed-effect model (k = {}; {})", p.k, fixed_name(m)),
        Model::Random(e) => format!(
            "Random-effects model (k = {}; tau² estimator: {})",
            p.k,
            e.metafor_name()
        ),
    };
    match test_name(p.test) {
        Some(t) => format!("{what}, {t}"),
        None => what,
    }
}

fn fixed_name(m: FixedMethod) -> &'static str {
    match m {
        FixedMethod::MantelHaenszel => "Mantel-Haenszel",
        FixedMethod::Peto => "Peto",
        _ => "inverse variance",
    }
}

fn test_name(t: Test) -> Option<&'static str> {
    match t {
        Test::Z => None,
        Test::T => Some("t test"),
        Test::KnappHartung => Some("Knapp-Hartung test"),
        Test::KnappHartungAdHoc => Some("Knapp-Hartung test (ad hoc)"),
    }
}

/// RevMan's method column: "IV, Fixed", "M-H, Fixed", "Peto, Fixed", "IV, Random".
pub(crate) fn method_short(p: &Pooled) -> String {
    match p.model {
        Model::Fixed(FixedMethod::MantelHaenszel) => "M-H, Fixed".to_string(),
        Model::Fixed(FixedMethod::Peto) => "Peto, Fixed".to_string(),
        Model::Fixed(_) => "IV, Fixed".to_string(),
        Model::Random(_) => "IV, Random".to_string(),
    }
}

/// How much a heterogeneity or overall-effect line shows ([`heterogeneity_line`],
/// [`overall_line`]).
///
/// ```
/// use metapool::print::Detail;
/// assert_ne!(Detail::RevMan, Detail::Full);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// RevMan's forest-plot lines: Tau², Chi², df, P, I²; |Z|.
    RevMan,
    /// Also the SE of tau² and H²; the signed statistic (metafor).
    Full,
}

/// "Heterogeneity: Tau² = 0.3088 (SE = 0.2299); Chi² = 152.2330, df = 12 (P < .0001);
/// I² = 92.12%; H² = 12.69" (Tau² for random effects only; SE and H² with [`Detail::Full`]).
/// The line every printed summary, the forest plot and the command-line tool's tables use.
///
/// ```
/// use metapool::print::{heterogeneity_line, Detail, Style};
/// use metapool::{effect::EffectSet, pool::Pooler, pool::RandomModel};
/// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
/// let fit = RandomModel::default().pool(&set)?;
/// // metafor rma(yi, vi, method = "DL"): tau^2 0.1400 (SE = 0.1568), Q(df = 2) = 21.3846,
/// // I^2 = 90.65%
/// assert_eq!(
///     heterogeneity_line(&fit, &Style::revman(), Detail::RevMan),
///     "Heterogeneity: Tau² = 0.14; Chi² = 21.38, df = 2 (P = 0.00002); I² = 91%"
/// );
/// # Ok::<(), metapool::Error>(())
/// ```
pub fn heterogeneity_line(p: &Pooled, style: &Style, detail: Detail) -> String {
    let h = &p.heterogeneity;
    let d = style.digits();
    let mut s = String::from("Heterogeneity: ");
    if p.is_random() {
        s.push_str(&format!("Tau² = {}", fixed(h.tau2, d)));
        if let (Detail::Full, Some(se)) = (detail, p.tau2_fit.as_ref().and_then(|t| t.se)) {
            s.push_str(&format!(" (SE = {})", fixed(se, d)));
        }
        s.push_str("; ");
    }
    match h.q_p {
        Some(qp) => {
            s.push_str(&format!(
                "Chi² = {}, df = {} ({}); I² = {}",
                fixed(h.q, d),
                h.df,
                p_phrase(qp, style),
                percent(h.i2, style),
            ));
            if detail == Detail::Full {
                s.push_str(&format!("; H² = {}", fixed(h.h2, d.min(2))));
            }
        }
        None => s.push_str("not applicable (one study)"),
    }
    s
}

/// "Test for overall effect: Z = -3.9952 (P < .0001)" or "... t = -3.9522, df = 12 (P = ...)"
/// (the absolute value with [`Detail::RevMan`]).
///
/// ```
/// use metapool::print::{overall_line, Detail, Style};
/// use metapool::{effect::EffectSet, pool::Pooler, pool::RandomModel};
/// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
/// let fit = RandomModel::default().pool(&set)?;
/// // metafor rma(yi, vi, method = "DL"): zval 2.0160, pval 0.0438
/// assert_eq!(overall_line(&fit, &Style::metafor(), Detail::Full), "Test for overall effect: Z = 2.0160 (P = 0.0438)");
/// assert_eq!(overall_line(&fit, &Style::revman(), Detail::RevMan), "Test for overall effect: Z = 2.02 (P = 0.044)");
/// # Ok::<(), metapool::Error>(())
/// ```
pub fn overall_line(p: &Pooled, style: &Style, detail: Detail) -> String {
    let d = style.digits();
    let stat = match detail {
        Detail::RevMan => fixed(p.statistic.abs(), d),
        Detail::Full => fixed(p.statistic, d),
    };
    match p.df {
        Some(df) => format!(
            "Test for overall effect: t = {stat}, df = {df} ({})",
            p_phrase(p.p, style)
        ),
        None => format!(
            "Test for overall effect: Z = {stat} ({})",
            p_phrase(p.p, style)
        ),
    }
}

/// "Log scale: estimate -0.7141, SE = 0.1787, 95% CI [-1.0644, -0.3638]" (the analysis
/// scale's figures; "Estimate -0.7141, SE = ..." when that is the display scale).
pub(crate) fn analysis_scale_line(p: &Pooled, style: &Style) -> String {
    let d = style.digits();
    let head = match p.scale {
        Scale::Identity => "Estimate".to_string(),
        s => {
            let mut name = scale_name(s).to_string();
            if let Some(c) = name.get_mut(0..1) {
                c.make_ascii_uppercase();
            }
            format!("{name} scale: estimate")
        }
    };
    format!(
        "{head} {}, SE = {}, {} CI [{}, {}]",
        fixed(p.estimate, d),
        fixed(p.se, d),
        level_percent(p.level.level()),
        fixed(p.ci_lower, d),
        fixed(p.ci_upper, d)
    )
}

/// The confidence level as the `level` field holds it, for headers ("95% CI").
pub(crate) fn ci_header(p: &Pooled) -> String {
    format!("{} CI", level_percent(p.level.level()))
}

/// The per-study rows and the pooled row of `p` as a table: Study, estimate [CI], weight.
/// The studies' intervals are Wald intervals at the fit's level; `total` is the pooled row's
/// label and weight.
pub(crate) fn study_table(
    p: &Pooled,
    rows: &[StudyRow],
    total: (&str, f64),
    style: &Style,
) -> Table {
    let d = style.digits();
    let header = format!("{} [{}]", measure_name(p.scale), ci_header(p));
    let mut t = Table::new(&["Study", header.as_str(), "Weight"]);
    let z = p.level.z();
    for r in rows {
        let ci = match r.effect {
            Some((y, v)) => estimate_ci(p.scale, y, y - z * v.sqrt(), y + z * v.sqrt(), d),
            None => "Not estimable".to_string(),
        };
        t.row(vec![r.label.clone(), ci, weight(r.weight, style)]);
    }
    t.row(vec![
        total.0.to_string(),
        estimate_ci(p.scale, p.estimate, p.ci_lower, p.ci_upper, d),
        weight(total.1, style),
    ]);
    t
}

/// "Not estimable: <label> (<reason>)" for every study left out, and "Note: ..." for every
/// note of the fit.
pub(crate) fn write_excluded_and_notes(out: &mut dyn Write, p: &Pooled) -> fmt::Result {
    for e in &p.excluded {
        writeln!(
            out,
            "Not estimable: {} ({})",
            label_or_number(e.label.as_deref(), e.position),
            exclusion_text(e.why)
        )?;
    }
    for n in &p.notes {
        writeln!(out, "Note: {n}")?;
    }
    Ok(())
}

impl Summarize for Pooled {
    /// ```text
    /// Random-effects model (k = 13; tau² estimator: DL)
    ///
    /// Study                   Ratio [95% CI]           Weight
    /// Aronson 1948            0.4109 [0.1343, 1.2574]   5.04%
    /// ...
    /// Total (95% CI)          0.4896 [0.3449, 0.6950]  100.00%
    ///
    /// Heterogeneity: Tau² = 0.3088 (SE = 0.2299); Chi² = 152.2330, df = 12 (P < .0001); ...
    /// Test for overall effect: Z = -3.9952 (P < .0001)
    /// Log scale: estimate -0.7141, SE = 0.1787, 95% CI [-1.0644, -0.3638]
    /// ```
    fn write_summary(&self, out: &mut dyn Write, style: &Style) -> fmt::Result {
        writeln!(out, "{}", model_line(self))?;
        writeln!(out)?;
        let rows = study_rows(self);
        let total = format!("Total ({})", ci_header(self));
        study_table(self, &rows, (&total, 100.0), style).write(out)?;
        write_excluded_and_notes(out, self)?;
        writeln!(out)?;
        writeln!(out, "{}", heterogeneity_line(self, style, Detail::Full))?;
        writeln!(out, "{}", overall_line(self, style, Detail::Full))?;
        for line in mantel_haenszel_test_lines(self, style) {
            writeln!(out, "{line}")?;
        }
        writeln!(out, "{}", analysis_scale_line(self, style))
    }
}

/// The Cochran-Mantel-Haenszel and Tarone lines of a Mantel-Haenszel odds-ratio fit (as
/// metafor's `print.rma.mh` reports them), none for other fits:
/// ```text
/// Cochran-Mantel-Haenszel test: CMH = 135.6889, df = 1 (P < .0001)
/// Tarone's test for heterogeneity: X² = 171.7567, df = 12 (P < .0001)
/// ```
pub fn mantel_haenszel_test_lines(p: &Pooled, style: &Style) -> Vec<String> {
    let Some(t) = &p.mantel_haenszel_tests else {
        return Vec::new();
    };
    let d = style.digits();
    let mut lines = vec![format!(
        "Cochran-Mantel-Haenszel test: CMH = {}, df = 1 ({})",
        fixed(t.cmh, d),
        p_phrase(t.cmh_p, style)
    )];
    if let (Some(ta), Some(tp)) = (t.tarone, t.tarone_p) {
        lines.push(format!(
            "Tarone's test for heterogeneity: X² = {}, df = {} ({})",
            fixed(ta, d),
            t.tarone_df,
            p_phrase(tp, style)
        ));
    }
    lines
}
