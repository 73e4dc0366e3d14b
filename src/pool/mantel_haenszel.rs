//! The Mantel-Haenszel method for 2x2 tables: odds ratio, risk ratio, risk difference.

use super::fixed::tables_of;
use super::mh_tests::{mantel_haenszel_tests, CmhCorrection};
use super::test::Test;
use super::{percent, ExcludedStudy, FixedMethod, Model, Parts, Pooled, PooledStudy, Wald};
use crate::effect::{BinaryEffect, BinaryMeasure, Effect, EffectSet, Exclusion, Scale, TwoByTwo};
use crate::error::{Error, Result};
use crate::heterogeneity::Heterogeneity;
use crate::inference::ConfidenceLevel;
use crate::numeric::NeumaierSum;

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
/// use metapool::{effect::LogRiskRatio, pool::MantelHaenszel, effect::RiskDifference, effect::TwoByTwo};
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
    /// The continuity correction of the Cochran-Mantel-Haenszel test reported with an odds
    /// ratio (see [`MantelHaenszelTests`](crate::pool::MantelHaenszelTests)).
    #[cfg_attr(feature = "serde", serde(default))]
    pub cmh_correction: CmhCorrection,
}

impl MantelHaenszel {
    /// A Mantel-Haenszel model with the given confidence level.
    ///
    /// ```
    /// use metapool::{inference::ConfidenceLevel, effect::LogOddsRatio, pool::MantelHaenszel, effect::TwoByTwo};
    /// // one table: the MH odds ratio is the table's own, a d / (b c) = 4 * 12 / (16 * 8)
    /// let t = [LogOddsRatio::new(TwoByTwo::from_cells(4, 16, 8, 12)?)];
    /// let fit = MantelHaenszel::new(ConfidenceLevel::new(0.9)?).pool(&t)?;
    /// assert!((fit.display().estimate - 0.375).abs() < 1e-15);
    /// assert_eq!(fit.level.level(), 0.9);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(level: ConfidenceLevel) -> Self {
        MantelHaenszel {
            level,
            cmh_correction: CmhCorrection::default(),
        }
    }

    /// The same with another continuity correction of the Cochran-Mantel-Haenszel test.
    ///
    /// ```
    /// use metapool::{effect::LogOddsRatio, effect::TwoByTwo, pool::CmhCorrection, pool::MantelHaenszel};
    /// let t = [(3, 47, 9, 41), (12, 88, 20, 80)]
    ///     .map(|(a, b, c, d)| LogOddsRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// let with = MantelHaenszel::default().pool(&t)?.mantel_haenszel_tests.unwrap();
    /// let without = MantelHaenszel::default().with_cmh_correction(CmhCorrection::None).pool(&t)?;
    /// assert!(without.mantel_haenszel_tests.unwrap().cmh > with.cmh);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_cmh_correction(mut self, correction: CmhCorrection) -> Self {
        self.cmh_correction = correction;
        self
    }

    /// Pool 2x2 tables given as effect sizes of one measure ([`crate::effect::LogOddsRatio`],
    /// [`crate::effect::LogRiskRatio`] or [`crate::effect::RiskDifference`]). Errors for an empty input, an
    /// invalid table (naming it), when every table is excluded, or when the estimate or its
    /// variance is undefined (odds and risk ratios: `sum R` or `sum S` is zero; risk difference:
    /// a zero variance).
    ///
    /// ```
    /// use metapool::{effect::LogOddsRatio, pool::MantelHaenszel, effect::TwoByTwo};
    /// let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    ///     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    ///     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    ///     (27, 16886, 29, 17825)]
    ///     .map(|(a, b, c, d)| LogOddsRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// let fit = MantelHaenszel::default().pool(&bcg)?;
    /// // metafor rma.mh(measure = "OR", dat.bcg): -0.4734 (se 0.0410), Q(df = 12) = 163.9426
    /// assert!((fit.estimate - -0.4734109883885855).abs() < 1e-12);
    /// assert!((fit.se - 0.04100777840423144).abs() < 1e-12);
    /// assert!((fit.heterogeneity.q - 163.94257956919316).abs() < 1e-9);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn pool<E: BinaryEffect>(&self, tables: &[E]) -> Result<Pooled> {
        let set = EffectSet::from_studies(tables)?;
        mantel_haenszel_with(&set, &self.level, self.cmh_correction)
    }
}

/// The Mantel-Haenszel fit of the tables of `set` (see [`MantelHaenszel`]), with metafor's
/// default CMH correction.
pub(crate) fn mantel_haenszel(set: &EffectSet, level: &ConfidenceLevel) -> Result<Pooled> {
    mantel_haenszel_with(set, level, CmhCorrection::default())
}

fn mantel_haenszel_with(
    set: &EffectSet,
    level: &ConfidenceLevel,
    cmh_correction: CmhCorrection,
) -> Result<Pooled> {
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
    let tests = match measure {
        BinaryMeasure::OddsRatio => mantel_haenszel_tests(
            positions.iter().map(|&i| tables[i].cells()),
            estimate.exp(),
            cmh_correction,
        ),
        _ => None,
    };
    let mut fit = Parts {
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
    .build()?;
    fit.mantel_haenszel_tests = tests;
    Ok(fit)
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
