//! How the pooled estimate is tested and its confidence interval built (metafor's `test`
//! argument), and the prediction interval (metafor's `predict()`).

use super::{Interval, Pooled, Wald};
use crate::error::{Error, Result};
use crate::inference::{t_two_sided_p, t_upper_quantile, ConfidenceLevel};

/// Test statistic and interval for the pooled estimate, metafor's `test` argument of
/// `rma.uni`. With model weights `w_i` (`1 / (v_i + tau^2)`, or `1 / v_i` for fixed effect),
/// `mu = sum w y / sum w` and `RSS = sum w (y - mu)^2`:
/// ```text
/// Z:                  se = 1 / sqrt(sum w);  z = mu / se ~ N(0, 1)
/// T:                  se as Z;               t = mu / se ~ t(k - 1)
/// KnappHartung:       se = sqrt(s2w / sum w), s2w = RSS / (k - 1)  (0 if RSS <= eps); t(k - 1)
/// KnappHartungAdHoc:  as KnappHartung with s2w = max(1, s2w)
/// CI = mu -/+ crit se, crit = z_(1-alpha/2) or t_(k-1, 1-alpha/2)
/// ```
/// metafor does not truncate the Knapp-Hartung factor `s2w` at 1 for `"knha"`; the ad hoc
/// variant does (Knapp & Hartung 2003; Röver, Knapp & Friede 2015). Sources: Hartung & Knapp
/// (2001); Sidik & Jonkman (2002); metafor 3.8 `rma.uni` (`test = "z"`, `"t"`, `"knha"`,
/// `"adhoc"`).
///
/// ```
/// use metapool::prelude::*;
/// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
/// let z = RandomModel::default().pool(&set)?;
/// let t = RandomModel::default().with_test(Test::T).pool(&set)?;
/// // the same se; the t test's CI uses the t quantile on k - 1 = 2 df instead of 1.96, which
/// // for 2 df has the closed form t(p) = (2p - 1) / sqrt(2 p (1 - p)), here p = 0.975
/// assert_eq!(z.se, t.se);
/// assert!((t.ci_upper - t.estimate - 0.95 / 0.04875f64.sqrt() * t.se).abs() < 1e-13);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Test {
    /// Wald z test with the model-based standard error (metafor `"z"`).
    #[default]
    Z,
    /// t test on k - 1 df with the model-based standard error (metafor `"t"`).
    T,
    /// Hartung-Knapp / Sidik-Jonkman: the scaled standard error and t on k - 1 df
    /// (metafor `"knha"`).
    KnappHartung,
    /// Hartung-Knapp with the scale factor truncated below at 1 (metafor `"adhoc"`).
    KnappHartungAdHoc,
}

impl Test {
    /// Every test, in metafor's order.
    ///
    /// ```
    /// use metapool::pool::Test;
    /// let names: Vec<&str> = Test::ALL.iter().map(|t| t.metafor_name()).collect();
    /// assert_eq!(names, ["z", "t", "knha", "adhoc"]);
    /// ```
    pub const ALL: [Test; 4] = [
        Test::Z,
        Test::T,
        Test::KnappHartung,
        Test::KnappHartungAdHoc,
    ];

    /// metafor's name for the test (`"z"`, `"t"`, `"knha"`, `"adhoc"`).
    ///
    /// ```
    /// use metapool::pool::Test;
    /// for t in Test::ALL {
    ///     assert_eq!(t.metafor_name().parse::<Test>()?, t);
    /// }
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn metafor_name(self) -> &'static str {
        match self {
            Test::Z => "z",
            Test::T => "t",
            Test::KnappHartung => "knha",
            Test::KnappHartungAdHoc => "adhoc",
        }
    }

    /// Whether the test uses the t distribution on k - 1 df.
    ///
    /// ```
    /// use metapool::pool::Test;
    /// assert!(!Test::Z.is_t() && Test::KnappHartungAdHoc.is_t());
    /// ```
    pub fn is_t(self) -> bool {
        !matches!(self, Test::Z)
    }

    /// The Knapp-Hartung variance scale factor from the weighted residual sum of squares
    /// `RSS = sum w (y - X b)^2` on `df` residual degrees of freedom (`k - 1` for the pooled
    /// estimate, `k - 2` for a regression on one moderator); 1 for the z and t tests:
    /// ```text
    /// s2w = RSS / df   (0 when RSS <= machine epsilon, as metafor)
    /// KnappHartungAdHoc: max(1, s2w)
    /// ```
    pub(crate) fn scale(self, rss: f64, df: usize) -> f64 {
        let s2w = if rss <= f64::EPSILON {
            0.0
        } else {
            rss / df as f64
        };
        match self {
            Test::Z | Test::T => 1.0,
            Test::KnappHartung => s2w,
            Test::KnappHartungAdHoc => s2w.max(1.0),
        }
    }

    /// The Wald part of a result under this test: `se = sqrt(scale / sum w)`.
    pub(crate) fn wald(
        self,
        estimate: f64,
        sum_w: f64,
        rss: f64,
        k: usize,
        level: &ConfidenceLevel,
    ) -> Result<Wald> {
        if !self.is_t() {
            return Ok(Wald::new(estimate, (1.0 / sum_w).sqrt(), level));
        }
        if k < 2 {
            return Err(Error::TooFewStudies {
                method: "a t-based test (k - 1 df)",
                needed: 2,
                got: k,
            });
        }
        let se = (self.scale(rss, k - 1) / sum_w).sqrt();
        let df = (k - 1) as f64;
        let half = t_upper_quantile((1.0 - level.level()) / 2.0, df) * se;
        let t = estimate / se;
        Ok(Wald {
            estimate,
            se,
            ci_lower: estimate - half,
            ci_upper: estimate + half,
            statistic: t,
            p: t_two_sided_p(t, df),
        })
    }
}

