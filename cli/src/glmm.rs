//! `metapool pool --method GLMM`: each analysis' counts fitted by the library's GLMM
//! (metafor's `rma.glmm`): `{"analyses": [...]}` with one object per analysis (`--format json`), or
//! metafor's printout (`--format table`). No statistics here.

use crate::analysis::{AnalysisError, Group, Settings};
use crate::args::{CiArg, Format, GlmmModelArg, ModelArg, PoolArgs};
use crate::error::Fatal;
use crate::input::ReadOptions;
use crate::measure::{Measure, Slot};
use crate::pipeline;
use metapool::effect::{PersonTime, Proportion, RateTable, TwoByTwo};
use metapool::glmm::{Glmm, GlmmData, GlmmFit, GlmmModel, HeterogeneityTest};
use serde_json::{json, Value};
use std::io::{self, Read};

/// The options `--method GLMM` cannot take.
pub fn check(pa: &PoolArgs) -> Result<(), String> {
    if !matches!(
        pa.input.measure,
        Measure::Or | Measure::Plo | Measure::Irr | Measure::Irln
    ) {
        return Err(format!(
            "--method GLMM takes --measure OR, PLO, IRR or IRLN, not {}",
            pa.input.measure.name()
        ));
    }
    if pa.output.format == Format::Csv {
        return Err("--method GLMM writes --format json or table".to_owned());
    }
    if matches!(pa.model.ci, CiArg::Hk | CiArg::HkAdhoc) {
        return Err(
            "--method GLMM takes --ci wald or t (rma.glmm has no Knapp-Hartung test)".to_owned(),
        );
    }
    if pa.subgroup.is_some() || pa.forest.is_some() {
        return Err("--method GLMM takes neither --subgroup nor --forest".to_owned());
    }
    Ok(())
}

fn model(m: GlmmModelArg) -> GlmmModel {
    match m {
        GlmmModelArg::UmFs => GlmmModel::UmFs,
        GlmmModelArg::UmRs => GlmmModel::UmRs,
        GlmmModelArg::CmEl => GlmmModel::CmEl,
        GlmmModelArg::CmAl => GlmmModel::CmAl,
    }
}

/// Fit one analysis.
fn fit(measure: Measure, glmm: &Glmm, g: &Group) -> Result<GlmmFit, AnalysisError> {
    let line = |i: usize| g.lines[g.row_of(i)];
    let lib = |e: metapool::Error| AnalysisError::from_lib(e, &line);
    // each row's (events1, total1 or time1, events2, total2 or time2), validated by `make`
    fn studies<T>(
        g: &Group,
        make: impl Fn([f64; 4]) -> metapool::Result<T>,
    ) -> Result<Vec<T>, metapool::Error> {
        (0..g.values.len())
            .map(|i| {
                let v = |s: Slot| g.values[i][s.index()].unwrap_or(f64::NAN);
                make([
                    v(Slot::Events1),
                    v(Slot::Total1),
                    v(Slot::Events2),
                    v(Slot::Total2),
                ])
                .map_err(|e| e.in_study(i))
            })
            .collect()
    }
    let data = match measure {
        Measure::Or => {
            GlmmData::Tables(studies(g, |[a, n1, c, n2]| TwoByTwo::new(a, n1, c, n2)).map_err(lib)?)
        }
        Measure::Irr => GlmmData::RateTables(
            studies(g, |[a, t1, c, t2]| RateTable::new(a, t1, c, t2)).map_err(lib)?,
        ),
        Measure::Plo => {
            GlmmData::Proportions(studies(g, |[x, n, ..]| Proportion::new(x, n)).map_err(lib)?)
        }
        _ => GlmmData::Rates(studies(g, |[x, t, ..]| PersonTime::new(x, t)).map_err(lib)?),
    };
    glmm.fit(&data).map_err(lib)
}

fn test(t: Option<HeterogeneityTest>) -> Value {
    t.map_or(
        Value::Null,
        |t| json!({"statistic": t.statistic, "df": t.df, "p": t.p}),
    )
}

/// The JSON object of one analysis.
fn object(g: &Group, o: &Result<GlmmFit, AnalysisError>, with_id: bool, measure: Measure) -> Value {
    let mut v = match o {
        Ok(f) => json!({
            "measure": measure.name(),
            "method": "GLMM",
            "glmm_model": f.model.map(|m| m.to_string()),
            "model": match f.effects { metapool::glmm::GlmmEffects::Fixed => "fixed", _ => "random" },
            "k": f.k,
            "estimate": f.estimate,
            "se": f.se,
            "ci_lower": f.ci_lower,
            "ci_upper": f.ci_upper,
            "z": f.z,
            "df": f.df,
            "p": f.p,
            "exp_estimate": f.estimate.exp(),
            "exp_ci_lower": f.ci_lower.exp(),
            "exp_ci_upper": f.ci_upper.exp(),
            "tau2": f.tau2,
            "tau": f.tau,
            "sigma2": f.sigma2,
            "loglik": f.loglik,
            "deviance": f.deviance,
            "aic": f.aic,
            "bic": f.bic,
            "wald_het": test(f.wald_het),
            "lrt_het": test(f.lrt_het),
            "quadrature_nodes": f.quadrature.nodes(),
            "converged": f.stop.converged,
        }),
        Err(e) => {
            json!({"measure": measure.name(), "method": "GLMM", "error": e.message, "line": e.line})
        }
    };
    if with_id {
        v["id"] = Value::String(g.id());
    }
    v
}

/// Fit and write every analysis of `input`.
pub fn run<R: Read, W: io::Write>(
    pa: &PoolArgs,
    settings: &Settings,
    opts: &ReadOptions<'_>,
    input: R,
    mut out: W,
) -> io::Result<Result<pipeline::Summary, Fatal>> {
    let opts = &ReadOptions {
        keep_values: true,
        ..*opts
    };
    let m = model(pa.glmm_model);
    let glmm = match pa.model.model {
        ModelArg::Fixed => Glmm::fixed(m),
        _ => Glmm::random(m),
    }
    .with_level(settings.level)
    .with_test(settings.random.test);
    let with_id = pa.input.by.is_some();
    let measure = settings.measure;
    let json = pa.output.format == Format::Json;
    if json {
        out.write_all(b"{\"analyses\":[")?;
    }
    let mut first = true;
    let r = pipeline::run(
        input,
        settings,
        opts,
        |g| fit(measure, &glmm, g),
        |g, o| match (pa.output.format, o) {
            (Format::Table, Ok(fit)) => {
                if with_id {
                    writeln!(out, "== {} ==", g.id())?;
                }
                writeln!(out, "{fit}")
            }
            (Format::Table, Err(e)) => writeln!(out, "error: {}", e.message),
            _ => {
                if !std::mem::take(&mut first) {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut out, &object(g, o, with_id, measure))?;
                Ok(())
            }
        },
    );
    if json {
        out.write_all(b"]}\n")?;
    }
    out.flush()?;
    Ok(r)
}
