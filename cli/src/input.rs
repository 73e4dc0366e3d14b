//! Reading the CSV file: the header, each row's cells, and the streaming of analyses.
//!
//! The file is read one record at a time into one reused buffer. With `--by`, the rows of the
//! analysis being read are the only ones held: when the --by value changes, the analysis is
//! pooled and handed to the output, and its buffers are reused for the next one, so memory stays
//! flat however long the file is. A value that comes back after its analysis was closed is an
//! error (it would otherwise silently become two analyses with one id); `--unsorted` instead
//! holds every analysis until the end.

use crate::analysis::{Group, Settings, DROPPED_00, MISSING_DATA};
use crate::args::MissingArg;
use crate::cells::{trim, LineCounter, NumberFormat};
use crate::error::{Fatal, InputError};
use crate::layout::{double_zero, ColumnNames, Layout, ModeratorColumn, RowProblem, ScaleEvidence};
use crate::measure::{any_zero, study, StudyOptions};
use csv::ByteRecord;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::Read;

/// The sink trait, re-exported for cli/src/forest.rs (which imports it from here).
pub use crate::pipeline::Sink;

/// Options of the reader.
#[derive(Clone, Copy)]
pub struct ReadOptions<'a> {
    pub delimiter: u8,
    pub columns: Option<&'a str>,
    pub numbers: NumberFormat,
    pub missing: MissingArg,
    pub by: Option<&'a str>,
    pub subgroup: Option<&'a str>,
    pub study: &'a str,
    /// `sensitivity --order`.
    pub order: Option<&'a str>,
    /// `regress --mods`: the moderator columns read for each study.
    pub moderators: &'a [ModeratorColumn],
    pub unsorted: bool,
    pub keep_going: bool,
    /// Keep each study's values in the group (for the forest plot's data columns; always with
    /// `--to if0all`, which re-computes the studies from them).
    pub keep_values: bool,
}

fn key_hash(key: &[u8]) -> u128 {
    // Two independent 64-bit hashes: a false "value appears again" needs a 128-bit collision.
    let mut a = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    0x9e37_79b9_7f4a_7c15_u64.hash(&mut b);
    key.hash(&mut b);
    ((a.finish() as u128) << 64) | b.finish() as u128
}

struct Runner<'a, F> {
    settings: &'a Settings,
    layout: Layout,
    opts: &'a ReadOptions<'a>,
    each: F,
    rows: u64,
    scale_evidence: ScaleEvidence,
}

impl<F: FnMut(&Group) -> Result<(), Fatal>> Runner<'_, F> {
    /// Add a row to its analysis. Row errors fail the run, or with --keep-going the analysis.
    fn row(&mut self, g: &mut Group, rec: &ByteRecord, line: u64) -> Result<(), Fatal> {
        self.rows += 1;
        g.last_line = line;
        if g.failed.is_some() {
            return Ok(());
        }
        match self.parse_into(g, rec, line) {
            Ok(()) => Ok(()),
            Err(e) if self.opts.keep_going => {
                g.failed = Some(e.to_string());
                Ok(())
            }
            Err(e) => Err(Fatal::Input(e)),
        }
    }

    fn parse_into(&mut self, g: &mut Group, rec: &ByteRecord, line: u64) -> Result<(), InputError> {
        let l = &self.layout;
        let subgroup = match l.subgroup {
            Some(c) => {
                let cell = trim(rec.get(c).unwrap_or_default());
                if cell.is_empty() {
                    return Err(InputError {
                        line: Some(line),
                        column: Some(l.column(c)),
                        reason: "is empty (every study needs a subgroup)".to_string(),
                    });
                }
                Some(cell)
            }
            None => None,
        };
        let name = l.study.and_then(|c| rec.get(c)).map(trim);
        let values = match l.values(rec, line) {
            Ok(v) => v,
            Err(RowProblem::Missing(_)) if self.opts.missing == MissingArg::Skip => {
                g.note_row(name, line, subgroup, Some(MISSING_DATA));
                return Ok(());
            }
            Err(RowProblem::Missing(mut e)) => {
                e.reason
                    .push_str(" (--missing skip lists such rows as not estimable)");
                return Err(e);
            }
            Err(RowProblem::Bad(e)) => return Err(e),
        };
        if self.settings.drop00 && double_zero(&values) {
            g.note_row(name, line, subgroup, Some(DROPPED_00));
            return Ok(());
        }
        if self.settings.warn_scale {
            self.scale_evidence.add(&values);
        }
        let key = l.order_key(rec, line)?;
        // --to if0all: a table with a zero cell is corrected (and all of the analysis are, later).
        let opts = match self.settings.if0all {
            Some(c) if any_zero(self.settings.measure, std::slice::from_ref(&values)) => {
                StudyOptions {
                    correction: Some(c),
                    ..self.settings.study
                }
            }
            _ => self.settings.study,
        };
        let study = study(self.settings.measure, &values, &opts).map_err(|e| InputError {
            line: Some(line),
            column: l.field_column(e.field),
            reason: e.reason,
        })?;
        match l.moderator_values(rec, line, &mut g.moderators) {
            Ok(()) => {}
            Err(RowProblem::Missing(_)) if self.opts.missing == MissingArg::Skip => {
                g.note_row(name, line, subgroup, Some(MISSING_DATA));
                return Ok(());
            }
            Err(RowProblem::Missing(mut e)) => {
                e.reason.push_str(" (--missing skip leaves such rows out)");
                return Err(e);
            }
            Err(RowProblem::Bad(e)) => return Err(e),
        }
        g.studies.push(study);
        if self.opts.keep_values || self.settings.if0all.is_some() {
            g.values.push(values);
        }
        g.note_row(name, line, subgroup, None);
        if let Some(k) = key {
            g.order_keys.push(k);
        }
        Ok(())
    }

    /// Hand a finished analysis on.
    fn finish(&mut self, g: &Group) -> Result<(), Fatal> {
        (self.each)(g)
    }
}

