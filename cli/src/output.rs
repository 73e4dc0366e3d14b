//! The three output formats: JSON (the machine-readable contract), CSV (one row per analysis and
//! subgroup) and a RevMan-style text table. Every writer streams: it writes each analysis as it
//! arrives and keeps nothing.

use crate::analysis::{AnalysisError, Fit, Group, Outcome, Settings};
use crate::input::Sink;
use crate::json::{self, Obj};
use crate::measure::Display;
use metapool::pool::{PredictionKind, Test};
use metapool::{ModelChoice, Pooled, Scale};
use std::io::{self, Write};
use std::ops::Range;

/// The pooled statistics of one fit, as the JSON contract names them. `None` is `null`.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub k: Option<usize>,
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub ci_lower: Option<f64>,
    pub ci_upper: Option<f64>,
    /// The test statistic: z, or t for t-based tests (`--ci t | hk | hk-adhoc`).
    pub z: Option<f64>,
    pub p: Option<f64>,
    /// Degrees of freedom of a t-based test; `null` for z.
    pub t_df: Option<usize>,
    pub tau2: Option<f64>,
    pub tau: Option<f64>,
    pub i2: Option<f64>,
    pub h2: Option<f64>,
    pub q: Option<f64>,
    pub q_df: Option<usize>,
    pub q_p: Option<f64>,
    /// Prediction interval (random-effects fits; `null` for fixed-effect fits).
    pub pi_lower: Option<f64>,
    pub pi_upper: Option<f64>,
    /// Ratio measures only (absent otherwise): the estimate and bounds back-transformed.
    pub exp_estimate: Option<Option<f64>>,
    pub exp_ci_lower: Option<Option<f64>>,
    pub exp_ci_upper: Option<Option<f64>>,
    pub exp_pi_lower: Option<Option<f64>>,
    pub exp_pi_upper: Option<Option<f64>>,
    /// Transformed proportions (PLO, PAS, PFT) only: the same back-transformed to proportions.
    pub proportion_estimate: Option<Option<f64>>,
    pub proportion_ci_lower: Option<Option<f64>>,
    pub proportion_ci_upper: Option<Option<f64>>,
    pub proportion_pi_lower: Option<Option<f64>>,
    pub proportion_pi_upper: Option<Option<f64>>,
}

/// The back-transformed fields of a display: `(exp fields, proportion fields)`, each
/// `Some(value or null)` when the display has them, `None` (absent) otherwise.
fn back(
    display: Display,
    scale: Scale,
    x: Option<f64>,
) -> (Option<Option<f64>>, Option<Option<f64>>) {
    let v = x.map(|x| scale.to_display(x));
    match display {
        Display::Ratio => (Some(v), None),
        Display::Proportion => (None, Some(v)),
        Display::Identity => (None, None),
    }
}

impl Stats {
    /// All `null` (a failed analysis), with the back-transformed fields of the display.
    pub fn null(display: Display) -> Stats {
        let (e, p) = back(display, Scale::Identity, None);
        Stats {
            exp_estimate: e,
            exp_ci_lower: e,
            exp_ci_upper: e,
            exp_pi_lower: e,
            exp_pi_upper: e,
            proportion_estimate: p,
            proportion_ci_lower: p,
            proportion_ci_upper: p,
            proportion_pi_lower: p,
            proportion_pi_upper: p,
            ..Stats::default()
        }
    }

    pub fn of(p: &Pooled, display: Display, prediction: PredictionKind) -> Stats {
        let h = &p.heterogeneity;
        let pi = if p.is_random() {
            p.prediction_interval(prediction).ok()
        } else {
            None
        };
        let (pi_lower, pi_upper) = (pi.map(|i| i.lower), pi.map(|i| i.upper));
        let b = |x: Option<f64>| back(display, p.scale, x);
        let (ee, pe) = b(Some(p.estimate));
        let (el, pl) = b(Some(p.ci_lower));
        let (eu, pu) = b(Some(p.ci_upper));
        let (epl, ppl) = b(pi_lower);
        let (epu, ppu) = b(pi_upper);
        Stats {
            k: Some(p.k),
            estimate: Some(p.estimate),
            se: Some(p.se),
            ci_lower: Some(p.ci_lower),
            ci_upper: Some(p.ci_upper),
            z: Some(p.statistic),
            p: Some(p.p),
            t_df: p.df,
            tau2: Some(h.tau2),
            tau: Some(h.tau),
            i2: Some(h.i2),
            h2: Some(h.h2),
            q: Some(h.q),
            q_df: Some(h.df),
            q_p: h.q_p,
            pi_lower,
            pi_upper,
            exp_estimate: ee,
            exp_ci_lower: el,
            exp_ci_upper: eu,
            exp_pi_lower: epl,
            exp_pi_upper: epu,
            proportion_estimate: pe,
            proportion_ci_lower: pl,
            proportion_ci_upper: pu,
            proportion_pi_lower: ppl,
            proportion_pi_upper: ppu,
        }
    }
}

