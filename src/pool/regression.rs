//! Meta-regression on one moderator, `y_i = b0 + b1 x_i + u_i + e_i`, for the regression test
//! and trim-and-fill's choice of side.

use super::{Pooler, Tau2Estimator};
use crate::error::{Error, Result};
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
            what: "meta-regression on the standard error",
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

/// The DerSimonian-Laird estimator generalised to meta-regression (metafor `rma.uni`,
/// `method = "DL"` with moderators; Raudenbush 2009):
/// ```text
/// w = 1/v,  P = W - W X (X'WX)^-1 X'W
/// tau^2 = max(0, (y'Py - (k - p)) / tr P),  y'Py = RSS of the fixed-effect fit
/// tr P  = sum w_i (1 - h_i),  h_i = w_i (1/sum w + (x_i - xbar)^2 / Sxx)
/// ```
fn dersimonian_laird_regression(fe: &RegressionFit, v: &[f64], x: &[f64], p: usize) -> f64 {
    let k = fe.k;
    if k <= p {
        return 0.0;
    }
    let (mut sw, mut swx) = (NeumaierSum::default(), NeumaierSum::default());
    for i in 0..k {
        sw.add(1.0 / v[i]);
        swx.add((x[i] - x[0]) / v[i]);
    }
    let sum_w = sw.value();
    let xbar = x[0] + swx.value() / sum_w;
    let mut sxx = NeumaierSum::default();
    for i in 0..k {
        let dx = x[i] - xbar;
        sxx.add(dx * dx / v[i]);
    }
    let sxx = sxx.value();
    let mut tr = NeumaierSum::default();
    for i in 0..k {
        let w = 1.0 / v[i];
        let dx = x[i] - xbar;
        let h = w * (1.0 / sum_w + dx * dx / sxx);
        tr.add(w * (1.0 - h));
    }
    let t = (fe.rss - (k - p) as f64) / tr.value();
    if t > 0.0 {
        t
    } else {
        0.0
    }
}

/// Fit `y` on `[1, x]` with the pooler's model: weights `1/v` for fixed effect; for random
/// effects, tau² from the pooler's estimator (for meta-regression) then weights `1/(v + tau²)`.
pub(crate) fn fit_regression(
    pooler: &Pooler,
    y: &[f64],
    v: &[f64],
    x: &[f64],
) -> Result<RegressionFit> {
    let fe = weighted_least_squares(y, v, x, 0.0)?;
    match pooler {
        Pooler::Fixed(_) => Ok(fe),
        Pooler::Random(m) => {
            let tau2 = match m.estimator {
                Tau2Estimator::DerSimonianLaird => dersimonian_laird_regression(&fe, v, x, 2),
            };
            weighted_least_squares(y, v, x, tau2)
        }
    }
}