/// Read the next record; a CSV error names its line.
fn read_record<R: Read>(
    csv: &mut csv::Reader<LineCounter<R>>,
    rec: &mut ByteRecord,
) -> Result<bool, Fatal> {
    csv.read_byte_record(rec).map_err(|e| {
        let line = e.position().map(|p| p.byte());
        let line = line.map(|b| csv.get_mut().line_at(b));
        Fatal::Input(InputError {
            line,
            column: None,
            reason: match e.kind() {
                csv::ErrorKind::Io(io) => format!("cannot read the input: {io}"),
                _ => format!("malformed CSV: {e}"),
            },
        })
    })
}

/// Read the whole input and hand every analysis' rows to `each`, in order of first appearance.
/// Returns the number of data rows.
pub fn read<R: Read>(
    input: R,
    settings: &Settings,
    opts: &ReadOptions<'_>,
    each: impl FnMut(&Group) -> Result<(), Fatal>,
) -> Result<u64, Fatal> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(opts.delimiter)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(LineCounter::new(input));
    let mut rec = ByteRecord::new();
    if !read_record(&mut csv, &mut rec)? {
        return Err(Fatal::Input(InputError::at(
            1,
            "the file is empty (expected a header row)",
        )));
    }
    let names = ColumnNames {
        columns: opts.columns,
        by: opts.by,
        subgroup: opts.subgroup,
        study: opts.study,
        order: opts.order,
        moderators: opts.moderators,
    };
    let layout = Layout::new(&rec, settings.measure, &names, opts.numbers).map_err(|mut e| {
        // A header read as one field that contains another separator: say which option fixes it.
        if rec.len() == 1 {
            let h = rec.get(0).unwrap_or_default();
            for (c, name) in [(b';', ";"), (b'\t', "tab"), (b',', ",")] {
                if c != opts.delimiter && h.contains(&c) {
                    e.reason.push_str(&format!(
                        " (the header looks separated by `{name}`: pass --delimiter '{name}')"
                    ));
                    break;
                }
            }
        }
        e
    })?;
    let by = layout.by;
    let mut runner = Runner {
        settings,
        layout,
        opts,
        each,
        rows: 0,
        scale_evidence: ScaleEvidence::default(),
    };
    let line_of = |csv: &mut csv::Reader<LineCounter<R>>, rec: &ByteRecord| {
        let byte = rec.position().map(|p| p.byte()).unwrap_or(0);
        csv.get_mut().line_at(byte)
    };
    let key_of = |rec: &ByteRecord, line: u64| -> Result<Vec<u8>, InputError> {
        match by {
            None => Ok(Vec::new()),
            Some(c) => rec.get(c).map(|k| trim(k).to_vec()).ok_or_else(|| {
                InputError::at(
                    line,
                    format!(
                        "the row has {} fields, too few for the --by column",
                        rec.len()
                    ),
                )
            }),
        }
    };

    if opts.unsorted {
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut groups: Vec<Group> = Vec::new();
        while read_record(&mut csv, &mut rec)? {
            let line = line_of(&mut csv, &rec);
            let key = key_of(&rec, line)?;
            let i = *index.entry(key.clone()).or_insert_with(|| {
                let mut g = Group::new();
                g.reset(&key, line);
                groups.push(g);
                groups.len() - 1
            });
            runner.row(&mut groups[i], &rec, line)?;
        }
        for g in &groups {
            runner.finish(g)?;
        }
    } else {
        let mut closed: HashSet<u128> = HashSet::new();
        let mut g = Group::new();
        let mut started = false;
        while read_record(&mut csv, &mut rec)? {
            let line = line_of(&mut csv, &rec);
            let key = match by {
                None => &[][..],
                Some(c) => rec.get(c).map(trim).ok_or_else(|| {
                    InputError::at(
                        line,
                        format!(
                            "the row has {} fields, too few for the --by column",
                            rec.len()
                        ),
                    )
                })?,
            };
            if !started {
                g.reset(key, line);
                started = true;
            } else if key != g.key.as_slice() {
                runner.finish(&g)?;
                closed.insert(key_hash(&g.key));
                if closed.contains(&key_hash(key)) {
                    return Err(Fatal::Input(InputError::at(
                        line,
                        format!(
                            "--by value `{}` appears again after its analysis ended; sort the \
                             file by `{}` or pass --unsorted",
                            String::from_utf8_lossy(key),
                            opts.by.unwrap_or_default()
                        ),
                    )));
                }
                g.reset(key, line);
            }
            runner.row(&mut g, &rec, line)?;
        }
        if started {
            runner.finish(&g)?;
        }
    }
    if runner.scale_evidence.looks_like_ratios() {
        eprintln!(
            "metapool: warning: the confidence intervals look like ratios (positive and \
             symmetric on the log scale, not on the identity scale); if they are odds, risk or \
             hazard ratios, pass --scale log"
        );
    }
    if runner.rows == 0 {
        return Err(Fatal::Input(InputError::at(
            2,
            "no data rows after the header",
        )));
    }
    Ok(runner.rows)
}
