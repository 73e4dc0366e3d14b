//! Leave-one-out, cumulative and influence analyses of a fit (metafor `leave1out`, `cumul`,
//! `influence`), as columns plus the library's printed table.

use crate::errors::IntoPy;
use crate::fit::Fit;
use metapool::pool::Pooled;
use metapool::print::{CumulativeTable, LeaveOneOutTable};
use metapool::sensitivity::{self, Direction};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Columns named as metafor's `leave1out`/`cumul` lists them, one entry per fit; `key` holds
/// the 0-based input position of the study omitted or added.
fn fit_columns<'py>(
    py: Python<'py>,
    key: &str,
    rows: &[(usize, &Pooled)],
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let col = |f: fn(&Pooled) -> f64| rows.iter().map(|(_, p)| f(p)).collect::<Vec<f64>>();
    d.set_item(key, rows.iter().map(|(i, _)| *i).collect::<Vec<_>>())?;
    d.set_item("estimate", col(|p| p.estimate))?;
    d.set_item("se", col(|p| p.se))?;
    d.set_item("zval", col(|p| p.statistic))?;
    d.set_item("pval", col(|p| p.p))?;
    d.set_item("ci_lb", col(|p| p.ci_lower))?;
    d.set_item("ci_ub", col(|p| p.ci_upper))?;
    d.set_item("Q", col(|p| p.heterogeneity.q))?;
    // metafor's QEp is 1 for one study; NaN here marks "no test"
    d.set_item("Qp", col(|p| p.heterogeneity.q_p.unwrap_or(f64::NAN)))?;
    d.set_item("tau2", col(|p| p.heterogeneity.tau2))?;
    d.set_item("I2", col(|p| p.heterogeneity.i2))?;
    d.set_item("H2", col(|p| p.heterogeneity.h2))?;
    Ok(d)
}

/// Leave-one-out: the columns (`omitted`, `estimate`, `se`, `zval`, `pval`, `ci_lb`, `ci_ub`,
/// `Q`, `Qp`, `tau2`, `I2`, `H2`) and the printed table.
#[pyfunction]
pub fn leave1out<'py>(py: Python<'py>, fit: &Fit) -> PyResult<(Bound<'py, PyDict>, String)> {
    let fits = sensitivity::leave_one_out(&fit.pooler, &fit.set).py_err()?;
    let rows: Vec<_> = fits.iter().map(|l| (l.omitted, &l.fit)).collect();
    Ok((
        fit_columns(py, "omitted", &rows)?,
        LeaveOneOutTable::new(&fits).to_string(),
    ))
}

/// Cumulative meta-analysis in input order, or by `order` (one key per input study, ascending
/// unless `decreasing`): the columns (`added`, then as [`leave1out`]) and the printed table.
#[pyfunction]
#[pyo3(signature = (fit, order=None, decreasing=false))]
pub fn cumul<'py>(
    py: Python<'py>,
    fit: &Fit,
    order: Option<Vec<f64>>,
    decreasing: bool,
) -> PyResult<(Bound<'py, PyDict>, String)> {
    let steps = match order {
        None => sensitivity::cumulative(&fit.pooler, &fit.set),
        Some(keys) => {
            let dir = if decreasing {
                Direction::Descending
            } else {
                Direction::Ascending
            };
            sensitivity::cumulative_by(&fit.pooler, &fit.set, &keys, dir)
        }
    }
    .py_err()?;
    let rows: Vec<_> = steps.iter().map(|s| (s.added, &s.fit)).collect();
    Ok((
        fit_columns(py, "added", &rows)?,
        CumulativeTable::new(&steps).to_string(),
    ))
}

/// Influence diagnostics: the columns of metafor's `influence()` (`rstudent`, `dffits`,
/// `cook_d`, `cov_r`, `tau2_del`, `QE_del`, `hat`, `weight`, `dfbs`, `inf`) with `study`, and
/// the printed table.
#[pyfunction]
pub fn influence<'py>(py: Python<'py>, fit: &Fit) -> PyResult<(Bound<'py, PyDict>, String)> {
    let inf = sensitivity::influence(&fit.pooler, &fit.set).py_err()?;
    let s = &inf.studies;
    let d = PyDict::new(py);
    let col = |f: fn(&sensitivity::StudyInfluence) -> f64| s.iter().map(f).collect::<Vec<f64>>();
    d.set_item("study", s.iter().map(|x| x.study).collect::<Vec<_>>())?;
    d.set_item("rstudent", col(|x| x.rstudent))?;
    d.set_item("dffits", col(|x| x.dffits))?;
    d.set_item("cook_d", col(|x| x.cook_d))?;
    d.set_item("cov_r", col(|x| x.cov_r))?;
    d.set_item("tau2_del", col(|x| x.tau2_deleted))?;
    d.set_item("QE_del", col(|x| x.q_deleted))?;
    d.set_item("hat", col(|x| x.hat))?;
    d.set_item("weight", col(|x| x.weight))?;
    d.set_item("dfbs", col(|x| x.dfbetas))?;
    d.set_item("inf", s.iter().map(|x| x.influential()).collect::<Vec<_>>())?;
    Ok((d, inf.to_string()))
}
