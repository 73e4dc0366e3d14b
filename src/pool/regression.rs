//! Meta-regression on one moderator, `y_i = b0 + b1 x_i + u_i + e_i`, for the regression test
//! and trim-and-fill's choice of side.

use super::tau2::paule_mandel::mad;
use super::tau2::zeroin::zeroin;
use super::{Pooler, Tau2Control, Tau2Estimator};
use crate::error::{Error, Result};
use crate::inference::chi_square_quantile;
use crate::numeric::NeumaierSum;

/// A weighted least-squares fit of `y` on `[1, x]` with weights `1 / (v_i + tau2)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RegressionFit {
    /// Number of observations.
    pub k: usize,
    /// Intercept `b0` and slope `b1`.
    pub beta: [f64; 2],
    /// Their standard errors from `(X' W X)^-1`.
    pub se: [f64; 2],
    /// tau² used in the weights (0 for fixed-effect fits).
    pub tau2: f64,
    /// Residual sum of squares with the fitted weights, `sum w_i (y_i - b0 - b1 x_i)^2`.
    pub rss: f64,
}

/// Weighted least squares in centred form (stable when `x` is far from 0):
/// ```text
/// xbar = sum w x / sum w,  ybar = sum w y / sum w,  Sxx = sum w (x - xbar)^2
/// b1 = sum w (x - xbar)(y - ybar) / Sxx,   b0 = ybar - b1 xbar
/// var b1 = 1 / Sxx,   var b0 = 1 / sum w + xbar^2 / Sxx
/// ```
pub(crate) fn weighted_least_squares(
    y: &[f64],
    v: &[f64],
    x: &[f64],
    tau2: f64,
) -> Result<RegressionFit> {
    let k = y.len();
    let w = |i: usize| 1.0 / (v[i] + tau2);
    let (mut sw, mut swx, mut swy) = (
        NeumaierSum::default(),
        NeumaierSum::default(),
        NeumaierSum::default(),
    );
    for i in 0..k {
        sw.add(w(i));
        swx.add(w(i) * (x[i] - x[0]));
        swy.add(w(i) * (y[i] - y[0]));
    }
    let sum_w = sw.value();
    let xbar = x[0] + swx.value() / sum_w;
    let ybar = y[0] + swy.value() / sum_w;
    let (mut sxx, mut sxy, mut swxx) = (
        NeumaierSum::default(),
        NeumaierSum::default(),
        NeumaierSum::default(),
    );
    for i in 0..k {
        let dx = x[i] - xbar;
        sxx.add(w(i) * dx * dx);
        sxy.add(w(i) * dx * (y[i] - ybar));
        swxx.add(w(i) * x[i] * x[i]);
    }
    let sxx = sxx.value();
    let identifiable = sxx > 1e-14 * swxx.value();
    if !identifiable {
        return Err(Error::Undefined {
            what: "meta-regression of the regression test",
            why: "the moderator is constant (all standard errors equal), so it is collinear with the intercept",
        });
    }
    let b1 = sxy.value() / sxx;
    let b0 = ybar - b1 * xbar;
    let mut rss = NeumaierSum::default();
    for i in 0..k {
        let r = y[i] - b0 - b1 * x[i];
        rss.add(w(i) * r * r);
    }
    let fit = RegressionFit {
        k,
        beta: [b0, b1],
        se: [(1.0 / sum_w + xbar * xbar / sxx).sqrt(), (1.0 / sxx).sqrt()],
        tau2,
        rss: rss.value(),
    };
    if fit.beta.iter().chain(fit.se.iter()).all(|z| z.is_finite()) && fit.rss.is_finite() {
        Ok(fit)
    } else {
        Err(Error::NonFinite {
            what: "meta-regression coefficients",
        })
    }
}

/// The tau² estimators of metafor's `rma.uni` for a meta-regression (here on `[1, x]`, p = 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegressionTau2 {
    DerSimonianLaird,
    Hedges,
    HunterSchmidt,
    HunterSchmidtSmallSample,
    SidikJonkman,
    MaximumLikelihood,
    RestrictedMaximumLikelihood,
    EmpiricalBayes,
    PauleMandel,
    PauleMandelMedian,
}

/// Number of coefficients of the regression (intercept and slope).
const P: usize = 2;

/// The projection `P = W - W X (X'WX)^-1 X'W` of a weighted regression on `[1, x]`, through
/// the quantities the estimators need.
struct Projection {
    /// weights
    w: Vec<f64>,
    /// `(Py)_i = w_i r_i`, r the weighted least-squares residuals
    py: Vec<f64>,
    /// leverages `h_i = w_i (1/sum w + (x_i - xbar)^2 / Sxx)`
    h: Vec<f64>,
    sum_w: f64,
    xbar: f64,
    sxx: f64,
}

