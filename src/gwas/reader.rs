//! Reading one cohort's summary statistics, one validated [`Record`] per row, from any
//! `BufRead` (the caller decompresses; the library has no compression dependency).

use super::columns::{ColumnLabels, ColumnMap, Role};
pub use super::problem::{Reason, RecordProblem, RowError};
use super::separator::Separator;
use super::Scheme;
use crate::error::{Error, Problem, Result};
use std::io::BufRead;

/// One row of a cohort file, validated for the scheme. Absent optional fields are NaN (numbers)
/// or empty (text).
///
/// ```
/// use metapool::gwas::*;
/// let text = "CHR SNP BP A1 A2 OR SE P N\n1 rs1 11761 A T 0.5 0.1 0.01 5000\n";
/// let mut r = CohortReader::new(text.as_bytes(), "c", &ReadSpec::new(Scheme::SampleSize))?;
/// let mut rec = Record::default();
/// r.next_record(&mut rec).unwrap().unwrap();
/// assert_eq!((rec.line, rec.position, rec.weight, rec.p), (2, 11761, 5000.0, 0.01));
/// assert!((rec.effect - 0.5f64.ln()).abs() < 1e-15 && rec.negative); // an OR below 1
/// assert!(rec.frequency.is_nan()); // no frequency column
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// 1-based line number in the file.
    pub line: u64,
    /// Marker name.
    pub marker: String,
    /// Chromosome as written (empty when absent).
    pub chromosome: String,
    /// Position (0 when absent).
    pub position: u64,
    /// Effect allele as written (empty when absent).
    pub effect_allele: String,
    /// Other allele as written (empty when absent).
    pub other_allele: String,
    /// Effect on the analysis scale (log for odds ratios); NaN when not read.
    pub effect: f64,
    /// Whether the effect is negative (the sign of the sample-size z; METAL takes it from a
    /// leading `-` of the text, or an odds ratio below 1).
    pub negative: bool,
    /// Standard error; NaN when not read.
    pub se: f64,
    /// p-value; NaN when not read.
    pub p: f64,
    /// Sample size (the default weight when the file has no such column).
    pub weight: f64,
    /// Effect-allele frequency; NaN when not read.
    pub frequency: f64,
}

/// What to read from each cohort.
///
/// ```
/// use metapool::gwas::*;
/// // METAL's DEFAULTWEIGHT 1000 for a file without a sample-size column
/// let spec = ReadSpec { default_weight: 1000.0, ..ReadSpec::new(Scheme::SampleSize) };
/// let mut r = CohortReader::new("SNP BETA P\nrs1 0.1 0.2\n".as_bytes(), "c", &spec)?;
/// let mut rec = Record::default();
/// r.next_record(&mut rec).unwrap().unwrap();
/// assert_eq!(rec.weight, 1000.0);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ReadSpec {
    /// The scheme decides the required columns: effect and standard error for inverse
    /// variance; p-value for sample size (the effect, for its sign, when present).
    pub scheme: Scheme,
    /// Column labels.
    pub labels: ColumnLabels,
    /// Field separator; `None` detects it from the header ([`Separator::detect`]).
    pub separator: Option<Separator>,
    /// Weight of rows when the file has no sample-size column (METAL's `DEFAULTWEIGHT`).
    pub default_weight: f64,
    /// Whether the frequency column is required.
    pub need_frequency: bool,
    /// Whether the chromosome and position columns are required.
    pub need_position: bool,
    /// Whether a row with another number of fields than the header is invalid (METAL's
    /// `COLUMNCOUNTING STRICT`); otherwise only rows too short for the needed columns are.
    pub strict_columns: bool,
}

impl ReadSpec {
    /// Common column names, separator detected, default weight 1, strict field counts.
    ///
    /// ```
    /// use metapool::gwas::{ReadSpec, Scheme};
    /// let spec = ReadSpec::new(Scheme::InverseVariance);
    /// assert_eq!((spec.separator, spec.default_weight, spec.strict_columns), (None, 1.0, true));
    /// ```
    pub fn new(scheme: Scheme) -> Self {
        ReadSpec {
            scheme,
            labels: ColumnLabels::common(),
            separator: None,
            default_weight: 1.0,
            need_frequency: false,
            need_position: false,
            strict_columns: true,
        }
    }
}

