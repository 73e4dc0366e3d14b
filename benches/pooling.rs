//! Throughput benches (criterion): single analyses at k = 10 .. 10^7, the batch path on
//! 1,000,000 analyses of k = 10, the memory-bandwidth floor (a plain summing pass), REML at
//! k = 10 and 100, and effect-size computation per million studies. Criterion prints the throughput (elements/s:
//! analyses or studies). Sample sizes are small so that the whole run stays short on a shared
//! 2-core machine: `cargo bench --bench pooling` (add a filter such as `batch` to run one group).

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use metapool::batch::{Analyses, BatchPooler, BatchResults, OnFailure};
use metapool::{
    effect::Arm, effect::EffectSet, effect::EffectSize, effect::LogOddsRatio,
    effect::StandardizedMeanDifference, effect::TwoByTwo, pool::RandomModel, pool::Tau2Control,
    pool::Tau2Estimator,
};
use std::time::Duration;

/// xorshift64*, deterministic.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn noise(&mut self) -> f64 {
        (self.next() + self.next() + self.next() + self.next() - 2.0) * 3f64.sqrt()
    }
}

/// `n` analyses of `k` studies: a true mean per analysis, tau in {0, 0.1, 0.3}, v in [0.01, 0.21].
fn data(n: usize, k: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let (mut y, mut v) = (Vec::with_capacity(n * k), Vec::with_capacity(n * k));
    for a in 0..n {
        let mu = rng.next() - 0.5;
        let tau = [0.0, 0.1, 0.3][a % 3];
        for _ in 0..k {
            let vi = 0.01 + 0.2 * rng.next();
            v.push(vi);
            let (u, w) = (rng.noise(), rng.noise());
            y.push(mu + tau * u + vi.sqrt() * w);
        }
    }
    (y, v)
}

fn single(c: &mut Criterion) {
    let mut g = c.benchmark_group("single_dl");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for k in [10usize, 100, 10_000, 10_000_000] {
        let (y, v) = data(1, k, k as u64);
        let set = EffectSet::from_estimates(&y, &v).unwrap();
        g.throughput(Throughput::Elements(k as u64));
        // FE + DL + Q test + CI + p + weights, as one call of the single-analysis API
        let model = RandomModel::default();
        g.bench_with_input(BenchmarkId::new("RandomModel::pool", k), &set, |b, s| {
            b.iter(|| model.pool(black_box(s)).unwrap())
        });
        // the same figures (no weights) from the batch path on one analysis: no allocation
        let mut out = BatchResults::with_capacity(1);
        let one = Analyses::uniform(&y, &v, k).unwrap();
        let pooler = BatchPooler::default();
        g.bench_with_input(BenchmarkId::new("BatchPooler::pool", k), &one, |b, a| {
            b.iter(|| pooler.pool(black_box(a), &mut out).unwrap())
        });
        // the memory-bandwidth floor: one plain pass summing both columns
        g.bench_with_input(BenchmarkId::new("plain_sum", k), &(&y, &v), |b, (y, v)| {
            b.iter(|| {
                let (y, v) = (black_box(y), black_box(v));
                let (mut a, mut s) = ([0.0f64; 4], [0.0f64; 4]);
                for (cy, cv) in y.chunks_exact(4).zip(v.chunks_exact(4)) {
                    for j in 0..4 {
                        a[j] += cy[j];
                        s[j] += cv[j];
                    }
                }
                a.iter().sum::<f64>() + s.iter().sum::<f64>()
            })
        });
    }
    g.finish();
}

fn batch(c: &mut Criterion) {
    let mut g = c.benchmark_group("batch");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let (n, k) = (1_000_000usize, 10usize);
    let (y, v) = data(n, k, 7);
    let analyses = Analyses::uniform(&y, &v, k).unwrap();
    let mut out = BatchResults::with_capacity(n);
    g.throughput(Throughput::Elements(n as u64));
    let pooler = BatchPooler::default();
    g.bench_function("fe_dl_1e6_analyses_k10", |b| {
        b.iter(|| pooler.pool(black_box(&analyses), &mut out).unwrap())
    });
    #[cfg(feature = "rayon")]
    g.bench_function("fe_dl_1e6_analyses_k10_rayon", |b| {
        b.iter(|| pooler.par_pool(black_box(&analyses), &mut out).unwrap())
    });
    g.finish();
}

