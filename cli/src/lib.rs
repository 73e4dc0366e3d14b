//! Not an API. With the `fuzzing` feature this compiles the `metapool` binary's modules as a
//! library, so that the cargo-fuzz targets in `fuzz/` can drive the CSV reader and every
//! subcommand's options in-process ([`fuzz_run`]). Without the feature it is empty.
#![forbid(unsafe_code)]
#![cfg(feature = "fuzzing")]
// The binary uses the parts that the fuzzing entry does not reach.
#![allow(dead_code)]

mod analysis;
mod args;
mod bias;
mod cells;
mod check;
mod columns;
mod commands;
mod error;
mod escalc_measures;
mod forest;
mod glmm;
mod group;
mod gwas;
mod input;
mod json;
mod layout;
mod measure;
mod mv;
mod output;
mod pipeline;
mod progress;
mod rates;
mod refit;
mod regress;
mod robust;
mod sensitivity;
mod settings;

use args::{Cli, Command, Format};
use clap::Parser;

/// How a fuzzed run ended.
#[derive(Debug)]
pub enum FuzzOutcome {
    /// The options were rejected (by clap or by the settings' validation).
    Usage,
    /// The run completed; `json` when the output is a complete JSON document.
    Done { output: Vec<u8>, json: bool },
    /// The run stopped on bad input (an error naming the line), or an analysis failed.
    InputError(String),
}

/// Run `metapool ARGS -` with `input` as standard input, writing to memory. Plots (`--forest`,
/// `--funnel`) are refused, so that nothing touches the file system.
pub fn fuzz_run(args: &[&str], input: &[u8]) -> FuzzOutcome {
    let argv = std::iter::once("metapool")
        .chain(args.iter().copied())
        .chain(std::iter::once("-"));
    let Ok(cli) = Cli::try_parse_from(argv) else {
        return FuzzOutcome::Usage;
    };
    let mut out = Vec::new();
    let (result, format) = match &cli.command {
        Command::Pool(a) => {
            if a.forest.is_some() {
                return FuzzOutcome::Usage;
            }
            let Ok(s) = analysis::Settings::from_args(&a.input, &a.model) else {
                return FuzzOutcome::Usage;
            };
            let opts = commands::read_options(&a.input, a.subgroup.as_deref(), None);
            (
                commands::run_pool(a, &s, &opts, input, &mut out),
                a.output.format,
            )
        }
        Command::Sensitivity(a) => {
            let Ok(s) = analysis::Settings::from_args(&a.input, &a.model) else {
                return FuzzOutcome::Usage;
            };
            let opts = commands::read_options(&a.input, None, a.order.as_deref());
            match commands::run_sensitivity(a, &s, &opts, input, &mut out) {
                Ok(r) => (r, a.output.format),
                Err(_) => return FuzzOutcome::Usage,
            }
        }
        Command::Bias(a) => {
            if a.funnel.is_some() {
                return FuzzOutcome::Usage;
            }
            let Ok(s) = analysis::Settings::from_args(&a.input, &a.model) else {
                return FuzzOutcome::Usage;
            };
            let opts = commands::read_options(&a.input, None, None);
            match commands::run_bias(a, &s, &opts, input, &mut out) {
                Ok(r) => (r, a.output.format),
                Err(_) => return FuzzOutcome::Usage,
            }
        }
        Command::Regress(a) => {
            let (Ok(s), Ok(spec)) = (
                analysis::Settings::from_args(&a.input, &a.model),
                regress::Spec::from_args(a),
            ) else {
                return FuzzOutcome::Usage;
            };
            let opts = commands::read_options(&a.input, None, None);
            match commands::run_regress(a, &spec, &s, &opts, input, &mut out) {
                Ok(r) => (r, a.output.format),
                Err(_) => return FuzzOutcome::Usage,
            }
        }
        Command::Mv(a) => {
            let (Ok(s), Ok(spec)) = (
                analysis::Settings::from_args(&a.input, &a.model),
                mv::Spec::from_args(a),
            ) else {
                return FuzzOutcome::Usage;
            };
            let opts = commands::read_options(&a.input, None, None);
            match commands::run_mv(a, &spec, &s, &opts, input, &mut out) {
                Ok(r) => (r, a.output.format),
                Err(_) => return FuzzOutcome::Usage,
            }
        }
        // Reads files named on its command line; not fuzzed in-process.
        Command::Gwas(_) => return FuzzOutcome::Usage,
        Command::Check(a) => {
            let (Ok(rule), false) = (
                metapool::pool::ModelRule::new(a.alpha),
                a.format == Format::Csv,
            ) else {
                return FuzzOutcome::Usage;
            };
            (check::run_check(a, &rule, input, &mut out), a.format)
        }
    };
    match result {
        Ok(Ok(s)) if s.failed == 0 => FuzzOutcome::Done {
            output: out,
            json: format == Format::Json,
        },
        Ok(Ok(s)) => FuzzOutcome::InputError(format!("{} analyses failed", s.failed)),
        Ok(Err(error::Fatal::Input(e))) => FuzzOutcome::InputError(e.to_string()),
        Ok(Err(error::Fatal::Io(e))) | Err(e) => FuzzOutcome::InputError(e.to_string()),
    }
}
