//! The subcommands that read an analysis file: validate the options, open the input, run the
//! pipeline with the sink of the chosen format, and turn the result into an exit status.

use crate::analysis::{AnalysisError, Group, Outcome, Settings};
use crate::args::{BiasArgs, Format, InputArgs, ModelArgs, PoolArgs, SensitivityArgs};
use crate::cells::NumberFormat;
use crate::error::Fatal;
use crate::input::ReadOptions;
use crate::pipeline::{self, Sink};
use crate::regress::RegressArgs;
use crate::{bias, forest, output, progress, regress, sensitivity};
use std::io::{self, BufWriter, Read};
use std::process::ExitCode;

/// Exit status for bad input or usage (clap uses 2 for usage errors as well).
pub const EXIT_INPUT: u8 = 2;
/// Exit status when the output could not be written.
pub const EXIT_IO: u8 = 1;

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

pub fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("metapool: error: {msg}");
    ExitCode::from(code)
}

/// The input file, or standard input for `-`.
pub fn open_input(file: &str) -> Result<Box<dyn Read>, ExitCode> {
    if file == "-" {
        return Ok(Box::new(io::stdin().lock()));
    }
    match std::fs::File::open(file) {
        Ok(f) => Ok(Box::new(f)),
        Err(e) => Err(fail(EXIT_INPUT, format!("cannot open {file}: {e}"))),
    }
}

/// The reader's options from the shared input options.
pub fn read_options<'a>(
    a: &'a InputArgs,
    subgroup: Option<&'a str>,
    order: Option<&'a str>,
) -> ReadOptions<'a> {
    ReadOptions {
        delimiter: a.delimiter,
        columns: a.columns.as_deref(),
        numbers: NumberFormat {
            decimal: a.decimal,
            thousands: a.thousands,
        },
        missing: a.missing,
        by: a.by.as_deref(),
        subgroup,
        study: &a.study_column,
        order,
        moderators: &[],
        unsorted: a.unsorted,
        keep_going: a.keep_going,
        keep_values: false,
    }
}

/// Validated settings, the input and the reader options of an analysing subcommand.
fn prepare<'a>(
    a: &'a InputArgs,
    m: &ModelArgs,
    subgroup: Option<&'a str>,
    order: Option<&'a str>,
) -> Result<(Settings, Box<dyn Read>, ReadOptions<'a>), ExitCode> {
    let settings = Settings::from_args(a, m).map_err(|msg| fail(EXIT_INPUT, msg))?;
    let mut input = open_input(&a.file)?;
    if a.by.is_some() && progress::wanted() {
        let len = (a.file != "-")
            .then(|| std::fs::metadata(&a.file).ok().map(|m| m.len()))
            .flatten();
        input = Box::new(progress::wrap(input, len));
    }
    Ok((settings, input, read_options(a, subgroup, order)))
}

/// `metapool pool`.
pub fn pool(pa: &PoolArgs) -> ExitCode {
    let a = &pa.input;
    if pa.method.is_some() {
        if let Err(msg) = crate::glmm::check(pa) {
            return fail(EXIT_INPUT, msg);
        }
    }
    let (mut settings, input, opts) = match prepare(a, &pa.model, pa.subgroup.as_deref(), None) {
        Ok(x) => x,
        Err(code) => return code,
    };
    settings.robust = match crate::robust::RobustSpec::from_args(&pa.robust) {
        Ok(r) => r,
        Err(msg) => return fail(EXIT_INPUT, msg),
    };
    let cluster: Vec<_> = settings.robust.iter().map(|r| r.column.clone()).collect();
    let opts = ReadOptions {
        moderators: &cluster,
        ..opts
    };
    let out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    exit_status(&a.file, run_pool(pa, &settings, &opts, input, out))
}

