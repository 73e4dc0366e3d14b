//! The model that the diagnostics (`sensitivity`, `bias`) re-fit to subsets of an analysis'
//! studies, chosen from the shared model options as `pool` chooses it.

use crate::analysis::{effect_set, AnalysisError, Group, Settings};
use crate::args::ModelArg;
use crate::json::Obj;
use crate::output::scale_name;
use metapool::{effect::EffectSet, pool::ModelChoice, pool::Pooler};

/// An analysis ready for re-fitting: its effects and the pooler.
pub struct Refit {
    pub set: EffectSet,
    pub pooler: Pooler,
    /// "fixed" or "random", and the method ("IV", or the tau² estimator).
    pub model: &'static str,
    pub method: &'static str,
    /// What was changed and why.
    pub notes: Vec<String>,
}

impl Refit {
    /// The name of the study at input position `i` of the effect set.
    pub fn name<'g>(&self, g: &'g Group, i: usize) -> &'g str {
        g.name(g.row_of(i))
    }

    /// The file line of the study at input position `i`.
    pub fn line(&self, g: &Group, i: usize) -> u64 {
        g.lines[g.row_of(i)]
    }
}

/// The effects of `g` and the model: `--model fixed` the fixed-effect model with its method
/// (inverse variance, Mantel-Haenszel or Peto), `random` the random-effects model with its
/// estimator and test, `auto` the one the Q-test rule selects on all the studies; the library
/// re-fits it to every subset (metafor's `leave1out`, `influence`, `regtest` and `trimfill`
/// re-fit `rma`).
pub fn refit(s: &Settings, g: &Group) -> Result<Refit, AnalysisError> {
    let (set, _) = effect_set(s, g)?;
    let choice = match s.model {
        ModelArg::Fixed => ModelChoice::Fixed,
        ModelArg::Random => ModelChoice::Random,
        ModelArg::Auto => {
            let fixed = s.rule.fixed.pool(&set).map_err(lib)?;
            s.rule.decide(fixed.heterogeneity.q_p)
        }
    };
    let pooler: Pooler = match choice {
        ModelChoice::Fixed => s.rule.fixed.into(),
        ModelChoice::Random => s.rule.random.into(),
    };
    let (model, method) = s.labels(choice);
    Ok(Refit {
        set,
        pooler,
        model,
        method,
        notes: Vec::new(),
    })
}

/// A library error of an analysis as a whole.
pub fn lib(e: metapool::Error) -> AnalysisError {
    AnalysisError {
        line: None,
        message: e.to_string(),
    }
}

/// The start of a diagnostics analysis' JSON object: `id`, `first_line`, `last_line`,
/// `measure`, then for a computed analysis `scale`, `model`, `method`, `k`. A failed analysis
/// gets its `error` and is closed (`None`).
pub fn json_head<'b, 'r, T>(
    b: &'b mut Vec<u8>,
    s: &Settings,
    with_id: bool,
    g: &Group,
    r: &'r Result<T, AnalysisError>,
    refit: impl Fn(&T) -> &Refit,
) -> Option<(Obj<'b>, &'r T)> {
    let mut o = Obj::open(b);
    o.opt_str("id", with_id.then(|| g.id()).as_deref());
    o.u64("first_line", g.first_line);
    o.u64("last_line", g.last_line);
    o.str("measure", s.measure.name());
    match r {
        Err(e) => {
            o.str("error", &error_text(e));
            o.close();
            None
        }
        Ok(x) => {
            let f = refit(x);
            o.str("scale", scale_name(f.set.scale()));
            o.str("model", f.model);
            o.str("method", f.method);
            o.u64("k", f.set.len() as u64);
            Some((o, x))
        }
    }
}

/// "line 3: message", or the message.
pub fn error_text(e: &AnalysisError) -> String {
    match e.line {
        Some(l) => format!("line {l}: {}", e.message),
        None => e.message.clone(),
    }
}

/// The start of an analysis' table: its title and the re-fitted model ("Analysis (lines 2-14):
/// random model (REML), k = 13"), or its error. `None` when the analysis failed (the error is
/// written).
pub fn heading<'r, W: std::io::Write, T>(
    out: &mut W,
    with_id: bool,
    g: &Group,
    r: &'r Result<T, AnalysisError>,
    refit: impl Fn(&T) -> &Refit,
) -> std::io::Result<Option<&'r T>> {
    let title = title(with_id, g);
    let x = match r {
        Err(e) => {
            writeln!(out, "{title}\n  error: {}\n", error_text(e))?;
            return Ok(None);
        }
        Ok(x) => x,
    };
    let f = refit(x);
    writeln!(
        out,
        "{title}: {} model ({}), k = {}",
        f.model,
        f.method,
        f.set.len()
    )?;
    Ok(Some(x))
}

/// The table heading of an analysis: "Analysis `id` (lines 2-14)".
pub fn title(with_id: bool, g: &Group) -> String {
    if with_id {
        format!("Analysis `{}` ({})", g.id(), g.lines_text())
    } else {
        format!("Analysis ({})", g.lines_text())
    }
}
