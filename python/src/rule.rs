//! The Q-test model rule: fixed effect unless the heterogeneity test is significant.

use crate::errors::IntoPy;
use crate::fit::{summary_text, Fit};
use crate::options;
use crate::studies::Studies;
use metapool::prelude::*;
use pyo3::prelude::*;

/// The Q-test model rule's choice with both fits.
#[pyclass(frozen, name = "ModelSelection", module = "metapool._metapool")]
pub struct Choice {
    selection: Selection,
    #[pyo3(get)]
    fixed: Py<Fit>,
    #[pyo3(get)]
    random: Py<Fit>,
}

#[pymethods]
impl Choice {
    /// `"fixed"` or `"random"`.
    #[getter]
    fn choice(&self) -> &'static str {
        match self.selection.choice {
            ModelChoice::Fixed => "fixed",
            _ => "random",
        }
    }
    /// The selected fit.
    #[getter]
    fn selected(&self, py: Python<'_>) -> Py<Fit> {
        match self.selection.choice {
            ModelChoice::Fixed => self.fixed.clone_ref(py),
            _ => self.random.clone_ref(py),
        }
    }
    /// The Q test's p-value the rule used (None for one study).
    #[getter(QEp)]
    fn qep(&self) -> Option<f64> {
        self.selection.q_p
    }
    /// The rule's threshold.
    #[getter]
    fn alpha(&self) -> f64 {
        self.selection.alpha
    }
    #[pyo3(signature = (digits=4, style="metafor"))]
    fn summary(&self, digits: usize, style: &str) -> PyResult<String> {
        summary_text(&self.selection, digits, style)
    }
    fn __str__(&self) -> String {
        self.selection.to_string()
    }
}

/// The Q-test rule: fixed effect (`fixed="IV"` or `"MH"`, z test) unless the Q test's p < `alpha`,
/// then random effects (`method`, `test`).
#[pyfunction]
#[pyo3(signature = (studies, alpha=0.10, fixed="IV", method="DL", test="z", level=95.0))]
pub fn model_rule(
    py: Python<'_>,
    studies: &Studies,
    alpha: f64,
    fixed: &str,
    method: &str,
    test: &str,
    level: f64,
) -> PyResult<Choice> {
    let level = options::level(level)?;
    let test = options::test(test)?;
    let estimator: Tau2Estimator = method.parse().py_err()?;
    let mut rule = ModelRule::new(alpha)
        .py_err()?
        .with_level(level)
        .with_random(RandomModel::new(estimator, level).with_test(test));
    rule = match fixed.parse::<FixedMethod>().py_err()? {
        FixedMethod::MantelHaenszel => rule.mantel_haenszel(),
        m => rule.with_fixed(FixedModel::new(level).with_method(m)),
    };
    let selection = rule.select(&studies.set).py_err()?;
    let fit = |pooler: Pooler, pooled: &Pooled| {
        Py::new(
            py,
            Fit {
                set: studies.set.clone(),
                pooler,
                pooled: pooled.clone(),
            },
        )
    };
    Ok(Choice {
        fixed: fit(rule.fixed.into(), &selection.fixed)?,
        random: fit(rule.random.into(), &selection.random)?,
        selection,
    })
}
