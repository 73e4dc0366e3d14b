//! The random-effect structure of a multilevel or multivariate model: nested levels
//! (metafor `random = ~ 1 | study/es`) or one random effect per outcome within clusters
//! (metafor `random = ~ outcome | study` with `struct = "CS" | "HCS" | "UN"`).

use super::covariance::{cluster_err, ClusterProblem, Partition};
use crate::error::{Error, Problem, Result};
use nalgebra::DMatrix;
use std::collections::HashMap;

/// The covariance matrix `G` of the outcome-level random effects of a multivariate model
/// (metafor's `struct`).
///
/// ```text
/// CS    G = tau2 [(1 - rho) I + rho J]                 (tau2, rho)
/// HCS   G_ii = tau2_i,  G_ij = rho tau_i tau_j           (tau2_1..m, rho)
/// UN    G_ii = tau2_i,  G_ij = rho_ij tau_i tau_j        (tau2_1..m, rho_ij for i > j)
/// ```
/// ```
/// use metapool::multilevel::CovarianceStructure;
/// assert_eq!("UN".parse::<CovarianceStructure>()?, CovarianceStructure::Unstructured);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CovarianceStructure {
    /// Compound symmetry (`CS`): one variance, one correlation.
    CompoundSymmetry,
    /// Heteroscedastic compound symmetry (`HCS`): a variance per outcome, one correlation.
    HeteroscedasticCompoundSymmetry,
    /// Unstructured (`UN`): a variance per outcome, a correlation per pair.
    Unstructured,
}

impl CovarianceStructure {
    /// metafor's name: `CS`, `HCS`, `UN`.
    pub fn metafor_name(self) -> &'static str {
        match self {
            CovarianceStructure::CompoundSymmetry => "CS",
            CovarianceStructure::HeteroscedasticCompoundSymmetry => "HCS",
            CovarianceStructure::Unstructured => "UN",
        }
    }
}

impl std::str::FromStr for CovarianceStructure {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_uppercase().as_str() {
            "CS" => Ok(CovarianceStructure::CompoundSymmetry),
            "HCS" => Ok(CovarianceStructure::HeteroscedasticCompoundSymmetry),
            "UN" => Ok(CovarianceStructure::Unstructured),
            _ => Err(Error::Unparsable {
                what: "a covariance structure (CS, HCS, UN)",
                text: s.to_string(),
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// Random intercepts, one variance component per level: the levels of one nested term
    /// (metafor `~ 1 | a/b`) or of several crossed terms (`list(~ 1 | a/b, ~ 1 | c)`), in
    /// order. `groups[l][i]`: the level-`l` group of row `i` (within a term, the groups of
    /// level `l` are the distinct label tuples of the term's levels up to `l`).
    Intercepts {
        names: Vec<String>,
        groups: Vec<Vec<usize>>,
        group_names: Vec<Vec<String>>,
    },
    /// `outcome[i]`: the outcome level of row `i` (levels sorted in byte order, as R sorts
    /// factor levels in the C locale).
    Multivariate {
        outcome_name: String,
        cluster_name: String,
        levels: Vec<String>,
        outcome: Vec<usize>,
        structure: CovarianceStructure,
    },
}

/// The random effects of a multilevel or multivariate model, and with them its clusters (the
/// groups of the outermost level, or the clusters of a multivariate model), within which the
/// marginal covariance `M = V + Z G Z'` is dense and between which it is 0.
///
/// ```
/// use metapool::multilevel::RandomEffects;
/// let study = ["1", "1", "2", "2", "2"];
/// let es = ["1", "2", "1", "2", "3"];
/// let re = RandomEffects::nested(&[("study", &study[..]), ("es", &es[..])])?;
/// assert_eq!(re.component_names(), ["sigma2.1", "sigma2.2"]);
/// assert_eq!(re.level_names(), ["study", "study/es"]);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RandomEffects {
    pub(crate) kind: Kind,
    pub(crate) clusters: Partition,
}

/// The error for a random-effects specification without a level.
fn no_levels() -> Error {
    Error::InvalidField {
        field: "random",
        problem: Problem::LengthMismatch {
            expected: 1,
            got: 0,
        },
    }
}

impl RandomEffects {
    /// Nested random effects, outermost level first (metafor `random = ~ 1 | a/b/c`): a
    /// variance component `sigma2.l` per level; the level-`l` groups are the distinct
    /// combinations of the labels of levels `1..=l`. A missing (empty) label is an error naming
    /// the row and the level.
    pub fn nested<S: AsRef<str>>(levels: &[(&str, &[S])]) -> Result<RandomEffects> {
        let Some(first) = levels.first() else {
            return Err(no_levels());
        };
        let k = first.1.len();
        let mut names = Vec::new();
        let mut groups = Vec::new();
        let mut group_names = Vec::new();
        let mut path: Vec<String> = vec![String::new(); k];
        for (l, (name, labels)) in levels.iter().enumerate() {
            if labels.len() != k {
                return Err(Error::InvalidField {
                    field: "random",
                    problem: Problem::LengthMismatch {
                        expected: k,
                        got: labels.len(),
                    },
                });
            }
            for (i, lab) in labels.iter().enumerate() {
                let lab = lab.as_ref();
                if lab.is_empty() {
                    let level = name.to_string();
                    return Err(cluster_err(
                        if l == 0 { "" } else { &path[i] },
                        Some(i),
                        ClusterProblem::MissingLevel { level },
                    ));
                }
                if l > 0 {
                    path[i].push('/');
                }
                path[i].push_str(lab);
            }
            let part = Partition::new(&path)?;
            names.push(if l == 0 {
                name.to_string()
            } else {
                format!("{}/{}", names[l - 1], name)
            });
            groups.push(part.of);
            group_names.push(part.names);
        }
        let clusters = Partition {
            names: group_names[0].clone(),
            of: groups[0].clone(),
        };
        Ok(RandomEffects {
            kind: Kind::Intercepts {
                names,
                groups,
                group_names,
            },
            clusters,
        })
    }

