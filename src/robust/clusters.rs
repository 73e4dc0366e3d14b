//! The clusters of a cluster-robust analysis: one label per effect, validated once.

use crate::error::{Error, Result};
use std::collections::HashMap;

/// What is wrong with the cluster labels of a cluster-robust analysis.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum ClusterProblem {
    /// The label of this effect is missing (empty or blank).
    Missing,
    /// There is not one label per effect.
    LengthMismatch {
        /// Effects in the model.
        expected: usize,
        /// Labels given.
        got: usize,
    },
    /// Too few clusters: the robust tests have `m - p` degrees of freedom, which must be
    /// positive (a single cluster never suffices).
    TooFewClusters {
        /// Clusters.
        clusters: usize,
        /// Coefficients of the model.
        coefficients: usize,
    },
    /// The robust cluster splits one of the working model's own blocks (its rows are
    /// correlated with rows of another robust cluster); robust clusters must contain whole
    /// model clusters.
    SplitsModelBlock,
    /// The working model's covariance restricted to the cluster is not positive definite.
    NotPositiveDefinite,
}

impl std::fmt::Display for ClusterProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClusterProblem::Missing => write!(f, "has no cluster label"),
            ClusterProblem::LengthMismatch { expected, got } => {
                write!(f, "must have {expected} labels (one per effect), got {got}")
            }
            ClusterProblem::TooFewClusters {
                clusters,
                coefficients,
            } => write!(
                f,
                "gives {clusters} clusters for {coefficients} coefficients (needs more clusters than coefficients)"
            ),
            ClusterProblem::SplitsModelBlock => write!(
                f,
                "splits a block of the working model (robust clusters must contain whole model clusters)"
            ),
            ClusterProblem::NotPositiveDefinite => {
                write!(f, "has a working covariance that is not positive definite")
            }
        }
    }
}

pub(super) fn cluster_error(
    cluster: Option<&str>,
    row: Option<usize>,
    problem: ClusterProblem,
) -> Error {
    Error::InvalidRobustCluster {
        cluster: cluster.map(str::to_string),
        row,
        problem,
    }
}

/// The clusters of a cluster-robust analysis: a label per effect (any text; effects with the
/// same label form one cluster), grouped in the order clusters first appear.
///
/// ```
/// use metapool::robust::Clusters;
/// let c = Clusters::new(&["s1", "s1", "s2", "s3", "s3"])?;
/// assert_eq!(c.len(), 3);
/// assert_eq!(c.rows(0), [0, 1]);
/// assert_eq!(c.label(2), "s3");
/// // a missing label is an error naming the row
/// assert!(Clusters::new(&["s1", "", "s2"]).is_err());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Clusters {
    labels: Vec<String>,
    /// Rows of all clusters, cluster after cluster.
    rows: Vec<usize>,
    /// `rows[start[j]..start[j + 1]]` are the rows of cluster `j`.
    start: Vec<usize>,
    k: usize,
}

impl Clusters {
    /// Clusters from one label per effect. A missing (empty or blank) label is an error naming
    /// the row.
    pub fn new<S: AsRef<str>>(labels: &[S]) -> Result<Clusters> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut names: Vec<String> = Vec::new();
        let mut of_row = Vec::with_capacity(labels.len());
        for (i, l) in labels.iter().enumerate() {
            let l = l.as_ref();
            if l.trim().is_empty() {
                return Err(cluster_error(None, Some(i), ClusterProblem::Missing));
            }
            let next = names.len();
            let j = *index.entry(l).or_insert(next);
            if j == next {
                names.push(l.to_string());
            }
            of_row.push(j);
        }
        let mut start = vec![0usize; names.len() + 1];
        for &j in &of_row {
            start[j + 1] += 1;
        }
        for j in 0..names.len() {
            start[j + 1] += start[j];
        }
        let mut fill = start.clone();
        let mut rows = vec![0usize; of_row.len()];
        for (i, &j) in of_row.iter().enumerate() {
            rows[fill[j]] = i;
            fill[j] += 1;
        }
        Ok(Clusters {
            labels: names,
            rows,
            start,
            k: labels.len(),
        })
    }

    /// Number of clusters `m`.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// Whether there are no clusters (no effects).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Number of effects `k`.
    pub fn effects(&self) -> usize {
        self.k
    }
    /// The rows (0-based effect positions, increasing) of cluster `j`.
    pub fn rows(&self, j: usize) -> &[usize] {
        &self.rows[self.start[j]..self.start[j + 1]]
    }
    /// The label of cluster `j`.
    pub fn label(&self, j: usize) -> &str {
        &self.labels[j]
    }
    /// The number of effects in each cluster.
    pub fn sizes(&self) -> Vec<usize> {
        self.start.windows(2).map(|w| w[1] - w[0]).collect()
    }
}
