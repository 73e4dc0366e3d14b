//! The Q-profile confidence interval for the residual tau² of a meta-regression (metafor
//! `confint(res)` on an `rma(mods = ...)` fit; Viechtbauer 2007).

use super::fit::RegressionModel;
use super::projection::Regression;
use super::result::RegressionFit;
use crate::error::{Error, Result};
use crate::heterogeneity::Heterogeneity;
use crate::pool::tau2::design::Design;
use crate::pool::tau2::q_profile::q_profile_of;
use crate::pool::HeterogeneityIntervals;

impl RegressionFit {
    /// Q-profile intervals for the residual tau², tau, I² and H²:
    /// ```text
    /// Q(tau2) = y'P y at w = 1 / (v + tau2)   (decreasing in tau2; y not centred, as
    ///           metafor's confint, unlike its fit: they differ only without an intercept)
    /// lower: Q(lower) = qchisq(1 - alpha/2, k - p);  upper: Q(upper) = qchisq(alpha/2, k - p)
    /// solved exactly (the default), or with metafor's path: Brent on [0, max(100, 10 tau2)] at
    /// the fit's Tau2Control tolerance
    /// I2 = 100 t / (vt + t),  H2 = t / vt + 1,  vt = (k - p) / tr P at w = 1/v
    /// ```
    /// Errors for a fixed-effects fit (no tau²). Source: metafor 3.8 `confint.rma.uni`.
    pub fn heterogeneity_intervals(&self) -> Result<HeterogeneityIntervals> {
        if self.model == RegressionModel::Fixed {
            return Err(Error::Undefined {
                what: "Q-profile interval of tau²",
                why: "a fixed-effects meta-regression has no tau²",
            });
        }
        // metafor's confint uses y itself (the fit centres it: the same for designs whose
        // columns span the intercept)
        let design = Regression {
            y: &self.y,
            v: &self.v,
            x: &self.x,
        };
        let df = self.residual.df;
        let vt = df as f64 / design.at(0.0).tr_p;
        let r = &self.residual;
        let point = Heterogeneity {
            q: r.qe,
            df,
            q_p: Some(r.p),
            i2: r.i2,
            h2: r.h2,
            tau2: r.tau2,
            tau: r.tau2.sqrt(),
        };
        q_profile_of(
            &design,
            |t| design.residual_q(t),
            df as f64,
            vt,
            &point,
            &self.level,
            &self.spec.control,
        )
    }
}
