//! Pooling models: fixed effect (inverse variance, Mantel-Haenszel), random effects, and the
//! Q-test model-selection rule. Every model produces a [`Pooled`].
//!
//! # Between-study variance (tau²)
//!
//! Estimation of the between-study variance tau² for the random-effects model, as metafor 3.8's
//! `rma.uni` does it for the intercept-only model, and the Q-profile confidence interval.
//!
//! With `w = 1 / (v + tau2)`, `S = sum w`, `mu = sum w y / S`, `P = W - w w' / S`,
//! `V = diag(v)` and `RSS = y'Py = sum w (y - mu)^2` (the generalized Q):
//! ```text
//! closed forms (truncated at 0; raw value in Tau2Stop::ClosedForm):
//!   DL   (Q - (k-1)) / tr P            at w = 1/v       se = sqrt(2(k-1) + 4 t tr P + 2 t^2 tr PP) / tr P
//!   HE   (RSS - tr PV) / (k-1)         at w = 1         se = sqrt(2 tr PVPV + 4 t tr PV + 2 t^2 (k-1)) / (k-1)
//!   HS   (Q - k) / S                   at w = 1/v       se = sqrt(2(k-1) + 4 t tr P + 2 t^2 tr PP) / S
//!   HSk  (k/(k-1) Q - k) / S           at w = 1/v       se = k/(k-1) x the HS se
//!   SJ   t0 RSS / (k-1)  at w = 1/(v + t0), t0 = sum (y - mean y)^2 / k
//!                                                       se = t0 sqrt(2 tr PVPV + 4 t tr PPV + 2 t^2 tr PP) / (k-1)
//!   DL2  (RSS - tr PV) / tr P          at w = 1/(v + tau2_DL)
//!                                                       se = sqrt(2 tr PVPV + 4 t tr PPV + 2 t^2 tr PP) / tr P
//! iterative estimators, Tau2Mode::Exact (the default; the module `exact`):
//!   the root of   ML: y'PPy = S   REML: y'PPy = tr P   EB, PM: RSS = k - 1
//!                 PMM: RSS = qchisq(0.5, k - 1)
//!   bracketed on [0, provable upper bound], tau2 = 0 when the equation at 0 is not positive,
//!   safeguarded Newton steps to 1e-13 relative (Tau2Stop::Solved / Tau2Stop::Boundary);
//!   standard errors as below
//! iterative estimators, Tau2Mode::Metafor (Tau2Control::metafor()), metafor's own path:
//! Fisher scoring from max(0, HE), step halving to stay >= 0, stop when |change| <= threshold:
//!   ML   step = (y'PPy - S) / sum w^2                  se = sqrt(2 / sum w^2)
//!   REML step = (y'PPy - tr P) / tr PP                 se = sqrt(2 / tr PP)
//!   EB   step = (k/(k-1) RSS - k) / S                  se = sqrt(2 k^2 / (k-1)) / S
//!   ML/REML: if ll(0) - ll(tau2) > tol, tau2 = 0 (metafor's ll0check; Tau2Stop::ResetToZero)
//! Brent root search on [0, max(100, 10 mad(y)^2)]:
//!   PM   RSS(tau2) = k - 1;  PMM  RSS(tau2) = qchisq(0.5, k - 1)
//!                                                       se = sqrt(2 k^2 / (k-1)) / S
//! ```
//! The same estimators (all but DL2 and GENQ) serve the common-tau² subgroup model
//! (`SubgroupModel::RandomCommon`, metafor `rma(yi, vi, mods = ~ factor(g))`) with `p`
//! subgroup means: `k - 1` becomes `k - p`, and `P = diag(P_g)`, `P_g = W_g - w_g w_g' / S_g`,
//! is block diagonal, so every sum above is a sum of per-subgroup sums (and the REML
//! log-likelihood's `ln S` becomes `sum_g ln S_g`). They also serve the meta-regression on one
//! moderator (`rma(yi, vi, mods = ~ x)`, the regression test's model) with `p = 2`:
//! `X = [1, x]`, `X'WX` is 2x2 with a closed-form inverse, and every sum over `P` is a weighted
//! sum over the studies (`moderator::Moderator`). Each estimator is written once over a
//! design (`design::Design`: the intercept-only model, `grouped::Grouped` or
//! `moderator::Moderator`) and dispatched once (`fit_design`).
//!
//! Sources: metafor 3.8 `rma.uni` documentation and its `control` defaults; DerSimonian & Laird
//! (1986); Hedges (1983); Hunter & Schmidt (1990); Sidik & Jonkman (2005); Viechtbauer (2005,
//! 2021); Morris (1983); Paule & Mandel (1982); DerSimonian & Kacker (2007); Raudenbush (2009)
//! for the models with moderators.

mod block;
mod core;
mod fixed;
mod generalized;
mod lanes;
mod mantel_haenszel;
mod mh_tests;
mod peto;
mod pooled;
mod pooler;
mod random;
mod regression;
mod rule;
mod subgroup;
mod sums;
pub(crate) mod tau2;
mod test;

