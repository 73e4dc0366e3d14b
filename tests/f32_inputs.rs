//! Issue 10, item 9: f32 inputs give the results of the same values converted to f64, bit for
//! bit (the batch path and the effect-size constructors widen exactly and compute in f64).

use metapool::batch::{Analyses, BatchPooler, BatchResults, OnFailure};
use metapool::prelude::*;

fn columns() -> (Vec<f32>, Vec<f32>, Vec<usize>) {
    // a deterministic spread of effects and variances, analyses of 1 to 12 studies
    let (mut y, mut v, mut offsets) = (Vec::new(), Vec::new(), vec![0]);
    let mut state = 0x2545_f491_u32;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as f32 / u32::MAX as f32
    };
    for a in 0..200 {
        for _ in 0..(1 + a % 12) {
            y.push(2.0 * next() - 1.0);
            v.push(0.001 + 0.2 * next());
        }
        offsets.push(y.len());
    }
    (y, v, offsets)
}

fn bits(x: &[f64]) -> Vec<u64> {
    x.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn batch_f32_equals_batch_of_the_widened_values() {
    let (y, v, offsets) = columns();
    let (y64, v64): (Vec<f64>, Vec<f64>) = (
        y.iter().map(|&x| x as f64).collect(),
        v.iter().map(|&x| x as f64).collect(),
    );
    for est in [
        Tau2Estimator::DerSimonianLaird,
        Tau2Estimator::RestrictedMaximumLikelihood,
        Tau2Estimator::PauleMandel,
    ] {
        let pooler = BatchPooler::default()
            .with_estimator(est)
            .with_on_failure(OnFailure::Record);
        let (mut a, mut b) = (BatchResults::default(), BatchResults::default());
        pooler
            .pool(&Analyses::with_offsets(&y, &v, &offsets).unwrap(), &mut a)
            .unwrap();
        pooler
            .pool(
                &Analyses::with_offsets(&y64, &v64, &offsets).unwrap(),
                &mut b,
            )
            .unwrap();
        assert_eq!(bits(&a.fixed.estimate), bits(&b.fixed.estimate), "{est:?}");
        assert_eq!(
            bits(&a.random.estimate),
            bits(&b.random.estimate),
            "{est:?}"
        );
        assert_eq!(bits(&a.random.se), bits(&b.random.se), "{est:?}");
        assert_eq!(
            bits(&a.heterogeneity.tau2),
            bits(&b.heterogeneity.tau2),
            "{est:?}"
        );
        assert_eq!(
            bits(&a.heterogeneity.q),
            bits(&b.heterogeneity.q),
            "{est:?}"
        );
        assert_eq!(a.failures, b.failures);
        // and the single-analysis API on the widened values agrees bit for bit
        for i in (0..offsets.len() - 1)
            .filter(|&i| offsets[i + 1] - offsets[i] > 1)
            .take(20)
        {
            let (s, e) = (offsets[i], offsets[i + 1]);
            let set = EffectSet::from_estimates(&y[s..e], &v[s..e]).unwrap();
            if let Ok(fit) = RandomModel::default().with_estimator(est).pool(&set) {
                assert_eq!(fit.estimate.to_bits(), a.random.estimate[i].to_bits());
            }
        }
    }
}

#[test]
fn constructors_accept_f32() {
    assert_eq!(
        Arm::new(2.5f32, 1.25, 30.0).unwrap(),
        Arm::new(2.5f64, 1.25, 30.0).unwrap()
    );
    assert_eq!(
        TwoByTwo::new(3.0f32, 20.0, 7.0, 21.0).unwrap(),
        TwoByTwo::new(3.0, 20.0, 7.0, 21.0).unwrap()
    );
    let e = Effect::new(0.1f32, 0.02f32).unwrap();
    assert_eq!(e.estimate(), 0.1f32 as f64);
    assert_eq!(
        Correlation::new(0.3f32, 40.0).unwrap(),
        Correlation::new(0.3f32 as f64, 40.0).unwrap()
    );
    assert_eq!(
        Proportion::new(3.0f32, 40.0).unwrap(),
        Proportion::new(3.0, 40.0).unwrap()
    );
    assert!(Effect::new(f32::NAN, 0.1).is_err());
}
