//! Subgroup sections of a forest plot: one section per subgroup with its subtotal, and the test
//! for subgroup differences under the total.

use super::{length_error, Forest, Section};
use crate::effect::EffectSet;
use crate::error::{Error, Problem, Result};
use crate::heterogeneity::Heterogeneity;
use crate::pool::{Pooled, Subgroups};
use std::fmt::Display;

impl Forest {
    /// A subgroup analysis: one section per subgroup (its studies, subtotal, heterogeneity and
    /// test for the overall effect), the overall total, and the test for subgroup differences.
    /// `groups` holds the subgroup of every input study, as given to
    /// [`SubgroupAnalysis::pool`](crate::pool::SubgroupAnalysis::pool); weights are those in
    /// the overall fit.
    ///
    /// ```
    /// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
    /// # use metapool::prelude::*;
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// use metapool::plot::forest::Forest;
    /// let res = SubgroupAnalysis::new(SubgroupModel::Fixed).pool(&set, &alloc)?;
    /// let svg = Forest::subgroups(&set, &alloc, &res)?.to_svg()?;
    /// // metafor rma(yi, vi, mods = ~ factor(alloc), method = "FE"): QM(df = 2) = 19.8654, p < .0001
    /// // (RevMan's I² for subgroup differences: (19.87 - 2) / 19.87 = 90%)
    /// assert!(svg.contains("Test for subgroup differences: Chi² = 19.87, df = 2 (P = 0.00005), I² = 90%"));
    /// assert_eq!(svg.matches("class=\"diamond\"").count(), 4); // three subtotals and the total
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn subgroups<G: Display + PartialEq>(
        set: &EffectSet,
        groups: &[G],
        result: &Subgroups<G>,
    ) -> Result<Forest> {
        if groups.len() != set.input_len() {
            return Err(length_error("groups", set.input_len(), groups.len()));
        }
        let members = |label: &G| -> Vec<usize> {
            (0..groups.len()).filter(|&i| &groups[i] == label).collect()
        };
        let mut f = Forest::new(set, &result.overall);
        for g in &result.groups {
            f = f.subgroup(&g.label.to_string(), &members(&g.label), Some(&g.pooled))?;
        }
        for g in &result.not_estimable {
            f = f.subgroup(&g.to_string(), &members(g), None)?;
        }
        Ok(f.subgroup_test(result.between))
    }

    /// Add a subgroup section: its title, its studies (input positions, shown in this order)
    /// and its subtotal (`None`: not estimable). The first call replaces the single section of
    /// all studies; use it to draw subgroups pooled some other way than
    /// [`SubgroupAnalysis`](crate::pool::SubgroupAnalysis) (e.g. Mantel-Haenszel within each
    /// subgroup, as RevMan does), then [`Forest::subgroup_test`]. Errors when a position is
    /// not an input study's.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, plot::forest::Forest};
    /// let set = EffectSet::from_estimates(&[0.1, 0.3, 0.8], &[0.01, 0.02, 0.02])?;
    /// let m = FixedModel::default();
    /// let a = m.pool(&EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?)?;
    /// let b = m.pool(&EffectSet::from_estimates(&[0.8], &[0.02])?)?;
    /// let svg = Forest::new(&set, &m.pool(&set)?)
    ///     .subgroup("Early", &[0, 1], Some(&a))?
    ///     .subgroup("Late", &[2], Some(&b))?
    ///     .to_svg()?;
    /// assert_eq!(svg.matches("class=\"diamond\"").count(), 3);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn subgroup(
        mut self,
        title: &str,
        members: &[usize],
        subtotal: Option<&Pooled>,
    ) -> Result<Forest> {
        if let Some(&bad) = members.iter().find(|&&i| i >= self.studies.len()) {
            return Err(Error::InvalidParameter {
                name: "members",
                problem: Problem::OutOfRange {
                    lo: -1.0,
                    hi: self.studies.len() as f64,
                    got: bad as f64,
                },
            });
        }
        if self.sections.iter().all(|s| s.title.is_none()) {
            self.sections.clear();
        }
        self.sections.push(Section {
            title: Some(title.to_string()),
            members: members.to_vec(),
            subtotal: subtotal.cloned(),
        });
        Ok(self)
    }

    /// The test for subgroup differences, printed under the total ("Test for subgroup
    /// differences: Chi² = .., df = .. (P = ..), I² = ..%").
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, heterogeneity::Heterogeneity, plot::forest::Forest};
    /// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?;
    /// let svg = Forest::new(&set, &FixedModel::default().pool(&set)?)
    ///     .subgroup_test(Heterogeneity::fixed(6.0, 2))
    ///     .to_svg()?;
    /// // Q = 6 on 2 df: P = exp(-3) = 0.0498, I² = (6 - 2) / 6 = 67%
    /// assert!(svg.contains("Test for subgroup differences: Chi² = 6.00, df = 2 (P = 0.050), I² = 67%"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn subgroup_test(mut self, test: Heterogeneity) -> Forest {
        self.subgroup_test = Some(test);
        self
    }
}
