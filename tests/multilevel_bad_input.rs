//! Bad input to the multilevel models gets a typed error naming the cluster or the row.

use metapool::multilevel::{
    ClusterProblem, CovarianceStructure, MultilevelModel, RandomEffects, SamplingCovariance,
};
use metapool::pool::Test;
use metapool::regression::ModelMatrix;
use metapool::{Error, Problem};
use nalgebra::DMatrix;

#[test]
fn a_block_that_is_not_positive_definite_names_its_cluster() {
    let block = DMatrix::from_row_slice(2, 2, &[0.01, 0.02, 0.02, 0.01]);
    let ok = DMatrix::from_row_slice(1, 1, &[0.01]);
    let err = SamplingCovariance::from_blocks(&["s1", "s2", "s2"], vec![ok, block]).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidCluster {
            cluster: "s2".into(),
            row: None,
            problem: ClusterProblem::NotPositiveDefinite
        }
    );
    // rho = -0.6 with three effects in a cluster: -1/(n-1) = -0.5 < -0.6 fails
    let err = SamplingCovariance::constant_correlation(&[0.1; 4], &["a", "b", "b", "b"], -0.6)
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidCluster { ref cluster, problem: ClusterProblem::NotPositiveDefinite, .. } if cluster == "b")
    );
}

#[test]
fn rho_outside_the_open_interval_is_an_error() {
    for rho in [1.0, -1.0, 1.5, f64::NAN] {
        let err =
            SamplingCovariance::constant_correlation(&[0.1, 0.2], &["a", "a"], rho).unwrap_err();
        assert!(
            matches!(err, Error::InvalidParameter { name: "rho", .. }),
            "{rho}: {err}"
        );
    }
}

#[test]
fn a_missing_cluster_label_names_the_row() {
    let err = SamplingCovariance::constant_correlation(&[0.1, 0.2, 0.3], &["a", "", "b"], 0.5)
        .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidCluster {
            cluster: String::new(),
            row: Some(1),
            problem: ClusterProblem::MissingLabel
        }
    );
    let err =
        RandomEffects::nested(&[("study", &["1", "1", "2"][..]), ("es", &["1", "", "1"][..])])
            .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidCluster {
            row: Some(1),
            problem: ClusterProblem::MissingLevel { .. },
            ..
        }
    ));
    let err = RandomEffects::multivariate(
        ("outcome", &["PD", "AL", ""][..]),
        ("trial", &["1", "1", "2"][..]),
        CovarianceStructure::Unstructured,
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::InvalidCluster { ref cluster, row: Some(2), .. } if cluster == "2")
    );
}

#[test]
fn a_non_positive_variance_names_the_row() {
    let err = SamplingCovariance::diagonal(&[0.1, 0.0, 0.2]).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidCluster {
            row: Some(1),
            problem: ClusterProblem::Variance(Problem::NotPositive(_)),
            ..
        }
    ));
    let err = SamplingCovariance::diagonal(&[0.1, f64::NAN]).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidCluster {
            row: Some(1),
            problem: ClusterProblem::Variance(Problem::NotFinite(_)),
            ..
        }
    ));
}

#[test]
fn an_asymmetric_or_misshapen_block_is_an_error() {
    let asym = DMatrix::from_row_slice(2, 2, &[0.1, 0.01, 0.02, 0.1]);
    let err = SamplingCovariance::from_blocks(&["a", "a"], vec![asym]).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidCluster {
            problem: ClusterProblem::NotSymmetric,
            ..
        }
    ));
    let err =
        SamplingCovariance::from_block_rows(&["a", "a"], &[vec![0.1, 0.0], vec![0.1]]).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidCluster {
            row: Some(1),
            problem: ClusterProblem::BlockShape {
                expected: 2,
                got: 1
            },
            ..
        }
    ));
}

fn model_parts() -> (Vec<f64>, RandomEffects, ModelMatrix) {
    let y = vec![0.1, 0.2, 0.3, 0.1, 0.5, 0.2];
    let study = ["1", "1", "2", "2", "3", "3"];
    let es = ["1", "2", "1", "2", "1", "2"];
    let re = RandomEffects::nested(&[("study", &study[..]), ("es", &es[..])]).unwrap();
    let x = ModelMatrix::new(vec!["intrcpt".into()], vec![vec![1.0; 6]]).unwrap();
    (y, re, x)
}