    /// Crossed random intercepts (metafor `random = list(~ 1 | a/b, ~ 1 | c)`): several terms,
    /// each a list of nested levels as in [`RandomEffects::nested`], with a variance component
    /// per level (`sigma2.1`, ... in the order given) and
    ///
    /// ```text
    /// M = V + sum_l sigma2_l Z_l Z_l'      (Z_l: the indicators of the level-l groups)
    /// ```
    ///
    /// Crossed factors do not nest, so the model's clusters (the blocks within which `M` is
    /// dense) are the connected components of the rows linked by sharing a group of any level:
    /// a fully crossed design is one block of all `k` effects, with time cubic and memory
    /// quadratic in its size (metafor works with the dense `k x k` matrix throughout). A
    /// component is named by its first row's outermost labels, joined by `+`. One term is the
    /// same model as [`RandomEffects::nested`].
    ///
    /// ```
    /// use metapool::multilevel::RandomEffects;
    /// // effects from studies run in labs shared between studies
    /// let study = ["s1", "s1", "s2", "s2", "s3", "s4"];
    /// let lab = ["A", "B", "B", "C", "D", "D"];
    /// let re = RandomEffects::crossed(&[&[("study", &study[..])], &[("lab", &lab[..])]])?;
    /// assert_eq!(re.component_names(), ["sigma2.1", "sigma2.2"]);
    /// assert_eq!(re.level_names(), ["study", "lab"]);
    /// // s1-s2 linked through lab B; s3-s4 through lab D
    /// assert_eq!(re.cluster_names(), ["s1+A", "s3+D"]);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn crossed<S: AsRef<str>>(terms: &[&[(&str, &[S])]]) -> Result<RandomEffects> {
        let mut names = Vec::new();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut group_names = Vec::new();
        let mut outer = Vec::new();
        if let [term] = terms {
            return RandomEffects::nested(term);
        }
        for term in terms {
            let re = RandomEffects::nested(term)?;
            if let Some(first) = groups.first() {
                if re.k() != first.len() {
                    return Err(Error::InvalidField {
                        field: "random",
                        problem: Problem::LengthMismatch {
                            expected: first.len(),
                            got: re.k(),
                        },
                    });
                }
            }
            let Kind::Intercepts {
                names: n,
                groups: g,
                group_names: gn,
            } = re.kind
            else {
                unreachable!("nested() builds intercepts")
            };
            outer.push(groups.len());
            names.extend(n);
            groups.extend(g);
            group_names.extend(gn);
        }
        let Some(first) = groups.first() else {
            return Err(no_levels());
        };
        let k = first.len();
        // union-find over rows: rows sharing an outermost group of any term are linked
        let mut parent: Vec<usize> = (0..k).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        for &l in &outer {
            let mut first_row: Vec<Option<usize>> = vec![None; group_names[l].len()];
            for (i, &g) in groups[l].iter().enumerate() {
                match first_row[g] {
                    None => first_row[g] = Some(i),
                    Some(f) => {
                        let (a, b) = (root(&mut parent, f), root(&mut parent, i));
                        if a != b {
                            parent[a.max(b)] = a.min(b);
                        }
                    }
                }
            }
        }
        // components in order of first appearance (a root is its component's first row)
        let mut index = vec![usize::MAX; k];
        let mut clusters = Partition {
            names: Vec::new(),
            of: Vec::with_capacity(k),
        };
        for i in 0..k {
            let r = root(&mut parent, i);
            if index[r] == usize::MAX {
                index[r] = clusters.names.len();
                let name: Vec<&str> = outer
                    .iter()
                    .map(|&l| group_names[l][groups[l][r]].as_str())
                    .collect();
                clusters.names.push(name.join("+"));
            }
            clusters.of.push(index[r]);
        }
        Ok(RandomEffects {
            kind: Kind::Intercepts {
                names,
                groups,
                group_names,
            },
            clusters,
        })
    }