pub(crate) use self::block::{block_part, weigh};
#[allow(unused_imports)]
pub(crate) use self::core::{
    check_study, fixed_core, fixed_core_of, weighted_core, weighted_core_of, weighted_sums, Column,
    FixedCore, Slice,
};
pub(crate) use lanes::{LaneMask, Lanes, Real, WIDTH};

pub use fixed::FixedModel;
pub use mantel_haenszel::MantelHaenszel;
pub use mh_tests::{CmhCorrection, MantelHaenszelTests};
pub use peto::Peto;
pub use pooled::{ExcludedStudy, Interval, Model, Note, Pooled, PooledStudy};

pub use generalized::GeneralizedQModel;
pub use pooler::Pooler;
pub use random::RandomModel;
pub(crate) use regression::weighted_least_squares;
pub use rule::{ModelChoice, ModelRule, Selection};
pub use subgroup::{Subgroup, SubgroupAnalysis, SubgroupModel, Subgroups};
pub use tau2::{
    BoundStatus, HeterogeneityIntervals, Tau2Control, Tau2Estimator, Tau2Fit, Tau2Method, Tau2Mode,
    Tau2Stop,
};
pub use test::{PredictionKind, Test};

use crate::effect::{EffectSet, Scale};
use crate::error::{Error, Result};
use crate::heterogeneity::Heterogeneity;
use crate::inference::ConfidenceLevel;

/// Which fixed-effect method produced a result.
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
/// let iv = FixedModel::default().pool(&set)?;
/// let mh = FixedModel::default().with_method(FixedMethod::MantelHaenszel).pool(&set)?;
/// assert_eq!(mh.model, Model::Fixed(FixedMethod::MantelHaenszel));
/// // metafor: rma(method = "FE") -0.4303, rma.mh(measure = "RR") -0.4537
/// assert!((iv.estimate - -0.4303).abs() < 5e-5 && (mh.estimate - -0.4537).abs() < 5e-5);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum FixedMethod {
    /// Inverse-variance weights `1/v_i`.
    #[default]
    InverseVariance,
    /// Mantel-Haenszel: odds ratio with the Robins-Breslow-Greenland variance, risk ratio and
    /// risk difference with the Greenland-Robins variances (see [`MantelHaenszel`]).
    MantelHaenszel,
    /// Peto's one-step odds ratio (see [`Peto`]).
    Peto,
}

impl FixedMethod {
    /// metafor's name for the method (`"IV"` for inverse variance, as `rma(method = "FE")`
    /// uses it, `"MH"`, `"PETO"`).
    ///
    /// ```
    /// use metapool::pool::FixedMethod;
    /// for m in [FixedMethod::InverseVariance, FixedMethod::MantelHaenszel, FixedMethod::Peto] {
    ///     assert_eq!(m.metafor_name().parse::<FixedMethod>()?, m); // round trip
    /// }
    /// assert_eq!(FixedMethod::MantelHaenszel.metafor_name(), "MH");
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn metafor_name(self) -> &'static str {
        match self {
            FixedMethod::InverseVariance => "IV",
            FixedMethod::MantelHaenszel => "MH",
            FixedMethod::Peto => "PETO",
        }
    }
}

impl std::str::FromStr for FixedMethod {
    type Err = Error;
    /// A method by name, case-insensitively: `"IV"` (or `"FE"`, `"EE"`, `"CE"`, metafor's
    /// names of the inverse-variance fixed-effect model), `"MH"`, `"PETO"`.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// assert_eq!("MH".parse::<FixedMethod>()?, FixedMethod::MantelHaenszel);
    /// assert_eq!("fe".parse::<FixedMethod>()?, FixedMethod::InverseVariance);
    /// assert_eq!("Peto".parse::<FixedMethod>()?, FixedMethod::Peto);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_uppercase().as_str() {
            "IV" | "FE" | "EE" | "CE" => Ok(FixedMethod::InverseVariance),
            "MH" => Ok(FixedMethod::MantelHaenszel),
            "PETO" => Ok(FixedMethod::Peto),
            _ => Err(Error::Unparsable {
                what: "a fixed-effect method (IV, MH, PETO)",
                text: s.to_owned(),
            }),
        }
    }
}

/// The Wald part of a result: `z = mu / se`, `p = 2 (1 - Phi(|z|))`, `CI = mu -/+ z_crit se`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Wald {
    pub estimate: f64,
    pub se: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub statistic: f64,
    pub p: f64,
}

impl Wald {
    #[inline]
    pub(crate) fn new(estimate: f64, se: f64, level: &ConfidenceLevel) -> Wald {
        let [estimate, se, ci_lower, ci_upper, statistic, p] =
            wald_figures(estimate, se, level.z());
        Wald {
            estimate,
            se,
            ci_lower,
            ci_upper,
            statistic,
            p,
        }
    }

    pub(crate) fn check_finite(&self) -> Result<()> {
        for (what, x) in [
            ("pooled estimate", self.estimate),
            ("standard error", self.se),
            ("confidence interval", self.ci_lower),
            ("confidence interval", self.ci_upper),
            ("z statistic", self.statistic),
            ("p-value", self.p),
        ] {
            if !x.is_finite() {
                return Err(Error::NonFinite { what });
            }
        }
        Ok(())
    }
}

