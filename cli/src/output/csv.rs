//! `--format csv`: one row per analysis and subgroup, and with `--csv-rows all` one per study
//! and one for the test for subgroup differences.

use super::{choice_name, study_rows, Stats};
use crate::analysis::{AnalysisError, Group, Outcome, Settings};
use crate::measure::Display;
use crate::pipeline::Sink;
use std::io::{self, Write};

/// `--format csv`: one row per analysis, then one per subgroup.
pub struct CsvSink<'a, W: Write> {
    out: csv::Writer<W>,
    settings: &'a Settings,
    /// The header, written before the first row (or by `finish`).
    header: Option<Vec<&'static str>>,
    /// `--csv-rows all`.
    studies: bool,
}

const CSV_HEADER: &[&str] = &[
    "id", "subgroup", "measure", "model", "method", "selected", "k", "estimate", "se", "ci_lower",
    "ci_upper", "z", "p", "t_df", "tau2", "tau", "i2", "h2", "q", "q_df", "q_p", "pi_lower",
    "pi_upper",
];
const CSV_RATIO: &[&str] = &[
    "exp_estimate",
    "exp_ci_lower",
    "exp_ci_upper",
    "exp_pi_lower",
    "exp_pi_upper",
];
const CSV_PROPORTION: &[&str] = &[
    "proportion_estimate",
    "proportion_ci_lower",
    "proportion_ci_upper",
    "proportion_pi_lower",
    "proportion_pi_upper",
];

/// The per-study columns of `--csv-rows all` (after the analysis columns).
const CSV_STUDY: &[&str] = &["study", "line", "weight", "excluded"];

/// What one CSV row is, in the `row` column of `--csv-rows all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowKind {
    Pooled,
    Subgroup,
    SubgroupTest,
    Study,
}

impl RowKind {
    fn name(self) -> &'static str {
        match self {
            RowKind::Pooled => "pooled",
            RowKind::Subgroup => "subgroup",
            RowKind::SubgroupTest => "subgroup-test",
            RowKind::Study => "study",
        }
    }
}

/// The per-study cells of a study row.
struct StudyCells<'r> {
    study: &'r str,
    line: u64,
    weight: Option<f64>,
    excluded: &'r str,
}

impl<'a, W: Write> CsvSink<'a, W> {
    /// `studies`: `--csv-rows all` (a `row` column first, then one row per study and one for
    /// the test for subgroup differences besides the analysis and subgroup rows).
    pub fn new(out: W, settings: &'a Settings, studies: bool) -> io::Result<Self> {
        let out = csv::WriterBuilder::new().from_writer(out);
        let mut header: Vec<&'static str> = Vec::new();
        if studies {
            header.push("row");
        }
        header.extend_from_slice(CSV_HEADER);
        match settings.display {
            Display::Ratio => header.extend_from_slice(CSV_RATIO),
            Display::Proportion => header.extend_from_slice(CSV_PROPORTION),
            Display::Identity => {}
        }
        header.extend_from_slice(&["tau2_iterations", "tau2_stop", "error"]);
        if studies {
            header.extend_from_slice(CSV_STUDY);
        }
        Ok(CsvSink {
            out,
            settings,
            header: Some(header),
            studies,
        })
    }

