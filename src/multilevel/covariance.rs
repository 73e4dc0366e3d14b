//! The known sampling covariance matrix `V` of a multilevel or multivariate model: block
//! diagonal, one dense block per cluster of effects whose sampling errors are correlated.

use crate::error::{Error, Problem, Result};
use nalgebra::DMatrix;
use std::collections::HashMap;

/// What is wrong with a cluster, its covariance block or one of its rows.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum ClusterProblem {
    /// The cluster label is missing (empty).
    MissingLabel,
    /// The covariance block is not positive definite (its Cholesky factorisation fails).
    NotPositiveDefinite,
    /// The covariance block is not symmetric, or has a non-finite entry.
    NotSymmetric,
    /// The block does not have one row and column per effect of the cluster.
    BlockShape {
        /// Effects of the cluster.
        expected: usize,
        /// Rows (or columns) of the block given.
        got: usize,
    },
    /// A sampling variance is not a positive finite number.
    Variance(Problem),
    /// One block of `V` holds effects of two clusters of the model's outermost random level
    /// (`V` must be block diagonal by the model's clusters).
    SpansClusters,
    /// A label of a random-effect level is missing (empty) for this row.
    MissingLevel {
        /// The level's name.
        level: String,
    },
    /// The cluster holds more effects than a dense block may
    /// ([`MAX_CLUSTER_EFFECTS`](super::MAX_CLUSTER_EFFECTS)); crossed random effects join
    /// every cluster that shares a group into one.
    TooLarge {
        /// Effects in the cluster.
        effects: usize,
        /// The limit.
        limit: usize,
    },
}

impl std::fmt::Display for ClusterProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClusterProblem::MissingLabel => write!(f, "the cluster label is missing"),
            ClusterProblem::NotPositiveDefinite => {
                write!(f, "its sampling covariance block is not positive definite")
            }
            ClusterProblem::NotSymmetric => write!(
                f,
                "its sampling covariance block is not symmetric with finite entries"
            ),
            ClusterProblem::BlockShape { expected, got } => write!(
                f,
                "its covariance block must be {expected} x {expected} (one row per effect), got {got}"
            ),
            ClusterProblem::Variance(p) => write!(f, "sampling variance {p}"),
            ClusterProblem::SpansClusters => write!(
                f,
                "its sampling covariance block holds effects of two clusters of the model"
            ),
            ClusterProblem::MissingLevel { level } => {
                write!(f, "the label of random-effect level `{level}` is missing")
            }
            ClusterProblem::TooLarge { effects, limit } => write!(
                f,
                "it holds {effects} effects, more than the {limit} a dense block of the marginal covariance may"
            ),
        }
    }
}

pub(crate) fn cluster_err(cluster: &str, row: Option<usize>, problem: ClusterProblem) -> Error {
    Error::InvalidCluster {
        cluster: cluster.to_string(),
        row,
        problem,
    }
}

/// Clusters in order of first appearance: `of[i]` is the cluster of row `i`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Partition {
    pub names: Vec<String>,
    pub of: Vec<usize>,
}

impl Partition {
    pub(crate) fn new<S: AsRef<str>>(labels: &[S]) -> Result<Partition> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut names = Vec::new();
        let mut of = Vec::with_capacity(labels.len());
        for (i, l) in labels.iter().enumerate() {
            let l = l.as_ref();
            if l.is_empty() {
                return Err(cluster_err("", Some(i), ClusterProblem::MissingLabel));
            }
            let next = names.len();
            let c = *index.entry(l).or_insert(next);
            if c == next {
                names.push(l.to_string());
            }
            of.push(c);
        }
        Ok(Partition { names, of })
    }

    /// Rows of each cluster, in input order.
    pub(crate) fn members(&self) -> Vec<Vec<usize>> {
        let mut m = vec![Vec::new(); self.names.len()];
        for (i, &c) in self.of.iter().enumerate() {
            m[c].push(i);
        }
        m
    }
}