struct FitJson {
    model: &'static str,
    method: &'static str,
    stats: Stats,
    /// Per study in input order, percent; `null` for excluded studies.
    weights: Vec<Option<f64>>,
}

struct StudyJson<'a> {
    study: &'a str,
    line: u64,
    subgroup: Option<&'a str>,
    estimate: Option<f64>,
    se: Option<f64>,
    ci_lower: Option<f64>,
    ci_upper: Option<f64>,
    weight: Option<f64>,
    exp_estimate: Option<Option<f64>>,
    exp_ci_lower: Option<Option<f64>>,
    exp_ci_upper: Option<Option<f64>>,
    proportion_estimate: Option<Option<f64>>,
    proportion_ci_lower: Option<Option<f64>>,
    proportion_ci_upper: Option<Option<f64>>,
    excluded: Option<&'static str>,
}

impl<'a> StudyJson<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        study: &'a str,
        line: u64,
        subgroup: Option<&'a str>,
        r: Option<&StudyRow>,
        display: Display,
        scale: Scale,
    ) -> StudyJson<'a> {
        let b = |x: Option<f64>| back(display, scale, x);
        let (estimate, se, ci_lower, ci_upper, weight, excluded) = match r {
            Some(r) => (
                r.estimate, r.se, r.ci_lower, r.ci_upper, r.weight, r.excluded,
            ),
            None => (None, None, None, None, None, None),
        };
        let (ee, pe) = b(estimate);
        let (el, pl) = b(ci_lower);
        let (eu, pu) = b(ci_upper);
        StudyJson {
            study,
            line,
            subgroup,
            estimate,
            se,
            ci_lower,
            ci_upper,
            weight,
            exp_estimate: ee,
            exp_ci_lower: el,
            exp_ci_upper: eu,
            proportion_estimate: pe,
            proportion_ci_lower: pl,
            proportion_ci_upper: pu,
            excluded,
        }
    }
}

struct SubgroupJson<'a> {
    subgroup: &'a str,
    model: &'static str,
    method: &'static str,
    stats: Stats,
    /// Sum of its studies' weights in the overall fit, percent.
    weight: f64,
}

struct SubgroupTestJson {
    q: f64,
    df: usize,
    p: Option<f64>,
    i2: f64,
}

struct AnalysisJson<'a> {
    id: Option<String>,
    first_line: u64,
    last_line: u64,
    measure: &'static str,
    scale: &'static str,
    level: f64,
    ci: &'static str,
    model: Option<&'static str>,
    method: Option<&'static str>,
    stats: Stats,
    selected: Option<&'static str>,
    fixed: Option<FitJson>,
    random: Option<FitJson>,
    subgroups: Option<Vec<SubgroupJson<'a>>>,
    subgroup_test: Option<SubgroupTestJson>,
    studies: Vec<StudyJson<'a>>,
    error: Option<String>,
}

// The JSON text of the structs above, field by field in declaration order (what serde's derive
// wrote before; `json` explains the format). Flattened `Stats` fields sit inline.

