//! Sensitivity analyses: leave-one-out, cumulative meta-analysis and case-deletion influence
//! diagnostics, for any effect size and any [`Pooler`], with metafor's definitions
//! (`leave1out`, `cumul`, `influence.rma.uni`; Viechtbauer & Cheung 2010).
//!
//! Studies are named by their 0-based position in the original input (as in
//! [`Pooled::included`]), so a study excluded from pooling (e.g. a 2x2 table with no events) keeps
//! the numbering of the input.

use crate::effect::EffectSet;
use crate::error::{Error, Problem, Result};
use crate::numeric::NeumaierSum;
use crate::pool::{weighted_sums, Pooled, Pooler, Test};

/// The pooled result with one study left out.
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
/// use metapool::sensitivity::leave_one_out;
/// let loo = leave_one_out(&Pooler::default(), &set)?;
/// // metafor leave1out(rma(yi, vi, method = "DL")): without Aronson 1948, -0.7051 (RR 0.4940)
/// assert_eq!(loo[0].omitted, 0);
/// assert!((loo[0].fit.estimate - -0.7051251984174511).abs() < 1e-10);
/// assert!((loo[1].fit.estimate - -0.6545158750879715).abs() < 1e-10);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LeaveOneOut {
    /// Input position of the study left out.
    pub omitted: usize,
    /// The model fitted to the other studies (estimate, CI, z, p, Q, I², tau², ...).
    pub fit: Pooled,
}

/// Leave-one-out analysis: the model re-fitted `k` times, each time without one study, in input
/// order (metafor `leave1out.rma.uni`).
///
/// ```text
/// for i in 1..k:  fit_(-i) = pooler.pool({ (y_j, v_j) : j != i })
/// ```
/// With one study left there is no heterogeneity test (`q_p = None`; metafor prints `QEp = 1`),
/// and a t-based test falls back to z, as metafor does for `k = 1`.
/// Errors with [`Error::TooFewStudies`] when `k < 2`; an error of any re-fit (e.g. an iterative
/// tau² estimator that does not converge without one study) is returned as it is, where metafor
/// would print a row of NAs.
///
/// ```
/// use metapool::{effect::EffectSet, pool::FixedModel, sensitivity::leave_one_out};
/// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
/// let loo = leave_one_out(&FixedModel::default().into(), &set)?;
/// assert_eq!(loo.len(), 3);
/// assert_eq!(loo[1].omitted, 1);
/// assert!(loo[1].fit.estimate < 0.3); // without the largest effect
/// # Ok::<(), metapool::Error>(())
/// ```
pub fn leave_one_out(pooler: &Pooler, set: &EffectSet) -> Result<Vec<LeaveOneOut>> {
    set.at_least("leave-one-out analysis", 2)?;
    let k = set.len();
    (0..k)
        .map(|i| {
            let rest: Vec<usize> = (0..k).filter(|&j| j != i).collect();
            Ok(LeaveOneOut {
                omitted: set.included()[i],
                fit: pooler.pool(&set.select(&rest))?,
            })
        })
        .collect()
}

/// Sort direction of the key of a cumulative meta-analysis.
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
/// use metapool::sensitivity::{cumulative_by, Direction};
/// let years = [1948.0, 1949.0, 1960.0, 1977.0, 1973.0, 1953.0, 1973.0, 1980.0, 1968.0, 1961.0,
///     1974.0, 1969.0, 1976.0];
/// let steps = cumulative_by(&Pooler::default(), &set, &years, Direction::Ascending)?;
/// // metafor cumul(rma(yi, vi, method = "DL"), order = year): third step adds Stein & Aronson 1953
/// assert_eq!(steps[2].added, 5);
/// assert!((steps[2].fit.estimate - -0.9615353218682102).abs() < 1e-10);
/// let newest_first = cumulative_by(&Pooler::default(), &set, &years, Direction::Descending)?;
/// assert_eq!(newest_first[0].added, 7); // TPT Madras 1980
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Direction {
    /// Smallest key first (e.g. oldest publication year first).
    #[default]
    Ascending,
    /// Largest key first.
    Descending,
}

/// One step of a cumulative meta-analysis.
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
/// use metapool::sensitivity::cumulative;
/// let steps = cumulative(&FixedModel::default().into(), &set)?;
/// // metafor cumul(rma(yi, vi, method = "FE")): -0.8893, -1.3250, -1.3302, ...; the last is the full fit
/// assert!((steps[1].fit.estimate - -1.325003442244875).abs() < 1e-12);
/// assert!((steps[12].fit.estimate - -0.4302851636540909).abs() < 1e-12);
/// assert_eq!((steps[1].added, steps[1].fit.k), (1, 2));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CumulativeStep {
    /// Input position of the study added at this step.
    pub added: usize,
    /// The model fitted to the studies added so far.
    pub fit: Pooled,
}

