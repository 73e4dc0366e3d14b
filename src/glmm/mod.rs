//! Generalized linear mixed models for sparse binary and count data: metafor's `rma.glmm`.
//!
//! Instead of pooling per-study log odds ratios (which need a continuity correction when a cell
//! is 0), these models write down the likelihood of the counts themselves:
//!
//! ```text
//! odds ratio, 2x2 tables (a_i of n1_i, c_i of n2_i), log OR theta_i = x_i'beta + b_i, b_i ~ N(0, tau²)
//!   UM.FS  logit P(arm 1) = alpha_i + x_i'beta + b_i/2,  logit P(arm 2) = alpha_i - b_i/2
//!          (alpha_i a fixed effect per study)
//!   UM.RS  logit P(arm 1) = c + u_i + x_i'beta + b_i/2,  logit P(arm 2) = c + u_i - b_i/2,
//!          u_i ~ N(0, sigma²) independent of b_i
//!   CM.EL  a_i | a_i + c_i  ~ Fisher's non-central hypergeometric with odds ratio exp(theta_i)
//!   CM.AL  a_i | a_i + c_i  ~ Binomial(a_i + c_i, expit(theta_i + ln(n1_i / n2_i)))
//! proportions (PLO):       x_i ~ Binomial(n_i, expit(x_i'beta + b_i))
//! incidence rates (IRLN):  x_i ~ Poisson(t_i exp(x_i'beta + b_i))
//! rate ratios (IRR):       UM.FS / UM.RS as above with Poisson arms and ln t offsets;
//!                          CM.EL = CM.AL: x1_i | x1_i + x2_i ~ Binomial(expit(theta_i + ln(t1_i / t2_i)))
//! ```
//! The fixed-effects versions set `tau² = 0` (for UM.RS the study intercepts stay random).
//! The likelihood is integrated over the random effects as [`Quadrature`] describes and
//! maximised by Newton's method ([`GlmmStop`] says how it stopped). Studies with no events in
//! either arm (and, for 2x2 tables, with all events in both) are dropped by default, as
//! metafor's `drop00 = TRUE` does; the conditional models always drop them (they carry no
//! information), the unconditional ones keep them with [`DoubleZero::Keep`]. Nothing is ever
//! added to a cell.
//!
//! Separated tables (every event in one arm, or with random effects informative tables at
//! opposite edges of their support) have no finite maximum: the fit is then
//! [`Error::Undefined`](crate::Error::Undefined), never the point an optimiser stops at on the
//! flat ridge (the rule: `tau > 20`, or a coefficient's SE times its column's largest `|x|`
//! above 50).
//!
//! Heterogeneity is tested against the saturated model (every study its own effect) by a
//! Wald-type and a likelihood-ratio test, as metafor's `QE.Wld` and `QE.LRT`.
//!
//! Sources: metafor's `rma.glmm` documentation and code (3.8); Stijnen, Hamza & Özdemir (2010),
//! Statistics in Medicine 29:3046-67; Turner et al. (2000); Jackson et al. (2018).
//!
//! ```
//! use metapool::glmm::{Glmm, GlmmData, GlmmModel};
//! use metapool::effect::TwoByTwo;
//! // a sparse set: zero cells and a double-zero study (dropped, as metafor's drop00 = TRUE)
//! let tables = [(0, 20, 2, 21), (1, 35, 4, 33), (0, 15, 0, 16), (2, 40, 1, 38), (0, 12, 3, 12)]
//!     .map(|(a, n1, c, n2)| TwoByTwo::new(a as f64, n1 as f64, c as f64, n2 as f64).unwrap());
//! let fit = Glmm::random(GlmmModel::CmEl).fit(&GlmmData::Tables(tables.to_vec()))?;
//! assert_eq!(fit.k, 4);
//! assert!(fit.estimate < 0.0 && fit.ci_lower < fit.estimate && fit.tau2 >= 0.0);
//! println!("{fit}"); // metafor's print.rma.glmm
//! # Ok::<(), metapool::Error>(())
//! ```

mod build;
mod design;
mod family;
mod fit;
mod heterogeneity;
mod optimize;
mod quadrature;

pub use fit::{GlmmFit, HeterogeneityTest};
pub use optimize::GlmmStop;
pub use quadrature::Quadrature;

use crate::effect::{PersonTime, Proportion, RateTable, TwoByTwo};
use crate::error::{Error, Result};
use crate::inference::ConfidenceLevel;
use crate::pool::Test;
use crate::regression::ModelMatrix;

