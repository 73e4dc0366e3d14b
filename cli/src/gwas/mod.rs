//! `metapool gwas`: genome-wide meta-analysis of per-cohort summary statistics, with a
//! modern interface and METAL scripts run unchanged (`--metal SCRIPT`).

mod open;
mod output;

use clap::{Args, ValueEnum};
use metapool::gwas::metal::Session;
use metapool::gwas::{
    genomic_control_lambda, Aligner, CohortReader, CohortReport, GwasPooler, OnInvalidRow,
    Palindromic, PoolBuffers, RandomTest, ReadSpec, Record, Region, Scheme, SortedMerge, Variant,
    VariantTable,
};
use metapool::{inference::ConfidenceLevel, pool::Tau2Estimator};
use std::io::{self, BufRead, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

/// `metapool gwas`.
#[derive(Debug, Args)]
pub struct GwasArgs {
    /// Cohort files (plain or gzip; whitespace-, tab- or comma-separated, with a header row).
    pub cohorts: Vec<String>,

    /// Run this METAL script unchanged (the other options are then not used).
    #[arg(long, value_name = "SCRIPT")]
    pub metal: Option<String>,

    /// Weighting scheme: inverse variance (METAL's STDERR) or sample size (METAL's default).
    #[arg(long, value_enum, ignore_case = true, default_value = "ivw")]
    pub scheme: SchemeArg,

    /// Genomic control of each cohort (lambda from its median chi-square, METAL's rule).
    #[arg(long)]
    pub gc: bool,

    /// Genomic control of the meta-analysis result as well.
    #[arg(long)]
    pub gc_result: bool,

    /// Heterogeneity columns (Q, df, p, I²).
    #[arg(long)]
    pub het: bool,

    /// Random effects beside the fixed effect (inverse-variance scheme).
    #[arg(long, value_enum, ignore_case = true)]
    pub random: Option<RandomArg>,

    /// Hartung-Knapp test of the random effects as well (needs --random).
    #[arg(long, requires = "random")]
    pub hk: bool,

    /// Palindromic (A/T, C/G) variants: keep as labelled, align by frequency, or drop.
    #[arg(long, value_enum, ignore_case = true, default_value = "keep")]
    pub palindromic: PalindromicArg,

    /// With --palindromic frequency: frequencies within this distance of 0.5 are ambiguous.
    #[arg(long, default_value_t = 0.1)]
    pub palindromic_threshold: f64,

    /// Restrict to a region `chr:start-end` (inclusive); results of regions concatenate to the
    /// whole-genome result.
    #[arg(long)]
    pub region: Option<String>,

    /// Inputs are sorted by chromosome and position: merge them in one streaming pass
    /// (memory bounded by the number of cohorts). Default: a hash join (memory grows with the
    /// number of variants).
    #[arg(long)]
    pub sorted: bool,

    /// Output order of the hash join: genomic (needs CHR/POS columns) or first appearance.
    #[arg(long, value_enum, ignore_case = true, default_value = "genomic")]
    pub order: OrderArg,

    /// Skip invalid rows and count them per cohort and reason (default: stop at the first).
    #[arg(long)]
    pub keep_going: bool,

    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,

    /// Output file (tab-separated); `-` for standard output.
    #[arg(short, long, default_value = "-")]
    pub output: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemeArg {
    Ivw,
    Samplesize,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RandomArg {
    #[value(name = "DL")]
    Dl,
    #[value(name = "REML")]
    Reml,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PalindromicArg {
    Keep,
    Frequency,
    Drop,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OrderArg {
    Genomic,
    Appearance,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("metapool: error: {msg}");
    ExitCode::from(2)
}

/// Run `metapool gwas`.
pub fn run(a: &GwasArgs) -> ExitCode {
    if let Some(script) = &a.metal {
        return run_metal(script);
    }
    if a.cohorts.is_empty() {
        return fail("no cohort files given");
    }
    match run_modern(a) {
        Ok(code) => code,
        Err(e) => fail(e),
    }
}

fn run_metal(path: &str) -> ExitCode {
    let text = match open::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return fail(format!("cannot read {path}: {e}")),
    };
    let mut session = Session::new();
    let mut opener = |p: &str| open::open(p);
    match session.run(&text, &mut opener) {
        Ok(log) => {
            let mut out = io::stdout().lock();
            for m in &log.messages {
                let _ = writeln!(out, "{m}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

struct Plan {
    spec: ReadSpec,
    pooler: GwasPooler,
    palindromic: Palindromic,
    on_invalid: OnInvalidRow,
    region: Option<Region>,
}

fn plan(a: &GwasArgs) -> Result<Plan, String> {
    let scheme = match a.scheme {
        SchemeArg::Ivw => Scheme::InverseVariance,
        SchemeArg::Samplesize => Scheme::SampleSize,
    };
    let random = a.random.map(|r| match r {
        RandomArg::Dl => Tau2Estimator::DerSimonianLaird,
        RandomArg::Reml => Tau2Estimator::RestrictedMaximumLikelihood,
    });
    if random.is_some() && scheme == Scheme::SampleSize {
        return Err(
            "--random needs --scheme ivw (random effects pool effects and their SEs)".into(),
        );
    }
    let level = ConfidenceLevel::new(a.level).map_err(|e| e.to_string())?;
    let palindromic = match a.palindromic {
        PalindromicArg::Keep => Palindromic::Keep,
        PalindromicArg::Drop => Palindromic::Drop,
        PalindromicArg::Frequency => {
            if !(0.0..0.5).contains(&a.palindromic_threshold) {
                return Err("--palindromic-threshold must be in [0, 0.5)".into());
            }
            Palindromic::Frequency {
                threshold: a.palindromic_threshold,
            }
        }
    };
    let region = match &a.region {
        Some(r) => {
            Some(Region::parse(r).ok_or_else(|| format!("--region {r:?} is not chr:start-end"))?)
        }
        None => None,
    };
    let mut spec = ReadSpec::new(scheme);
    spec.strict_columns = false;
    spec.need_frequency = matches!(palindromic, Palindromic::Frequency { .. });
    spec.need_position = a.sorted || region.is_some();
    Ok(Plan {
        spec,
        pooler: GwasPooler {
            scheme,
            random,
            random_test: if a.hk {
                RandomTest::HartungKnapp
            } else {
                RandomTest::Wald
            },
            level,
        },
        palindromic,
        on_invalid: if a.keep_going {
            OnInvalidRow::Count
        } else {
            OnInvalidRow::Stop
        },
        region,
    })
}

fn reader(path: &str, spec: &ReadSpec) -> Result<CohortReader<Box<dyn BufRead>>, String> {
    let input = open::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    CohortReader::new(input, path, spec).map_err(|e| e.to_string())
}

/// Per-cohort lambdas from a first pass over each whole file (every valid row, whatever the
/// region, so that regions concatenate to the whole-genome result).
fn lambdas(a: &GwasArgs, p: &Plan) -> Result<Vec<f64>, String> {
    if !a.gc {
        return Ok(vec![1.0; a.cohorts.len()]);
    }
    let mut spec = p.spec.clone();
    spec.need_position = false;
    spec.need_frequency = false;
    let mut out = Vec::new();
    let mut chi2 = Vec::new();
    for path in &a.cohorts {
        let mut r = reader(path, &spec)?;
        let mut rec = Record::default();
        chi2.clear();
        while let Some(row) = r.next_record(&mut rec) {
            if row.is_err() {
                continue; // counted (or fatal) in the main pass
            }
            chi2.push(match p.pooler.scheme {
                Scheme::InverseVariance => (rec.effect / rec.se).powi(2),
                Scheme::SampleSize => metapool::inference::normal_quantile(rec.p * 0.5).powi(2),
            });
        }
        out.push(genomic_control_lambda(&mut chi2));
    }
    Ok(out)
}

struct Progress {
    on: bool,
    done: u64,
}

impl Progress {
    fn tick(&mut self, n: usize) {
        self.done += n as u64;
        if self.on {
            eprint!("\r{} variants", self.done);
        }
    }
    fn end(&self) {
        if self.on {
            eprintln!();
        }
    }
}

fn run_modern(a: &GwasArgs) -> Result<ExitCode, String> {
    let p = plan(a)?;
    let lambda = lambdas(a, &p)?;
    let sink: Box<dyn Write> = if a.output == "-" {
        Box::new(io::stdout().lock())
    } else {
        Box::new(
            std::fs::File::create(&a.output)
                .map_err(|e| format!("cannot create {}: {e}", a.output))?,
        )
    };
    let mut w = output::Writer::new(
        BufWriter::with_capacity(1 << 17, sink),
        &p.pooler,
        a.het,
        a.cohorts.len(),
    );
    let io_err = |e: io::Error| format!("cannot write {}: {e}", a.output);
    w.header().map_err(io_err)?;
    let mut progress = Progress {
        on: io::stderr().is_terminal(),
        done: 0,
    };
    let aligner = Aligner::new(p.pooler.scheme, p.palindromic);
    let mut buf = PoolBuffers::default();
    let mut results = Vec::new();
    let mut held = output::Held::new(a.gc_result);
    let reports: Vec<CohortReport> = if a.sorted {
        let readers = a
            .cohorts
            .iter()
            .map(|c| reader(c, &p.spec))
            .collect::<Result<Vec<_>, _>>()?;
        let mut merge = SortedMerge::new(readers, aligner, p.on_invalid, p.region.clone())
            .map_err(|e| e.to_string())?;
        merge.set_lambdas(&lambda);
        let mut block: Vec<Variant> = Vec::new();
        loop {
            let more = merge.next_position(&mut block).map_err(|e| e.to_string())?;
            if block.len() >= 4096 || (!more && !block.is_empty()) {
                p.pooler
                    .pool(&block, a.cohorts.len(), &lambda, &mut buf, &mut results)
                    .map_err(|e| e.to_string())?;
                held.write(&mut w, &block, &results).map_err(io_err)?;
                progress.tick(block.len());
                merge.recycle(&mut block);
            }
            if !more {
                break;
            }
        }
        merge.reports().to_vec()
    } else {
        let mut table = VariantTable::new();
        let mut aligner = aligner;
        let mut reports = Vec::new();
        for (c, path) in a.cohorts.iter().enumerate() {
            let mut r = reader(path, &p.spec)?;
            let mut rep = table
                .read_cohort(&mut r, c, &mut aligner, p.on_invalid, p.region.as_ref())
                .map_err(|e| e.to_string())?;
            rep.lambda = lambda[c];
            reports.push(rep);
        }
        if a.order == OrderArg::Genomic {
            table.sort_genomic();
        }
        for block in table.variants().chunks(1 << 16) {
            p.pooler
                .pool(block, a.cohorts.len(), &lambda, &mut buf, &mut results)
                .map_err(|e| e.to_string())?;
            held.write(&mut w, block, &results).map_err(io_err)?;
            progress.tick(block.len());
        }
        reports
    };
    held.finish(&mut w).map_err(io_err)?;
    w.flush().map_err(io_err)?;
    progress.end();
    let mut skipped = 0;
    for r in &reports {
        let excluded: u64 = r.excluded.values().sum();
        skipped += excluded;
        let reasons: Vec<String> = r.excluded.iter().map(|(k, n)| format!("{n} {k}")).collect();
        eprintln!(
            "metapool: {}: {} rows, {} used, lambda {:.4}{}",
            r.file,
            r.rows,
            r.used,
            r.lambda,
            if reasons.is_empty() {
                String::new()
            } else {
                format!("; excluded: {}", reasons.join(", "))
            }
        );
    }
    if let Some(l) = held.lambda() {
        eprintln!("metapool: genomic control of the result: lambda {l:.4}");
    }
    let _ = skipped;
    Ok(ExitCode::SUCCESS)
}
