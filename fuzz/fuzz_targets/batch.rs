//! The batch path fed arbitrary layouts, estimates and variances: every row not recorded as a
//! failure must be finite and equal, bit for bit, to the single-analysis fit.
#![no_main]
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use metapool::batch::{Analyses, BatchPooler, BatchResults, OnFailure};
use metapool::{effect::*, inference::ConfidenceLevel, pool::*};
use metapool_fuzz::{num, unitish};

fn run(u: &mut Unstructured) -> Result<()> {
    let level = ConfidenceLevel::new(unitish(u)?).unwrap_or_default();
    let n = u.int_in_range(0usize..=20)?;
    let (mut y, mut v, mut offsets) = (Vec::new(), Vec::new(), vec![0usize]);
    for _ in 0..n {
        for _ in 0..u.int_in_range(0usize..=12)? {
            y.push(num(u)?);
            v.push(num(u)?);
        }
        offsets.push(y.len());
    }
    if u.arbitrary()? {
        // a bad layout now and then
        offsets.push(u.arbitrary::<u8>()? as usize);
    }
    let Ok(analyses) = Analyses::with_offsets(&y, &v, &offsets) else {
        return Ok(());
    };
    let mut out = BatchResults::default();
    let pooler = BatchPooler::new(Tau2Estimator::DerSimonianLaird, level, OnFailure::Record);
    if pooler.pool(&analyses, &mut out).is_err() {
        return Ok(());
    }
    for i in 0..analyses.len() {
        if out.failures.iter().any(|(j, _)| *j == i) {
            continue;
        }
        let (yi, vi) = analyses.get(i).expect("row in range");
        let set = EffectSet::from_estimates(yi, vi).expect("batch accepted it");
        let f = FixedModel::new(level).pool(&set).expect("batch pooled it");
        let r = RandomModel::new(Tau2Estimator::DerSimonianLaird, level)
            .pool(&set)
            .expect("batch pooled it");
        assert_eq!(
            out.fixed.estimate[i].to_bits(),
            f.estimate.to_bits(),
            "row {i}"
        );
        assert_eq!(
            out.random.estimate[i].to_bits(),
            r.estimate.to_bits(),
            "row {i}"
        );
        assert_eq!(out.random.se[i].to_bits(), r.se.to_bits(), "row {i}");
        assert_eq!(
            out.heterogeneity.tau2[i].to_bits(),
            r.heterogeneity.tau2.to_bits(),
            "row {i}"
        );
        assert_eq!(
            out.heterogeneity.q[i].to_bits(),
            f.heterogeneity.q.to_bits(),
            "row {i}"
        );
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
