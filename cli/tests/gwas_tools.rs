//! `metapool gwas` against plink 1.9 `--meta-analysis` and GWAMA 2.2.2 on the generated
//! cohorts of `fixtures/gwas/` (swapped alleles, lower-case alleles, strand flips,
//! palindromic variants, missing variants, three naming conventions, whitespace / tab / gzip
//! comma files). The tools' outputs were made by `fixtures/gwas/generate.py`.
//!
//! Tolerances are half a unit in each tool's last printed digit: plink prints BETA with 4
//! decimals, P with 4 significant digits, Q (its p-value) with 4 decimals, I with 2 decimals; GWAMA prints 6 decimals. GWAMA's
//! p-values are less accurate than it prints (its normal tail is an approximation: 0.716523 for
//! z = 0.363126 where R's `2 * pnorm(-0.3631265)` is 0.716510), so its p is checked at 3e-5.

use metapool::gwas::{
    Aligner, CohortReader, GwasPooler, OnInvalidRow, Palindromic, PoolBuffers, RandomTest,
    ReadSpec, Scheme, Variant, VariantResult, VariantTable,
};
use metapool::{effect::EffectSet, pool::FixedModel, pool::RandomModel, pool::Tau2Estimator};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/gwas")
        .join(name)
}

fn open(name: &str) -> Box<dyn BufRead> {
    let f = std::fs::File::open(fixture(name)).unwrap();
    if name.ends_with(".gz") {
        Box::new(BufReader::new(flate2::read::GzDecoder::new(f)))
    } else {
        Box::new(BufReader::new(f))
    }
}

const COHORTS: [&str; 3] = ["cohort1.txt", "cohort2.tsv", "cohort3.csv.gz"];

/// The fixtures' cohorts merged (hash join, genomic order) and pooled by `pooler`.
fn pooled(pooler: GwasPooler) -> (Vec<Variant>, Vec<VariantResult>) {
    let spec = ReadSpec::new(pooler.scheme);
    let mut table = VariantTable::new();
    let mut aligner = Aligner::new(pooler.scheme, Palindromic::Keep);
    for (c, name) in COHORTS.iter().enumerate() {
        let mut r = CohortReader::new(open(name), name, &spec).unwrap();
        let rep = table
            .read_cohort(&mut r, c, &mut aligner, OnInvalidRow::Stop, None)
            .unwrap();
        assert!(rep.excluded.is_empty(), "{name}: {:?}", rep.excluded);
    }
    table.sort_genomic();
    let mut out = Vec::new();
    let mut buf = PoolBuffers::default();
    pooler
        .pool(table.variants(), 3, &[1.0; 3], &mut buf, &mut out)
        .unwrap();
    (table.into_variants(), out)
}

fn meta(estimator: Tau2Estimator) -> (Vec<Variant>, Vec<VariantResult>) {
    pooled(GwasPooler {
        scheme: Scheme::InverseVariance,
        random: Some(estimator),
        random_test: RandomTest::HartungKnapp,
        ..GwasPooler::default()
    })
}

/// Whitespace- or tab-separated table keyed by `key`.
fn table_of(name: &str, key: &str) -> HashMap<String, HashMap<String, String>> {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split_whitespace()
        .map(String::from)
        .collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let row: HashMap<String, String> = header
                .iter()
                .cloned()
                .zip(l.split_whitespace().map(String::from))
                .collect();
            (row[key].clone(), row)
        })
        .collect()
}

fn num(row: &HashMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col}: {:?}", row[col]))
}

/// Sign that turns an effect for the canonical first allele into one for `allele`.
fn sign_for(v: &Variant, allele: &str) -> f64 {
    let (a, _) = v.metal_alleles();
    if a.eq_ignore_ascii_case(allele) {
        1.0
    } else {
        -1.0
    }
}

#[track_caller]
fn close(what: &str, marker: &str, got: f64, want: f64, tol: f64, worst: &mut f64) {
    let d = (got - want).abs();
    *worst = worst.max(d);
    assert!(
        d <= tol,
        "{marker} {what}: ours {got}, tool {want} (|d| = {d:e} > {tol:e})"
    );
}

