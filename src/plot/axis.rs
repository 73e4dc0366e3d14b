//! Axis ticks shared by the plots: "nice" ticks on a linear axis, round ratios on a log axis,
//! and their labels.

/// The step multipliers a linear axis may use (times a power of ten).
///
/// ```
/// use metapool::plot::axis::{nice_step, Steps};
/// assert_eq!(nice_step(0.23, Steps::OneTwoFive), 0.5);
/// assert_eq!(nice_step(0.23, Steps::OneTwoTwoHalfFive), 0.25);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Steps {
    /// 1, 2, 5 (and 10).
    #[default]
    OneTwoFive,
    /// 1, 2, 2.5, 5 (and 10).
    OneTwoTwoHalfFive,
}

impl Steps {
    fn multipliers(self) -> &'static [f64] {
        match self {
            Steps::OneTwoFive => &[1.0, 2.0, 5.0, 10.0],
            Steps::OneTwoTwoHalfFive => &[1.0, 2.0, 2.5, 5.0, 10.0],
        }
    }
}

/// Ticks of a linear axis: evenly spaced values and the number of decimals that prints them all
/// exactly.
///
/// ```
/// use metapool::plot::axis::{linear_ticks, Steps};
/// let t = linear_ticks(-1.3, 0.4, 4, Steps::OneTwoTwoHalfFive);
/// // span 1.7 / 4 = 0.425 -> step 0.5; from floor(-1.3 / 0.5) 0.5 to ceil(0.4 / 0.5) 0.5
/// assert_eq!(t.values, vec![-1.5, -1.0, -0.5, 0.0, 0.5]);
/// assert_eq!((t.step, t.decimals), (0.5, 1));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    /// The tick values, ascending.
    pub values: Vec<f64>,
    /// The step between ticks.
    pub step: f64,
    /// Decimals needed to print every tick (2.5 x 10^-n needs n + 1).
    pub decimals: usize,
}

/// The smallest step `m 10^e` (`m` from `steps`) at or above `raw`; 1 when `raw` is not a
/// positive finite number.
///
/// ```text
/// step = min { m 10^floor(log10 raw) : m in steps, m 10^floor(log10 raw) >= raw }
/// ```
///
/// ```
/// use metapool::plot::axis::{nice_step, Steps};
/// assert_eq!(nice_step(3.2, Steps::OneTwoFive), 5.0);
/// assert_eq!(nice_step(7.0, Steps::OneTwoFive), 10.0);
/// assert_eq!(nice_step(f64::NAN, Steps::OneTwoFive), 1.0);
/// ```
pub fn nice_step(raw: f64, steps: Steps) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    steps
        .multipliers()
        .iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * mag)
}

/// "Nice" ticks covering `[lo, hi]` with about `target` intervals (Heckbert 1990, "Nice numbers
/// for graph labels"): the step is [`nice_step`] of `(hi - lo) / target`, the ticks run from
/// the last multiple of the step at or below `lo` to the first at or above `hi`. An empty range
/// (`hi <= lo`) is widened to `max(|lo|, 1)`.
///
/// ```
/// use metapool::plot::axis::{linear_ticks, Steps};
/// let t = linear_ticks(0.0, 0.73, 4, Steps::OneTwoTwoHalfFive);
/// assert_eq!(t.values.len(), 5); // 0, 0.2, ..., 0.8
/// assert_eq!((t.step, t.decimals), (0.2, 1));
/// ```
pub fn linear_ticks(lo: f64, hi: f64, target: usize, steps: Steps) -> Ticks {
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    let step = nice_step(span / target.max(1) as f64, steps);
    let first = (lo / step).floor();
    let last = (hi / step).ceil();
    let values: Vec<f64> = (0..=((last - first) as i64))
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
        let d = (-step.log10()).ceil() as usize;
        let scaled = step * 10f64.powi(d as i32);
        if (scaled.round() - scaled).abs() > 1e-9 {
            d + 1
        } else {
            d
        }
    };
    Ticks {
        values,
        step,
        decimals,
    }
}