#[test]
fn a_v_block_across_two_clusters_is_an_error() {
    let (y, re, x) = model_parts();
    let v =
        SamplingCovariance::constant_correlation(&[0.01; 6], &["a", "a", "a", "b", "b", "b"], 0.5)
            .unwrap();
    let err = MultilevelModel::default().fit(&y, &v, &re, &x).unwrap_err();
    assert!(
        matches!(err, Error::InvalidCluster { ref cluster, row: Some(2), problem: ClusterProblem::SpansClusters } if cluster == "a"),
        "{err}"
    );
}

#[test]
fn a_non_finite_outcome_or_a_length_mismatch_is_an_error() {
    let (mut y, re, x) = model_parts();
    let v = SamplingCovariance::diagonal(&[0.01; 6]).unwrap();
    y[3] = f64::INFINITY;
    let err = MultilevelModel::default().fit(&y, &v, &re, &x).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidStudy {
            study: 3,
            field: "estimate",
            ..
        }
    ));
    let v5 = SamplingCovariance::diagonal(&[0.01; 5]).unwrap();
    let err = MultilevelModel::default()
        .fit(&y[..6], &v5, &re, &x)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidField { field: "V", .. }));
}

#[test]
fn knapp_hartung_is_not_an_rma_mv_test() {
    let (y, re, x) = model_parts();
    let v = SamplingCovariance::diagonal(&[0.01; 6]).unwrap();
    let err = MultilevelModel::default()
        .with_test(Test::KnappHartung)
        .fit(&y, &v, &re, &x)
        .unwrap_err();
    assert!(matches!(err, Error::Undefined { .. }));
}

#[test]
fn crossed_terms_of_different_lengths_or_a_missing_label_are_errors() {
    let study = ["1", "1", "2"];
    let lab = ["A", "B"];
    let err =
        RandomEffects::crossed(&[&[("study", &study[..])], &[("lab", &lab[..])]]).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidField {
            field: "random",
            problem: Problem::LengthMismatch {
                expected: 3,
                got: 2
            }
        }
    );
    // the lab of row 1 is missing: named with its row and level
    let lab = ["A", "", "B"];
    let err =
        RandomEffects::crossed(&[&[("study", &study[..])], &[("lab", &lab[..])]]).unwrap_err();
    assert!(
        matches!(err, Error::InvalidCluster { row: Some(1), problem: ClusterProblem::MissingLevel { ref level }, .. } if level == "lab"),
        "{err}"
    );
    let none: [&[(&str, &[&str])]; 0] = [];
    assert!(matches!(
        RandomEffects::crossed(&none).unwrap_err(),
        Error::InvalidField {
            field: "random",
            ..
        }
    ));
}

#[test]
fn a_cluster_too_large_for_a_dense_block_is_an_error_not_an_abort() {
    // every study in one lab: a crossed design of 5,001 effects is one cluster
    let k = metapool::multilevel::MAX_CLUSTER_EFFECTS + 1;
    let study: Vec<String> = (0..k).map(|i| format!("s{i}")).collect();
    let lab = vec!["A".to_string(); k];
    let re = RandomEffects::crossed(&[&[("study", &study[..])], &[("lab", &lab[..])]]).unwrap();
    assert_eq!(re.clusters(), 1);
    let y = vec![0.1; k];
    let v = SamplingCovariance::diagonal(&vec![0.01; k]).unwrap();
    let x = ModelMatrix::new(vec!["intrcpt".into()], vec![vec![1.0; k]]).unwrap();
    let err = MultilevelModel::default().fit(&y, &v, &re, &x).unwrap_err();
    assert!(
        matches!(err, Error::InvalidCluster { ref cluster, problem: ClusterProblem::TooLarge { effects, .. }, .. } if cluster == "s0+A" && effects == k),
        "{err}"
    );
}
