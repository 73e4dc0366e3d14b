//! Times one three-level REML fit (10,000 effects in 1,000 clusters, two moderators; the data
//! of `benches/multilevel_common/data.rs`) and prints its estimates, for
//! `benches/compare/multilevel.sh`, which runs metafor on the same data in the same run.
//! Run: `cargo run --release --example multilevel_timing [K] [REPEATS]`.

use metapool::multilevel::MultilevelModel;
use std::time::Instant;

#[path = "../benches/multilevel_common/data.rs"]
mod data;

/// The process's CPU time, user + system (Linux /proc/self/stat, in clock ticks of 10 ms), or
/// None elsewhere.
fn cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let k: usize = args.next().map_or(10_000, |a| a.parse().expect("K"));
    let repeats: usize = args.next().map_or(5, |a| a.parse().expect("REPEATS"));
    let (y, v, re, x) = data::three_level(k);
    let mut best = f64::INFINITY;
    let mut best_cpu = f64::INFINITY;
    let mut fit = None;
    for _ in 0..repeats {
        let t = Instant::now();
        let c = cpu_seconds();
        let f = MultilevelModel::default()
            .fit(&y, &v, &re, &x)
            .expect("fit");
        best = best.min(t.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (c, cpu_seconds()) {
            best_cpu = best_cpu.min(b - a);
        }
        fit = Some(f);
    }
    let fit = fit.expect("at least one repeat");
    let s: Vec<String> = fit.sigma2().iter().map(|s| format!("{s:.10}")).collect();
    let b: Vec<String> = fit
        .coefficients()
        .iter()
        .map(|c| format!("{:.10}", c.estimate))
        .collect();
    println!(
        "metapool: k = {k}, best of {repeats}: {best:.4} s (wall), {best_cpu:.4} s (CPU); {:?}",
        fit.stop()
    );
    println!(
        "metapool: sigma2 = {}; b = {}; logLik = {:.8}",
        s.join(", "),
        b.join(", "),
        fit.fit_statistics().loglik
    );
}
