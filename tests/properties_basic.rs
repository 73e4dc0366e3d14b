//! Property tests for the basic invariants of pooling (issue: core crate). 512 cases each.
//! The fuller suite of invariants lives in tests/properties.rs.

use metapool::{effect::*, inference::ConfidenceLevel, pool::*};
use proptest::prelude::*;

fn studies() -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec((-50.0f64..50.0, 1e-3f64..1e2), 1..60)
}

fn set_of(s: &[(f64, f64)]) -> EffectSet {
    let (y, v): (Vec<f64>, Vec<f64>) = s.iter().copied().unzip();
    EffectSet::from_estimates(&y, &v).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn fixed_estimate_within_range(s in studies()) {
        let fit = FixedModel::default().pool(&set_of(&s)).unwrap();
        let lo = s.iter().map(|x| x.0).fold(f64::INFINITY, f64::min);
        let hi = s.iter().map(|x| x.0).fold(f64::NEG_INFINITY, f64::max);
        prop_assert!(fit.estimate >= lo - 1e-12 * lo.abs().max(1.0));
        prop_assert!(fit.estimate <= hi + 1e-12 * hi.abs().max(1.0));
        let r = RandomModel::default().pool(&set_of(&s)).unwrap();
        prop_assert!(r.estimate >= lo - 1e-12 * lo.abs().max(1.0) && r.estimate <= hi + 1e-12 * hi.abs().max(1.0));
    }

    #[test]
    fn permutation_invariance(s in studies(), seed in any::<u64>()) {
        let mut t = s.clone();
        // a deterministic shuffle
        let mut x = seed | 1;
        for i in (1..t.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            t.swap(i, (x % (i as u64 + 1)) as usize);
        }
        for (a, b) in [
            (FixedModel::default().pool(&set_of(&s)).unwrap(), FixedModel::default().pool(&set_of(&t)).unwrap()),
            (RandomModel::default().pool(&set_of(&s)).unwrap(), RandomModel::default().pool(&set_of(&t)).unwrap()),
        ] {
            prop_assert!(close(a.estimate, b.estimate));
            prop_assert!(close(a.se, b.se));
            prop_assert!((a.heterogeneity.q - b.heterogeneity.q).abs() <= 1e-9 * a.heterogeneity.q.max(1.0));
            prop_assert!((a.heterogeneity.tau2 - b.heterogeneity.tau2).abs() <= 1e-9 * a.heterogeneity.tau2.max(1e-6));
        }
    }

    #[test]
    fn heterogeneity_bounds(s in studies()) {
        let set = set_of(&s);
        for fit in [FixedModel::default().pool(&set).unwrap(), RandomModel::default().pool(&set).unwrap()] {
            let h = fit.heterogeneity;
            prop_assert!(h.tau2 >= 0.0);
            prop_assert!(h.i2 >= 0.0 && h.i2 <= 100.0);
            prop_assert!(h.q >= 0.0);
            prop_assert!(h.h2 >= 1.0 - 1e-12 || fit.model == Model::Fixed(FixedMethod::InverseVariance));
            if let Some(p) = h.q_p { prop_assert!((0.0..=1.0).contains(&p)); }
            prop_assert!((0.0..=1.0).contains(&fit.p));
            let total: f64 = fit.weights().iter().sum();
            prop_assert!((total - 100.0).abs() < 1e-9);
        }
    }

    #[test]
    fn random_ci_at_least_as_wide_as_fixed(s in studies()) {
        let set = set_of(&s);
        let f = FixedModel::default().pool(&set).unwrap();
        let r = RandomModel::default().pool(&set).unwrap();
        prop_assert!(r.ci_upper - r.ci_lower >= (f.ci_upper - f.ci_lower) * (1.0 - 1e-12));
    }

    #[test]
    fn rule_picks_random_exactly_when_q_p_below_alpha(s in studies(), alpha in 0.01f64..0.5) {
        let rule = ModelRule::new(alpha).unwrap();
        let sel = rule.select(&set_of(&s)).unwrap();
        let expect = match sel.q_p { Some(p) if p < alpha => ModelChoice::Random, _ => ModelChoice::Fixed };
        prop_assert_eq!(sel.choice, expect);
        prop_assert_eq!(sel.q_p.is_none(), s.len() == 1);
    }
}

#[test]
fn serde_round_trip_of_inputs_and_results() {
    let md = MeanDifference::new(
        Arm::new(1.0, 2.0, 10.0).unwrap(),
        Arm::new(0.5, 1.5, 12.0).unwrap(),
    )
    .unwrap();
    let smd = StandardizedMeanDifference::new(md.arm1, md.arm2)
        .unwrap()
        .with_convention(SmdConvention::Metafor);
    let or = LogOddsRatio::new(TwoByTwo::new(0.0, 10.0, 3.0, 12.0).unwrap());
    let g = Generic::from_se(0.3, 0.1, Scale::Log).unwrap();
    macro_rules! round_trip {
        ($x:expr, $t:ty) => {{
            let json = serde_json::to_string(&$x).unwrap();
            let back: $t = serde_json::from_str(&json).unwrap();
            assert_eq!(back, $x, "{json}");
        }};
    }
    round_trip!(md, MeanDifference);
    round_trip!(smd, StandardizedMeanDifference);
    round_trip!(or, LogOddsRatio);
    round_trip!(g, Generic);
    round_trip!(ConfidenceLevel::new(0.9).unwrap(), ConfidenceLevel);
    let set = EffectSet::from_studies(&[or, or]).unwrap();
    round_trip!(set, EffectSet);
    let sel = ModelRule::default()
        .select(&EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015]).unwrap())
        .unwrap();
    round_trip!(sel, Selection);
    round_trip!(sel.fixed, Pooled);
    // a level outside (0, 1) is rejected when deserialized, not accepted silently
    assert!(serde_json::from_str::<ConfidenceLevel>("1.5").is_err());
}