    /// A random effect per outcome within each cluster (metafor `random = ~ outcome | study`),
    /// correlated within the cluster as `structure` says.
    pub fn multivariate<S: AsRef<str>, T: AsRef<str>>(
        outcome: (&str, &[S]),
        cluster: (&str, &[T]),
        structure: CovarianceStructure,
    ) -> Result<RandomEffects> {
        let (oname, olabels) = outcome;
        if olabels.len() != cluster.1.len() {
            return Err(Error::InvalidField {
                field: "outcome",
                problem: Problem::LengthMismatch {
                    expected: cluster.1.len(),
                    got: olabels.len(),
                },
            });
        }
        let clusters = Partition::new(cluster.1)?;
        let mut levels: Vec<String> = Vec::new();
        for (i, o) in olabels.iter().enumerate() {
            let o = o.as_ref();
            if o.is_empty() {
                let c = &clusters.names[clusters.of[i]];
                let level = oname.to_string();
                return Err(cluster_err(
                    c,
                    Some(i),
                    ClusterProblem::MissingLevel { level },
                ));
            }
            if !levels.iter().any(|l| l == o) {
                levels.push(o.to_string());
            }
        }
        levels.sort();
        let index: HashMap<&str, usize> = levels
            .iter()
            .enumerate()
            .map(|(j, l)| (l.as_str(), j))
            .collect();
        let outcome = olabels.iter().map(|o| index[o.as_ref()]).collect();
        Ok(RandomEffects {
            kind: Kind::Multivariate {
                outcome_name: oname.to_string(),
                cluster_name: cluster.0.to_string(),
                levels,
                outcome,
                structure,
            },
            clusters,
        })
    }

    /// Number of effects.
    pub fn k(&self) -> usize {
        self.clusters.of.len()
    }

    /// Number of clusters (groups of the outermost level).
    pub fn clusters(&self) -> usize {
        self.clusters.names.len()
    }

    /// The cluster labels, in order of first appearance.
    pub fn cluster_names(&self) -> &[String] {
        &self.clusters.names
    }

    /// The names of the variance components as metafor prints them: `sigma2.1`, `sigma2.2`,
    /// ... for nested levels; `tau2` (CS) or `tau2.1`, ... (HCS, UN) for a multivariate model.
    pub fn component_names(&self) -> Vec<String> {
        match &self.kind {
            Kind::Intercepts { names, .. } => {
                (1..=names.len()).map(|l| format!("sigma2.{l}")).collect()
            }
            Kind::Multivariate {
                levels, structure, ..
            } => match structure {
                CovarianceStructure::CompoundSymmetry => vec!["tau2".to_string()],
                _ => (1..=levels.len()).map(|l| format!("tau2.{l}")).collect(),
            },
        }
    }

