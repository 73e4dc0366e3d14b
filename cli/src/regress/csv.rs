//! `regress --format csv`: one row per coefficient (a failed analysis: one row with its
//! error), the fit's statistics repeated on each row.

use super::output::{fit_statistics, test_name};
use super::Regression;
use crate::analysis::{AnalysisError, Group, Settings};
use crate::output::csv_io;
use crate::refit::error_text;
use metapool::pool::Test;
use std::io::{self, Write};

const HEADER: &[&str] = &[
    "id",
    "measure",
    "model",
    "method",
    "test",
    "k",
    "coefficient",
    "estimate",
    "se",
    "statistic",
    "df",
    "p",
    "ci_lower",
    "ci_upper",
    "qm",
    "qm_df",
    "qm_df2",
    "qm_p",
    "qe",
    "qe_df",
    "qe_p",
    "tau2",
    "tau2_se",
    "i2",
    "h2",
    "r2",
    "loglik",
    "deviance",
    "aic",
    "bic",
    "aicc",
    "error",
];

/// The CSV writer of `regress`.
pub struct RegressCsv<'a, W: Write> {
    out: csv::Writer<W>,
    settings: &'a Settings,
}

impl<'a, W: Write> RegressCsv<'a, W> {
    pub fn new(out: W, settings: &'a Settings) -> io::Result<Self> {
        let mut out = csv::WriterBuilder::new().from_writer(out);
        out.write_record(HEADER).map_err(csv_io)?;
        Ok(RegressCsv { out, settings })
    }

    pub fn analysis(&mut self, g: &Group, r: &Result<Regression, AnalysisError>) -> io::Result<()> {
        self.rows(g, r).map_err(csv_io)
    }

    fn rows(&mut self, g: &Group, r: &Result<Regression, AnalysisError>) -> csv::Result<()> {
        let measure = self.settings.measure.name();
        let x = match r {
            Err(e) => {
                let mut row = vec![String::new(); HEADER.len()];
                row[0] = g.id();
                row[1] = measure.to_string();
                row[HEADER.len() - 1] = error_text(e);
                return self.out.write_record(&row);
            }
            Ok(x) => x,
        };
        let f = &x.fit;
        let num = |v: f64| {
            if v.is_finite() {
                ryu::Buffer::new().format(v).to_string()
            } else {
                String::new()
            }
        };
        let opt = |v: Option<f64>| v.map(num).unwrap_or_default();
        let count = |v: Option<usize>| v.map(|d| d.to_string()).unwrap_or_default();
        let df = (f.test() != Test::Z).then(|| f.k() - f.p());
        let qm = f.moderator_test();
        let res = f.residual();
        let st = fit_statistics(f);
        for c in f.coefficients() {
            let row = [
                g.id(),
                measure.to_string(),
                x.model.to_string(),
                x.method.to_string(),
                test_name(f.test()).to_string(),
                f.k().to_string(),
                c.name.clone(),
                num(c.estimate),
                num(c.se),
                num(c.statistic),
                count(df),
                num(c.p),
                num(c.ci_lower),
                num(c.ci_upper),
                num(qm.statistic),
                qm.df1.to_string(),
                count(qm.df2),
                num(qm.p),
                num(res.qe),
                res.df.to_string(),
                num(res.p),
                num(res.tau2),
                opt(res.tau2_fit.and_then(|t| t.se)),
                num(res.i2),
                num(res.h2),
                opt(f.r2()),
                num(st.loglik),
                num(st.deviance),
                num(st.aic),
                num(st.bic),
                num(st.aicc),
                String::new(),
            ];
            self.out.write_record(&row)?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}
