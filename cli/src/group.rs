//! The rows of one analysis as they are read: the studies, the rows left out, names, lines
//! and subgroups.

use crate::layout::ModeratorValue;
use crate::measure::{Study, Values};

/// Why a row of the file is listed without being a study of the analysis.
pub const MISSING_DATA: &str = "Not estimable (missing data)";
/// A table dropped by `--drop00 yes`.
pub const DROPPED_00: &str = "no events (or only events) in both arms (dropped, --drop00 yes)";

/// The rows of one analysis.
#[derive(Debug, Clone)]
pub struct Group {
    /// The --by value (raw bytes of the cell).
    pub key: Vec<u8>,
    /// The studies, in input order (rows left out are not among them).
    pub studies: Vec<Study>,
    /// Each study's values, when kept (`ReadOptions::keep_values`, `--to if0all`).
    pub values: Vec<Values>,
    /// Row names, concatenated (see `name_end`).
    names: String,
    name_end: Vec<usize>,
    /// The line of each row in the file.
    pub lines: Vec<u64>,
    /// Each row's subgroup (index into `subgroup_names`), with --subgroup.
    pub subgroup_of: Vec<usize>,
    /// Subgroup names, in order of first appearance.
    pub subgroup_names: Vec<String>,
    /// The row of each study (empty while no row was left out: study `i` is row `i`).
    study_row: Vec<usize>,
    /// Rows left out and why (`MISSING_DATA`, `DROPPED_00`).
    pub left_out: Vec<(usize, &'static str)>,
    /// The `--order` key of each study.
    pub order_keys: Vec<f64>,
    /// `regress --mods`: each study's moderator values, study after study (as many per study
    /// as moderator columns).
    pub moderators: Vec<ModeratorValue>,
    /// First and last line of the analysis.
    pub first_line: u64,
    pub last_line: u64,
    /// With --keep-going: the first row error of this analysis.
    pub failed: Option<String>,
}

impl Default for Group {
    fn default() -> Self {
        Group::new()
    }
}

impl Group {
    pub fn new() -> Group {
        Group {
            key: Vec::new(),
            studies: Vec::new(),
            values: Vec::new(),
            names: String::new(),
            name_end: Vec::new(),
            lines: Vec::new(),
            subgroup_of: Vec::new(),
            subgroup_names: Vec::new(),
            study_row: Vec::new(),
            left_out: Vec::new(),
            order_keys: Vec::new(),
            moderators: Vec::new(),
            first_line: 0,
            last_line: 0,
            failed: None,
        }
    }

    /// Start a new analysis, keeping the allocations.
    pub fn reset(&mut self, key: &[u8], line: u64) {
        self.key.clear();
        self.key.extend_from_slice(key);
        self.studies.clear();
        self.values.clear();
        self.names.clear();
        self.name_end.clear();
        self.lines.clear();
        self.subgroup_of.clear();
        self.subgroup_names.clear();
        self.study_row.clear();
        self.left_out.clear();
        self.order_keys.clear();
        self.moderators.clear();
        self.first_line = line;
        self.last_line = line;
        self.failed = None;
    }

    /// The --by value as text.
    pub fn id(&self) -> String {
        String::from_utf8_lossy(&self.key).into_owned()
    }

    /// "line 7" or "lines 2-8".
    pub fn lines_text(&self) -> String {
        if self.first_line == self.last_line {
            format!("line {}", self.first_line)
        } else {
            format!("lines {}-{}", self.first_line, self.last_line)
        }
    }

    /// Record a row: the study just pushed (`left_out: None`), or a row listed without a study.
    pub fn note_row(
        &mut self,
        name: Option<&[u8]>,
        line: u64,
        subgroup: Option<&[u8]>,
        left_out: Option<&'static str>,
    ) {
        let row = self.lines.len();
        match left_out {
            Some(why) => {
                if self.left_out.is_empty() {
                    // From now on rows and studies differ: write the identity map so far.
                    self.study_row.extend(0..row);
                }
                self.left_out.push((row, why));
            }
            None if !self.left_out.is_empty() => self.study_row.push(row),
            None => {}
        }
        match name {
            Some(n) if !n.is_empty() => self.names.push_str(&String::from_utf8_lossy(n)),
            _ => {
                use std::fmt::Write;
                let _ = write!(self.names, "Study {}", self.name_end.len() + 1);
            }
        }
        self.name_end.push(self.names.len());
        self.lines.push(line);
        self.last_line = line;
        if let Some(sg) = subgroup {
            let sg = String::from_utf8_lossy(sg);
            let i = match self.subgroup_names.iter().position(|s| *s == sg) {
                Some(i) => i,
                None => {
                    self.subgroup_names.push(sg.into_owned());
                    self.subgroup_names.len() - 1
                }
            };
            self.subgroup_of.push(i);
        }
    }

    /// The row of study `i`.
    pub fn row_of(&self, i: usize) -> usize {
        if self.left_out.is_empty() {
            i
        } else {
            self.study_row[i]
        }
    }

    /// The name of row `i` (0-based, input order).
    pub fn name(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.name_end[i - 1] };
        &self.names[start..self.name_end[i]]
    }

    /// Number of rows (studies and rows left out).
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Number of studies.
    pub fn studies_len(&self) -> usize {
        self.len() - self.left_out.len()
    }
}
