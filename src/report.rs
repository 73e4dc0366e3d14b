//! Re-checking published figures: are a printed estimate, its confidence interval and its
//! p-value consistent with each other under normal-theory (Wald) inference, once rounding is
//! taken into account?
//!
//! Each printed number stands for the interval of values that round to it: `0.46` means
//! [0.455, 0.465], `-610.6` means [-610.65, -610.55], `<0.00001` means (0, 0.00001]. Under Wald
//! inference a result is determined by two unknowns, the estimate `mu` and the half-width
//! `h = z se` of its interval (on the log scale for ratio measures):
//! ```text
//! estimate = mu,   lower = mu - h,   upper = mu + h,   p = 2 (1 - Phi(z |mu| / h))
//! ```
//! Every printed figure confines `(mu, h)` to a convex region (the p-value's after splitting
//! by the sign of `mu`), so consistency is the non-emptiness of an intersection of half-planes,
//! decided exactly by enumerating the vertices of that polygon. For each figure the check also
//! gives the range the other three figures allow for it: a figure *conflicts* when its printed
//! interval lies outside that range (for example a sign typo in one CI bound).
//!
//! ```
//! use metapool::report::{PublishedResult, Figure};
//! use metapool::effect::Scale;
//! // Zhou et al. 2020, Table 2, proteinuria at 2 months, as printed in the table ...
//! let table = PublishedResult::parse("-1.74", "-5.00", "1.52", "0.30", Scale::Identity)?;
//! assert!(table.check().consistent);
//! // ... and as printed in the text (a lost minus sign? no: a sign added to the upper bound)
//! let text = PublishedResult::parse("-1.74", "-5.00", "-1.52", "0.30", Scale::Identity)?;
//! let verdict = text.check();
//! assert!(!verdict.consistent);
//! assert_eq!(verdict.conflicting(), vec![Figure::CiUpper]);
//! # Ok::<(), metapool::Error>(())
//! ```

use crate::effect::Scale;
use crate::error::{Error, Result};
use crate::inference::{normal_quantile, normal_two_sided_p, ConfidenceLevel};
use crate::pool::{ModelChoice, ModelRule};

/// A printed number and the closed interval of values it stands for.
///
/// ```
/// use metapool::report::Printed;
/// let p = Printed::parse("\u{2212}1.74")?; // a Unicode minus, as journals print it
/// assert_eq!(p.text, "\u{2212}1.74");
/// assert!((p.lower - -1.745).abs() < 1e-12 && (p.upper - -1.735).abs() < 1e-12);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Printed {
    /// The text as printed.
    pub text: String,
    /// Smallest value that prints as `text`.
    pub lower: f64,
    /// Largest value that prints as `text`.
    pub upper: f64,
}

impl Printed {
    /// Read a printed number: `"0.46"` is [0.455, 0.465]; `"<0.001"` is [-inf, 0.001];
    /// `">0.5"` is [0.5, +inf]. A Unicode minus is accepted.
    ///
    /// ```
    /// use metapool::report::Printed;
    /// let p = Printed::parse("0.46")?;
    /// assert!((p.lower - 0.455).abs() < 1e-15 && (p.upper - 0.465).abs() < 1e-15);
    /// let q = Printed::parse("<0.00001")?;
    /// assert_eq!(q.upper, 0.00001);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Printed> {
        let bad = || Error::Unparsable {
            what: "printed number",
            text: text.to_string(),
        };
        let t = text
            .trim()
            .replace(['\u{2212}', '\u{2010}', '\u{2011}'], "-");
        let (bound, num) = if let Some(rest) = t.strip_prefix('<') {
            (Some(false), rest.trim())
        } else if let Some(rest) = t.strip_prefix('>') {
            (Some(true), rest.trim())
        } else {
            (None, t.as_str())
        };
        let x: f64 = num.parse().map_err(|_| bad())?;
        if !x.is_finite() || num.contains(['e', 'E']) {
            return Err(bad());
        }
        let decimals = num.split_once('.').map_or(0, |(_, f)| f.len()) as i32;
        let half = 0.5 * 10f64.powi(-decimals);
        let (lower, upper) = match bound {
            Some(false) => (f64::NEG_INFINITY, x),
            Some(true) => (x, f64::INFINITY),
            None => (x - half, x + half),
        };
        Ok(Printed {
            text: text.to_string(),
            lower,
            upper,
        })
    }
}

