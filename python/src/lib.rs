//! The Rust side of the `metapool` Python package (`metapool._metapool`): thin bindings of the
//! metapool library. The Python package (`python/metapool/`) adds DataFrames, column names and
//! metafor's argument conventions on top; see its docstrings and `_metapool.pyi`.

use pyo3::prelude::*;

mod batch;
mod bias;
mod errors;
mod escalc;
mod fit;
mod options;
mod plot;
mod regression;
mod rule;
mod sensitivity;
mod studies;

/// The extension module.
#[pymodule]
fn _metapool(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<studies::Studies>()?;
    m.add_class::<fit::Fit>()?;
    m.add_class::<regression::RegFit>()?;
    m.add_class::<rule::Choice>()?;
    m.add_class::<bias::Regtest>()?;
    m.add_class::<bias::Ranktest>()?;
    m.add_class::<bias::Trimfill>()?;
    m.add_function(wrap_pyfunction!(escalc::escalc, m)?)?;
    m.add_function(wrap_pyfunction!(fit::rma, m)?)?;
    m.add_function(wrap_pyfunction!(fit::rma_tables, m)?)?;
    m.add_function(wrap_pyfunction!(regression::rma_mods, m)?)?;
    m.add_function(wrap_pyfunction!(rule::model_rule, m)?)?;
    m.add_function(wrap_pyfunction!(sensitivity::leave1out, m)?)?;
    m.add_function(wrap_pyfunction!(sensitivity::cumul, m)?)?;
    m.add_function(wrap_pyfunction!(sensitivity::influence, m)?)?;
    m.add_function(wrap_pyfunction!(bias::regtest, m)?)?;
    m.add_function(wrap_pyfunction!(bias::ranktest, m)?)?;
    m.add_function(wrap_pyfunction!(bias::trimfill, m)?)?;
    m.add_function(wrap_pyfunction!(plot::forest, m)?)?;
    m.add_function(wrap_pyfunction!(plot::funnel, m)?)?;
    m.add_function(wrap_pyfunction!(batch::pool_batch, m)?)?;
    let measures: Vec<&str> = escalc::MEASURES.iter().map(|(m, _)| *m).collect();
    m.add("MEASURES", measures)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