/// metafor's four parameterisations of a two-group GLMM (`model = "UM.FS"`, ...).
///
/// ```
/// use metapool::glmm::GlmmModel;
/// assert_eq!("UM.RS".parse::<GlmmModel>()?, GlmmModel::UmRs);
/// assert_eq!("cm.el".parse::<GlmmModel>()?.to_string(), "CM.EL");
/// assert!("UM".parse::<GlmmModel>().is_err());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum GlmmModel {
    /// Unconditional model with fixed study effects (metafor's default).
    #[default]
    UmFs,
    /// Unconditional model with random study effects (uncorrelated with the random treatment
    /// effects, metafor's `cor = FALSE`).
    UmRs,
    /// Conditional model with the exact likelihood (non-central hypergeometric).
    CmEl,
    /// Conditional model with the approximate likelihood (binomial given the total).
    CmAl,
}

impl GlmmModel {
    /// metafor's name.
    pub fn metafor_name(self) -> &'static str {
        match self {
            GlmmModel::UmFs => "UM.FS",
            GlmmModel::UmRs => "UM.RS",
            GlmmModel::CmEl => "CM.EL",
            GlmmModel::CmAl => "CM.AL",
        }
    }

    /// metafor's description (`print.rma.glmm`'s "Model Type").
    pub fn description(self) -> &'static str {
        match self {
            GlmmModel::UmFs => "Unconditional Model with Fixed Study Effects",
            GlmmModel::UmRs => "Unconditional Model with Random Study Effects",
            GlmmModel::CmEl => "Conditional Model with Exact Likelihood",
            GlmmModel::CmAl => "Conditional Model with Approximate Likelihood",
        }
    }
}

impl std::fmt::Display for GlmmModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.metafor_name())
    }
}

impl std::str::FromStr for GlmmModel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        [
            GlmmModel::UmFs,
            GlmmModel::UmRs,
            GlmmModel::CmEl,
            GlmmModel::CmAl,
        ]
        .into_iter()
        .find(|m| m.metafor_name().eq_ignore_ascii_case(s))
        .ok_or_else(|| Error::Unparsable {
            what: "a GLMM model (UM.FS, UM.RS, CM.EL, CM.AL)",
            text: s.to_owned(),
        })
    }
}

/// Fixed-effects (`tau² = 0`, metafor `method = "FE"`) or random-effects (`method = "ML"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum GlmmEffects {
    /// A common effect.
    Fixed,
    /// Normally distributed study effects, `tau²` by maximum likelihood.
    #[default]
    Random,
}

/// What is done with studies without events in either arm (or, for 2x2 tables, with all
/// events in both): metafor's `drop00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum DoubleZero {
    /// Left out (metafor's default, `drop00 = TRUE`).
    #[default]
    Drop,
    /// Kept by the unconditional models (UM.FS, UM.RS); the conditional ones drop them anyway.
    Keep,
}

/// The data of a GLMM meta-analysis; the variant decides the measure.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum GlmmData {
    /// 2x2 tables: the log odds ratio (`"OR"`).
    Tables(Vec<TwoByTwo>),
    /// Single-group proportions: the logit (`"PLO"`).
    Proportions(Vec<Proportion>),
    /// Single-group events over person-time: the log rate (`"IRLN"`).
    Rates(Vec<PersonTime>),
    /// Two groups' events over person-time: the log rate ratio (`"IRR"`).
    RateTables(Vec<RateTable>),
}

impl GlmmData {
    /// metafor's measure name.
    pub fn measure(&self) -> &'static str {
        match self {
            GlmmData::Tables(_) => "OR",
            GlmmData::Proportions(_) => "PLO",
            GlmmData::Rates(_) => "IRLN",
            GlmmData::RateTables(_) => "IRR",
        }
    }

    /// The number of studies given.
    pub fn len(&self) -> usize {
        match self {
            GlmmData::Tables(v) => v.len(),
            GlmmData::Proportions(v) => v.len(),
            GlmmData::Rates(v) => v.len(),
            GlmmData::RateTables(v) => v.len(),
        }
    }

    /// Whether no study was given.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Validate every study, naming the first bad one.
    fn check(&self) -> Result<()> {
        let r = match self {
            GlmmData::Tables(v) => v
                .iter()
                .map(TwoByTwo::check)
                .enumerate()
                .find(|e| e.1.is_err()),
            GlmmData::Proportions(v) => v
                .iter()
                .map(Proportion::check)
                .enumerate()
                .find(|e| e.1.is_err()),
            GlmmData::Rates(v) => v
                .iter()
                .map(PersonTime::check)
                .enumerate()
                .find(|e| e.1.is_err()),
            GlmmData::RateTables(v) => v
                .iter()
                .map(RateTable::check)
                .enumerate()
                .find(|e| e.1.is_err()),
        };
        match r {
            Some((i, Err(e))) => Err(e.in_study(i)),
            _ => Ok(()),
        }
    }
}

