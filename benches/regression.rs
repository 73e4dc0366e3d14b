//! Meta-regression throughput (criterion): REML with 5 continuous moderators at k = 100,
//! 1,000 and 10,000 (issue 12's target: k = 10,000 in under 50 ms on one core), and the same
//! fit under DL. The data are a deterministic formula, so `fixtures/metafor/bench_regression.R`
//! times metafor's `rma` on the identical data:
//! ```text
//! x_ij = sin(0.37 i (j + 1) + j),   v_i = 0.01 + 0.2 ((7 i) mod 13) / 13
//! y_i  = 0.1 + sum_j 0.05 (j + 1) x_ij + 0.3 cos(1.3 i) + 0.2 sin(2.1 i)
//! ```
//! Run: `cargo bench --bench regression`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use metapool::effect::Scale;
use metapool::regression::{MetaRegression, ModelMatrix};
use metapool::Tau2Estimator;
use std::time::Duration;

const P: usize = 5;

fn data(k: usize) -> (Vec<f64>, Vec<f64>, ModelMatrix) {
    let x: Vec<Vec<f64>> = (0..P)
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
            0.1 + (0..P).map(|j| 0.05 * (j + 1) as f64 * x[j][i]).sum::<f64>()
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

fn regression(c: &mut Criterion) {
    let mut g = c.benchmark_group("meta-regression, 5 moderators");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    for k in [100usize, 1_000, 10_000] {
        let (y, v, x) = data(k);
        for (name, e) in [
            ("REML", Tau2Estimator::RestrictedMaximumLikelihood),
            ("DL", Tau2Estimator::DerSimonianLaird),
        ] {
            let m = MetaRegression::random(e);
            g.bench_with_input(BenchmarkId::new(name, k), &k, |b, _| {
                b.iter(|| black_box(m.fit_values(&y, &v, &x, Scale::Identity).unwrap()))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, regression);
criterion_main!(benches);