/// Which prediction interval (metafor `predict()` and its `pi.type`).
/// ```text
/// PI = mu -/+ crit sqrt(se^2 + tau^2)          (se: the model's, scaled under Knapp-Hartung)
/// Metafor:    crit = z_(1-alpha/2) for Test::Z, t_(k-1, 1-alpha/2) for the t-based tests
/// HigginsT:   crit = t_(df, 1-alpha/2), df = max(1, k - 2)   (metafor pi.type = "riley")
/// ```
/// Sources: Higgins, Thompson & Spiegelhalter (2009), J R Stat Soc A 172:137-159 (t on k - 2
/// df); Riley, Higgins & Deeks (2011); metafor 3.8 `predict.rma`.
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
/// use metapool::pool::PredictionKind;
/// let fit = RandomModel::default().pool(&set)?;
/// let pi = fit.prediction_interval(PredictionKind::Metafor)?;
/// // metafor predict(rma(yi, vi, method = "DL")): pi.lb = -1.8582, pi.ub = 0.4299
/// let half = 1.959963984540054 * (fit.se.powi(2) + fit.heterogeneity.tau2).sqrt();
/// assert!((pi.upper - (fit.estimate + half)).abs() < 1e-12);
/// assert!((pi.lower - -1.8582).abs() < 5e-5);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum PredictionKind {
    /// metafor's default `predict()`: the critical value of the test.
    #[default]
    Metafor,
    /// Higgins et al. (2009): t on k - 2 df (at least 1, as metafor's `pi.type = "riley"`).
    HigginsT,
}

impl Pooled {
    /// The prediction interval for the effect in a new study, for a random-effects result.
    ///
    /// Errors with [`Error::Undefined`] for fixed-effect results (metafor gives none).
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::RandomModel};
    /// use metapool::pool::PredictionKind;
    /// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4, 0.7], &[0.01, 0.02, 0.015, 0.03])?;
    /// let fit = RandomModel::default().pool(&set)?;
    /// let pi = fit.prediction_interval(PredictionKind::HigginsT)?;
    /// assert!(pi.lower < fit.ci_lower && pi.upper > fit.ci_upper);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn prediction_interval(&self, kind: PredictionKind) -> Result<Interval> {
        if !self.is_random() {
            return Err(Error::Undefined {
                what: "prediction interval",
                why: "the model has no between-study variance (fixed effect)",
            });
        }
        let level = self.level;
        let upper_tail = (1.0 - level.level()) / 2.0;
        let crit = match kind {
            PredictionKind::Metafor => {
                if self.test.is_t() && self.k >= 2 {
                    t_upper_quantile(upper_tail, (self.k - 1) as f64)
                } else {
                    level.z()
                }
            }
            PredictionKind::HigginsT => {
                t_upper_quantile(upper_tail, (self.k.saturating_sub(2)).max(1) as f64)
            }
        };
        // a quantile near the median can come out a hair below 0 by rounding: never a negative
        // half-width (lower above upper)
        let half = crit.max(0.0) * (self.se * self.se + self.heterogeneity.tau2).sqrt();
        let out = Interval {
            estimate: self.estimate,
            lower: self.estimate - half,
            upper: self.estimate + half,
        };
        if !(out.lower.is_finite() && out.upper.is_finite()) {
            return Err(Error::NonFinite {
                what: "prediction interval",
            });
        }
        Ok(out)
    }
}

impl std::str::FromStr for Test {
    type Err = Error;
    /// A test by metafor's name (`"z"`, `"t"`, `"knha"` or its alias `"hksj"`, `"adhoc"`),
    /// case-insensitively.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// assert_eq!("knha".parse::<Test>()?, Test::KnappHartung);
    /// assert_eq!("Z".parse::<Test>()?, Test::Z);
    /// assert!("wald".parse::<Test>().is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.to_ascii_lowercase();
        if lower == "hksj" {
            return Ok(Test::KnappHartung);
        }
        Test::ALL
            .into_iter()
            .find(|t| t.metafor_name() == lower)
            .ok_or_else(|| Error::Unparsable {
                what: "a test (z, t, knha, adhoc)",
                text: s.to_owned(),
            })
    }
}
