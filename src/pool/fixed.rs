//! Fixed-effect (common-effect) pooling: inverse variance for any effect size, Mantel-Haenszel
//! for odds ratios, risk ratios and risk differences from 2x2 tables, and Peto's odds ratio.

use super::test::Test;
use super::{
    fixed_core, percent, test_for, ExcludedStudy, FixedMethod, Model, Parts, Pooled, PooledStudy,
    Wald,
};
use crate::effect::binary::peto_o_e_v;
use crate::effect::{
    BinaryEffect, BinaryMeasure, ContinuityCorrection, CorrectionRule, Effect, EffectSet,
    EffectSize, Exclusion, PetoOddsRatio, Scale, TwoByTwo,
};
use crate::error::{Error, Result};
use crate::heterogeneity::Heterogeneity;
use crate::inference::ConfidenceLevel;
use crate::numeric::NeumaierSum;

/// Inverse-variance fixed-effect model.
///
/// ```text
/// w_i = 1 / v_i
/// mu  = sum w_i y_i / sum w_i,   se = 1 / sqrt(sum w_i)
/// CI  = mu -/+ z_(1-alpha/2) se, z = mu / se, p = 2 (1 - Phi(|z|))
/// Q   = sum w_i (y_i - mu)^2 on k - 1 df
/// ```
/// Source: RevMan 5 statistical algorithms (inverse-variance method); metafor
/// `rma(method = "FE")`.
///
/// ```
/// use metapool::{EffectSet, FixedModel};
/// let set = EffectSet::from_estimates(&[0.2, 0.4], &[0.04, 0.04])?;
/// let fit = FixedModel::default().pool(&set)?;
/// assert!((fit.estimate - 0.3).abs() < 1e-15);
/// assert!((fit.se - 0.02f64.sqrt()).abs() < 1e-15);
/// assert_eq!(fit.weights(), vec![50.0, 50.0]);
/// # Ok::<(), metapool::Error>(())
/// ```
///
/// The same type fits the Mantel-Haenszel and Peto methods to an [`EffectSet`] that carries
/// its 2x2 tables (see [`FixedMethod`]; a set without tables is an
/// [`Error::MissingTables`]):
///
/// ```
/// use metapool::prelude::*;
/// let tables = [TwoByTwo::from_cells(4, 16, 8, 12)?, TwoByTwo::from_cells(1, 29, 5, 25)?];
/// let set = EffectSet::from_studies(&tables.map(LogOddsRatio::new))?;
/// let mh = FixedModel::mantel_haenszel().pool(&set)?;
/// let peto = FixedModel::peto().pool(&set)?;
/// assert!(mh.display().estimate < 1.0 && peto.display().estimate < 1.0);
/// let plain = EffectSet::from_estimates(&[0.1, 0.2], &[0.01, 0.02])?;
/// assert!(matches!(FixedModel::peto().pool(&plain), Err(Error::MissingTables { .. })));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FixedModel {
    /// Confidence level of the interval.
    pub level: ConfidenceLevel,
    /// How the estimate is tested (z by default). metafor allows the Knapp-Hartung tests for
    /// inverse-variance fixed-effect models (with a warning that they are not meant for them);
    /// the scale factor is then `Q / (k - 1)`. Mantel-Haenszel and Peto fits are tested with z
    /// only (a t-based test is an [`Error::Undefined`]).
    #[cfg_attr(feature = "serde", serde(default))]
    pub test: Test,
    /// The method: inverse variance (default), Mantel-Haenszel or Peto.
    #[cfg_attr(feature = "serde", serde(default))]
    pub method: FixedMethod,
}

impl FixedModel {
    /// An inverse-variance fixed-effect model with the given confidence level and the z test.
    pub fn new(level: ConfidenceLevel) -> Self {
        FixedModel {
            level,
            test: Test::Z,
            method: FixedMethod::InverseVariance,
        }
    }