/// A GLMM as metafor's `rma.glmm` fits it: the parameterisation, fixed or random effects, the
/// quadrature, moderators and the confidence level.
///
/// ```
/// use metapool::glmm::{Glmm, GlmmData, GlmmEffects, GlmmModel, Quadrature};
/// use metapool::effect::PersonTime;
/// let rates = [(7, 1344.0), (8, 1600.0), (3, 12012.0), (6, 1536.0), (1, 370.0)]
///     .map(|(x, t)| PersonTime::new(x as f64, t).unwrap());
/// let glmm = Glmm::random(GlmmModel::UmFs).with_quadrature(Quadrature::new(15)?);
/// let fit = glmm.fit(&GlmmData::Rates(rates.to_vec()))?; // IRLN: Poisson-normal
/// assert_eq!((fit.measure, fit.k), ("IRLN", 5));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Glmm {
    /// The parameterisation (used for two-group data; single-group data have one model).
    pub model: GlmmModel,
    /// Fixed or random effects.
    pub effects: GlmmEffects,
    /// The quadrature (`None`: metafor's, see [`Quadrature`]).
    pub quadrature: Option<Quadrature>,
    /// Double-zero studies.
    pub double_zero: DoubleZero,
    /// The confidence level of the intervals.
    pub level: ConfidenceLevel,
    /// Moderators (`None`: intercept only). One row per study given, double zeros included.
    pub moderators: Option<ModelMatrix>,
    /// The test of the coefficients: `Test::Z` (metafor's default) or `Test::T` (metafor
    /// `test = "t"`: t on `k - p` df, QM as F on `(m, k - p)` df).
    pub test: Test,
}

impl Glmm {
    /// A random-effects model.
    pub fn random(model: GlmmModel) -> Self {
        Glmm {
            model,
            effects: GlmmEffects::Random,
            quadrature: None,
            double_zero: DoubleZero::Drop,
            level: ConfidenceLevel::default(),
            moderators: None,
            test: Test::Z,
        }
    }

    /// A fixed-effects model.
    pub fn fixed(model: GlmmModel) -> Self {
        Glmm {
            effects: GlmmEffects::Fixed,
            ..Glmm::random(model)
        }
    }

    /// The same with another quadrature.
    pub fn with_quadrature(mut self, q: Quadrature) -> Self {
        self.quadrature = Some(q);
        self
    }

    /// The same with moderators (a [`ModelMatrix`] with one row per study given).
    pub fn with_moderators(mut self, x: ModelMatrix) -> Self {
        self.moderators = Some(x);
        self
    }

    /// The same keeping or dropping double-zero studies.
    pub fn with_double_zero(mut self, d: DoubleZero) -> Self {
        self.double_zero = d;
        self
    }

    /// The same with another confidence level.
    pub fn with_level(mut self, level: ConfidenceLevel) -> Self {
        self.level = level;
        self
    }

    /// The same with another test of the coefficients: `Test::Z` or `Test::T` (metafor's
    /// `test = "t"`); the fit refuses the Knapp-Hartung tests, which metafor's `rma.glmm` does
    /// not have.
    ///
    /// ```
    /// use metapool::glmm::{Glmm, GlmmData, GlmmModel};
    /// use metapool::effect::Proportion;
    /// use metapool::pool::Test;
    /// // dat.pritz1997 (metafor): rma.glmm(xi, ni, measure = "PLO", test = "t")
    /// let p = [(16, 17), (10, 12), (4, 8), (43, 58), (10, 10), (25, 42), (13, 14), (12, 12),
    ///     (22, 41), (4, 5), (5, 6), (18, 23), (58, 68), (6, 10)]
    ///     .map(|(x, n)| Proportion::new(x as f64, n as f64).unwrap());
    /// let fit = Glmm::random(GlmmModel::UmFs).with_test(Test::T).fit(&GlmmData::Proportions(p.to_vec()))?;
    /// // metafor: estimate 1.3766, se 0.2884, t on 13 df, p 0.00036, CI lower 0.7536
    /// let c = &fit.coefficients[0];
    /// assert_eq!(fit.df, Some(13)); // k - p
    /// assert!((c.estimate - 1.3766).abs() < 1e-4 && (c.se - 0.2884).abs() < 1e-4);
    /// assert!((c.p - 0.00036376).abs() < 1e-7 && (c.ci_lower - 0.7536).abs() < 1e-4);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_test(mut self, test: Test) -> Self {
        self.test = test;
        self
    }

    /// Fit the model. Errors: a study's invalid field (naming the study), no studies, every
    /// study dropped, more coefficients than studies allow, moderators of the wrong length, or
    /// a likelihood that cannot be maximised.
    pub fn fit(&self, data: &GlmmData) -> Result<GlmmFit> {
        if data.is_empty() {
            return Err(Error::Empty);
        }
        if !matches!(self.test, Test::Z | Test::T) {
            return Err(Error::Undefined {
                what: "the Knapp-Hartung test",
                why: "rma.glmm models use test z or t",
            });
        }
        data.check()?;
        fit::fit(self, data)
    }
}
