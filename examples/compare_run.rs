//! The Rust side of `benches/compare/compare.py`: times metapool's batch path and a plain
//! summing pass on the dataset the script wrote, and writes metapool's results for the script's
//! agreement checks. Not a user example; run it through the script.
//!
//! `cargo run --release --example compare_run -- DIR K REPEATS`
//! reads DIR/y.f64, DIR/v.f64 (analyses of K studies, little-endian f64) and DIR/y_huge.f64,
//! DIR/v_huge.f64 (one analysis), writes DIR/metapool_*.f64 and prints JSON timings.

use metapool::batch::{Analyses, BatchPooler, BatchResults};
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

fn write(path: &Path, x: &[f64]) {
    let bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

/// Nanoseconds this thread has spent on a CPU (Linux schedstat), where available.
fn on_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Best and median of `repeats` runs of `f`, in seconds: wall time, and the thread's time on a
/// CPU (which leaves out waiting for a core on a shared machine; wall time where unavailable
/// or for runs under 50 ms).
fn time(repeats: usize, mut f: impl FnMut()) -> (f64, f64, f64, f64) {
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..repeats {
        let (s, c) = (Instant::now(), on_cpu_ns());
        f();
        let w = s.elapsed().as_secs_f64();
        wall.push(w);
        // the scheduler updates a thread's CPU time at ticks and switches: runs under 50 ms
        // count their wall time
        cpu.push(if w < 0.05 {
            w
        } else {
            on_cpu_ns().zip(c).map_or(w, |(b, a)| (b - a) as f64 * 1e-9)
        });
    }
    wall.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    (wall[0], wall[wall.len() / 2], cpu[0], cpu[cpu.len() / 2])
}

fn per_pass(inner: usize, t: (f64, f64, f64, f64)) -> (f64, f64, f64, f64) {
    let n = inner as f64;
    (t.0 / n, t.1 / n, t.2 / n, t.3 / n)
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
    let k: usize = args[1].parse().unwrap();
    let repeats: usize = args[2].parse().unwrap();
    let (y, v) = (read(&dir.join("y.f64")), read(&dir.join("v.f64")));
    let analyses = Analyses::uniform(&y, &v, k).unwrap();
    let n = analyses.len();
    let mut out = BatchResults::with_capacity(n);
    let dl = BatchPooler::default();
    let (dl_best, dl_median, dl_cpu_best, dl_cpu_median) =
        time(repeats, || dl.pool(&analyses, &mut out).unwrap());
    for (name, col) in [
        ("fixed_estimate", &out.fixed.estimate),
        ("fixed_se", &out.fixed.se),
        ("fixed_p", &out.fixed.p),
        ("random_estimate", &out.random.estimate),
        ("random_se", &out.random.se),
        ("random_p", &out.random.p),
        ("random_ci_lower", &out.random.ci_lower),
        ("tau2", &out.heterogeneity.tau2),
        ("q", &out.heterogeneity.q),
        ("i2", &out.heterogeneity.i2),
    ] {
        write(&dir.join(format!("metapool_{name}.f64")), col);
    }
    let qp: Vec<f64> = out
        .heterogeneity
        .q_p
        .iter()
        .map(|p| p.unwrap_or(f64::NAN))
        .collect();
    write(&dir.join("metapool_q_p.f64"), &qp);

    // REML on the first `reml_n` analyses
    let reml_n = n.min(100_000);
    let reml_set = Analyses::uniform(&y[..reml_n * k], &v[..reml_n * k], k).unwrap();
    let reml = BatchPooler::default().with_estimator(Tau2Estimator::RestrictedMaximumLikelihood);
    let mut reml_out = BatchResults::with_capacity(reml_n);
    let (reml_best, reml_median, reml_cpu_best, reml_cpu_median) = time(repeats.min(3), || {
        reml.with_on_failure(metapool::batch::OnFailure::Record)
            .pool(&reml_set, &mut reml_out)
            .unwrap()
    });
    write(
        &dir.join("metapool_reml_tau2.f64"),
        &reml_out.heterogeneity.tau2,
    );
    write(
        &dir.join("metapool_reml_estimate.f64"),
        &reml_out.random.estimate,
    );
    let reml_failed = reml_out.failures.len();
    // REML with half steps and up to 1000 iterations (metafor's advice for non-convergence)
    let robust = reml
        .with_control(
            metapool::pool::Tau2Control::default()
                .with_step_adjustment(0.5)
                .unwrap()
                .with_max_iterations(1000)
                .unwrap(),
        )
        .with_on_failure(metapool::batch::OnFailure::Record);
    let (robust_best, robust_median, robust_cpu_best, robust_cpu_median) =
        time(repeats.min(3), || {
            robust.pool(&reml_set, &mut reml_out).unwrap()
        });
    write(
        &dir.join("metapool_reml_robust_tau2.f64"),
        &reml_out.heterogeneity.tau2,
    );
    let robust_failed = reml_out.failures.len();

    #[cfg(feature = "rayon")]
    let (par_best, par_median, _, _) = time(repeats, || dl.par_pool(&analyses, &mut out).unwrap());
    #[cfg(not(feature = "rayon"))]
    let (par_best, par_median) = (f64::NAN, f64::NAN);

    let mut sink = 0.0;
    // the sums are repeated inside each timed run, so that each run lasts long enough for the
    // scheduler's CPU-time accounting; times are per pass
    let inner = 1_000_000_000usize.div_ceil(y.len().max(1));
    let (sum_best, sum_median, sum_cpu_best, _) = per_pass(
        inner,
        time(repeats, || {
            for _ in 0..inner {
                sink += plain_sum(black_box(&y), black_box(&v));
            }
        }),
    );

    let (yh, vh) = (read(&dir.join("y_huge.f64")), read(&dir.join("v_huge.f64")));
    let huge = Analyses::uniform(&yh, &vh, yh.len()).unwrap();
    let mut hout = BatchResults::with_capacity(1);
    let (huge_best, huge_median, huge_cpu_best, _) =
        time(repeats.min(5), || dl.pool(&huge, &mut hout).unwrap());
    let inner = 1_000_000_000usize.div_ceil(yh.len().max(1));
    let (hsum_best, hsum_median, hsum_cpu_best, _) = per_pass(
        inner,
        time(repeats.min(5), || {
            for _ in 0..inner {
                sink += plain_sum(black_box(&yh), black_box(&vh));
            }
        }),
    );
    write(
        &dir.join("metapool_huge.f64"),
        &[
            hout.fixed.estimate[0],
            hout.fixed.se[0],
            hout.random.estimate[0],
            hout.random.se[0],
            hout.heterogeneity.tau2[0],
            hout.heterogeneity.q[0],
        ],
    );
    println!(
        "{{\"dl_cpu_best\": {dl_cpu_best}, \"dl_cpu_median\": {dl_cpu_median}, \
         \"reml_cpu_best\": {reml_cpu_best}, \"reml_cpu_median\": {reml_cpu_median}, \
         \"robust_cpu_best\": {robust_cpu_best}, \"robust_cpu_median\": {robust_cpu_median}, \
         \"sum_cpu_best\": {sum_cpu_best}, \"huge_cpu_best\": {huge_cpu_best}, \
         \"huge_sum_cpu_best\": {hsum_cpu_best}, \
         \"analyses\": {n}, \"k\": {k}, \"dl_best\": {dl_best}, \"dl_median\": {dl_median}, \
         \"par_best\": {par_best}, \"par_median\": {par_median}, \
         \"reml_analyses\": {reml_n}, \"reml_best\": {reml_best}, \"reml_median\": {reml_median}, \
         \"reml_failed\": {reml_failed}, \"robust_best\": {robust_best}, \
         \"robust_median\": {robust_median}, \"robust_failed\": {robust_failed}, \
         \"sum_best\": {sum_best}, \"sum_median\": {sum_median}, \
         \"huge_k\": {}, \"huge_best\": {huge_best}, \"huge_median\": {huge_median}, \
         \"huge_sum_best\": {hsum_best}, \"huge_sum_median\": {hsum_median}, \"sink\": {}}}",
        yh.len(),
        if sink.is_finite() { 0 } else { 1 }
    );
}
