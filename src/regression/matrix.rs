//! The model matrix `X` of a meta-regression: named columns of full column rank, checked when
//! built (the design of [`Moderators`](super::Moderators) ends here).

use super::design::{problem, ModeratorProblem};
use super::linalg::{Dependent, ThinQr};
use crate::error::Result;

/// The model matrix `X` of a meta-regression: `k` rows (studies), `p` named columns of full
/// column rank, `p < k`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ModelMatrix {
    k: usize,
    names: Vec<String>,
    /// Column-major `k x p`.
    #[cfg_attr(feature = "serde", serde(skip))]
    x: Vec<f64>,
    intercept: bool,
}

impl ModelMatrix {
    /// A model matrix from named columns (the intercept, if any, is a column of 1s named
    /// `intrcpt`). Errors (naming the column and, for a value, the study) on columns of
    /// unequal length, non-finite values, `p >= k`, and a column that is a linear combination
    /// of the ones before it.
    pub fn new(names: Vec<String>, columns: Vec<Vec<f64>>) -> Result<ModelMatrix> {
        let p = columns.len();
        debug_assert_eq!(names.len(), p);
        if p == 0 || names.len() != p {
            return Err(problem("X", None, ModeratorProblem::NoColumns));
        }
        let k = columns[0].len();
        let mut x = Vec::with_capacity(k * p);
        for (name, col) in names.iter().zip(&columns) {
            if col.len() != k {
                return Err(problem(
                    name,
                    None,
                    ModeratorProblem::LengthMismatch {
                        expected: k,
                        got: col.len(),
                    },
                ));
            }
            if let Some(i) = col.iter().position(|v| !v.is_finite()) {
                return Err(problem(name, Some(i), ModeratorProblem::NotFinite(col[i])));
            }
            x.extend_from_slice(col);
        }
        for (j, n) in names.iter().enumerate() {
            if names[..j].contains(n) {
                return Err(problem(n, None, ModeratorProblem::DuplicateName));
            }
        }
        if p >= k {
            return Err(problem(
                &names[p - 1],
                None,
                ModeratorProblem::TooManyCoefficients { p, k },
            ));
        }
        if let Err(Dependent(j)) = ThinQr::new(k, p, &x) {
            return Err(problem(&names[j], None, ModeratorProblem::Redundant));
        }
        let intercept = names[0] == "intrcpt" && columns[0].iter().all(|&v| v == 1.0);
        Ok(ModelMatrix {
            k,
            names,
            x,
            intercept,
        })
    }

    /// Number of rows (studies).
    pub fn k(&self) -> usize {
        self.k
    }
    /// Number of columns (coefficients).
    pub fn p(&self) -> usize {
        self.names.len()
    }
    /// The coefficient names, in column order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// Column `j`.
    pub fn column(&self, j: usize) -> &[f64] {
        &self.x[j * self.k..(j + 1) * self.k]
    }
    /// Entry `(i, j)`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.x[i + j * self.k]
    }
    /// Whether the first column is the intercept.
    pub fn has_intercept(&self) -> bool {
        self.intercept
    }
    /// The column-major entries.
    pub(crate) fn entries(&self) -> &[f64] {
        &self.x
    }
}