#[test]
fn agrees_with_plink_at_its_printed_precision() {
    let (variants, results) = meta(Tau2Estimator::DerSimonianLaird);
    let plink = table_of("plink.meta", "SNP");
    let (mut compared, mut strand, mut worst) = (0, 0, [0.0f64; 6]);
    for (v, r) in variants.iter().zip(&results) {
        let p = &plink[&v.marker];
        let k: usize = p["N"].parse().unwrap();
        if k != r.k {
            // plink 1.9 does not recognise strand complements: it drops those cohorts' rows
            assert!(k < r.k, "{}", v.marker);
            strand += 1;
            continue;
        }
        if k < 2 {
            continue;
        }
        compared += 1;
        let s = sign_for(v, &p["A1"]);
        let random = r.random.unwrap();
        close(
            "BETA",
            &v.marker,
            s * r.fixed.effect,
            num(p, "BETA"),
            5e-5 + 1e-12,
            &mut worst[0],
        );
        close(
            "BETA(R)",
            &v.marker,
            s * random.effect,
            num(p, "BETA(R)"),
            5e-5 + 1e-12,
            &mut worst[1],
        );
        let rel = |x: f64, y: f64| (x - y).abs() / x;
        close(
            "P (relative)",
            &v.marker,
            0.0,
            rel(r.fixed.p, num(p, "P")),
            5e-4,
            &mut worst[2],
        );
        close(
            "P(R) (relative)",
            &v.marker,
            0.0,
            rel(random.p, num(p, "P(R)")),
            5e-4,
            &mut worst[3],
        );
        close(
            "Q p-value",
            &v.marker,
            r.q_p,
            num(p, "Q"),
            5e-5 + 1e-12,
            &mut worst[4],
        );
        close(
            "I",
            &v.marker,
            r.i2,
            num(p, "I"),
            5e-3 + 1e-9,
            &mut worst[5],
        );
    }
    eprintln!("plink: {compared} variants compared, {strand} with strand flips plink drops; max |d| {worst:?}");
    assert!(compared > 900 && strand > 100, "{compared} {strand}");
}

#[test]
fn agrees_with_gwama_fixed_and_random_at_its_printed_precision() {
    let (variants, results) = meta(Tau2Estimator::DerSimonianLaird);
    let fixed = table_of("gwama_fixed.out", "rs_number");
    let random = table_of("gwama_random.out", "rs_number");
    let mut worst = [0.0f64; 10];
    let mut compared = 0;
    for (v, r) in variants.iter().zip(&results) {
        let (g, gr) = (&fixed[&v.marker], &random[&v.marker]);
        assert_eq!(num(g, "n_studies") as usize, r.k, "{}", v.marker);
        compared += 1;
        let s = sign_for(v, &g["reference_allele"]);
        let t = 5e-7 + 1e-12;
        close(
            "beta",
            &v.marker,
            s * r.fixed.effect,
            num(g, "beta"),
            t,
            &mut worst[0],
        );
        close("se", &v.marker, r.fixed.se, num(g, "se"), t, &mut worst[1]);
        close("z", &v.marker, s * r.fixed.z, num(g, "z"), t, &mut worst[2]);
        close(
            "p",
            &v.marker,
            r.fixed.p,
            num(g, "p-value"),
            3e-5,
            &mut worst[3],
        );
        close("q", &v.marker, r.q, num(g, "q_statistic"), t, &mut worst[4]);
        if r.k > 1 {
            close(
                "q p",
                &v.marker,
                r.q_p,
                num(g, "q_p-value"),
                t,
                &mut worst[5],
            );
            close(
                "i2",
                &v.marker,
                r.i2 / 100.0,
                num(g, "i2"),
                t,
                &mut worst[6],
            );
        }
        let re = r.random.unwrap();
        close(
            "random beta",
            &v.marker,
            s * re.effect,
            num(gr, "beta"),
            t,
            &mut worst[7],
        );
        close(
            "random se",
            &v.marker,
            re.se,
            num(gr, "se"),
            t,
            &mut worst[8],
        );
        close(
            "random p",
            &v.marker,
            re.p,
            num(gr, "p-value"),
            3e-5,
            &mut worst[9],
        );
    }
    eprintln!("GWAMA: {compared} variants; max |d| {worst:?}");
    assert_eq!(compared, 1200);
}

