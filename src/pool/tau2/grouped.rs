//! tau² of the mixed-effects model with one categorical moderator (one mean per subgroup, tau²
//! common to all subgroups), as metafor 3.8 `rma.uni(yi, vi, mods = ~ factor(g), method = ...)`
//! estimates it.
//!
//! With subgroup dummies the design `X` has one column per subgroup (the intercept-plus-contrasts
//! coding of metafor spans the same space, so `P`, every trace and `det(X'WX)` are the same), so
//! `X'WX = diag(S_g)`, `S_g = sum_{i in g} w_i`, and the projection is block diagonal:
//! ```text
//! P = W - W X (X'WX)^-1 X'W = diag(P_g),   P_g = W_g - w_g w_g' / S_g
//! ```
//! Every trace and quadratic form the estimators need is then a sum over the subgroups of the
//! intercept-only sums of [`weighted_sums`] (`tr P = sum_g tr P_g`, `tr PP = sum_g tr P_g P_g`,
//! `y'Py = sum_g y_g'P_g y_g`, ...) and `ln det(X'WX) = sum_g ln S_g`: no matrix algebra. The
//! estimators themselves are those of the intercept-only model, written once over
//! [`Design`].

use super::design::{log_variance_sum, range, Design, ProjectionSums};
use super::Tau2Estimator;
use super::{Tau2Control, Tau2Fit, Tau2Stop};
use crate::effect::Effect;
use crate::error::{Error, Result};
use crate::numeric::NeumaierSum;
use crate::pool::core::{fixed_core, weighted_sums};

/// The model with one mean per subgroup over non-empty subgroups of studies.
pub(crate) struct Grouped<'a> {
    groups: &'a [&'a [Effect]],
    /// every study's effect, subgroup after subgroup
    y: Vec<f64>,
}

impl<'a> Grouped<'a> {
    pub(crate) fn new(groups: &'a [&'a [Effect]]) -> Result<Self> {
        if groups.is_empty() || groups.iter().any(|g| g.is_empty()) {
            return Err(Error::Empty);
        }
        let y = groups
            .iter()
            .flat_map(|g| g.iter().map(|e| e.estimate()))
            .collect();
        Ok(Grouped { groups, y })
    }

    /// The sums at weights `w(v_i)`, each the sum of the subgroups' intercept-only sums.
    fn block_sums(&self, w: impl Fn(f64) -> f64 + Copy) -> ProjectionSums {
        let mut acc = [NeumaierSum::default(); 10];
        for g in self.groups {
            let s: ProjectionSums = weighted_sums(
                g.len(),
                |i| g[i].estimate(),
                |i| g[i].variance(),
                |i| w(g[i].variance()),
            )
            .into();
            for (a, x) in acc.iter_mut().zip([
                s.sum_w,
                s.sum_w2,
                s.rss,
                s.rss2,
                s.tr_p,
                s.tr_pp,
                s.tr_pv,
                s.tr_pvpv,
                s.tr_ppv,
                s.log_det_xwx,
            ]) {
                a.add(x);
            }
        }
        let v = acc.map(|a| a.value());
        ProjectionSums {
            sum_w: v[0],
            sum_w2: v[1],
            rss: v[2],
            rss2: v[3],
            tr_p: v[4],
            tr_pp: v[5],
            tr_pv: v[6],
            tr_pvpv: v[7],
            tr_ppv: v[8],
            log_det_xwx: v[9],
        }
    }
}

