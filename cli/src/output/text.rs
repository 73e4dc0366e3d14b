//! The RevMan-style text of results: p-values, model, heterogeneity and overall-effect lines,
//! estimates with their intervals.

use crate::analysis::Fit;
use metapool::pool::{PredictionKind, Test};
use metapool::{Pooled, Scale};

/// A p-value as RevMan prints it: `P = 0.04`, `P = 0.0007`, `P < 0.00001`.
pub fn p_text(p: f64) -> String {
    if p < 0.00001 {
        "P < 0.00001".to_string()
    } else if p < 0.001 {
        format!("P = {p:.5}")
    } else if p < 0.01 {
        format!("P = {p:.4}")
    } else if p < 0.1 {
        format!("P = {p:.3}")
    } else {
        format!("P = {p:.2}")
    }
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

/// "Heterogeneity: Tau² = 0.04; Chi² = 11.91, df = 5 (P = 0.036); I² = 58%".
pub fn heterogeneity_text(p: &Pooled, digits: usize) -> String {
    let h = &p.heterogeneity;
    let mut s = String::from("Heterogeneity: ");
    if p.is_random() {
        s.push_str(&format!("Tau² = {:.*}; ", digits.max(2), h.tau2));
    }
    match h.q_p {
        Some(qp) => s.push_str(&format!(
            "Chi² = {:.2}, df = {} ({}); I² = {:.0}%",
            h.q,
            h.df,
            p_text(qp),
            h.i2
        )),
        None => s.push_str("not applicable (one study)"),
    }
    s
}

/// "Test for overall effect: Z = 3.40 (P = 0.0007)".
pub fn overall_text(p: &Pooled) -> String {
    match p.df {
        Some(df) => format!(
            "Test for overall effect: t = {:.2}, df = {df} ({})",
            p.statistic.abs(),
            p_text(p.p)
        ),
        None => format!(
            "Test for overall effect: Z = {:.2} ({})",
            p.statistic.abs(),
            p_text(p.p)
        ),
    }
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

/// Estimate and CI on the display scale: "-0.95 [-1.40, -0.50]".
pub fn ci_text(scale: Scale, y: f64, lo: f64, hi: f64, digits: usize) -> String {
    let (y, lo, hi) = (
        scale.to_display(y),
        scale.to_display(lo),
        scale.to_display(hi),
    );
    let f = |x: f64| num_text(scale, x, digits);
    format!("{} [{}, {}]", f(y), f(lo), f(hi))
}

/// A number with `digits` decimals; a ratio too small or too large for that (it would print as
/// 0.00 or with many digits) in scientific notation with `digits` + 1 significant digits.
pub fn num_text(scale: Scale, x: f64, digits: usize) -> String {
    let small = 0.5 * 10f64.powi(-(digits as i32));
    if matches!(scale, Scale::Log) && x != 0.0 && (x.abs() < small || x.abs() >= 1e6) {
        format!("{x:.digits$e}")
    } else {
        format!("{x:.digits$}")
    }
}
