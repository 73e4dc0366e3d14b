//! Profile-likelihood confidence intervals of the variance parameters (metafor `confint` on
//! an `rma.mv` fit).
//!
//! ```text
//! ll_p(x) = max over the other parameters of ll(theta | theta_q = x)   (REML or ML, as fitted)
//! the bounds solve ll_p(x) = ll(theta^) - chi2_(1, level) / 2 on each side of theta^_q;
//! lower: the bound of the parameter (0, or -1 for a correlation) when ll_p there is still
//! above the target; upper: searched up to max(10, 100 theta^_q) for a variance (metafor's
//! vc.max), 1 for a correlation
//! ```
//! Each bound is found by Brent's root finder to 1e-10 relative of the estimate's scale, every
//! profile point by the same Fisher scoring as the fit. For HCS and UN the variances are
//! profiled over their square roots and the bounds squared.

use super::optimise::{log_lik, maximise};
use super::result::MultilevelFit;
use crate::error::Result;
use crate::inference::chi_square_quantile;
use crate::pool::tau2::zeroin::zeroin;

/// How a profile bound was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ProfileBound {
    /// The profile log-likelihood crosses its target here (a root).
    Crossing,
    /// The profile stays above its target up to the parameter's bound (a variance's 0, a
    /// correlation's -1 or 1), which is the bound of the interval.
    AtParameterBound,
    /// The profile stays above its target up to the end of the search (metafor's `vc.max`):
    /// the interval is wider than reported.
    SearchLimit,
}

/// A profile-likelihood interval of one variance parameter.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ProfileInterval {
    /// The parameter's name (`sigma2.1`, `tau2.2`, `rho`).
    pub name: String,
    /// The estimate.
    pub estimate: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// How the lower bound was reached.
    pub lower_bound: ProfileBound,
    /// How the upper bound was reached.
    pub upper_bound: ProfileBound,
}

impl MultilevelFit {
    /// Profile-likelihood intervals of every variance parameter at the fit's confidence level.
    pub fn profile_intervals(&self) -> Result<Vec<ProfileInterval>> {
        (0..self.theta.len())
            .map(|q| self.profile_interval(q))
            .collect()
    }

    fn profile_interval(&self, q: usize) -> Result<ProfileInterval> {
        let method = self.spec.method;
        let target =
            log_lik(&self.eval, method) - 0.5 * chi_square_quantile(self.spec.level.level(), 1.0);
        let bounds = self.random.bounds()[q];
        let est = self.theta[q];
        let sd = self.random.is_sd(q);
        let mut failure = None;
        let mut profile = |x: f64| -> f64 {
            let mut fixed = vec![None; self.theta.len()];
            fixed[q] = Some(x);
            let mut start = self.theta.clone();
            start[q] = x;
            match maximise(&self.blocks, &self.random, method, &start, &fixed) {
                Ok(o) => log_lik(&o.eval, method) - target,
                Err(e) => {
                    failure = Some(e);
                    f64::NAN
                }
            }
        };
        let hi = if bounds.1.is_finite() {
            bounds.1
        } else {
            let v = if sd { est * est } else { est };
            let vmax = if v <= f64::EPSILON.sqrt() {
                10.0
            } else {
                (100.0 * v).max(10.0)
            };
            if sd {
                vmax.sqrt()
            } else {
                vmax
            }
        };
        let scale = est.abs().max(1e-8);
        let f_est = log_lik(&self.eval, method) - target;
        let mut side = |end: f64| -> (f64, ProfileBound) {
            if est == end {
                return (end, ProfileBound::AtParameterBound);
            }
            let f_end = profile(end);
            if f_end >= 0.0 {
                let how = if end == bounds.0 || end == bounds.1 {
                    ProfileBound::AtParameterBound
                } else {
                    ProfileBound::SearchLimit
                };
                return (end, how);
            }
            let root = zeroin(&mut profile, est, end, f_est, f_end, 1e-10 * scale, 1000);
            (root.x, ProfileBound::Crossing)
        };
        let (lower, lower_bound) = side(bounds.0);
        let (upper, upper_bound) = side(hi);
        if let Some(e) = failure {
            return Err(e);
        }
        let map = |x: f64| if sd { x * x } else { x };
        Ok(ProfileInterval {
            name: self.components[q].name.clone(),
            estimate: self.components[q].estimate,
            lower: map(lower),
            upper: map(upper),
            lower_bound,
            upper_bound,
        })
    }
}
