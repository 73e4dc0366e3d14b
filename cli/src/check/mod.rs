//! `metapool check`: re-check published pooled results, one per CSV row, with the library's
//! `report` module: are the printed estimate, CI and p consistent once each printed number is
//! read as the interval of values that round to it; does the printed model follow the Q-test
//! rule; does a printed I² agree with the printed Q (or Q-test p) and df?
//!
//! ```text
//! I²(Q) = max(0, (Q - df) / Q) * 100   increasing in Q, so a printed Q box [Q-, Q+] allows
//!                                      I² in [I²(Q-), I²(Q+)];  from a printed Q-test p box
//!                                      [p-, p+]: Q in [qchisq(1 - p+, df), qchisq(1 - p-, df)]
//! ```

mod rows;
use rows::{json_row, table_row};

use crate::args::{CheckArgs, Format};
use crate::cells::{is_missing, trim, LineCounter};
use crate::columns::Header;
use crate::commands::{exit_status, fail, finish, open_input, EXIT_INPUT};
use crate::error::{Fatal, InputError};
use crate::pipeline::Summary;
use metapool::inference::{chi_square_quantile, ConfidenceLevel};
use metapool::report::{decide_printed, Consistency, Figure, Printed, PublishedResult};
use metapool::{effect::Scale, pool::ModelChoice, pool::ModelRule};
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

/// The verdict on one row.
struct RowCheck {
    line: u64,
    label: String,
    texts: [String; 4],
    consistency: Consistency,
    /// Printed model and whether it follows the rule (`None`: not printed, or the printed Q-test
    /// p straddles the threshold).
    model: Option<(String, Option<bool>, Option<ModelChoice>)>,
    /// The I² range the printed Q (or p) and df allow, and whether the printed I² lies in it.
    i2: Option<((f64, f64), bool)>,
}

const FIGURE_NAMES: [&str; 4] = ["estimate", "ci_lower", "ci_upper", "p"];

fn figure_name(f: Figure) -> &'static str {
    match f {
        Figure::Estimate => "estimate",
        Figure::CiLower => "ci_lower",
        Figure::CiUpper => "ci_upper",
        Figure::P => "p",
    }
}

/// I² in percent from Q and its df.
fn i2_of(q: f64, df: f64) -> f64 {
    if q <= 0.0 {
        0.0
    } else {
        ((q - df) / q).max(0.0) * 100.0
    }
}

/// The cells of one row, by the header.
struct Columns {
    required: [usize; 4],
    label: Option<usize>,
    scale: Option<usize>,
    k: Option<usize>,
    q_p: Option<usize>,
    model: Option<usize>,
    i2: Option<usize>,
    q: Option<usize>,
    q_df: Option<usize>,
    level: Option<usize>,
}

impl Columns {
    fn new(h: &Header) -> Result<Columns, String> {
        let mut req = [0; 4];
        let mut missing = Vec::new();
        for (i, n) in FIGURE_NAMES.iter().enumerate() {
            match h.find(n) {
                Some(c) => req[i] = c,
                None => missing.push(format!("`{n}`")),
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "missing column{} {} (check needs estimate, ci_lower, ci_upper, p); the header \
                 has {}",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", "),
                h.listing()
            ));
        }
        let opt = |n: &str| h.named(n);
        Ok(Columns {
            required: req,
            label: opt("label")
                .or_else(|| opt("study"))
                .or_else(|| opt("outcome")),
            scale: opt("scale"),
            k: opt("k"),
            q_p: opt("q_p"),
            model: opt("model"),
            i2: opt("i2"),
            q: opt("q"),
            q_df: opt("q_df"),
            level: opt("level"),
        })
    }
}

fn cell(rec: &csv::StringRecord, c: Option<usize>) -> Option<&str> {
    let t = trim(rec.get(c?)?.as_bytes());
    (!is_missing(t)).then(|| std::str::from_utf8(t).unwrap_or_default())
}

