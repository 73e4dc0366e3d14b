//! Invariants of multilevel fits (src/multilevel/): the estimate does not depend on the order
//! of the clusters or of the rows within them; the (restricted) log-likelihood at the estimate
//! is at least its value at every point of a grid around it; a variance component on its
//! boundary is exactly 0 and never an error; `M W = I` on whole clusters.

use metapool::multilevel::{Method, MultilevelModel, RandomEffects, SamplingCovariance};
use metapool::regression::ModelMatrix;
use metapool::robust::WorkingModel;
use proptest::prelude::*;

/// Clusters of 1-4 effects: (cluster label, es label, y, v, x).
fn data() -> impl Strategy<Value = Vec<(usize, usize, f64, f64, f64)>> {
    (4usize..14, any::<u64>()).prop_flat_map(|(m, _)| {
        proptest::collection::vec(
            (
                1usize..5,
                -1.0f64..1.0,
                0.005f64..0.2,
                -2.0f64..2.0,
                -0.5f64..0.5,
            ),
            m,
        )
        .prop_map(|clusters| {
            let mut rows = Vec::new();
            for (c, (n, u, v, x, w)) in clusters.into_iter().enumerate() {
                for e in 0..n {
                    let noise = ((c * 7 + e * 13) % 11) as f64 / 11.0 - 0.5;
                    rows.push((c, e, u * 0.4 + w * noise + 0.1 * x, v, x + e as f64 * 0.3));
                }
            }
            rows
        })
    })
}

fn fit(
    rows: &[(usize, usize, f64, f64, f64)],
    method: Method,
) -> metapool::multilevel::MultilevelFit {
    let cl: Vec<String> = rows.iter().map(|r| r.0.to_string()).collect();
    let es: Vec<String> = rows.iter().map(|r| r.1.to_string()).collect();
    let y: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let v: Vec<f64> = rows.iter().map(|r| r.3).collect();
    let x: Vec<f64> = rows.iter().map(|r| r.4).collect();
    let re = RandomEffects::nested(&[("cl", &cl[..]), ("es", &es[..])]).unwrap();
    let vm = SamplingCovariance::constant_correlation(&v, &cl, 0.3).unwrap();
    let xm = ModelMatrix::new(
        vec!["intrcpt".into(), "x".into()],
        vec![vec![1.0; y.len()], x],
    )
    .unwrap();
    MultilevelModel::new(method).fit(&y, &vm, &re, &xm).unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn invariant_to_cluster_and_row_order(rows in data(), reml in any::<bool>()) {
        let method = if reml { Method::RestrictedMaximumLikelihood } else { Method::MaximumLikelihood };
        let a = fit(&rows, method);
        let mut rev = rows.clone();
        rev.reverse();
        let b = fit(&rev, method);
        prop_assert!(close(a.fit_statistics().loglik, b.fit_statistics().loglik, 1e-10));
        for (ca, cb) in a.components().iter().zip(b.components()) {
            prop_assert!(close(ca.estimate, cb.estimate, 1e-6), "{ca:?} {cb:?}");
        }
        for (ca, cb) in a.coefficients().iter().zip(b.coefficients()) {
            prop_assert!(close(ca.estimate, cb.estimate, 1e-6));
        }
    }

    #[test]
    fn the_estimate_maximises_the_likelihood_on_a_grid(rows in data(), reml in any::<bool>()) {
        let method = if reml { Method::RestrictedMaximumLikelihood } else { Method::MaximumLikelihood };
        let f = fit(&rows, method);
        let best = f.fit_statistics().loglik;
        let est: Vec<f64> = f.components().iter().map(|c| c.estimate).collect();
        for a in [0.0, 0.5, 0.9, 1.1, 2.0] {
            for b in [0.0, 0.5, 0.9, 1.1, 2.0] {
                let at = [est[0] * a + 1e-3 * (a - 1.0).abs(), est[1] * b + 1e-3 * (b - 1.0).abs()];
                let ll = f.log_likelihood_at(&at).unwrap();
                prop_assert!(ll <= best + 1e-10 * best.abs().max(1.0), "{at:?}: {ll} > {best}");
            }
        }
        // Kuhn-Tucker: a component at 0 has a non-positive slope there
        for (q, c) in f.components().iter().enumerate() {
            prop_assert!(c.estimate >= 0.0);
            if c.estimate == 0.0 {
                let mut at = est.clone();
                at[q] = 1e-7;
                prop_assert!(f.log_likelihood_at(&at).unwrap() <= best + 1e-12 * best.abs().max(1.0));
            }
        }
    }

    #[test]
    fn weights_invert_the_marginal_covariance_on_whole_clusters(rows in data()) {
        let f = fit(&rows, Method::RestrictedMaximumLikelihood);
        let c0: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].0 == 0).collect();
        let c1: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].0 == 1).collect();
        let both: Vec<usize> = c1.iter().chain(&c0).copied().collect();
        let m = f.marginal_covariance(&both);
        let w = f.weights(&both).unwrap();
        let e = (&m * &w) - nalgebra::DMatrix::<f64>::identity(both.len(), both.len());
        prop_assert!(e.abs().max() < 1e-8);
        if c0.len() > 1 {
            prop_assert!(f.weights(&c0[..1]).is_none());
        }
    }
}

#[test]
fn identical_effects_put_every_component_on_the_boundary() {
    let rows: Vec<(usize, usize, f64, f64, f64)> = (0..12)
        .map(|i| (i / 3, i % 3, 0.25, 0.01 + 0.001 * i as f64, (i % 4) as f64))
        .collect();
    let rows: Vec<_> = rows
        .into_iter()
        .map(|r| (r.0, r.1, 0.25 + 0.0 * r.4, r.3, r.4))
        .collect();
    for method in [
        Method::RestrictedMaximumLikelihood,
        Method::MaximumLikelihood,
    ] {
        let f = fit(&rows, method);
        assert!(
            f.components()
                .iter()
                .all(|c| c.estimate == 0.0 && c.on_boundary),
            "{:?}",
            f.components()
        );
        assert_eq!(f.stop().name(), "all_on_boundary");
    }
}

#[test]
fn clusters_of_one_effect_leave_the_split_of_the_variance_unidentified_but_fit() {
    // every cluster holds one effect: only sigma2.1 + sigma2.2 is identified
    let rows: Vec<(usize, usize, f64, f64, f64)> = (0..15)
        .map(|i| {
            let fi = i as f64;
            (
                i,
                0,
                0.3 * (1.3 * fi).sin() + 0.1,
                0.01 + 0.002 * fi,
                (0.7 * fi).cos(),
            )
        })
        .collect();
    for method in [
        Method::RestrictedMaximumLikelihood,
        Method::MaximumLikelihood,
    ] {
        let f = fit(&rows, method);
        let total: f64 = f.components().iter().map(|c| c.estimate).sum();
        let best = f.fit_statistics().loglik;
        // the sum is the one-level estimate: moving it lowers the likelihood
        for s in [0.9, 1.1] {
            let ll = f.log_likelihood_at(&[total * s, 0.0]).unwrap();
            assert!(ll <= best + 1e-12 * best.abs());
        }
        let split = f.log_likelihood_at(&[total * 0.3, total * 0.7]).unwrap();
        assert!(
            (split - best).abs() <= 1e-9 * best.abs().max(1.0),
            "{split} vs {best}"
        );
    }
}
