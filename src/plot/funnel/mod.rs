//! The funnel plot: each study's effect against its standard error, with the pseudo-confidence
//! region around the pooled estimate, as metafor's `funnel()` draws it.

use super::axis::{linear_ticks, log_ticks, ratio_label, LogSpan, Steps};
use super::svg::{escape, Document};
use crate::bias::TrimFill;
use crate::effect::{EffectSet, Scale};
use crate::error::{Error, Problem, Result};
use crate::inference::ConfidenceLevel;
use crate::pool::Pooled;
use std::fmt::Write;

mod style;
pub use style::{FunnelStyle, TickLabels};

/// One study in a funnel plot.
///
/// ```
/// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
/// # use metapool::prelude::*;
/// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
/// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
/// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
/// #     (27, 16886, 29, 17825)]
/// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
/// # let set = EffectSet::from_studies(&bcg)?;
/// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
/// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
/// use metapool::plot::funnel::Funnel;
/// let fit = FixedModel::default().pool(&set)?;
/// let p = Funnel::new(&set, &fit)?.points()[0];
/// // Aronson 1948: y = -0.8893, se = sqrt(0.3256) (metafor escalc("RR"))
/// assert!((p.estimate - -0.8893113339202054).abs() < 1e-15);
/// assert!((p.se - 0.32558476500396133f64.sqrt()).abs() < 1e-15);
/// assert!(!p.filled);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FunnelPoint {
    /// Effect on the analysis scale.
    pub estimate: f64,
    /// Its standard error.
    pub se: f64,
    /// Whether the study was imputed by trim-and-fill (drawn as an open circle).
    pub filled: bool,
}

/// A funnel plot (Light & Pillemer 1984; Sterne & Egger 2001): effects on the x axis, standard
/// errors on the y axis with 0 at the top, a vertical line at the pooled estimate `mu`, and the
/// pseudo-confidence region in which studies should lie without heterogeneity or small-study
/// effects (white on a grey background, as metafor's `funnel.rma`):
/// ```text
/// region(se) = mu -/+ z_(1 - alpha/2) se,   0 <= se <= max se (rounded up to a tick)
/// ```
/// After trim-and-fill the centre is the adjusted estimate and the filled-in studies are drawn as
/// open circles (metafor `funnel(trimfill(...))`).
///
/// ```
/// use metapool::{effect::EffectSet, pool::FixedModel, plot::{funnel::Funnel, funnel::FunnelStyle}};
/// let set = EffectSet::from_estimates(&[0.9, 0.6, 0.4, 0.3, 0.2], &[0.25, 0.12, 0.06, 0.02, 0.01])?;
/// let fit = FixedModel::default().pool(&set)?;
/// let svg = Funnel::new(&set, &fit)?.to_svg(&FunnelStyle::default())?;
/// assert!(svg.contains("<svg") && svg.matches("<circle").count() == 5);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Funnel {
    points: Vec<FunnelPoint>,
    center: f64,
    level: ConfidenceLevel,
    scale: Scale,
}

impl Funnel {
    /// The studies of `set` around the estimate of `fit` (with `fit`'s confidence level).
    ///
    /// ```
    /// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
    /// # use metapool::prelude::*;
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// use metapool::plot::funnel::Funnel;
    /// let fit = Pooler::default().pool(&set)?;
    /// let funnel = Funnel::new(&set, &fit)?;
    /// assert_eq!(funnel.points().len(), 13);
    /// assert!((funnel.center() - -0.7141172220732269).abs() < 1e-12); // metafor DL estimate
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(set: &EffectSet, fit: &Pooled) -> Result<Funnel> {
        let points = set
            .effects()
            .iter()
            .map(|e| FunnelPoint {
                estimate: e.estimate(),
                se: e.se(),
                filled: false,
            })
            .collect();
        Ok(Funnel {
            points,
            center: fit.estimate,
            level: fit.level,
            scale: set.scale(),
        })
    }

