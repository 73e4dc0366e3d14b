//! Invariants of cluster-robust inference (proptest) and its bad-input errors.
//!
//! - CR1 with every effect its own cluster is the HC1-type sandwich
//!   `k/(k-p) B (Σ_i w_i² e_i² x_i x_i') B`, computed here directly from the fit's `(X'WX)^{-1}`.
//! - CR2 with every effect its own cluster (diagonal working model) is the HC2-type sandwich
//!   `B (Σ_i w_i² e_i² / (1 - h_ii) x_i x_i') B`, `h_ii = w_i x_i' B x_i`.
//! - Renaming the clusters or reordering the labels' first appearance changes nothing.

use metapool::effect::EffectSet;
use metapool::regression::{MetaRegression, ModelMatrix, Moderators, RegressionFit};
use metapool::robust::{ClusterProblem, ClusterRobust, Clusters, RobustVariance, WorkingModel};
use metapool::Error;
use nalgebra::DMatrix;
use proptest::prelude::*;

fn fit_of(y: &[f64], v: &[f64], x1: &[f64]) -> Option<RegressionFit> {
    let set = EffectSet::from_estimates(y, v).ok()?;
    let x = Moderators::new(y.len())
        .continuous("x1", x1)
        .ok()?
        .matrix()
        .ok()?;
    MetaRegression::fixed().fit(&set, &x).ok()
}

fn data() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, Vec<f64>)> {
    (6usize..30).prop_flat_map(|k| {
        (
            prop::collection::vec(-2.0f64..2.0, k),
            prop::collection::vec(0.01f64..0.5, k),
            prop::collection::vec(-3.0f64..3.0, k),
        )
    })
}

/// `B (Σ_i c_i w_i² e_i² x_i x_i') B` with `c_i` from `scale(h_ii)`.
fn hc(fit: &RegressionFit, scale: impl Fn(f64) -> f64) -> Vec<f64> {
    let x = fit.model_matrix();
    let (k, p) = (x.k(), x.p());
    let b = DMatrix::from_column_slice(p, p, fit.vcov());
    let v = fit.marginal_covariance(&(0..k).collect::<Vec<_>>());
    let est = fit.estimates();
    let mut meat = DMatrix::<f64>::zeros(p, p);
    for i in 0..k {
        let xi = DMatrix::from_fn(p, 1, |j, _| x.get(i, j));
        let w = 1.0 / v[(i, i)];
        let e = fit.outcomes()[i] - (0..p).map(|j| x.get(i, j) * est[j]).sum::<f64>();
        let h = w * (xi.transpose() * &b * &xi)[(0, 0)];
        meat += &xi * xi.transpose() * (scale(h) * w * w * e * e);
    }
    (&b * meat * &b).as_slice().to_vec()
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    let top = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol * top)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn cr1_with_singleton_clusters_is_the_hc1_sandwich((y, v, x1) in data()) {
        let Some(fit) = fit_of(&y, &v, &x1) else { return Ok(()) };
        let k = y.len();
        let labels: Vec<String> = (0..k).map(|i| format!("s{i}")).collect();
        let r = ClusterRobust::new(RobustVariance::Cr1).fit(&fit, &Clusters::new(&labels).unwrap()).unwrap();
        let c = k as f64 / (k - 2) as f64;
        let want: Vec<f64> = hc(&fit, |_| 1.0).iter().map(|v| v * c).collect();
        prop_assert!(close(r.vcov(), &want, 1e-10), "{:?} vs {:?}", r.vcov(), want);
    }

    #[test]
    fn cr2_with_singleton_clusters_is_the_hc2_sandwich((y, v, x1) in data()) {
        let Some(fit) = fit_of(&y, &v, &x1) else { return Ok(()) };
        let labels: Vec<String> = (0..y.len()).map(|i| format!("s{i}")).collect();
        let r = ClusterRobust::new(RobustVariance::Cr2).fit(&fit, &Clusters::new(&labels).unwrap()).unwrap();
        let want = hc(&fit, |h| 1.0 / (1.0 - h));
        prop_assert!(close(r.vcov(), &want, 1e-9), "{:?} vs {:?}", r.vcov(), want);
    }

    #[test]
    fn renaming_and_reordering_clusters_changes_nothing(
        (y, v, x1) in data(), seed in 0u64..1000, variance in prop_oneof![Just(RobustVariance::Cr1), Just(RobustVariance::Cr2)]
    ) {
        let Some(fit) = fit_of(&y, &v, &x1) else { return Ok(()) };
        let k = y.len();
        // clusters of about 2-3 effects, assigned by a simple hash of the row and seed
        let m = (k / 2).max(3);
        let id = |i: usize| ((i as u64 * 2654435761 + seed) % m as u64) as usize;
        let a: Vec<String> = (0..k).map(|i| format!("c{}", id(i))).collect();
        let b: Vec<String> = (0..k).map(|i| format!("z{}", m - id(i))).collect();
        let (ca, cb) = (Clusters::new(&a).unwrap(), Clusters::new(&b).unwrap());
        if ca.len() <= 2 { return Ok(()) }
        let ra = ClusterRobust::new(variance).fit(&fit, &ca).unwrap();
        let rb = ClusterRobust::new(variance).fit(&fit, &cb).unwrap();
        prop_assert!(close(ra.vcov(), rb.vcov(), 1e-12));
        for (x, z) in ra.coefficients().iter().zip(rb.coefficients()) {
            prop_assert!((x.df - z.df).abs() <= 1e-9 * x.df);
            prop_assert!((x.p - z.p).abs() <= 1e-9);
        }
        prop_assert!((ra.omnibus().statistic - rb.omnibus().statistic).abs() <= 1e-9 * ra.omnibus().statistic.abs().max(1.0));
    }
}

