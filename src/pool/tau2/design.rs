//! The models the tau² estimators are written for: a design `X` with `p` columns, through the
//! sums over the projection `P = W - W X (X'WX)^-1 X'W` the estimators need (metafor 3.8
//! `rma.uni` writes every estimator in these terms, for any `X`).
//!
//! Three designs: the intercept-only model ([`Intercept`], `p = 1`), the model with one mean
//! per subgroup ([`super::grouped::Grouped`], `p` = number of subgroups), whose `P` is block
//! diagonal, and the meta-regression on one moderator ([`super::moderator::Moderator`],
//! `X = [1, x]`, `p = 2`), whose 2x2 `X'WX` has a closed-form inverse. Each estimator is written
//! once over [`Design`] and dispatched once ([`super::fit_design`]).

use super::paule_mandel::mad;
use crate::error::Result;
use crate::pool::core::{fixed_core, generalized_q, weighted_sums, WeightedSums};
use crate::pool::sums::equation_sums;

/// The sums over `P` at one set of weights `w`, `V = diag(v)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ProjectionSums {
    /// `sum w`
    pub sum_w: f64,
    /// `sum w^2`
    pub sum_w2: f64,
    /// `y'Py`, the weighted residual sum of squares (the generalized Q)
    pub rss: f64,
    /// `y'PPy`
    pub rss2: f64,
    /// `tr P`
    pub tr_p: f64,
    /// `tr PP`
    pub tr_pp: f64,
    /// `tr PV`
    pub tr_pv: f64,
    /// `tr PVPV`
    pub tr_pvpv: f64,
    /// `tr PPV`
    pub tr_ppv: f64,
    /// `ln det(X'WX)`
    pub log_det_xwx: f64,
}

impl From<WeightedSums> for ProjectionSums {
    /// The intercept-only model's sums (`X = 1`, `X'WX = sum w`).
    fn from(s: WeightedSums) -> Self {
        ProjectionSums {
            sum_w: s.sum_w,
            sum_w2: s.sum_w2,
            rss: s.rss,
            rss2: s.rss2,
            tr_p: s.tr_p(),
            tr_pp: s.tr_pp(),
            tr_pv: s.tr_pv(),
            tr_pvpv: s.tr_pvpv(),
            tr_ppv: s.tr_ppv(),
            log_det_xwx: s.sum_w.ln(),
        }
    }
}

/// The sums the estimating equations of the iterative estimators and their Newton steps need
/// (see [`super::exact`]): a subset of [`ProjectionSums`], which a design may compute faster;
/// of one analysis (`f64`), or of one per SIMD lane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct EquationSums<R = f64> {
    /// `sum w`
    pub sum_w: R,
    /// `sum w^2`
    pub sum_w2: R,
    /// `y'Py`
    pub rss: R,
    /// `y'PPy`
    pub rss2: R,
    /// `tr P`
    pub tr_p: R,
    /// `tr PP` (only a slope for Newton steps: its rounding does not move the solution)
    pub tr_pp: R,
}

impl From<ProjectionSums> for EquationSums {
    fn from(s: ProjectionSums) -> Self {
        EquationSums {
            sum_w: s.sum_w,
            sum_w2: s.sum_w2,
            rss: s.rss,
            rss2: s.rss2,
            tr_p: s.tr_p,
            tr_pp: s.tr_pp,
        }
    }
}