/// One of the four figures of a published result.
///
/// ```
/// use metapool::report::{Figure, PublishedResult};
/// use metapool::effect::Scale;
/// // a p-value that cannot go with its CI: 0.49 (0.34 to 0.70) excludes 1 by far, so p = 0.20 conflicts
/// let r = PublishedResult::parse("0.49", "0.34", "0.70", "0.20", Scale::Log)?;
/// assert_eq!(r.check().conflicting(), vec![Figure::P]);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Figure {
    /// The point estimate.
    Estimate,
    /// The lower confidence bound.
    CiLower,
    /// The upper confidence bound.
    CiUpper,
    /// The two-sided p-value.
    P,
}

const FIGURES: [Figure; 4] = [
    Figure::Estimate,
    Figure::CiLower,
    Figure::CiUpper,
    Figure::P,
];

/// A published pooled result: estimate, CI and p as printed, on the display scale.
///
/// ```
/// use metapool::report::PublishedResult;
/// use metapool::effect::Scale;
/// // metafor print(rma(yi, vi, method = "DL"), dat.bcg) on the RR scale: 0.4896 [0.3449, 0.6950],
/// // p = 6.46e-05, as a paper would print it
/// let r = PublishedResult::parse("0.49", "0.34", "0.70", "<0.0001", Scale::Log)?;
/// assert!(r.check().consistent);
/// assert_eq!(r.level.level(), 0.95);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PublishedResult {
    /// Point estimate (an odds ratio itself for [`Scale::Log`]).
    pub estimate: Printed,
    /// Lower confidence bound.
    pub ci_lower: Printed,
    /// Upper confidence bound.
    pub ci_upper: Printed,
    /// Two-sided p-value.
    pub p: Printed,
    /// The analysis scale: [`Scale::Log`] for ratio measures, tested on the log scale.
    pub scale: Scale,
    /// The confidence level of the printed interval.
    pub level: ConfidenceLevel,
}

/// The verdict on one figure.
///
/// ```
/// use metapool::report::{Figure, PublishedResult};
/// use metapool::effect::Scale;
/// let r = PublishedResult::parse("-1.74", "-5.00", "-1.52", "0.30", Scale::Identity)?;
/// let upper = &r.check().figures[2];
/// assert_eq!(upper.figure, Figure::CiUpper);
/// assert!(upper.conflicts);
/// // the estimate, lower bound and p allow an upper bound near +1.5, not -1.52
/// let (lo, hi) = upper.feasible.unwrap();
/// assert!(lo > 1.0 && hi < 2.0);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FigureCheck {
    /// Which figure.
    pub figure: Figure,
    /// The interval the printed figure stands for (display scale).
    pub printed: (f64, f64),
    /// The range of values the other three figures allow for it (display scale); `None` when the
    /// other three are already inconsistent among themselves.
    pub feasible: Option<(f64, f64)>,
    /// The printed interval lies outside the feasible range.
    pub conflicts: bool,
}

/// The verdict on a published result.
///
/// ```
/// use metapool::report::PublishedResult;
/// use metapool::effect::Scale;
/// let ok = PublishedResult::parse("-1.74", "-5.00", "1.52", "0.30", Scale::Identity)?.check();
/// assert!(ok.consistent && ok.conflicting().is_empty());
/// assert_eq!(ok.figures.len(), 4);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Consistency {
    /// All four printed figures can come from one Wald result.
    pub consistent: bool,
    /// Per-figure verdicts, in the order estimate, lower, upper, p.
    pub figures: Vec<FigureCheck>,
}

impl Consistency {
    /// The figures that conflict with the other three.
    ///
    /// ```
    /// use metapool::report::{Figure, PublishedResult};
    /// use metapool::effect::Scale;
    /// // a sign typo in the lower bound of a mean difference
    /// let r = PublishedResult::parse("2.10", "-1.20", "3.00", "<0.00001", Scale::Identity)?;
    /// assert_eq!(r.check().conflicting(), vec![Figure::CiLower]);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn conflicting(&self) -> Vec<Figure> {
        self.figures
            .iter()
            .filter(|f| f.conflicts)
            .map(|f| f.figure)
            .collect()
    }
}

/// A half-plane `a * mu + b * h <= c`.
#[derive(Debug, Clone, Copy)]
struct HalfPlane {
    a: f64,
    b: f64,
    c: f64,
}

