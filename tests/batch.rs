//! The batch path against the single-analysis API: bit for bit on random data.

use metapool::batch::{Analyses, BatchPooler, BatchResults, InverseVarianceSums, OnFailure};
use metapool::{
    effect::EffectSet, pool::FixedModel, pool::Pooled, pool::RandomModel, pool::Tau2Estimator,
    Error,
};

/// xorshift64*: a small deterministic generator, so the test needs no extra crate.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-300), self.next());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Analyses of 1..=40 studies with true heterogeneity of varying size, variances over four
/// orders of magnitude, and means far from 0 in some.
fn random_batch(rng: &mut Rng, n: usize) -> (Vec<f64>, Vec<f64>, Vec<usize>) {
    let (mut y, mut v, mut offsets) = (Vec::new(), Vec::new(), vec![0]);
    for a in 0..n {
        let k = 1 + (rng.next() * 40.0) as usize;
        let mu = if a % 7 == 0 {
            1e3 * rng.normal()
        } else {
            rng.normal()
        };
        let tau = [0.0, 0.1, 1.0][a % 3] * rng.next();
        for _ in 0..k {
            let vi = 10f64.powf(-3.0 + 4.0 * rng.next());
            v.push(vi);
            y.push(mu + tau * rng.normal() + vi.sqrt() * rng.normal());
        }
        offsets.push(y.len());
    }
    (y, v, offsets)
}

fn same(a: f64, b: f64, what: &str, i: usize) {
    assert_eq!(
        a.to_bits(),
        b.to_bits(),
        "analysis {i}: {what}: {a:e} vs {b:e}"
    );
}

fn check_row(out: &BatchResults, i: usize, fixed: &Pooled, random: &Pooled) {
    assert_eq!(out.k[i], fixed.k);
    for (cols, fit, name) in [
        (&out.fixed, fixed, "fixed"),
        (&out.random, random, "random"),
    ] {
        same(cols.estimate[i], fit.estimate, name, i);
        same(cols.se[i], fit.se, name, i);
        same(cols.ci_lower[i], fit.ci_lower, name, i);
        same(cols.ci_upper[i], fit.ci_upper, name, i);
        same(cols.z[i], fit.statistic, name, i);
        same(cols.p[i], fit.p, name, i);
    }
    let (h, rh, fh) = (
        &out.heterogeneity,
        &random.heterogeneity,
        &fixed.heterogeneity,
    );
    same(h.q[i], rh.q, "q", i);
    same(h.q[i], fh.q, "q (fixed)", i);
    assert_eq!(h.q_p[i].map(f64::to_bits), rh.q_p.map(f64::to_bits));
    assert_eq!(h.q_p[i].map(f64::to_bits), fh.q_p.map(f64::to_bits));
    same(h.i2[i], rh.i2, "i2", i);
    same(h.h2[i], rh.h2, "h2", i);
    same(h.tau2[i], rh.tau2, "tau2", i);
}

fn check_all(y: &[f64], v: &[f64], offsets: &[usize], out: &BatchResults) {
    for i in 0..offsets.len() - 1 {
        let r = offsets[i]..offsets[i + 1];
        let set = EffectSet::from_estimates(&y[r.clone()], &v[r]).unwrap();
        let fixed = FixedModel::default().pool(&set).unwrap();
        let random = RandomModel::default().pool(&set).unwrap();
        check_row(out, i, &fixed, &random);
    }
}

#[test]
fn batch_is_bit_identical_to_single_analysis_api() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (y, v, offsets) = random_batch(&mut rng, 3000);
    let analyses = Analyses::with_offsets(&y, &v, &offsets).unwrap();
    let mut out = BatchResults::default();
    BatchPooler::default().pool(&analyses, &mut out).unwrap();
    assert_eq!(out.len(), 3000);
    assert!(out.failures.is_empty());
    check_all(&y, &v, &offsets, &out);
    // reuse of the buffers: a smaller second batch overwrites and shrinks
    let analyses = Analyses::with_offsets(&y, &v, &offsets[..=10]).unwrap_err();
    assert!(matches!(analyses, Error::InvalidLayout { .. }));
    let end = offsets[10];
    let analyses = Analyses::with_offsets(&y[..end], &v[..end], &offsets[..=10]).unwrap();
    BatchPooler::default().pool(&analyses, &mut out).unwrap();
    assert_eq!(out.len(), 10);
    check_all(&y[..end], &v[..end], &offsets[..=10], &out);
}

