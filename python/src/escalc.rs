//! metafor's `escalc` measures: per-study data (columns named as metafor names them) to an
//! [`EffectSet`], through the library's effect sizes, one constructor per measure.

use crate::errors::{IntoPy, InvalidParameterError};
use metapool::prelude::*;
use pyo3::prelude::*;
use std::collections::HashMap;

/// Data columns by metafor's argument names (`ai`, `n1i`, `m1i`, `xi`, ...).
pub type Columns = HashMap<String, Vec<f64>>;

/// The measures `escalc` knows, with the columns each takes (alternatives after `|`).
pub const MEASURES: &[(&str, &str)] = &[
    ("MD", "m1i sd1i n1i m2i sd2i n2i"),
    ("SMD", "m1i sd1i n1i m2i sd2i n2i"),
    ("SMD-REVMAN", "m1i sd1i n1i m2i sd2i n2i"),
    ("MC", "m1i sd1i m2i sd2i ni ri"),
    ("OR", "ai bi|n1i ci di|n2i"),
    ("RR", "ai bi|n1i ci di|n2i"),
    ("RD", "ai bi|n1i ci di|n2i"),
    ("PETO", "ai bi|n1i ci di|n2i"),
    ("PR", "xi ni"),
    ("PLO", "xi ni"),
    ("PAS", "xi ni"),
    ("PFT", "xi ni"),
    ("ZCOR", "ri ni"),
    ("GEN", "yi vi|sei"),
];

/// metafor's continuity correction (`add`, `to`) for 2x2 tables and proportions; `None` keeps
/// each measure's default (metafor's).
#[derive(Debug, Clone, Copy)]
pub struct Correction(pub Option<ContinuityCorrection>);

impl Correction {
    /// From metafor's `add` and `to` (`"only0"`, `"all"`, `"none"`).
    pub fn new(add: Option<f64>, to: Option<&str>) -> PyResult<Self> {
        if add.is_none() && to.is_none() {
            return Ok(Correction(None));
        }
        let rule = match to.unwrap_or("only0") {
            "only0" => CorrectionRule::OnlyZeroCells,
            "all" => CorrectionRule::AllTables,
            "none" => CorrectionRule::Never,
            other => {
                return Err(InvalidParameterError::new_err(format!(
                    "parameter `to` must be \"only0\", \"all\" or \"none\", got {other:?}"
                )))
            }
        };
        Ok(Correction(Some(
            ContinuityCorrection::new(add.unwrap_or(0.5), rule).py_err()?,
        )))
    }
}

struct Data<'a> {
    measure: &'a str,
    cols: &'a Columns,
    n: usize,
}

impl<'a> Data<'a> {
    fn new(measure: &'a str, cols: &'a Columns) -> PyResult<Self> {
        let mut n = None;
        for (name, c) in cols {
            match n {
                None => n = Some(c.len()),
                Some(m) if m != c.len() => {
                    return Err(InvalidParameterError::new_err(format!(
                        "escalc(measure={measure:?}): column `{name}` has {} values, others {m}",
                        c.len()
                    )))
                }
                _ => {}
            }
        }
        Ok(Data {
            measure,
            cols,
            n: n.unwrap_or(0),
        })
    }

    fn get(&self, name: &str) -> Option<&'a [f64]> {
        self.cols.get(name).map(|v| v.as_slice())
    }

    fn col(&self, name: &str) -> PyResult<&'a [f64]> {
        self.get(name).ok_or_else(|| {
            InvalidParameterError::new_err(format!(
                "escalc(measure={:?}) needs the column `{name}`",
                self.measure
            ))
        })
    }

    /// Build one study per row with `make`, attaching the row to its errors.
    fn studies<E>(&self, make: impl Fn(usize) -> metapool::Result<E>) -> PyResult<Vec<E>> {
        (0..self.n)
            .map(|i| make(i).map_err(|e| e.in_study(i)))
            .collect::<metapool::Result<Vec<E>>>()
            .py_err()
    }

    fn tables(&self) -> PyResult<Vec<TwoByTwo>> {
        let (ai, ci) = (self.col("ai")?, self.col("ci")?);
        match (self.get("bi"), self.get("di")) {
            (Some(bi), Some(di)) => {
                self.studies(|i| TwoByTwo::from_cells(ai[i], bi[i], ci[i], di[i]))
            }
            _ => {
                let (n1, n2) = (self.col("n1i")?, self.col("n2i")?);
                self.studies(|i| TwoByTwo::new(ai[i], n1[i], ci[i], n2[i]))
            }
        }
    }

    fn arms(&self) -> PyResult<Vec<(Arm, Arm)>> {
        let (m1, s1, n1) = (self.col("m1i")?, self.col("sd1i")?, self.col("n1i")?);
        let (m2, s2, n2) = (self.col("m2i")?, self.col("sd2i")?, self.col("n2i")?);
        self.studies(|i| {
            Ok((
                Arm::new(m1[i], s1[i], n1[i])?,
                Arm::new(m2[i], s2[i], n2[i])?,
            ))
        })
    }

    fn proportions(&self, transform: ProportionTransform, c: Correction) -> PyResult<EffectSet> {
        let (x, n) = (self.col("xi")?, self.col("ni")?);
        let s = self.studies(|i| {
            let e = ProportionEffect::new(Proportion::new(x[i], n[i])?, transform);
            Ok(match c.0 {
                Some(c) => e.with_correction(c),
                None => e,
            })
        })?;
        EffectSet::from_studies(&s).py_err()
    }
}

