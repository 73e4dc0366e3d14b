//! The result of a pooling model: [`Pooled`] (estimate, SE, CI, test, heterogeneity, the
//! per-study rows), the [`Model`] behind it, excluded studies, notes and intervals.

use super::{FixedMethod, Tau2Estimator, Tau2Fit, Test};
use crate::effect::{Effect, Exclusion, Scale};
use crate::heterogeneity::Heterogeneity;
use crate::inference::ConfidenceLevel;

/// The model behind a pooled result.
///
/// ```
/// use metapool::prelude::*;
/// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
/// let fit = RandomModel::default().with_estimator(Tau2Estimator::RestrictedMaximumLikelihood).pool(&set)?;
/// assert_eq!(fit.model, Model::Random(Tau2Estimator::RestrictedMaximumLikelihood));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Model {
    /// A fixed-effect (common-effect) model.
    Fixed(FixedMethod),
    /// A random-effects model with the given tau² estimator.
    Random(Tau2Estimator),
}

/// A pooled result: the figures RevMan and metafor print for one analysis, with one row per
/// study that took part (its label, its own estimate and variance, and its weight) so that a
/// summary can be printed from the result alone.
///
/// All numbers are on the analysis scale (log scale for ratios); [`Pooled::display`] gives the
/// back-transformed estimate and CI. Every number is finite: a computation that would produce a
/// NaN or an infinity returns [`Error::NonFinite`](crate::Error::NonFinite) instead.
///
/// ```
/// use metapool::prelude::*;
/// let set = EffectSet::from_estimates(&[0.2, 0.4], &[0.04, 0.04])?.with_labels(["A", "B"])?;
/// let fit = FixedModel::default().pool(&set)?;
/// assert_eq!(fit.test, Test::Z);
/// assert_eq!(fit.level.level(), 0.95);
/// let row = &fit.studies[1];
/// assert_eq!((row.position, row.label.as_deref(), row.weight), (1, Some("B"), 50.0));
/// assert_eq!(row.effect.map(|e| e.estimate()), Some(0.4));
/// assert_eq!(fit.weights(), vec![50.0, 50.0]);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Pooled {
    /// The model.
    pub model: Model,
    /// Number of studies used.
    pub k: usize,
    /// Pooled estimate.
    pub estimate: f64,
    /// Its standard error.
    pub se: f64,
    /// Lower confidence bound.
    pub ci_lower: f64,
    /// Upper confidence bound.
    pub ci_upper: f64,
    /// The test statistic `estimate / se`: a z statistic under [`Test::Z`], a t statistic on
    /// `df` degrees of freedom under the t-based tests (see `test`).
    pub statistic: f64,
    /// Two-sided p-value of `statistic`.
    pub p: f64,
    /// The test behind `statistic`, `p` and the CI (the one used: see `notes`).
    pub test: Test,
    /// Degrees of freedom of the t distribution for t-based tests (`k - 1`), else `None`.
    pub df: Option<usize>,
    /// The confidence level of the interval.
    pub level: ConfidenceLevel,
    /// The analysis scale.
    pub scale: Scale,
    /// The studies used, in the order they were pooled, each with its weight in percent (the
    /// weights sum to 100).
    pub studies: Vec<PooledStudy>,
    /// The studies left out, with the reason.
    pub excluded: Vec<ExcludedStudy>,
    /// Heterogeneity statistics.
    pub heterogeneity: Heterogeneity,
    /// The tau² estimate with its standard error and convergence report (random effects).
    pub tau2_fit: Option<Tau2Fit>,
    /// What the fit did differently from what was asked (e.g. a z test for one study).
    #[cfg_attr(feature = "serde", serde(default))]
    pub notes: Vec<Note>,
    /// For a Mantel-Haenszel odds ratio: the Cochran-Mantel-Haenszel and Tarone tests that
    /// metafor's `rma.mh` reports (`None` for every other fit).
    #[cfg_attr(feature = "serde", serde(default))]
    pub mantel_haenszel_tests: Option<super::MantelHaenszelTests>,
}

/// One study that took part in a pooled result.
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
/// let fit = RandomModel::default().pool(&set.with_labels(bcg.iter().enumerate().map(|(i, _)| format!("trial {}", i + 1)))?)?;
/// let first = &fit.studies[0];
/// // metafor weights(rma(yi, vi, method = "DL")): Aronson 1948 5.04%
/// assert_eq!((first.position, first.label.as_deref()), (0, Some("trial 1")));
/// assert!((first.weight - 5.036491683231726).abs() < 1e-9);
/// assert!((first.effect.unwrap().estimate() - -0.8893113339202054).abs() < 1e-14);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PooledStudy {
    /// Its 0-based position in the input.
    pub position: usize,
    /// Its label, if the effect set has labels.
    pub label: Option<String>,
    /// Its own estimate and sampling variance on the analysis scale, as the method shows it
    /// (Peto: `(O - E) / V` and `1 / V`); `None` for a table the Mantel-Haenszel sums use
    /// whose own effect is not estimable (a risk ratio with all events in both arms).
    pub effect: Option<Effect>,
    /// Its weight in percent.
    pub weight: f64,
}