#[test]
fn uniform_layout_is_bit_identical() {
    let mut rng = Rng(42);
    let k = 10;
    let n = 1000;
    let (mut y, mut v) = (Vec::new(), Vec::new());
    for a in 0..n {
        let tau = (a % 4) as f64 * 0.2;
        let mu = rng.normal();
        for _ in 0..k {
            let vi = 0.01 + 0.2 * rng.next();
            v.push(vi);
            y.push(mu + tau * rng.normal() + vi.sqrt() * rng.normal());
        }
    }
    let offsets: Vec<usize> = (0..=n).map(|a| a * k).collect();
    let mut out = BatchResults::with_capacity(n);
    BatchPooler::default()
        .pool(&Analyses::uniform(&y, &v, k).unwrap(), &mut out)
        .unwrap();
    check_all(&y, &v, &offsets, &out);
    let mut by_offsets = BatchResults::default();
    BatchPooler::default()
        .pool(
            &Analyses::with_offsets(&y, &v, &offsets).unwrap(),
            &mut by_offsets,
        )
        .unwrap();
    assert_eq!(out, by_offsets);
}

#[test]
fn failures_stop_or_are_recorded() {
    let y = [0.1, 0.2, 0.3, 0.4, f64::NAN, 0.6, 0.7];
    let v = [0.1, 0.1, 0.1, -1.0, 0.1, 0.1, 0.1];
    let offsets = [0, 2, 4, 4, 5, 7];
    let analyses = Analyses::with_offsets(&y, &v, &offsets).unwrap();
    let mut out = BatchResults::default();
    let err = BatchPooler::default()
        .with_on_failure(OnFailure::Stop)
        .pool(&analyses, &mut out)
        .unwrap_err();
    match err {
        Error::InAnalysis { analysis, source } => {
            assert_eq!(analysis, 1);
            assert!(matches!(
                *source,
                Error::InvalidStudy {
                    study: 1,
                    field: "variance",
                    ..
                }
            ));
        }
        e => panic!("unexpected {e:?}"),
    }
    let record = BatchPooler {
        on_failure: OnFailure::Record,
        ..BatchPooler::default()
    };
    record.pool(&analyses, &mut out).unwrap();
    let failed: Vec<usize> = out.failures.iter().map(|f| f.0).collect();
    assert_eq!(failed, vec![1, 2, 3]);
    // the default records them too, with the reason in the status column
    let mut by_default = BatchResults::default();
    BatchPooler::default()
        .pool(&analyses, &mut by_default)
        .unwrap();
    assert_eq!(by_default.status, out.status);
    let positions = |r: &BatchResults| r.failures.iter().map(|f| f.0).collect::<Vec<_>>();
    assert_eq!(positions(&by_default), positions(&out));
    use metapool::batch::{AnalysisStatus::*, FailureReason};
    assert_eq!(
        out.status,
        vec![
            Pooled,
            Failed(FailureReason::InvalidStudy),
            Failed(FailureReason::Empty),
            Failed(FailureReason::InvalidStudy),
            Pooled
        ]
    );
    assert!(matches!(out.failures[1].1, Error::Empty));
    assert!(matches!(
        out.failures[2].1,
        Error::InvalidStudy {
            field: "estimate",
            ..
        }
    ));
    assert!(out.fixed.estimate[1].is_nan() && out.k[2] == 0 && out.heterogeneity.q_p[3].is_none());
    check_all(&y[..2], &v[..2], &[0, 2], &out);
    let set = EffectSet::from_estimates(&y[5..], &v[5..]).unwrap();
    let (f, r) = (
        FixedModel::default().pool(&set).unwrap(),
        RandomModel::default().pool(&set).unwrap(),
    );
    check_row(&out, 4, &f, &r);
}

#[test]
fn layout_errors() {
    let y = [0.1, 0.2, 0.3];
    let v = [0.1, 0.1, 0.1];
    for offsets in [&[][..], &[1, 3], &[0, 2, 1, 3], &[0, 2]] {
        assert!(matches!(
            Analyses::with_offsets(&y, &v, offsets),
            Err(Error::InvalidLayout { .. })
        ));
    }
    assert!(Analyses::with_offsets(&y, &v[..2], &[0, 2]).is_err());
    assert!(Analyses::uniform(&y, &v, 2).is_err());
    assert!(Analyses::uniform(&y, &v, 0).is_err());
    let a = Analyses::uniform(&y, &v, 1).unwrap();
    assert_eq!((a.len(), a.studies()), (3, 3));
    assert_eq!(a.get(2), Some((&y[2..3], &v[2..3])));
    assert_eq!(a.get(3), None);
    let empty = Analyses::<f64>::with_offsets(&[], &[], &[0]).unwrap();
    let mut out = BatchResults::default();
    BatchPooler::default().pool(&empty, &mut out).unwrap();
    assert!(out.is_empty());
}

#[cfg(feature = "rayon")]
#[test]
fn parallel_equals_serial() {
    let mut rng = Rng(7);
    let (y, v, offsets) = random_batch(&mut rng, 20_000);
    let analyses = Analyses::with_offsets(&y, &v, &offsets).unwrap();
    let (mut serial, mut parallel) = (BatchResults::default(), BatchResults::default());
    BatchPooler::default().pool(&analyses, &mut serial).unwrap();
    BatchPooler::default()
        .par_pool(&analyses, &mut parallel)
        .unwrap();
    assert_eq!(serial.len(), parallel.len());
    for i in 0..serial.len() {
        same(serial.random.p[i], parallel.random.p[i], "p", i);
        same(
            serial.fixed.estimate[i],
            parallel.fixed.estimate[i],
            "est",
            i,
        );
        same(
            serial.heterogeneity.tau2[i],
            parallel.heterogeneity.tau2[i],
            "tau2",
            i,
        );
    }
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
    }
}

