//! `metapool`: meta-analysis from a CSV file on the command line.
//!
//! ```text
//! metapool pool --measure MD studies.csv
//! metapool pool --measure OR --by outcome --format json trials.csv
//! ```
//! Every statistic is computed by the `metapool` library; this crate reads CSV, calls it, and
//! writes tables, JSON, CSV and SVG forest plots.
#![forbid(unsafe_code)]

mod analysis;
mod args;
mod forest;
mod gwas;
mod input;
mod json;
mod measure;
mod output;

use analysis::{AnalysisError, Group, Outcome, Settings};
use args::{Cli, Command, Format, PoolArgs};
use clap::Parser;
use input::{Fatal, ReadOptions, Sink};
use std::io::{self, BufWriter, Read};
use std::process::ExitCode;

/// Exit status for bad input or usage (clap uses 2 for usage errors as well).
const EXIT_INPUT: u8 = 2;
/// Exit status when the output could not be written.
const EXIT_IO: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Pool(a) => pool(&a),
        Command::Gwas(a) => gwas::run(&a),
    }
}

/// The output writer of the chosen format plus, optionally, the forest plots.
struct Output<S> {
    format: S,
    forest: Option<forest::ForestSink>,
}

impl<S: Sink> Sink for Output<S> {
    fn analysis(&mut self, g: &Group, o: &Result<Outcome, AnalysisError>) -> io::Result<()> {
        self.format.analysis(g, o)?;
        if let Some(f) = &mut self.forest {
            f.analysis(g, o)?;
        }
        Ok(())
    }
}

fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("metapool: error: {msg}");
    ExitCode::from(code)
}

fn pool(a: &PoolArgs) -> ExitCode {
    let settings = match Settings::from_args(a) {
        Ok(s) => s,
        Err(msg) => return fail(EXIT_INPUT, msg),
    };
    let input: Box<dyn Read> = if a.file == "-" {
        Box::new(io::stdin().lock())
    } else {
        match std::fs::File::open(&a.file) {
            Ok(f) => Box::new(f),
            Err(e) => return fail(EXIT_INPUT, format!("cannot open {}: {e}", a.file)),
        }
    };
    let opts = ReadOptions {
        delimiter: a.delimiter,
        by: a.by.as_deref(),
        subgroup: a.subgroup.as_deref(),
        study: &a.study_column,
        unsorted: a.unsorted,
        keep_going: a.keep_going,
    };
    let with_id = a.by.is_some();
    let forest = a
        .forest
        .as_ref()
        .map(|p| forest::ForestSink::new(p.clone(), &settings, with_id, a.digits));
    let out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let result = match a.format {
        Format::Json => output::JsonSink::new(out, &settings, with_id).and_then(|s| {
            let mut o = Output { format: s, forest };
            let r = input::run(input, &settings, &opts, &mut o);
            finish(r, || o.format.finish())
        }),
        Format::Csv => output::CsvSink::new(out, &settings).and_then(|s| {
            let mut o = Output { format: s, forest };
            let r = input::run(input, &settings, &opts, &mut o);
            finish(r, || o.format.finish())
        }),
        Format::Table => {
            let s = output::TableSink::new(out, &settings, with_id, a.digits);
            let mut o = Output { format: s, forest };
            let r = input::run(input, &settings, &opts, &mut o);
            finish(r, || o.format.finish())
        }
    };
    let name = if a.file == "-" {
        "<stdin>"
    } else {
        a.file.as_str()
    };
    match result {
        Ok(Ok(summary)) if summary.failed > 0 => fail(
            EXIT_INPUT,
            format!(
                "{name}: {} of {} analyses failed (see their `error`)",
                summary.failed, summary.analyses
            ),
        ),
        Ok(Ok(_)) => ExitCode::SUCCESS,
        Ok(Err(Fatal::Input(e))) => fail(EXIT_INPUT, format!("{name}: {e}")),
        Ok(Err(Fatal::Io(e))) | Err(e) => {
            if e.kind() == io::ErrorKind::BrokenPipe {
                return ExitCode::from(EXIT_IO);
            }
            fail(EXIT_IO, format!("cannot write the output: {e}"))
        }
    }
}

/// Close the output after a run: on success flush it; on a fatal input error flush what was
/// written (the streamed analyses before the error) and report the error.
fn finish(
    r: Result<input::Summary, Fatal>,
    close: impl FnOnce() -> io::Result<()>,
) -> io::Result<Result<input::Summary, Fatal>> {
    match r {
        Ok(s) => {
            close()?;
            Ok(Ok(s))
        }
        Err(Fatal::Io(e)) => Err(e),
        // The writer is dropped (and flushed) by the caller: the analyses streamed before the
        // error stay in the output, which is left unterminated so that it cannot pass for a
        // complete one.
        Err(e) => Ok(Err(e)),
    }
}