    /// The observed studies of `set` and the studies trim-and-fill imputed, around the adjusted
    /// estimate.
    ///
    /// ```
    /// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
    /// # use metapool::prelude::*;
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// use metapool::bias::{trim_and_fill, TrimFillOptions};
    /// use metapool::plot::{funnel::Funnel, funnel::FunnelStyle};
    /// let tf = trim_and_fill(&FixedModel::default().into(), &set, TrimFillOptions::default())?;
    /// let funnel = Funnel::trim_and_fill(&set, &tf)?;
    /// // metafor funnel(trimfill(rma(yi, vi, method = "FE"))): 13 observed, 4 filled, centred at -0.2910
    /// assert_eq!(funnel.points().iter().filter(|p| p.filled).count(), 4);
    /// assert!((funnel.center() - -0.2910259921063531).abs() < 1e-12);
    /// assert_eq!(funnel.points().len(), 17);
    /// assert!(funnel.to_svg(&FunnelStyle::default())?.contains("<circle"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn trim_and_fill(set: &EffectSet, tf: &TrimFill) -> Result<Funnel> {
        let mut funnel = Funnel::new(set, &tf.fit)?;
        funnel.points.extend(tf.filled.iter().map(|e| FunnelPoint {
            estimate: e.estimate(),
            se: e.se(),
            filled: true,
        }));
        Ok(funnel)
    }

    /// The points, observed first.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, plot::funnel::Funnel};
    /// let set = EffectSet::from_estimates(&[0.9, 0.6], &[0.25, 0.04])?;
    /// let f = Funnel::new(&set, &FixedModel::default().pool(&set)?)?;
    /// assert_eq!(f.points()[1].se, 0.2);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn points(&self) -> &[FunnelPoint] {
        &self.points
    }

    /// The centre line (the pooled estimate).
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, plot::funnel::Funnel};
    /// let set = EffectSet::from_estimates(&[0.9, 0.6], &[0.04, 0.04])?;
    /// let f = Funnel::new(&set, &FixedModel::default().pool(&set)?)?;
    /// assert!((f.center() - 0.75).abs() < 1e-15); // equal weights: the mean
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn center(&self) -> f64 {
        self.center
    }

    /// Render as a standalone SVG document. Errors when the width or height is below 200 or not
    /// finite, and with [`Error::NonFinite`] when the data span more than `f64` can place on an
    /// axis.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, plot::{funnel::Funnel, funnel::FunnelStyle}};
    /// let set = EffectSet::from_estimates(&[0.9, 0.6, 0.4], &[0.25, 0.12, 0.06])?;
    /// let svg = Funnel::new(&set, &FixedModel::default().pool(&set)?)?.to_svg(&FunnelStyle::default())?;
    /// assert!(svg.starts_with("<?xml") && svg.contains("width=\"640\""));
    /// assert_eq!(svg.matches("<circle").count(), 3);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn to_svg(&self, style: &FunnelStyle) -> Result<String> {
        for (name, x) in [("width", style.width), ("height", style.height)] {
            if !x.is_finite() {
                return Err(Error::InvalidParameter {
                    name,
                    problem: Problem::NotFinite(x),
                });
            }
            if x < 200.0 {
                return Err(Error::InvalidParameter {
                    name,
                    problem: Problem::TooSmall { min: 200.0, got: x },
                });
            }
        }
        let (w, h) = (style.width, style.height);
        let z = self.level.z();
        let se_max = self.points.iter().map(|p| p.se).fold(0.0, f64::max);
        let y = linear_ticks(0.0, se_max, 4, Steps::OneTwoTwoHalfFive);
        let (y_ticks, y_dec) = (y.values, y.decimals);
        let se_top = *y_ticks.last().unwrap_or(&se_max);
        let lo = self
            .points
            .iter()
            .map(|p| p.estimate)
            .fold(self.center - z * se_top, f64::min);
        let hi = self
            .points
            .iter()
            .map(|p| p.estimate)
            .fold(self.center + z * se_top, f64::max);
        if ![lo, hi, se_top, self.center].iter().all(|x| x.is_finite()) || se_top <= 0.0 {
            return Err(Error::NonFinite {
                what: "funnel plot range",
            });
        }
        let (x_ticks, x_min, x_max) = self.x_ticks(lo, hi, style.tick_labels);
        if !(x_max > x_min && x_min.is_finite() && x_max.is_finite()) {
            return Err(Error::NonFinite {
                what: "funnel plot axis",
            });
        }

        let any_filled = self.points.iter().any(|p| p.filled);
        // the legend gets its own row under the axis label, so it never hides a study
        let legend_h = if any_filled { 24.0 } else { 0.0 };
        let top = if style.title.is_some() { 40.0 } else { 16.0 };
        let (left, right, bottom) = (68.0, w - 20.0, h - 56.0 - legend_h);
        let px = |x: f64| left + (x - x_min) / (x_max - x_min) * (right - left);
        let py = |se: f64| top + se / se_top * (bottom - top);

        let mut s = String::new();
        if let Some(t) = &style.title {
            let _ = writeln!(
                s,
                "<text x=\"{:.2}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" \
                 font-weight=\"bold\">{}</text>",
                (left + right) / 2.0,
                escape(t)
            );
        }
        // background and pseudo-confidence region
        let _ = writeln!(
            s,
            "<rect x=\"{left:.2}\" y=\"{top:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"#e3e3e3\"/>",
            right - left,
            bottom - top
        );
        let (cx, l_end, r_end) = (
            px(self.center),
            px(self.center - z * se_top),
            px(self.center + z * se_top),
        );
        let _ = writeln!(
            s,
            "<polygon points=\"{cx:.2},{top:.2} {l_end:.2},{bottom:.2} {r_end:.2},{bottom:.2}\" \
             fill=\"white\"/>"
        );
        let _ = writeln!(
            s,
            "<polyline points=\"{l_end:.2},{bottom:.2} {cx:.2},{top:.2} {r_end:.2},{bottom:.2}\" \
             fill=\"none\" stroke=\"#555\" stroke-dasharray=\"5,4\"/>"
        );
        let _ = writeln!(
            s,
            "<line x1=\"{cx:.2}\" y1=\"{top:.2}\" x2=\"{cx:.2}\" y2=\"{bottom:.2}\" stroke=\"black\"/>"
        );
        // axes
        let _ = writeln!(
            s,
            "<g stroke=\"black\" fill=\"none\"><line x1=\"{left:.2}\" y1=\"{bottom:.2}\" \
             x2=\"{right:.2}\" y2=\"{bottom:.2}\"/><line x1=\"{left:.2}\" y1=\"{top:.2}\" \
             x2=\"{left:.2}\" y2=\"{bottom:.2}\"/></g>"
        );
        for (x, label) in &x_ticks {
            let xp = px(*x);
            let _ = writeln!(
                s,
                "<line x1=\"{xp:.2}\" y1=\"{bottom:.2}\" x2=\"{xp:.2}\" y2=\"{:.2}\" stroke=\"black\"/>\
                 <text x=\"{xp:.2}\" y=\"{:.2}\" text-anchor=\"middle\">{}</text>",
                bottom + 5.0,
                bottom + 20.0,
                escape(label)
            );
        }
        for se in &y_ticks {
            let yp = py(*se);
            let _ = writeln!(
                s,
                "<line x1=\"{:.2}\" y1=\"{yp:.2}\" x2=\"{left:.2}\" y2=\"{yp:.2}\" stroke=\"black\"/>\
                 <text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"end\">{se:.y_dec$}</text>",
                left - 5.0,
                left - 8.0,
                yp + 4.5
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"middle\">{}</text>",
            (left + right) / 2.0,
            h - 14.0 - legend_h,
            escape(&style.x_label)
        );
        let _ = writeln!(
            s,
            "<text transform=\"translate(18 {:.2}) rotate(-90)\" text-anchor=\"middle\">Standard Error</text>",
            (top + bottom) / 2.0
        );
        // studies: observed first, filled on top
        for p in self.points.iter().filter(|p| !p.filled) {
            point(&mut s, px(p.estimate), py(p.se), p, false);
        }
        for p in self.points.iter().filter(|p| p.filled) {
            point(&mut s, px(p.estimate), py(p.se), p, true);
        }
        if any_filled {
            let (lx, ly) = ((left + right) / 2.0 - 110.0, h - 14.0);
            let _ = writeln!(
                s,
                "<g><circle cx=\"{:.2}\" cy=\"{:.2}\" r=\"4\" fill=\"black\" stroke=\"black\"/>\
                 <text x=\"{:.2}\" y=\"{ly:.2}\">observed</text>\
                 <circle cx=\"{:.2}\" cy=\"{:.2}\" r=\"4\" fill=\"white\" stroke=\"black\"/>\
                 <text x=\"{:.2}\" y=\"{ly:.2}\">filled (trim-and-fill)</text></g>",
                lx,
                ly - 4.5,
                lx + 10.0,
                lx + 90.0,
                ly - 4.5,
                lx + 100.0,
            );
        }
        Ok(Document::new(w, h, 13.0)
            .render(Some(style.title.as_deref().unwrap_or("Funnel plot")), &s))
    }

    /// Effect-axis ticks as (position on the analysis scale, label), and the axis limits.
    fn x_ticks(&self, lo: f64, hi: f64, labels: TickLabels) -> (Vec<(f64, String)>, f64, f64) {
        if labels == TickLabels::Display && self.scale == Scale::Log {
            if let Some(t) = log_ratio_ticks(lo, hi) {
                let (a, b) = (t[0].0, t[t.len() - 1].0);
                return (t, a, b);
            }
            // narrow range: linear ticks on the ratio scale
            let t = linear_ticks(lo.exp(), hi.exp(), 5, Steps::OneTwoTwoHalfFive);
            let dec = t.decimals;
            let ticks: Vec<(f64, String)> = t
                .values
                .into_iter()
                .filter(|&r| r > 0.0)
                .map(|r| (r.ln(), format!("{r:.dec$}")))
                .collect();
            let (a, b) = (
                ticks.first().map_or(lo, |t| t.0.min(lo)),
                ticks.last().map_or(hi, |t| t.0.max(hi)),
            );
            return (ticks, a, b);
        }
        let t = linear_ticks(lo, hi, 6, Steps::OneTwoTwoHalfFive);
        let (ticks, dec) = (t.values, t.decimals);
        let (a, b) = (ticks[0], ticks[ticks.len() - 1]);
        (
            ticks
                .into_iter()
                .map(|x| (x, format!("{x:.dec$}")))
                .collect(),
            a,
            b,
        )
    }
}