/// One study left out of a pooled result.
///
/// ```
/// use metapool::prelude::*;
/// use metapool::effect::Exclusion;
/// let tables = [(4, 16, 8, 12), (0, 20, 0, 20), (1, 29, 5, 25)]
///     .map(|(a, b, c, d)| LogOddsRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
/// let set = EffectSet::from_studies(&tables)?.with_labels(["A", "B", "C"])?;
/// let fit = FixedModel::mantel_haenszel().pool(&set)?;
/// let out = &fit.excluded[0];
/// assert_eq!((out.position, out.label.as_deref(), out.why), (1, Some("B"), Exclusion::NoEventsInEitherArm));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ExcludedStudy {
    /// Its 0-based position in the input.
    pub position: usize,
    /// Its label, if the effect set has labels.
    pub label: Option<String>,
    /// Why it was left out.
    pub why: Exclusion,
}

impl PartialEq<(usize, Exclusion)> for ExcludedStudy {
    /// Compares the position and the reason (as [`EffectSet::excluded`](crate::effect::EffectSet::excluded) lists them).
    fn eq(&self, other: &(usize, Exclusion)) -> bool {
        (self.position, self.why) == *other
    }
}

/// Something a fit did differently from what its model asked for.
///
/// ```
/// use metapool::prelude::*;
/// use metapool::pool::Note;
/// let one = EffectSet::from_estimates(&[0.3], &[0.01])?;
/// let fit = RandomModel::default().with_test(Test::KnappHartung).pool(&one)?;
/// // metafor: "Setting argument test="z" since k=1"
/// assert_eq!(fit.test, Test::Z);
/// assert_eq!(fit.notes, vec![Note::ZTestForOneStudy { requested: Test::KnappHartung }]);
/// assert_eq!(fit.notes[0].to_string(), "tested with z instead of knha since k = 1");
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Note {
    /// With one study a t-based test (on `k - 1 = 0` df) is undefined; the fit was tested with
    /// z instead, as metafor does ("Setting argument test=\"z\" since k=1").
    ZTestForOneStudy {
        /// The test the model asked for.
        requested: Test,
    },
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::ZTestForOneStudy { requested } => write!(
                f,
                "tested with z instead of {} since k = 1",
                requested.metafor_name()
            ),
        }
    }
}

/// A point estimate with its confidence interval, on one scale.
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
/// let rr = RandomModel::default().pool(&set)?.display();
/// // metafor predict(rma(yi, vi, method = "DL"), transf = exp): 0.4896 [0.3449, 0.6950]
/// assert!((rr.estimate - (-0.7141172220732269f64).exp()).abs() < 1e-12);
/// assert!((rr.lower - (-1.0644452800840507f64).exp()).abs() < 1e-12);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Interval {
    /// Point estimate.
    pub estimate: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

impl Pooled {
    /// The estimate and CI on the display scale: back-transformed (`exp`) for ratio measures,
    /// unchanged otherwise.
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
    /// let rr = FixedModel::default().pool(&set)?.display();
    /// // metafor rma(method = "FE"): exp(-0.4303) = 0.6503, CI exp(-0.5097) to exp(-0.3509)
    /// assert!((rr.estimate - (-0.4302851636540909f64).exp()).abs() < 1e-12);
    /// assert!((rr.upper - (-0.35090906888196793f64).exp()).abs() < 1e-12);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn display(&self) -> Interval {
        Interval {
            estimate: self.scale.to_display(self.estimate),
            lower: self.scale.to_display(self.ci_lower),
            upper: self.scale.to_display(self.ci_upper),
        }
    }

    /// Whether this is a random-effects result.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let set = EffectSet::from_estimates(&[0.1, 0.9], &[0.01, 0.02])?;
    /// assert!(RandomModel::default().pool(&set)?.is_random());
    /// assert!(!FixedModel::default().pool(&set)?.is_random());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn is_random(&self) -> bool {
        matches!(self.model, Model::Random(_))
    }

    /// The studies' weights in percent, in the order of [`Pooled::studies`].
    ///
    /// ```
    /// use metapool::prelude::*;
    /// // fixed effect: w_i = 1 / v_i, in percent 100 w_i / sum w
    /// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.04])?;
    /// let w = FixedModel::default().pool(&set)?.weights();
    /// assert!((w[0] - 100.0 * 4.0 / 7.0).abs() < 1e-12 && (w[2] - 100.0 / 7.0).abs() < 1e-12);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn weights(&self) -> Vec<f64> {
        self.studies.iter().map(|s| s.weight).collect()
    }

    /// The input positions of the studies used, in the order of [`Pooled::studies`].
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let tables = [(0, 20, 0, 20), (4, 16, 8, 12), (1, 29, 5, 25)]
    ///     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// let fit = FixedModel::default().pool(&EffectSet::from_studies(&tables)?)?;
    /// assert_eq!(fit.included(), vec![1, 2]); // the double-zero table is left out
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn included(&self) -> Vec<usize> {
        self.studies.iter().map(|s| s.position).collect()
    }
}
