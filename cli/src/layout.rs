//! Where the columns are, and how one CSV row becomes the values of one study.

use crate::cells::{is_missing, trim, NumberFormat};
use crate::columns::Header;
use crate::error::InputError;
use crate::measure::{field_slot, resolve, Binding, Measure, Slot, Values, SLOTS};
use csv::ByteRecord;

/// The columns named on the command line.
pub struct ColumnNames<'a> {
    /// `--columns`.
    pub columns: Option<&'a str>,
    pub by: Option<&'a str>,
    pub subgroup: Option<&'a str>,
    pub study: &'a str,
    /// `sensitivity --order`.
    pub order: Option<&'a str>,
    /// `regress --mods`: the moderator columns.
    pub moderators: &'a [ModeratorColumn],
}

/// How a moderator column is read (`regress --mods`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeratorKind {
    /// A number per study.
    Continuous,
    /// A level (any text) per study: `factor(g)`.
    Categorical,
}

/// A moderator column named in `--mods`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeratorColumn {
    pub name: String,
    pub kind: ModeratorKind,
}

/// One study's value of a moderator.
#[derive(Debug, Clone, PartialEq)]
pub enum ModeratorValue {
    Number(f64),
    Level(String),
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
    /// The key column of a cumulative analysis (`--order`).
    pub order: Option<usize>,
    /// The moderator columns (`regress --mods`), in the order named.
    moderators: Vec<(usize, ModeratorKind)>,
    numbers: NumberFormat,
}

/// Why a row gives no study.
pub enum RowProblem {
    /// A required cell is missing (NA, empty, `.`): the row is listed and left out, or with
    /// `--missing error` the error.
    Missing(InputError),
    Bad(InputError),
}