/// The round ratios `m 10^e` for `e` in `e0..=e1` and `m` in `mantissas` (e.g. `[1, 2, 5]`),
/// ascending: the tick candidates of a log axis.
///
/// ```
/// let r = metapool::plot::axis::round_ratios(-1, 0, &[1.0, 2.0, 5.0]);
/// assert_eq!(r, vec![0.1, 0.2, 0.5, 1.0, 2.0, 5.0]);
/// ```
pub fn round_ratios(e0: i32, e1: i32, mantissas: &[f64]) -> Vec<f64> {
    let mut all: Vec<f64> = (e0..=e1)
        .flat_map(|e| mantissas.iter().map(move |m| m * 10f64.powi(e)))
        .collect();
    all.sort_by(f64::total_cmp);
    all
}

/// Which ticks of a log axis [`log_ticks`] returns.
///
/// ```
/// use metapool::plot::axis::{log_ticks, LogSpan};
/// // a RevMan forest axis symmetric about 1: 0.05 to 20
/// assert_eq!(log_ticks(0.05, 20.0, LogSpan::Inside), vec![0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0]);
/// assert_eq!(log_ticks(0.06, 15.0, LogSpan::Cover).first(), Some(&0.05));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogSpan {
    /// The ticks inside the range (a forest plot, whose range is set by its data).
    Inside,
    /// The ticks from the last at or below the range's low end to the first at or above its
    /// high end (a funnel plot, whose axis widens to round ends).
    Cover,
}

/// The one tick rule of a ratio (log) axis over the ratios `lo < hi` (both > 0):
/// ```text
/// candidates: 1, 2, 5 x 10^e
/// more than 9 of them in the span: powers of ten 10^e only, and with more than 7 of those
/// every n-th exponent (e a multiple of n = ceil(count / 7), so 1 = 10^0 is always a tick)
/// ```
/// "Inside" admits ticks within `1e-9` (on the log scale) of the ends.
///
/// ```
/// use metapool::plot::axis::{log_ticks, LogSpan};
/// assert_eq!(log_ticks(0.3, 4.0, LogSpan::Inside), vec![0.5, 1.0, 2.0]);
/// assert_eq!(log_ticks(0.3, 4.0, LogSpan::Cover), vec![0.2, 0.5, 1.0, 2.0, 5.0]);
/// assert_eq!(log_ticks(1e-3, 1e3, LogSpan::Inside), vec![1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1e3]);
/// ```
pub fn log_ticks(lo: f64, hi: f64, span: LogSpan) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Vec::new();
    }
    let e0 = lo.log10().floor() as i32 - 1;
    let e1 = hi.log10().ceil() as i32 + 1;
    let (llo, lhi) = (lo.ln(), hi.ln());
    let pick = |all: Vec<f64>| -> Vec<f64> {
        match span {
            LogSpan::Inside => all
                .into_iter()
                .filter(|r| {
                    let l = r.ln();
                    l >= llo - 1e-9 && l <= lhi + 1e-9
                })
                .collect(),
            LogSpan::Cover => {
                let start = all.iter().rposition(|&r| r <= lo).unwrap_or(0);
                let end = all.iter().position(|&r| r >= hi).unwrap_or(all.len() - 1);
                all[start..=end].to_vec()
            }
        }
    };
    let ticks = pick(round_ratios(e0, e1, &[1.0, 2.0, 5.0]));
    if ticks.len() <= 9 {
        return ticks;
    }
    let decades = pick(round_ratios(e0, e1, &[1.0]));
    let every = decades.len().div_ceil(7).max(1) as i32;
    if every == 1 {
        return decades;
    }
    let exponent = |r: f64| r.log10().round() as i32;
    let (first, last) = match (decades.first(), decades.last()) {
        (Some(&a), Some(&b)) => (exponent(a), exponent(b)),
        _ => return decades,
    };
    let (k0, k1) = match span {
        LogSpan::Inside => (
            first.div_euclid(every) * every
                + if first.rem_euclid(every) == 0 {
                    0
                } else {
                    every
                },
            last.div_euclid(every) * every,
        ),
        LogSpan::Cover => (
            first.div_euclid(every) * every,
            last.div_euclid(every) * every
                + if last.rem_euclid(every) == 0 {
                    0
                } else {
                    every
                },
        ),
    };
    (k0..=k1)
        .step_by(every as usize)
        .map(|k| 10f64.powi(k))
        .collect()
}

