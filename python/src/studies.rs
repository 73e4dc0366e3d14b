//! The studies of one analysis (an `EffectSet`), built from estimates or from per-study data.

use crate::errors::IntoPy;
use crate::escalc::{effect_set, Columns, Correction};
use crate::options;
use metapool::prelude::*;
use pyo3::prelude::*;

/// The studies of one analysis: effects and variances on the analysis scale, labels, and the
/// 2x2 tables of a dichotomous measure (for Mantel-Haenszel and Peto).
#[pyclass(frozen, module = "metapool._metapool")]
#[derive(Clone)]
pub struct Studies {
    pub set: EffectSet,
}

fn with_labels(set: EffectSet, slab: Option<Vec<String>>) -> PyResult<EffectSet> {
    match slab {
        Some(l) => set.with_labels(l).py_err(),
        None => Ok(set),
    }
}

#[pymethods]
impl Studies {
    /// Estimates `yi` with variances `vi` (or standard errors `sei`) on the analysis scale of
    /// `measure` (ratios on the log scale).
    #[staticmethod]
    #[pyo3(signature = (yi, vi=None, sei=None, slab=None, measure=None, harmonic_n=None))]
    fn from_estimates(
        yi: Vec<f64>,
        vi: Option<Vec<f64>>,
        sei: Option<Vec<f64>>,
        slab: Option<Vec<String>>,
        measure: Option<&str>,
        harmonic_n: Option<f64>,
    ) -> PyResult<Studies> {
        let mismatch = |name: &str, n: usize| {
            crate::errors::InvalidParameterError::new_err(format!(
                "`{name}` has {n} values and `yi` {}",
                yi.len()
            ))
        };
        let effects: Vec<Effect> = match (vi, sei) {
            (Some(v), _) if v.len() != yi.len() => return Err(mismatch("vi", v.len())),
            (Some(v), _) => (0..yi.len())
                .map(|i| Effect::new(yi[i], v[i]).map_err(|e| e.in_study(i)))
                .collect::<metapool::Result<_>>()
                .py_err()?,
            (None, Some(s)) if s.len() != yi.len() => return Err(mismatch("sei", s.len())),
            (None, Some(s)) => (0..yi.len())
                .map(|i| Effect::from_se(yi[i], s[i]).map_err(|e| e.in_study(i)))
                .collect::<metapool::Result<_>>()
                .py_err()?,
            (None, None) => {
                return Err(crate::errors::InvalidParameterError::new_err(
                    "give the sampling variances `vi` or the standard errors `sei`",
                ))
            }
        };
        let set =
            EffectSet::from_effects(effects, options::scale(measure, harmonic_n)?).py_err()?;
        Ok(Studies {
            set: with_labels(set, slab)?,
        })
    }

    /// Per-study data of a measure (columns by metafor's names), as `escalc` takes them.
    #[staticmethod]
    #[pyo3(signature = (measure, columns, slab=None, add=None, to=None))]
    fn from_data(
        measure: &str,
        columns: Columns,
        slab: Option<Vec<String>>,
        add: Option<f64>,
        to: Option<&str>,
    ) -> PyResult<Studies> {
        let set = effect_set(measure, &columns, Correction::new(add, to)?)?;
        Ok(Studies {
            set: with_labels(set, slab)?,
        })
    }

    /// Number of studies used (after exclusions).
    fn __len__(&self) -> usize {
        self.set.len()
    }
}
