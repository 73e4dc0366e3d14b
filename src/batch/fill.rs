//! The batch's loop over its analyses: groups of [`WIDTH`] analyses in SIMD lanes where the
//! layout allows, one at a time otherwise, compiled for the pooler's [`SimdLevel`](super::SimdLevel), and what
//! happens to a failing analysis ([`OnFailure`]).

use super::{lanes, Analyses, BatchFloat, BatchPooler, ColumnsMut, OnFailure, Row};
use crate::error::{Error, Result};
use crate::pool::WIDTH;

impl BatchPooler {
    /// Pool analyses `first..first + cols.len()` into `cols`, with the kernels compiled for
    /// the pooler's [`SimdLevel`](super::SimdLevel).
    pub(super) fn fill<T: BatchFloat>(
        &self,
        analyses: &Analyses<'_, T>,
        first: usize,
        cols: &mut ColumnsMut<'_>,
        failures: &mut Vec<(usize, Error)>,
    ) -> Result<()> {
        self.simd.run(Fill {
            pooler: self,
            analyses,
            first,
            cols,
            failures,
        })?
    }

    /// [`BatchPooler::fill`] at the level it runs: analyses of a few studies [`WIDTH`] at a
    /// time in SIMD lanes, the others (and groups holding an invalid study) one at a time.
    #[inline(always)]
    fn fill_rows<T: BatchFloat>(
        &self,
        analyses: &Analyses<'_, T>,
        first: usize,
        cols: &mut ColumnsMut<'_>,
        failures: &mut Vec<(usize, Error)>,
    ) -> Result<()> {
        let n = cols.len();
        let mut row = 0;
        while row < n {
            if let Some(k) = analyses.uniform_k().filter(|_| row + WIDTH <= n) {
                let sink = lanes::Sink {
                    cols: &mut *cols,
                    row,
                    failures: &mut *failures,
                };
                if let Some(done) = self.pool_group(analyses, first + row, k, sink) {
                    done?;
                    row += WIDTH;
                    continue;
                }
            }
            // one at a time: analyses of other sizes, the last few, a group with an invalid
            // study (up to the group's end, so the next group starts aligned)
            let end = if analyses.uniform_k().is_some() {
                (row + WIDTH).min(n)
            } else {
                n
            };
            for r in row..end {
                let (y, v) = analyses.analysis(first + r);
                self.record(first + r, r, self.pool_one(y, v), cols, failures)?;
            }
            row = end;
        }
        Ok(())
    }

    /// Write one analysis' result (row `r` of `cols`, analysis `a`), or deal with its failure.
    #[inline(always)]
    pub(super) fn record(
        &self,
        a: usize,
        r: usize,
        result: Result<Row>,
        cols: &mut ColumnsMut<'_>,
        failures: &mut Vec<(usize, Error)>,
    ) -> Result<()> {
        match result {
            Ok(row) => cols.write(r, &row),
            Err(e) => match self.on_failure {
                OnFailure::Stop => {
                    return Err(Error::InAnalysis {
                        analysis: a,
                        source: Box::new(e),
                    })
                }
                OnFailure::Record => {
                    cols.write_failed(r, &e);
                    failures.push((a, e));
                }
            },
        }
        Ok(())
    }
}

/// [`BatchPooler::fill`]'s work, for [`SimdLevel::run`](super::SimdLevel): inlined into the function pulp
/// compiles for each level (a closure would be compiled once, for the baseline).
struct Fill<'p, 'a, 'c, 'f, T: BatchFloat> {
    pooler: &'p BatchPooler,
    analyses: &'p Analyses<'a, T>,
    first: usize,
    cols: &'p mut ColumnsMut<'c>,
    failures: &'f mut Vec<(usize, Error)>,
}

impl<T: BatchFloat> pulp::WithSimd for Fill<'_, '_, '_, '_, T> {
    type Output = Result<()>;
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) -> Result<()> {
        self.pooler
            .fill_rows(self.analyses, self.first, self.cols, self.failures)
    }
}