/// Apply an optional correction to every table effect.
fn table_set<E: EffectSize>(
    tables: Vec<TwoByTwo>,
    make: impl Fn(TwoByTwo) -> E,
    correct: impl Fn(E, ContinuityCorrection) -> E,
    c: Correction,
) -> PyResult<EffectSet> {
    let s: Vec<E> = tables
        .into_iter()
        .map(|t| match c.0 {
            Some(c) => correct(make(t), c),
            None => make(t),
        })
        .collect();
    EffectSet::from_studies(&s).py_err()
}

/// The effect set of a measure's data (2x2-table measures keep their tables, for the
/// Mantel-Haenszel and Peto methods).
pub fn effect_set(measure: &str, cols: &Columns, c: Correction) -> PyResult<EffectSet> {
    let d = Data::new(measure, cols)?;
    match measure.to_ascii_uppercase().as_str() {
        "MD" => {
            let s = d.studies_from(d.arms()?, |(a, b)| MeanDifference::new(a, b))?;
            EffectSet::from_studies(&s).py_err()
        }
        m @ ("SMD" | "SMD-REVMAN") => {
            let conv = if m == "SMD" {
                SmdConvention::Metafor
            } else {
                SmdConvention::RevMan5
            };
            let s = d.studies_from(d.arms()?, |(a, b)| {
                Ok(StandardizedMeanDifference::new(a, b)?.with_convention(conv))
            })?;
            EffectSet::from_studies(&s).py_err()
        }
        "MC" => {
            let (m1, s1, m2, s2) = (d.col("m1i")?, d.col("sd1i")?, d.col("m2i")?, d.col("sd2i")?);
            let (n, r) = (d.col("ni")?, d.col("ri")?);
            let s = d.studies(|i| {
                let data = PrePost {
                    mean_pre: m2[i],
                    sd_pre: s2[i],
                    mean_post: m1[i],
                    sd_post: s1[i],
                    n: n[i],
                };
                PrePostMeanDifference::new(data, r[i])
            })?;
            EffectSet::from_studies(&s).py_err()
        }
        "OR" => table_set(
            d.tables()?,
            LogOddsRatio::new,
            LogOddsRatio::with_correction,
            c,
        ),
        "RR" => table_set(
            d.tables()?,
            LogRiskRatio::new,
            LogRiskRatio::with_correction,
            c,
        ),
        "RD" => table_set(
            d.tables()?,
            RiskDifference::new,
            RiskDifference::with_correction,
            c,
        ),
        "PETO" => table_set(d.tables()?, PetoOddsRatio::new, |e, _| e, c),
        "PR" => d.proportions(ProportionTransform::Raw, c),
        "PLO" => d.proportions(ProportionTransform::Logit, c),
        "PAS" => d.proportions(ProportionTransform::Arcsine, c),
        "PFT" => d.proportions(ProportionTransform::FreemanTukey, c),
        "ZCOR" => {
            let (r, n) = (d.col("ri")?, d.col("ni")?);
            let s = d.studies(|i| Ok(FisherZ::new(Correlation::new(r[i], n[i])?)))?;
            EffectSet::from_studies(&s).py_err()
        }
        "GEN" => {
            let y = d.col("yi")?;
            let s = match (d.get("vi"), d.get("sei")) {
                (Some(v), _) => d.studies(|i| Effect::new(y[i], v[i]))?,
                (None, Some(se)) => d.studies(|i| Effect::from_se(y[i], se[i]))?,
                (None, None) => {
                    return Err(InvalidParameterError::new_err(
                        "escalc(measure=\"GEN\") needs the column `vi` or `sei`",
                    ))
                }
            };
            EffectSet::from_studies(&s).py_err()
        }
        _ => Err(InvalidParameterError::new_err(format!(
            "unknown measure {measure:?}; one of {}",
            MEASURES
                .iter()
                .map(|(m, _)| *m)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

impl Data<'_> {
    fn studies_from<A: Copy, E>(
        &self,
        inputs: Vec<A>,
        make: impl Fn(A) -> metapool::Result<E>,
    ) -> PyResult<Vec<E>> {
        self.studies(|i| make(inputs[i]))
    }
}

/// `escalc`'s output: `yi`, `vi`, the excluded positions, the harmonic mean of the sizes.
type Escalc = (Vec<f64>, Vec<f64>, Vec<usize>, Option<f64>);

/// `yi`, `vi` for every input row (NaN for a study the measure cannot estimate, such as an
/// odds ratio of a table with no events in either arm), the positions of those studies, and
/// the harmonic mean of the sample sizes for `"PFT"`.
#[pyfunction]
#[pyo3(signature = (measure, columns, add=None, to=None))]
pub fn escalc(
    measure: &str,
    columns: Columns,
    add: Option<f64>,
    to: Option<&str>,
) -> PyResult<Escalc> {
    let set = effect_set(measure, &columns, Correction::new(add, to)?)?;
    let n = set.input_len();
    let (mut yi, mut vi) = (vec![f64::NAN; n], vec![f64::NAN; n]);
    for (e, &pos) in set.effects().iter().zip(set.included()) {
        yi[pos] = e.estimate();
        vi[pos] = e.variance();
    }
    let excluded = set.excluded().iter().map(|&(p, _)| p).collect();
    let harmonic_n = match set.scale() {
        Scale::FreemanTukey { harmonic_n } => Some(harmonic_n),
        _ => None,
    };
    Ok((yi, vi, excluded, harmonic_n))
}