    /// The Mantel-Haenszel model (95% CI, z test): odds ratio, risk ratio or risk difference
    /// as the set's tables were analysed ([`EffectSet::measure`]); see [`MantelHaenszel`].
    pub fn mantel_haenszel() -> Self {
        FixedModel::default().with_method(FixedMethod::MantelHaenszel)
    }

    /// Peto's odds ratio model (95% CI, z test); see [`Peto`].
    pub fn peto() -> Self {
        FixedModel::default().with_method(FixedMethod::Peto)
    }

    /// The same model with another test.
    pub fn with_test(mut self, test: Test) -> Self {
        self.test = test;
        self
    }

    /// The same model with another confidence level.
    pub fn with_level(mut self, level: ConfidenceLevel) -> Self {
        self.level = level;
        self
    }

    /// The same model with another method.
    pub fn with_method(mut self, method: FixedMethod) -> Self {
        self.method = method;
        self
    }

    /// Pool a set of effects. Mantel-Haenszel and Peto pool the set's 2x2 tables
    /// ([`Error::MissingTables`] for a set without them).
    pub fn pool(&self, set: &EffectSet) -> Result<Pooled> {
        match self.method {
            FixedMethod::InverseVariance => self.pool_inverse_variance(set),
            FixedMethod::MantelHaenszel | FixedMethod::Peto if self.test.is_t() => {
                Err(Error::Undefined {
                    what: "a t-based test of a Mantel-Haenszel or Peto fit",
                    why: "these methods are tested with z (RevMan, metafor rma.mh and rma.peto)",
                })
            }
            FixedMethod::MantelHaenszel => mantel_haenszel(set, &self.level),
            FixedMethod::Peto => peto(set, &self.level),
        }
    }

    fn pool_inverse_variance(&self, set: &EffectSet) -> Result<Pooled> {
        let e = set.effects();
        let core = fixed_core(e.len(), |i| e[i].estimate(), |i| e[i].variance())?;
        let (test, notes) = test_for(self.test, core.k);
        let wald = match test {
            Test::Z => Wald::new(core.estimate, (1.0 / core.sum_w).sqrt(), &self.level),
            test => test.wald(core.estimate, core.sum_w, core.q, core.k, &self.level)?,
        };
        let mut parts = Parts::of_set(
            Model::Fixed(FixedMethod::InverseVariance),
            set,
            wald,
            &self.level,
            e.iter().map(|x| 1.0 / x.variance()),
            core.sum_w,
            Heterogeneity::fixed(core.q, core.k - 1),
        );
        parts.test = test;
        parts.df = test.is_t().then_some(core.k - 1);
        parts.notes = notes;
        parts.build()
    }

    /// Compute each study's effect and pool them.
    pub fn pool_studies<E: EffectSize>(&self, studies: &[E]) -> Result<Pooled> {
        self.pool(&EffectSet::from_studies(studies)?)
    }
}

