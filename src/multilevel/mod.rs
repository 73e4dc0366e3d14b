//! Multilevel and multivariate meta-analytic models with a known sampling covariance, as
//! metafor 3.8 `rma.mv` fits them: nested random effects (`random = ~ 1 | study/es`, any
//! number of levels), crossed terms of them (`random = list(~ 1 | study/es, ~ 1 | lab)`), or
//! correlated random effects per outcome within clusters
//! (`random = ~ outcome | study`, `struct = "CS" | "HCS" | "UN"`), estimated by REML or ML,
//! with moderators through [`ModelMatrix`](crate::regression::ModelMatrix).
//!
//! - [`SamplingCovariance`]: the known `V`, block diagonal (diagonal, constant within-cluster
//!   correlation as metafor `vcalc`, or blocks given per cluster).
//! - [`RandomEffects`]: the random-effect structure and with it the model's clusters.
//! - [`MultilevelModel`] fits [`MultilevelFit`]: variance components, coefficients, QM, QE,
//!   fit statistics, the multilevel I², profile-likelihood intervals, predictions and BLUPs.
//!
//! The marginal covariance `M = V + Z G Z'` is block diagonal by the outermost clusters (for
//! crossed terms: by the connected components of the rows sharing a group), so
//! every computation runs cluster by cluster on small dense blocks (a Cholesky factorisation
//! per block): time and memory are linear in the number of effects for bounded cluster
//! sizes. The fixed effects are profiled out (GLS) and the (restricted) log-likelihood is
//! maximised over the variance parameters by Fisher scoring with an active set for the
//! bounds (see [`VarianceStop`]), so a component on its boundary is exactly 0.

mod covariance;
mod fit;
mod likelihood;
mod optimise;
mod predict;
mod profile;
mod random;
mod result;
mod terms;
mod working;

pub use covariance::{ClusterProblem, SamplingCovariance};
pub use fit::{MultilevelModel, VarianceComponent, MAX_CLUSTER_EFFECTS};
pub use likelihood::Method;
pub use optimise::VarianceStop;
pub use predict::{GroupEffect, LevelEffects, MultilevelPrediction};
pub use profile::{ProfileBound, ProfileInterval};
pub use random::{CovarianceStructure, RandomEffects};
pub use result::{MultilevelFit, MultilevelI2, ResidualTest};
