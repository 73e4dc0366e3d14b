//! Throughput of the batch path: 1,000,000 analyses of k = 10 studies (FE + DL + Q test + CI +
//! p), on one core, repeated; prints the best and the median.
//!
//! `cargo run --release --example batch_throughput [analyses] [k] [repeats] [fresh]`
//!
//! With `fresh` = 1 every repeat pools into new `BatchResults` (allocated and zero-filled
//! anew, as a call from Python does), instead of reusing the buffers.

use metapool::batch::{Analyses, BatchPooler, BatchResults};
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let n = args.first().copied().unwrap_or(1_000_000);
    let k = args.get(1).copied().unwrap_or(10);
    let repeats = args.get(2).copied().unwrap_or(7);
    let fresh = args.get(3).copied() == Some(1);
    let (y, v) = dataset(n, k, 1);
    let analyses = Analyses::uniform(&y, &v, k).unwrap();
    let mut out = BatchResults::with_capacity(n);
    let pooler = BatchPooler::default();
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..repeats {
        let (t, c) = (Instant::now(), on_cpu_ns());
        if fresh {
            out = BatchResults::default();
        }
        pooler.pool(&analyses, &mut out).unwrap();
        wall.push(t.elapsed().as_secs_f64());
        cpu.push(on_cpu_ns().zip(c).map(|(b, a)| (b - a) as f64 * 1e-9));
    }
    report("wall time", n, k, &mut wall);
    // On a shared machine the thread's own time on the CPU (Linux schedstat) leaves out the time
    // it waited for a core while other processes ran.
    let mut cpu: Vec<f64> = cpu.into_iter().flatten().collect();
    if !cpu.is_empty() {
        report("time on CPU", n, k, &mut cpu);
    }
    if n == 1 {
        // one huge analysis: time the memory floor too, a plain pass summing the same arrays
        let (mut wall, mut cpu) = (Vec::new(), Vec::new());
        let mut total = 0.0;
        for _ in 0..repeats {
            let (t, c) = (Instant::now(), on_cpu_ns());
            total += plain_sum(std::hint::black_box(&y), std::hint::black_box(&v));
            wall.push(t.elapsed().as_secs_f64());
            cpu.push(on_cpu_ns().zip(c).map(|(b, a)| (b - a) as f64 * 1e-9));
        }
        let mut cpu: Vec<f64> = cpu.into_iter().flatten().collect();
        for (what, times) in [("wall time", &mut wall), ("time on CPU", &mut cpu)] {
            if times.is_empty() {
                continue;
            }
            times.sort_by(f64::total_cmp);
            println!(
                "plain sum of y and v over k = {k}, {what}: best {:.2} ms, median {:.2} ms",
                times[0] * 1e3,
                times[times.len() / 2] * 1e3
            );
        }
        println!("(plain sum checksum {total:e})");
    }
    let sig = out
        .heterogeneity
        .q_p
        .iter()
        .filter(|p| p.unwrap_or(1.0) < 0.1)
        .count();
    println!("checksum: {} analyses with Q-test p < 0.10", sig);
}

/// Sum of both columns in 8 independent lanes (SIMD): the memory-bandwidth floor.
fn plain_sum(y: &[f64], v: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    for (yc, vc) in y.chunks_exact(8).zip(v.chunks_exact(8)) {
        for l in 0..8 {
            acc[l] += yc[l] + vc[l];
        }
    }
    acc.iter().sum()
}

fn report(what: &str, n: usize, k: usize, times: &mut [f64]) {
    times.sort_by(f64::total_cmp);
    let (best, median) = (times[0], times[times.len() / 2]);
    println!(
        "{n} analyses of k = {k}, {what}: best {:.3} s ({:.2} M analyses/s), median {:.3} s ({:.2} M/s)",
        best,
        n as f64 / best / 1e6,
        median,
        n as f64 / median / 1e6
    );
}

/// Nanoseconds this thread has spent on a CPU (first field of /proc/thread-self/schedstat),
/// where Linux provides it.
fn on_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Deterministic synthetic data: per analysis a true mean, tau in {0, 0.1, 0.3}, variances
/// uniform in [0.01, 0.21].
pub fn dataset(n: usize, k: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut y, mut v) = (Vec::with_capacity(n * k), Vec::with_capacity(n * k));
    for a in 0..n {
        let mu = next() - 0.5;
        let tau = [0.0, 0.1, 0.3][a % 3];
        for _ in 0..k {
            let vi = 0.01 + 0.2 * next();
            // sum of 4 uniforms, scaled to unit variance: cheap, roughly normal noise
            let e = |f: &mut dyn FnMut() -> f64| (f() + f() + f() + f() - 2.0) * 3f64.sqrt();
            let u = e(&mut next);
            let w = e(&mut next);
            v.push(vi);
            y.push(mu + tau * u + vi.sqrt() * w);
        }
    }
    (y, v)
}
