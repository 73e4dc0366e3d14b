//! The moderator design: continuous moderators, categorical moderators ([`Factor`]) in
//! treatment coding with a chosen reference level, interactions, with or without an intercept,
//! built into a [`ModelMatrix`] as R's `model.matrix` builds metafor's `X` for
//! `rma(yi, vi, mods = ~ ...)`.
//!
//! ```text
//! intercept          column of 1s named "intrcpt"
//! continuous x       its values, named "x"
//! factor g           one 0/1 column per level but the reference, named "g<level>"
//!                    (no intercept: the first factor term has a column for every level)
//! interaction a:b    the elementwise products of the columns of a and b, named "a:b"
//!                    (factor columns in treatment coding, e.g. "ablat:allocrandom", when the
//!                    term without the factor is in the model; otherwise one column per level,
//!                    as R codes x:g without the main effect of x)
//! ```
//! A design whose columns are linearly dependent (in R's `qr()` sense, tolerance 1e-7
//! relative to the column's norm) is an error naming the first column, in order, that is a
//! combination of the ones before it ([`ModeratorProblem::Redundant`]). metafor instead drops
//! such columns with a warning; an error is chosen here because a silently dropped coefficient
//! changes what every other coefficient means.
//!
//! ```
//! use metapool::regression::{Factor, Moderators};
//! let ablat = [44.0, 55.0, 42.0, 52.0, 13.0, 44.0];
//! let alloc = ["random", "random", "random", "alternate", "alternate", "systematic"];
//! let x = Moderators::new(6)
//!     .continuous("ablat", &ablat)?
//!     .factor(Factor::new("alloc", &alloc)?.with_reference("random")?)?
//!     .matrix()?;
//! assert_eq!(x.names(), ["intrcpt", "ablat", "allocalternate", "allocsystematic"]);
//! assert_eq!(x.column(2), [0.0, 0.0, 0.0, 1.0, 1.0, 0.0]);
//! # Ok::<(), metapool::Error>(())
//! ```

use super::factor::Factor;
use super::linalg::{Dependent, ThinQr};
use crate::error::{Error, Result};

/// What is wrong with a moderator or a model matrix.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum ModeratorProblem {
    /// A value is NaN or infinite.
    NotFinite(f64),
    /// The column does not have one value per study.
    LengthMismatch {
        /// Studies.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// No moderator of that name was added.
    UnknownColumn,
    /// A moderator of that name was already added.
    DuplicateName,
    /// The reference level is not a level of the factor.
    UnknownLevel(String),
    /// The column is a linear combination of the columns before it (a constant moderator with
    /// an intercept, a factor level that never occurs, collinear moderators).
    Redundant,
    /// The design has at least as many coefficients as there are studies.
    TooManyCoefficients {
        /// Coefficients.
        p: usize,
        /// Studies.
        k: usize,
    },
    /// The design has no columns.
    NoColumns,
    /// An interaction needs at least two distinct moderators.
    InvalidInteraction,
}

impl std::fmt::Display for ModeratorProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModeratorProblem::NotFinite(x) => write!(f, "must be finite, got {x}"),
            ModeratorProblem::LengthMismatch { expected, got } => {
                write!(f, "must have {expected} values (one per study), got {got}")
            }
            ModeratorProblem::UnknownColumn => write!(f, "is not a moderator of the design"),
            ModeratorProblem::DuplicateName => write!(f, "is named twice"),
            ModeratorProblem::UnknownLevel(l) => write!(f, "has no level `{l}`"),
            ModeratorProblem::Redundant => write!(
                f,
                "is a linear combination of the columns before it (redundant)"
            ),
            ModeratorProblem::TooManyCoefficients { p, k } => write!(
                f,
                "gives {p} coefficients for {k} studies (needs fewer coefficients than studies)"
            ),
            ModeratorProblem::NoColumns => write!(f, "has no columns"),
            ModeratorProblem::InvalidInteraction => {
                write!(f, "needs at least two distinct moderators")
            }
        }
    }
}

pub(super) fn problem(column: &str, study: Option<usize>, problem: ModeratorProblem) -> Error {
    Error::InvalidModerator {
        column: column.to_string(),
        study,
        problem,
    }
}