impl Projection {
    fn new(y: &[f64], x: &[f64], w: Vec<f64>) -> Result<Projection> {
        let k = y.len();
        let (mut sw, mut swx, mut swy) = (
            NeumaierSum::default(),
            NeumaierSum::default(),
            NeumaierSum::default(),
        );
        for i in 0..k {
            sw.add(w[i]);
            swx.add(w[i] * (x[i] - x[0]));
            swy.add(w[i] * (y[i] - y[0]));
        }
        let sum_w = sw.value();
        let xbar = x[0] + swx.value() / sum_w;
        let ybar = y[0] + swy.value() / sum_w;
        let (mut sxx, mut sxy) = (NeumaierSum::default(), NeumaierSum::default());
        for i in 0..k {
            let dx = x[i] - xbar;
            sxx.add(w[i] * dx * dx);
            sxy.add(w[i] * dx * (y[i] - ybar));
        }
        let sxx = sxx.value();
        if !(sxx.is_finite() && sxx > 0.0) {
            return Err(Error::Undefined {
                what: "meta-regression of the regression test",
                why: "the moderator is constant (all standard errors equal), so it is collinear with the intercept",
            });
        }
        let b1 = sxy.value() / sxx;
        let py = (0..k)
            .map(|i| w[i] * (y[i] - ybar - b1 * (x[i] - xbar)))
            .collect();
        let h = (0..k)
            .map(|i| {
                let dx = x[i] - xbar;
                w[i] * (1.0 / sum_w + dx * dx / sxx)
            })
            .collect();
        Ok(Projection {
            w,
            py,
            h,
            sum_w,
            xbar,
            sxx,
        })
    }

    fn k(&self) -> usize {
        self.w.len()
    }

    /// `y'Py = sum w_i r_i^2`
    fn rss(&self) -> f64 {
        let mut s = NeumaierSum::default();
        for (py, w) in self.py.iter().zip(&self.w) {
            s.add(py * py / w);
        }
        s.value()
    }

    /// `y'PPy`
    fn rss2(&self) -> f64 {
        let mut s = NeumaierSum::default();
        for py in &self.py {
            s.add(py * py);
        }
        s.value()
    }

    /// `tr(P D)` for a diagonal `D = diag(d)`: `sum w_i (1 - h_i) d_i`
    fn tr_pd(&self, d: impl Fn(usize) -> f64) -> f64 {
        let mut s = NeumaierSum::default();
        for i in 0..self.k() {
            s.add(self.w[i] * (1.0 - self.h[i]) * d(i));
        }
        s.value()
    }

    /// `tr(PP) = sum_ij P_ij^2`, `P_ij = w_i [i = j] - w_i w_j (1/sum w + dx_i dx_j / Sxx)`
    fn tr_pp(&self, x: &[f64]) -> f64 {
        let k = self.k();
        let mut s = NeumaierSum::default();
        for i in 0..k {
            let dxi = x[i] - self.xbar;
            for (j, (xj, wj)) in x.iter().zip(&self.w).enumerate() {
                let dxj = xj - self.xbar;
                let mut pij = -self.w[i] * wj * (1.0 / self.sum_w + dxi * dxj / self.sxx);
                if i == j {
                    pij += self.w[i];
                }
                s.add(pij * pij);
            }
        }
        s.value()
    }

    /// `ln det(X'WX) = ln(sum w Sxx)`
    fn log_det_xwx(&self) -> f64 {
        (self.sum_w * self.sxx).ln()
    }
}

fn weights(v: &[f64], tau2: f64) -> Vec<f64> {
    v.iter().map(|vi| 1.0 / (vi + tau2)).collect()
}

/// Iteration settings for the iterative regression estimators, metafor's `control` of
/// `rma.uni` (the regression test re-fits with the model's control, as metafor's `regtest` does).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RegressionControl {
    /// Fisher scoring stops when the change in tau² is at most this (metafor `threshold`).
    pub threshold: f64,
    /// Tolerance of the root search and of the log-likelihood check at 0 (metafor `tol`).
    pub tolerance: f64,
    /// Most Fisher-scoring steps / root-search evaluations (metafor `maxiter`).
    pub max_iterations: usize,
    /// Fisher-scoring step multiplier (metafor `stepadj`).
    pub step_adjustment: f64,
    /// Starting value of Fisher scoring and of Sidik-Jonkman (metafor `tau2.init`).
    pub tau2_init: Option<f64>,
    /// Upper end of the root search (metafor `tau2.max`, at least 10 mad(y)^2).
    pub tau2_max: Option<f64>,
}

