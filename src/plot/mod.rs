//! Plots as self-contained SVG text (no dependencies, no fonts embedded): the funnel plot.
//!
//! SVG is written by hand: a plot is a few dozen elements, and a plotting crate would add
//! dependencies (and font handling) without doing anything these few lines cannot.

pub mod funnel;

pub use funnel::{Funnel, FunnelPoint, FunnelStyle, TickLabels};

/// Escape text for SVG/XML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// "Nice" axis ticks (1, 2, 2.5 or 5 times a power of ten) covering `[lo, hi]` with about
/// `target` intervals: returns the ticks from the first at or below `lo` to the first at or
/// above `hi`, and the number of decimals needed to print them.
pub(crate) fn nice_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, usize) {
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor();
    let last = (hi / step).ceil();
    let ticks: Vec<f64> = (0..=((last - first) as i64))
        .map(|i| {
            let t = (first + i as f64) * step;
            if t.abs() < step * 1e-9 {
                0.0
            } else {
                t
            }
        })
        .collect();
    let decimals = if step >= 1.0 {
        usize::from(step.fract() != 0.0)
    } else {
        // enough decimals for the step (2.5 * 10^-n needs n + 1)
        let d = (-step.log10()).ceil() as usize;
        if ((step / 10f64.powi(-(d as i32))).round() - step / 10f64.powi(-(d as i32))).abs() > 1e-9
        {
            d + 1
        } else {
            d
        }
    };
    (ticks, decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_cover_the_range() {
        let (t, d) = nice_ticks(-0.83, 2.04, 6);
        assert_eq!(d, 1);
        assert!(t[0] <= -0.83 && *t.last().unwrap() >= 2.04);
        let (t, d) = nice_ticks(0.0, 0.73, 4);
        let want = [0.0, 0.2, 0.4, 0.6, 0.8];
        assert_eq!(t.len(), want.len());
        assert!(t.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12));
        assert_eq!(d, 1);
        let (_, d) = nice_ticks(0.0, 0.1, 4);
        assert_eq!(d, 3); // step 0.025
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