impl Stats {
    fn write_fields(&self, o: &mut Obj<'_>) {
        o.opt_usize("k", self.k);
        o.opt_f64("estimate", self.estimate);
        o.opt_f64("se", self.se);
        o.opt_f64("ci_lower", self.ci_lower);
        o.opt_f64("ci_upper", self.ci_upper);
        o.opt_f64("z", self.z);
        o.opt_f64("p", self.p);
        o.opt_usize("t_df", self.t_df);
        o.opt_f64("tau2", self.tau2);
        o.opt_f64("tau", self.tau);
        o.opt_f64("i2", self.i2);
        o.opt_f64("h2", self.h2);
        o.opt_f64("q", self.q);
        o.opt_usize("q_df", self.q_df);
        o.opt_f64("q_p", self.q_p);
        o.opt_f64("pi_lower", self.pi_lower);
        o.opt_f64("pi_upper", self.pi_upper);
        o.skip_f64("exp_estimate", self.exp_estimate);
        o.skip_f64("exp_ci_lower", self.exp_ci_lower);
        o.skip_f64("exp_ci_upper", self.exp_ci_upper);
        o.skip_f64("exp_pi_lower", self.exp_pi_lower);
        o.skip_f64("exp_pi_upper", self.exp_pi_upper);
        o.skip_f64("proportion_estimate", self.proportion_estimate);
        o.skip_f64("proportion_ci_lower", self.proportion_ci_lower);
        o.skip_f64("proportion_ci_upper", self.proportion_ci_upper);
        o.skip_f64("proportion_pi_lower", self.proportion_pi_lower);
        o.skip_f64("proportion_pi_upper", self.proportion_pi_upper);
    }
}

impl FitJson {
    /// `stats_text`: the text of these stats' fields already written (the selected fit's stats
    /// are the top-level ones). `weight_text`, when given, receives where each weight's text is.
    fn write(
        &self,
        b: &mut Vec<u8>,
        stats_text: Option<Range<usize>>,
        mut weight_text: Option<&mut Vec<Range<usize>>>,
    ) {
        let mut o = Obj::open(b);
        o.str("model", self.model);
        o.str("method", self.method);
        match stats_text {
            Some(r) => o.copy(r),
            None => self.stats.write_fields(&mut o),
        }
        let b = o.key("weights");
        b.push(b'[');
        for (i, w) in self.weights.iter().enumerate() {
            if i > 0 {
                b.push(b',');
            }
            let start = b.len();
            match w {
                Some(w) => json::f64_value(b, *w),
                None => json::null(b),
            }
            if let Some(t) = weight_text.as_deref_mut() {
                t.push(start..b.len());
            }
        }
        b.push(b']');
        o.close();
    }
}

impl StudyJson<'_> {
    /// `weight_text`: the text of this study's weight already written (in the selected fit).
    fn write(&self, b: &mut Vec<u8>, weight_text: Option<Range<usize>>) {
        let mut o = Obj::open(b);
        o.str("study", self.study);
        o.u64("line", self.line);
        if let Some(s) = self.subgroup {
            o.str("subgroup", s);
        }
        o.opt_f64("estimate", self.estimate);
        o.opt_f64("se", self.se);
        o.opt_f64("ci_lower", self.ci_lower);
        o.opt_f64("ci_upper", self.ci_upper);
        match weight_text {
            Some(r) => {
                o.key("weight");
                o.copy(r);
            }
            None => o.opt_f64("weight", self.weight),
        }
        o.skip_f64("exp_estimate", self.exp_estimate);
        o.skip_f64("exp_ci_lower", self.exp_ci_lower);
        o.skip_f64("exp_ci_upper", self.exp_ci_upper);
        o.skip_f64("proportion_estimate", self.proportion_estimate);
        o.skip_f64("proportion_ci_lower", self.proportion_ci_lower);
        o.skip_f64("proportion_ci_upper", self.proportion_ci_upper);
        if let Some(e) = self.excluded {
            o.str("excluded", e);
        }
        o.close();
    }
}

impl SubgroupJson<'_> {
    fn write(&self, b: &mut Vec<u8>) {
        let mut o = Obj::open(b);
        o.str("subgroup", self.subgroup);
        o.str("model", self.model);
        o.str("method", self.method);
        self.stats.write_fields(&mut o);
        o.f64("weight", self.weight);
        o.close();
    }
}

impl SubgroupTestJson {
    fn write(&self, b: &mut Vec<u8>) {
        let mut o = Obj::open(b);
        o.f64("q", self.q);
        o.u64("df", self.df as u64);
        o.opt_f64("p", self.p);
        o.f64("i2", self.i2);
        o.close();
    }
}

/// A JSON array of the items written by `write`.
fn write_array<T>(b: &mut Vec<u8>, items: &[T], write: impl Fn(&T, &mut Vec<u8>)) {
    b.push(b'[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            b.push(b',');
        }
        write(x, b);
    }
    b.push(b']');
}