/// The sampling covariance matrix `V` of `k` effects, block diagonal: effects in different
/// blocks have independent sampling errors.
///
/// ```text
/// diagonal:              V = diag(v_1, ..., v_k)
/// constant correlation:  V_ab = rho sqrt(v_a v_b) for a != b in the same cluster
///                        (metafor vcalc(vi, cluster, obs, rho); clubSandwich
///                        impute_covariance_matrix(vi, cluster, r))
/// blocks:                V = bdiag(V_1, ..., V_m), V_j given per cluster
/// ```
/// Every block is checked to be symmetric and positive definite when built (an error names
/// the cluster); memory is the sum of the squared block sizes.
///
/// ```
/// use metapool::multilevel::SamplingCovariance;
/// let v = SamplingCovariance::constant_correlation(&[0.04, 0.09, 0.01], &["a", "a", "b"], 0.6)?;
/// assert!((v.get(0, 1) - 0.6 * 0.2 * 0.3).abs() < 1e-15);
/// assert_eq!(v.get(0, 2), 0.0);
/// assert!(SamplingCovariance::constant_correlation(&[0.04], &["a"], 1.0).is_err());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingCovariance {
    block_of: Vec<usize>,
    position: Vec<usize>,
    blocks: Vec<DMatrix<f64>>,
    names: Vec<String>,
}

impl SamplingCovariance {
    /// Independent sampling errors with variances `vi` (metafor `rma.mv(yi, vi, ...)`).
    pub fn diagonal(vi: &[f64]) -> Result<SamplingCovariance> {
        let labels: Vec<String> = (0..vi.len()).map(|i| i.to_string()).collect();
        Self::constant_correlation(vi, &labels, 0.0)
    }

    /// Variances `vi` and the same correlation `rho` between the sampling errors of any two
    /// effects of one cluster (metafor `vcalc(vi, cluster, obs, rho)`). Errors: `rho` outside
    /// (-1, 1), a non-positive variance (naming the row), a missing cluster label (naming the
    /// row), and a block that is not positive definite (`rho < -1/(n-1)`, naming the cluster).
    pub fn constant_correlation<S: AsRef<str>>(
        vi: &[f64],
        cluster: &[S],
        rho: f64,
    ) -> Result<SamplingCovariance> {
        if !(rho.is_finite() && rho > -1.0 && rho < 1.0) {
            return Err(Error::InvalidParameter {
                name: "rho",
                problem: Problem::OutOfRange {
                    lo: -1.0,
                    hi: 1.0,
                    got: rho,
                },
            });
        }
        check_lengths(vi.len(), cluster.len())?;
        let part = Partition::new(cluster)?;
        for (i, &v) in vi.iter().enumerate() {
            if !(v.is_finite() && v > 0.0) {
                let p = if v.is_finite() {
                    Problem::NotPositive(v)
                } else {
                    Problem::NotFinite(v)
                };
                let name = &part.names[part.of[i]];
                return Err(cluster_err(name, Some(i), ClusterProblem::Variance(p)));
            }
        }
        let blocks = part
            .members()
            .iter()
            .map(|rows| {
                DMatrix::from_fn(rows.len(), rows.len(), |a, b| {
                    let s = (vi[rows[a]] * vi[rows[b]]).sqrt();
                    if a == b {
                        vi[rows[a]]
                    } else {
                        rho * s
                    }
                })
            })
            .collect();
        Self::assemble(part, blocks)
    }