/// Mantel-Haenszel fixed-effect model for 2x2 tables: the odds ratio, the risk ratio or the
/// risk difference, chosen by the effect size pooled ([`BinaryEffect::MEASURE`]). RevMan's
/// default for dichotomous data.
///
/// On the raw cells `(a, b, c, d)` of each table, with `n1 = a + b`, `n2 = c + d`,
/// `N = n1 + n2` (no continuity correction is needed for the pooled estimate):
/// ```text
/// odds ratio (Robins, Breslow & Greenland 1986):
///   R_i = a d / N,  S_i = b c / N,  P_i = (a + d) / N,  Q_i = (b + c) / N
///   ln OR_MH = ln(sum R / sum S)
///   var = sum P R / (2 (sum R)^2) + sum (P S + Q R) / (2 sum R sum S) + sum Q S / (2 (sum S)^2)
///   weight_i = S_i
/// risk ratio (Greenland & Robins 1985):
///   R_i = a n2 / N,  S_i = c n1 / N
///   ln RR_MH = ln(sum R / sum S)
///   var = sum (n1 n2 (a + c) / N^2 - a c / N) / (sum R sum S)
///   weight_i = S_i
/// risk difference (Greenland & Robins 1985, as metafor computes it):
///   W_i = n1 n2 / N
///   RD_MH = sum (a n2 - c n1) / N / sum W
///   var = (RD_MH sum (c (n1/N)^2 - a (n2/N)^2 + (n1/N)(n2/N)(n2 - n1)/2)
///          + sum (a (n2 - c) + c (n1 - a)) / (2 N)) / (sum W)^2
///   weight_i = W_i
/// ```
/// Which tables take part, as in metafor `rma.mh` (`drop00 = c(TRUE, FALSE)`): every table
/// enters the Mantel-Haenszel sums on its raw counts. A table that contributes nothing to them
/// is reported as excluded: for the odds ratio, tables with no events or all events in both
/// arms; for the risk ratio, tables with no events in both arms. For the risk difference no
/// table is excluded (a double-zero table has weight `n1 n2 / N`, as in RevMan).
///
/// Heterogeneity, as RevMan and metafor `rma.mh` compute it: Q around the Mantel-Haenszel
/// estimate with the inverse-variance weights of the per-study effects (continuity-corrected as
/// each effect's own correction says), over the tables with neither no events nor all events in
/// both arms, on (that number - 1) df. So for the risk ratio and difference `heterogeneity.df`
/// may be smaller than `k - 1`.
///
/// Sources: Mantel & Haenszel (1959); Greenland & Robins (1985); Robins, Breslow & Greenland
/// (1986); Deeks & Higgins (2010), Statistical algorithms in Review Manager 5; metafor `rma.mh`.
///
/// ```
/// use metapool::{LogRiskRatio, MantelHaenszel, RiskDifference, TwoByTwo};
/// let tables = [TwoByTwo::new(4.0, 20.0, 8.0, 20.0)?, TwoByTwo::new(0.0, 15.0, 0.0, 15.0)?];
/// let rr = MantelHaenszel::default().pool(&tables.map(LogRiskRatio::new))?;
/// assert!((rr.display().estimate - 0.5).abs() < 1e-15);
/// assert_eq!(rr.excluded.len(), 1); // the double-zero table
/// let rd = MantelHaenszel::default().pool(&tables.map(RiskDifference::new))?;
/// assert_eq!(rd.k, 2); // kept, with weight n1 n2 / N
/// assert!((rd.estimate - (-0.2 * 10.0) / (10.0 + 7.5)).abs() < 1e-15);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MantelHaenszel {
    /// Confidence level of the interval.
    pub level: ConfidenceLevel,
}

impl MantelHaenszel {
    /// A Mantel-Haenszel model with the given confidence level.
    pub fn new(level: ConfidenceLevel) -> Self {
        MantelHaenszel { level }
    }

    /// Pool 2x2 tables given as effect sizes of one measure ([`crate::LogOddsRatio`],
    /// [`crate::LogRiskRatio`] or [`crate::RiskDifference`]). Errors for an empty input, an
    /// invalid table (naming it), when every table is excluded, or when the estimate or its
    /// variance is undefined (odds and risk ratios: `sum R` or `sum S` is zero; risk difference:
    /// a zero variance).
    pub fn pool<E: BinaryEffect>(&self, tables: &[E]) -> Result<Pooled> {
        let set = EffectSet::from_studies(tables)?;
        mantel_haenszel(&set, &self.level)
    }
}

/// The set's tables, or the error naming `method`.
fn tables_of<'a>(set: &'a EffectSet, method: &'static str) -> Result<&'a [TwoByTwo]> {
    set.tables().ok_or(Error::MissingTables {
        method,
        why: "none (build it from 2x2-table effect sizes such as LogOddsRatio)",
    })
}