/// Whether the design has an intercept column (metafor's `mods = ~ x` or `mods = ~ x - 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Intercept {
    /// A column of 1s first, named `intrcpt` (R's default).
    #[default]
    Included,
    /// No intercept (R's `- 1`).
    Excluded,
}

#[derive(Debug, Clone, PartialEq)]
enum Variable {
    Continuous { name: String, values: Vec<f64> },
    Categorical(Factor),
}

impl Variable {
    fn name(&self) -> &str {
        match self {
            Variable::Continuous { name, .. } => name,
            Variable::Categorical(f) => &f.name,
        }
    }
}

/// The moderators of a meta-regression and the terms built from them (a builder for
/// [`ModelMatrix`]): main effects in the order added, then interactions in the order added.
#[derive(Debug, Clone, PartialEq)]
pub struct Moderators {
    k: usize,
    intercept: Intercept,
    variables: Vec<Variable>,
    /// Each term is a list of variable indices (one: a main effect).
    terms: Vec<Vec<usize>>,
}

impl Moderators {
    /// No moderators yet, for `k` studies, with an intercept.
    ///
    /// ```
    /// # use metapool::prelude::*;
    /// # use metapool::regression::{Factor, MetaRegression, Moderators};
    /// # use metapool::pool::Tau2Control;
    /// # // metafor's dat.bcg (13 BCG trials) as log risk ratios, and the absolute latitude of each trial
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let ablat = [44.0, 55.0, 42.0, 52.0, 13.0, 44.0, 19.0, 13.0, 27.0, 42.0, 18.0, 33.0, 33.0];
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// let x = Moderators::new(13).continuous("ablat", &ablat)?.matrix()?;
    /// assert_eq!(x.k(), 13);
    /// assert_eq!(x.names(), ["intrcpt", "ablat"]);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(k: usize) -> Moderators {
        Moderators {
            k,
            intercept: Intercept::Included,
            variables: Vec::new(),
            terms: Vec::new(),
        }
    }

    /// With or without the intercept.
    pub fn with_intercept(mut self, intercept: Intercept) -> Moderators {
        self.intercept = intercept;
        self
    }

    fn push(mut self, v: Variable) -> Result<Moderators> {
        if self.variables.iter().any(|u| u.name() == v.name()) {
            return Err(problem(v.name(), None, ModeratorProblem::DuplicateName));
        }
        self.variables.push(v);
        self.terms.push(vec![self.variables.len() - 1]);
        Ok(self)
    }

    fn check_len(&self, name: &str, got: usize) -> Result<()> {
        if got != self.k {
            return Err(problem(
                name,
                None,
                ModeratorProblem::LengthMismatch {
                    expected: self.k,
                    got,
                },
            ));
        }
        Ok(())
    }

    /// Add a continuous moderator (one finite value per study) as a main effect.
    ///
    /// ```
    /// # use metapool::prelude::*;
    /// # use metapool::regression::{Factor, MetaRegression, Moderators};
    /// # use metapool::pool::Tau2Control;
    /// # // metafor's dat.bcg (13 BCG trials) as log risk ratios, and the absolute latitude of each trial
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let ablat = [44.0, 55.0, 42.0, 52.0, 13.0, 44.0, 19.0, 13.0, 27.0, 42.0, 18.0, 33.0, 33.0];
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// let x = Moderators::new(13).continuous("ablat", &ablat)?.matrix()?;
    /// assert_eq!(x.column(1), &ablat[..]);
    /// // a value that is not finite is an error naming the moderator and the study
    /// assert!(Moderators::new(2).continuous("dose", &[1.0, f64::NAN]).is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn continuous(self, name: &str, values: &[f64]) -> Result<Moderators> {
        self.check_len(name, values.len())?;
        if let Some(i) = values.iter().position(|x| !x.is_finite()) {
            return Err(problem(
                name,
                Some(i),
                ModeratorProblem::NotFinite(values[i]),
            ));
        }
        self.push(Variable::Continuous {
            name: name.to_string(),
            values: values.to_vec(),
        })
    }

    /// Add a categorical moderator as a main effect.
    ///
    /// ```
    /// # use metapool::prelude::*;
    /// # use metapool::regression::{Factor, MetaRegression, Moderators};
    /// # use metapool::pool::Tau2Control;
    /// # // metafor's dat.bcg (13 BCG trials) as log risk ratios, and the absolute latitude of each trial
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let ablat = [44.0, 55.0, 42.0, 52.0, 13.0, 44.0, 19.0, 13.0, 27.0, 42.0, 18.0, 33.0, 33.0];
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// let x = Moderators::new(13).continuous("ablat", &ablat)?.matrix()?;
    /// let x = Moderators::new(13).factor(Factor::new("alloc", &alloc)?.with_reference("random")?)?.matrix()?;
    /// // treatment coding against the reference level, named as metafor names them
    /// assert_eq!(x.names(), ["intrcpt", "allocalternate", "allocsystematic"]);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn factor(self, factor: Factor) -> Result<Moderators> {
        self.check_len(&factor.name, factor.codes.len())?;
        self.push(Variable::Categorical(factor))
    }

    /// Add the interaction of moderators already added, by name (`["ablat", "alloc"]` is R's
    /// `ablat:alloc`).
    ///
    /// ```
    /// # use metapool::prelude::*;
    /// # use metapool::regression::{Factor, MetaRegression, Moderators};
    /// # use metapool::pool::Tau2Control;
    /// # // metafor's dat.bcg (13 BCG trials) as log risk ratios, and the absolute latitude of each trial
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let ablat = [44.0, 55.0, 42.0, 52.0, 13.0, 44.0, 19.0, 13.0, 27.0, 42.0, 18.0, 33.0, 33.0];
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// let x = Moderators::new(13).continuous("ablat", &ablat)?.matrix()?;
    /// let x = Moderators::new(13)
    ///     .continuous("ablat", &ablat)?
    ///     .factor(Factor::new("alloc", &alloc)?)?
    ///     .interaction(&["ablat", "alloc"])?
    ///     .matrix()?;
    /// assert_eq!(x.p(), 6);
    /// assert!(x.names().iter().any(|n| n == "ablat:allocrandom"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn interaction(mut self, names: &[&str]) -> Result<Moderators> {
        let mut term = Vec::with_capacity(names.len());
        for n in names {
            match self.variables.iter().position(|v| v.name() == *n) {
                Some(i) if !term.contains(&i) => term.push(i),
                Some(_) => return Err(problem(n, None, ModeratorProblem::InvalidInteraction)),
                None => return Err(problem(n, None, ModeratorProblem::UnknownColumn)),
            }
        }
        if term.len() < 2 {
            return Err(problem(
                &names.join(":"),
                None,
                ModeratorProblem::InvalidInteraction,
            ));
        }
        self.terms.push(term);
        Ok(self)
    }

    /// Remove the main effect of a moderator already added, keeping it for interactions (R's
    /// `~ g + g:x` has no main effect of `x`).
    pub fn without_main_effect(mut self, name: &str) -> Result<Moderators> {
        let Some(var) = self.variables.iter().position(|v| v.name() == name) else {
            return Err(problem(name, None, ModeratorProblem::UnknownColumn));
        };
        self.terms.retain(|t| t != &[var]);
        Ok(self)
    }

    /// The columns of one variable within a term: `(name suffix, values)`.
    fn variable_columns(&self, var: usize, all_levels: bool) -> Vec<(String, Vec<f64>)> {
        match &self.variables[var] {
            Variable::Continuous { name, values } => vec![(name.clone(), values.clone())],
            Variable::Categorical(f) => {
                let skip = usize::from(!all_levels);
                f.levels
                    .iter()
                    .enumerate()
                    .skip(skip)
                    .map(|(l, level)| {
                        let col = f
                            .codes
                            .iter()
                            .map(|&c| if c == l { 1.0 } else { 0.0 })
                            .collect();
                        (format!("{}{}", f.name, level), col)
                    })
                    .collect()
            }
        }
    }

    /// Build the model matrix (see the module documentation).
    ///
    /// ```
    /// # use metapool::prelude::*;
    /// # use metapool::regression::{Factor, MetaRegression, Moderators};
    /// # use metapool::pool::Tau2Control;
    /// # // metafor's dat.bcg (13 BCG trials) as log risk ratios, and the absolute latitude of each trial
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let ablat = [44.0, 55.0, 42.0, 52.0, 13.0, 44.0, 19.0, 13.0, 27.0, 42.0, 18.0, 33.0, 33.0];
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// let x = Moderators::new(13).continuous("ablat", &ablat)?.matrix()?;
    /// assert_eq!((x.k(), x.p()), (13, 2));
    /// assert!(x.has_intercept());
    /// assert_eq!(x.get(4, 1), 13.0);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn matrix(&self) -> Result<ModelMatrix> {
        let mut names = Vec::new();
        let mut columns = Vec::new();
        if self.intercept == Intercept::Included {
            names.push("intrcpt".to_string());
            columns.push(vec![1.0; self.k]);
        }
        // without an intercept, the first factor main effect gets every level (R)
        let full_factor = (self.intercept == Intercept::Excluded)
            .then(|| {
                self.terms.iter().position(|t| {
                    t.len() == 1 && matches!(self.variables[t[0]], Variable::Categorical(_))
                })
            })
            .flatten();
        for (ti, term) in self.terms.iter().enumerate() {
            let mut acc: Vec<(String, Vec<f64>)> = vec![(String::new(), vec![1.0; self.k])];
            for &var in term {
                let all_levels = if term.len() == 1 {
                    full_factor == Some(ti)
                } else {
                    // R: a factor in an interaction is coded by contrasts when the term without
                    // it is in the model (marginality), otherwise by indicators of every level
                    let mut rest: Vec<usize> = term.iter().copied().filter(|&u| u != var).collect();
                    rest.sort_unstable();
                    !self.terms.iter().any(|t| {
                        let mut t = t.clone();
                        t.sort_unstable();
                        t == rest
                    })
                };
                let cols = self.variable_columns(var, all_levels);
                let mut next = Vec::with_capacity(acc.len() * cols.len());
                // R orders interaction columns with the first variable varying fastest
                for (cn, cv) in &cols {
                    for (an, av) in &acc {
                        let name = if an.is_empty() {
                            cn.clone()
                        } else {
                            format!("{an}:{cn}")
                        };
                        next.push((name, av.iter().zip(cv).map(|(a, b)| a * b).collect()));
                    }
                }
                acc = next;
            }
            for (n, c) in acc {
                names.push(n);
                columns.push(c);
            }
        }
        ModelMatrix::new(names, columns)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interactions_and_no_intercept_follow_r() {
        let g = ["b", "a", "c", "a", "b", "c", "a"];
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.5, 7.0];
        let m = Moderators::new(7)
            .with_intercept(Intercept::Excluded)
            .factor(Factor::new("g", &g).unwrap())
            .unwrap()
            .continuous("x", &x)
            .unwrap()
            .interaction(&["x", "g"])
            .unwrap()
            .matrix()
            .unwrap();
        assert_eq!(m.names(), ["ga", "gb", "gc", "x", "x:gb", "x:gc"]);
        assert_eq!(m.column(4), [1.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0]);
    }

    /// R: `model.matrix(~ g + x:g)` codes g by contrasts and x:g by every level.
    #[test]
    fn an_interaction_without_its_main_effect_gets_every_level() {
        let g = ["a", "b", "a", "c", "b", "c", "a"];
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.5, 7.0];
        let m = Moderators::new(7)
            .factor(Factor::new("g", &g).unwrap())
            .unwrap()
            .continuous("x", &x)
            .unwrap();
        let m = m
            .interaction(&["g", "x"])
            .unwrap()
            .without_main_effect("x")
            .unwrap()
            .matrix()
            .unwrap();
        assert_eq!(m.names(), ["intrcpt", "gb", "gc", "ga:x", "gb:x", "gc:x"]);
    }

    #[test]
    fn redundant_and_bad_columns_are_named() {
        let err = Moderators::new(4)
            .continuous("x", &[1.0, 2.0, 3.0, 4.0])
            .unwrap()
            .continuous("z", &[2.0, 4.0, 6.0, 8.0])
            .unwrap()
            .matrix()
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidModerator { ref column, problem: ModeratorProblem::Redundant, .. } if column == "z")
        );
        let err = Moderators::new(3)
            .continuous("x", &[1.0, f64::NAN, 3.0])
            .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidModerator { study: Some(1), .. }
        ));
        let err = Factor::new("g", &["a", "b"])
            .unwrap()
            .with_reference("c")
            .unwrap_err();
        assert!(err.to_string().contains("no level `c`"));
    }
}