/// Every variant's numbers are those of the single-analysis API on its aligned studies, bit
/// for bit (fixed, DL and REML random effects, Hartung-Knapp).
#[test]
fn equals_the_library_single_analysis_fits_exactly() {
    for est in [
        Tau2Estimator::DerSimonianLaird,
        Tau2Estimator::RestrictedMaximumLikelihood,
    ] {
        let (variants, results) = meta(est);
        for (v, r) in variants.iter().zip(&results) {
            let y: Vec<f64> = v.studies.iter().map(|s| s.effect).collect();
            let var: Vec<f64> = v.studies.iter().map(|s| s.se * s.se).collect();
            let set = EffectSet::from_estimates(&y, &var).unwrap();
            let f = FixedModel::default().pool(&set).unwrap();
            assert_eq!(
                (r.fixed.effect, r.fixed.se, r.fixed.p),
                (f.estimate, f.se, f.p),
                "{}",
                v.marker
            );
            assert_eq!(r.q, f.heterogeneity.q);
            let control = metapool::pool::Tau2Control::default()
                .with_step_adjustment(0.5)
                .unwrap()
                .with_max_iterations(1000)
                .unwrap();
            let m = RandomModel::new(est, Default::default()).with_control(control);
            let re = m.pool(&set).unwrap();
            let got = r.random.unwrap();
            assert_eq!(
                (got.effect, got.se, got.p),
                (re.estimate, re.se, re.p),
                "{} {est:?}",
                v.marker
            );
            if v.studies.len() < 2 {
                continue; // Hartung-Knapp needs k >= 2 (reported as NaN)
            }
            let hk = m
                .with_test(metapool::pool::Test::KnappHartung)
                .pool(&set)
                .unwrap();
            let got = r.hartung_knapp.unwrap();
            assert_eq!(
                (got.effect, got.se, got.p),
                (hk.estimate, hk.se, hk.p),
                "{}",
                v.marker
            );
        }
    }
}

/// The sample-size scheme (METAL's default) against plink 1.9's `weighted-z` (which computes
/// METAL's weighted Z), on the variants where plink pools the same cohorts (it drops
/// strand-flipped rows). plink prints WEIGHTED_Z and P(WZ) with 4 significant digits; its P(WZ)
/// comes from a less accurate normal tail (4.978e-06 for z = -4.565942, where R's
/// `2 * pnorm(-4.565942)` is 4.972574e-06, as metapool), so P(WZ) is checked at 5e-3 relative
/// (plus 1e-13 absolute: plink forms small p with cancellation, about 1e-14 absolute error).
#[test]
fn sample_size_scheme_agrees_with_plink_weighted_z() {
    let (variants, out) = pooled(GwasPooler {
        scheme: Scheme::SampleSize,
        ..GwasPooler::default()
    });
    let plink = table_of("plink_weighted_z.meta", "SNP");
    let (mut compared, mut nan, mut worst) = (0, 0, [0.0f64; 2]);
    for (v, r) in variants.iter().zip(&out) {
        let p = &plink[&v.marker];
        if p["N"].parse::<usize>().unwrap() != r.k || r.k < 2 {
            continue;
        }
        if v.studies.iter().any(|s| s.z.abs() > 6.0) {
            // plink takes each cohort's z as the normal quantile of 1 - p/2, which loses its
            // digits for p below about 1e-9 (and is nan below 1e-16); metapool uses Phi^-1(p/2)
            nan += 1;
            continue;
        }
        compared += 1;
        let s = sign_for(v, &p["A1"]);
        let z = s * r.fixed.z;
        let rel = |x: f64, y: f64| (x - y).abs() / x.abs();
        close(
            "WEIGHTED_Z (relative)",
            &v.marker,
            0.0,
            rel(z, num(p, "WEIGHTED_Z")),
            5e-4,
            &mut worst[0],
        );
        // plink forms small p with cancellation (it prints 6.661e-16 = 3 eps, then 0)
        let (ours, theirs) = (r.fixed.p, num(p, "P(WZ)"));
        let tol = 5e-3 * ours + 1e-13;
        assert!(
            (ours - theirs).abs() <= tol,
            "{} P(WZ): ours {ours}, plink {theirs}",
            v.marker
        );
        if ours > 1e-8 {
            worst[1] = worst[1].max(rel(ours, theirs));
        }
    }
    eprintln!("plink weighted-z: {compared} variants ({nan} skipped: a cohort p < 2e-9); max relative |d| {worst:?}");
    assert!(compared > 800, "{compared}");
}