/// The Mantel-Haenszel fit of the tables of `set` (see [`MantelHaenszel`]).
pub(crate) fn mantel_haenszel(set: &EffectSet, level: &ConfidenceLevel) -> Result<Pooled> {
    const METHOD: &str = "the Mantel-Haenszel method";
    let tables = tables_of(set, METHOD)?;
    let measure = set.measure().ok_or(Error::MissingTables {
        method: METHOD,
        why: "no odds ratio, risk ratio or risk difference (Peto's odds ratio is pooled by Peto's method)",
    })?;
    // each included study's own effect, by input position
    let mut own: Vec<Option<Effect>> = vec![None; tables.len()];
    for (e, &i) in set.effects().iter().zip(set.included()) {
        own[i] = Some(*e);
    }
    let positions = set.positions();
    let mut q_effects = Vec::with_capacity(positions.len());
    let mut included = Vec::with_capacity(positions.len());
    let mut excluded = Vec::new();
    for &i in &positions {
        let table = &tables[i];
        if let (None, Some(e)) = (table.exclusion(), own[i]) {
            q_effects.push(e);
        }
        match mh_exclusion(measure, table) {
            Some(why) => excluded.push(ExcludedStudy {
                position: i,
                label: set.label(i).map(str::to_owned),
                why,
            }),
            None => included.push(i),
        }
    }
    if included.is_empty() {
        return Err(Error::AllExcluded {
            excluded: excluded.len(),
        });
    }
    let cells = || included.iter().map(|&i| tables[i].cells());
    let (estimate, var, raw_weights) = match measure {
        BinaryMeasure::OddsRatio => mh_odds_ratio(cells())?,
        BinaryMeasure::RiskRatio => mh_risk_ratio(cells())?,
        BinaryMeasure::RiskDifference => mh_risk_difference(cells())?,
    };
    let wald = Wald::new(estimate, var.sqrt(), level);
    let mut q = NeumaierSum::default();
    for e in &q_effects {
        let d = e.estimate() - estimate;
        q.add(d * d / e.variance());
    }
    let total: f64 = {
        let mut s = NeumaierSum::default();
        raw_weights.iter().for_each(|&w| s.add(w));
        s.value()
    };
    let studies = included
        .iter()
        .zip(percent(raw_weights.into_iter(), total))
        .map(|(&i, weight)| PooledStudy {
            position: i,
            label: set.label(i).map(str::to_owned),
            effect: own[i],
            weight,
        })
        .collect();
    let scale = match measure {
        BinaryMeasure::RiskDifference => Scale::Identity,
        BinaryMeasure::OddsRatio | BinaryMeasure::RiskRatio => Scale::Log,
    };
    Parts {
        model: Model::Fixed(FixedMethod::MantelHaenszel),
        wald,
        test: Test::Z,
        df: None,
        level: *level,
        scale,
        studies,
        excluded,
        heterogeneity: Heterogeneity::fixed(q.value(), q_effects.len().saturating_sub(1)),
        tau2_fit: None,
        notes: Vec::new(),
    }
    .build()
}

/// Why a table takes no part in a Mantel-Haenszel analysis of `measure`, if it does not.
fn mh_exclusion(measure: BinaryMeasure, t: &TwoByTwo) -> Option<Exclusion> {
    match measure {
        BinaryMeasure::OddsRatio => t.exclusion(),
        BinaryMeasure::RiskRatio => match t.exclusion() {
            Some(Exclusion::NoEventsInEitherArm) => Some(Exclusion::NoEventsInEitherArm),
            _ => None,
        },
        BinaryMeasure::RiskDifference => None,
    }
}

/// `(estimate, variance, raw weights)` of a Mantel-Haenszel fit.
type MhFit = (f64, f64, Vec<f64>);

const UNDEFINED_RATIO: Error = Error::Undefined {
    what: "Mantel-Haenszel ratio",
    why: "a Mantel-Haenszel numerator or denominator sum over the tables is zero",
};