/// Cumulative meta-analysis in input order: step `j` pools the first `j` studies
/// (metafor `cumul.rma.uni` without `order`).
///
/// ```text
/// for j in 1..k:  fit_j = pooler.pool({ (y_i, v_i) : i <= j })
/// ```
/// The first step (one study) is tested with z under a t-based test, as in metafor.
///
/// ```
/// use metapool::{effect::EffectSet, pool::Pooler, sensitivity::cumulative};
/// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
/// let steps = cumulative(&Pooler::default(), &set)?;
/// assert_eq!(steps[0].fit.estimate, 0.1);
/// assert_eq!(steps[2].fit.k, 3);
/// # Ok::<(), metapool::Error>(())
/// ```
pub fn cumulative(pooler: &Pooler, set: &EffectSet) -> Result<Vec<CumulativeStep>> {
    let order: Vec<usize> = (0..set.len()).collect();
    cumulative_in(pooler, set, &order)
}

/// Cumulative meta-analysis with studies added in the order of a key (e.g. publication year),
/// sorted stably (ties keep input order), as metafor `cumul(x, order = key, decreasing = ...)`.
///
/// `keys` holds one finite value per **input** study ([`EffectSet::input_len`]); keys of studies
/// excluded from pooling are ignored. Errors when the length differs or a used key is not finite.
///
/// ```
/// use metapool::{effect::EffectSet, pool::Pooler, sensitivity::{cumulative_by, Direction}};
/// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
/// let years = [2001.0, 1995.0, 1999.0];
/// let steps = cumulative_by(&Pooler::default(), &set, &years, Direction::Ascending)?;
/// let order: Vec<usize> = steps.iter().map(|s| s.added).collect();
/// assert_eq!(order, vec![1, 2, 0]);
/// # Ok::<(), metapool::Error>(())
/// ```
pub fn cumulative_by(
    pooler: &Pooler,
    set: &EffectSet,
    keys: &[f64],
    direction: Direction,
) -> Result<Vec<CumulativeStep>> {
    if keys.len() != set.input_len() {
        return Err(Error::InvalidParameter {
            name: "keys",
            problem: Problem::OutOfRange {
                lo: set.input_len() as f64,
                hi: set.input_len() as f64,
                got: keys.len() as f64,
            },
        });
    }
    let key = |j: usize| keys[set.included()[j]];
    for (j, &pos) in set.included().iter().enumerate() {
        if !key(j).is_finite() {
            return Err(Error::InvalidStudy {
                study: pos,
                field: "order key",
                problem: Problem::NotFinite(key(j)),
            });
        }
    }
    let mut order: Vec<usize> = (0..set.len()).collect();
    match direction {
        Direction::Ascending => order.sort_by(|&a, &b| key(a).total_cmp(&key(b))),
        Direction::Descending => order.sort_by(|&a, &b| key(b).total_cmp(&key(a))),
    }
    cumulative_in(pooler, set, &order)
}

fn cumulative_in(pooler: &Pooler, set: &EffectSet, order: &[usize]) -> Result<Vec<CumulativeStep>> {
    (1..=order.len())
        .map(|j| {
            Ok(CumulativeStep {
                added: set.included()[order[j - 1]],
                fit: pooler.pool(&set.select(&order[..j]))?,
            })
        })
        .collect()
}

/// Which of metafor's cut-offs a study exceeds (`influence.rma.uni`, intercept-only model,
/// `p = 1`).
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
/// use metapool::sensitivity::influence;
/// let inf = influence(&FixedModel::default().into(), &set)?;
/// // metafor influence(rma(yi, vi, method = "FE")): Hart & Sutherland 1977, Stein & Aronson 1953
/// // and TPT Madras 1980 are influential
/// let marked: Vec<usize> = inf.studies.iter().filter(|s| s.flags.any()).map(|s| s.study).collect();
/// assert_eq!(marked, [3, 5, 7]);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct InfluenceFlags {
    /// `|DFFITS| > 3 sqrt(p / (k - p))`.
    pub dffits: bool,
    /// `P(chi2_p <= Cook's D) > 0.5` (Cook's distance above the median of chi2 on p df).
    pub cook_d: bool,
    /// `hat > 3 p / k`.
    pub hat: bool,
    /// `|DFBETAS| > 1`.
    pub dfbetas: bool,
}

