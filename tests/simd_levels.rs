//! The batch path on every SIMD level this CPU has (`SimdLevel::available`): bit for bit the
//! same on every level, and the same as the single-analysis API (`FixedModel::pool`,
//! `RandomModel::pool`), for analyses of a few studies (pooled several at a time in SIMD lanes)
//! and of many, with invalid studies among them, under DerSimonian-Laird and exact REML.

use metapool::batch::{Analyses, BatchPooler, BatchResults, OnFailure, SimdLevel};
use metapool::{effect::EffectSet, pool::FixedModel, pool::RandomModel, pool::Tau2Estimator};
use proptest::prelude::*;

/// The bits of every column of a batch's results, for exact comparison (NaN included).
fn bits(out: &BatchResults) -> Vec<Vec<u64>> {
    let mut cols = vec![out.k.iter().map(|&k| k as u64).collect::<Vec<_>>()];
    for w in [&out.fixed, &out.random] {
        for c in [&w.estimate, &w.se, &w.ci_lower, &w.ci_upper, &w.z, &w.p] {
            cols.push(c.iter().map(|x| x.to_bits()).collect());
        }
    }
    let h = &out.heterogeneity;
    for c in [&h.q, &h.i2, &h.h2, &h.tau2] {
        cols.push(c.iter().map(|x| x.to_bits()).collect());
    }
    cols.push(h.q_p.iter().map(|p| p.map_or(1, f64::to_bits)).collect());
    cols.push(out.tau2_iterations.iter().map(|&i| i as u64).collect());
    cols
}

/// One study: an effect around `mu` and a variance over six orders of magnitude; now and then
/// an invalid one (zero or negative variance, non-finite effect).
fn study() -> impl Strategy<Value = (f64, f64)> {
    prop_oneof![
        20 => (-3.0f64..3.0, -4.0f64..2.0).prop_map(|(y, e)| (y, 10f64.powf(e))),
        1 => Just((0.5, 0.0)),
        1 => Just((f64::NAN, 0.1)),
        1 => Just((0.2, -1.0)),
    ]
}