fn mh_odds_ratio(tables: impl Iterator<Item = [f64; 4]>) -> Result<MhFit> {
    let (mut sr, mut ss) = (NeumaierSum::default(), NeumaierSum::default());
    let (mut spr, mut sps_qr, mut sqs) = (
        NeumaierSum::default(),
        NeumaierSum::default(),
        NeumaierSum::default(),
    );
    let mut s_each = Vec::new();
    for [a, b, c, d] in tables {
        let n = a + b + c + d;
        let (r, s) = (a * d / n, b * c / n);
        let (p, q) = ((a + d) / n, (b + c) / n);
        sr.add(r);
        ss.add(s);
        spr.add(p * r);
        sps_qr.add(p * s + q * r);
        sqs.add(q * s);
        s_each.push(s);
    }
    let (sum_r, sum_s) = (sr.value(), ss.value());
    if sum_r <= 0.0 || sum_s <= 0.0 {
        return Err(UNDEFINED_RATIO);
    }
    let var = spr.value() / (2.0 * sum_r * sum_r)
        + sps_qr.value() / (2.0 * sum_r * sum_s)
        + sqs.value() / (2.0 * sum_s * sum_s);
    Ok(((sum_r / sum_s).ln(), var, s_each))
}

fn mh_risk_ratio(tables: impl Iterator<Item = [f64; 4]>) -> Result<MhFit> {
    let (mut sr, mut ss, mut sv) = (
        NeumaierSum::default(),
        NeumaierSum::default(),
        NeumaierSum::default(),
    );
    let mut s_each = Vec::new();
    for [a, b, c, d] in tables {
        let (n1, n2) = (a + b, c + d);
        let n = n1 + n2;
        let (r, s) = (a * (n2 / n), c * (n1 / n));
        sr.add(r);
        ss.add(s);
        sv.add((n1 / n) * (n2 / n) * (a + c) - (a / n) * c);
        s_each.push(s);
    }
    let (sum_r, sum_s) = (sr.value(), ss.value());
    if sum_r <= 0.0 || sum_s <= 0.0 {
        return Err(UNDEFINED_RATIO);
    }
    Ok(((sum_r / sum_s).ln(), sv.value() / (sum_r * sum_s), s_each))
}

fn mh_risk_difference(tables: impl Iterator<Item = [f64; 4]>) -> Result<MhFit> {
    let (mut sw, mut snum, mut sb, mut sc) = (
        NeumaierSum::default(),
        NeumaierSum::default(),
        NeumaierSum::default(),
        NeumaierSum::default(),
    );
    let mut w_each = Vec::new();
    for [a, b, c, d] in tables {
        let (n1, n2) = (a + b, c + d);
        let n = n1 + n2;
        let w = n1 * (n2 / n);
        sw.add(w);
        snum.add(a * (n2 / n) - c * (n1 / n));
        sb.add(
            c * (n1 / n) * (n1 / n) - a * (n2 / n) * (n2 / n)
                + (n1 / n) * (n2 / n) * (n2 - n1) / 2.0,
        );
        sc.add(a * (n2 - c) / n + c * (n1 - a) / n);
        w_each.push(w);
    }
    let sum_w = sw.value();
    let estimate = snum.value() / sum_w;
    let var = (estimate * sb.value() + sc.value() / 2.0) / (sum_w * sum_w);
    if !(var > 0.0 && var.is_finite()) {
        return Err(Error::Undefined {
            what: "Mantel-Haenszel risk difference",
            why: "its variance is zero (every arm has no events or only events)",
        });
    }
    Ok((estimate, var, w_each))
}

/// Peto's one-step fixed-effect odds ratio.
///
/// On the raw cells of each table (no continuity correction), with `O - E` and `V` as in
/// [`crate::PetoOddsRatio`]:
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
/// use metapool::{Peto, TwoByTwo};
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
    pub fn new(level: ConfidenceLevel) -> Self {
        Peto { level }
    }

    /// Pool 2x2 tables (a [`TwoByTwo`] or any effect size built on one). Errors for an empty
    /// input, an invalid table (naming it), or when every table is excluded.
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
