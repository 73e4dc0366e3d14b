//! [`Pooler`]: the pooling models that re-fit a set of effects (any subset of it, or a
//! meta-regression on it), as the sensitivity and small-study analyses need.

use super::regression::{fit_regression, RegressionFit};
use super::{FixedMethod, FixedModel, Pooled, RandomModel, Test};
use crate::effect::EffectSet;
use crate::error::Result;
use crate::inference::ConfidenceLevel;

/// Any pooling model: fixed effect by inverse variance, Mantel-Haenszel (odds ratio, risk
/// ratio, risk difference) or Peto ([`FixedModel::method`]), or random effects with any
/// [`crate::pool::Tau2Estimator`], any [`Test`], and tau² from the inverse-variance or the
/// Mantel-Haenszel Q ([`RandomModel::q_from`], RevMan's "M-H, Random"). The methods that pool
/// 2x2 tables need an [`EffectSet`] that carries them (built from 2x2-table effect sizes);
/// given a set without them they return [`crate::Error::MissingTables`].
///
/// Leave-one-out, cumulative, influence, regression-test and trim-and-fill analyses take one
/// and re-fit the same model to subsets of the studies, as metafor re-fits `rma(method = ...)`.
/// The regression tests regress the per-study effects with inverse-variance weights (for
/// Mantel-Haenszel and Peto fits too), and trim-and-fill pools the filled-in studies, which
/// have no tables, by inverse variance.
///
/// ```
/// use metapool::{effect::EffectSet, pool::FixedModel, pool::Pooler, pool::RandomModel};
/// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
/// let fe: Pooler = FixedModel::default().into();
/// let re: Pooler = RandomModel::default().into();
/// assert!(fe.pool(&set)?.se < re.pool(&set)?.se);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Pooler {
    /// Inverse-variance fixed effect (metafor `method = "FE"`).
    Fixed(FixedModel),
    /// Random effects (metafor `method = "DL"`, ...).
    Random(RandomModel),
}

impl Default for Pooler {
    /// DerSimonian-Laird random effects, 95% CIs.
    fn default() -> Self {
        Pooler::Random(RandomModel::default())
    }
}

impl From<FixedModel> for Pooler {
    fn from(m: FixedModel) -> Self {
        Pooler::Fixed(m)
    }
}

impl From<RandomModel> for Pooler {
    fn from(m: RandomModel) -> Self {
        Pooler::Random(m)
    }
}

impl Pooler {
    /// Pool a set of effects with this model.
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
    /// let fit = Pooler::default().pool(&set)?; // DerSimonian-Laird
    /// // metafor rma(yi, vi, method = "DL"): -0.7141 (se 0.1787), tau² = 0.3088
    /// assert!((fit.estimate - -0.7141172220732269).abs() < 1e-12);
    /// assert!((fit.se - 0.1787420895354031).abs() < 1e-12);
    /// assert!((fit.heterogeneity.tau2 - 0.3087602628623762).abs() < 1e-12);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn pool(&self, set: &EffectSet) -> Result<Pooled> {
        match self {
            Pooler::Fixed(m) => m.pool(set),
            Pooler::Random(m) => m.pool(set),
        }
    }

    /// How the model tests its estimate.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let p: Pooler = RandomModel::default().with_test(Test::KnappHartung).into();
    /// assert_eq!(p.test(), Test::KnappHartung);
    /// assert_eq!(Pooler::from(FixedModel::default()).test(), Test::Z);
    /// ```
    pub fn test(&self) -> Test {
        match self {
            Pooler::Fixed(m) => m.test,
            Pooler::Random(m) => m.test,
        }
    }

    /// The same model with another test.
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
    /// let p = Pooler::from(RandomModel::default().with_estimator("REML".parse()?)).with_test(Test::KnappHartung);
    /// let fit = p.pool(&set)?;
    /// // metafor rma(yi, vi, method = "REML", test = "knha"): -0.7145 (se 0.1808), t = -3.9522, df 12
    /// assert!((fit.se - 0.1808).abs() < 5e-5 && (fit.statistic - -3.9522).abs() < 5e-5);
    /// assert_eq!(fit.df, Some(12));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_test(self, test: Test) -> Pooler {
        match self {
            Pooler::Fixed(m) => Pooler::Fixed(m.with_test(test)),
            Pooler::Random(m) => Pooler::Random(m.with_test(test)),
        }
    }

    /// The same model with another confidence level.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// let p = Pooler::default().with_level(ConfidenceLevel::new(0.9)?);
    /// assert_eq!(p.level().level(), 0.9);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_level(self, level: ConfidenceLevel) -> Pooler {
        match self {
            Pooler::Fixed(m) => Pooler::Fixed(m.with_level(level)),
            Pooler::Random(m) => Pooler::Random(m.with_level(level)),
        }
    }

    /// The inverse-variance analogue of this model, for analyses of effects that have no 2x2
    /// tables (the studies trim-and-fill adds): Mantel-Haenszel and Peto fixed effect become
    /// inverse-variance fixed effect, and a random model takes tau² from the
    /// inverse-variance Q.
    pub(crate) fn on_effects(self) -> Pooler {
        match self {
            Pooler::Fixed(m) => Pooler::Fixed(m.with_method(FixedMethod::InverseVariance)),
            Pooler::Random(m) => Pooler::Random(m.with_q_from(FixedMethod::InverseVariance)),
        }
    }

    /// The confidence level of the model's intervals.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// assert_eq!(Pooler::default().level(), ConfidenceLevel::default());
    /// ```
    pub fn level(&self) -> ConfidenceLevel {
        match self {
            Pooler::Fixed(m) => m.level,
            Pooler::Random(m) => m.level,
        }
    }

    /// Meta-regression of `y` on an intercept and the moderator `x` with this model's weights
    /// and tau² estimator.
    pub(crate) fn regress(&self, y: &[f64], v: &[f64], x: &[f64]) -> Result<RegressionFit> {
        fit_regression(self, y, v, x)
    }
}
