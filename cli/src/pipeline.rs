//! A run from input to output: the reader hands each analysis' rows here; this module computes
//! the analysis (or the subcommand's job), applies the failure policy (stop, or with
//! `--keep-going` report and go on), and owns the sink that writes the results.

use crate::analysis::{self, AnalysisError, Group, Outcome, Settings};
use crate::error::{Fatal, InputError};
use crate::input::{self, ReadOptions};
use std::io::{self, Read};

/// What the reader tells the output for each analysis.
pub trait Sink {
    /// One analysis, computed or failed (failures reach here only with --keep-going).
    fn analysis(
        &mut self,
        group: &Group,
        outcome: &Result<Outcome, AnalysisError>,
    ) -> std::io::Result<()>;
}

/// Counts of a completed run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    pub rows: u64,
    pub analyses: u64,
    pub failed: u64,
}

/// Read `input`; for each analysis, `compute` it (unless a row error already failed it under
/// `--keep-going`) and `write` it. A failed analysis stops the run unless `--keep-going`, with
/// which it is written with its error and counted.
pub fn run<R: Read, T>(
    input: R,
    settings: &Settings,
    opts: &ReadOptions<'_>,
    mut compute: impl FnMut(&Group) -> Result<T, AnalysisError>,
    mut write: impl FnMut(&Group, &Result<T, AnalysisError>) -> io::Result<()>,
) -> Result<Summary, Fatal> {
    let mut summary = Summary::default();
    summary.rows = input::read(input, settings, opts, |g| {
        summary.analyses += 1;
        let outcome = match &g.failed {
            Some(msg) => Err(AnalysisError {
                line: None,
                message: msg.clone(),
            }),
            None => compute(g),
        };
        if let Err(e) = &outcome {
            summary.failed += 1;
            if !opts.keep_going {
                let what = match opts.by {
                    Some(_) => format!("analysis `{}` ({}): ", g.id(), g.lines_text()),
                    None => String::new(),
                };
                return Err(Fatal::Input(InputError {
                    line: e.line,
                    column: None,
                    reason: format!("{what}{}", e.message),
                }));
            }
        }
        write(g, &outcome)?;
        Ok(())
    })?;
    Ok(summary)
}

/// `metapool pool`: pool each analysis and write it to `sink`.
pub fn pool<R: Read, S: Sink>(
    input: R,
    settings: &Settings,
    opts: &ReadOptions<'_>,
    sink: &mut S,
) -> Result<Summary, Fatal> {
    let subgroups = opts.subgroup.is_some();
    run(
        input,
        settings,
        opts,
        |g| analysis::run(settings, g, subgroups),
        |g, o| sink.analysis(g, o),
    )
}