/// Write the analyses of `input` to `out` in the format of `pa` (and the forest plots).
pub fn run_pool<R: Read, W: io::Write>(
    pa: &PoolArgs,
    settings: &Settings,
    opts: &ReadOptions<'_>,
    input: R,
    out: W,
) -> io::Result<Result<pipeline::Summary, Fatal>> {
    let with_id = pa.input.by.is_some();
    if pa.method.is_some() {
        return crate::glmm::run(pa, settings, opts, input, out);
    }
    let opts = &ReadOptions {
        keep_values: pa.forest.is_some(),
        ..*opts
    };
    let forest = pa
        .forest
        .as_ref()
        .map(|p| forest::ForestSink::new(p.clone(), settings, with_id, pa.output.digits));
    match pa.output.format {
        Format::Json => output::JsonSink::new(out, settings, with_id).and_then(|s| {
            let mut o = Output { format: s, forest };
            let r = pipeline::pool(input, settings, opts, &mut o);
            finish(r, || o.format.finish())
        }),
        Format::Csv => output::CsvSink::new(
            out,
            settings,
            pa.output.csv_rows == crate::args::CsvRows::All,
        )
        .and_then(|s| {
            let mut o = Output { format: s, forest };
            let r = pipeline::pool(input, settings, opts, &mut o);
            finish(r, || o.format.finish())
        }),
        Format::Table => {
            let s = output::TableSink::new(out, settings, with_id, pa.output.digits);
            let mut o = Output { format: s, forest };
            let r = pipeline::pool(input, settings, opts, &mut o);
            finish(r, || o.format.finish())
        }
    }
}

