//! Random-effects GLMM fits of k = 20 sparse 2x2 tables (the target: under 5 ms on one
//! core): UM.RS (Laplace) and CM.EL (non-central hypergeometric, 21-node adaptive
//! Gauss-Hermite). `benches/compare/glmm_metafor.R` times metafor's `rma.glmm` on the same
//! tables (`benches/compare/glmm_tables.csv`, written by `cargo bench --bench glmm`).

use criterion::{criterion_group, criterion_main, Criterion};
use metapool::effect::TwoByTwo;
use metapool::glmm::{Glmm, GlmmData, GlmmModel};
use std::hint::black_box;

/// 20 tables with 1-12 events per arm of 40-120 (a fixed linear congruential sequence).
fn tables() -> Vec<TwoByTwo> {
    let mut s: u64 = 20260107;
    let mut next = |m: u64| {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) % m
    };
    (0..20)
        .map(|_| {
            let (n1, n2) = (40 + next(81), 40 + next(81));
            let (a, c) = (next(8), 2 + next(11));
            TwoByTwo::new(a as f64, n1 as f64, c as f64, n2 as f64).unwrap()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let t = tables();
    let csv: String = std::iter::once("ai,n1i,ci,n2i\n".to_owned())
        .chain(
            t.iter()
                .map(|t| format!("{},{},{},{}\n", t.events1, t.total1, t.events2, t.total2)),
        )
        .collect();
    let _ = std::fs::write(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/compare/glmm_tables.csv"
        ),
        csv,
    );
    let data = GlmmData::Tables(t);
    for model in [
        GlmmModel::UmRs,
        GlmmModel::CmEl,
        GlmmModel::UmFs,
        GlmmModel::CmAl,
    ] {
        let glmm = Glmm::random(model);
        let fit = glmm.fit(&data).unwrap();
        eprintln!(
            "metapool {model} k=20: estimate {:.6} se {:.6} tau2 {:.6}",
            fit.estimate, fit.se, fit.tau2
        );
        c.bench_function(&format!("glmm random {model} k=20"), |b| {
            b.iter(|| glmm.fit(black_box(&data)).unwrap())
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
