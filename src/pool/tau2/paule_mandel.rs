//! Paule-Mandel estimators: tau² solving `Q(tau2) = target`, where `Q(tau2)` is the generalized
//! Q statistic (decreasing in tau2), found with Brent's bracketing method as metafor 3.8 does
//! (`uniroot` on `[0, tau2_max]`).

use super::design::Design;
use super::likelihood::standard_error;
use super::zeroin::zeroin;
use super::Tau2Estimator;
use super::{Tau2Control, Tau2Fit, Tau2Stop};
use crate::error::{Error, Result};
use crate::inference::chi_square_quantile;

/// R's `mad(y)`: `1.4826 median(|y - median(y)|)`.
pub(crate) fn mad(k: usize, y: impl Fn(usize) -> f64) -> f64 {
    let mut values: Vec<f64> = (0..k).map(&y).collect();
    let m = median(&mut values);
    for x in values.iter_mut() {
        *x = (*x - m).abs();
    }
    1.4826 * median(&mut values)
}

fn median(x: &mut [f64]) -> f64 {
    x.sort_by(|a, b| a.total_cmp(b));
    let n = x.len();
    if n % 2 == 1 {
        x[n / 2]
    } else {
        (x[n / 2 - 1] + x[n / 2]) / 2.0
    }
}

/// Paule & Mandel (1982) (`target = k - p`) and its median-unbiased version of Viechtbauer
/// (2021) (`target = qchisq(0.5, k - p)`), for any [`Design`] (intercept only: `p = 1`):
/// ```text
/// Q(tau2) = y'Py at w = 1 / (v + tau2)   (intercept only: sum w (y - mu_w)^2)
/// Q(0) < target:           tau2 = 0
/// Q(tau2_max) > target:    error (raise tau2_max)
/// otherwise:               tau2 = root of Q(tau2) - target in [0, tau2_max] (Brent, tol, max_iterations)
/// tau2_max = max(100, 10 mad(y)^2) unless given
/// se = sqrt(2 k^2 / (k - p)) / sum w
/// ```
/// Sources: Paule & Mandel (1982); DerSimonian & Kacker (2007); Viechtbauer (2021); metafor 3.8
/// `rma.uni`.
pub(crate) fn paule_mandel(
    estimator: Tau2Estimator,
    d: &impl Design,
    control: &Tau2Control,
) -> Result<Tau2Fit> {
    let df = d.df();
    let target = if estimator == Tau2Estimator::PauleMandelMedian {
        chi_square_quantile(0.5, df)
    } else {
        df
    };
    let tau2_max = match control.tau2_max() {
        Some(m) => m,
        None => {
            let m = d.mad_y();
            (10.0 * m * m).max(100.0)
        }
    };
    let f = |t: f64| d.residual_q(t) - target;
    let f_min = f(0.0);
    let (tau2, iterations, stop) = if f_min < 0.0 {
        (0.0, 0, Tau2Stop::AtLowerBound)
    } else {
        let f_max = f(tau2_max);
        if f_max > 0.0 {
            return Err(Error::Undefined {
                what: "Paule-Mandel tau2",
                why: "Q(tau2_max) is still above its target: raise tau2_max",
            });
        }
        let root = zeroin(
            f,
            0.0,
            tau2_max,
            f_min,
            f_max,
            control.tolerance(),
            control.max_iterations(),
        );
        if !root.converged {
            return Err(Error::NotConverged {
                method: "Paule-Mandel root search",
                iterations: root.iterations,
                last_iterate: root.x,
                last_change: root.bracket,
            });
        }
        (
            root.x,
            root.iterations,
            Tau2Stop::Root {
                bracket: root.bracket,
            },
        )
    };
    let tau2 = tau2.max(0.0);
    Ok(Tau2Fit {
        estimator,
        tau2,
        se: Some(standard_error(estimator, &d.at(tau2), d)),
        iterations,
        stop,
    })
}
