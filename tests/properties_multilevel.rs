//! Invariants of multilevel fits (src/multilevel/): the estimate does not depend on the order
//! of the clusters or of the rows within them; the (restricted) log-likelihood at the estimate
//! is at least its value at every point of a grid around it; a variance component on its
//! boundary is exactly 0 and never an error; `M W = I` on whole clusters.

use metapool::multilevel::{
    Method, MultilevelModel, RandomEffects, SamplingCovariance, VarianceStop,
};
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

/// The same data under crossed random intercepts: `terms` are lists of label columns (0: the
/// cluster, 1: the cluster's effect id made unique per row, 2: a lab `cluster % 3` shared across
/// clusters).
fn fit_crossed(
    rows: &[(usize, usize, f64, f64, f64)],
    terms: &[&[usize]],
) -> metapool::multilevel::MultilevelFit {
    let cols: [Vec<String>; 3] = [
        rows.iter().map(|r| r.0.to_string()).collect(),
        rows.iter().map(|r| format!("{}.{}", r.0, r.1)).collect(),
        rows.iter().map(|r| format!("lab{}", r.0 % 3)).collect(),
    ];
    let names = ["cl", "row", "lab"];
    let specs: Vec<Vec<(&str, &[String])>> = terms
        .iter()
        .map(|t| t.iter().map(|&c| (names[c], &cols[c][..])).collect())
        .collect();
    let refs: Vec<&[(&str, &[String])]> = specs.iter().map(|t| t.as_slice()).collect();
    let re = RandomEffects::crossed(&refs).unwrap();
    let y: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let v: Vec<f64> = rows.iter().map(|r| r.3).collect();
    let x: Vec<f64> = rows.iter().map(|r| r.4).collect();
    let vm = SamplingCovariance::diagonal(&v).unwrap();
    let xm = ModelMatrix::new(
        vec!["intrcpt".into(), "x".into()],
        vec![vec![1.0; y.len()], x],
    )
    .unwrap();
    MultilevelModel::default().fit(&y, &vm, &re, &xm).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A crossed term whose groups are single rows is the nested model `cl/es`; the order of
    /// crossed terms only reorders the variance components.
    #[test]
    fn crossed_terms_nest_and_commute(rows in data()) {
        let crossed = fit_crossed(&rows, &[&[0], &[1]]);
        let nested = fit_crossed(&rows, &[&[0, 1]]);
        for (a, b) in crossed.sigma2().iter().zip(nested.sigma2()) {
            prop_assert!(close(*a, b, 1e-6), "{a} vs {b}");
        }
        prop_assert!(close(crossed.fit_statistics().loglik, nested.fit_statistics().loglik, 1e-10));
        let ab = fit_crossed(&rows, &[&[0], &[2]]);
        let ba = fit_crossed(&rows, &[&[2], &[0]]);
        prop_assert!(close(ab.sigma2()[0], ba.sigma2()[1], 1e-6) && close(ab.sigma2()[1], ba.sigma2()[0], 1e-6));
        prop_assert!(close(ab.coefficients()[1].estimate, ba.coefficients()[1].estimate, 1e-6));
        prop_assert!(close(ab.fit_statistics().loglik, ba.fit_statistics().loglik, 1e-10));
    }
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

/// A ridge on which Fisher scoring zig-zagged for 2,000 steps (found by
/// `crossed_terms_nest_and_commute`); metafor's nlminb stops with "did not achieve convergence"
/// on it. Newton on the observed information converges in a few steps. Reference: metafor 3.8-1
/// `rma.mv(y, v, mods = ~ x, random = list(~ 1 | cl, ~ 1 | lab), control = list(optimizer =
/// "optim", optmethod = "BFGS", reltol = 1e-15))`: sigma2 0.0151739476705, 0.0179884730289, logLik
/// 0.150674645770444 (metafor's logLik at metapool's estimate: 0.150674645770451).
#[test]
fn a_ridge_where_fisher_scoring_zigzagged_converges() {
    let cl = [
        "0", "0", "0", "0", "1", "2", "2", "3", "4", "4", "4", "5", "6", "6", "6", "6",
    ];
    let lab = [
        "lab0", "lab0", "lab0", "lab0", "lab1", "lab2", "lab2", "lab0", "lab1", "lab1", "lab1",
        "lab2", "lab0", "lab0", "lab0", "lab0",
    ];
    let y = [
        -0.6807289671371062,
        -0.600296387378655,
        -0.5198638076202038,
        -0.43943122786175265,
        0.23816848990493839,
        -0.05318553660218778,
        0.009502822293534885,
        -0.3078742256075841,
        0.20629509301106824,
        0.14490061216590877,
        0.08350613132074931,
        0.343389605864881,
        0.01072117567898026,
        0.01072117567898026,
        0.01072117567898026,
        0.01072117567898026,
    ];
    let v = [
        0.1974580607392366,
        0.1974580607392366,
        0.1974580607392366,
        0.1974580607392366,
        0.08634539101892455,
        0.08148991997059207,
        0.08148991997059207,
        0.08659378097968137,
        0.0202250516777542,
        0.0202250516777542,
        0.0202250516777542,
        0.13190171895492914,
        0.07422190502754164,
        0.07422190502754164,
        0.07422190502754164,
        0.07422190502754164,
    ];
    let x = vec![
        -0.637481573785553,
        -0.33748157378555305,
        -0.03748157378555306,
        0.2625184262144469,
        -1.6811324487420003,
        -1.9325858680630044,
        -1.6325858680630043,
        1.9551942594760423,
        -0.9261104028583679,
        -0.6261104028583679,
        -0.3261104028583679,
        1.072450814507006,
        -1.6452638888188513,
        -1.3452638888188513,
        -1.0452638888188512,
        -0.7452638888188514,
    ];
    let re = RandomEffects::crossed(&[&[("cl", &cl[..])], &[("lab", &lab[..])]]).unwrap();
    let xm = ModelMatrix::new(
        vec!["intrcpt".into(), "x".into()],
        vec![vec![1.0; y.len()], x],
    )
    .unwrap();
    let vm = SamplingCovariance::diagonal(&v).unwrap();
    let fit = MultilevelModel::default().fit(&y, &vm, &re, &xm).unwrap();
    assert!(
        matches!(fit.stop(), VarianceStop::Converged { iterations, .. } if iterations < 50),
        "{:?}",
        fit.stop()
    );
    for (got, want) in fit.sigma2().iter().zip([0.0151739476705, 0.0179884730289]) {
        assert!((got - want).abs() < 1e-6 * want, "{got} vs {want}");
    }
    assert!(fit.fit_statistics().loglik >= 0.150674645770444 - 1e-14);
}