fn check_row(
    rec: &csv::StringRecord,
    cols: &Columns,
    rule: &ModelRule,
    line: u64,
    row: usize,
) -> Result<RowCheck, InputError> {
    let err = |col: usize, reason: String| InputError {
        line: Some(line),
        column: Some((col + 1, String::new())),
        reason,
    };
    let mut texts: [String; 4] = Default::default();
    for (i, &c) in cols.required.iter().enumerate() {
        texts[i] = cell(rec, Some(c))
            .ok_or_else(|| err(c, format!("`{}` is missing", FIGURE_NAMES[i])))?
            .to_string();
    }
    let scale = match cell(rec, cols.scale)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("identity") => Scale::Identity,
        Some("log") => Scale::Log,
        Some(other) => {
            return Err(err(
                cols.scale.unwrap_or(0),
                format!("scale must be identity or log, got `{other}`"),
            ))
        }
    };
    let level = match cell(rec, cols.level) {
        None => ConfidenceLevel::default(),
        Some(t) => {
            let x: f64 = t.trim_end_matches('%').parse().map_err(|_| {
                err(
                    cols.level.unwrap_or(0),
                    format!("level is not a number: `{t}`"),
                )
            })?;
            ConfidenceLevel::new(if x > 1.0 { x / 100.0 } else { x })
                .map_err(|e| err(cols.level.unwrap_or(0), format!("level: {e}")))?
        }
    };
    let printed = |i: usize| {
        Printed::parse(&texts[i])
            .map_err(|e| err(cols.required[i], format!("{}: {e}", FIGURE_NAMES[i])))
    };
    let result = PublishedResult {
        estimate: printed(0)?,
        ci_lower: printed(1)?,
        ci_upper: printed(2)?,
        p: printed(3)?,
        scale,
        level,
    };
    let opt_printed = |c: Option<usize>, what: &str| -> Result<Option<Printed>, InputError> {
        cell(rec, c)
            .map(|t| Printed::parse(t).map_err(|e| err(c.unwrap_or(0), format!("{what}: {e}"))))
            .transpose()
    };
    let q_p = opt_printed(cols.q_p, "q_p")?;
    let model = cell(rec, cols.model).map(|m| {
        let printed = match m.to_ascii_lowercase().as_str() {
            "fixed" | "fe" | "fixed effect" | "fixed-effect" | "common" => Some(ModelChoice::Fixed),
            "random" | "re" | "random effects" | "random-effects" => Some(ModelChoice::Random),
            _ => None,
        };
        // No printed Q-test p: one study (the rule picks fixed), unless k says otherwise.
        let k: Option<f64> = cell(rec, cols.k).and_then(|k| k.parse().ok());
        let rule_says = match (&q_p, k) {
            (None, Some(k)) if k > 1.0 => None,
            _ => decide_printed(rule, q_p.as_ref()),
        };
        let ok = match (printed, rule_says) {
            (Some(p), Some(r)) => Some(p == r),
            _ => None,
        };
        (m.to_string(), ok, rule_says)
    });
    let i2 = match (opt_printed(cols.i2, "i2")?, cell(rec, cols.q_df)) {
        (Some(i2), Some(df)) => {
            let df: f64 = df.parse().map_err(|_| {
                err(
                    cols.q_df.unwrap_or(0),
                    format!("q_df is not a number: `{df}`"),
                )
            })?;
            let q = opt_printed(cols.q, "q")?;
            let range = match (q, &q_p) {
                (Some(q), _) => Some((i2_of(q.lower.max(0.0), df), i2_of(q.upper, df))),
                (None, Some(p)) if df > 0.0 => {
                    let q_at = |p: f64| {
                        if p >= 1.0 {
                            0.0
                        } else if p <= 0.0 {
                            f64::INFINITY
                        } else {
                            chi_square_quantile(1.0 - p, df)
                        }
                    };
                    Some((
                        i2_of(q_at(p.upper.min(1.0)), df),
                        i2_of(q_at(p.lower.max(0.0)), df),
                    ))
                }
                _ => None,
            };
            range.map(|(lo, hi)| ((lo, hi), i2.upper >= lo && i2.lower <= hi))
        }
        _ => None,
    };
    let label = cell(rec, cols.label)
        .map(str::to_string)
        .unwrap_or_else(|| format!("Row {row}"));
    Ok(RowCheck {
        line,
        label,
        texts,
        consistency: result.check(),
        model,
        i2,
    })
}