/// Reads one cohort file's rows as [`Record`]s.
///
/// ```
/// use metapool::gwas::{CohortReader, ReadSpec, Scheme};
/// let text = "SNP A1 A2 BETA SE P\nrs1 A G 0.1 0.05 0.04\nrs2 C T -0.2 0.1 0.05\n";
/// let mut r = CohortReader::new(text.as_bytes(), "c1.txt", &ReadSpec::new(Scheme::InverseVariance))?;
/// let mut rec = Default::default();
/// assert_eq!(r.next_record(&mut rec), Some(Ok(())));
/// assert_eq!((rec.marker.as_str(), rec.effect, rec.se), ("rs1", 0.1, 0.05));
/// assert_eq!(r.next_record(&mut rec), Some(Ok(())));
/// assert!(rec.negative);
/// assert!(r.next_record(&mut rec).is_none());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug)]
pub struct CohortReader<R> {
    input: R,
    name: String,
    separator: Separator,
    map: ColumnMap,
    header: Vec<String>,
    line: u64,
    buf: String,
    spans: Vec<(usize, usize)>,
    min_fields: usize,
    spec: ReadSpec,
    read_weight: bool,
    read_effect: bool,
    read_se: bool,
    read_p: bool,
}

impl<R> CohortReader<R> {
    /// The file's name, as given.
    ///
    /// ```
    /// use metapool::gwas::{CohortReader, ReadSpec, Scheme};
    /// let r = CohortReader::new("SNP BETA SE\n".as_bytes(), "cohort1.txt", &ReadSpec::new(Scheme::InverseVariance))?;
    /// assert_eq!(r.name(), "cohort1.txt");
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The columns found.
    ///
    /// ```
    /// use metapool::gwas::{CohortReader, ReadSpec, Role, Scheme};
    /// let r = CohortReader::new("SNP BETA SE\n".as_bytes(), "c", &ReadSpec::new(Scheme::InverseVariance))?;
    /// assert_eq!(r.columns().index(Role::StdErr), Some(2));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn columns(&self) -> &ColumnMap {
        &self.map
    }

    /// The header labels.
    ///
    /// ```
    /// use metapool::gwas::{CohortReader, ReadSpec, Scheme};
    /// let r = CohortReader::new("SNP\tBETA\tSE\n".as_bytes(), "c", &ReadSpec::new(Scheme::InverseVariance))?;
    /// assert_eq!(r.header(), ["SNP", "BETA", "SE"]);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn header(&self) -> &[String] {
        &self.header
    }
}