impl PublishedResult {
    /// From the printed texts, at the 95% level.
    ///
    /// ```
    /// use metapool::report::PublishedResult;
    /// use metapool::effect::Scale;
    /// let r = PublishedResult::parse("0.65", "0.60", "0.70", "<0.00001", Scale::Log)?;
    /// assert_eq!(r.estimate.text, "0.65");
    /// assert!(PublishedResult::parse("0.65", "n/a", "0.70", "0.01", Scale::Log).is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn parse(
        estimate: &str,
        ci_lower: &str,
        ci_upper: &str,
        p: &str,
        scale: Scale,
    ) -> Result<Self> {
        Ok(PublishedResult {
            estimate: Printed::parse(estimate)?,
            ci_lower: Printed::parse(ci_lower)?,
            ci_upper: Printed::parse(ci_upper)?,
            p: Printed::parse(p)?,
            scale,
            level: ConfidenceLevel::default(),
        })
    }

    fn printed(&self, f: Figure) -> (f64, f64) {
        let p = match f {
            Figure::Estimate => &self.estimate,
            Figure::CiLower => &self.ci_lower,
            Figure::CiUpper => &self.ci_upper,
            Figure::P => &self.p,
        };
        match f {
            Figure::P => (p.lower.max(0.0), p.upper.min(1.0)),
            _ => (p.lower, p.upper),
        }
    }

    /// An analysis-scale interval of a location figure.
    fn analysis(&self, (lo, hi): (f64, f64)) -> (f64, f64) {
        (
            self.scale.to_analysis_bounded(lo),
            self.scale.to_analysis_bounded(hi),
        )
    }

    /// Half-planes in (mu, h) from the figures in `use_`, for one sign of mu.
    fn constraints(&self, use_: &[Figure], nonneg_mu: bool) -> Vec<HalfPlane> {
        let z = self.level.z();
        let mut hp = vec![HalfPlane {
            a: 0.0,
            b: -1.0,
            c: 0.0,
        }];
        hp.push(if nonneg_mu {
            HalfPlane {
                a: -1.0,
                b: 0.0,
                c: 0.0,
            }
        } else {
            HalfPlane {
                a: 1.0,
                b: 0.0,
                c: 0.0,
            }
        });
        let boxed = |hp: &mut Vec<HalfPlane>, a: f64, b: f64, (lo, hi): (f64, f64)| {
            if hi.is_finite() {
                hp.push(HalfPlane { a, b, c: hi });
            }
            if lo.is_finite() {
                hp.push(HalfPlane {
                    a: -a,
                    b: -b,
                    c: -lo,
                });
            }
        };
        for &f in use_ {
            match f {
                Figure::Estimate => boxed(&mut hp, 1.0, 0.0, self.analysis(self.printed(f))),
                Figure::CiLower => boxed(&mut hp, 1.0, -1.0, self.analysis(self.printed(f))),
                Figure::CiUpper => boxed(&mut hp, 1.0, 1.0, self.analysis(self.printed(f))),
                Figure::P => {
                    // p in [p1, p2]  <=>  t = z|mu|/h in [t(p2), t(p1)], t(p) = Phi^-1(1 - p/2)
                    let (p1, p2) = self.printed(f);
                    let t_of = |p: f64| {
                        if p <= 0.0 {
                            f64::INFINITY
                        } else if p >= 1.0 {
                            0.0
                        } else {
                            -normal_quantile(p / 2.0)
                        }
                    };
                    let (t_lo, t_hi) = (t_of(p2), t_of(p1));
                    let s = if nonneg_mu { 1.0 } else { -1.0 };
                    // t >= t_lo:  t_lo h - z s mu <= 0
                    hp.push(HalfPlane {
                        a: -z * s,
                        b: t_lo,
                        c: 0.0,
                    });
                    if t_hi.is_finite() {
                        // t <= t_hi:  z s mu - t_hi h <= 0
                        hp.push(HalfPlane {
                            a: z * s,
                            b: -t_hi,
                            c: 0.0,
                        });
                    }
                }
            }
        }
        hp
    }

    /// Vertices of the feasible polygon (both signs of mu) of the figures in `use_`.
    fn vertices(&self, use_: &[Figure]) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        for nonneg in [true, false] {
            let hp = self.constraints(use_, nonneg);
            let scale = hp.iter().map(|h| h.c.abs()).fold(1.0f64, f64::max);
            let tol = 1e-12 * scale;
            for i in 0..hp.len() {
                for j in i + 1..hp.len() {
                    let (p, q) = (hp[i], hp[j]);
                    let det = p.a * q.b - p.b * q.a;
                    if det.abs() < 1e-300 {
                        continue;
                    }
                    let mu = (p.c * q.b - p.b * q.c) / det;
                    let h = (p.a * q.c - p.c * q.a) / det;
                    if !(mu.is_finite() && h.is_finite()) {
                        continue;
                    }
                    if hp.iter().all(|k| k.a * mu + k.b * h <= k.c + tol) {
                        out.push((mu, h));
                    }
                }
            }
        }
        out
    }

    fn value(&self, f: Figure, (mu, h): (f64, f64)) -> f64 {
        match f {
            Figure::Estimate => self.scale.to_display(mu),
            Figure::CiLower => self.scale.to_display(mu - h),
            Figure::CiUpper => self.scale.to_display(mu + h),
            Figure::P => {
                if h > 0.0 {
                    normal_two_sided_p(self.level.z() * mu / h)
                } else if mu == 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }

    /// Check the four figures against each other.
    ///
    /// ```
    /// use metapool::report::PublishedResult;
    /// use metapool::effect::Scale;
    /// // metafor print(rma(yi, vi, method = "FE"), dat.bcg): RR 0.6503 [0.6007, 0.7040], p < .0001
    /// let r = PublishedResult::parse("0.6503", "0.6007", "0.7040", "<0.0001", Scale::Log)?;
    /// assert!(r.check().consistent);
    /// // the same with the bounds of the DL fit: no Wald result has both
    /// let mixed = PublishedResult::parse("0.6503", "0.3449", "0.6950", "<0.0001", Scale::Log)?;
    /// assert!(!mixed.check().consistent);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn check(&self) -> Consistency {
        let consistent = !self.vertices(&FIGURES).is_empty();
        let figures = FIGURES
            .iter()
            .map(|&f| {
                let others: Vec<Figure> = FIGURES.iter().copied().filter(|&g| g != f).collect();
                let verts = self.vertices(&others);
                let feasible = if verts.is_empty() {
                    None
                } else {
                    let vals = verts.iter().map(|&v| self.value(f, v));
                    let (lo, hi) = vals.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                        (a.min(x), b.max(x))
                    });
                    Some((lo, hi))
                };
                let printed = self.printed(f);
                let conflicts = match feasible {
                    Some((lo, hi)) => {
                        let tol = 1e-9 * (hi.abs().max(lo.abs()).max(1e-300));
                        printed.1 < lo - tol || printed.0 > hi + tol
                    }
                    None => false,
                };
                FigureCheck {
                    figure: f,
                    printed,
                    feasible,
                    conflicts,
                }
            })
            .collect();
        Consistency {
            consistent,
            figures,
        }
    }
}