/// REML (the exact solver, the default) at k = 10 and 100: the single-analysis API on one
/// analysis, and the batch path on 100,000 analyses of k = 10 and 10,000 of k = 100; in the
/// batch path also REML along metafor's path (`Tau2Control::metafor()`, analyses that do not
/// converge recorded, not retried) and DerSimonian-Laird, the yardstick, on the same analyses.
fn reml(c: &mut Criterion) {
    let mut g = c.benchmark_group("reml");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let model = RandomModel::default().with_estimator(Tau2Estimator::RestrictedMaximumLikelihood);
    let pooler = BatchPooler::default()
        .with_estimator(Tau2Estimator::RestrictedMaximumLikelihood)
        .with_on_failure(OnFailure::Record);
    let metafor = pooler.with_control(Tau2Control::metafor());
    let dl = BatchPooler::default();
    for (k, n) in [(10usize, 100_000usize), (100, 10_000)] {
        let (y, v) = data(n, k, 3);
        let set = EffectSet::from_estimates(&y[..k], &v[..k]).unwrap();
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(BenchmarkId::new("RandomModel::pool", k), &set, |b, s| {
            b.iter(|| model.pool(black_box(s)))
        });
        let analyses = Analyses::uniform(&y, &v, k).unwrap();
        let mut out = BatchResults::with_capacity(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(
            BenchmarkId::new("BatchPooler::pool", k),
            &analyses,
            |b, a| b.iter(|| pooler.pool(black_box(a), &mut out).unwrap()),
        );
        g.bench_with_input(
            BenchmarkId::new("BatchPooler::pool metafor", k),
            &analyses,
            |b, a| b.iter(|| metafor.pool(black_box(a), &mut out).unwrap()),
        );
        g.bench_with_input(
            BenchmarkId::new("BatchPooler::pool DL", k),
            &analyses,
            |b, a| b.iter(|| dl.pool(black_box(a), &mut out).unwrap()),
        );
    }
    g.finish();
}

fn effect_sizes(c: &mut Criterion) {
    let mut g = c.benchmark_group("effect_size");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let n = 1_000_000usize;
    let mut rng = Rng(11);
    let smd: Vec<StandardizedMeanDifference> = (0..n)
        .map(|_| {
            let a1 = Arm::new(
                10.0 + rng.noise(),
                2.0 + rng.next(),
                20.0 + (rng.next() * 80.0).floor(),
            )
            .unwrap();
            let a2 = Arm::new(
                10.5 + rng.noise(),
                2.0 + rng.next(),
                20.0 + (rng.next() * 80.0).floor(),
            )
            .unwrap();
            StandardizedMeanDifference::new(a1, a2).unwrap()
        })
        .collect();
    let lor: Vec<LogOddsRatio> = (0..n)
        .map(|_| {
            let (n1, n2) = (
                50.0 + (rng.next() * 100.0).floor(),
                50.0 + (rng.next() * 100.0).floor(),
            );
            let (e1, e2) = ((rng.next() * n1).floor(), (rng.next() * n2).floor());
            LogOddsRatio::new(TwoByTwo::new(e1, n1, e2, n2).unwrap())
        })
        .collect();
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("smd_1e6_studies", |b| {
        b.iter(|| {
            let mut s = 0.0;
            for st in black_box(&smd) {
                if let Ok(metapool::effect::StudyEffect::Included(e)) = st.effect() {
                    s += e.estimate();
                }
            }
            s
        })
    });
    g.bench_function("log_or_1e6_studies", |b| {
        b.iter(|| {
            let mut s = 0.0;
            for st in black_box(&lor) {
                if let Ok(metapool::effect::StudyEffect::Included(e)) = st.effect() {
                    s += e.estimate();
                }
            }
            s
        })
    });
    g.finish();
}

criterion_group!(benches, batch, single, reml, effect_sizes);
criterion_main!(benches);