impl<R: BufRead> CohortReader<R> {
    /// Read the header of `input` (named `name` in errors) and find the columns; a missing
    /// required column is an [`Error::InvalidRecord`] on line 1.
    ///
    /// ```
    /// use metapool::gwas::{CohortReader, ReadSpec, Scheme};
    /// // the sample-size scheme needs a p-value column, inverse variance a standard error
    /// assert!(CohortReader::new("SNP BETA SE\n".as_bytes(), "c", &ReadSpec::new(Scheme::SampleSize)).is_err());
    /// assert!(CohortReader::new("SNP BETA SE\n".as_bytes(), "c", &ReadSpec::new(Scheme::InverseVariance)).is_ok());
    /// assert!(CohortReader::new("".as_bytes(), "c", &ReadSpec::new(Scheme::InverseVariance)).is_err()); // no header
    /// ```
    pub fn new(mut input: R, name: &str, spec: &ReadSpec) -> Result<Self> {
        let mut buf = String::new();
        let io = |e: std::io::Error| Error::InvalidRecord {
            file: name.to_string(),
            line: 1,
            column: String::new(),
            problem: RecordProblem::Io(e.to_string()),
        };
        if input.read_line(&mut buf).map_err(io)? == 0 {
            return Err(Error::InvalidRecord {
                file: name.to_string(),
                line: 1,
                column: String::new(),
                problem: RecordProblem::NoHeader,
            });
        }
        let header_line = buf.trim_end_matches(['\n', '\r']).to_string();
        let separator = spec
            .separator
            .unwrap_or_else(|| Separator::detect(&header_line));
        let mut spans = Vec::new();
        let line_for_split = if matches!(separator, Separator::Whitespace | Separator::Any) {
            header_line.trim()
        } else {
            header_line.as_str()
        };
        separator.split(line_for_split, &mut spans);
        let header: Vec<String> = spans
            .iter()
            .map(|&(a, b)| line_for_split[a..b].to_string())
            .collect();
        let refs: Vec<&str> = header.iter().map(String::as_str).collect();
        let map = ColumnMap::find(&refs, &spec.labels);
        let mut required = vec![Role::Marker];
        match spec.scheme {
            Scheme::InverseVariance => required.extend([Role::Effect, Role::StdErr]),
            Scheme::SampleSize => required.push(Role::PValue),
        }
        if spec.need_frequency {
            required.push(Role::Frequency);
        }
        if spec.need_position {
            required.extend([Role::Chromosome, Role::Position]);
        }
        if let Some(&missing) = required.iter().find(|r| map.index(**r).is_none()) {
            let label = spec
                .labels
                .given(missing)
                .map(str::to_string)
                .unwrap_or_else(|| missing.common_names().join("/"));
            return Err(Error::InvalidRecord {
                file: name.to_string(),
                line: 1,
                column: label,
                problem: RecordProblem::MissingColumn,
            });
        }
        let read_effect = map.index(Role::Effect).is_some();
        let read_se = spec.scheme == Scheme::InverseVariance;
        let read_p = spec.scheme == Scheme::SampleSize;
        let read_weight = map.index(Role::Weight).is_some();
        let mut used = required.clone();
        used.extend([Role::EffectAllele, Role::OtherAllele]);
        if read_effect {
            used.push(Role::Effect);
        }
        if read_weight {
            used.push(Role::Weight);
        }
        let min_fields = map.min_fields(&used);
        Ok(CohortReader {
            input,
            name: name.to_string(),
            separator,
            map,
            header,
            line: 1,
            buf,
            spans,
            min_fields,
            spec: spec.clone(),
            read_weight,
            read_effect,
            read_se,
            read_p,
        })
    }