impl AnalysisJson<'_> {
    /// `weight_text` is scratch space, reused between analyses.
    fn write(&self, b: &mut Vec<u8>, weight_text: &mut Vec<Range<usize>>) {
        let mut o = Obj::open(b);
        o.opt_str("id", self.id.as_deref());
        o.u64("first_line", self.first_line);
        o.u64("last_line", self.last_line);
        o.str("measure", self.measure);
        o.str("scale", self.scale);
        o.f64("level", self.level);
        o.str("ci", self.ci);
        o.opt_str("model", self.model);
        o.opt_str("method", self.method);
        let start = o.len();
        self.stats.write_fields(&mut o);
        let stats_text = start..o.len();
        if let Some(s) = self.selected {
            o.str("selected", s);
        }
        // With --model auto the top level is the selected fit (`Outcome::main` is its clone):
        // its stats and weights are written once and copied.
        weight_text.clear();
        for (name, fit) in [("fixed", &self.fixed), ("random", &self.random)] {
            if let Some(f) = fit {
                let chosen = self.selected == Some(name);
                f.write(
                    o.key(name),
                    chosen.then(|| stats_text.clone()),
                    chosen.then_some(&mut *weight_text),
                );
            }
        }
        if let Some(s) = &self.subgroups {
            write_array(o.key("subgroups"), s, SubgroupJson::write);
        }
        if let Some(t) = &self.subgroup_test {
            t.write(o.key("subgroup_test"));
        }
        let b = o.key("studies");
        b.push(b'[');
        for (i, st) in self.studies.iter().enumerate() {
            if i > 0 {
                b.push(b',');
            }
            st.write(b, weight_text.get(i).cloned());
        }
        b.push(b']');
        if let Some(e) = &self.error {
            o.str("error", e);
        }
        o.close();
    }
}

/// Why a study was excluded, in words.
pub fn exclusion_text(why: metapool::Exclusion) -> &'static str {
    match why {
        metapool::Exclusion::NoEventsInEitherArm => "no events in either arm (not estimable)",
        metapool::Exclusion::AllEventsInBothArms => "all events in both arms (not estimable)",
        _ => "not estimable",
    }
}

/// Per-study figures of an outcome, in input order.
pub struct StudyRow {
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub ci_lower: Option<f64>,
    pub ci_upper: Option<f64>,
    pub weight: Option<f64>,
    pub excluded: Option<&'static str>,
}

/// Weights of a fit per input position.
pub fn weights_by_position(p: &Pooled, n: usize) -> Vec<Option<f64>> {
    let mut w = vec![None; n];
    for (&i, &x) in p.included().iter().zip(&p.weights()) {
        if i < n {
            w[i] = Some(x);
        }
    }
    w
}

/// The study rows of an outcome: effect, Wald CI at the analysis level (`y -/+ z se`), weight in
/// the reported fit.
pub fn study_rows(s: &Settings, n: usize, o: &Outcome) -> Vec<StudyRow> {
    let z = s.level.z();
    let weights = weights_by_position(&o.main.pooled, n);
    let mut rows: Vec<StudyRow> = (0..n)
        .map(|i| StudyRow {
            estimate: None,
            se: None,
            ci_lower: None,
            ci_upper: None,
            weight: weights[i],
            excluded: None,
        })
        .collect();
    for (e, &i) in o.set.effects().iter().zip(o.set.included()) {
        let (y, se) = (e.estimate(), e.se());
        let r = &mut rows[i];
        r.estimate = Some(y);
        r.se = Some(se);
        r.ci_lower = Some(y - z * se);
        r.ci_upper = Some(y + z * se);
    }
    for &(i, why) in o.set.excluded() {
        rows[i].excluded = Some(exclusion_text(why));
    }
    rows
}

/// The analysis scale as written in the JSON.
pub fn scale_name(s: Scale) -> &'static str {
    match s {
        Scale::Identity => "identity",
        Scale::Log => "log",
        Scale::Logit => "logit",
        Scale::Arcsine => "arcsine",
        Scale::FreemanTukey { .. } => "freeman-tukey",
        Scale::FisherZ => "fisher-z",
        _ => "other",
    }
}