/// The model a [`ModelRule`] picks for a *printed* Q-test p-value: `None` (no test) gives fixed;
/// a printed value whose rounding interval lies wholly below `alpha` gives random, wholly at or
/// above it gives fixed; a value whose interval straddles `alpha` (e.g. "0.10" with alpha 0.10)
/// cannot be decided and gives `None`.
///
/// ```
/// use metapool::report::{decide_printed, Printed};
/// use metapool::{pool::ModelChoice, pool::ModelRule};
/// let rule = ModelRule::default();
/// let p = |s| Printed::parse(s).unwrap();
/// assert_eq!(decide_printed(&rule, Some(&p("<0.00001"))), Some(ModelChoice::Random));
/// assert_eq!(decide_printed(&rule, Some(&p("0.15"))), Some(ModelChoice::Fixed));
/// assert_eq!(decide_printed(&rule, Some(&p("0.1"))), None);
/// assert_eq!(decide_printed(&rule, None), Some(ModelChoice::Fixed));
/// ```
pub fn decide_printed(rule: &ModelRule, q_p: Option<&Printed>) -> Option<ModelChoice> {
    let Some(p) = q_p else {
        return Some(rule.decide(None));
    };
    let lo = rule.decide(Some(p.lower.max(0.0)));
    let hi = rule.decide(Some(p.upper.min(1.0)));
    (lo == hi).then_some(lo)
}
