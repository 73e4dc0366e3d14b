//! `--format json`: the machine-readable contract, `{"analyses": [...]}`.

use super::{back, choice_name, scale_name, study_rows, weights_by_position, Stats, StudyRow};
use crate::analysis::{AnalysisError, Fit, Group, Outcome, Settings};
use crate::json::{self, Obj};
use crate::measure::Display;
use metapool::effect::Scale;
use std::ops::Range;

mod sink;
pub use sink::JsonSink;

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
    /// Rows listed as "Not estimable (missing data)" (or dropped by --drop00) and left out.
    left_out: usize,
    notes: Vec<String>,
    robust: Option<&'a metapool::robust::RobustFit>,
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
        o.opt_usize("tau2_iterations", self.tau2_iterations);
        o.opt_str("tau2_stop", self.tau2_stop);
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
        if let Some(t) = &self.mantel_haenszel_tests {
            o.f64("cmh", t.cmh);
            o.f64("cmh_p", t.cmh_p);
            o.opt_f64("tarone", t.tarone);
            o.opt_usize("tarone_df", Some(t.tarone_df));
            o.opt_f64("tarone_p", t.tarone_p);
        }
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
            json::array(o.key("subgroups"), s, SubgroupJson::write);
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
        o.u64("left_out", self.left_out as u64);
        if !self.notes.is_empty() {
            let b = o.key("notes");
            b.push(b'[');
            for (i, n) in self.notes.iter().enumerate() {
                if i > 0 {
                    b.push(b',');
                }
                json::str_value(b, n);
            }
            b.push(b']');
        }
        if let Some(r) = self.robust {
            crate::robust::json_robust(&mut o, r);
        }
        if let Some(e) = &self.error {
            o.str("error", e);
        }
        o.close();
    }
}

fn fit_json(s: &Settings, f: &Fit, o: &Outcome, n: usize) -> FitJson {
    FitJson {
        model: f.model,
        method: f.method,
        stats: Stats::of(&f.pooled, s.display, s.prediction),
        weights: weights_by_position(&f.pooled, o, n),
    }
}

/// The JSON object of one analysis.
fn analysis_json<'a>(
    s: &Settings,
    with_id: bool,
    g: &'a Group,
    outcome: &'a Result<Outcome, AnalysisError>,
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
        left_out: g.left_out.len(),
        notes: Vec::new(),
        robust: None,
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
            a.notes = o.notes.clone();
            a.robust = o.robust.as_ref();
            a.stats = Stats::of(&o.main.pooled, display, s.prediction);
            if let Some((choice, fixed, random)) = &o.auto {
                a.selected = Some(choice_name(*choice));
                a.fixed = Some(fit_json(s, fixed, o, n));
                a.random = Some(fit_json(s, random, o, n));
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
                        r.scale,
                    )
                })
                .collect();
        }
    }
    a
}
