//! metafor's argument values (`method`, `test`, `level`, `measure`) as the library's types.

use crate::errors::IntoPy;
use metapool::prelude::*;
use pyo3::prelude::*;

/// metafor's `level`: a percentage (95) or a fraction (0.95).
pub fn level(level: f64) -> PyResult<ConfidenceLevel> {
    let fraction = if level > 1.0 { level / 100.0 } else { level };
    ConfidenceLevel::new(fraction).py_err()
}

/// metafor's `test`.
pub fn test(test: &str) -> PyResult<Test> {
    test.parse().py_err()
}

/// How iterative tau² estimators are solved: `"exact"` (the default: the estimating equation to
/// full precision, always converging) or `"metafor"` (metafor's iteration path and stopping
/// rules, failures included).
pub fn tau2_control(name: &str) -> PyResult<metapool::pool::Tau2Control> {
    let mode: metapool::pool::Tau2Mode = name.parse().py_err()?;
    Ok(metapool::pool::Tau2Control::default().with_mode(mode))
}

/// metafor's `method` of `rma()`: `"FE"`/`"EE"`/`"CE"` (inverse-variance fixed effect) or a tau²
/// estimator (`"DL"`, `"REML"`, ...), with the tau² control (`"exact"` or `"metafor"`).
pub fn pooler(method: &str, test_name: &str, level_value: f64, control: &str) -> PyResult<Pooler> {
    let (test, level) = (test(test_name)?, level(level_value)?);
    match method.parse::<FixedMethod>() {
        Ok(FixedMethod::InverseVariance) => Ok(FixedModel::new(level).with_test(test).into()),
        _ => {
            let estimator: Tau2Estimator = method.parse().map_err(|_| {
                crate::errors::to_py(metapool::Error::Unparsable {
                    what: "a method (FE, EE, CE, or a tau² estimator: DL, HE, HS, HSk, SJ, ML, REML, EB, PM, PMM, DL2, GENQ)",
                    text: method.to_owned(),
                })
            })?;
            Ok(RandomModel::new(estimator, level)
                .with_test(test)
                .with_control(tau2_control(control)?)
                .into())
        }
    }
}

/// The analysis scale of a metafor measure name (for printing and plots: ratios are shown
/// back-transformed). `harmonic_n` is needed for `"PFT"` only.
pub fn scale(measure: Option<&str>, harmonic_n: Option<f64>) -> PyResult<Scale> {
    let Some(m) = measure else {
        return Ok(Scale::Identity);
    };
    Ok(match m.to_ascii_uppercase().as_str() {
        "OR" | "RR" | "PETO" | "LOGOR" | "LOGRR" => Scale::Log,
        "PLO" => Scale::Logit,
        "PAS" => Scale::Arcsine,
        "ZCOR" => Scale::FisherZ,
        "PFT" => match harmonic_n {
            Some(n) => Scale::FreemanTukey { harmonic_n: n },
            None => Scale::Identity,
        },
        _ => Scale::Identity,
    })
}