impl From<&Tau2Control> for RegressionControl {
    fn from(c: &Tau2Control) -> Self {
        RegressionControl {
            threshold: c.threshold(),
            tolerance: c.tolerance(),
            max_iterations: c.max_iterations(),
            step_adjustment: c.step_adjustment(),
            tau2_init: c.tau2_init(),
            tau2_max: c.tau2_max(),
        }
    }
}

impl Default for RegressionControl {
    /// metafor 3.8's defaults: threshold 1e-5, tol eps^(1/4), 100 iterations, step 1.
    fn default() -> Self {
        RegressionControl {
            threshold: 1e-5,
            tolerance: f64::EPSILON.powf(0.25),
            max_iterations: 100,
            step_adjustment: 1.0,
            tau2_init: None,
            tau2_max: None,
        }
    }
}

/// tau² of a meta-regression of `y` on `[1, x]` (p = 2) as metafor's `rma.uni(mods = x)`
/// estimates it, truncated at 0. With `W = diag(w)`, `P = W - W X (X'WX)^-1 X'W`:
/// ```text
/// DL   w = 1/v:           (y'Py - (k - p)) / tr P
/// HE   w = 1 (OLS):       (y'Py - tr(P V)) / (k - p)
/// HS   w = 1/v:           (y'Py - k) / sum w
/// HSk  w = 1/v:           (k/(k - p) y'Py - k) / sum w
/// SJ   t0 = sum (y - mean y)^2 / k, w = 1/(v + t0):   t0 y'Py / (k - p)
/// ML, REML, EB: Fisher scoring from max(0, HE), w = 1/(v + tau2):
///      ML   tau2 += (y'PPy - sum w) / sum w^2
///      REML tau2 += (y'PPy - tr P) / tr PP
///      EB   tau2 += (k/(k - p) y'Py - k) / sum w
///      step times stepadj, halved while tau2 < 0; stop when |change| <= threshold (1e-5),
///      at most maxiter (100) steps; ML/REML: tau2 = 0 if the log-likelihood at 0 beats the
///      estimate by more than tol (eps^(1/4)); a given tau2.init replaces the start (and SJ's t0)
/// ```
/// Source: metafor 3.8 `rma.uni` (Viechtbauer 2010; Raudenbush 2009).
pub(crate) fn regression_tau2(
    method: RegressionTau2,
    y: &[f64],
    v: &[f64],
    x: &[f64],
    control: &RegressionControl,
) -> Result<f64> {
    let k = y.len();
    let kf = k as f64;
    let df = (k - P) as f64;
    let hedges = || -> Result<f64> {
        let ols = Projection::new(y, x, vec![1.0; k])?;
        Ok((ols.rss() - ols.tr_pd(|i| v[i])) / df)
    };
    let tau2 = match method {
        RegressionTau2::DerSimonianLaird => {
            let pr = Projection::new(y, x, weights(v, 0.0))?;
            (pr.rss() - df) / pr.tr_pd(|_| 1.0)
        }
        RegressionTau2::Hedges => hedges()?,
        RegressionTau2::HunterSchmidt => {
            let pr = Projection::new(y, x, weights(v, 0.0))?;
            (pr.rss() - kf) / pr.sum_w
        }
        RegressionTau2::HunterSchmidtSmallSample => {
            let pr = Projection::new(y, x, weights(v, 0.0))?;
            (kf / df * pr.rss() - kf) / pr.sum_w
        }
        RegressionTau2::SidikJonkman => {
            let mean = y.iter().sum::<f64>() / kf;
            let t0 = control
                .tau2_init
                .unwrap_or_else(|| y.iter().map(|yi| (yi - mean) * (yi - mean)).sum::<f64>() / kf);
            let pr = Projection::new(y, x, weights(v, t0))?;
            t0 * pr.rss() / df
        }
        RegressionTau2::MaximumLikelihood
        | RegressionTau2::RestrictedMaximumLikelihood
        | RegressionTau2::EmpiricalBayes => {
            let start = match control.tau2_init {
                Some(t) => t,
                None => hedges()?.max(0.0),
            };
            fisher_scoring(method, y, v, x, start, control)?
        }
        RegressionTau2::PauleMandel | RegressionTau2::PauleMandelMedian => {
            paule_mandel(method, y, v, x, control)?
        }
    };
    if !tau2.is_finite() {
        return Err(Error::NonFinite {
            what: "tau2 of the meta-regression",
        });
    }
    Ok(tau2.max(0.0))
}