fn fit_json(s: &Settings, f: &Fit, n: usize) -> FitJson {
    FitJson {
        model: f.model,
        method: f.method,
        stats: Stats::of(&f.pooled, s.display, s.prediction),
        weights: weights_by_position(&f.pooled, n),
    }
}

fn choice_name(c: ModelChoice) -> &'static str {
    match c {
        ModelChoice::Fixed => "fixed",
        ModelChoice::Random => "random",
    }
}

/// The JSON object of one analysis.
fn analysis_json<'a>(
    s: &Settings,
    with_id: bool,
    g: &'a Group,
    outcome: &Result<Outcome, AnalysisError>,
) -> AnalysisJson<'a> {
    let n = g.len();
    let display = s.display;
    let subgroup_of = |i: usize| g.subgroup_of.get(i).map(|&k| g.subgroup_names[k].as_str());
    let mut a = AnalysisJson {
        id: with_id.then(|| g.id()),
        first_line: g.first_line,
        last_line: g.last_line,
        measure: s.measure.name(),
        scale: match outcome {
            Ok(o) => scale_name(o.set.scale()),
            Err(_) => s.measure.scale_name(display),
        },
        level: s.level.level(),
        ci: s.ci.name(),
        model: None,
        method: None,
        stats: Stats::null(display),
        selected: None,
        fixed: None,
        random: None,
        subgroups: None,
        subgroup_test: None,
        studies: Vec::new(),
        error: None,
    };
    match outcome {
        Err(e) => {
            a.error = Some(match e.line {
                Some(l) => format!("line {l}: {}", e.message),
                None => e.message.clone(),
            });
            a.studies = (0..n)
                .map(|i| {
                    StudyJson::new(
                        g.name(i),
                        g.lines[i],
                        subgroup_of(i),
                        None,
                        display,
                        Scale::Identity,
                    )
                })
                .collect();
        }
        Ok(o) => {
            a.model = Some(o.main.model);
            a.method = Some(o.main.method);
            a.stats = Stats::of(&o.main.pooled, display, s.prediction);
            if let Some((choice, fixed, random)) = &o.auto {
                a.selected = Some(choice_name(*choice));
                a.fixed = Some(fit_json(s, fixed, n));
                a.random = Some(fit_json(s, random, n));
            }
            let rows = study_rows(s, n, o);
            if let Some(sg) = &o.subgroups {
                a.subgroups = Some(
                    sg.fits
                        .iter()
                        .map(|f| SubgroupJson {
                            subgroup: &g.subgroup_names[f.index],
                            model: o.main.model,
                            method: o.main.method,
                            stats: Stats::of(&f.fit, display, s.prediction),
                            weight: f.members.iter().filter_map(|&i| rows[i].weight).sum(),
                        })
                        .collect(),
                );
                a.subgroup_test = Some(SubgroupTestJson {
                    q: sg.test.q,
                    df: sg.test.df,
                    p: sg.test.q_p,
                    i2: sg.test.i2,
                });
            }
            a.studies = rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    StudyJson::new(
                        g.name(i),
                        g.lines[i],
                        subgroup_of(i),
                        Some(r),
                        display,
                        o.set.scale(),
                    )
                })
                .collect();
        }
    }
    a
}

/// `--format json`: `{"analyses": [...]}`, one analysis per line.
pub struct JsonSink<'a, W: Write> {
    out: W,
    settings: &'a Settings,
    with_id: bool,
    count: u64,
    /// The text of the analyses not yet handed to `out`, written in chunks of at least
    /// `JSON_CHUNK` bytes (a write that large bypasses a `BufWriter`'s copy).
    buf: Vec<u8>,
    /// Scratch for `AnalysisJson::write`.
    weight_text: Vec<Range<usize>>,
}

const JSON_CHUNK: usize = 1 << 16;

impl<W: Write> Drop for JsonSink<'_, W> {
    /// Hand the analyses still held to the writer, also when a run stops on an error (the
    /// analyses streamed before the error stay in the output). Errors are reported by `finish`.
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            let _ = self.out.write_all(&self.buf);
            self.buf.clear();
        }
    }
}

impl<'a, W: Write> JsonSink<'a, W> {
    /// Nothing is written until the first analysis (or `finish`), so that a run that fails
    /// before any analysis leaves the output empty.
    pub fn new(out: W, settings: &'a Settings, with_id: bool) -> io::Result<Self> {
        Ok(JsonSink {
            out,
            settings,
            with_id,
            count: 0,
            buf: Vec::with_capacity(2 * JSON_CHUNK),
            weight_text: Vec::new(),
        })
    }

