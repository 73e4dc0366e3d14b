//! The tau² estimators (documented in [`crate::pool`], whose public paths they have).
mod control;
pub(crate) mod design;
mod estimator;
pub(crate) mod exact;
pub(crate) mod grouped;
pub(crate) mod likelihood;
pub(crate) mod moderator;
pub(crate) mod moment;
pub(crate) mod paule_mandel;
pub(crate) mod q_profile;
pub(crate) mod zeroin;

pub use control::{Tau2Control, Tau2Mode};
pub use estimator::Tau2Estimator;
pub use q_profile::{BoundStatus, HeterogeneityIntervals};

use crate::error::{Error, Result};

/// How a tau² estimate was reached.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Tau2Stop {
    /// A closed-form estimator; `raw` is the value before truncation at 0 (negative when the
    /// estimate was truncated).
    ClosedForm {
        /// The untruncated estimate.
        raw: f64,
    },
    /// Fisher scoring converged: the last change in tau² was at most the threshold.
    Converged {
        /// The last change `|tau2_new - tau2_old|`.
        last_change: f64,
    },
    /// The bracketing root search converged.
    Root {
        /// Width of the final bracket.
        bracket: f64,
    },
    /// The estimating equation already holds below its target at tau² = 0 (for Paule-Mandel,
    /// `Q(0) < target`), so tau² = 0 without a search.
    AtLowerBound,
    /// Fisher scoring converged to `converged_at > threshold`, but the (restricted)
    /// log-likelihood at tau² = 0 is larger by more than the tolerance: as metafor does
    /// (`ll0check`, with a warning), tau² is set to 0.
    ResetToZero {
        /// Where Fisher scoring had stopped.
        converged_at: f64,
        /// `ll(0) - ll(converged_at)`.
        loglik_gain: f64,
    },
    /// One study: tau² = 0 by definition (metafor's `k = 1` rule).
    SingleStudy,
    /// The exact solver ([`Tau2Mode::Exact`]) found the root of the estimating equation inside
    /// its bracket, to 1e-13 relative.
    Solved {
        /// The last step of the safeguarded Newton iteration.
        last_step: f64,
        /// The width of the final bracket around the root.
        bracket: f64,
        /// The estimating equation at the solution (0 to rounding): twice the score for ML and
        /// REML, `y'Py - target` for EB, PM and PMM.
        equation: f64,
    },
    /// The exact solver ([`Tau2Mode::Exact`]): tau² = 0 because the estimating equation at 0 is
    /// not positive (the (restricted) likelihood decreases from 0, or `Q(0) <= target`).
    Boundary {
        /// The estimating equation at tau² = 0 (<= 0).
        equation: f64,
    },
    /// A moderator model with as many coefficients as studies (for the common-tau² subgroup
    /// model: every subgroup a single study), so no residual degrees of freedom: tau² = 0 by
    /// definition (metafor refuses to fit such a model).
    Saturated,
}

impl Tau2Stop {
    /// A short name of how the estimate was reached, as the command-line tool writes it
    /// (`tau2_stop`): `closed_form`, `converged`, `root`, `at_lower_bound`, `reset_to_zero`,
    /// `single_study`, `solved`, `boundary`, `saturated`.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::Tau2Estimator};
    /// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
    /// assert_eq!(Tau2Estimator::RestrictedMaximumLikelihood.fit(&set)?.stop.name(), "solved");
    /// assert_eq!(Tau2Estimator::DerSimonianLaird.fit(&set)?.stop.name(), "closed_form");
    /// let same = EffectSet::from_estimates(&[0.2, 0.2, 0.2], &[0.01, 0.02, 0.015])?;
    /// assert_eq!(Tau2Estimator::RestrictedMaximumLikelihood.fit(&same)?.stop.name(), "boundary");
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Tau2Stop::ClosedForm { .. } => "closed_form",
            Tau2Stop::Converged { .. } => "converged",
            Tau2Stop::Root { .. } => "root",
            Tau2Stop::AtLowerBound => "at_lower_bound",
            Tau2Stop::ResetToZero { .. } => "reset_to_zero",
            Tau2Stop::SingleStudy => "single_study",
            Tau2Stop::Solved { .. } => "solved",
            Tau2Stop::Boundary { .. } => "boundary",
            Tau2Stop::Saturated => "saturated",
        }
    }
}

/// A tau² estimate with its standard error and how it was computed (argmin-style report).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Tau2Fit {
    /// The estimator.
    pub estimator: Tau2Estimator,
    /// The estimate, truncated at 0.
    pub tau2: f64,
    /// Its standard error as metafor reports it (`se.tau2`); `None` for one study, and where
    /// it cannot be computed in floating point (overflowing or cancelling sums).
    pub se: Option<f64>,
    /// Iterations used (Fisher scoring steps, or new function evaluations of the root
    /// search); 0 for closed forms.
    pub iterations: usize,
    /// How the computation stopped.
    pub stop: Tau2Stop,
}

