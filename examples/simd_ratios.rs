//! The Rust side of `benches/compare/ratios.py`: the issue-17 ratio table. For each file pair
//! DIR/y_K.f64, DIR/v_K.f64 (analyses of K studies, little-endian f64, written by the script,
//! which times numpy on the same data) it times the batch path with DerSimonian-Laird and with
//! exact REML at every SIMD level; then one DL analysis of DIR/y_huge.f64 against a plain pass
//! summing the same two arrays, and `par_pool` on 1 and 2 threads (rayon feature). Times are
//! the thread's time on a CPU (Linux schedstat), best of REPEATS; prints JSON.
//!
//! `cargo run --release --features rayon --example simd_ratios -- DIR REPEATS K...`

use metapool::batch::{Analyses, BatchPooler, BatchResults, OnFailure, SimdLevel};
use metapool::pool::Tau2Estimator;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

fn read(path: &Path) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

/// Nanoseconds this thread has spent on a CPU (Linux schedstat).
fn on_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Best CPU time (wall time for runs under 50 ms, which the scheduler's ticks blur) and best
/// wall time, in seconds.
fn best(repeats: usize, mut f: impl FnMut()) -> (f64, f64) {
    let (mut cpu, mut wall) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..repeats {
        let (s, c) = (Instant::now(), on_cpu_ns());
        f();
        let w = s.elapsed().as_secs_f64();
        let t = if w < 0.05 {
            w
        } else {
            on_cpu_ns().zip(c).map_or(w, |(b, a)| (b - a) as f64 * 1e-9)
        };
        cpu = cpu.min(t);
        wall = wall.min(w);
    }
    (cpu, wall)
}

/// A plain pass summing both columns (eight lanes, so that it vectorises): the memory floor.
fn plain_sum(y: &[f64], v: &[f64]) -> f64 {
    let (mut a, mut b) = ([0.0f64; 8], [0.0f64; 8]);
    for (cy, cv) in y.chunks_exact(8).zip(v.chunks_exact(8)) {
        for j in 0..8 {
            a[j] += cy[j];
            b[j] += cv[j];
        }
    }
    a.iter().sum::<f64>() + b.iter().sum::<f64>()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = Path::new(&args[0]);
    let repeats: usize = args[1].parse().unwrap();
    let mut rows = Vec::new();
    for k in args[2..].iter().map(|a| a.parse::<usize>().unwrap()) {
        let (y, v) = (
            read(&dir.join(format!("y_{k}.f64"))),
            read(&dir.join(format!("v_{k}.f64"))),
        );
        let analyses = Analyses::uniform(&y, &v, k).unwrap();
        let n = analyses.len();
        let mut out = BatchResults::with_capacity(n);
        for level in SimdLevel::available() {
            for (name, estimator) in [
                ("DL", Tau2Estimator::DerSimonianLaird),
                ("REML", Tau2Estimator::RestrictedMaximumLikelihood),
            ] {
                let pooler = BatchPooler::default()
                    .with_estimator(estimator)
                    .with_on_failure(OnFailure::Record)
                    .with_simd(level);
                let (cpu, wall) = best(repeats, || {
                    pooler.pool(black_box(&analyses), &mut out).unwrap()
                });
                rows.push(format!(
                    "{{\"k\": {k}, \"n\": {n}, \"level\": \"{level:?}\", \"estimator\": \"{name}\", \"cpu\": {cpu}, \"wall\": {wall}}}"
                ));
            }
        }
    }
    let (yh, vh) = (read(&dir.join("y_huge.f64")), read(&dir.join("v_huge.f64")));
    let huge = Analyses::uniform(&yh, &vh, yh.len()).unwrap();
    let mut hout = BatchResults::with_capacity(1);
    let (huge_cpu, huge_wall) = best(repeats, || {
        BatchPooler::default()
            .pool(black_box(&huge), &mut hout)
            .unwrap()
    });
    let mut total = 0.0;
    let (sum_cpu, sum_wall) = best(repeats, || {
        total += plain_sum(black_box(&yh), black_box(&vh))
    });
    black_box(total);
    #[allow(unused_mut)] // filled with the rayon feature
    let mut par = String::new();
    #[cfg(feature = "rayon")]
    {
        let y = read(&dir.join("y_10.f64"));
        let v = read(&dir.join("v_10.f64"));
        let analyses = Analyses::uniform(&y, &v, 10).unwrap();
        let mut out = BatchResults::with_capacity(analyses.len());
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            // wall time: the work is spread over threads
            let (_, wall) = best(repeats, || {
                pool.install(|| {
                    BatchPooler::default()
                        .par_pool(black_box(&analyses), &mut out)
                        .unwrap()
                })
            });
            par.push_str(&format!(", \"par_{threads}_wall\": {wall}"));
        }
    }
    println!(
        "{{\"rows\": [{}], \"huge_k\": {}, \"huge_cpu\": {huge_cpu}, \"huge_wall\": {huge_wall}, \"sum_cpu\": {sum_cpu}, \"sum_wall\": {sum_wall}{par}}}",
        rows.join(", "),
        yh.len()
    );
}
