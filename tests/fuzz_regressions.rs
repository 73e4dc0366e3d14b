//! Inputs that crashed a fuzz target (fuzz/), kept as regression tests. Each names the target,
//! what failed, and the fix.

use metapool::inference::chi_square_upper_tail;
use metapool::{EffectSet, FixedModel, ModelRule, RandomModel};

/// fuzz target `pool`, round 1: statrs' `gamma_ur` panics ("XInvalid") when its x is 0, and
/// `chi_square_upper_tail` passed it `q / 2`, which is 0 for the subnormal Q = 5e-324 (two
/// studies 4.1e-162 apart, variances 1 and 2). Fixed in `inference::chi_square_upper_tail` (checked call; 1 when
/// q/2 underflows, 0 for q = inf, NaN never a panic).
#[test]
fn pool_subnormal_q_does_not_panic() {
    let set = EffectSet::from_estimates(&[0.0, 4.1e-162], &[1.0, 2.0]).unwrap();
    let fixed = FixedModel::default().pool(&set).unwrap();
    let q = fixed.heterogeneity.q;
    assert_eq!(q, 5e-324, "Q should be the smallest subnormal");
    assert_eq!(fixed.heterogeneity.q_p, Some(1.0));
    let random = RandomModel::default().pool(&set).unwrap();
    assert_eq!(random.heterogeneity.tau2, 0.0);
    assert!(ModelRule::default().select(&set).is_ok());
}

#[test]
fn chi_square_tail_at_the_edges() {
    assert_eq!(chi_square_upper_tail(5e-324, 1.0), 1.0);
    assert_eq!(chi_square_upper_tail(0.0, 3.0), 1.0);
    assert_eq!(chi_square_upper_tail(-1.0, 3.0), 1.0);
    assert_eq!(chi_square_upper_tail(f64::INFINITY, 3.0), 0.0);
    assert!(chi_square_upper_tail(f64::NAN, 3.0).is_nan());
    assert!(chi_square_upper_tail(1.0, 0.0).is_nan());
    assert!(chi_square_upper_tail(1.0, f64::INFINITY).is_nan());
    assert_eq!(chi_square_upper_tail(1e300, 3.0), 0.0);
}
