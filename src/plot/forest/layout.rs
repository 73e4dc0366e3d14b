//! The effect axis of the forest plot: its range (symmetric about the line of no effect, or
//! the data's), its ticks and the mapping to pixels.

use super::AxisRange;
use crate::error::{Error, Result};
use crate::plot::axis::{linear_ticks, log_ticks, ratio_label, trimmed_label, LogSpan, Steps};

/// The effect axis in plot units (the log ratio for ratios, the display value otherwise).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct EffectAxis {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<f64>,
    pub log: bool,
    pub null: Option<f64>,
    pub left: f64,
    pub right: f64,
}

/// What the axis must show: point estimates, pooled intervals (always inside) and study
/// intervals (inside unless they would squeeze the rest).
pub(super) struct Extent<'a> {
    pub points: &'a [f64],
    pub pooled: &'a [(f64, f64)],
    pub studies: &'a [(f64, f64)],
}

impl EffectAxis {
    /// The axis for `extent` between pixels `left` and `right`.
    ///
    /// ```text
    /// core  = [min, max] of the points, the pooled intervals and the null value
    /// data  = core widened by the study intervals, at most by the width of core on each side
    /// SymmetricAboutNull: m = max |data - null|, range [null - m, null + m]
    /// ticks: log_ticks(Cover) (ratios) or linear 1-2-5 ticks; the range widens to the outer ticks
    /// ```
    pub fn new(
        extent: &Extent<'_>,
        null: Option<f64>,
        log: bool,
        range: AxisRange,
        (left, right): (f64, f64),
    ) -> Result<EffectAxis> {
        let (mut lo, mut hi) = null.map_or((f64::INFINITY, f64::NEG_INFINITY), |n| (n, n));
        for &p in extent.points {
            lo = lo.min(p);
            hi = hi.max(p);
        }
        for &(a, b) in extent.pooled {
            lo = lo.min(a);
            hi = hi.max(b);
        }
        if !(lo.is_finite() && hi.is_finite()) {
            return Err(Error::NonFinite {
                what: "forest plot range",
            });
        }
        let core = (hi - lo).max(1e-6);
        let (mut flo, mut fhi) = (lo, hi);
        for &(a, b) in extent.studies {
            flo = flo.min(a);
            fhi = fhi.max(b);
        }
        let (mut lo, mut hi) = (flo.max(lo - core), fhi.min(hi + core));
        if let (AxisRange::SymmetricAboutNull, Some(n)) = (range, null) {
            let m = (n - lo).abs().max((hi - n).abs()).max(1e-6);
            lo = n - m;
            hi = n + m;
        }
        let ticks: Vec<f64> = if log {
            log_ticks(lo.exp(), hi.exp(), LogSpan::Cover)
                .into_iter()
                .map(f64::ln)
                .collect()
        } else {
            linear_ticks(lo, hi, 6, Steps::OneTwoFive).values
        };
        let (Some(&first), Some(&last)) = (ticks.first(), ticks.last()) else {
            return Err(Error::NonFinite {
                what: "forest plot axis",
            });
        };
        let (lo, hi) = (first.min(lo), last.max(hi));
        if !(lo.is_finite() && hi.is_finite() && hi > lo) {
            return Err(Error::NonFinite {
                what: "forest plot axis",
            });
        }
        Ok(EffectAxis {
            lo,
            hi,
            ticks,
            log,
            null,
            left,
            right,
        })
    }

    /// Keep the axis inside `[a, b]` (proportions: `[0, 1]`).
    pub fn clamp(&mut self, a: f64, b: f64) {
        self.lo = self.lo.max(a);
        self.hi = self.hi.min(b);
        let (lo, hi) = (self.lo, self.hi);
        self.ticks.retain(|&t| t >= lo - 1e-12 && t <= hi + 1e-12);
    }

    /// The pixel of a value in plot units.
    pub fn x(&self, v: f64) -> f64 {
        self.left + (v - self.lo) / (self.hi - self.lo) * (self.right - self.left)
    }

    /// The pixel of a value clamped to the axis.
    pub fn x_clamped(&self, v: f64) -> f64 {
        self.x(v.clamp(self.lo, self.hi))
    }

    /// Whether `v` lies on the axis.
    pub fn shows(&self, v: f64) -> bool {
        v >= self.lo && v <= self.hi
    }

    /// The label of a tick.
    pub fn label(&self, t: f64) -> String {
        if self.log {
            ratio_label(t.exp())
        } else {
            trimmed_label(t)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_log_axis() {
        let points = [0.4f64.ln(), 0.7f64.ln()];
        let pooled = [(0.3f64.ln(), 0.8f64.ln())];
        let studies = [(0.1f64.ln(), 1.4f64.ln())];
        let e = Extent {
            points: &points,
            pooled: &pooled,
            studies: &studies,
        };
        let a = EffectAxis::new(
            &e,
            Some(0.0),
            true,
            AxisRange::SymmetricAboutNull,
            (0.0, 100.0),
        )
        .unwrap();
        assert!((a.lo + a.hi).abs() < 1e-12, "{a:?}");
        for (t, u) in a.ticks.iter().zip(a.ticks.iter().rev()) {
            assert!((t + u).abs() < 1e-9);
        }
        assert!((a.x(0.0) - 50.0).abs() < 1e-9);
        let d = EffectAxis::new(&e, Some(0.0), true, AxisRange::Data, (0.0, 100.0)).unwrap();
        assert!(d.hi - d.lo <= a.hi - a.lo);
    }

    #[test]
    fn non_finite_is_an_error() {
        let e = Extent {
            points: &[f64::NAN],
            pooled: &[],
            studies: &[],
        };
        assert!(EffectAxis::new(&e, None, false, AxisRange::Data, (0.0, 1.0)).is_err());
    }
}