impl Design for Grouped<'_> {
    fn k(&self) -> usize {
        self.y.len()
    }
    fn p(&self) -> usize {
        self.groups.len()
    }
    fn y(&self, i: usize) -> f64 {
        self.y[i]
    }
    fn at(&self, tau2: f64) -> ProjectionSums {
        self.block_sums(|v| 1.0 / (v + tau2))
    }
    fn unweighted(&self) -> ProjectionSums {
        self.block_sums(|_| 1.0)
    }
    fn sum_log_variance(&self, tau2: f64) -> f64 {
        log_variance_sum(
            self.groups
                .iter()
                .flat_map(|g| g.iter())
                .map(|e| e.variance()),
            tau2,
        )
    }
    fn variance_range(&self) -> (f64, f64) {
        range(
            self.groups
                .iter()
                .flat_map(|g| g.iter().map(|e| e.variance())),
        )
    }
    fn fixed_q_and_tr_p(&self) -> Result<(f64, f64)> {
        let (mut qe, mut tr_p) = (NeumaierSum::default(), NeumaierSum::default());
        for g in self.groups {
            let c = fixed_core(g.len(), |i| g[i].estimate(), |i| g[i].variance())?;
            qe.add(c.q);
            tr_p.add(c.sum_w * c.share_complement);
        }
        Ok((qe.value(), tr_p.value()))
    }
    fn total_sum_of_squares(&self) -> f64 {
        let y = &self.y;
        weighted_sums(y.len(), |i| y[i], |_| 1.0, |_| 1.0).rss
    }
}

/// tau² common to the subgroups `groups` (each non-empty) under `estimator`: the estimators of
/// the intercept-only model with the block-diagonal `P` of the subgroup model, `k` studies in
/// `p` subgroups, `df = k - p`, `V = diag(v)` (metafor 3.8 `rma.uni` with `mods`):
/// ```text
/// DL   w = 1/v:            tau2 = (QE - df) / tr P
///                          se = sqrt(2 df + 4 t tr P + 2 t^2 tr PP) / tr P
/// HE   w = 1:              tau2 = (y'Py - tr PV) / df
///                          se = sqrt(2 tr PVPV + 4 t tr PV + 2 t^2 df) / df
/// HS   w = 1/v:            tau2 = (y'Py - k) / sum w
///                          se = sqrt(2 df + 4 t tr P + 2 t^2 tr PP) / sum w
/// HSk  w = 1/v:            tau2 = (k/df y'Py - k) / sum w,  se = k/df x the HS se
/// SJ   t0 = sum (y - mean y)^2 / k (all studies, one mean), w = 1/(v + t0):
///                          tau2 = t0 y'Py / df
///                          se = t0 sqrt(2 tr PVPV + 4 t tr PPV + 2 t^2 tr PP) / df
/// ML, REML, EB: Fisher scoring from max(0, HE) at w = 1/(v + tau2):
///      ML   step = (y'PPy - sum w) / sum w^2          se = sqrt(2 / sum w^2)
///      REML step = (y'PPy - tr P) / tr PP             se = sqrt(2 / tr PP)
///      EB   step = (k/df y'Py - k) / sum w            se = sqrt(2 k^2 / df) / sum w
///      step times stepadj, halved while tau2 + step < 0; stop when |change| <= threshold;
///      ML/REML: tau2 = 0 when ll(0) - ll(tau2) > tol and tau2 > threshold (ll0check), with
///      ML   ll = -k/2 ln 2pi - 1/2 sum ln(v + tau2) - 1/2 y'Py
///      REML ll = -df/2 ln 2pi - 1/2 sum ln(v + tau2) - 1/2 sum_g ln S_g - 1/2 y'Py
/// PM, PMM: the root of y'Py(tau2) = target in [0, tau2_max] (Brent, as uniroot), target = df
///      (PM) or qchisq(0.5, df) (PMM); tau2 = 0 when y'Py(0) < target;
///      tau2_max = max(100, 10 mad(y)^2);   se = sqrt(2 k^2 / df) / sum w
/// every estimate truncated at 0 (t = the truncated estimate in the se formulas)
/// ```
/// With `df = 0` (every subgroup a single study) there is no residual information: tau2 = 0
/// ([`Tau2Stop::Saturated`]; metafor refuses to fit). Source: metafor 3.8 `rma.uni` (its code
/// for models with moderators; Viechtbauer 2005, 2010; Raudenbush 2009).
pub(crate) fn common_tau2(
    estimator: Tau2Estimator,
    groups: &[&[Effect]],
    control: &Tau2Control,
) -> Result<Tau2Fit> {
    control.validate()?;
    let d = Grouped::new(groups)?;
    if d.k() == d.p() {
        return Ok(Tau2Fit {
            estimator,
            tau2: 0.0,
            se: None,
            iterations: 0,
            stop: Tau2Stop::Saturated,
        });
    }
    super::fit_design(estimator, &d, control, "common tau2 of the subgroups")
}