    pub fn finish(mut self) -> io::Result<()> {
        if self.count == 0 {
            self.buf.extend_from_slice(b"{\"analyses\": [");
        }
        self.buf.extend_from_slice(b"\n]}\n");
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()
    }
}

impl<W: Write> Sink for JsonSink<'_, W> {
    fn analysis(&mut self, g: &Group, o: &Result<Outcome, AnalysisError>) -> io::Result<()> {
        self.buf.extend_from_slice(if self.count == 0 {
            b"{\"analyses\": [\n"
        } else {
            b",\n"
        });
        self.count += 1;
        let a = analysis_json(self.settings, self.with_id, g, o);
        a.write(&mut self.buf, &mut self.weight_text);
        if self.buf.len() >= JSON_CHUNK {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

/// `--format csv`: one row per analysis, then one per subgroup.
pub struct CsvSink<'a, W: Write> {
    out: csv::Writer<W>,
    settings: &'a Settings,
    /// The header, written before the first row (or by `finish`).
    header: Option<Vec<&'static str>>,
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

impl<'a, W: Write> CsvSink<'a, W> {
    pub fn new(out: W, settings: &'a Settings) -> io::Result<Self> {
        let out = csv::WriterBuilder::new().from_writer(out);
        let mut header: Vec<&'static str> = CSV_HEADER.to_vec();
        match settings.display {
            Display::Ratio => header.extend_from_slice(CSV_RATIO),
            Display::Proportion => header.extend_from_slice(CSV_PROPORTION),
            Display::Identity => {}
        }
        header.push("error");
        Ok(CsvSink {
            out,
            settings,
            header: Some(header),
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

    fn row(
        &mut self,
        id: &[u8],
        subgroup: &str,
        labels: (&str, &str, &str),
        st: &Stats,
        error: &str,
    ) -> csv::Result<()> {
        let mut buf = ryu::Buffer::new();
        let w = &mut self.out;
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
        w.write_field(error)?;
        w.write_record(None::<&[u8]>)?;
        Ok(())
    }

    fn row_io(
        &mut self,
        id: &[u8],
        subgroup: &str,
        labels: (&str, &str, &str),
        st: &Stats,
        error: &str,
    ) -> io::Result<()> {
        self.write_header()?;
        self.row(id, subgroup, labels, st, error).map_err(csv_io)
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
                self.row_io(&g.key, "", ("", "", ""), &st, &msg)
            }
            Ok(o) => {
                let selected = o.auto.as_ref().map(|a| choice_name(a.0)).unwrap_or("");
                let labels = (o.main.model, o.main.method, selected);
                let (d, pk) = (self.settings.display, self.settings.prediction);
                self.row_io(&g.key, "", labels, &Stats::of(&o.main.pooled, d, pk), "")?;
                if let Some(sg) = &o.subgroups {
                    for f in &sg.fits {
                        let name = g.subgroup_names[f.index].clone();
                        self.row_io(&g.key, &name, labels, &Stats::of(&f.fit, d, pk), "")?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// The I/O error inside a CSV writer error (keeps the kind, e.g. a broken pipe).
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// `--format table`: what a RevMan or metafor user expects to read.
pub struct TableSink<'a, W: Write> {
    out: W,
    settings: &'a Settings,
    with_id: bool,
    digits: usize,
}

impl<'a, W: Write> TableSink<'a, W> {
    pub fn new(out: W, settings: &'a Settings, with_id: bool, digits: usize) -> Self {
        TableSink {
            out,
            settings,
            with_id,
            digits,
        }
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// "line 7" or "lines 2-8".
pub fn lines_text(g: &Group) -> String {
    if g.first_line == g.last_line {
        format!("line {}", g.first_line)
    } else {
        format!("lines {}-{}", g.first_line, g.last_line)
    }
}

/// A p-value as RevMan prints it: `P = 0.04`, `P = 0.0007`, `P < 0.00001`.
pub fn p_text(p: f64) -> String {
    if p < 0.00001 {
        "P < 0.00001".to_string()
    } else if p < 0.001 {
        format!("P = {p:.5}")
    } else if p < 0.01 {
        format!("P = {p:.4}")
    } else if p < 0.1 {
        format!("P = {p:.3}")
    } else {
        format!("P = {p:.2}")
    }
}

/// The model line, e.g. "Random effects (DL)", "Fixed effect (IV)".
pub fn model_text(f: &Fit) -> String {
    match f.model {
        "random" => {
            let test = match f.pooled.test {
                Test::Z => "",
                Test::T => ", t test",
                Test::KnappHartung => ", Hartung-Knapp",
                Test::KnappHartungAdHoc => ", Hartung-Knapp (ad hoc)",
                _ => ", other test",
            };
            format!("Random effects, tau² {}{test}", f.method)
        }
        _ => format!("Fixed effect, {}", f.method),
    }
}

/// "Heterogeneity: Tau² = 0.04; Chi² = 11.91, df = 5 (P = 0.036); I² = 58%".
pub fn heterogeneity_text(p: &Pooled, digits: usize) -> String {
    let h = &p.heterogeneity;
    let mut s = String::from("Heterogeneity: ");
    if p.is_random() {
        s.push_str(&format!("Tau² = {:.*}; ", digits.max(2), h.tau2));
    }
    match h.q_p {
        Some(qp) => s.push_str(&format!(
            "Chi² = {:.2}, df = {} ({}); I² = {:.0}%",
            h.q,
            h.df,
            p_text(qp),
            h.i2
        )),
        None => s.push_str("not applicable (one study)"),
    }
    s
}

/// "Test for overall effect: Z = 3.40 (P = 0.0007)".
pub fn overall_text(p: &Pooled) -> String {
    match p.df {
        Some(df) => format!(
            "Test for overall effect: t = {:.2}, df = {df} ({})",
            p.statistic.abs(),
            p_text(p.p)
        ),
        None => format!(
            "Test for overall effect: Z = {:.2} ({})",
            p.statistic.abs(),
            p_text(p.p)
        ),
    }
}

/// The prediction interval of a random-effects fit on the display scale, e.g.
/// "Prediction interval: [-1.83, 0.31]"; `None` for fixed-effect fits.
pub fn prediction_text(p: &Pooled, kind: PredictionKind, digits: usize) -> Option<String> {
    if !p.is_random() {
        return None;
    }
    let pi = p.prediction_interval(kind).ok()?;
    let f = |x: f64| num_text(p.scale, p.scale.to_display(x), digits);
    Some(format!(
        "Prediction interval: [{}, {}]",
        f(pi.lower),
        f(pi.upper)
    ))
}

/// Estimate and CI on the display scale: "-0.95 [-1.40, -0.50]".
pub fn ci_text(scale: Scale, y: f64, lo: f64, hi: f64, digits: usize) -> String {
    let (y, lo, hi) = (
        scale.to_display(y),
        scale.to_display(lo),
        scale.to_display(hi),
    );
    let f = |x: f64| num_text(scale, x, digits);
    format!("{} [{}, {}]", f(y), f(lo), f(hi))
}

/// A number with `digits` decimals; a ratio too small or too large for that (it would print as
/// 0.00 or with many digits) in scientific notation with `digits` + 1 significant digits.
pub fn num_text(scale: Scale, x: f64, digits: usize) -> String {
    let small = 0.5 * 10f64.powi(-(digits as i32));
    if matches!(scale, Scale::Log) && x != 0.0 && (x.abs() < small || x.abs() >= 1e6) {
        format!("{x:.digits$e}")
    } else {
        format!("{x:.digits$}")
    }
}

impl<W: Write> Sink for TableSink<'_, W> {
    fn analysis(&mut self, g: &Group, o: &Result<Outcome, AnalysisError>) -> io::Result<()> {
        let s = self.settings;
        let d = self.digits;
        let out = &mut self.out;
        let level = (s.level.level() * 1e4).round() / 100.0;
        let title = if self.with_id {
            format!("Analysis `{}` ({})", g.id(), lines_text(g))
        } else {
            format!("Analysis ({})", lines_text(g))
        };
        let o = match o {
            Err(e) => {
                writeln!(out, "{title}: {}", s.measure.name())?;
                match e.line {
                    Some(l) => writeln!(out, "  error: line {l}: {}\n", e.message)?,
                    None => writeln!(out, "  error: {}\n", e.message)?,
                }
                return Ok(());
            }
            Ok(o) => o,
        };
        let ratio = if s.display == Display::Ratio {
            " (ratio scale)"
        } else if s.display == Display::Proportion {
            " (shown as proportions)"
        } else {
            ""
        };
        writeln!(
            out,
            "{title}: {}{ratio}, {}, {level}% CI",
            s.measure.name(),
            model_text(&o.main)
        )?;
        if let Some((choice, fixed, _)) = &o.auto {
            match fixed.pooled.heterogeneity.q_p {
                Some(qp) => writeln!(
                    out,
                    "Model selected: {} (Q test {}; random if P < {})",
                    choice_name(*choice),
                    p_text(qp),
                    s.rule.alpha()
                )?,
                None => writeln!(
                    out,
                    "Model selected: {} (no Q test with one study)",
                    choice_name(*choice)
                )?,
            }
        }
        let rows = study_rows(s, g.len(), o);
        let name_w = (0..g.len())
            .map(|i| g.name(i).chars().count())
            .chain(g.subgroup_names.iter().map(|n| n.chars().count()))
            .chain(std::iter::once(
                format!("Subtotal ({level}% CI)").chars().count(),
            ))
            .max()
            .unwrap_or(5)
            .clamp(14, 40);
        let ci_head = format!("{} [{level}% CI]", "Estimate");
        writeln!(
            out,
            "{:<name_w$}  {:>30}  {:>7}",
            "Study", ci_head, "Weight"
        )?;
        let study_line = |out: &mut W, i: usize| -> io::Result<()> {
            let r = &rows[i];
            let name: String = g
                .name(i)
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(name_w)
                .collect();
            match (r.estimate, r.ci_lower, r.ci_upper) {
                (Some(y), Some(lo), Some(hi)) => writeln!(
                    out,
                    "{name:<name_w$}  {:>30}  {:>6.1}%",
                    ci_text(o.set.scale(), y, lo, hi, d),
                    r.weight.unwrap_or(0.0)
                ),
                _ => writeln!(out, "{name:<name_w$}  {:>30}  {:>7}", "Not estimable", ""),
            }
        };
        let total_line = |out: &mut W, label: &str, p: &Pooled, w: f64| -> io::Result<()> {
            writeln!(
                out,
                "{label:<name_w$}  {:>30}  {:>6.1}%",
                ci_text(p.scale, p.estimate, p.ci_lower, p.ci_upper, d),
                w
            )
        };
        match &o.subgroups {
            None => {
                for i in 0..g.len() {
                    study_line(out, i)?;
                }
            }
            Some(sg) => {
                for f in &sg.fits {
                    writeln!(out, "{}", g.subgroup_names[f.index])?;
                    for &i in &f.members {
                        study_line(out, i)?;
                    }
                    let w: f64 = f.members.iter().filter_map(|&i| rows[i].weight).sum();
                    total_line(out, &format!("Subtotal ({level}% CI)"), &f.fit, w)?;
                    writeln!(out, "  {}", heterogeneity_text(&f.fit, d))?;
                    writeln!(out, "  {}", overall_text(&f.fit))?;
                }
            }
        }
        total_line(out, &format!("Total ({level}% CI)"), &o.main.pooled, 100.0)?;
        if let Some(pi) = prediction_text(&o.main.pooled, s.prediction, d) {
            writeln!(out, "{pi}")?;
        }
        writeln!(out, "{}", heterogeneity_text(&o.main.pooled, d))?;
        writeln!(out, "{}", overall_text(&o.main.pooled))?;
        if let Some(sg) = &o.subgroups {
            let t = &sg.test;
            match t.q_p {
                Some(p) => writeln!(
                    out,
                    "Test for subgroup differences: Chi² = {:.2}, df = {} ({}), I² = {:.0}%",
                    t.q,
                    t.df,
                    p_text(p),
                    t.i2
                )?,
                None => writeln!(
                    out,
                    "Test for subgroup differences: not applicable (one subgroup)"
                )?,
            }
        }
        let excluded = o.set.excluded().len();
        if excluded > 0 {
            writeln!(
                out,
                "{excluded} stud{} not estimable (excluded)",
                if excluded == 1 { "y" } else { "ies" }
            )?;
        }
        writeln!(out)
    }
}
