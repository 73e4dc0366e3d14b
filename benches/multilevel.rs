//! Multilevel (rma.mv) throughput (criterion): a three-level REML fit with two moderators at
//! 1,000 and 10,000 effects in clusters of 10 (issue 13's size: 10,000 effects in 1,000
//! clusters). The data are a deterministic formula (`multilevel_common/data.rs`), so
//! `benches/compare/multilevel.sh` times metafor's `rma.mv` on the identical data.
//! Run: `cargo bench --bench multilevel`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use metapool::multilevel::MultilevelModel;
use std::time::Duration;

#[path = "multilevel_common/data.rs"]
mod data;

fn multilevel(c: &mut Criterion) {
    let mut g = c.benchmark_group("rma.mv three levels, 2 moderators, REML");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for k in [1_000usize, 10_000] {
        let (y, v, re, x) = data::three_level(k);
        let m = MultilevelModel::default();
        g.bench_with_input(BenchmarkId::new("REML", k), &k, |b, _| {
            b.iter(|| black_box(m.fit(&y, &v, &re, &x).unwrap()))
        });
    }
    g.finish();
}

criterion_group!(benches, multilevel);
criterion_main!(benches);
