//! Mantel-Haenszel, the rule on 2x2 tables, and random effects on log odds ratios, fed
//! arbitrary counts and corrections.
#![no_main]
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use metapool::{effect::*, inference::ConfidenceLevel, pool::*};
use metapool_fuzz::{check_pooled, count, num, unitish};

fn run(u: &mut Unstructured) -> Result<()> {
    let level = ConfidenceLevel::new(unitish(u)?).unwrap_or_default();
    let k = u.int_in_range(0usize..=100)?;
    let mut tables = Vec::with_capacity(k);
    for _ in 0..k {
        let table = if u.arbitrary()? {
            // a valid table
            let n1 = f64::from(u.int_in_range(1u32..=5000)?);
            let n2 = f64::from(u.int_in_range(1u32..=5000)?);
            let e1 = (n1 * f64::from(u.arbitrary::<u8>()?) / 255.0).round();
            let e2 = (n2 * f64::from(u.arbitrary::<u8>()?) / 255.0).round();
            TwoByTwo {
                events1: e1,
                total1: n1,
                events2: e2,
                total2: n2,
            }
        } else {
            TwoByTwo {
                events1: count(u)?,
                total1: count(u)?,
                events2: count(u)?,
                total2: count(u)?,
            }
        };
        let correction = if u.arbitrary()? {
            ContinuityCorrection::default()
        } else {
            let rule = match u.int_in_range(0u8..=2)? {
                0 => CorrectionRule::OnlyZeroCells,
                1 => CorrectionRule::AllTables,
                _ => CorrectionRule::Never,
            };
            ContinuityCorrection {
                value: num(u)?,
                rule,
            }
        };
        tables.push(LogOddsRatio { table, correction });
    }
    if let Ok(p) = MantelHaenszel::new(level).pool(&tables) {
        check_pooled(&p, None);
        assert_eq!(p.k + p.excluded.len(), tables.len());
    }
    let rr: Vec<_> = tables
        .iter()
        .map(|t| LogRiskRatio::new(t.table).with_correction(t.correction))
        .collect();
    let rd: Vec<_> = tables
        .iter()
        .map(|t| RiskDifference::new(t.table).with_correction(t.correction))
        .collect();
    let raw: Vec<TwoByTwo> = tables.iter().map(|t| t.table).collect();
    for p in [
        MantelHaenszel::new(level).pool(&rr),
        MantelHaenszel::new(level).pool(&rd),
        Peto::new(level).pool(&raw),
    ]
    .into_iter()
    .flatten()
    {
        check_pooled(&p, None);
    }
    for set in [EffectSet::from_studies(&rr), EffectSet::from_studies(&rd)]
        .into_iter()
        .flatten()
    {
        if let Ok(r) = RandomModel::new(Tau2Estimator::default(), level).pool(&set) {
            check_pooled(&r, None);
        }
    }
    if let Ok(set) = EffectSet::from_studies(&tables) {
        let ys: Vec<f64> = set.effects().iter().map(|e| e.estimate()).collect();
        let lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if let Ok(r) = RandomModel::new(Tau2Estimator::default(), level).pool(&set) {
            check_pooled(&r, Some((lo, hi)));
        }
    }
    if let Ok(sel) = ModelRule::default()
        .with_level(level)
        .select_tables(&tables)
    {
        check_pooled(&sel.fixed, None);
        check_pooled(&sel.random, None);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
