//! Convergence and throughput of the iterative tau² estimators in the batch path: 1,000,000
//! random analyses of k = 10 (true mean uniform on [-0.5, 0.5], tau in {0, 0.1, 0.3}, v uniform
//! on [0.01, 0.21], as `benches/pooling.rs` draws them) per iterative estimator, in the exact
//! mode (the default) and in metafor's mode; prints how many converged, the iterations used,
//! and the analyses per second on one core (best of `repeats`, wall and on-CPU time), with
//! DerSimonian-Laird's rate in the same run as the yardstick.
//!
//! `cargo run --release --example convergence [analyses] [repeats]`

use metapool::batch::{Analyses, AnalysisStatus, BatchPooler, BatchResults};
use metapool::{pool::Tau2Control, pool::Tau2Estimator};
use std::time::Instant;

/// `n` analyses of `k` studies from a fixed xorshift64* stream.
fn draw(n: usize, k: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut uniform = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut y = Vec::with_capacity(n * k);
    let mut v = Vec::with_capacity(n * k);
    for a in 0..n {
        let mu = uniform() - 0.5;
        let tau = [0.0, 0.1, 0.3][a % 3];
        for _ in 0..k {
            let vi = 0.01 + 0.2 * uniform();
            // Irwin-Hall(4), scaled to unit variance
            let mut normal = || (uniform() + uniform() + uniform() + uniform() - 2.0) * 3f64.sqrt();
            let (u, e) = (normal(), normal());
            v.push(vi);
            y.push(mu + tau * u + vi.sqrt() * e);
        }
    }
    (y, v)
}

/// The thread's time on a CPU in ns (Linux schedstat), if available.
fn on_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Best (wall, on-CPU) seconds of `repeats` runs of the pooler.
fn time(
    pooler: &BatchPooler,
    analyses: &Analyses<'_>,
    out: &mut BatchResults,
    repeats: usize,
) -> (f64, f64) {
    let (mut wall, mut cpu) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..repeats {
        let (t, c) = (Instant::now(), on_cpu_ns());
        pooler
            .pool(analyses, out)
            .expect("the batch never aborts by default");
        wall = wall.min(t.elapsed().as_secs_f64());
        if let (Some(b), Some(a)) = (on_cpu_ns(), c) {
            cpu = cpu.min((b - a) as f64 * 1e-9);
        }
    }
    (wall, cpu)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(1_000_000);
    let repeats = args.get(1).copied().unwrap_or(3);
    let k = 10;
    let (y, v) = draw(n, k, 20261207);
    let analyses = Analyses::uniform(&y, &v, k).expect("a valid layout");
    let mut out = BatchResults::with_capacity(n);
    let iterative = [
        Tau2Estimator::MaximumLikelihood,
        Tau2Estimator::RestrictedMaximumLikelihood,
        Tau2Estimator::EmpiricalBayes,
        Tau2Estimator::PauleMandel,
        Tau2Estimator::PauleMandelMedian,
    ];
    println!("{n} random analyses of k = {k}");
    println!("| estimator | mode | converged | not converged | at tau² = 0 | mean iterations | max iterations |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for est in iterative {
        for (mode, control) in [
            ("exact", Tau2Control::default()),
            ("metafor", Tau2Control::metafor()),
        ] {
            let pooler = BatchPooler::default()
                .with_estimator(est)
                .with_control(control);
            pooler
                .pool(&analyses, &mut out)
                .expect("the batch never aborts by default");
            let pooled = out
                .status
                .iter()
                .filter(|s| **s == AnalysisStatus::Pooled)
                .count();
            let zero = out.heterogeneity.tau2.iter().filter(|t| **t == 0.0).count();
            let iterations: usize = out.tau2_iterations.iter().sum();
            let max = out.tau2_iterations.iter().max().copied().unwrap_or(0);
            println!(
                "| {} | {mode} | {pooled} | {} | {zero} | {:.2} | {max} |",
                est.metafor_name(),
                n - pooled,
                iterations as f64 / pooled.max(1) as f64,
            );
        }
    }
    println!();
    println!("throughput, one core, best of {repeats} (analyses/s)");
    println!("| pooler | wall | on CPU |");
    println!("|---|---:|---:|");
    let reml = Tau2Estimator::RestrictedMaximumLikelihood;
    for (name, pooler) in [
        ("DL", BatchPooler::default()),
        ("REML exact", BatchPooler::default().with_estimator(reml)),
        (
            "REML metafor",
            BatchPooler::default()
                .with_estimator(reml)
                .with_control(Tau2Control::metafor()),
        ),
        (
            "PM exact",
            BatchPooler::default().with_estimator(Tau2Estimator::PauleMandel),
        ),
        (
            "PM metafor",
            BatchPooler::default()
                .with_estimator(Tau2Estimator::PauleMandel)
                .with_control(Tau2Control::metafor()),
        ),
    ] {
        let (wall, cpu) = time(&pooler, &analyses, &mut out, repeats);
        println!(
            "| {name} | {:.0} | {:.0} |",
            n as f64 / wall,
            n as f64 / cpu
        );
    }
}
