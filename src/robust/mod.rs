//! Cluster-robust (sandwich) inference for fitted meta-analytic models: CR1 as metafor's
//! `robust()` computes it, and CR2 (bias-reduced linearization) with Satterthwaite degrees of
//! freedom and the HTZ Wald test as clubSandwich computes them.
//!
//! Every model that can be made robust exposes itself as a [`WorkingModel`]: the model matrix
//! `X`, the outcomes `y`, the estimates `b`, and the working model's marginal covariance
//! `M = V + Z G Z'` with its inverse, the weight matrix `W = M^{-1}`, restricted to the rows of
//! one cluster. For `rma.uni`-type fits `M` is diagonal (`v_i + tau²`); for multilevel and
//! multivariate fits it is block diagonal by the model's own clusters.
//!
//! ```text
//! b = (X'WX)^{-1} X'W y,   e = y - X b
//! sandwich:  V_R = B (Σ_j X_j' W_j A_j e_j e_j' A_j' W_j X_j) B,   B = (X'WX)^{-1}
//! CR1: A_j = I, times m / (m - p)            (metafor robust(), clubSandwich "CR1")
//! CR2: A_j = (I - H_jj)^{-1/2} adjusted to the working model (Pustejovsky & Tipton 2018)
//! ```
//!
//! Sources: Hedges, Tipton & Johnson (2010), Res Synth Methods 1:39-65; Pustejovsky & Tipton
//! (2018), J Bus Econ Stat 36:672-683; Tipton & Pustejovsky (2015), J Educ Behav Stat
//! 40:604-634; metafor's `robust()` and clubSandwich's `vcovCR`, `coef_test`, `Wald_test`.
//!
//! - [`Clusters`]: one label per effect, validated (a missing label names its row).
//! - [`ClusterRobust`] with a [`RobustVariance`] (CR1 or CR2) turns any [`WorkingModel`] into a
//!   [`RobustFit`]: the robust covariance, each coefficient's SE, t, df, p and CI, and the
//!   omnibus test (metafor's robust `QM`); [`RobustFit::wald_test`] tests any constraints.
//! - The kernels work cluster by cluster (see `sandwich.rs` and `htz.rs` for the formulas and
//!   their cost): memory linear in the number of effects, no `k x k` matrix, and the
//!   Satterthwaite/HTZ degrees of freedom from sums over clusters of `p x p` products instead
//!   of clubSandwich's `m x m` arrays.
//! - Verified against metafor 3.8 and clubSandwich 0.5.8 (`tests/metafor_robust.rs`): rma.uni
//!   fits (FE, DL, REML) and rma.mv fits (three-level, CHE) at 1e-9 relative.
//!
//! ```
//! use metapool::effect::EffectSet;
//! use metapool::regression::{MetaRegression, Moderators};
//! use metapool::robust::{ClusterRobust, Clusters, RobustVariance};
//! // dat.bcg (metafor): log risk ratios, variances, absolute latitude, allocation
//! let yi = [-0.8893, -1.5854, -1.3481, -1.4416, -0.2175, -0.7861, -1.6209, 0.0120, -0.4694,
//!           -1.3713, -0.3394, 0.4459, -0.0173];
//! let vi = [0.3256, 0.1946, 0.4154, 0.0200, 0.0512, 0.0069, 0.2230, 0.0040, 0.0564,
//!           0.0730, 0.0124, 0.5325, 0.0714];
//! let ablat = [44.0, 55.0, 42.0, 52.0, 13.0, 44.0, 19.0, 13.0, 27.0, 42.0, 18.0, 33.0, 33.0];
//! let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
//!     "random", "random", "systematic", "systematic", "systematic", "systematic"];
//! let set = EffectSet::from_estimates(&yi, &vi)?;
//! let x = Moderators::new(13).continuous("ablat", &ablat)?.matrix()?;
//! let fit = MetaRegression::default().fit(&set, &x)?;
//! let clusters = Clusters::new(&alloc)?;
//! let cr2 = ClusterRobust::new(RobustVariance::Cr2).fit(&fit, &clusters)?;
//! // metafor robust(res, cluster = alloc, clubSandwich = TRUE): ablat se 0.0045, df 1.52
//! let slope = &cr2.coefficients()[1];
//! assert!((slope.se - 0.0045).abs() < 5e-5 && (slope.df - 1.52).abs() < 0.01);
//! let cr1 = ClusterRobust::new(RobustVariance::Cr1).fit(&fit, &clusters)?;
//! assert_eq!(cr1.coefficients()[1].df, 1.0); // m - p
//! println!("{cr2}"); // metafor's print of a robust.rma object (the robust part)
//! # Ok::<(), metapool::Error>(())
//! ```
//!
//! # Differences from metafor and clubSandwich
//! - A robust cluster must contain whole blocks of the working model (clubSandwich requires
//!   the same; metafor's CR1 for rma.mv would use the full `M^{-1}`); otherwise the error names
//!   the cluster.
//! - metafor's CR1 takes its bread from the fit's `vb`, which under `test = "knha"` is scaled
//!   by the Knapp-Hartung factor; here the bread is always `(X'WX)^{-1}` (the `z`/`t` fits of
//!   metafor, and every clubSandwich result, agree).
//! - `G^{-1/2}` and `Ω^{-1/2}` drop eigenvalues at or below `1e-12` of the largest
//!   (clubSandwich: `1e-12` absolute on its weight-scaled matrices), and `Ω` is first scaled
//!   to unit diagonal: on an ill-conditioned design (an intercept next to a raw year,
//!   `cond(V_R)` about 5e11) clubSandwich's HTZ `F` is 1.4e-7 from the exact value, which the
//!   same test on a centred design reproduces (`fixtures/metafor/robust_conditioning.json`).
//!
//! # The correlated-hierarchical-effects (CHE) working model
//! The recipe of Pustejovsky & Tipton (2022, Prev Sci 23:425-438) for dependent effect sizes
//! whose sampling covariances are unknown:
//! 1. Impute the sampling covariance `V` within each study from the variances and an assumed
//!    correlation `rho` (clubSandwich `impute_covariance_matrix(vi, cluster = study, r = rho)`,
//!    metafor `vcalc(vi, cluster = study, obs = es, rho = rho)`): `V_ij = rho sqrt(v_i v_j)`.
//! 2. Fit the multilevel model with random effects for studies and effects within studies on
//!    that `V` (metafor `rma.mv(yi, V, random = ~ 1 | study/es)`; here the `multilevel`
//!    module's fit, whose `M = V + Z G Z'` is block diagonal by study).
//! 3. Make it robust with CR2 clustered by study (`ClusterRobust::new(RobustVariance::Cr2)
//!    .fit(&mv_fit, &Clusters::new(&study)?)`): the working model is only a working model, the
//!    robust SEs, Satterthwaite df and HTZ tests stay valid if `rho` or the random-effects
//!    structure is wrong. The fixture `assink2016_che_rho06` (dat.assink2016, `rho = 0.6`) is
//!    this recipe, matched at 1e-9 through a test working model built from metafor's `M`, and
//!    end to end through the `multilevel` fit (tests/che_recipe.rs, at 1e-5: metafor's REML
//!    optimum is looser than ours). On the command line: `metapool mv --random "study/es"
//!    --rho 0.6 --robust CR2 --cluster study`.