/// The method that produced a tau² estimate ([`Tau2Fit::method`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Tau2Method {
    /// A closed form (DL, HE, HS, HSk, SJ, DL2, GENQ).
    ClosedForm,
    /// metafor's Fisher scoring (ML, REML, EB in [`Tau2Mode::Metafor`]).
    FisherScoring,
    /// metafor's Brent root search, R's `uniroot` (PM, PMM in [`Tau2Mode::Metafor`]).
    Brent,
    /// The exact solver: safeguarded Newton steps in a bracket ([`Tau2Mode::Exact`]).
    SafeguardedNewton,
    /// No computation: tau² = 0 by definition (one study, a saturated model).
    Definition,
}

impl Tau2Fit {
    /// How the estimate was computed.
    ///
    /// ```
    /// use metapool::pool::{Tau2Control, Tau2Method};
    /// use metapool::{effect::EffectSet, pool::Tau2Estimator};
    /// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
    /// let reml = Tau2Estimator::RestrictedMaximumLikelihood;
    /// let exact = reml.fit(&set)?;
    /// assert_eq!(exact.method(), Tau2Method::SafeguardedNewton);
    /// assert!(exact.equation().unwrap().abs() < 1e-9 && !exact.at_boundary());
    /// let metafor = reml.fit_with(&set, &Tau2Control::metafor())?;
    /// assert_eq!(metafor.method(), Tau2Method::FisherScoring);
    /// assert!((exact.tau2 - metafor.tau2).abs() < 1e-5);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn method(&self) -> Tau2Method {
        match self.stop {
            Tau2Stop::ClosedForm { .. } => Tau2Method::ClosedForm,
            Tau2Stop::Converged { .. } | Tau2Stop::ResetToZero { .. } => Tau2Method::FisherScoring,
            Tau2Stop::Root { .. } | Tau2Stop::AtLowerBound => Tau2Method::Brent,
            Tau2Stop::Solved { .. } | Tau2Stop::Boundary { .. } => Tau2Method::SafeguardedNewton,
            Tau2Stop::SingleStudy | Tau2Stop::Saturated => Tau2Method::Definition,
        }
    }

    /// The last step of the iteration (Fisher scoring's last change, the root search's final
    /// bracket for Brent, the last Newton step of the exact solver); `None` without one.
    pub fn last_step(&self) -> Option<f64> {
        match self.stop {
            Tau2Stop::Converged { last_change } => Some(last_change),
            Tau2Stop::Root { bracket } => Some(bracket),
            Tau2Stop::Solved { last_step, .. } => Some(last_step),
            _ => None,
        }
    }

    /// The estimating equation at the estimate, where the exact solver computed it
    /// ([`Tau2Stop::Solved`], [`Tau2Stop::Boundary`]).
    pub fn equation(&self) -> Option<f64> {
        match self.stop {
            Tau2Stop::Solved { equation, .. } | Tau2Stop::Boundary { equation } => Some(equation),
            _ => None,
        }
    }

    /// Whether the estimate sits on the boundary tau² = 0.
    pub fn at_boundary(&self) -> bool {
        self.tau2 == 0.0
    }
}

/// Every estimator written over a [`design::Design`] (all but DL2 and GENQ, which the
/// intercept-only model handles itself and metafor 3.8 does not define with moderators), by
/// the formulas of the module documentation with `k - 1` replaced by `df = k - p`. The
/// estimate must be finite (`what` names it in the error); a non-finite standard error is
/// reported as `None`.
pub(crate) fn fit_design(
    estimator: Tau2Estimator,
    d: &impl design::Design,
    control: &Tau2Control,
    what: &'static str,
) -> Result<Tau2Fit> {
    let fit = match estimator {
        Tau2Estimator::DerSimonianLaird => moment::dersimonian_laird(d)?,
        Tau2Estimator::Hedges => moment::hedges(d),
        Tau2Estimator::HunterSchmidt => moment::hunter_schmidt(d, false),
        Tau2Estimator::HunterSchmidtSmallSample => moment::hunter_schmidt(d, true),
        Tau2Estimator::SidikJonkman => moment::sidik_jonkman(d, control),
        Tau2Estimator::MaximumLikelihood
        | Tau2Estimator::RestrictedMaximumLikelihood
        | Tau2Estimator::EmpiricalBayes
        | Tau2Estimator::PauleMandel
        | Tau2Estimator::PauleMandelMedian
            if control.mode() == Tau2Mode::Exact =>
        {
            exact::fit(estimator, d, control)?
        }
        Tau2Estimator::MaximumLikelihood
        | Tau2Estimator::RestrictedMaximumLikelihood
        | Tau2Estimator::EmpiricalBayes => likelihood::fisher_scoring(estimator, d, control)?,
        Tau2Estimator::PauleMandel | Tau2Estimator::PauleMandelMedian => {
            paule_mandel::paule_mandel(estimator, d, control)?
        }
        Tau2Estimator::DerSimonianLairdTwoStep | Tau2Estimator::GeneralizedQ => {
            return Err(Error::Undefined {
                what: "tau2 of a model with moderators",
                why: "metafor 3.8 has no two-step DL with moderators, and the generalized Q estimator needs study weights",
            })
        }
    };
    finish(estimator, fit, what)
}

