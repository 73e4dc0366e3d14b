//! # metapool
//!
//! Meta-analysis in Rust: turn per-study data into effect sizes, pool them with fixed- and
//! random-effects models, measure heterogeneity, and report the figures RevMan 5 and R's metafor
//! print — checked against both, and without panicking on messy input.
//!
//! Every number takes one path:
//! ```text
//! study data --EffectSize--> EffectSet { effects, labels, 2x2 tables } --Pooler--> Pooled
//!   Pooler = FixedModel (inverse variance | Mantel-Haenszel OR, RR, RD | Peto)
//!          | RandomModel (any tau² estimator, any test, tau² from the IV or the MH Q)
//!   ModelRule: fits its fixed and random models, picks by the Q test
//! EffectSet + labels --SubgroupAnalysis--> Subgroups (each Pooled, test for differences)
//! published figures --report--> consistency verdicts (rounding-aware)
//! EffectSet + Pooler --sensitivity--> leave-one-out, cumulative, influence diagnostics
//!                    --bias--> Egger regression test, Begg rank test, trim-and-fill
//!                    --plot::Funnel--> SVG funnel plot
//! ```
//!
//! A first analysis (the README's) with the names of [`prelude`]:
//! ```
//! use metapool::prelude::*;
//!
//! let studies = [
//!     MeanDifference::new(Arm::new(2.1, 1.0, 30.0)?, Arm::new(3.0, 1.1, 30.0)?)?,
//!     MeanDifference::new(Arm::new(1.8, 0.9, 25.0)?, Arm::new(2.9, 1.2, 27.0)?)?,
//!     MeanDifference::new(Arm::new(2.5, 1.3, 40.0)?, Arm::new(2.6, 1.0, 41.0)?)?,
//! ];
//! let set = EffectSet::from_studies(&studies)?.with_labels(["Ash 2001", "Bell 2004", "Cole 2009"])?;
//! let selection = ModelRule::default().select(&set)?; // random effects if the Q-test p < 0.10
//! let fit = selection.selected();
//! println!("{selection}"); // the model rule's reason, the studies, the pooled row, heterogeneity
//! println!("MD {:.2} ({:.2}, {:.2}), p = {:.4}", fit.estimate, fit.ci_lower, fit.ci_upper, fit.p);
//! # assert_eq!(fit.studies[1].label.as_deref(), Some("Bell 2004"));
//! # Ok::<(), metapool::Error>(())
//! ```
//!
//! 2x2 tables, pooled by any method (the tables travel with the set):
//! ```
//! use metapool::prelude::*;
//!
//! let tables = [(4, 16, 8, 12), (1, 29, 5, 25), (0, 20, 0, 20)]
//!     .map(|(a, b, c, d)| LogOddsRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
//! let set = EffectSet::from_studies(&tables)?;
//! let revman = ModelRule::default().mantel_haenszel().select(&set)?; // "M-H, Fixed" / "M-H, Random"
//! let peto = FixedModel::peto().pool(&set)?;
//! # assert_eq!((revman.fixed.k, peto.k, peto.excluded.len()), (2, 2, 1));
//! # Ok::<(), metapool::Error>(())
//! ```
//!
//! ## Conventions
//! - Inputs are validated at construction and again before use; invalid input is a typed
//!   [`Error`] naming the study (0-based position) and the field.
//! - Ratio measures are analysed on the log scale; [`Pooled::display`](crate::pool::Pooled::display) back-transforms.
//! - Agreement with metafor is tested at 1e-10 relative for closed forms and 1e-8 for iterative
//!   estimators (see `tests/metafor_core.rs`, `tests/metafor_measures.rs`,
//!   `tests/metafor_estimators.rs`, `tests/metafor_sensitivity.rs` and `fixtures/metafor/`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[macro_use]
mod validated;

pub mod batch;
pub mod bias;
pub mod catalogue;
pub mod effect;
mod error;
pub mod glmm;
pub mod gwas;
pub mod heterogeneity;
pub mod inference;
pub mod multilevel;
pub mod numeric;
pub mod plot;
pub mod pool;
pub mod prelude;
pub mod print;
pub mod regression;
pub mod report;
pub mod robust;
pub mod sensitivity;
mod tails;

pub use error::{Error, Problem, Result};