    /// The levels' names as metafor writes them (`study`, `study/es`), or for a multivariate
    /// model the outcome levels.
    pub fn level_names(&self) -> Vec<String> {
        match &self.kind {
            Kind::Intercepts { names, .. } => names.clone(),
            Kind::Multivariate { levels, .. } => levels.clone(),
        }
    }

    /// Whether `M` is linear in the parameters (random intercepts: `d²M = 0`).
    pub(crate) fn is_linear(&self) -> bool {
        matches!(self.kind, Kind::Intercepts { .. })
    }

    /// Number of free parameters of the variance structure (`theta`).
    pub(crate) fn parameters(&self) -> usize {
        match &self.kind {
            Kind::Intercepts { names, .. } => names.len(),
            Kind::Multivariate {
                levels, structure, ..
            } => {
                let m = levels.len();
                match structure {
                    CovarianceStructure::CompoundSymmetry => 2,
                    CovarianceStructure::HeteroscedasticCompoundSymmetry => m + 1,
                    CovarianceStructure::Unstructured => m + m * (m - 1) / 2,
                }
            }
        }
    }

    /// Lower and upper bounds of each parameter.
    pub(crate) fn bounds(&self) -> Vec<(f64, f64)> {
        match &self.kind {
            Kind::Intercepts { names, .. } => vec![(0.0, f64::INFINITY); names.len()],
            Kind::Multivariate { structure, .. } => {
                let vars = match structure {
                    CovarianceStructure::CompoundSymmetry => 1,
                    _ => self.level_names().len(),
                };
                let mut b = vec![(0.0, f64::INFINITY); vars];
                b.resize(self.parameters(), (-1.0, 1.0));
                b
            }
        }
    }

    /// Whether parameter `q` is a standard deviation (HCS, UN variances are parameterised by
    /// `tau_i`, so that `G` stays smooth at `tau_i = 0`).
    pub(crate) fn is_sd(&self, q: usize) -> bool {
        matches!(&self.kind, Kind::Multivariate { structure, levels, .. }
            if *structure != CovarianceStructure::CompoundSymmetry && q < levels.len())
    }

    /// `G(theta)` and its derivatives `dG/dtheta_q` (multivariate models only).
    pub(crate) fn outcome_covariance(&self, theta: &[f64]) -> (DMatrix<f64>, Vec<DMatrix<f64>>) {
        let Kind::Multivariate {
            levels, structure, ..
        } = &self.kind
        else {
            unreachable!("outcome_covariance is only called for multivariate models")
        };
        let m = levels.len();
        let np = theta.len();
        let mut g = DMatrix::zeros(m, m);
        let mut d = vec![DMatrix::zeros(m, m); np];
        match structure {
            CovarianceStructure::CompoundSymmetry => {
                let (t2, rho) = (theta[0], theta[1]);
                for a in 0..m {
                    for b in 0..m {
                        let r = if a == b { 1.0 } else { rho };
                        g[(a, b)] = t2 * r;
                        d[0][(a, b)] = r;
                        d[1][(a, b)] = if a == b { 0.0 } else { t2 };
                    }
                }
            }
            _ => {
                let un = *structure == CovarianceStructure::Unstructured;
                for a in 0..m {
                    g[(a, a)] = theta[a] * theta[a];
                    d[a][(a, a)] = 2.0 * theta[a];
                }
                let mut q = m;
                for b in 0..m {
                    for a in b + 1..m {
                        let rq = if un { q } else { m };
                        let rho = theta[rq];
                        let (ta, tb) = (theta[a], theta[b]);
                        for (x, y) in [(a, b), (b, a)] {
                            g[(x, y)] = rho * ta * tb;
                            d[a][(x, y)] = rho * tb;
                            d[b][(x, y)] = rho * ta;
                            d[rq][(x, y)] += ta * tb;
                        }
                        q += 1;
                    }
                }
            }
        }
        (g, d)
    }
}
