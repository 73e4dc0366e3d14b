//! Fitted models with metafor's attribute names (`rma`, `rma.mh`, `rma.peto`).

use crate::errors::IntoPy;
use crate::options;
use crate::studies::Studies;
use metapool::pool::{Model, PredictionKind};
use metapool::prelude::*;
use metapool::print::{Style, Summarize};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A fitted model (metafor's `rma.uni`, `rma.mh`, `rma.peto` object).
#[pyclass(frozen, name = "RmaResult", module = "metapool._metapool")]
pub struct Fit {
    pub set: EffectSet,
    pub pooler: Pooler,
    pub pooled: Pooled,
}

impl Fit {
    pub fn new(set: EffectSet, pooler: Pooler) -> PyResult<Fit> {
        let pooled = pooler.pool(&set).py_err()?;
        Ok(Fit {
            set,
            pooler,
            pooled,
        })
    }
}

/// metafor's name of a model's method.
pub fn method_name(model: Model) -> &'static str {
    match model {
        Model::Fixed(FixedMethod::InverseVariance) => "FE",
        Model::Fixed(m) => m.metafor_name(),
        Model::Random(e) => e.metafor_name(),
    }
}

/// The summary of `item` with `digits` decimals in metafor's style, or RevMan's
/// (`style="revman"`).
pub fn summary_text(item: &impl Summarize, digits: usize, style: &str) -> PyResult<String> {
    let base = if style.eq_ignore_ascii_case("revman") {
        Style::revman()
    } else {
        Style::metafor()
    };
    Ok(item.summary(base.with_digits(digits).py_err()?).to_string())
}

