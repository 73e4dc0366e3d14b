//! The meta-regression benchmark's data (benches/regression.rs; checked against metafor in
//! tests/metafor_regression_tests.rs; fixtures/metafor/bench_regression.R builds the same):
//! ```text
//! x_ij = sin(0.37 i (j + 1) + j),   v_i = 0.01 + 0.2 ((7 i) mod 13) / 13,   i = 1..k, j = 0..4
//! y_i  = 0.1 + sum_j 0.05 (j + 1) x_ij + 0.3 cos(1.3 i) + 0.2 sin(2.1 i)
//! ```

use metapool::regression::ModelMatrix;

/// `(y, v, X)` with an intercept and 5 moderators.
pub fn five_moderators(k: usize) -> (Vec<f64>, Vec<f64>, ModelMatrix) {
    let x: Vec<Vec<f64>> = (0..5)
        .map(|j| {
            (1..=k)
                .map(|i| (0.37 * i as f64 * (j + 1) as f64 + j as f64).sin())
                .collect()
        })
        .collect();
    let v: Vec<f64> = (1..=k)
        .map(|i| 0.01 + 0.2 * ((7 * i) % 13) as f64 / 13.0)
        .collect();
    let y: Vec<f64> = (0..k)
        .map(|i| {
            let fi = (i + 1) as f64;
            0.1 + (0..5).map(|j| 0.05 * (j + 1) as f64 * x[j][i]).sum::<f64>()
                + 0.3 * (1.3 * fi).cos()
                + 0.2 * (2.1 * fi).sin()
        })
        .collect();
    let mut names = vec!["intrcpt".to_string()];
    let mut columns = vec![vec![1.0; k]];
    for (j, c) in x.into_iter().enumerate() {
        names.push(format!("x{}", j + 1));
        columns.push(c);
    }
    (y, v, ModelMatrix::new(names, columns).unwrap())
}