    fn write_header(&mut self) -> io::Result<()> {
        if let Some(h) = self.header.take() {
            self.out.write_record(&h).map_err(csv_io)?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.write_header()?;
        self.out.flush()
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        kind: RowKind,
        id: &[u8],
        subgroup: &str,
        labels: (&str, &str, &str),
        st: &Stats,
        error: &str,
        study: Option<StudyCells<'_>>,
    ) -> csv::Result<()> {
        let mut buf = ryu::Buffer::new();
        let studies = self.studies;
        let w = &mut self.out;
        if studies {
            w.write_field(kind.name())?;
        }
        w.write_field(id)?;
        w.write_field(subgroup)?;
        w.write_field(self.settings.measure.name())?;
        w.write_field(labels.0)?;
        w.write_field(labels.1)?;
        w.write_field(labels.2)?;
        w.write_field(st.k.map(|k| k.to_string()).unwrap_or_default())?;
        for x in [st.estimate, st.se, st.ci_lower, st.ci_upper, st.z, st.p] {
            w.write_field(x.map(|x| buf.format(x)).unwrap_or(""))?;
        }
        w.write_field(st.t_df.map(|k| k.to_string()).unwrap_or_default())?;
        for x in [st.tau2, st.tau, st.i2, st.h2, st.q] {
            w.write_field(x.map(|x| buf.format(x)).unwrap_or(""))?;
        }
        w.write_field(st.q_df.map(|k| k.to_string()).unwrap_or_default())?;
        for x in [st.q_p, st.pi_lower, st.pi_upper] {
            w.write_field(x.map(|x| buf.format(x)).unwrap_or(""))?;
        }
        let extra = match self.settings.display {
            Display::Ratio => [
                st.exp_estimate,
                st.exp_ci_lower,
                st.exp_ci_upper,
                st.exp_pi_lower,
                st.exp_pi_upper,
            ],
            Display::Proportion => [
                st.proportion_estimate,
                st.proportion_ci_lower,
                st.proportion_ci_upper,
                st.proportion_pi_lower,
                st.proportion_pi_upper,
            ],
            Display::Identity => [None; 5],
        };
        if self.settings.display != Display::Identity {
            for x in extra {
                w.write_field(x.flatten().map(|x| buf.format(x)).unwrap_or(""))?;
            }
        }
        w.write_field(
            st.tau2_iterations
                .map(|k| k.to_string())
                .unwrap_or_default(),
        )?;
        w.write_field(st.tau2_stop.unwrap_or(""))?;
        w.write_field(error)?;
        if studies {
            match study {
                Some(c) => {
                    w.write_field(c.study)?;
                    w.write_field(c.line.to_string())?;
                    w.write_field(c.weight.map(|x| buf.format(x)).unwrap_or(""))?;
                    w.write_field(c.excluded)?;
                }
                None => {
                    for _ in CSV_STUDY {
                        w.write_field("")?;
                    }
                }
            }
        }
        w.write_record(None::<&[u8]>)?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn row_io(
        &mut self,
        kind: RowKind,
        id: &[u8],
        subgroup: &str,
        labels: (&str, &str, &str),
        st: &Stats,
        error: &str,
        study: Option<StudyCells<'_>>,
    ) -> io::Result<()> {
        self.write_header()?;
        self.row(kind, id, subgroup, labels, st, error, study)
            .map_err(csv_io)
    }

    /// One row per study (input order), then the test for subgroup differences.
    fn study_rows(&mut self, g: &Group, o: &Outcome) -> io::Result<()> {
        let s = self.settings;
        let rows = study_rows(s, g.len(), o);
        for (i, r) in rows.iter().enumerate() {
            let subgroup = g
                .subgroup_of
                .get(i)
                .map(|&k| g.subgroup_names[k].as_str())
                .unwrap_or("");
            let st = Stats::of_study(r, s.display);
            let cells = StudyCells {
                study: g.name(i),
                line: g.lines[i],
                weight: r.weight,
                excluded: r.excluded.unwrap_or(""),
            };
            self.row_io(
                RowKind::Study,
                &g.key,
                subgroup,
                ("", "", ""),
                &st,
                "",
                Some(cells),
            )?;
        }
        if let Some(sg) = &o.subgroups {
            let t = &sg.test;
            let st = Stats {
                i2: Some(t.i2),
                q: Some(t.q),
                q_df: Some(t.df),
                q_p: t.q_p,
                ..Stats::null(s.display)
            };
            self.row_io(
                RowKind::SubgroupTest,
                &g.key,
                "",
                ("", "", ""),
                &st,
                "",
                None,
            )?;
        }
        Ok(())
    }
}

impl<W: Write> Sink for CsvSink<'_, W> {
    fn analysis(&mut self, g: &Group, o: &Result<Outcome, AnalysisError>) -> io::Result<()> {
        match o {
            Err(e) => {
                let msg = match e.line {
                    Some(l) => format!("line {l}: {}", e.message),
                    None => e.message.clone(),
                };
                let st = Stats::null(self.settings.display);
                self.row_io(RowKind::Pooled, &g.key, "", ("", "", ""), &st, &msg, None)
            }
            Ok(o) => {
                let selected = o.auto.as_ref().map(|a| choice_name(a.0)).unwrap_or("");
                let labels = (o.main.model, o.main.method, selected);
                let (d, pk) = (self.settings.display, self.settings.prediction);
                let main = Stats::of(&o.main.pooled, d, pk);
                self.row_io(RowKind::Pooled, &g.key, "", labels, &main, "", None)?;
                if let Some(sg) = &o.subgroups {
                    for f in &sg.fits {
                        let name = g.subgroup_names[f.index].clone();
                        let st = Stats::of(&f.fit, d, pk);
                        self.row_io(RowKind::Subgroup, &g.key, &name, labels, &st, "", None)?;
                    }
                }
                if self.studies {
                    self.study_rows(g, o)?;
                }
                Ok(())
            }
        }
    }
}

/// The I/O error inside a CSV writer error (keeps the kind, e.g. a broken pipe).
pub fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}