/// Ticks at round ratios (1, 2, 5 times powers of ten, or powers of ten alone when there are
/// many) from the last one at or below `exp(lo)` to the first at or above `exp(hi)`; `None` when
/// fewer than two fall strictly inside the range.
fn log_ratio_ticks(lo: f64, hi: f64) -> Option<Vec<(f64, String)>> {
    let (rlo, rhi) = (lo.exp(), hi.exp());
    let t = log_ticks(rlo, rhi, LogSpan::Cover);
    // at least two round ratios inside the data range, else the axis would be mostly empty
    if t.iter().filter(|&&r| r > rlo && r < rhi).count() < 2 {
        return None;
    }
    Some(t.iter().map(|&r| (r.ln(), ratio_label(r))).collect())
}

fn point(s: &mut String, x: f64, y: f64, p: &FunnelPoint, filled: bool) {
    let fill = if filled { "white" } else { "black" };
    let _ = writeln!(
        s,
        "<circle cx=\"{x:.2}\" cy=\"{y:.2}\" r=\"4\" fill=\"{fill}\" stroke=\"black\">\
         <title>{}effect {:.4}, SE {:.4}</title></circle>",
        if filled { "filled: " } else { "" },
        p.estimate,
        p.se
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_ticks() {
        let t = log_ratio_ticks(0.2f64.ln() + 0.01, 2.7f64.ln()).unwrap();
        let labels: Vec<&str> = t.iter().map(|x| x.1.as_str()).collect();
        assert_eq!(labels, vec!["0.2", "0.5", "1", "2", "5"]);
        assert!(log_ratio_ticks(0.9f64.ln(), 1.1f64.ln()).is_none());
    }

    #[test]
    fn extreme_values_are_an_error_or_a_finite_plot() {
        for (y, v) in [
            (vec![1e300, -1e300], vec![1e-2, 1e-2]),
            (vec![0.0, 1.0], vec![1e300, 1e300]),
            (vec![1e10, 1e10 + 1e-6], vec![1e-30, 1e-30]),
            (vec![0.0, 0.0], vec![1e-300, 1e-300]),
        ] {
            let set = EffectSet::from_estimates(&y, &v).unwrap();
            let fit = crate::pool::FixedModel::default().pool(&set);
            let Ok(fit) = fit else { continue };
            match Funnel::new(&set, &fit)
                .unwrap()
                .to_svg(&FunnelStyle::default())
            {
                Ok(svg) => assert!(!svg.contains("NaN") && !svg.contains("inf"), "{y:?} {v:?}"),
                Err(e) => assert!(matches!(e, Error::NonFinite { .. }), "{e:?}"),
            }
        }
    }

    #[test]
    fn rejects_tiny_canvas() {
        let set = EffectSet::from_estimates(&[0.1, 0.2], &[0.01, 0.02]).unwrap();
        let fit = crate::pool::FixedModel::default().pool(&set).unwrap();
        let f = Funnel::new(&set, &fit).unwrap();
        let style = FunnelStyle {
            width: 50.0,
            ..FunnelStyle::default()
        };
        assert!(matches!(
            f.to_svg(&style),
            Err(Error::InvalidParameter { name: "width", .. })
        ));
    }
}