    /// Blocks given per cluster: `blocks[j]` is the covariance of the effects of the `j`-th
    /// cluster in order of first appearance in `cluster`, its rows and columns in input order
    /// (metafor `bldiag(...)`, e.g. Berkey et al. 1998's `v1i`, `v2i` columns).
    pub fn from_blocks<S: AsRef<str>>(
        cluster: &[S],
        blocks: Vec<DMatrix<f64>>,
    ) -> Result<SamplingCovariance> {
        let part = Partition::new(cluster)?;
        if blocks.len() != part.names.len() {
            return Err(Error::InvalidField {
                field: "blocks",
                problem: Problem::LengthMismatch {
                    expected: part.names.len(),
                    got: blocks.len(),
                },
            });
        }
        Self::assemble(part, blocks)
    }

    /// Blocks given row by row: `rows[i]` is row `i`'s row of its cluster's block, its entries
    /// in the input order of the cluster's effects (so a cluster of `n` effects has rows of
    /// length `n`).
    pub fn from_block_rows<S: AsRef<str>>(
        cluster: &[S],
        rows: &[Vec<f64>],
    ) -> Result<SamplingCovariance> {
        check_lengths(rows.len(), cluster.len())?;
        let part = Partition::new(cluster)?;
        let mut blocks = Vec::with_capacity(part.names.len());
        for (j, members) in part.members().iter().enumerate() {
            let n = members.len();
            if let Some(&bad) = members.iter().find(|&&i| rows[i].len() != n) {
                return Err(cluster_err(
                    &part.names[j],
                    Some(bad),
                    ClusterProblem::BlockShape {
                        expected: n,
                        got: rows[bad].len(),
                    },
                ));
            }
            blocks.push(DMatrix::from_fn(n, n, |a, b| rows[members[a]][b]));
        }
        Self::assemble(part, blocks)
    }

    fn assemble(part: Partition, blocks: Vec<DMatrix<f64>>) -> Result<SamplingCovariance> {
        let members = part.members();
        let mut position = vec![0; part.of.len()];
        for (j, (rows, b)) in members.iter().zip(&blocks).enumerate() {
            let name = &part.names[j];
            if b.nrows() != rows.len() || b.ncols() != rows.len() {
                return Err(cluster_err(
                    name,
                    None,
                    ClusterProblem::BlockShape {
                        expected: rows.len(),
                        got: b.nrows().max(b.ncols()),
                    },
                ));
            }
            let n = rows.len();
            for a in 0..n {
                for c in 0..n {
                    let (x, y) = (b[(a, c)], b[(c, a)]);
                    if !x.is_finite() || (x - y).abs() > 1e-12 * x.abs().max(y.abs()) {
                        return Err(cluster_err(name, None, ClusterProblem::NotSymmetric));
                    }
                }
            }
            if b.clone().cholesky().is_none() {
                return Err(cluster_err(name, None, ClusterProblem::NotPositiveDefinite));
            }
            for (a, &i) in rows.iter().enumerate() {
                position[i] = a;
            }
        }
        Ok(SamplingCovariance {
            block_of: part.of,
            position,
            blocks,
            names: part.names,
        })
    }

    /// Number of effects `k`.
    pub fn k(&self) -> usize {
        self.block_of.len()
    }
    /// Entry `V[a, b]`.
    pub fn get(&self, a: usize, b: usize) -> f64 {
        if self.block_of[a] != self.block_of[b] {
            0.0
        } else {
            self.blocks[self.block_of[a]][(self.position[a], self.position[b])]
        }
    }
    /// The sampling variance `V[i, i]`.
    pub fn variance(&self, i: usize) -> f64 {
        self.get(i, i)
    }
    /// The block that row `i` belongs to (an index into the blocks in order of first
    /// appearance).
    pub(crate) fn block_of(&self, i: usize) -> usize {
        self.block_of[i]
    }
    /// The label of block `j`.
    pub(crate) fn block_name(&self, j: usize) -> &str {
        &self.names[j]
    }
}

fn check_lengths(values: usize, labels: usize) -> Result<()> {
    if values != labels {
        return Err(Error::InvalidField {
            field: "cluster",
            problem: Problem::LengthMismatch {
                expected: values,
                got: labels,
            },
        });
    }
    Ok(())
}
