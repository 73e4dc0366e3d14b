//! The output of `metapool mv`: the library's summary of each fit (metafor's `print.rma.mv`
//! layout) or one JSON object per analysis with the field names of the contract.

use super::Multilevel;
use crate::analysis::{AnalysisError, Group, Settings};
use crate::json::{self, Analyses, Obj};
use crate::refit::{error_text, title};
use metapool::pool::Test;
use std::io::{self, Write};

/// `--format json` or `table`.
pub enum MvSink<'a, W: Write> {
    Json {
        out: Analyses<W>,
        settings: &'a Settings,
        with_id: bool,
    },
    Table {
        out: W,
        with_id: bool,
    },
}

impl<W: Write> MvSink<'_, W> {
    pub fn analysis(&mut self, g: &Group, r: &Result<Multilevel, AnalysisError>) -> io::Result<()> {
        match self {
            MvSink::Json {
                out,
                settings,
                with_id,
            } => out.item(|b| json_analysis(b, settings, *with_id, g, r)),
            MvSink::Table { out, with_id } => {
                let title = title(*with_id, g);
                match r {
                    Err(e) => writeln!(out, "{title}\n  error: {}\n", error_text(e)),
                    Ok(x) => {
                        writeln!(out, "{title}\n\n{}", x.fit)?;
                        if let Some(r) = &x.robust {
                            writeln!(out, "\nCluster-robust inference (--robust):\n\n{r}")?;
                        }
                        for &(row, why) in &g.left_out {
                            writeln!(
                                out,
                                "Left out: {} (line {}): {why}",
                                g.name(row),
                                g.lines[row]
                            )?;
                        }
                        Ok(())
                    }
                }
            }
        }
    }

    pub fn finish(self) -> io::Result<()> {
        match self {
            MvSink::Json { out, .. } => out.finish(),
            MvSink::Table { mut out, .. } => out.flush(),
        }
    }
}

fn f64s(b: &mut Vec<u8>, v: &[f64]) {
    json::array(b, v, |x, b| json::f64_value(b, *x));
}

fn json_analysis(
    b: &mut Vec<u8>,
    s: &Settings,
    with_id: bool,
    g: &Group,
    r: &Result<Multilevel, AnalysisError>,
) {
    let mut o = Obj::open(b);
    crate::regress::analysis_header(&mut o, s, with_id, g);
    let x = match r {
        Err(e) => {
            o.str("error", &error_text(e));
            o.close();
            return;
        }
        Ok(x) => x,
    };
    let f = &x.fit;
    o.u64("k", f.k() as u64);
    o.u64("clusters", f.clusters() as u64);
    o.str("method", f.method().metafor_name());
    o.str("test", crate::regress::test_name(f.test()));
    let comps = f.components();
    let sigma: Vec<_> = comps
        .iter()
        .filter(|c| c.name.starts_with("sigma2"))
        .collect();
    f64s(
        o.key("sigma2"),
        &sigma.iter().map(|c| c.estimate).collect::<Vec<_>>(),
    );
    json::array(o.key("sigma2_names"), &sigma, |c, b| {
        json::str_value(b, &c.level)
    });
    let tau2 = f.tau2();
    let rho = f.rho();
    match tau2.len() {
        0 => json::null(o.key("tau2")),
        1 => o.f64("tau2", tau2[0]),
        _ => f64s(o.key("tau2"), &tau2),
    }
    match rho.len() {
        0 => json::null(o.key("rho")),
        1 => o.f64("rho", rho[0]),
        _ => f64s(o.key("rho"), &rho),
    }
    o.str("stop", f.stop().name());
    let df = (f.test() == Test::T).then(|| f.k() - f.p());
    crate::regress::coefficients_json(&mut o, f.coefficients(), df, f.moderator_test());
    let qe = f.residual_test();
    o.f64("qe", qe.qe);
    o.u64("qe_df", qe.df as u64);
    o.f64("qe_p", qe.p);
    let fs = f.fit_statistics();
    o.f64("loglik", fs.loglik);
    o.f64("deviance", fs.deviance);
    o.f64("aic", fs.aic);
    o.f64("bic", fs.bic);
    o.f64("aicc", fs.aicc);
    match f.i2() {
        Some(i2) => {
            f64s(o.key("i2"), &i2.levels);
            o.f64("i2_total", i2.total);
        }
        None => {
            json::null(o.key("i2"));
            json::null(o.key("i2_total"));
        }
    }
    if let Some(r) = &x.robust {
        crate::robust::json_robust(&mut o, r);
    }
    crate::regress::left_out_json(&mut o, g);
    o.opt_str("error", None);
    o.close();
}
