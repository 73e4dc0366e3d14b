//! Property-based invariants of the meta-regression (issue 12), over generated studies (k from
//! 5 to 40, variances log-uniform over 1e-3..1e1, one to three moderators):
//! - the p-column QR path equals the closed-form one-moderator path that Egger's regression
//!   test uses (`bias::regression_test` with a meta-regression on the standard error): slope,
//!   its SE and z, the limit estimate and tau², for DL, REML and FE;
//! - the fit does not depend on the order of the studies;
//! - `predict` at a study's own row is its fitted value;
//! - bounds: tau² >= 0, 0 <= I² < 100, H² >= 1, every p in [0, 1].
//!
//! Tolerance: 1e-9 relative (two algorithms, both at a few ulps of well-scaled sums; the
//! iterative estimators stop at the same Fisher-scoring step).

use metapool::bias::{regression_test, EggerModel};
use metapool::effect::Scale;
use metapool::regression::{MetaRegression, ModelMatrix};
use metapool::{
    effect::EffectSet, pool::FixedModel, pool::RandomModel, pool::Tau2Control, pool::Tau2Estimator,
};
use proptest::prelude::*;
use proptest::test_runner::Config;

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(scale)
}

fn studies() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, Vec<Vec<f64>>)> {
    (5usize..40, 1usize..4).prop_flat_map(|(k, m)| {
        (
            prop::collection::vec(-2.0f64..2.0, k),
            prop::collection::vec(-3.0f64..1.0, k),
            prop::collection::vec(prop::collection::vec(-5.0f64..5.0, k), m),
        )
            .prop_map(|(y, lv, x)| (y, lv.iter().map(|l| 10f64.powf(*l)).collect(), x))
    })
}

fn matrix(x: &[Vec<f64>]) -> ModelMatrix {
    let k = x[0].len();
    let mut names = vec!["intrcpt".to_string()];
    let mut cols = vec![vec![1.0; k]];
    for (j, c) in x.iter().enumerate() {
        names.push(format!("x{j}"));
        cols.push(c.clone());
    }
    ModelMatrix::new(names, cols).unwrap()
}

proptest! {
    #![proptest_config(Config::with_cases(300))]

    #[test]
    fn equals_the_one_moderator_path_of_eggers_test((y, v, _) in studies()) {
        let set = EffectSet::from_estimates(&y, &v).unwrap();
        let se: Vec<f64> = v.iter().map(|v| v.sqrt()).collect();
        let x = matrix(&[se]);
        // both paths stop Fisher scoring at the root itself (at metafor's threshold, rounding
        // differences between the two algorithms could change the step count near a stop)
        let tight = Tau2Control::default()
            .with_threshold(1e-13)
            .unwrap()
            .with_max_iterations(10_000)
            .unwrap();
        for (egger, reg) in [
            (EggerModel::MetaRegression(FixedModel::default().into()), MetaRegression::fixed()),
            (
                EggerModel::MetaRegression(RandomModel::default().into()),
                MetaRegression::random(Tau2Estimator::DerSimonianLaird),
            ),
            (
                EggerModel::MetaRegression(
                    RandomModel::default()
                        .with_estimator(Tau2Estimator::RestrictedMaximumLikelihood)
                        .with_control(tight)
                        .into(),
                ),
                MetaRegression::random(Tau2Estimator::RestrictedMaximumLikelihood)
                    .with_control(tight),
            ),
        ] {
            let fixed = reg == MetaRegression::fixed();
            let (Ok(e), Ok(f)) = (regression_test(&set, egger), reg.fit(&set, &x)) else {
                // a random-effects fit may fail to converge; the fixed-effects one never does
                prop_assert!(!fixed, "the fixed-effects paths failed");
                continue;
            };
            let c = f.coefficients();
            let vmin = v.iter().fold(f64::INFINITY, |m, v| m.min(*v));
            prop_assert!(close(f.residual().tau2, e.tau2, vmin), "tau2 {} vs {}", f.residual().tau2, e.tau2);
            prop_assert!(close(c[1].estimate, e.slope, c[1].se), "slope {} vs {}", c[1].estimate, e.slope);
            prop_assert!(close(c[1].se, e.slope_se, 0.0));
            prop_assert!(close(c[1].statistic, e.statistic, 1.0));
            prop_assert!(close(c[0].estimate, e.limit.estimate, c[0].se));
        }
    }

    #[test]
    fn order_invariance_fitted_values_and_bounds((y, v, x) in studies()) {
        let xm = matrix(&x);
        // Fisher scoring stops within its threshold of the root; reordering the studies changes
        // the rounding and so, near a stop, the step count: a tight threshold makes both runs
        // converge to the root itself
        let control = Tau2Control::default()
            .with_threshold(1e-13)
            .unwrap()
            .with_max_iterations(10_000)
            .unwrap();
        let model = MetaRegression::random(Tau2Estimator::RestrictedMaximumLikelihood)
            .with_control(control);
        let Ok(f) = model.fit_values(&y, &v, &xm, Scale::Identity) else {
            return Ok(()); // e.g. an ill-conditioned draw: a typed error, checked elsewhere
        };
        // reversed study order
        let rev = |a: &[f64]| a.iter().rev().copied().collect::<Vec<f64>>();
        let xr: Vec<Vec<f64>> = x.iter().map(|c| rev(c)).collect();
        let g = model.fit_values(&rev(&y), &rev(&v), &matrix(&xr), Scale::Identity).unwrap();
        for (a, b) in f.coefficients().iter().zip(g.coefficients()) {
            prop_assert!(close(a.estimate, b.estimate, a.se), "{} vs {}", a.estimate, b.estimate);
            prop_assert!(close(a.se, b.se, 0.0));
        }
        prop_assert!(
            // tau² near 0 is compared on the scale of the sampling variances
            close(
                f.residual().tau2,
                g.residual().tau2,
                v.iter().fold(f64::INFINITY, |m, v| m.min(*v))
            ),
            "tau2 {} vs {}",
            f.residual().tau2,
            g.residual().tau2
        );
        // predict at a study's own row is its fitted value
        let fitted = f.fitted();
        for (i, fi) in fitted.iter().enumerate() {
            let row: Vec<f64> = (0..xm.p()).map(|j| xm.get(i, j)).collect();
            prop_assert!(close(f.predict(&row).unwrap().estimate, *fi, 1e-12));
        }
        let r = f.residual();
        prop_assert!(r.tau2 >= 0.0 && r.i2 >= 0.0 && r.i2 < 100.0 && r.h2 >= 1.0);
        let mut ps = vec![r.p, f.moderator_test().p];
        ps.extend(f.coefficients().iter().map(|c| c.p));
        prop_assert!(ps.iter().all(|p| (0.0..=1.0).contains(p)), "{ps:?}");
    }
}
