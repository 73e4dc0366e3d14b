//! The Wald-type test of heterogeneity against the saturated model (metafor's `QE.Wld`): the
//! saturated model's per-study effects `y` with covariance `V` tested against `y = X beta`,
//!
//! ```text
//! QE.Wld = y' (V^-1 - V^-1 X (X' V^-1 X)^-1 X' V^-1) y,   df = k - p
//! ```
//! (the Wald statistic of metafor's study-by-treatment interactions: the same hypothesis in
//! another basis). A study whose saturated estimate is infinite (a zero cell) has no
//! information: its weight is 0, the limit metafor's `glm` approaches.

use nalgebra::{DMatrix, DVector};

/// The Wald statistic for `y = X beta` given `y` and its covariance `v` over the studies
/// `use_` (row-major `X`, `k x p`); `None` when `X' V^-1 X` is singular.
pub(crate) fn wald(y: &[f64], v: &DMatrix<f64>, x: &[f64], p: usize) -> Option<f64> {
    let k = y.len();
    let w = v.clone().try_inverse()?;
    let xm = DMatrix::from_row_slice(k, p, x);
    let yv = DVector::from_column_slice(y);
    let xtw = xm.transpose() * &w;
    let a = (&xtw * &xm).try_inverse()?;
    let wy = &w * &yv;
    let xtwy = &xtw * &yv;
    let q = yv.dot(&wy) - xtwy.dot(&(a * &xtwy));
    Some(q.max(0.0))
}

/// The same for independent studies with variances `var` (infinite: weight 0).
pub(crate) fn wald_independent(y: &[f64], var: &[f64], x: &[f64], p: usize) -> Option<f64> {
    let keep: Vec<usize> = (0..y.len()).filter(|&i| var[i].is_finite()).collect();
    if keep.len() < p {
        return None;
    }
    let yk: Vec<f64> = keep.iter().map(|&i| y[i]).collect();
    let xk: Vec<f64> = keep
        .iter()
        .flat_map(|&i| x[i * p..(i + 1) * p].to_vec())
        .collect();
    let v = DMatrix::from_diagonal(&DVector::from_iterator(
        keep.len(),
        keep.iter().map(|&i| var[i]),
    ));
    wald(&yk, &v, &xk, p)
}
