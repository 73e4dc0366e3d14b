//! Meta-regression with any moderators, as metafor 3.8 `rma(yi, vi, mods = ~ ...)`: the
//! mixed-effects model
//! ```text
//! y_i = x_i' b + u_i + e_i,   u_i ~ N(0, tau2),   e_i ~ N(0, v_i)
//! ```
//! (fixed effects: `tau2 = 0`) with every tau² estimator metafor allows with moderators (DL,
//! HE, HS, HSk, SJ, ML, REML, EB, PM, PMM), the tests z, t, knha and adhoc, the omnibus test
//! of moderators (QM), residual heterogeneity (QE, tau², I², H²), pseudo-R² and fit
//! statistics; predictions at new moderator values, BLUPs, fitted values and residuals;
//! permutation tests (`permutest`), Wald tests of linear combinations and likelihood-ratio
//! tests (`anova`), and the Q-profile interval of the residual tau² (`confint`).
//!
//! - [`Moderators`] and [`Factor`] build the [`ModelMatrix`] (continuous and categorical
//!   moderators, interactions, with or without an intercept; a redundant column is an error
//!   naming it).
//! - [`MetaRegression`] fits it ([`RegressionFit`]); tau² comes from the same estimators as
//!   every other model (`pool::tau2`, written once over a design), here over a model matrix
//!   with any number of columns by a QR decomposition of `W^(1/2) X`.
//!
//! ```
//! use metapool::effect::EffectSet;
//! use metapool::regression::{MetaRegression, Moderators};
//! use metapool::pool::Tau2Estimator;
//! // dat.bcg (metafor): log risk ratios, variances and absolute latitude
//! let yi = [-0.8893, -1.5854, -1.3481, -1.4416, -0.2175, -0.7861, -1.6209, 0.0120, -0.4694,
//!           -1.3713, -0.3394, 0.4459, -0.0173];
//! let vi = [0.3256, 0.1946, 0.4154, 0.0200, 0.0512, 0.0069, 0.2230, 0.0040, 0.0564,
//!           0.0730, 0.0124, 0.5325, 0.0714];
//! let ablat = [44.0, 55.0, 42.0, 52.0, 13.0, 44.0, 19.0, 13.0, 27.0, 42.0, 18.0, 33.0, 33.0];
//! let set = EffectSet::from_estimates(&yi, &vi)?;
//! let x = Moderators::new(13).continuous("ablat", &ablat)?.matrix()?;
//! let fit = MetaRegression::random(Tau2Estimator::RestrictedMaximumLikelihood).fit(&set, &x)?;
//! let slope = &fit.coefficients()[1];
//! assert!((slope.estimate - -0.0291).abs() < 5e-4); // metafor: -0.0291 (SE 0.0072)
//! println!("{fit}");
//! # Ok::<(), metapool::Error>(())
//! ```

mod anova;
mod confint;
mod design;
mod factor;
mod fit;
mod linalg;
mod matrix;
mod permutation;
mod predict;
mod projection;
mod r2;
pub(crate) mod result;

pub use anova::{Combination, LikelihoodRatioTest, WaldTest};
pub use design::{Intercept, ModeratorProblem, Moderators};
pub use factor::{Factor, LevelOrder};
pub use fit::{MetaRegression, RegressionModel};
pub use matrix::ModelMatrix;
pub use permutation::{PermutationTest, Permutations};
pub use predict::{Blup, Prediction, Residual};
pub use result::{Coefficient, FitStatistics, ModeratorTest, RegressionFit, ResidualHeterogeneity};
