//! Reading the CSV file: the header, each row's cells, and the streaming of analyses.
//!
//! The file is read one record at a time into one reused buffer. With `--by`, the rows of the
//! analysis being read are the only ones held: when the --by value changes, the analysis is
//! pooled and handed to the output, and its buffers are reused for the next one, so memory stays
//! flat however long the file is. A value that comes back after its analysis was closed is an
//! error (it would otherwise silently become two analyses with one id); `--unsorted` instead
//! holds every analysis until the end.

use crate::analysis::{self, AnalysisError, Group, Outcome, Settings};
use crate::measure::{field_slot, resolve, Binding, Measure, Slot, Values, SLOTS};
use csv::ByteRecord;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::io::Read;

/// A problem with the input, named by line and column where possible.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub line: Option<u64>,
    /// 1-based column number and header name.
    pub column: Option<(usize, String)>,
    pub reason: String,
}

impl InputError {
    fn at(line: u64, reason: impl Into<String>) -> InputError {
        InputError {
            line: Some(line),
            column: None,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.line, &self.column) {
            (Some(l), Some((c, name))) => write!(f, "line {l}, column {c} (`{name}`): ")?,
            (Some(l), None) => write!(f, "line {l}: ")?,
            (None, Some((c, name))) => write!(f, "column {c} (`{name}`): ")?,
            (None, None) => {}
        }
        f.write_str(&self.reason)
    }
}

/// Where the columns are.
pub struct Layout {
    pub header: Vec<String>,
    binding: Binding,
    /// Column index of each slot.
    slot_col: [Option<usize>; SLOTS],
    pub by: Option<usize>,
    pub subgroup: Option<usize>,
    pub study: Option<usize>,
}