/// Paule-Mandel for the regression: the root of `y'Py(tau2) = target` on `[0, tau2_max]` by
/// Brent's method (metafor: `uniroot`), `target = k - p` (PM) or `qchisq(0.5, k - p)` (PMM),
/// `tau2_max = max(tau2.max or 100, 10 mad(y)^2)`; 0 when `y'Py(0) < target`.
fn paule_mandel(
    method: RegressionTau2,
    y: &[f64],
    v: &[f64],
    x: &[f64],
    control: &RegressionControl,
) -> Result<f64> {
    let k = y.len();
    let df = (k - P) as f64;
    let target = if method == RegressionTau2::PauleMandelMedian {
        chi_square_quantile(0.5, df)
    } else {
        df
    };
    let m = mad(k, |i| y[i]);
    let tau2_max = control.tau2_max.unwrap_or(100.0).max(10.0 * m * m);
    let f = |t: f64| Projection::new(y, x, weights(v, t)).map_or(f64::NAN, |p| p.rss()) - target;
    let f0 = f(0.0);
    if f0 < 0.0 {
        return Ok(0.0);
    }
    let f_max = f(tau2_max);
    if !(f0.is_finite() && f_max.is_finite()) {
        return Err(Error::NonFinite {
            what: "Q of the meta-regression",
        });
    }
    if f_max > 0.0 {
        return Err(Error::Undefined {
            what: "Paule-Mandel tau2 of the meta-regression",
            why: "Q(tau2_max) is still above its target: raise tau2_max",
        });
    }
    let root = zeroin(
        f,
        0.0,
        tau2_max,
        f0,
        f_max,
        control.tolerance,
        control.max_iterations,
    );
    if !root.converged {
        return Err(Error::NotConverged {
            method: "Paule-Mandel root search for the meta-regression",
            iterations: root.iterations,
            last_change: root.bracket,
        });
    }
    Ok(root.x)
}

fn fisher_scoring(
    method: RegressionTau2,
    y: &[f64],
    v: &[f64],
    x: &[f64],
    start: f64,
    control: &RegressionControl,
) -> Result<f64> {
    let k = y.len();
    let (kf, df) = (k as f64, (k - P) as f64);
    let mut tau2 = start;
    let mut change = f64::INFINITY;
    let mut iterations = 0;
    while change > control.threshold {
        iterations += 1;
        let pr = Projection::new(y, x, weights(v, tau2))?;
        let mut adj = match method {
            RegressionTau2::MaximumLikelihood => {
                let sw2: f64 = pr.w.iter().map(|w| w * w).sum();
                (pr.rss2() - pr.sum_w) / sw2
            }
            RegressionTau2::RestrictedMaximumLikelihood => {
                (pr.rss2() - pr.tr_pd(|_| 1.0)) / pr.tr_pp(x)
            }
            _ => (pr.rss() * kf / df - kf) / pr.sum_w,
        };
        adj *= control.step_adjustment;
        if adj.is_nan() {
            adj = 0.0;
        }
        while tau2 + adj < 0.0 {
            adj /= 2.0;
        }
        let old = tau2;
        tau2 += adj;
        change = (old - tau2).abs();
        // metafor gives up after the 100th step, even if that step converged
        if iterations > control.max_iterations {
            return Err(Error::NotConverged {
                method: "Fisher scoring for the meta-regression tau2",
                iterations: control.max_iterations,
                last_change: change,
            });
        }
    }
    if matches!(
        method,
        RegressionTau2::MaximumLikelihood | RegressionTau2::RestrictedMaximumLikelihood
    ) {
        let ll = |t: f64| -> Result<f64> {
            let pr = Projection::new(y, x, weights(v, t))?;
            let logv: f64 = v.iter().map(|vi| (vi + t).ln()).sum();
            Ok(if method == RegressionTau2::MaximumLikelihood {
                -0.5 * kf * (2.0 * std::f64::consts::PI).ln() - 0.5 * logv - 0.5 * pr.rss()
            } else {
                -0.5 * df * (2.0 * std::f64::consts::PI).ln()
                    - 0.5 * logv
                    - 0.5 * pr.log_det_xwx()
                    - 0.5 * pr.rss()
            })
        };
        if ll(0.0)? - ll(tau2)? > control.tolerance && tau2 > control.threshold {
            tau2 = 0.0;
        }
    }
    Ok(tau2)
}

