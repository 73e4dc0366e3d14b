//! Small-study effects and publication bias: Egger's regression test, Begg and Mazumdar's rank
//! correlation test, and Duval and Tweedie's trim-and-fill, with metafor's definitions
//! (`regtest`, `ranktest`, `trimfill`).

mod rank;
mod regression;
mod trim_fill;

pub use rank::{rank_test, RankPValue, RankTest};
pub use regression::{regression_test, regression_test_on, EggerModel, Predictor, RegressionTest};
pub use trim_fill::{trim_and_fill, MissingEstimator, Side, SideRule, TrimFill, TrimFillOptions};

use crate::effect::EffectSet;

fn standard_errors(set: &EffectSet) -> Vec<f64> {
    set.effects().iter().map(|e| e.se()).collect()
}