fn small_fit() -> RegressionFit {
    fit_of(
        &[0.1, 0.5, 0.3, 0.9, 0.7, 0.2],
        &[0.02, 0.03, 0.01, 0.05, 0.02, 0.04],
        &[1.0, 2.0, 1.5, 3.0, 2.5, 1.0],
    )
    .unwrap()
}

#[test]
fn a_missing_label_names_its_row() {
    let err = Clusters::new(&["a", "a", " ", "b"]).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidRobustCluster {
            cluster: None,
            row: Some(2),
            problem: ClusterProblem::Missing
        }
    );
    assert_eq!(err.to_string(), "cluster, row 2: has no cluster label");
}

#[test]
fn labels_not_one_per_effect_are_an_error() {
    let err = ClusterRobust::default()
        .fit(&small_fit(), &Clusters::new(&["a", "b", "c"]).unwrap())
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidRobustCluster {
            problem: ClusterProblem::LengthMismatch {
                expected: 6,
                got: 3
            },
            ..
        }
    ));
}

#[test]
fn a_single_cluster_or_m_le_p_is_an_error_for_cr1_and_cr2() {
    for v in [RobustVariance::Cr1, RobustVariance::Cr2] {
        for labels in [["a"; 6], ["a", "a", "a", "b", "b", "b"]] {
            let err = ClusterRobust::new(v)
                .fit(&small_fit(), &Clusters::new(&labels).unwrap())
                .unwrap_err();
            let m = if labels[5] == "a" { 1 } else { 2 };
            assert_eq!(
                err,
                Error::InvalidRobustCluster {
                    cluster: None,
                    row: None,
                    problem: ClusterProblem::TooFewClusters {
                        clusters: m,
                        coefficients: 2
                    }
                }
            );
        }
    }
}

/// A working model with one 2 x 2 block (rows 0 and 1) and the rest diagonal.
struct Blocked(RegressionFit);

impl WorkingModel for Blocked {
    fn model_matrix(&self) -> &ModelMatrix {
        self.0.model_matrix()
    }
    fn outcomes(&self) -> &[f64] {
        self.0.outcomes()
    }
    fn estimates(&self) -> Vec<f64> {
        self.0.estimates()
    }
    fn marginal_covariance(&self, rows: &[usize]) -> DMatrix<f64> {
        let mut m = self.0.marginal_covariance(rows);
        for (a, &i) in rows.iter().enumerate() {
            for (b, &j) in rows.iter().enumerate() {
                if i != j && i < 2 && j < 2 {
                    m[(a, b)] = 0.005;
                }
            }
        }
        m
    }
    fn weights(&self, rows: &[usize]) -> Option<DMatrix<f64>> {
        if rows.contains(&0) != rows.contains(&1) {
            return None;
        }
        self.marginal_covariance(rows).try_inverse()
    }
}

#[test]
fn a_robust_cluster_that_splits_a_model_block_is_named() {
    let model = Blocked(small_fit());
    let clusters = Clusters::new(&["a", "b", "b", "c", "c", "d"]).unwrap();
    let err = ClusterRobust::new(RobustVariance::Cr2)
        .fit(&model, &clusters)
        .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidRobustCluster {
            cluster: Some("a".into()),
            row: None,
            problem: ClusterProblem::SplitsModelBlock
        }
    );
    // whole blocks are fine
    let ok = Clusters::new(&["a", "a", "b", "c", "c", "d"]).unwrap();
    assert!(ClusterRobust::new(RobustVariance::Cr2)
        .fit(&model, &ok)
        .is_ok());
}

#[test]
fn bad_btt_and_constraints_are_errors() {
    let clusters = Clusters::new(&["a", "a", "b", "c", "c", "d"]).unwrap();
    let fit = small_fit();
    let err = ClusterRobust::new(RobustVariance::Cr2)
        .with_btt(vec![2])
        .fit(&fit, &clusters)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { name: "btt", .. }));
    let r = ClusterRobust::new(RobustVariance::Cr2)
        .fit(&fit, &clusters)
        .unwrap();
    assert!(matches!(
        r.wald_test(&[vec![1.0]]).unwrap_err(),
        Error::InvalidParameter {
            name: "constraints",
            ..
        }
    ));
    assert!(r.wald_test(&[]).is_err());
    assert!(r.wald_test(&[vec![f64::NAN, 1.0]]).is_err());
    assert!("CR3".parse::<RobustVariance>().is_err());
    assert_eq!(
        "cr2".parse::<RobustVariance>().unwrap(),
        RobustVariance::Cr2
    );
}

#[test]
fn an_intercept_only_fit_is_made_robust() {
    let set = EffectSet::from_estimates(&[0.1, 0.5, 0.3, 0.9, 0.7], &[0.02; 5]).unwrap();
    let x = ModelMatrix::new(vec!["intrcpt".into()], vec![vec![1.0; 5]]).unwrap();
    let fit = MetaRegression::default().fit(&set, &x).unwrap();
    let r = ClusterRobust::new(RobustVariance::Cr1)
        .fit(&fit, &Clusters::new(&["a", "a", "b", "c", "c"]).unwrap())
        .unwrap();
    assert_eq!(r.omnibus().btt, [0]);
    assert_eq!(r.coefficients()[0].df, 2.0);
    let text = r.to_string();
    assert!(text.contains("Number of clusters:    3"), "{text}");
    assert!(
        text.contains("Estimates per cluster: 1-2 (mean: 1.67, median: 2)"),
        "{text}"
    );
}