/// The figures of a Wald interval and z test with critical value `z_crit`, of one estimate or of
/// one per lane: estimate, se, `estimate -/+ z_crit se`, `z = estimate / se`, `p = 2 (1 -
/// Phi(|z|))`.
#[inline(always)]
pub(crate) fn wald_figures<R: Real>(estimate: R, se: R, z_crit: f64) -> [R; 6] {
    let half = R::splat(z_crit) * se;
    let z = estimate / se;
    [
        estimate,
        se,
        estimate - half,
        estimate + half,
        z,
        crate::tails::normal_two_sided(z),
    ]
}

pub(crate) fn check_heterogeneity(h: &Heterogeneity) -> Result<()> {
    for (what, x) in [
        ("Q", h.q),
        ("I2", h.i2),
        ("H2", h.h2),
        ("tau2", h.tau2),
        ("Q p-value", h.q_p.unwrap_or(0.0)),
    ] {
        if !x.is_finite() {
            return Err(Error::NonFinite { what });
        }
    }
    Ok(())
}

/// Weights in percent from raw weights.
pub(crate) fn percent(weights: impl Iterator<Item = f64>, total: f64) -> Vec<f64> {
    // share first: 100 w overflows for weights above 1.8e306 (variances below 5e-307)
    weights.map(|w| 100.0 * (w / total)).collect()
}

/// Everything a [`Pooled`] is made of, put together by a model.
pub(crate) struct Parts {
    pub model: Model,
    pub wald: Wald,
    pub test: Test,
    pub df: Option<usize>,
    pub level: ConfidenceLevel,
    pub scale: Scale,
    pub studies: Vec<PooledStudy>,
    pub excluded: Vec<ExcludedStudy>,
    pub heterogeneity: Heterogeneity,
    pub tau2_fit: Option<Tau2Fit>,
    pub notes: Vec<Note>,
}

impl Parts {
    /// The parts of an inverse-variance-weighted fit of `set` (raw weights `w_i`, summing to
    /// `total`), tested with z, without a tau² fit.
    pub(crate) fn of_set(
        model: Model,
        set: &EffectSet,
        wald: Wald,
        level: &ConfidenceLevel,
        raw_weights: impl Iterator<Item = f64>,
        total: f64,
        heterogeneity: Heterogeneity,
    ) -> Parts {
        Parts {
            model,
            wald,
            test: Test::Z,
            df: None,
            level: *level,
            scale: set.scale(),
            studies: set_rows(set, raw_weights, total),
            excluded: excluded_rows(set),
            heterogeneity,
            tau2_fit: None,
            notes: Vec::new(),
        }
    }

    /// The complete, checked result.
    pub(crate) fn build(self) -> Result<Pooled> {
        self.wald.check_finite()?;
        check_heterogeneity(&self.heterogeneity)?;
        if self.studies.iter().any(|s| !s.weight.is_finite()) {
            return Err(Error::NonFinite { what: "weights" });
        }
        Ok(Pooled {
            model: self.model,
            k: self.studies.len(),
            estimate: self.wald.estimate,
            se: self.wald.se,
            ci_lower: self.wald.ci_lower,
            ci_upper: self.wald.ci_upper,
            statistic: self.wald.statistic,
            p: self.wald.p,
            test: self.test,
            df: self.df,
            level: self.level,
            scale: self.scale,
            studies: self.studies,
            excluded: self.excluded,
            heterogeneity: self.heterogeneity,
            tau2_fit: self.tau2_fit,
            notes: self.notes,
            mantel_haenszel_tests: None,
        })
    }
}

/// The rows of the included studies of `set`, with weights `100 w_i / total`.
pub(crate) fn set_rows(
    set: &EffectSet,
    raw_weights: impl Iterator<Item = f64>,
    total: f64,
) -> Vec<PooledStudy> {
    set.effects()
        .iter()
        .zip(set.included())
        .zip(raw_weights)
        .map(|((e, &position), w)| PooledStudy {
            position,
            label: set.label(position).map(str::to_owned),
            effect: Some(*e),
            // share first: 100 w overflows for weights above 1.8e306 (variances below 5e-307)
            weight: 100.0 * (w / total),
        })
        .collect()
}

/// The rows of the studies `set` excludes.
pub(crate) fn excluded_rows(set: &EffectSet) -> Vec<ExcludedStudy> {
    set.excluded()
        .iter()
        .map(|&(position, why)| ExcludedStudy {
            position,
            label: set.label(position).map(str::to_owned),
            why,
        })
        .collect()
}

/// The test a model with `requested` uses on `k` studies: z for one study under a t-based test
/// (metafor: `Setting argument test="z" since k=1`), with the note saying so.
pub(crate) fn test_for(requested: Test, k: usize) -> (Test, Vec<Note>) {
    if k == 1 && requested.is_t() {
        (Test::Z, vec![Note::ZTestForOneStudy { requested }])
    } else {
        (requested, Vec::new())
    }
}
