//! `regress --newmods FILE`: rows of model-matrix values at which to predict (metafor's
//! `predict(fit, newmods = ...)`), columns named by the coefficients.

use crate::cells::{trim, NumberFormat};
use crate::error::InputError;
use metapool::regression::{Prediction, RegressionFit};

/// The rows of `--newmods`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMods {
    pub names: Vec<String>,
    /// Each row's values, in the order of `names`, with its line.
    pub rows: Vec<(u64, Vec<f64>)>,
}

/// A prediction with the line of its row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Predicted {
    pub line: u64,
    pub prediction: Prediction,
}

impl NewMods {
    /// Read the file: a header of coefficient names, then one number per cell (no missing
    /// cells). Errors name the line and column.
    pub fn read(
        path: &std::path::Path,
        delimiter: u8,
        numbers: NumberFormat,
    ) -> Result<NewMods, String> {
        let file = path.display();
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(delimiter)
            .from_path(path)
            .map_err(|e| format!("--newmods {file}: {e}"))?;
        let mut records = csv.byte_records();
        let names: Vec<String> = match records.next() {
            Some(Ok(h)) => h
                .iter()
                .map(|c| String::from_utf8_lossy(trim(c)).into_owned())
                .collect(),
            Some(Err(e)) => return Err(format!("--newmods {file}: {e}")),
            None => return Err(format!("--newmods {file}: the file is empty")),
        };
        let mut rows = Vec::new();
        for (i, rec) in records.enumerate() {
            let rec = rec.map_err(|e| format!("--newmods {file}: {e}"))?;
            let line = i as u64 + 2;
            let mut row = Vec::with_capacity(names.len());
            for (c, name) in names.iter().enumerate() {
                let cell = trim(rec.get(c).unwrap_or_default());
                let x = numbers.parse(cell).map_err(|reason| {
                    let e = InputError {
                        line: Some(line),
                        column: Some((c + 1, name.clone())),
                        reason,
                    };
                    format!("--newmods {file}: {e}")
                })?;
                row.push(x);
            }
            rows.push((line, row));
        }
        if rows.is_empty() {
            return Err(format!("--newmods {file}: no rows after the header"));
        }
        Ok(NewMods { names, rows })
    }

    /// The predictions of `fit` at every row: each coefficient but `intrcpt` must be a column,
    /// and each column a coefficient.
    pub fn predict(&self, fit: &RegressionFit) -> Result<Vec<Predicted>, String> {
        let coefs: Vec<&str> = fit.coefficients().iter().map(|c| c.name.as_str()).collect();
        if let Some(extra) = self.names.iter().find(|n| !coefs.contains(&n.as_str())) {
            return Err(format!(
                "--newmods: column `{extra}` is not a coefficient of the fit ({})",
                coefs.join(", ")
            ));
        }
        let index: Vec<Option<usize>> = coefs
            .iter()
            .map(|&c| {
                let col = self.names.iter().position(|n| n == c);
                match (col, c) {
                    (Some(i), _) => Ok(Some(i)),
                    (None, "intrcpt") => Ok(None),
                    (None, _) => Err(format!("--newmods has no column `{c}` (a coefficient)")),
                }
            })
            .collect::<Result<_, _>>()?;
        self.rows
            .iter()
            .map(|(line, row)| {
                let x: Vec<f64> = index.iter().map(|i| i.map_or(1.0, |i| row[i])).collect();
                fit.predict(&x)
                    .map(|prediction| Predicted {
                        line: *line,
                        prediction,
                    })
                    .map_err(|e| format!("--newmods line {line}: {e}"))
            })
            .collect()
    }
}