impl Layout {
    /// Map the header row. `by`, `subgroup` must exist when given; the study column is optional.
    pub fn new(
        header: &ByteRecord,
        measure: Measure,
        names: &ColumnNames<'_>,
        numbers: NumberFormat,
    ) -> Result<Layout, InputError> {
        let opts = names;
        let mut names: Vec<String> = header
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_string())
            .collect();
        if let Some(first) = names.first_mut() {
            if let Some(stripped) = first.strip_prefix('\u{feff}') {
                *first = stripped.trim().to_string();
            }
        }
        let h = Header::new(names, opts.columns).map_err(|r| InputError::at(1, r))?;
        let binding = resolve(measure, &|name| h.find(name)).map_err(|reason| {
            let mut reason = format!("{reason}; the header has {}", h.listing());
            let missing: Vec<&str> = SLOT_NAMES
                .iter()
                .copied()
                .filter(|n| reason.contains(&format!("`{n}`")) && h.find(n).is_none())
                .collect();
            for n in &missing {
                let near = h.nearest(n);
                if !near.is_empty() {
                    reason.push_str(&format!(
                        "; nearest to `{n}`: {}",
                        near.iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
            if let Some(n) = missing.first() {
                reason.push_str(&format!(" (name a column with --columns {n}=HEADER)"));
            }
            InputError::at(1, reason)
        })?;
        let mut slot_col = [None; SLOTS];
        for &(slot, col) in &binding.columns {
            if let Some(other) = binding
                .columns
                .iter()
                .find(|&&(s, c)| c == col && s != slot)
            {
                return Err(InputError::at(
                    1,
                    format!(
                        "column {} (`{}`) would be read for two inputs ({:?} and {:?}); name \
                         them with --columns",
                        col + 1,
                        h.names()[col],
                        slot,
                        other.0
                    ),
                ));
            }
            slot_col[slot.index()] = Some(col);
        }
        let named = |what: &str, name: &str| -> Result<usize, InputError> {
            h.named(name).ok_or_else(|| {
                InputError::at(
                    1,
                    format!(
                        "no column `{name}` (given by {what}) in the header ({})",
                        h.listing()
                    ),
                )
            })
        };
        let by_col = opts.by.map(|n| named("--by", n)).transpose()?;
        let sub_col = opts.subgroup.map(|n| named("--subgroup", n)).transpose()?;
        let order_col = opts.order.map(|n| named("--order", n)).transpose()?;
        let moderators = opts
            .moderators
            .iter()
            .map(|m| Ok((named("--mods", &m.name)?, m.kind)))
            .collect::<Result<Vec<_>, InputError>>()?;
        let study_col = h.named(opts.study).or_else(|| {
            (opts.study == "study")
                .then(|| h.named("study or subgroup").or_else(|| h.named("author")))
                .flatten()
        });
        let cols = binding
            .columns
            .iter()
            .map(|&(_, c)| c)
            .chain(by_col)
            .chain(sub_col)
            .chain(study_col)
            .chain(moderators.iter().map(|&(c, _)| c));
        for col in cols {
            let all = h.duplicates(col);
            if all.len() > 1 {
                return Err(InputError::at(
                    1,
                    format!(
                        "column `{}` appears {} times in the header (columns {}); name the one \
                         to use with --columns",
                        h.names()[col],
                        all.len(),
                        all.iter()
                            .map(|i| (i + 1).to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        Ok(Layout {
            header: h.names().to_vec(),
            binding,
            slot_col,
            by: by_col,
            subgroup: sub_col,
            study: study_col,
            order: order_col,
            moderators,
            numbers,
        })
    }

    /// The `--order` key of a row.
    pub fn order_key(&self, rec: &ByteRecord, line: u64) -> Result<Option<f64>, InputError> {
        let Some(col) = self.order else {
            return Ok(None);
        };
        let cell = trim(rec.get(col).unwrap_or_default());
        let err = self.error_at(line, col);
        if is_missing(cell) {
            return Err(err(
                "is missing (--order needs a number for every study)".to_string()
            ));
        }
        self.numbers.parse(cell).map(Some).map_err(err)
    }

    /// The moderator values of a row, appended to `out` (nothing is appended on an error).
    /// A missing cell is [`RowProblem::Missing`]; a continuous moderator that is not a
    /// number is [`RowProblem::Bad`].
    pub fn moderator_values(
        &self,
        rec: &ByteRecord,
        line: u64,
        out: &mut Vec<ModeratorValue>,
    ) -> Result<(), RowProblem> {
        let start = out.len();
        for &(col, kind) in &self.moderators {
            let cell = trim(rec.get(col).unwrap_or_default());
            let err = self.error_at(line, col);
            if is_missing(cell) {
                out.truncate(start);
                return Err(RowProblem::Missing(err(format!(
                    "is missing (\"{}\"; every study needs a value of each moderator)",
                    String::from_utf8_lossy(cell)
                ))));
            }
            let v = match kind {
                ModeratorKind::Continuous => match self.numbers.parse(cell) {
                    Ok(x) => ModeratorValue::Number(x),
                    Err(r) => {
                        out.truncate(start);
                        return Err(RowProblem::Bad(err(format!(
                            "{r} (a continuous moderator; write factor({}) in --mods for a \
                             categorical one)",
                            self.header[col]
                        ))));
                    }
                },
                ModeratorKind::Categorical => {
                    ModeratorValue::Level(String::from_utf8_lossy(cell).into_owned())
                }
            };
            out.push(v);
        }
        Ok(())
    }

    /// An error about the cell of `line` in column `col`, given its reason.
    fn error_at(&self, line: u64, col: usize) -> impl Fn(String) -> InputError + '_ {
        move |reason| InputError {
            line: Some(line),
            column: Some(self.column(col)),
            reason,
        }
    }

    pub fn column(&self, col: usize) -> (usize, String) {
        (col + 1, self.header[col].clone())
    }

    /// The column an error about a library field refers to.
    pub fn field_column(&self, field: Option<&str>) -> Option<(usize, String)> {
        let slot = field_slot(field?)?;
        let col = self.slot_col[slot.index()].or(match slot {
            Slot::N => self.slot_col[Slot::N1.index()],
            _ => None,
        })?;
        Some(self.column(col))
    }

    /// Read the numeric cells of a row.
    pub fn values(&self, rec: &ByteRecord, line: u64) -> Result<Values, RowProblem> {
        let mut v: Values = [None; SLOTS];
        let mut missing = None;
        for &(slot, col) in &self.binding.columns {
            let optional = matches!(
                slot,
                Slot::R | Slot::Se | Slot::Vi | Slot::CiLower | Slot::CiUpper
            );
            let cell = match rec.get(col) {
                Some(c) => trim(c),
                None => {
                    return Err(RowProblem::Bad(InputError {
                        line: Some(line),
                        column: Some(self.column(col)),
                        reason: format!(
                            "the row has {} field{} but the header has {}",
                            rec.len(),
                            if rec.len() == 1 { "" } else { "s" },
                            self.header.len()
                        ),
                    }))
                }
            };
            let err = |reason: String| InputError {
                line: Some(line),
                column: Some(self.column(col)),
                reason,
            };
            if is_missing(cell) {
                if !optional && missing.is_none() {
                    missing = Some(err(format!(
                        "is missing (\"{}\"; a number is required)",
                        String::from_utf8_lossy(cell)
                    )));
                }
                continue;
            }
            let x = self
                .numbers
                .parse(cell)
                .map_err(|r| RowProblem::Bad(err(r)))?;
            v[slot.index()] = Some(x);
        }
        if let Some(e) = missing {
            return Err(RowProblem::Missing(e));
        }
        // GENERIC: an estimate needs its SE (or variance), or both CI bounds.
        let has = |s: Slot| v[s.index()].is_some();
        if self.slot_col[Slot::Estimate.index()].is_some()
            && !(has(Slot::Se) || has(Slot::Vi) || (has(Slot::CiLower) && has(Slot::CiUpper)))
        {
            let col = self.slot_col[Slot::Se.index()]
                .or(self.slot_col[Slot::Vi.index()])
                .or(self.slot_col[Slot::CiLower.index()])
                .unwrap_or(0);
            return Err(RowProblem::Missing(InputError {
                line: Some(line),
                column: Some(self.column(col)),
                reason: "is missing (an SE, a variance or both CI bounds are required)".to_string(),
            }));
        }
        Ok(v)
    }
}

/// Canonical input names, for naming what a header lacks.
const SLOT_NAMES: &[&str] = &[
    "m1", "sd1", "n1", "m2", "sd2", "n2", "m_post", "sd_post", "m_pre", "sd_pre", "n", "events1",
    "total1", "events2", "total2", "events", "total", "estimate", "se", "ci_lower", "ci_upper",
];

/// A 2x2 table with no events, or only events, in both arms.
pub fn double_zero(v: &Values) -> bool {
    let get = |s: Slot| v[s.index()].unwrap_or(f64::NAN);
    let (e1, t1, e2, t2) = (
        get(Slot::Events1),
        get(Slot::Total1),
        get(Slot::Events2),
        get(Slot::Total2),
    );
    (e1 == 0.0 && e2 == 0.0) || (e1 == t1 && e2 == t2)
}

/// Whether the GENERIC confidence intervals read on the identity scale look like ratios: all
/// positive, symmetric about the estimate on the log scale and not on the identity scale.
#[derive(Debug, Default)]
pub struct ScaleEvidence {
    rows: usize,
    nonpositive: bool,
    /// Sums of the relative asymmetry `|d_lo - d_hi| / max(d_lo, d_hi)` on each scale.
    log: f64,
    identity: f64,
}

impl ScaleEvidence {
    pub fn add(&mut self, v: &Values) {
        let (Some(y), Some(lo), Some(hi)) = (
            v[Slot::Estimate.index()],
            v[Slot::CiLower.index()],
            v[Slot::CiUpper.index()],
        ) else {
            return;
        };
        if !(lo < y && y < hi) {
            return;
        }
        if lo <= 0.0 {
            self.nonpositive = true;
            return;
        }
        let asym = |a: f64, b: f64| (a - b).abs() / a.max(b);
        self.rows += 1;
        self.log += asym(y.ln() - lo.ln(), hi.ln() - y.ln());
        self.identity += asym(y - lo, hi - y);
    }

    /// The ratio-like CIs: most asymmetry gone on the log scale, clearly asymmetric otherwise.
    pub fn looks_like_ratios(&self) -> bool {
        let n = self.rows as f64;
        self.rows > 0
            && !self.nonpositive
            && self.identity / n > 0.1
            && self.log < 0.5 * self.identity
    }
}