/// `n` analyses of `k` studies each, row-major; each analysis shifted by its own mean (far
/// from 0 in some) and spread.
fn batch() -> impl Strategy<Value = (usize, Vec<f64>, Vec<f64>)> {
    (1usize..=20, 1usize..=27).prop_flat_map(|(k, n)| {
        (
            Just(k),
            prop::collection::vec((study(), -1e3f64..1e3, 0.0f64..2.0), k * n),
        )
            .prop_map(|(k, s)| {
                let (mut y, mut v) = (Vec::new(), Vec::new());
                for (i, ((yi, vi), shift, spread)) in s.into_iter().enumerate() {
                    let a = i / k;
                    let mu = if a % 5 == 0 { shift } else { shift * 1e-3 };
                    y.push(mu + spread * yi);
                    v.push(vi);
                }
                (k, y, v)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_level_gives_the_single_analysis_bits((k, y, v) in batch()) {
        let analyses = Analyses::uniform(&y, &v, k).unwrap();
        for estimator in [Tau2Estimator::DerSimonianLaird, Tau2Estimator::RestrictedMaximumLikelihood] {
            let pooler = BatchPooler::default()
                .with_estimator(estimator)
                .with_on_failure(OnFailure::Record);
            let mut reference = BatchResults::default();
            pooler.with_simd(SimdLevel::Baseline).pool(&analyses, &mut reference).unwrap();
            for level in SimdLevel::available() {
                let mut out = BatchResults::default();
                pooler.with_simd(level).pool(&analyses, &mut out).unwrap();
                prop_assert_eq!(bits(&out), bits(&reference), "{:?} vs baseline", level);
                prop_assert_eq!(&out.failures.iter().map(|f| f.0).collect::<Vec<_>>(),
                    &reference.failures.iter().map(|f| f.0).collect::<Vec<_>>());
            }
            // the single-analysis API, analysis by analysis
            single_analysis_bits(k, &y, &v, estimator, &reference)?;
        }
    }

    /// f32 columns, widened exactly, give the bits of their f64 copies on every level.
    #[test]
    fn f32_columns_on_every_level((k, y, v) in batch()) {
        let (y32, v32): (Vec<f32>, Vec<f32>) = (y.iter().map(|&x| x as f32).collect(), v.iter().map(|&x| x as f32).collect());
        let (y64, v64): (Vec<f64>, Vec<f64>) = (y32.iter().map(|&x| f64::from(x)).collect(), v32.iter().map(|&x| f64::from(x)).collect());
        let mut reference = BatchResults::default();
        BatchPooler::default().with_simd(SimdLevel::Baseline)
            .pool(&Analyses::uniform(&y64, &v64, k).unwrap(), &mut reference).unwrap();
        for level in SimdLevel::available() {
            let mut out = BatchResults::default();
            BatchPooler::default().with_simd(level)
                .pool(&Analyses::uniform(&y32, &v32, k).unwrap(), &mut out).unwrap();
            prop_assert_eq!(bits(&out), bits(&reference), "{:?}", level);
        }
    }
}

/// The estimators the exact solver runs in lanes (a group of 8 analyses of `k <= 16` studies).
const EXACT: [Tau2Estimator; 5] = [
    Tau2Estimator::RestrictedMaximumLikelihood,
    Tau2Estimator::MaximumLikelihood,
    Tau2Estimator::EmpiricalBayes,
    Tau2Estimator::PauleMandel,
    Tau2Estimator::PauleMandelMedian,
];

/// A batch on every level, against the baseline and the single-analysis API, bit for bit.
fn check_levels(
    k: usize,
    y: &[f64],
    v: &[f64],
    estimator: Tau2Estimator,
) -> Result<BatchResults, TestCaseError> {
    let analyses = Analyses::uniform(y, v, k).unwrap();
    let pooler = BatchPooler::default()
        .with_estimator(estimator)
        .with_on_failure(OnFailure::Record);
    let mut reference = BatchResults::default();
    pooler
        .with_simd(SimdLevel::Baseline)
        .pool(&analyses, &mut reference)
        .unwrap();
    for level in SimdLevel::available() {
        let mut out = BatchResults::default();
        pooler.with_simd(level).pool(&analyses, &mut out).unwrap();
        prop_assert_eq!(bits(&out), bits(&reference), "{:?} vs baseline", level);
    }
    single_analysis_bits(k, y, v, estimator, &reference)?;
    Ok(reference)
}

/// Valid analyses only (so that every group of 8 goes through the lanes): `n >= 8` analyses of
/// `2..=16` studies, some with one common effect (tau² = 0 at the boundary), some with equal
/// variances (the start is the root), variances over six orders of magnitude.
fn valid_batch() -> impl Strategy<Value = (usize, Vec<f64>, Vec<f64>)> {
    (2usize..=16, 8usize..=20).prop_flat_map(|(k, n)| {
        (
            Just(k),
            prop::collection::vec((-3.0f64..3.0, -4.0f64..2.0), k * n),
            prop::collection::vec((0u8..4, -1e3f64..1e3), n),
        )
            .prop_map(|(k, s, kind)| {
                let (mut y, mut v) = (Vec::new(), Vec::new());
                for (i, (yi, e)) in s.into_iter().enumerate() {
                    let (form, shift) = kind[i / k];
                    y.push(shift + if form == 0 { 0.25 } else { yi });
                    v.push(if form == 1 { 0.04 } else { 10f64.powf(e) });
                }
                (k, y, v)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Groups of valid analyses through the exact solver in lanes: every level and the
    /// single-analysis API agree bit for bit, the solver's evaluations included.
    #[test]
    fn the_exact_solver_in_lanes_gives_the_single_analysis_bits((k, y, v) in valid_batch()) {
        for estimator in EXACT {
            check_levels(k, &y, &v, estimator)?;
        }
    }
}

/// One group of 8 analyses of 5 studies side by side in lanes: at the boundary (one common
/// effect), one whose start is the root (equal variances: DerSimonian-Laird is REML), slow
/// ones (variances far apart), one whose fixed-effect sums overflow and one whose estimating
/// equation is NaN at 0 (both fail, alone as in the group); then the same group with an invalid
/// study (pooled one at a time).
#[test]
fn a_lane_group_mixes_boundary_quick_slow_and_failing_analyses() {
    let k = 5;
    let groups: [([f64; 5], [f64; 5]); 8] = [
        ([0.3; 5], [0.01, 0.02, 0.05, 0.1, 0.2]),
        ([0.1, 0.9, -0.4, 0.3, 0.6], [0.04; 5]),
        ([0.1, 2.9, -1.4, 0.3, 0.6], [1e-4, 10.0, 0.02, 3.0, 1e-3]),
        ([1e-3, -2.0, 5.0, 0.0, 0.7], [50.0, 1e-4, 2e-4, 0.3, 1e-2]),
        ([0.1, 0.2, 0.3, 0.4, 0.5], [1e-310, 0.1, 0.1, 0.1, 0.1]),
        ([0.1, 0.2, 0.3, 0.4, 0.5], [1e-200; 5]),
        ([-1.0, 1.0, -1.0, 1.0, 3.0], [0.5, 0.01, 0.2, 0.02, 0.3]),
        ([0.2, 0.21, 0.19, 0.2, 0.22], [0.1, 0.2, 0.3, 0.05, 0.07]),
    ];
    let y: Vec<f64> = groups.iter().flat_map(|g| g.0).collect();
    let v: Vec<f64> = groups.iter().flat_map(|g| g.1).collect();
    // the failures of each estimator (REML first)
    let run = |y: &[f64], v: &[f64]| -> Vec<Vec<usize>> {
        EXACT
            .iter()
            .map(|&e| {
                let out = check_levels(k, y, v, e).unwrap();
                out.failures.iter().map(|f| f.0).collect()
            })
            .collect()
    };
    let failed = run(&y, &v);
    // REML's y'PPy - tr P is inf - inf at variances 1e-200 (ML's y'PPy - sum w is inf, and
    // y'Py - target finite)
    assert_eq!(failed, [vec![4, 5], vec![4], vec![4], vec![4], vec![4]]);
    let reml = check_levels(k, &y, &v, Tau2Estimator::RestrictedMaximumLikelihood).unwrap();
    let h = &reml.heterogeneity;
    assert_eq!(h.tau2[0], 0.0);
    assert!(h.tau2[2] > 0.0 && h.tau2[3] > 0.0);
    // evaluations: the boundary lane scans the grid only; the quick lane's first Newton
    // evaluation is at the root; the slow ones take more
    let its = &reml.tau2_iterations;
    assert!(its[1] < its[2] && its[1] < its[3], "{its:?}");
    // an invalid study in analysis 6: the group is pooled one at a time, the same bits
    let mut v_bad = v.clone();
    v_bad[6 * k + 2] = 0.0;
    let bad = run(&y, &v_bad);
    assert_eq!(bad[0], vec![4, 5, 6]);
}

/// `METAPOOL_SIMD` and the CPU decide what `Detect` means; it is always one of the levels the
/// CPU has, and an unavailable level is an error, not a crash.
#[test]
fn detect_resolves_to_an_available_level() {
    let levels = SimdLevel::available();
    assert!(levels.contains(&SimdLevel::Detect.resolved()));
    let (y, v) = ([0.1, 0.3], [0.01, 0.02]);
    let analyses = Analyses::uniform(&y, &v, 2).unwrap();
    for level in [SimdLevel::Avx2, SimdLevel::Avx512] {
        let mut out = BatchResults::default();
        let r = BatchPooler::default()
            .with_simd(level)
            .pool(&analyses, &mut out);
        assert_eq!(r.is_ok(), levels.contains(&level));
    }
}

/// The p-value of Q in SIMD lanes at the edges of its closed forms: Q = 0, subnormal Q (whose
/// half underflows), Q either side of 1400 (where the closed forms hand over to the incomplete
/// gamma function) and far beyond, all in one group of 8 analyses: the bits of the
/// single-analysis API on every level.
#[test]
fn q_test_edges_in_lanes() {
    // k = 2, v = 0.5 each, y = (0, d): Q = d^2
    let d = [
        0.0,
        1e-160,
        1e-155,
        0.3,
        1399.9f64.sqrt(),
        1400.1f64.sqrt(),
        50.0,
        1e3,
    ];
    let y: Vec<f64> = d.iter().flat_map(|&d| [0.0, d]).collect();
    let v = vec![0.5; y.len()];
    let analyses = Analyses::uniform(&y, &v, 2).unwrap();
    for level in SimdLevel::available() {
        let mut out = BatchResults::default();
        BatchPooler::default()
            .with_simd(level)
            .pool(&analyses, &mut out)
            .unwrap();
        for (a, &d) in d.iter().enumerate() {
            let set = EffectSet::from_estimates(&[0.0, d], &[0.5, 0.5]).unwrap();
            let one = RandomModel::default().pool(&set).unwrap().heterogeneity;
            assert_eq!(
                out.heterogeneity.q[a].to_bits(),
                one.q.to_bits(),
                "{level:?} d = {d}"
            );
            assert_eq!(
                out.heterogeneity.q_p[a].map(f64::to_bits),
                one.q_p.map(f64::to_bits),
                "{level:?} d = {d}"
            );
        }
        // independent values: Q = 0 has p = 1; Q = d^2 on 1 df has p = erfc(d / sqrt 2),
        // at d = 0.3 (mpmath, 30 digits) 0.764177155622094725
        assert_eq!(out.heterogeneity.q_p[0], Some(1.0));
        let p = out.heterogeneity.q_p[3].unwrap();
        assert!((p - 0.764_177_155_622_094_7).abs() < 1e-15, "{p}");
    }
}

/// Every analysis of a batch against the single-analysis API (`FixedModel::pool`,
/// `RandomModel::pool` with `estimator`), bit for bit, the iterations of tau² included; an
/// analysis fails in the batch exactly when it fails alone.
fn single_analysis_bits(
    k: usize,
    y: &[f64],
    v: &[f64],
    estimator: Tau2Estimator,
    reference: &BatchResults,
) -> Result<(), TestCaseError> {
    let analyses = Analyses::uniform(y, v, k).unwrap();
    let mut failed = reference.failures.iter().map(|f| f.0).peekable();
    for a in 0..analyses.len() {
        let r = a * k..(a + 1) * k;
        let one = EffectSet::from_estimates(&y[r.clone()], &v[r])
            .and_then(|set| Ok((FixedModel::default().pool(&set)?, set)))
            .and_then(|(fixed, set)| {
                Ok((
                    fixed,
                    RandomModel::default()
                        .with_estimator(estimator)
                        .pool(&set)?,
                ))
            });
        match one {
            Ok((fixed, random)) => {
                prop_assert_ne!(failed.peek(), Some(&a));
                for (w, fit) in [(&reference.fixed, &fixed), (&reference.random, &random)] {
                    prop_assert_eq!(w.estimate[a].to_bits(), fit.estimate.to_bits());
                    prop_assert_eq!(w.se[a].to_bits(), fit.se.to_bits());
                    prop_assert_eq!(w.ci_lower[a].to_bits(), fit.ci_lower.to_bits());
                    prop_assert_eq!(w.ci_upper[a].to_bits(), fit.ci_upper.to_bits());
                    prop_assert_eq!(w.z[a].to_bits(), fit.statistic.to_bits());
                    prop_assert_eq!(w.p[a].to_bits(), fit.p.to_bits());
                }
                let (h, rh) = (&reference.heterogeneity, &random.heterogeneity);
                prop_assert_eq!(h.q[a].to_bits(), rh.q.to_bits());
                prop_assert_eq!(h.q_p[a].map(f64::to_bits), rh.q_p.map(f64::to_bits));
                prop_assert_eq!(h.i2[a].to_bits(), rh.i2.to_bits());
                prop_assert_eq!(h.h2[a].to_bits(), rh.h2.to_bits());
                prop_assert_eq!(h.tau2[a].to_bits(), rh.tau2.to_bits());
            }
            Err(_) => prop_assert_eq!(failed.next(), Some(a), "analysis {} should fail", a),
        }
    }
    Ok(())
}
