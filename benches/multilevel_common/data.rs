//! The benchmark data of the three-level model: 1,000 clusters of 10 effects, two moderators,
//! from a deterministic formula (no random numbers), so that
//! `benches/compare/multilevel_metafor.R` builds the identical data for metafor.
//!
//! ```text
//! i = 0..k-1 (0-based), cluster j = i / 10, es e = i % 10
//! x1 = cos(0.37 i),  x2 = (i mod 7) / 7 - 0.4,  v = 0.01 + 0.02 (1 + sin(0.91 i))
//! y = 0.2 + 0.1 x1 - 0.05 x2 + 0.3 sin(1.7 j) + 0.2 sin(2.3 i + 0.5) + 1.2 sqrt(v) sin(5.1 i + 1)
//! ```

#![allow(dead_code)]

use metapool::multilevel::{RandomEffects, SamplingCovariance};
use metapool::regression::ModelMatrix;

/// `(y, V, random effects, X)` for `k` effects (a multiple of 10).
pub fn three_level(k: usize) -> (Vec<f64>, SamplingCovariance, RandomEffects, ModelMatrix) {
    let mut y = Vec::with_capacity(k);
    let mut v = Vec::with_capacity(k);
    let (mut x1, mut x2) = (Vec::with_capacity(k), Vec::with_capacity(k));
    let mut cl = Vec::with_capacity(k);
    let mut es = Vec::with_capacity(k);
    for i in 0..k {
        let fi = i as f64;
        let j = (i / 10) as f64;
        let a = (0.37 * fi).cos();
        let b = (i % 7) as f64 / 7.0 - 0.4;
        let vi = 0.01 + 0.02 * (1.0 + (0.91 * fi).sin());
        let yi = 0.2 + 0.1 * a - 0.05 * b
            + 0.3 * (1.7 * j).sin()
            + 0.2 * (2.3 * fi + 0.5).sin()
            + 1.2 * vi.sqrt() * (5.1 * fi + 1.0).sin();
        y.push(yi);
        v.push(vi);
        x1.push(a);
        x2.push(b);
        cl.push((i / 10).to_string());
        es.push((i % 10).to_string());
    }
    let re = RandomEffects::nested(&[("cluster", &cl[..]), ("es", &es[..])]).expect("random");
    let vm = SamplingCovariance::diagonal(&v).expect("V");
    let x = ModelMatrix::new(
        vec!["intrcpt".into(), "x1".into(), "x2".into()],
        vec![vec![1.0; k], x1, x2],
    )
    .expect("X");
    (y, vm, re, x)
}