/// The checks every tau² fit passes before it is reported: the estimate must be finite, and a
/// closed form whose untruncated value is NaN (its sums overflowed or cancelled) must not pass
/// as tau² = 0 through max(0, NaN) = 0; both are [`Error::NonFinite`] naming `what`. The
/// standard error of tau² is auxiliary: where its sums overflow or cancel (variances many
/// orders of magnitude apart) it is reported as `None` rather than failing the fit.
fn finish(estimator: Tau2Estimator, fit: Tau2Fit, what: &'static str) -> Result<Tau2Fit> {
    check_estimate(fit.tau2, what)?;
    if let Tau2Stop::ClosedForm { raw } = fit.stop {
        if raw.is_nan() {
            return Err(Error::NonFinite { what });
        }
    }
    Ok(Tau2Fit {
        estimator,
        se: fit.se.filter(|s| s.is_finite()),
        ..fit
    })
}

/// A tau² estimate must be finite ([`Error::NonFinite`] naming `what`).
#[inline(always)]
fn check_estimate(tau2: f64, what: &'static str) -> Result<()> {
    if !tau2.is_finite() {
        return Err(Error::NonFinite { what });
    }
    Ok(())
}

/// tau² and the iterations it took (or the failure) of the analysis in each lane of a group,
/// `None` for a lane not estimated.
pub(crate) type LaneEstimates = [Option<Result<(f64, usize)>>; crate::pool::WIDTH];

/// [`estimate`] for the intercept-only analyses of `K` studies in the lanes where `active` is
/// set (study `i` of lane `j` at `yt[i].0[j]`, `vt[i].0[j]`), all at once, where `estimate`
/// uses the exact solver ([`exact::solve_lanes`]; the same bits): tau² and the solver's
/// evaluations per active lane (`None` for the others); `None` where `estimate` takes another
/// path (closed forms, metafor's iteration path, one study, invalid settings).
#[inline(always)]
pub(crate) fn estimate_lanes<const K: usize>(
    estimator: Tau2Estimator,
    yt: &[crate::pool::Lanes; K],
    vt: &[crate::pool::Lanes; K],
    active: [bool; crate::pool::WIDTH],
    control: &Tau2Control,
) -> Option<LaneEstimates> {
    if K < 2 || control.mode() != Tau2Mode::Exact || control.validate().is_err() {
        return None;
    }
    let equation = exact::Equation::of(estimator, (K - 1) as f64)?;
    let solved = exact::solve_lanes(equation, yt, vt, active, control.tau2_init());
    let mut out: LaneEstimates = Default::default();
    // a loop, not closures (compiled for the baseline, not for the batch's SIMD level)
    for (o, r) in out.iter_mut().zip(solved) {
        *o = match r {
            Some(Ok(r)) => {
                let (tau2, iterations) = r.estimate();
                Some(check_estimate(tau2, "tau2").map(|()| (tau2, iterations)))
            }
            Some(Err(e)) => Some(Err(e)),
            None => None,
        };
    }
    Some(out)
}

/// Estimate tau² from `k` studies given by index closures.
pub(crate) fn estimate<Y, V>(
    estimator: Tau2Estimator,
    k: usize,
    y: Y,
    v: V,
    control: &Tau2Control,
) -> Result<Tau2Fit>
where
    Y: Fn(usize) -> f64 + Copy,
    V: Fn(usize) -> f64 + Copy,
{
    control.validate()?;
    if k == 0 {
        return Err(Error::Empty);
    }
    if k == 1 {
        return Ok(Tau2Fit {
            estimator,
            tau2: 0.0,
            se: None,
            iterations: 0,
            stop: Tau2Stop::SingleStudy,
        });
    }
    let fit = match estimator {
        Tau2Estimator::DerSimonianLairdTwoStep => moment::dersimonian_laird_two_step(k, y, v)?,
        Tau2Estimator::GeneralizedQ => {
            return Err(Error::Undefined {
                what: "generalized Q estimator",
                why: "it needs study weights: use GeneralizedQModel",
            })
        }
        _ => fit_design(estimator, &design::Intercept { k, y, v }, control, "tau2")?,
    };
    finish(estimator, fit, "tau2")
}
