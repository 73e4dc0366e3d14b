//! `--v-file FILE`: the sampling covariances of effects in the same cluster, given as a CSV of
//! `row1,row2,cov` lines. `row1` and `row2` are the data file's row numbers as a spreadsheet
//! shows them and as the tool's messages count lines (the header is row 1); the variances on
//! the diagonal come from the measure (`vi`), and a pair not listed has covariance 0. The
//! library assembles V per cluster of the outermost `--random` level
//! (`SamplingCovariance::from_block_rows`) and checks each block is positive definite.

use std::collections::HashMap;

/// The covariances of a `--v-file`, keyed by the (smaller, larger) row pair.
#[derive(Debug, Clone, Default)]
pub struct Covariances {
    pairs: HashMap<(u64, u64), f64>,
}

impl Covariances {
    /// Read `path`; errors name the file's line.
    pub fn read(path: &str) -> Result<Covariances, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("--v-file {path}: {e}"))?;
        let mut pairs = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim().trim_start_matches('\u{feff}');
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if line.is_empty()
                || (n == 0 && fields.first().is_some_and(|f| f.parse::<u64>().is_err()))
            {
                continue; // a blank line or the header
            }
            let bad = |what: &str| format!("--v-file {path}, line {}: {what}", n + 1);
            if fields.len() != 3 {
                return Err(bad("expected row1,row2,cov"));
            }
            let row = |s: &str| s.parse::<u64>().ok().filter(|&r| r >= 2);
            let (Some(a), Some(b)) = (row(fields[0]), row(fields[1])) else {
                return Err(bad(
                    "row numbers are whole numbers from 2 (the header is row 1)",
                ));
            };
            if a == b {
                return Err(bad(
                    "a row's variance comes from the measure; list pairs of two rows",
                ));
            }
            let cov: f64 = match fields[2].parse::<f64>() {
                Ok(c) if c.is_finite() => c,
                _ => return Err(bad("the covariance is not a finite number")),
            };
            if pairs.insert((a.min(b), a.max(b)), cov).is_some() {
                return Err(bad("this pair of rows is listed twice"));
            }
        }
        Ok(Covariances { pairs })
    }

    /// The covariance of the effects on rows `a` and `b` (0 when not listed).
    pub fn get(&self, a: u64, b: u64) -> f64 {
        self.pairs
            .get(&(a.min(b), a.max(b)))
            .copied()
            .unwrap_or(0.0)
    }

    /// The listed pairs.
    pub fn pairs(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.pairs.keys().copied()
    }
}