/// The exit status of a run, with its message.
pub fn exit_status(file: &str, result: io::Result<Result<pipeline::Summary, Fatal>>) -> ExitCode {
    let name = if file == "-" { "<stdin>" } else { file };
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
pub fn finish(
    r: Result<pipeline::Summary, Fatal>,
    close: impl FnOnce() -> io::Result<()>,
) -> io::Result<Result<pipeline::Summary, Fatal>> {
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

/// What a subcommand's run gives: a usage error (`Err`), or the written output's status.
type Run = Result<io::Result<Result<pipeline::Summary, Fatal>>, &'static str>;

/// The entry of the analysing subcommands besides `pool`: the settings and the input from the
/// options, `run` on them with a buffered standard output, and its result as the exit status.
fn launch<'a>(
    a: &'a InputArgs,
    m: &ModelArgs,
    order: Option<&'a str>,
    run: impl FnOnce(
        &Settings,
        &ReadOptions<'a>,
        Box<dyn Read>,
        BufWriter<io::StdoutLock<'static>>,
    ) -> Run,
) -> ExitCode {
    let (settings, input, opts) = match prepare(a, m, None, order) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    match run(&settings, &opts, input, out) {
        Ok(r) => exit_status(&a.file, r),
        Err(usage) => fail(EXIT_INPUT, usage),
    }
}

/// `metapool sensitivity`.
pub fn sensitivity(sa: &SensitivityArgs) -> ExitCode {
    let a = &sa.input;
    launch(a, &sa.model, sa.order.as_deref(), |s, o, input, out| {
        run_sensitivity(sa, s, o, input, out)
    })
}

/// The diagnostics of the analyses of `input`, written to `out`; `Err`: a usage error.
pub fn run_sensitivity<R: Read, W: io::Write>(
    sa: &SensitivityArgs,
    settings: &Settings,
    opts: &ReadOptions<'_>,
    input: R,
    out: W,
) -> Run {
    let with_id = sa.input.by.is_some();
    let order = sa.order.as_deref();
    let mut sink = match sa.output.format {
        Format::Json => sensitivity::SensitivitySink::Json {
            out: crate::json::Analyses::new(out),
            settings,
            with_id,
            order,
        },
        Format::Table => sensitivity::SensitivitySink::Table {
            out,
            with_id,
            digits: sa.output.digits,
            order,
        },
        Format::Csv => return Err("--format csv is not available for sensitivity"),
    };
    let ordered = order.is_some();
    let r = pipeline::run(
        input,
        settings,
        opts,
        |g| sensitivity::run(settings, g, ordered),
        |g, o| sink.analysis(g, o),
    );
    Ok(finish(r, || sink.finish()))
}

/// `metapool bias`.
pub fn bias(ba: &BiasArgs) -> ExitCode {
    let a = &ba.input;
    launch(a, &ba.model, None, |s, o, input, out| {
        run_bias(ba, s, o, input, out)
    })
}

/// The bias tests of the analyses of `input`, written to `out` (and the funnel plots); `Err`: a
/// usage error.
pub fn run_bias<R: Read, W: io::Write>(
    ba: &BiasArgs,
    settings: &Settings,
    opts: &ReadOptions<'_>,
    input: R,
    out: W,
) -> Run {
    let options = bias::Options::from_args(ba, settings);
    let with_id = ba.input.by.is_some();
    let mut sink = match ba.output.format {
        Format::Json => bias::BiasSink::Json {
            out: crate::json::Analyses::new(out),
            settings,
            with_id,
        },
        Format::Table => bias::BiasSink::Table {
            out,
            with_id,
            digits: ba.output.digits,
        },
        Format::Csv => return Err("--format csv is not available for bias"),
    };
    let funnel = ba.funnel.as_deref();
    let r = pipeline::run(
        input,
        settings,
        opts,
        |g| bias::run(settings, &options, g),
        |g, o| {
            if let (Some(path), Ok(b)) = (funnel, o) {
                bias::write_funnel(path, with_id, g, b)?;
            }
            sink.analysis(g, o)
        },
    );
    Ok(finish(r, || sink.finish()))
}

/// `metapool regress`.
pub fn regress(ra: &RegressArgs) -> ExitCode {
    let a = &ra.input;
    let spec = match regress::Spec::from_args(ra) {
        Ok(s) => s,
        Err(usage) => return fail(EXIT_INPUT, usage),
    };
    launch(a, &ra.model, None, |s, o, input, out| {
        run_regress(ra, &spec, s, o, input, out)
    })
}

/// The meta-regressions of the analyses of `input`, written to `out`; `Err`: a usage error.
pub fn run_regress<R: Read, W: io::Write>(
    ra: &RegressArgs,
    spec: &regress::Spec,
    settings: &Settings,
    opts: &ReadOptions<'_>,
    input: R,
    out: W,
) -> Run {
    let with_id = ra.input.by.is_some();
    let mut sink = match ra.output.format {
        Format::Json => regress::RegressSink::Json {
            out: crate::json::Analyses::new(out),
            settings,
            with_id,
        },
        Format::Table => regress::RegressSink::Table { out, with_id },
        Format::Csv => match regress::RegressCsv::new(out, settings) {
            Ok(c) => regress::RegressSink::Csv(Box::new(c)),
            Err(e) => return Ok(Err(e)),
        },
    };
    let opts = &ReadOptions {
        moderators: &spec.columns,
        ..*opts
    };
    let r = pipeline::run(
        input,
        settings,
        opts,
        |g| regress::run(settings, spec, g),
        |g, o| sink.analysis(g, o),
    );
    Ok(finish(r, || sink.finish()))
}

/// `metapool mv`.
pub fn mv(ma: &crate::mv::MvArgs) -> ExitCode {
    let a = &ma.input;
    let spec = match crate::mv::Spec::from_args(ma) {
        Ok(s) => s,
        Err(usage) => return fail(EXIT_INPUT, usage),
    };
    launch(a, &ma.model, None, |s, o, input, out| {
        run_mv(ma, &spec, s, o, input, out)
    })
}

/// The multilevel models of the analyses of `input`, written to `out`; `Err`: a usage error.
pub fn run_mv<R: Read, W: io::Write>(
    ma: &crate::mv::MvArgs,
    spec: &crate::mv::Spec,
    settings: &Settings,
    opts: &ReadOptions<'_>,
    input: R,
    out: W,
) -> Run {
    let with_id = ma.input.by.is_some();
    let mut sink = match ma.output.format {
        Format::Json => crate::mv::MvSink::Json {
            out: crate::json::Analyses::new(out),
            settings,
            with_id,
        },
        Format::Table => crate::mv::MvSink::Table { out, with_id },
        Format::Csv => return Err("mv writes --format table or json"),
    };
    let opts = &ReadOptions {
        moderators: &spec.columns,
        ..*opts
    };
    let r = pipeline::run(
        input,
        settings,
        opts,
        |g| crate::mv::run(settings, spec, g),
        |g, o| sink.analysis(g, o),
    );
    Ok(finish(r, || sink.finish()))
}
