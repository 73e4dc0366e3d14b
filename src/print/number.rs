//! The one number formatter of every printed summary: fixed decimals, p-values in the
//! summary's convention, estimates with confidence intervals on the display scale.

use super::style::{PValueStyle, Style};
use crate::effect::Scale;

/// `x` with `digits` decimals; a value that rounds to zero prints without a minus sign.
///
/// ```text
/// fixed(-0.00004, 4) = "0.0000",  fixed(152.233, 2) = "152.23"
/// ```
pub(crate) fn fixed(x: f64, digits: usize) -> String {
    let s = format!("{x:.digits$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

/// A value on the display scale with `digits` decimals (a value that rounds to zero without a
/// minus sign), except ratios that `digits` decimals would show as zero, or that have more than
/// six integer digits, which print in scientific notation.
///
/// ```
/// use metapool::print::display_value;
/// use metapool::effect::Scale;
/// assert_eq!(display_value(Scale::Log, 0.4896, 2), "0.49");
/// assert_eq!(display_value(Scale::Log, 0.0012, 2), "1.20e-3");
/// assert_eq!(display_value(Scale::Identity, -0.001, 2), "0.00");
/// ```
pub fn display_value(scale: Scale, x: f64, digits: usize) -> String {
    let small = 0.5 * 10f64.powi(-(digits as i32));
    if matches!(scale, Scale::Log) && x != 0.0 && (x.abs() < small || x.abs() >= 1e6) {
        format!("{x:.digits$e}")
    } else {
        fixed(x, digits)
    }
}

/// An estimate and its interval, given on the analysis scale, shown on the display scale:
/// `"0.4896 [0.3449, 0.6950]"`; ratios that the decimals would show as zero (or with more than
/// six integer digits) in scientific notation.
///
/// ```
/// use metapool::print::estimate_ci;
/// use metapool::effect::Scale;
/// // dat.bcg, DL: log RR -0.7141 [-1.0644, -0.3638] is RR 0.4896 [0.3449, 0.6950] (metafor)
/// assert_eq!(
///     estimate_ci(Scale::Log, -0.714117, -1.064443, -0.363791, 4),
///     "0.4896 [0.3449, 0.6950]"
/// );
/// assert_eq!(estimate_ci(Scale::Identity, -0.004, -0.5, 0.4, 2), "0.00 [-0.50, 0.40]");
/// ```
pub fn estimate_ci(scale: Scale, y: f64, lo: f64, hi: f64, digits: usize) -> String {
    let f = |x: f64| display_value(scale, scale.to_display(x), digits);
    format!("{} [{}, {}]", f(y), f(lo), f(hi))
}

/// A p-value without its `P`: `"0.4021"`, `"< .0001"` (metafor), `"0.40"`, `"< 0.00001"`
/// (RevMan).
///
/// ```text
/// Metafor: p < 10^-d -> "< ." + "0"^(d-1) + "1";  else p with d decimals   (d >= 1)
/// RevMan:  p < 0.00001 -> "< 0.00001"; p < 0.001: 5 decimals; < 0.01: 4; < 0.1: 3; else 2
/// ```
pub(crate) fn p_value(p: f64, style: &Style) -> String {
    match style.p_values() {
        PValueStyle::Metafor => {
            let d = style.digits().max(1);
            if p < 10f64.powi(-(d as i32)) {
                format!("< .{}1", "0".repeat(d - 1))
            } else {
                fixed(p, d)
            }
        }
        PValueStyle::RevMan => {
            if p < 0.00001 {
                "< 0.00001".to_string()
            } else if p < 0.001 {
                format!("{p:.5}")
            } else if p < 0.01 {
                format!("{p:.4}")
            } else if p < 0.1 {
                format!("{p:.3}")
            } else {
                format!("{p:.2}")
            }
        }
    }
}

/// `"P = 0.4021"` or `"P < .0001"`, in the style's convention.
///
/// ```
/// use metapool::print::{p_phrase, Style};
/// assert_eq!(p_phrase(0.40213, &Style::metafor()), "P = 0.4021");
/// assert_eq!(p_phrase(3e-5, &Style::metafor()), "P < .0001");
/// assert_eq!(p_phrase(0.0361, &Style::revman()), "P = 0.036");
/// assert_eq!(p_phrase(3e-6, &Style::revman()), "P < 0.00001");
/// ```
pub fn p_phrase(p: f64, style: &Style) -> String {
    let v = p_value(p, style);
    if v.starts_with('<') {
        format!("P {v}")
    } else {
        format!("P = {v}")
    }
}

/// A percentage with two decimals (metafor) or none (RevMan): `"92.12%"`, `"92%"`.
pub(crate) fn percent(x: f64, style: &Style) -> String {
    match style.p_values() {
        PValueStyle::Metafor => format!("{}%", fixed(x, style.digits().min(2))),
        PValueStyle::RevMan => format!("{}%", fixed(x, 0)),
    }
}

/// A study's weight in percent: two decimals (metafor) or one (RevMan): `"5.04%"`, `"5.0%"`.
pub(crate) fn weight(w: f64, style: &Style) -> String {
    match style.p_values() {
        PValueStyle::Metafor => format!("{}%", fixed(w, style.digits().min(2))),
        PValueStyle::RevMan => format!("{}%", fixed(w, 1)),
    }
}

/// A confidence level as a percentage: `0.95` -> `"95%"`, `0.999` -> `"99.9%"`.
pub(crate) fn level_percent(level: f64) -> String {
    let s = fixed(level * 100.0, 4);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(fixed(-0.00004, 4), "0.0000");
        assert_eq!(fixed(-0.7141, 4), "-0.7141");
        assert_eq!(fixed(152.233, 2), "152.23");
        assert_eq!(display_value(Scale::Log, 1e-7, 2), "1.00e-7");
        assert_eq!(display_value(Scale::Identity, 1e-7, 2), "0.00");
        assert_eq!(level_percent(0.95), "95%");
        assert_eq!(level_percent(0.999), "99.9%");
    }

    #[test]
    fn p_values() {
        let m = Style::metafor();
        assert_eq!(p_phrase(0.40211, &m), "P = 0.4021");
        assert_eq!(p_phrase(0.00009, &m), "P < .0001");
        assert_eq!(p_phrase(0.0012, &m.with_digits(2).unwrap()), "P < .01");
        let r = Style::revman();
        assert_eq!(p_phrase(0.40211, &r), "P = 0.40");
        assert_eq!(p_phrase(0.0362, &r), "P = 0.036");
        assert_eq!(p_phrase(0.00067, &r), "P = 0.00067");
        assert_eq!(p_phrase(1e-9, &r), "P < 0.00001");
        assert_eq!(percent(92.1234, &m), "92.12%");
        assert_eq!(percent(92.1234, &r), "92%");
    }
}