#[pymethods]
impl Fit {
    /// The pooled estimate (analysis scale).
    #[getter]
    fn beta(&self) -> f64 {
        self.pooled.estimate
    }
    /// The pooled estimate (metafor's `b`).
    #[getter]
    fn b(&self) -> f64 {
        self.pooled.estimate
    }
    /// Its standard error.
    #[getter]
    fn se(&self) -> f64 {
        self.pooled.se
    }
    /// The test statistic (a t statistic under the t-based tests, as metafor's `zval`).
    #[getter]
    fn zval(&self) -> f64 {
        self.pooled.statistic
    }
    /// Its two-sided p-value.
    #[getter]
    fn pval(&self) -> f64 {
        self.pooled.p
    }
    /// Lower confidence bound.
    #[getter]
    fn ci_lb(&self) -> f64 {
        self.pooled.ci_lower
    }
    /// Upper confidence bound.
    #[getter]
    fn ci_ub(&self) -> f64 {
        self.pooled.ci_upper
    }
    /// Between-study variance (0 for fixed effect).
    #[getter]
    fn tau2(&self) -> f64 {
        self.pooled.heterogeneity.tau2
    }
    /// Its square root.
    #[getter]
    fn tau(&self) -> f64 {
        self.pooled.heterogeneity.tau
    }
    /// Standard error of tau² (iterative and moment estimators that give one), else None.
    #[getter]
    fn se_tau2(&self) -> Option<f64> {
        self.pooled.tau2_fit.and_then(|f| f.se)
    }
    /// I² in percent.
    #[getter(I2)]
    fn i2(&self) -> f64 {
        self.pooled.heterogeneity.i2
    }
    /// H².
    #[getter(H2)]
    fn h2(&self) -> f64 {
        self.pooled.heterogeneity.h2
    }
    /// Cochran's Q.
    #[getter(QE)]
    fn qe(&self) -> f64 {
        self.pooled.heterogeneity.q
    }
    /// Its p-value on k - 1 df (None for one study, where metafor prints 1).
    #[getter(QEp)]
    fn qep(&self) -> Option<f64> {
        self.pooled.heterogeneity.q_p
    }
    /// Number of studies used.
    #[getter]
    fn k(&self) -> usize {
        self.pooled.k
    }
    /// Degrees of freedom of the t-based tests (k - 1), None under the z test (metafor `ddf`).
    #[getter]
    fn ddf(&self) -> Option<usize> {
        self.pooled.df
    }
    /// metafor's name of the method (`"FE"`, `"MH"`, `"PETO"`, `"DL"`, `"REML"`, ...).
    #[getter]
    fn method(&self) -> &'static str {
        method_name(self.pooled.model)
    }
    /// metafor's name of the test (`"z"`, `"t"`, `"knha"`, `"adhoc"`).
    #[getter]
    fn test(&self) -> &'static str {
        self.pooled.test.metafor_name()
    }
    /// Confidence level in percent.
    #[getter]
    fn level(&self) -> f64 {
        100.0 * self.pooled.level.level()
    }
    /// Effects of the studies used, in pooling order (analysis scale).
    #[getter]
    fn yi(&self) -> Vec<f64> {
        self.pooled
            .studies
            .iter()
            .map(|s| s.effect.map_or(f64::NAN, |e| e.estimate()))
            .collect()
    }
    /// Their sampling variances.
    #[getter]
    fn vi(&self) -> Vec<f64> {
        self.pooled
            .studies
            .iter()
            .map(|s| s.effect.map_or(f64::NAN, |e| e.variance()))
            .collect()
    }
    /// Weights in percent (they sum to 100), as metafor's `weights()`.
    #[getter]
    fn weights(&self) -> Vec<f64> {
        self.pooled.weights()
    }
    /// Study labels (None where the studies have none).
    #[getter]
    fn slab(&self) -> Vec<Option<String>> {
        self.pooled
            .studies
            .iter()
            .map(|s| s.label.clone())
            .collect()
    }
    /// 0-based input positions of the studies used.
    #[getter]
    fn included(&self) -> Vec<usize> {
        self.pooled.included()
    }
    /// 0-based input positions of the studies left out (2x2 tables with no events, or all
    /// events, in both arms).
    #[getter]
    fn excluded(&self) -> Vec<usize> {
        self.pooled.excluded.iter().map(|e| e.position).collect()
    }
    /// Notes on what the fit did differently from what was asked (e.g. z for one study).
    #[getter]
    fn notes(&self) -> Vec<String> {
        self.pooled.notes.iter().map(|n| n.to_string()).collect()
    }

    /// One row per study used (tidy): `study` (0-based input position), `slab`, `yi`, `vi`,
    /// `weight` (percent), as a DataFrame (`output` as in `metapool.pool_batch`).
    #[pyo3(signature = (output="auto"))]
    fn to_frame<'py>(&self, py: Python<'py>, output: &str) -> PyResult<Bound<'py, PyAny>> {
        let d = PyDict::new(py);
        d.set_item("study", self.included())?;
        d.set_item("slab", self.slab())?;
        d.set_item("yi", self.yi())?;
        d.set_item("vi", self.vi())?;
        d.set_item("weight", self.weights())?;
        py.import("metapool._data")?
            .call_method1("frame", (d, output))
    }

    /// The summary the library prints (metafor's layout; `style="revman"` for RevMan 5's).
    #[pyo3(signature = (digits=4, style="metafor"))]
    fn summary(&self, digits: usize, style: &str) -> PyResult<String> {
        summary_text(&self.pooled, digits, style)
    }

    fn __str__(&self) -> String {
        self.pooled.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "<RmaResult method={} k={} beta={:.4} se={:.4} tau2={:.4}>",
            self.method(),
            self.pooled.k,
            self.pooled.estimate,
            self.pooled.se,
            self.pooled.heterogeneity.tau2
        )
    }

    /// The pooled estimate with its confidence and prediction intervals (metafor `predict()`):
    /// `pred`, `se`, `ci_lb`, `ci_ub`, `pi_lb`, `pi_ub` (the prediction interval only for a
    /// random-effects model), on the analysis scale; `transf=True` back-transforms ratios.
    #[pyo3(signature = (transf=false))]
    fn predict<'py>(&self, py: Python<'py>, transf: bool) -> PyResult<Bound<'py, PyDict>> {
        let p = &self.pooled;
        let t = |x: f64| if transf { p.scale.to_display(x) } else { x };
        let d = PyDict::new(py);
        d.set_item("pred", t(p.estimate))?;
        d.set_item("se", p.se)?;
        d.set_item("ci_lb", t(p.ci_lower))?;
        d.set_item("ci_ub", t(p.ci_upper))?;
        if p.is_random() {
            let pi = p.prediction_interval(PredictionKind::Metafor).py_err()?;
            d.set_item("pi_lb", t(pi.lower))?;
            d.set_item("pi_ub", t(pi.upper))?;
        }
        Ok(d)
    }

    /// Q-profile confidence intervals for tau², tau, I² and H² (metafor `confint()`), as a dict
    /// of `(estimate, lower, upper)`; random-effects models only.
    fn confint<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let Pooler::Random(model) = self.pooler else {
            return Err(crate::errors::to_py(metapool::Error::Undefined {
                what: "a confidence interval for tau²",
                why: "the model has no between-study variance (fixed effect)",
            }));
        };
        let ci = model
            .heterogeneity_intervals(&self.set, &self.pooled)
            .py_err()?;
        let d = PyDict::new(py);
        for (name, i) in [
            ("tau2", ci.tau2),
            ("tau", ci.tau),
            ("I2", ci.i2),
            ("H2", ci.h2),
        ] {
            d.set_item(name, (i.estimate, i.lower, i.upper))?;
        }
        Ok(d)
    }
}

/// `rma()`: an inverse-variance fixed-effect (`method="FE"`) or random-effects model.
#[pyfunction]
#[pyo3(signature = (studies, method="REML", test="z", level=95.0, tau2_control="exact"))]
pub fn rma(
    studies: &Studies,
    method: &str,
    test: &str,
    level: f64,
    tau2_control: &str,
) -> PyResult<Fit> {
    Fit::new(
        studies.set.clone(),
        options::pooler(method, test, level, tau2_control)?,
    )
}

/// `rma.mh()` (`method="MH"`) and `rma.peto()` (`method="PETO"`): fixed-effect models of 2x2
/// tables.
#[pyfunction]
#[pyo3(signature = (studies, method, test="z", level=95.0))]
pub fn rma_tables(studies: &Studies, method: &str, test: &str, level: f64) -> PyResult<Fit> {
    let fixed = FixedModel::new(options::level(level)?)
        .with_method(method.parse().py_err()?)
        .with_test(options::test(test)?);
    Fit::new(studies.set.clone(), fixed.into())
}