/// `metapool check`.
pub fn main(a: &CheckArgs) -> ExitCode {
    if a.format == Format::Csv {
        return fail(EXIT_INPUT, "--format csv is not available for check");
    }
    let rule = match ModelRule::new(a.alpha) {
        Ok(r) => r,
        Err(e) => return fail(EXIT_INPUT, format!("--alpha: {e}")),
    };
    let input = match open_input(&a.file) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let out = BufWriter::new(io::stdout().lock());
    exit_status(&a.file, run_check(a, &rule, input, out))
}

/// Check the rows of `input` and write the verdicts to `out`.
pub fn run_check<R: Read, W: Write>(
    a: &CheckArgs,
    rule: &ModelRule,
    input: R,
    out: W,
) -> io::Result<Result<Summary, Fatal>> {
    let mut summary = Summary::default();
    let mut w = Writer::new(out, a.format);
    let r = run(input, a.delimiter, rule, &mut summary, &mut w);
    finish(r.map(|()| summary), || w.finish())
}

/// The output of `check`.
struct Writer<W: Write> {
    out: W,
    format: Format,
    count: usize,
    inconsistent: usize,
}

impl<W: Write> Writer<W> {
    fn new(out: W, format: Format) -> Self {
        Writer {
            out,
            format,
            count: 0,
            inconsistent: 0,
        }
    }

    fn row(&mut self, r: &RowCheck) -> io::Result<()> {
        self.count += 1;
        self.inconsistent += usize::from(!r.consistency.consistent);
        match self.format {
            Format::Json => {
                let mut b = Vec::new();
                b.extend_from_slice(if self.count == 1 {
                    b"{\"rows\": [\n"
                } else {
                    b",\n"
                });
                json_row(&mut b, r);
                self.out.write_all(&b)
            }
            _ => {
                if self.count == 1 {
                    writeln!(
                        self.out,
                        "{:>5}  {:<44}  {:>26}  {:>10}  Verdict",
                        "Line", "Label", "Estimate [CI]", "p"
                    )?;
                }
                table_row(&mut self.out, r)
            }
        }
    }

    fn finish(mut self) -> io::Result<()> {
        match self.format {
            Format::Json => {
                if self.count == 0 {
                    self.out.write_all(b"{\"rows\": [")?;
                }
                self.out.write_all(b"\n]}\n")?;
            }
            _ => writeln!(
                self.out,
                "{} row{} checked, {} inconsistent",
                self.count,
                if self.count == 1 { "" } else { "s" },
                self.inconsistent
            )?,
        }
        self.out.flush()
    }
}

fn run<R: Read, W: Write>(
    input: R,
    delimiter: u8,
    rule: &ModelRule,
    summary: &mut Summary,
    w: &mut Writer<W>,
) -> Result<(), Fatal> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(LineCounter::new(input));
    let mut rec = csv::StringRecord::new();
    let read = |csv: &mut csv::Reader<LineCounter<R>>, rec: &mut csv::StringRecord| {
        csv.read_record(rec).map_err(|e| {
            let line = e.position().map(|p| csv.get_mut().line_at(p.byte()));
            Fatal::Input(InputError {
                line,
                column: None,
                reason: format!("malformed CSV: {e}"),
            })
        })
    };
    if !read(&mut csv, &mut rec)? {
        return Err(Fatal::Input(InputError::at(
            1,
            "the file is empty (expected a header row)",
        )));
    }
    let mut names: Vec<String> = rec.iter().map(|h| h.trim().to_string()).collect();
    if let Some(first) = names.first_mut() {
        *first = first.trim_start_matches('\u{feff}').to_string();
    }
    let h = Header::new(names, None).map_err(|r| InputError::at(1, r))?;
    let cols = Columns::new(&h).map_err(|r| InputError::at(1, r))?;
    while read(&mut csv, &mut rec)? {
        let byte = rec.position().map(|p| p.byte()).unwrap_or(0);
        let line = csv.get_mut().line_at(byte);
        summary.rows += 1;
        summary.analyses += 1;
        let r = check_row(&rec, &cols, rule, line, summary.rows as usize).map_err(|mut e| {
            if let Some((c, name)) = &mut e.column {
                *name = h.names().get(*c - 1).cloned().unwrap_or_default();
            }
            e
        })?;
        w.row(&r)?;
    }
    if summary.rows == 0 {
        return Err(Fatal::Input(InputError::at(
            2,
            "no data rows after the header",
        )));
    }
    Ok(())
}