mod clusters;
mod fit;
mod htz;
mod result;
mod sandwich;
mod uni;

pub use clusters::{ClusterProblem, Clusters};
pub use fit::{ClusterRobust, RobustVariance};
pub use result::{RobustCoefficient, RobustFit, RobustWaldTest};

use crate::regression::ModelMatrix;
use nalgebra::DMatrix;

/// A fitted model as cluster-robust inference sees it.
///
/// `rows` arguments are indices into the model's effects (`0..k`), in the order the caller
/// wants the block's rows and columns.
pub trait WorkingModel {
    /// The model matrix `X` (`k x p`).
    fn model_matrix(&self) -> &ModelMatrix;
    /// The observed outcomes `y` (length `k`).
    fn outcomes(&self) -> &[f64];
    /// The estimated coefficients `b` (length `p`), in the order of `X`'s columns.
    fn estimates(&self) -> Vec<f64>;
    /// The working model's marginal covariance `M` restricted to `rows` (`M[rows, rows]`).
    fn marginal_covariance(&self, rows: &[usize]) -> DMatrix<f64>;
    /// The weight matrix `W = M^{-1}` restricted to `rows`, or `None` when `rows` split one of
    /// the model's own blocks (then `W[rows, rows]` is not the inverse of `M[rows, rows]`, and a
    /// robust cluster must contain whole model clusters).
    fn weights(&self, rows: &[usize]) -> Option<DMatrix<f64>>;
}
