//! Meta-regression throughput (criterion): REML with 5 continuous moderators at k = 100,
//! 1,000 and 10,000 (issue 12's target: k = 10,000 in under 50 ms on one core), and the same
//! fit under DL. The data are a deterministic formula (`regression_common/data.rs`), so
//! `fixtures/metafor/bench_regression.R` times metafor's `rma` on the identical data.
//! Run: `cargo bench --bench regression`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use metapool::effect::Scale;
use metapool::pool::Tau2Estimator;
use metapool::regression::MetaRegression;
use std::time::Duration;

#[path = "regression_common/data.rs"]
mod data;

fn regression(c: &mut Criterion) {
    let mut g = c.benchmark_group("meta-regression, 5 moderators");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    for k in [100usize, 1_000, 10_000] {
        let (y, v, x) = data::five_moderators(k);
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
