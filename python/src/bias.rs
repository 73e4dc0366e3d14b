//! Small-study tests and trim-and-fill (metafor `regtest`, `ranktest`, `trimfill`).

use crate::errors::{IntoPy, InvalidParameterError};
use crate::fit::{summary_text, Fit};
use metapool::bias::{
    self, EggerModel, MissingEstimator, Predictor, RankTest, RegressionTest, Side, SideRule,
    TrimFill, TrimFillOptions,
};
use metapool::effect::EffectSet;
use pyo3::prelude::*;

/// Egger's regression test (metafor `regtest`).
#[pyclass(frozen, name = "RegtestResult", module = "metapool._metapool")]
pub struct Regtest {
    test: RegressionTest,
}

#[pymethods]
impl Regtest {
    /// The test statistic of the predictor's coefficient (t for `model="lm"`).
    #[getter]
    fn zval(&self) -> f64 {
        self.test.statistic
    }
    /// Its p-value.
    #[getter]
    fn pval(&self) -> f64 {
        self.test.p
    }
    /// Residual degrees of freedom of a t test, else None.
    #[getter]
    fn dfs(&self) -> Option<usize> {
        self.test.df
    }
    /// The predictor's coefficient and its standard error.
    #[getter]
    fn slope(&self) -> (f64, f64) {
        (self.test.slope, self.test.slope_se)
    }
    /// The limit estimate (the intercept: the effect as the standard error goes to 0).
    #[getter]
    fn est(&self) -> f64 {
        self.test.limit.estimate
    }
    /// Its confidence bounds.
    #[getter]
    fn ci_lb(&self) -> f64 {
        self.test.limit.lower
    }
    #[getter]
    fn ci_ub(&self) -> f64 {
        self.test.limit.upper
    }
    /// Residual heterogeneity of the meta-regression.
    #[getter]
    fn tau2(&self) -> f64 {
        self.test.tau2
    }
    /// Number of studies.
    #[getter]
    fn k(&self) -> usize {
        self.test.k
    }
    #[pyo3(signature = (digits=4, style="metafor"))]
    fn summary(&self, digits: usize, style: &str) -> PyResult<String> {
        summary_text(&self.test, digits, style)
    }
    fn __str__(&self) -> String {
        self.test.to_string()
    }
}

/// Egger's test: `model="rma"` (a meta-regression with the fit's model, metafor's default) or
/// `"lm"` (the classical weighted regression); `predictor="sei"` or `"vi"`.
#[pyfunction]
#[pyo3(signature = (fit, model="rma", predictor="sei"))]
pub fn regtest(fit: &Fit, model: &str, predictor: &str) -> PyResult<Regtest> {
    let model = match model {
        "rma" => EggerModel::MetaRegression(fit.pooler),
        "lm" => EggerModel::Classical(fit.pooler.level()),
        other => {
            return Err(InvalidParameterError::new_err(format!(
                "regtest model must be \"rma\" or \"lm\", got {other:?}"
            )))
        }
    };
    let predictor = match predictor {
        "sei" => Predictor::StandardError,
        "vi" => Predictor::Variance,
        other => {
            return Err(InvalidParameterError::new_err(format!(
                "regtest predictor must be \"sei\" or \"vi\", got {other:?}"
            )))
        }
    };
    let test = bias::regression_test_on(&fit.set, model, predictor).py_err()?;
    Ok(Regtest { test })
}

/// Begg and Mazumdar's rank correlation test (metafor `ranktest`).
#[pyclass(frozen, name = "RanktestResult", module = "metapool._metapool")]
pub struct Ranktest {
    test: RankTest,
}

#[pymethods]
impl Ranktest {
    /// Kendall's tau.
    #[getter]
    fn tau(&self) -> f64 {
        self.test.tau
    }
    /// Its p-value (exact for small k without ties, as metafor).
    #[getter]
    fn pval(&self) -> f64 {
        self.test.p
    }
    /// Number of studies.
    #[getter]
    fn k(&self) -> usize {
        self.test.k
    }
    #[pyo3(signature = (digits=4, style="metafor"))]
    fn summary(&self, digits: usize, style: &str) -> PyResult<String> {
        summary_text(&self.test, digits, style)
    }
    fn __str__(&self) -> String {
        self.test.to_string()
    }
}

