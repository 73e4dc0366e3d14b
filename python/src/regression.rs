//! Meta-regression: metafor's `rma(yi, vi, mods = ...)` (the library's `regression` module).

use crate::errors::IntoPy;
use crate::fit::summary_text;
use crate::options;
use crate::studies::Studies;
use metapool::regression::{
    Coefficient, Factor, Intercept, MetaRegression, Moderators, RegressionFit,
};
use pyo3::prelude::*;

/// A fitted meta-regression (metafor's `rma.uni` object with moderators).
#[pyclass(frozen, name = "RmaRegResult", module = "metapool._metapool")]
pub struct RegFit {
    fit: RegressionFit,
}

/// `rma(yi, vi, mods = ...)`: the moderators in formula order, each named, either numeric
/// (`numeric[j]`) or categorical (`levels[j]`: one level per study; treatment coding against the
/// first level in sorted order, as R's `factor()`).
#[pyfunction]
#[pyo3(signature = (studies, names, numeric, levels, intercept=true, method="REML", test="z", level=95.0, tau2_control="exact", btt=None))]
#[allow(clippy::too_many_arguments)]
pub fn rma_mods(
    studies: &Studies,
    names: Vec<String>,
    numeric: Vec<Option<Vec<f64>>>,
    levels: Vec<Option<Vec<String>>>,
    intercept: bool,
    method: &str,
    test: &str,
    level: f64,
    tau2_control: &str,
    btt: Option<Vec<usize>>,
) -> PyResult<RegFit> {
    let k = studies.set.effects().len();
    let mut m = Moderators::new(k).with_intercept(if intercept {
        Intercept::Included
    } else {
        Intercept::Excluded
    });
    for ((name, num), lev) in names.iter().zip(&numeric).zip(&levels) {
        m = match (num, lev) {
            (Some(x), _) => m.continuous(name, x).py_err()?,
            (None, Some(l)) => m.factor(Factor::new(name, l).py_err()?).py_err()?,
            (None, None) => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "moderator `{name}` has no values"
                )))
            }
        };
    }
    let x = m.matrix().py_err()?;
    let mut model = if method.eq_ignore_ascii_case("FE") || method.eq_ignore_ascii_case("EE") {
        MetaRegression::fixed()
    } else {
        MetaRegression::random(method.parse().py_err()?)
    }
    .with_test(options::test(test)?)
    .with_level(options::level(level)?)
    .with_control(options::tau2_control(tau2_control)?);
    if let Some(b) = btt {
        model = model.with_btt(&b);
    }
    Ok(RegFit {
        fit: model.fit(&studies.set, &x).py_err()?,
    })
}

impl RegFit {
    /// One figure of every coefficient, in the model matrix's column order.
    fn coefficients(&self, figure: impl Fn(&Coefficient) -> f64) -> Vec<f64> {
        self.fit.coefficients().iter().map(figure).collect()
    }
}

#[pymethods]
impl RegFit {
    /// The coefficients' names (metafor's: `intrcpt`, the moderator, `g<level>`, `a:b`).
    #[getter]
    fn names(&self) -> Vec<String> {
        self.fit
            .coefficients()
            .iter()
            .map(|c| c.name.clone())
            .collect()
    }
    /// The coefficients (metafor's `beta`).
    #[getter]
    fn beta(&self) -> Vec<f64> {
        self.coefficients(|c| c.estimate)
    }
    /// Their standard errors.
    #[getter]
    fn se(&self) -> Vec<f64> {
        self.coefficients(|c| c.se)
    }
    /// Their test statistics (z, or t for t-based tests).
    #[getter]
    fn zval(&self) -> Vec<f64> {
        self.coefficients(|c| c.statistic)
    }
    /// Their two-sided p-values.
    #[getter]
    fn pval(&self) -> Vec<f64> {
        self.coefficients(|c| c.p)
    }
    /// Lower confidence bounds.
    #[getter]
    fn ci_lb(&self) -> Vec<f64> {
        self.coefficients(|c| c.ci_lower)
    }
    /// Upper confidence bounds.
    #[getter]
    fn ci_ub(&self) -> Vec<f64> {
        self.coefficients(|c| c.ci_upper)
    }
    /// Residual tau².
    #[getter]
    fn tau2(&self) -> f64 {
        self.fit.residual().tau2
    }
    /// Residual I² (percent).
    #[getter(I2)]
    fn i2(&self) -> f64 {
        self.fit.residual().i2
    }
    /// Residual H².
    #[getter(H2)]
    fn h2(&self) -> f64 {
        self.fit.residual().h2
    }
    /// Pseudo-R² (percent; None for a fixed-effects model or without an intercept).
    #[getter(R2)]
    fn r2(&self) -> Option<f64> {
        self.fit.r2()
    }
    /// The residual heterogeneity statistic QE.
    #[getter(QE)]
    fn qe(&self) -> f64 {
        self.fit.residual().qe
    }
    /// Its p-value.
    #[getter(QEp)]
    fn qep(&self) -> f64 {
        self.fit.residual().p
    }
    /// The omnibus test of moderators QM (chi-square, or F with t-based tests).
    #[getter(QM)]
    fn qm(&self) -> f64 {
        self.fit.moderator_test().statistic
    }
    /// Its p-value.
    #[getter(QMp)]
    fn qmp(&self) -> f64 {
        self.fit.moderator_test().p
    }
    /// Number of studies.
    #[getter]
    fn k(&self) -> usize {
        self.fit.k()
    }
    /// Number of coefficients.
    #[getter]
    fn p(&self) -> usize {
        self.fit.p()
    }
    /// metafor's `print(res)` text.
    #[pyo3(signature = (digits=4, style="metafor"))]
    fn summary(&self, digits: usize, style: &str) -> PyResult<String> {
        summary_text(&self.fit, digits, style)
    }
    fn __str__(&self) -> String {
        self.fit.to_string()
    }
    fn __repr__(&self) -> String {
        self.fit.to_string()
    }
}