impl InfluenceFlags {
    /// Whether any cut-off is exceeded: metafor marks the study influential (`*`).
    ///
    /// ```
    /// use metapool::sensitivity::InfluenceFlags;
    /// assert!(!InfluenceFlags::default().any());
    /// assert!(InfluenceFlags { hat: true, ..InfluenceFlags::default() }.any());
    /// ```
    pub fn any(&self) -> bool {
        self.dffits || self.cook_d || self.hat || self.dfbetas
    }
}

/// Case-deletion diagnostics of one study.
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
/// use metapool::sensitivity::influence;
/// let tpt = influence(&Pooler::default(), &set)?.studies[7];
/// // metafor influence(rma(yi, vi, method = "DL")), TPT Madras 1980:
/// // rstudent 1.6323, dffits 0.5128, cook.d 0.1806, cov.r 0.8325, tau2.del 0.2109, QE.del 67.9858,
/// // hat 0.1022, weight 10.2163, dfbs 0.4938
/// assert!((tpt.rstudent - 1.6323).abs() < 5e-5 && (tpt.dffits - 0.5128).abs() < 5e-5);
/// assert!((tpt.cook_d - 0.1806).abs() < 5e-5 && (tpt.cov_r - 0.8325).abs() < 5e-5);
/// assert!((tpt.tau2_deleted - 0.2109).abs() < 5e-5 && (tpt.q_deleted - 67.9858).abs() < 5e-5);
/// assert!((tpt.hat - 0.1022).abs() < 5e-5 && (tpt.weight - 10.2163).abs() < 5e-5);
/// assert!((tpt.dfbetas - 0.4938).abs() < 5e-5);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StudyInfluence {
    /// Input position of the study.
    pub study: usize,
    /// Externally standardized (studentized deleted) residual.
    pub rstudent: f64,
    /// DFFITS.
    pub dffits: f64,
    /// Cook's distance.
    pub cook_d: f64,
    /// Covariance ratio.
    pub cov_r: f64,
    /// tau² of the fit without the study (0 for fixed-effect models).
    pub tau2_deleted: f64,
    /// Cochran's Q of the fit without the study.
    pub q_deleted: f64,
    /// Hat value (leverage).
    pub hat: f64,
    /// Weight in percent in the full fit.
    pub weight: f64,
    /// DFBETAS of the intercept.
    pub dfbetas: f64,
    /// Which of metafor's cut-offs the study exceeds.
    pub flags: InfluenceFlags,
}

impl StudyInfluence {
    /// Whether metafor marks the study influential (any cut-off exceeded).
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
    /// use metapool::sensitivity::influence;
    /// // metafor marks no study of the DL fit influential (an empty "inf" column)
    /// assert!(influence(&Pooler::default(), &set)?.studies.iter().all(|s| !s.influential()));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn influential(&self) -> bool {
        self.flags.any()
    }
}

/// Influence diagnostics of every study of a fit.
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
/// use metapool::sensitivity::influence;
/// let inf = influence(&Pooler::default(), &set)?;
/// assert_eq!(inf.fit, Pooler::default().pool(&set)?);
/// // metafor: Aronson 1948 rstudent -0.2247, hat 0.0504
/// assert!((inf.studies[0].rstudent - -0.2247).abs() < 5e-5 && (inf.studies[0].hat - 0.0504).abs() < 5e-5);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Influence {
    /// The full fit.
    pub fit: Pooled,
    /// One entry per included study, in input order.
    pub studies: Vec<StudyInfluence>,
}