    /// Read the next data row into `rec`: `None` at the end of the file, `Some(Err(_))` for an
    /// invalid row (the caller stops or counts it and reads on), `Some(Ok(()))` for a valid
    /// one. Blank lines and lines starting with `#` are skipped. An I/O error ends the file
    /// with an error on its line.
    ///
    /// ```
    /// use metapool::gwas::*;
    /// let text = "SNP BETA SE\n# a comment\n\nrs1 0.1 0.05\n";
    /// let mut r = CohortReader::new(text.as_bytes(), "c", &ReadSpec::new(Scheme::InverseVariance))?;
    /// let mut rec = Record::default();
    /// assert_eq!(r.next_record(&mut rec), Some(Ok(()))); // comment and blank line skipped
    /// assert_eq!((rec.line, rec.marker.as_str()), (4, "rs1"));
    /// assert_eq!(r.next_record(&mut rec), None);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn next_record(&mut self, rec: &mut Record) -> Option<std::result::Result<(), RowError>> {
        loop {
            self.buf.clear();
            self.line += 1;
            match self.input.read_line(&mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    return Some(Err(RowError {
                        line: self.line,
                        role: None,
                        column: String::new(),
                        problem: RecordProblem::Io(e.to_string()),
                    }))
                }
            }
            let line = self.buf.trim_end_matches(['\n', '\r']);
            let line = if matches!(self.separator, Separator::Whitespace | Separator::Any) {
                line.trim()
            } else {
                line
            };
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            self.separator.split(line, &mut self.spans);
            return Some(self.parse(rec));
        }
    }

    fn parse(&self, rec: &mut Record) -> std::result::Result<(), RowError> {
        let line_text = {
            let l = self.buf.trim_end_matches(['\n', '\r']);
            if matches!(self.separator, Separator::Whitespace | Separator::Any) {
                l.trim()
            } else {
                l
            }
        };
        rec.line = self.line;
        let n = self.spans.len();
        if (self.spec.strict_columns && n != self.map.width()) || n < self.min_fields {
            return Err(RowError {
                line: self.line,
                role: None,
                column: String::new(),
                problem: RecordProblem::FieldCount {
                    expected: self.map.width(),
                    found: n,
                },
            });
        }
        let field = |role: Role| -> Option<&str> {
            self.map.index(role).map(|i| {
                let (a, b) = self.spans[i];
                &line_text[a..b]
            })
        };
        let bad = |role: Role, problem: RecordProblem| RowError {
            line: self.line,
            role: Some(role),
            column: self
                .map
                .index(role)
                .map_or(String::new(), |i| self.header[i].clone()),
            problem,
        };
        let number = |role: Role| -> std::result::Result<f64, RowError> {
            let text = field(role).unwrap_or("");
            match text.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                Ok(x) => Err(bad(role, RecordProblem::Value(Problem::NotFinite(x)))),
                Err(_) => Err(bad(role, RecordProblem::NotNumeric(text.to_string()))),
            }
        };
        set(&mut rec.marker, field(Role::Marker).unwrap_or(""));
        set(
            &mut rec.effect_allele,
            field(Role::EffectAllele).unwrap_or(""),
        );
        set(
            &mut rec.other_allele,
            field(Role::OtherAllele).unwrap_or(""),
        );
        set(&mut rec.chromosome, field(Role::Chromosome).unwrap_or(""));
        rec.position = 0;
        if let Some(p) = field(Role::Position) {
            match p.parse::<u64>() {
                Ok(x) => rec.position = x,
                Err(_) if self.spec.need_position => {
                    return Err(bad(
                        Role::Position,
                        RecordProblem::NotNumeric(p.to_string()),
                    ))
                }
                Err(_) => {}
            }
        }
        rec.effect = f64::NAN;
        rec.negative = false;
        if self.read_effect {
            let text = field(Role::Effect).unwrap_or("");
            if self.read_se {
                let x = number(Role::Effect)?;
                rec.effect = if self.map.log_effect() {
                    if x <= 0.0 {
                        return Err(bad(
                            Role::Effect,
                            RecordProblem::Value(Problem::RatioNotPositive(x)),
                        ));
                    }
                    x.ln()
                } else {
                    x
                };
                rec.negative = rec.effect < 0.0;
            } else if self.map.log_effect() {
                let x = number(Role::Effect)?;
                if x <= 0.0 {
                    return Err(bad(
                        Role::Effect,
                        RecordProblem::Value(Problem::RatioNotPositive(x)),
                    ));
                }
                rec.effect = x.ln();
                rec.negative = x < 1.0;
            } else {
                // the sample-size scheme needs only the sign (METAL: a leading '-')
                rec.negative = text.starts_with('-');
                rec.effect = text.parse::<f64>().unwrap_or(f64::NAN);
            }
        }
        rec.se = f64::NAN;
        if self.read_se {
            let se = number(Role::StdErr)?;
            if se <= 0.0 {
                return Err(bad(
                    Role::StdErr,
                    RecordProblem::Value(Problem::NotPositive(se)),
                ));
            }
            rec.se = se;
        }
        rec.p = f64::NAN;
        if self.read_p {
            let p = number(Role::PValue)?;
            if !(p > 0.0 && p <= 1.0) {
                return Err(bad(
                    Role::PValue,
                    RecordProblem::Value(Problem::OutOfRange {
                        lo: 0.0,
                        hi: 1.0,
                        got: p,
                    }),
                ));
            }
            rec.p = p;
        }
        rec.weight = self.spec.default_weight;
        if self.read_weight {
            let w = number(Role::Weight)?;
            if w <= 0.0 {
                return Err(bad(
                    Role::Weight,
                    RecordProblem::Value(Problem::NotPositive(w)),
                ));
            }
            rec.weight = w;
        }
        rec.frequency = f64::NAN;
        if self.spec.need_frequency {
            let f = number(Role::Frequency)?;
            if !(0.0..=1.0).contains(&f) {
                return Err(bad(
                    Role::Frequency,
                    RecordProblem::Value(Problem::OutOfRange {
                        lo: 0.0,
                        hi: 1.0,
                        got: f,
                    }),
                ));
            }
            rec.frequency = f;
        } else if let Some(t) = field(Role::Frequency) {
            rec.frequency = t
                .parse::<f64>()
                .ok()
                .filter(|f| (0.0..=1.0).contains(f))
                .unwrap_or(f64::NAN);
        }
        Ok(())
    }
}

fn set(s: &mut String, v: &str) {
    s.clear();
    s.push_str(v);
}