impl Layout {
    /// Map the header row. `by`, `subgroup` must exist when given; the study column is optional.
    pub fn new(
        header: &ByteRecord,
        measure: Measure,
        by: Option<&str>,
        subgroup: Option<&str>,
        study: &str,
    ) -> Result<Layout, InputError> {
        let mut names: Vec<String> = header
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_string())
            .collect();
        if let Some(first) = names.first_mut() {
            if let Some(stripped) = first.strip_prefix('\u{feff}') {
                *first = stripped.trim().to_string();
            }
        }
        let find_all = |name: &str| -> Vec<usize> {
            names
                .iter()
                .enumerate()
                .filter(|(_, h)| h.eq_ignore_ascii_case(name))
                .map(|(i, _)| i)
                .collect()
        };
        let find = |name: &str| -> Option<usize> { find_all(name).first().copied() };
        let binding = resolve(measure, &find).map_err(|reason| InputError {
            line: Some(1),
            column: None,
            reason,
        })?;
        let mut wanted: Vec<&str> = Vec::new();
        let mut slot_col = [None; SLOTS];
        for &(slot, col) in &binding.columns {
            slot_col[slot.index()] = Some(col);
            wanted.push(names[col].as_str());
        }
        let named = |what: &str, name: &str| -> Result<usize, InputError> {
            find(name).ok_or_else(|| {
                InputError::at(
                    1,
                    format!("no column `{name}` (given by {what}) in the header"),
                )
            })
        };
        let by_col = by.map(|n| named("--by", n)).transpose()?;
        let sub_col = subgroup.map(|n| named("--subgroup", n)).transpose()?;
        let study_col = find(study);
        for name in wanted
            .iter()
            .copied()
            .chain(by)
            .chain(subgroup)
            .chain(study_col.map(|_| study))
        {
            let all = find_all(name);
            if all.len() > 1 {
                return Err(InputError::at(
                    1,
                    format!(
                        "column `{name}` appears {} times in the header (columns {})",
                        all.len(),
                        all.iter()
                            .map(|i| (i + 1).to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        names.shrink_to_fit();
        Ok(Layout {
            header: names,
            binding,
            slot_col,
            by: by_col,
            subgroup: sub_col,
            study: study_col,
        })
    }

    fn column(&self, col: usize) -> (usize, String) {
        (col + 1, self.header[col].clone())
    }

    /// The column an error about a library field refers to.
    fn field_column(&self, field: Option<&str>) -> Option<(usize, String)> {
        let slot = field_slot(field?)?;
        let col = self.slot_col[slot.index()].or(match slot {
            Slot::N => self.slot_col[Slot::N1.index()],
            _ => None,
        })?;
        Some(self.column(col))
    }

    /// Read the numeric cells of a row.
    fn values(&self, rec: &ByteRecord, line: u64) -> Result<Values, InputError> {
        let mut v: Values = [None; SLOTS];
        for &(slot, col) in &self.binding.columns {
            let optional = matches!(slot, Slot::R | Slot::Se | Slot::CiLower | Slot::CiUpper);
            let cell = match rec.get(col) {
                Some(c) => trim(c),
                None => {
                    return Err(InputError {
                        line: Some(line),
                        column: Some(self.column(col)),
                        reason: format!(
                            "the row has {} field{} but the header has {}",
                            rec.len(),
                            if rec.len() == 1 { "" } else { "s" },
                            self.header.len()
                        ),
                    })
                }
            };
            let err = |reason: String| InputError {
                line: Some(line),
                column: Some(self.column(col)),
                reason,
            };
            if cell.is_empty() || cell.eq_ignore_ascii_case(b"NA") {
                if optional {
                    continue;
                }
                return Err(err("is empty (a number is required)".to_string()));
            }
            let x = std::str::from_utf8(cell)
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
                .ok_or_else(|| {
                    err(format!(
                        "is not a number: \"{}\"",
                        String::from_utf8_lossy(cell)
                    ))
                })?;
            if !x.is_finite() {
                return Err(err(format!("must be a finite number, got {x}")));
            }
            v[slot.index()] = Some(x);
        }
        Ok(v)
    }
}

/// What the reader tells the output for each analysis.
pub trait Sink {
    /// One analysis, computed or failed (failures reach here only with --keep-going).
    fn analysis(
        &mut self,
        group: &Group,
        outcome: &Result<Outcome, AnalysisError>,
    ) -> std::io::Result<()>;
}

/// Why a run stopped.
#[derive(Debug)]
pub enum Fatal {
    /// Bad input or a failed analysis (exit status 2).
    Input(InputError),
    /// Writing the output failed.
    Io(std::io::Error),
}

impl From<std::io::Error> for Fatal {
    fn from(e: std::io::Error) -> Self {
        Fatal::Io(e)
    }
}

impl From<InputError> for Fatal {
    fn from(e: InputError) -> Self {
        Fatal::Input(e)
    }
}

/// Counts of a completed run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    pub rows: u64,
    pub analyses: u64,
    pub failed: u64,
}

/// Options of the reader.
pub struct ReadOptions<'a> {
    pub delimiter: u8,
    pub by: Option<&'a str>,
    pub subgroup: Option<&'a str>,
    pub study: &'a str,
    pub unsorted: bool,
    pub keep_going: bool,
}

/// A cell without leading and trailing ASCII whitespace (done here rather than by the CSV reader,
/// whose trimming copies every record).
fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
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

struct Runner<'a, S: Sink> {
    settings: &'a Settings,
    layout: Layout,
    opts: &'a ReadOptions<'a>,
    sink: &'a mut S,
    summary: Summary,
}

impl<S: Sink> Runner<'_, S> {
    /// Add a row to its analysis. Row errors fail the run, or with --keep-going the analysis.
    fn row(&mut self, g: &mut Group, rec: &ByteRecord, line: u64) -> Result<(), Fatal> {
        self.summary.rows += 1;
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

    fn parse_into(&self, g: &mut Group, rec: &ByteRecord, line: u64) -> Result<(), InputError> {
        let l = &self.layout;
        let values = l.values(rec, line)?;
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
        g.studies
            .push(self.settings.measure, &values, &self.settings.study)
            .map_err(|e| InputError {
                line: Some(line),
                column: l.field_column(e.field),
                reason: e.reason,
            })?;
        g.note_study(l.study.and_then(|c| rec.get(c)).map(trim), line, subgroup);
        Ok(())
    }

    /// Pool a finished analysis and hand it to the output.
    fn finish(&mut self, g: &Group) -> Result<(), Fatal> {
        self.summary.analyses += 1;
        let outcome = match &g.failed {
            Some(msg) => Err(AnalysisError {
                line: None,
                message: msg.clone(),
            }),
            None => analysis::run(self.settings, g, self.layout.subgroup.is_some()),
        };
        if let Err(e) = &outcome {
            self.summary.failed += 1;
            if !self.opts.keep_going {
                let what = match self.layout.by {
                    Some(_) => {
                        format!("analysis `{}` ({}): ", g.id(), crate::output::lines_text(g))
                    }
                    None => String::new(),
                };
                return Err(Fatal::Input(InputError {
                    line: e.line,
                    column: None,
                    reason: format!("{what}{}", e.message),
                }));
            }
        }
        self.sink.analysis(g, &outcome)?;
        Ok(())
    }
}

/// Read the whole input and hand every analysis to `sink`, in order of first appearance.
pub fn run<R: Read, S: Sink>(
    input: R,
    settings: &Settings,
    opts: &ReadOptions<'_>,
    sink: &mut S,
) -> Result<Summary, Fatal> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(opts.delimiter)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(input);
    let mut rec = ByteRecord::new();
    let csv_err = |e: csv::Error| {
        let line = e.position().map(|p| p.line());
        Fatal::Input(InputError {
            line,
            column: None,
            reason: match e.kind() {
                csv::ErrorKind::Io(io) => format!("cannot read the input: {io}"),
                _ => format!("malformed CSV: {e}"),
            },
        })
    };
    if !csv.read_byte_record(&mut rec).map_err(csv_err)? {
        return Err(Fatal::Input(InputError::at(
            1,
            "the file is empty (expected a header row)",
        )));
    }
    let layout = Layout::new(&rec, settings.measure, opts.by, opts.subgroup, opts.study).map_err(
        |mut e| {
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
        },
    )?;
    let by = layout.by;
    let mut runner = Runner {
        settings,
        layout,
        opts,
        sink,
        summary: Summary::default(),
    };
    let line_of = |rec: &ByteRecord| rec.position().map(|p| p.line()).unwrap_or(0);
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
        while csv.read_byte_record(&mut rec).map_err(csv_err)? {
            let line = line_of(&rec);
            let key = key_of(&rec, line)?;
            let i = *index.entry(key.clone()).or_insert_with(|| {
                let mut g = Group::new(settings.measure);
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
        let mut g = Group::new(settings.measure);
        let mut started = false;
        while csv.read_byte_record(&mut rec).map_err(csv_err)? {
            let line = line_of(&rec);
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
    if runner.summary.rows == 0 {
        return Err(Fatal::Input(InputError::at(
            2,
            "no data rows after the header",
        )));
    }
    Ok(runner.summary)
}
