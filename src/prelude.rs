//! The names a first analysis needs: `use metapool::prelude::*;`.
//!
//! Effect sizes and their inputs, [`EffectSet`], the pooling models ([`FixedModel`],
//! [`RandomModel`], [`Pooler`] and their options), the Q-test [`ModelRule`], subgroup
//! analysis, the result [`Pooled`] and the crate's [`Error`].
//!
//! ```
//! use metapool::prelude::*;
//! let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
//! let fit: Pooled = RandomModel::default().with_test(Test::KnappHartung).pool(&set)?;
//! assert_eq!(fit.df, Some(2));
//! # Ok::<(), Error>(())
//! ```
//!
//! What the prelude promises (issue 10), checked when this compiles: the effect sizes,
//! `EffectSet`, the models, `ModelRule`, `Pooled` and `Error` are in scope.
//! ```
//! use metapool::prelude::*;
//! #[allow(clippy::too_many_arguments)]
//! fn in_scope(
//!     _effect_sizes: (MeanDifference, StandardizedMeanDifference, PrePostMeanDifference, LogOddsRatio,
//!         LogRiskRatio, RiskDifference, PetoOddsRatio, ProportionEffect, FisherZ, Generic, Effect),
//!     _set: EffectSet,
//!     _models: (FixedModel, RandomModel, Pooler, SubgroupAnalysis),
//!     _rule: ModelRule,
//!     _result: Pooled,
//!     _error: Error,
//! ) {
//! }
//! ```

pub use crate::effect::{
    Arm, BinaryMeasure, ContinuityCorrection, CorrectionRule, Correlation, Effect, EffectSet,
    EffectSize, FisherZ, Generic, LogOddsRatio, LogRiskRatio, MeanDifference, PetoOddsRatio,
    PrePost, PrePostMeanDifference, Proportion, ProportionEffect, ProportionTransform,
    RiskDifference, Scale, SmdConvention, StandardizedMeanDifference, StudyEffect, TwoByTwo,
};
pub use crate::error::Error;
pub use crate::inference::ConfidenceLevel;
pub use crate::pool::{
    FixedMethod, FixedModel, Model, ModelChoice, ModelRule, Pooled, Pooler, RandomModel, Selection,
    SubgroupAnalysis, SubgroupModel, Tau2Estimator, Test,
};