/// The rank correlation test on the fit's studies.
#[pyfunction]
pub fn ranktest(fit: &Fit) -> PyResult<Ranktest> {
    Ok(Ranktest {
        test: bias::rank_test(&fit.set).py_err()?,
    })
}

/// Trim-and-fill: the number of missing studies and the fit with the filled studies added.
#[pyclass(frozen, name = "TrimfillResult", module = "metapool._metapool")]
pub struct Trimfill {
    pub(crate) set: EffectSet,
    pub(crate) tf: TrimFill,
    /// The model fitted to the observed and filled studies.
    #[pyo3(get)]
    fit: Py<Fit>,
}

#[pymethods]
impl Trimfill {
    /// Estimated number of missing studies.
    #[getter]
    fn k0(&self) -> usize {
        self.tf.k0
    }
    /// Its standard error.
    #[getter]
    fn se_k0(&self) -> f64 {
        self.tf.se_k0
    }
    /// The p-value of the test of k0 = 0 (R0 estimator only).
    #[getter]
    fn p_k0(&self) -> Option<f64> {
        self.tf.p_k0
    }
    /// The side the studies were filled on (`"left"` or `"right"`).
    #[getter]
    fn side(&self) -> &'static str {
        match self.tf.side {
            Side::Left => "left",
            Side::Right => "right",
        }
    }
    /// The filled studies' effects and variances.
    #[getter]
    fn filled(&self) -> Vec<(f64, f64)> {
        self.tf
            .filled
            .iter()
            .map(|e| (e.estimate(), e.variance()))
            .collect()
    }
    #[pyo3(signature = (digits=4, style="metafor"))]
    fn summary(&self, digits: usize, style: &str) -> PyResult<String> {
        summary_text(&self.tf, digits, style)
    }
    fn __str__(&self) -> String {
        self.tf.to_string()
    }
}

/// Trim-and-fill (`estimator="L0"` or `"R0"`, `side=None` to estimate it, or `"left"`,
/// `"right"`).
#[pyfunction]
#[pyo3(signature = (fit, side=None, estimator="L0", maxiter=100))]
pub fn trimfill(
    py: Python<'_>,
    fit: &Fit,
    side: Option<&str>,
    estimator: &str,
    maxiter: usize,
) -> PyResult<Trimfill> {
    let side = match side {
        None => SideRule::Estimate,
        Some("left") => SideRule::Given(Side::Left),
        Some("right") => SideRule::Given(Side::Right),
        Some(other) => {
            return Err(InvalidParameterError::new_err(format!(
                "trimfill side must be None, \"left\" or \"right\", got {other:?}"
            )))
        }
    };
    let estimator = match estimator.to_ascii_uppercase().as_str() {
        "L0" => MissingEstimator::L0,
        "R0" => MissingEstimator::R0,
        other => {
            return Err(InvalidParameterError::new_err(format!(
                "trimfill estimator must be \"L0\" or \"R0\", got {other:?}"
            )))
        }
    };
    let options = TrimFillOptions {
        estimator,
        side,
        max_iterations: maxiter,
    };
    let tf = bias::trim_and_fill(&fit.pooler, &fit.set, options).py_err()?;
    let mut all = fit.set.effects().to_vec();
    all.extend(tf.filled.iter().copied());
    let filled_set = EffectSet::from_effects(all, fit.set.scale()).py_err()?;
    let filled_fit = Fit {
        set: filled_set,
        pooler: fit.pooler,
        pooled: tf.fit.clone(),
    };
    Ok(Trimfill {
        set: fit.set.clone(),
        tf,
        fit: Py::new(py, filled_fit)?,
    })
}
