//! The forest and funnel plots of a fit, as SVG text (the Python side wraps it in `SVG`).

use crate::bias::Trimfill;
use crate::errors::IntoPy;
use crate::fit::Fit;
use metapool::plot::{forest::Forest, funnel::Funnel, funnel::FunnelStyle};
use pyo3::prelude::*;

/// The forest plot of a fit (RevMan 5's layout), as SVG text.
#[pyfunction]
#[pyo3(signature = (fit, title=None))]
pub fn forest(fit: &Fit, title: Option<&str>) -> PyResult<String> {
    let mut f = Forest::new(&fit.set, &fit.pooled);
    if let Some(t) = title {
        f = f.title(t);
    }
    f.to_svg().py_err()
}

/// The funnel plot of a fit, or of a trim-and-fill result (with the filled studies), as SVG
/// text.
#[pyfunction]
#[pyo3(signature = (fit, title=None))]
pub fn funnel(fit: &Bound<'_, PyAny>, title: Option<&str>) -> PyResult<String> {
    let style = FunnelStyle {
        title: title.map(str::to_owned),
        ..FunnelStyle::default()
    };
    let plot = if let Ok(tf) = fit.cast::<Trimfill>() {
        let tf = tf.get();
        Funnel::trim_and_fill(&tf.set, &tf.tf)
    } else {
        let f = fit.cast::<Fit>()?.get();
        Funnel::new(&f.set, &f.pooled)
    }
    .py_err()?;
    plot.to_svg(&style).py_err()
}