/// Fit `y` on `[1, x]` with the pooler's model: weights `1/v` for fixed effect; for random
/// effects, tau² from the pooler's estimator (for meta-regression) then weights `1/(v + tau²)`.
pub(crate) fn fit_regression(
    pooler: &Pooler,
    y: &[f64],
    v: &[f64],
    x: &[f64],
) -> Result<RegressionFit> {
    match pooler {
        Pooler::Fixed(_) => weighted_least_squares(y, v, x, 0.0),
        Pooler::Random(m) => {
            let method = match m.estimator {
                Tau2Estimator::DerSimonianLaird => RegressionTau2::DerSimonianLaird,
                Tau2Estimator::Hedges => RegressionTau2::Hedges,
                Tau2Estimator::HunterSchmidt => RegressionTau2::HunterSchmidt,
                Tau2Estimator::HunterSchmidtSmallSample => RegressionTau2::HunterSchmidtSmallSample,
                Tau2Estimator::SidikJonkman => RegressionTau2::SidikJonkman,
                Tau2Estimator::MaximumLikelihood => RegressionTau2::MaximumLikelihood,
                Tau2Estimator::RestrictedMaximumLikelihood => {
                    RegressionTau2::RestrictedMaximumLikelihood
                }
                Tau2Estimator::EmpiricalBayes => RegressionTau2::EmpiricalBayes,
                Tau2Estimator::PauleMandel => RegressionTau2::PauleMandel,
                Tau2Estimator::PauleMandelMedian => RegressionTau2::PauleMandelMedian,
                Tau2Estimator::DerSimonianLairdTwoStep | Tau2Estimator::GeneralizedQ => {
                    return Err(Error::Undefined {
                        what: "meta-regression with the generalized-Q estimators (DL2, GENQ)",
                        why: "metafor fits them with user weights fixed by the intercept-only model; not implemented for a regression",
                    })
                }
                // estimators added later get a typed error until their regression form is here
                #[allow(unreachable_patterns)]
                _ => {
                    return Err(Error::Undefined {
                        what: "meta-regression with this tau2 estimator",
                        why: "its meta-regression form is not implemented",
                    })
                }
            };
            // the moderator must vary (checked with fixed-effect weights first, as metafor
            // checks the design with lm before fitting)
            weighted_least_squares(y, v, x, 0.0)?;
            let tau2 = regression_tau2(method, y, v, x, &RegressionControl::from(&m.control))?;
            weighted_least_squares(y, v, x, tau2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> serde_json::Value {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/metafor/sensitivity.json"
        ))
        .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn arr(v: &serde_json::Value) -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    }

    /// Every tau² estimator of the meta-regression against metafor's `regtest(rma(method = m))`
    /// (slope, its SE and tau²) at 1e-8 relative (1e-14 absolute at a reference zero).
    #[test]
    fn regression_tau2_matches_metafor_for_every_estimator() {
        let fx = fixture();
        let mut checked = 0;
        for d in fx["datasets"].as_array().unwrap() {
            let (y, v) = (arr(&d["yi"]), arr(&d["vi"]));
            let x: Vec<f64> = v.iter().map(|v| v.sqrt()).collect();
            for r in d["regtest_by_method"].as_array().unwrap() {
                let method = match r["method"].as_str().unwrap() {
                    "DL" => RegressionTau2::DerSimonianLaird,
                    "HE" => RegressionTau2::Hedges,
                    "HS" => RegressionTau2::HunterSchmidt,
                    "HSk" => RegressionTau2::HunterSchmidtSmallSample,
                    "SJ" => RegressionTau2::SidikJonkman,
                    "ML" => RegressionTau2::MaximumLikelihood,
                    "REML" => RegressionTau2::RestrictedMaximumLikelihood,
                    "EB" => RegressionTau2::EmpiricalBayes,
                    "PM" => RegressionTau2::PauleMandel,
                    "PMM" => RegressionTau2::PauleMandelMedian,
                    _ => continue,
                };
                let tau2 =
                    regression_tau2(method, &y, &v, &x, &RegressionControl::default()).unwrap();
                let fit = weighted_least_squares(&y, &v, &x, tau2).unwrap();
                let name = format!("{}/{}", d["name"], r["method"]);
                for (what, got, want) in [
                    ("tau2", tau2, r["tau2"].as_f64().unwrap()),
                    ("slope", fit.beta[1], r["slope"].as_f64().unwrap()),
                    ("slope_se", fit.se[1], r["slope_se"].as_f64().unwrap()),
                    ("limit", fit.beta[0], r["limit"].as_f64().unwrap()),
                ] {
                    let ok = if want == 0.0 {
                        got.abs() <= 1e-14
                    } else {
                        ((got - want) / want).abs() <= 1e-8
                    };
                    assert!(ok, "{name} {what}: got {got:e}, metafor {want:e}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 7 * 10 * 4);
    }
}
