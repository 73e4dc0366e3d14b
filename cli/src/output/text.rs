//! The RevMan-style text of results: p-values, model, heterogeneity and overall-effect lines,
//! estimates with their intervals, all through the library's formatter (`metapool::print`).

use crate::analysis::Fit;
use metapool::pool::{PredictionKind, Test};
use metapool::print::{self, Detail, Style};
use metapool::{effect::Scale, pool::Pooled};

/// RevMan's style with `digits` decimals (the library's formatter; at most
/// [`metapool::print::MAX_DIGITS`]).
pub fn revman(digits: usize) -> Style {
    Style::revman()
        .with_digits(digits.min(print::MAX_DIGITS))
        .unwrap_or_else(|_| Style::revman())
}

/// A p-value as RevMan prints it: `P = 0.04`, `P = 0.0007`, `P < 0.00001`.
pub fn p_text(p: f64) -> String {
    print::p_phrase(p, &Style::revman())
}

/// The model line, e.g. "Random effects (DL)", "Fixed effect (IV)".
pub fn model_text(f: &Fit) -> String {
    match f.model {
        "random" => {
            let test = match f.pooled.test {
                Test::Z => "",
                Test::T => ", t test",
                Test::KnappHartung => ", Hartung-Knapp",
                Test::KnappHartungAdHoc => ", Hartung-Knapp (ad hoc)",
                _ => ", other test",
            };
            format!("Random effects, tau² {}{test}", f.method)
        }
        _ => format!("Fixed effect, {}", f.method),
    }
}

/// "Heterogeneity: Tau² = 0.04; Chi² = 11.91, df = 5 (P = 0.036); I² = 58%" (the library's line).
/// The Cochran-Mantel-Haenszel and Tarone lines of a Mantel-Haenszel odds ratio (none
/// otherwise), as the library prints them.
pub fn mantel_haenszel_text(p: &Pooled, digits: usize) -> Vec<String> {
    print::mantel_haenszel_test_lines(p, &revman(digits))
}

pub fn heterogeneity_text(p: &Pooled, digits: usize) -> String {
    print::heterogeneity_line(p, &revman(digits), Detail::RevMan)
}

/// "Test for overall effect: Z = 3.40 (P = 0.0007)" (the library's line).
pub fn overall_text(p: &Pooled) -> String {
    print::overall_line(p, &Style::revman(), Detail::RevMan)
}

/// The prediction interval of a random-effects fit on the display scale, e.g.
/// "Prediction interval: [-1.83, 0.31]"; `None` for fixed-effect fits.
pub fn prediction_text(p: &Pooled, kind: PredictionKind, digits: usize) -> Option<String> {
    if !p.is_random() {
        return None;
    }
    let pi = p.prediction_interval(kind).ok()?;
    let f = |x: f64| num_text(p.scale, p.scale.to_display(x), digits);
    Some(format!(
        "Prediction interval: [{}, {}]",
        f(pi.lower),
        f(pi.upper)
    ))
}

/// Estimate and CI on the display scale: "-0.95 [-1.40, -0.50]" (the library's formatter).
pub fn ci_text(scale: Scale, y: f64, lo: f64, hi: f64, digits: usize) -> String {
    print::estimate_ci(scale, y, lo, hi, digits)
}

/// A number on the display scale with `digits` decimals (the library's formatter).
pub fn num_text(scale: Scale, x: f64, digits: usize) -> String {
    print::display_value(scale, x, digits)
}