/// Case-deletion influence diagnostics of an intercept-only model, as metafor's
/// `influence.rma.uni` computes them (Viechtbauer & Cheung 2010, Res Synth Methods 1:112-125;
/// Belsley, Kuh & Welsch 1980; Cook 1977).
///
/// With `w_i = 1/(v_i + tau^2)` and `mu`, `var(mu) = 1/sum w` from the full fit, and
/// `mu_(-i)`, `var_(-i)`, `tau^2_(-i)`, `Q_(-i)` from the fit without study `i`
/// (same model and estimator):
/// ```text
/// hat_i     = w_i / sum w                       weight_i = 100 hat_i
/// rstudent  = (y_i - mu_(-i)) / sqrt(s2w_(-i) (v_i + tau^2_(-i)) + var_(-i))
///             (a residual below 100 eps in absolute value is set to 0)
/// DFFITS    = (mu - mu_(-i)) / sqrt(s2w_(-i) hat_i (tau^2_(-i) + v_i))
/// DFBETAS   = (mu - mu_(-i)) / sqrt(s2w_(-i) / sum_j 1/(v_j + tau^2_(-i)))     (sum over all k)
/// s2w_(-i)  = the Knapp-Hartung factor of the fit without study i (1 for the z and t tests)
/// Cook's D  = (mu - mu_(-i))^2 / var(mu)
/// COVRATIO  = var_(-i) / var(mu)
/// influential: |DFFITS| > 3 sqrt(1/(k-1))  or  pchisq(D, 1) > 0.5  or  hat > 3/k
///              or |DFBETAS| > 1
/// ```
/// Errors with [`Error::TooFewStudies`] when `k < 2`, and with the error of a deleted fit that
/// fails (where metafor would report NAs for that study).
///
/// ```
/// use metapool::{effect::EffectSet, pool::Pooler, sensitivity::influence};
/// let set = EffectSet::from_estimates(&[0.1, 0.12, 0.09, 0.11, 1.5], &[0.01; 5])?;
/// let inf = influence(&Pooler::default(), &set)?;
/// assert!(inf.studies[4].influential());
/// assert!(inf.studies[4].rstudent > 3.0);
/// # Ok::<(), metapool::Error>(())
/// ```
pub fn influence(pooler: &Pooler, set: &EffectSet) -> Result<Influence> {
    set.at_least("influence diagnostics", 2)?;
    let fit = pooler.pool(set)?;
    let e = set.effects();
    let k = e.len();
    let tau2 = fit.heterogeneity.tau2;
    let mut sw = NeumaierSum::default();
    for x in e {
        sw.add(1.0 / (x.variance() + tau2));
    }
    let sum_w = sw.value();
    let var_mu = fit.se * fit.se;
    let p = 1.0;
    let dffits_cut = 3.0 * (p / (k as f64 - p)).sqrt();
    let hat_cut = 3.0 * p / k as f64;
    let mut studies = Vec::with_capacity(k);
    for i in 0..k {
        let rest: Vec<usize> = (0..k).filter(|&j| j != i).collect();
        let sub = set.select(&rest);
        let del = pooler.pool(&sub)?;
        let (y, v) = (e[i].estimate(), e[i].variance());
        let tau2_del = del.heterogeneity.tau2;
        let var_del = del.se * del.se;
        let mut sw_del = NeumaierSum::default();
        for x in e {
            sw_del.add(1.0 / (x.variance() + tau2_del));
        }
        // the Knapp-Hartung factor of the fit without study i (1 for the z and t tests), from
        // the weighted residual sum of squares of that fit on k - 2 df
        let s2w = match del.test {
            Test::Z | Test::T => 1.0,
            test => {
                let d = sub.effects();
                let rss = weighted_sums(
                    d.len(),
                    |j| d[j].estimate(),
                    |j| d[j].variance(),
                    |j| 1.0 / (d[j].variance() + tau2_del),
                )
                .rss;
                test.scale(rss, d.len() - 1)
            }
        };
        let hat = (1.0 / (v + tau2)) / sum_w;
        let mut resid = y - del.estimate;
        if resid.abs() < 100.0 * f64::EPSILON {
            resid = 0.0;
        }
        let rstudent = resid / (v * s2w + var_del + tau2_del * s2w).sqrt();
        let diff = fit.estimate - del.estimate;
        let dffits = diff / (s2w * hat * (tau2_del + v)).sqrt();
        let dfbetas = diff * (sw_del.value() / s2w).sqrt();
        let cook_d = diff * diff / var_mu;
        let cov_r = var_del / var_mu;
        let flags = InfluenceFlags {
            dffits: dffits.abs() > dffits_cut,
            // pchisq(D, p) > 0.5, the lower regularized incomplete gamma P(p/2, D/2)
            cook_d: cook_d > 0.0 && statrs::function::gamma::gamma_lr(p / 2.0, cook_d / 2.0) > 0.5,
            hat: hat > hat_cut,
            dfbetas: dfbetas.abs() > 1.0,
        };
        let s = StudyInfluence {
            study: set.included()[i],
            rstudent,
            dffits,
            cook_d,
            cov_r,
            tau2_deleted: tau2_del,
            q_deleted: del.heterogeneity.q,
            hat,
            weight: 100.0 * hat,
            dfbetas,
            flags,
        };
        for x in [s.rstudent, s.dffits, s.cook_d, s.cov_r, s.hat, s.dfbetas] {
            if !x.is_finite() {
                return Err(Error::NonFinite {
                    what: "influence diagnostics",
                });
            }
        }
        studies.push(s);
    }
    Ok(Influence { fit, studies })
}