/// A tick label with no trailing zeros (at most 6 decimals; `-0` prints as `0`).
///
/// ```
/// use metapool::plot::axis::trimmed_label;
/// assert_eq!(trimmed_label(0.5), "0.5");
/// assert_eq!(trimmed_label(-1e-13), "0");
/// assert_eq!(trimmed_label(20.0), "20");
/// ```
pub fn trimmed_label(v: f64) -> String {
    let v = if v.abs() < 1e-12 { 0.0 } else { v };
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// The label of a round ratio on a log axis: as [`trimmed_label`] inside `[0.001, 100000)`,
/// in exponent form (`1e-4`, `1e5`) outside.
///
/// ```
/// use metapool::plot::axis::ratio_label;
/// assert_eq!(ratio_label(0.05), "0.05");
/// assert_eq!(ratio_label(1e6), "1e6");
/// ```
pub fn ratio_label(r: f64) -> String {
    if !(1e-3..1e5).contains(&r) {
        format!("{r:.0e}")
    } else {
        trimmed_label(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_cover_the_range() {
        let t = linear_ticks(-0.83, 2.04, 6, Steps::OneTwoTwoHalfFive);
        assert_eq!(t.decimals, 1);
        assert!(t.values[0] <= -0.83 && *t.values.last().unwrap() >= 2.04);
        let t = linear_ticks(0.0, 0.73, 4, Steps::OneTwoTwoHalfFive);
        let want = [0.0, 0.2, 0.4, 0.6, 0.8];
        assert_eq!(t.values.len(), want.len());
        assert!(t
            .values
            .iter()
            .zip(want)
            .all(|(a, b)| (a - b).abs() < 1e-12));
        assert_eq!(
            linear_ticks(0.0, 0.1, 4, Steps::OneTwoTwoHalfFive).decimals,
            3
        ); // step 0.025
        assert_eq!(linear_ticks(0.0, 0.1, 4, Steps::OneTwoFive).step, 0.05);
    }

    #[test]
    fn steps() {
        assert_eq!(nice_step(0.3, Steps::OneTwoFive), 0.5);
        assert_eq!(nice_step(0.23, Steps::OneTwoTwoHalfFive), 0.25);
        assert_eq!(nice_step(7.0, Steps::OneTwoFive), 10.0);
        assert_eq!(nice_step(f64::NAN, Steps::OneTwoFive), 1.0);
        assert_eq!(nice_step(0.0, Steps::OneTwoFive), 1.0);
    }

    #[test]
    fn log_ticks_are_symmetric_about_one_for_symmetric_ranges() {
        // the forest plot's axis: symmetric about the line of no effect on the log scale
        for m in [0.3f64, 1.0, 2.5, 4.0, 9.0, 20.0, 60.0] {
            let t = log_ticks((-m).exp(), m.exp(), LogSpan::Cover);
            assert!(t.len() >= 2 && t.len() <= 9, "{m}: {t:?}");
            for (a, b) in t.iter().zip(t.iter().rev()) {
                assert!((a.ln() + b.ln()).abs() < 1e-9, "{m}: {t:?}");
            }
            assert!(t[0].ln() <= -m + 1e-9 && t[t.len() - 1].ln() >= m - 1e-9);
        }
        assert!(log_ticks(f64::NAN, 1.0, LogSpan::Cover).is_empty());
        assert!(log_ticks(2.0, 1.0, LogSpan::Cover).is_empty());
    }

    #[test]
    fn labels() {
        assert_eq!(ratio_label(1e-4), "1e-4");
        assert_eq!(ratio_label(0.001), "0.001");
        assert_eq!(ratio_label(2.0), "2");
        assert_eq!(trimmed_label(-0.25), "-0.25");
    }
}
