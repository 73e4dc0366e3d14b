//! Cluster-robust inference throughput (criterion): CR2 (adjustments, Satterthwaite df for
//! every coefficient and the HTZ test of the moderators) and CR1 on 10,000 effects in 1,000
//! clusters of 10 with 2 moderators, after a REML meta-regression; and the REML fit plus CR2.
//! The data are a deterministic formula, reproduced by `benches/compare/robust_clubsandwich.R`,
//! which times metafor + clubSandwich on the identical data.
//! Run: `cargo bench --bench robust`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use metapool::effect::EffectSet;
use metapool::pool::Tau2Estimator;
use metapool::regression::{MetaRegression, Moderators};
use metapool::robust::{ClusterRobust, Clusters, RobustVariance};
use std::time::Duration;

/// Outcomes, variances, two moderators and the cluster labels.
struct Data {
    y: Vec<f64>,
    v: Vec<f64>,
    x1: Vec<f64>,
    x2: Vec<f64>,
    cl: Vec<String>,
}

/// `k` effects in clusters of 10: the formula of `benches/compare/robust_clubsandwich.R`.
fn data(k: usize) -> Data {
    let (mut y, mut v, mut x1, mut x2, mut cl) = (vec![], vec![], vec![], vec![], vec![]);
    for i in 0..k {
        let f = i as f64;
        let c = i / 10;
        let a = (f * 0.7).sin();
        let b = 2.0 * (f * 1.3).cos();
        let vi = 0.02 + 0.1 * ((i * 37) % 101) as f64 / 101.0;
        let u = 0.3 * (c as f64 * 2.1).sin();
        y.push(0.1 + 0.2 * a - 0.1 * b + u + vi.sqrt() * (f * 12.9898).sin());
        v.push(vi);
        x1.push(a);
        x2.push(b);
        cl.push(format!("c{c}"));
    }
    Data { y, v, x1, x2, cl }
}

fn robust(c: &mut Criterion) {
    let k = 10_000;
    let Data { y, v, x1, x2, cl } = data(k);
    let set = EffectSet::from_estimates(&y, &v).unwrap();
    let x = Moderators::new(k)
        .continuous("x1", &x1)
        .unwrap()
        .continuous("x2", &x2)
        .unwrap()
        .matrix()
        .unwrap();
    let reml = MetaRegression::random(Tau2Estimator::RestrictedMaximumLikelihood);
    let fit = reml.fit(&set, &x).unwrap();
    let clusters = Clusters::new(&cl).unwrap();
    let mut g = c.benchmark_group("robust, k = 10,000 in 1,000 clusters, 2 moderators");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function("CR2 (vcov, Satterthwaite df, HTZ)", |b| {
        b.iter(|| {
            black_box(
                ClusterRobust::new(RobustVariance::Cr2)
                    .fit(&fit, &clusters)
                    .unwrap(),
            )
        })
    });
    g.bench_function("CR1", |b| {
        b.iter(|| {
            black_box(
                ClusterRobust::new(RobustVariance::Cr1)
                    .fit(&fit, &clusters)
                    .unwrap(),
            )
        })
    });
    g.bench_function("REML fit + clusters + CR2", |b| {
        b.iter(|| {
            let fit = reml.fit(&set, &x).unwrap();
            let clusters = Clusters::new(&cl).unwrap();
            black_box(
                ClusterRobust::new(RobustVariance::Cr2)
                    .fit(&fit, &clusters)
                    .unwrap(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, robust);
criterion_main!(benches);
