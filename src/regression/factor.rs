//! A categorical moderator: its levels, their order and the reference level (R's `factor` and
//! `relevel`), coded by treatment contrasts in the model matrix (see [`super::Moderators`]).

use super::design::{problem, ModeratorProblem};
use crate::error::Result;

/// The order of a factor's levels (its coefficients follow it, after the reference level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum LevelOrder {
    /// Sorted as R's `factor()` sorts strings (byte order, which equals R's C-locale order).
    #[default]
    Sorted,
    /// In order of first appearance.
    Appearance,
}

/// A categorical moderator: one level per study, coded by treatment contrasts against a
/// reference level (by default the first level; R's `relevel(factor(g), ref = ...)` with
/// [`Factor::with_reference`]).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Factor {
    pub(super) name: String,
    /// The levels, the reference first.
    pub(super) levels: Vec<String>,
    /// Each study's level, as an index into `levels`.
    pub(super) codes: Vec<usize>,
}

impl Factor {
    /// A factor with its levels sorted (R's `factor(g)`), the first the reference.
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
    /// let f = Factor::new("alloc", &alloc)?;
    /// // levels in sorted order, the first the reference (R's factor())
    /// assert_eq!(f.levels(), ["alternate", "random", "systematic"]);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new<S: AsRef<str>>(name: &str, values: &[S]) -> Result<Factor> {
        Factor::with_order(name, values, LevelOrder::Sorted)
    }

    /// A factor with its levels in the given order, the first the reference.
    pub fn with_order<S: AsRef<str>>(
        name: &str,
        values: &[S],
        order: LevelOrder,
    ) -> Result<Factor> {
        let mut levels: Vec<String> = Vec::new();
        for v in values {
            if !levels.iter().any(|l| l == v.as_ref()) {
                levels.push(v.as_ref().to_string());
            }
        }
        if order == LevelOrder::Sorted {
            levels.sort();
        }
        let codes = values
            .iter()
            .map(|v| levels.iter().position(|l| l == v.as_ref()).unwrap_or(0))
            .collect();
        Ok(Factor {
            name: name.to_string(),
            levels,
            codes,
        })
    }

    /// Make `level` the reference (moved first; the others keep their order), as R's
    /// `relevel`. Errors when it is not a level.
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
    /// let f = Factor::new("alloc", &alloc)?.with_reference("random")?;
    /// assert_eq!(f.reference(), Some("random"));
    /// assert!(Factor::new("alloc", &alloc)?.with_reference("none").is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_reference(mut self, level: &str) -> Result<Factor> {
        let Some(at) = self.levels.iter().position(|l| l == level) else {
            return Err(problem(
                &self.name,
                None,
                ModeratorProblem::UnknownLevel(level.to_string()),
            ));
        };
        let lev = self.levels.remove(at);
        self.levels.insert(0, lev);
        for c in self.codes.iter_mut() {
            *c = match *c {
                c if c == at => 0,
                c if c < at => c + 1,
                c => c,
            };
        }
        Ok(self)
    }

    /// The factor's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The levels, the reference first.
    pub fn levels(&self) -> &[String] {
        &self.levels
    }
    /// The reference level (`None` for a factor with no values).
    pub fn reference(&self) -> Option<&str> {
        self.levels.first().map(String::as_str)
    }
}
