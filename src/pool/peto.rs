//! Peto's one-step odds ratio for 2x2 tables.

use super::fixed::tables_of;
use super::test::Test;
use super::{percent, ExcludedStudy, FixedMethod, Model, Parts, Pooled, PooledStudy, Wald};
use crate::effect::binary::peto_o_e_v;
use crate::effect::{
    ContinuityCorrection, CorrectionRule, Effect, EffectSet, PetoOddsRatio, Scale, TwoByTwo,
};
use crate::error::{Error, Result};
use crate::heterogeneity::Heterogeneity;
use crate::inference::ConfidenceLevel;
use crate::numeric::NeumaierSum;

/// Peto's one-step fixed-effect odds ratio.
///
/// On the raw cells of each table (no continuity correction), with `O - E` and `V` as in
/// [`crate::effect::PetoOddsRatio`]:
/// ```text
/// ln OR_Peto = sum (O - E) / sum V,   se = 1 / sqrt(sum V)
/// Q = sum (O - E)^2 / V - (sum (O - E))^2 / sum V
///   = sum V_i (y_i - ln OR_Peto)^2,  y_i = (O - E)_i / V_i     (computed this way)
/// weight_i = V_i / sum V
/// ```
/// Q is on (k - 1) df over the tables with `V > 0`; a table with no events or all events in
/// both arms has `V = 0`, contributes nothing, and is reported as excluded.
///
/// Sources: Yusuf, Peto et al. (1985); Deeks & Higgins (2010), Statistical algorithms in Review
/// Manager 5; metafor `rma.peto`.
///
/// ```
/// use metapool::{pool::Peto, effect::TwoByTwo};
/// let tables = [TwoByTwo::new(4.0, 20.0, 8.0, 20.0)?, TwoByTwo::new(1.0, 30.0, 5.0, 30.0)?];
/// let fit = Peto::default().pool(&tables)?;
/// assert!(fit.display().estimate < 1.0);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Peto {
    /// Confidence level of the interval.
    pub level: ConfidenceLevel,
}

impl Peto {
    /// A Peto model with the given confidence level.
    ///
    /// ```
    /// use metapool::{inference::ConfidenceLevel, pool::Peto, effect::TwoByTwo};
    /// let fit = Peto::new(ConfidenceLevel::new(0.99)?).pool(&[TwoByTwo::from_cells(4, 16, 8, 12)?])?;
    /// assert!((fit.ci_upper - fit.estimate - 2.5758293035489004 * fit.se).abs() < 1e-14);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(level: ConfidenceLevel) -> Self {
        Peto { level }
    }

    /// Pool 2x2 tables (a [`TwoByTwo`] or any effect size built on one). Errors for an empty
    /// input, an invalid table (naming it), or when every table is excluded.
    ///
    /// ```
    /// use metapool::{pool::Peto, effect::TwoByTwo};
    /// // one table a, b, c, d = 4, 16, 8, 12: O - E = 4 - 20 * 12 / 40 = -2,
    /// // V = 20 * 20 * 12 * 28 / (40² * 39) (Yusuf et al. 1985)
    /// let fit = Peto::default().pool(&[TwoByTwo::from_cells(4, 16, 8, 12)?])?;
    /// let v = 20.0 * 20.0 * 12.0 * 28.0 / (1600.0 * 39.0);
    /// assert!((fit.estimate - -2.0 / v).abs() < 1e-14 && (fit.se - 1.0 / v.sqrt()).abs() < 1e-14);
    /// assert!(Peto::default().pool(&[TwoByTwo::from_cells(0, 10, 0, 10)?]).is_err()); // all excluded
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn pool<T: AsRef<TwoByTwo>>(&self, tables: &[T]) -> Result<Pooled> {
        // the raw cells, as the pooled Peto method uses them
        let raw = ContinuityCorrection {
            value: 0.5,
            rule: CorrectionRule::Never,
        };
        let studies: Vec<PetoOddsRatio> = tables
            .iter()
            .map(|t| PetoOddsRatio::new(*t.as_ref()).with_correction(raw))
            .collect();
        peto(&EffectSet::from_studies(&studies)?, &self.level)
    }
}

/// Peto's fit of the tables of `set` (see [`Peto`]).
pub(crate) fn peto(set: &EffectSet, level: &ConfidenceLevel) -> Result<Pooled> {
    let tables = tables_of(set, "Peto's method")?;
    let positions = set.positions();
    let mut included = Vec::with_capacity(positions.len());
    let mut excluded = Vec::new();
    let mut o_e_v = Vec::with_capacity(positions.len());
    for &i in &positions {
        let t = &tables[i];
        match t.exclusion() {
            Some(why) => excluded.push(ExcludedStudy {
                position: i,
                label: set.label(i).map(str::to_owned),
                why,
            }),
            None => {
                included.push(i);
                o_e_v.push(peto_o_e_v(t.cells()));
            }
        }
    }
    if included.is_empty() {
        return Err(Error::AllExcluded {
            excluded: excluded.len(),
        });
    }
    let (mut so, mut sv) = (NeumaierSum::default(), NeumaierSum::default());
    for &(o, v) in &o_e_v {
        so.add(o);
        sv.add(v);
    }
    let sum_v = sv.value();
    let estimate = so.value() / sum_v;
    let wald = Wald::new(estimate, (1.0 / sum_v).sqrt(), level);
    let mut q = NeumaierSum::default();
    for &(o, v) in &o_e_v {
        let d = o / v - estimate;
        q.add(v * d * d);
    }
    let studies = included
        .iter()
        .zip(&o_e_v)
        .zip(percent(o_e_v.iter().map(|&(_, v)| v), sum_v))
        .map(|((&i, &(o, v)), weight)| PooledStudy {
            position: i,
            label: set.label(i).map(str::to_owned),
            effect: Effect::new(o / v, 1.0 / v).ok(),
            weight,
        })
        .collect();
    Parts {
        model: Model::Fixed(FixedMethod::Peto),
        wald,
        test: Test::Z,
        df: None,
        level: *level,
        scale: Scale::Log,
        studies,
        excluded,
        heterogeneity: Heterogeneity::fixed(q.value(), o_e_v.len() - 1),
        tau2_fit: None,
        notes: Vec::new(),
    }
    .build()
}
