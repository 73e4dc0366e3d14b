//! `pool_batch`: the library's batch path over numpy arrays, read in place (no copy of the
//! effects or variances) with the GIL released while it computes.

use crate::errors::{IntoPy, InvalidParameterError};
use crate::options;
use metapool::batch::{Analyses, BatchPooler, BatchResults, OnFailure, WaldColumns};
use metapool::pool::Tau2Estimator;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The analyses that failed, with the library's message.
type Failures = Vec<(usize, String)>;

fn put_wald<'py>(d: &Bound<'py, PyDict>, suffix: &str, w: WaldColumns) -> PyResult<()> {
    let py = d.py();
    for (name, col) in [
        ("beta", w.estimate),
        ("se", w.se),
        ("ci_lb", w.ci_lower),
        ("ci_ub", w.ci_upper),
        ("zval", w.z),
        ("pval", w.p),
    ] {
        // the Vec becomes the array's buffer: no copy
        d.set_item(format!("{name}{suffix}"), PyArray1::from_vec(py, col))?;
    }
    Ok(())
}

/// Pool every analysis of `yi`, `vi` (float64, contiguous) delimited by `offsets` (uintp,
/// `len = analyses + 1`) or of `k` studies each, with inverse-variance fixed effect and random
/// effects (`method`, z test). Returns the columns as numpy arrays, and the failures as
/// `(analysis, message)` when `on_failure="record"`.
#[pyfunction]
#[pyo3(signature = (yi, vi, offsets=None, k=None, method="REML", test="z", level=95.0, on_failure="stop", tau2_control="exact"))]
#[allow(clippy::too_many_arguments)]
pub fn pool_batch<'py>(
    py: Python<'py>,
    yi: PyReadonlyArray1<'py, f64>,
    vi: PyReadonlyArray1<'py, f64>,
    offsets: Option<PyReadonlyArray1<'py, usize>>,
    k: Option<usize>,
    method: &str,
    test: &str,
    level: f64,
    on_failure: &str,
    tau2_control: &str,
) -> PyResult<(Bound<'py, PyDict>, Failures)> {
    let estimator: Tau2Estimator = method.parse().py_err()?;
    let on_failure = match on_failure {
        "stop" => OnFailure::Stop,
        "record" => OnFailure::Record,
        other => {
            return Err(InvalidParameterError::new_err(format!(
                "on_failure must be \"stop\" or \"record\", got {other:?}"
            )))
        }
    };
    let model = metapool::pool::RandomModel::new(estimator, options::level(level)?)
        .with_test(options::test(test)?)
        .with_control(options::tau2_control(tau2_control)?);
    let pooler = BatchPooler::default()
        .with_model(model)
        .with_on_failure(on_failure);
    let y = yi.as_slice()?;
    let v = vi.as_slice()?;
    let offs = offsets.as_ref().map(|o| o.as_slice()).transpose()?;
    let analyses = match (offs, k) {
        (Some(o), _) => Analyses::with_offsets(y, v, o),
        (None, Some(k)) => Analyses::uniform(y, v, k),
        (None, None) => {
            return Err(InvalidParameterError::new_err(
                "give the analyses' `offsets` (or `groups`) or a common `k`",
            ))
        }
    }
    .py_err()?;
    let mut out = BatchResults::default();
    // the slices borrow numpy's buffers (kept alive and read-only by the PyReadonlyArray
    // guards) while the GIL is released
    py.detach(|| pooler.pool(&analyses, &mut out)).py_err()?;
    let BatchResults {
        k,
        fixed,
        random,
        heterogeneity: h,
        failures,
        tau2_iterations,
        // the failures carry each failed analysis with its reason
        status: _,
    } = out;
    let d = PyDict::new(py);
    d.set_item("k", PyArray1::from_vec(py, k))?;
    put_wald(&d, "", random)?;
    put_wald(&d, "_fe", fixed)?;
    d.set_item("QE", PyArray1::from_vec(py, h.q))?;
    let qp: Vec<f64> = h.q_p.iter().map(|p| p.unwrap_or(f64::NAN)).collect();
    d.set_item("QEp", PyArray1::from_vec(py, qp))?;
    d.set_item("tau2", PyArray1::from_vec(py, h.tau2))?;
    d.set_item("I2", PyArray1::from_vec(py, h.i2))?;
    d.set_item("H2", PyArray1::from_vec(py, h.h2))?;
    d.set_item("tau2_iterations", PyArray1::from_vec(py, tau2_iterations))?;
    let failures = failures
        .into_iter()
        .map(|(a, e)| (a, e.to_string()))
        .collect();
    Ok((d, failures))
}