/// A linear model for the study effects, `y = X b + u + e`, `u ~ N(0, tau2)`, `e ~ N(0, v)`.
pub(crate) trait Design {
    /// Number of studies.
    fn k(&self) -> usize;
    /// Number of coefficients (columns of `X`).
    fn p(&self) -> usize;
    /// Residual degrees of freedom `k - p`, as a float.
    fn df(&self) -> f64 {
        (self.k() - self.p()) as f64
    }
    /// Study `i`'s effect, `i < k` (any fixed order).
    fn y(&self, i: usize) -> f64;
    /// The sums at `w = 1 / (v + tau2)` (`tau2 = 0`: the fixed-effect weights).
    fn at(&self, tau2: f64) -> ProjectionSums;
    /// The sums at `w = 1` (ordinary least squares).
    fn unweighted(&self) -> ProjectionSums;
    /// `y'Py` at `w = 1 / (v + tau2)` (what Paule-Mandel finds a root of).
    fn residual_q(&self, tau2: f64) -> f64 {
        self.at(tau2).rss
    }
    /// The sums of the estimating equations at `w = 1 / (v + tau2)` (by default from
    /// [`Design::at`]).
    fn equation_sums(&self, tau2: f64) -> EquationSums {
        self.at(tau2).into()
    }
    /// `sum ln(v + tau2)`.
    fn sum_log_variance(&self, tau2: f64) -> f64;
    /// The smallest and the largest sampling variance (the exact solver's bracket).
    fn variance_range(&self) -> (f64, f64);
    /// `(QE, tr P)` at the fixed-effect weights `w = 1/v`, from the fixed-effect kernel (`tr P`
    /// without cancellation; DerSimonian-Laird's numerator and denominator).
    fn fixed_q_and_tr_p(&self) -> Result<(f64, f64)>;
    /// `sum (y - mean y)^2` over all studies (Sidik-Jonkman's start times k).
    fn total_sum_of_squares(&self) -> f64;
    /// R's `mad(y)` over all studies (for Paule-Mandel's search interval).
    fn mad_y(&self) -> f64 {
        mad(self.k(), |i| self.y(i))
    }
    /// The (restricted) log-likelihood at `tau2`, as metafor's `ll0check` computes it:
    /// ```text
    /// ML:   -k/2 ln(2 pi) - 1/2 sum ln(v + tau2) - 1/2 y'Py
    /// REML: -(k-p)/2 ln(2 pi) - 1/2 sum ln(v + tau2) - 1/2 ln det(X'WX) - 1/2 y'Py
    /// ```
    fn log_likelihood(&self, tau2: f64, reml: bool) -> Result<f64> {
        let s = self.at(tau2);
        let ln2pi = (2.0 * std::f64::consts::PI).ln();
        let logs = self.sum_log_variance(tau2);
        Ok(if reml {
            -0.5 * self.df() * ln2pi - 0.5 * logs - 0.5 * s.log_det_xwx - 0.5 * s.rss
        } else {
            -0.5 * self.k() as f64 * ln2pi - 0.5 * logs - 0.5 * s.rss
        })
    }
}

/// The intercept-only model over `k` studies given by index closures.
#[derive(Clone, Copy)]
pub(crate) struct Intercept<Y, V> {
    pub k: usize,
    pub y: Y,
    pub v: V,
}

impl<Y, V> Design for Intercept<Y, V>
where
    Y: Fn(usize) -> f64 + Copy,
    V: Fn(usize) -> f64 + Copy,
{
    fn k(&self) -> usize {
        self.k
    }
    fn p(&self) -> usize {
        1
    }
    fn y(&self, i: usize) -> f64 {
        (self.y)(i)
    }
    fn at(&self, tau2: f64) -> ProjectionSums {
        let v = self.v;
        weighted_sums(self.k, self.y, v, |i| 1.0 / (v(i) + tau2)).into()
    }
    fn unweighted(&self) -> ProjectionSums {
        weighted_sums(self.k, self.y, self.v, |_| 1.0).into()
    }
    fn residual_q(&self, tau2: f64) -> f64 {
        generalized_q(self.k, self.y, self.v, tau2)
    }
    fn equation_sums(&self, tau2: f64) -> EquationSums {
        let v = self.v;
        equation_sums(self.k, self.y, |i| 1.0 / (v(i) + tau2))
    }
    fn sum_log_variance(&self, tau2: f64) -> f64 {
        log_variance_sum((0..self.k).map(self.v), tau2)
    }
    fn variance_range(&self) -> (f64, f64) {
        range((0..self.k).map(self.v))
    }
    fn fixed_q_and_tr_p(&self) -> Result<(f64, f64)> {
        let core = fixed_core(self.k, self.y, self.v)?;
        Ok((core.q, core.sum_w * core.share_complement))
    }
    fn total_sum_of_squares(&self) -> f64 {
        self.unweighted().rss
    }
    /// The intercept-only log-likelihood from the fixed-effect kernel at weights `1/(v + tau2)`.
    fn log_likelihood(&self, tau2: f64, reml: bool) -> Result<f64> {
        let v = self.v;
        let core = fixed_core(self.k, self.y, |i| v(i) + tau2)?;
        let ln2pi = (2.0 * std::f64::consts::PI).ln();
        let kf = self.k as f64;
        let logs = self.sum_log_variance(tau2);
        Ok(if reml {
            -0.5 * (kf - 1.0) * ln2pi - 0.5 * logs - 0.5 * core.sum_w.ln() - 0.5 * core.q
        } else {
            -0.5 * kf * ln2pi - 0.5 * logs - 0.5 * core.q
        })
    }
}

/// The smallest and the largest of some values (`(inf, -inf)` for none).
/// `sum ln(v_i + tau2)`, compensated (the log-determinant part of the (restricted) likelihood;
/// one kernel for every design).
pub(crate) fn log_variance_sum(variances: impl Iterator<Item = f64>, tau2: f64) -> f64 {
    let mut logs = crate::numeric::NeumaierSum::default();
    for v in variances {
        logs.add((v + tau2).ln());
    }
    logs.value()
}

pub(crate) fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    })
}