/// Merged accumulators over disjoint parts agree with the single-analysis API (1e-12
/// relative: a different order of operations, a closed form, so within the 1e-10 standard).
#[test]
fn merged_accumulators_agree_with_single_analysis() {
    let mut rng = Rng(99);
    let (y, v, offsets) = random_batch(&mut rng, 500);
    for a in 0..offsets.len() - 1 {
        let (s, e) = (offsets[a], offsets[a + 1]);
        if e - s < 2 {
            continue;
        }
        let cut = s + (rng.next() * (e - s) as f64) as usize;
        let (mut left, mut right) = (InverseVarianceSums::fixed(), InverseVarianceSums::fixed());
        for i in s..cut {
            left.push(y[i], v[i]).unwrap();
        }
        for i in cut..e {
            right.push(y[i], v[i]).unwrap();
        }
        left.merge(&right);
        let set = EffectSet::from_estimates(&y[s..e], &v[s..e]).unwrap();
        let fixed = FixedModel::default().pool(&set).unwrap();
        let random = RandomModel::default().pool(&set).unwrap();
        assert_eq!(left.k(), e - s);
        assert!(
            rel(left.estimate().unwrap(), fixed.estimate) < 1e-12,
            "analysis {a}"
        );
        assert!(rel(left.se().unwrap(), fixed.se) < 1e-12);
        // Q is a sum of squares about the mean: compared relative to its scale sum w (y - y0)^2
        // would be looser; here it stays well within 1e-10 of metapool's two-pass Q.
        assert!(
            (left.q() - fixed.heterogeneity.q).abs() <= 1e-10 * fixed.heterogeneity.q.max(1.0),
            "analysis {a}: {} vs {}",
            left.q(),
            fixed.heterogeneity.q
        );
        let het = left.heterogeneity().unwrap();
        // tau2 = (Q - df) / C cancels when Q is near df: compared on the scale Q / C.
        let w: Vec<f64> = v[s..e].iter().map(|x| 1.0 / x).collect();
        let sw: f64 = w.iter().sum();
        let c = sw - w.iter().map(|x| x * x).sum::<f64>() / sw;
        let scale = fixed.heterogeneity.q.max(1.0) / c;
        assert!(
            (het.tau2 - random.heterogeneity.tau2).abs() <= 1e-10 * scale,
            "analysis {a}: tau2 {} vs {}",
            het.tau2,
            random.heterogeneity.tau2
        );
        let mut re = InverseVarianceSums::with_tau2(random.heterogeneity.tau2).unwrap();
        for i in s..e {
            re.push(y[i], v[i]).unwrap();
        }
        assert!(rel(re.estimate().unwrap(), random.estimate) < 1e-12);
        assert!(rel(re.se().unwrap(), random.se) < 1e-12);
    }
    assert!(InverseVarianceSums::fixed().estimate().is_err());
    assert!(InverseVarianceSums::with_tau2(-1.0).is_err());
    let mut acc = InverseVarianceSums::fixed();
    assert!(acc.push(0.1, 0.0).is_err());
    assert_eq!(acc.k(), 0);
}

/// Every tau² estimator, including the iterative ones (REML, ML, EB, PM, ...): the batch
/// equals `RandomModel::with_estimator(e).pool` bit for bit, and fails exactly where it fails.
#[test]
fn every_estimator_is_bit_identical() {
    let mut rng = Rng(2024);
    let (y, v, offsets) = random_batch(&mut rng, 400);
    let analyses = Analyses::with_offsets(&y, &v, &offsets).unwrap();
    let mut out = BatchResults::default();
    for e in Tau2Estimator::ALL {
        let pooler = BatchPooler::default()
            .with_estimator(e)
            .with_on_failure(OnFailure::Record);
        pooler.pool(&analyses, &mut out).unwrap();
        let mut failed = out.failures.iter().map(|f| f.0).peekable();
        for i in 0..offsets.len() - 1 {
            let r = offsets[i]..offsets[i + 1];
            let set = EffectSet::from_estimates(&y[r.clone()], &v[r]).unwrap();
            let fixed = FixedModel::default().pool(&set).unwrap();
            match RandomModel::default().with_estimator(e).pool(&set) {
                Ok(random) => {
                    assert_ne!(
                        failed.peek(),
                        Some(&i),
                        "{e:?}: analysis {i} failed in batch"
                    );
                    check_row(&out, i, &fixed, &random);
                }
                Err(_) => assert_eq!(failed.next(), Some(i), "{e:?}: analysis {i}"),
            }
        }
    }
}
