//! The options of `metapool regress`.

use crate::args::{InputArgs, ModelArgs, OutputArgs};
use clap::Args;

/// `metapool regress`.
#[derive(Debug, Args)]
pub struct RegressArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub model: ModelArgs,

    /// The moderators, as the right-hand side of metafor's `mods = ~ ...`: column names
    /// joined by `+`, `factor(g)` for a categorical column, `a:b` for an interaction, `- 1`
    /// for no intercept; e.g. "ablat + factor(alloc) + ablat:year".
    #[arg(long, value_name = "FORMULA")]
    pub mods: String,

    /// The coefficients of the omnibus test of moderators (QM), 1-based as metafor's `btt`,
    /// e.g. `2,3` [default: all but the intercept].
    #[arg(long, value_name = "J,K,...", value_delimiter = ',')]
    pub btt: Option<Vec<usize>>,

    /// The reference level of a categorical moderator, e.g. `alloc=random` [default: its
    /// first level in the file]; repeat for several.
    #[arg(long, value_name = "G=LEVEL")]
    pub reference: Vec<String>,

    /// Predictions at new moderator values (metafor's `predict(fit, newmods = ...)`): a CSV
    /// whose columns are named by the coefficients (all but `intrcpt`, e.g. `ablat`,
    /// `allocrandom`), one prediction per row.
    #[arg(long, value_name = "FILE")]
    pub newmods: Option<std::path::PathBuf>,

    /// Permutation tests of the coefficients and of QM (metafor's `permutest`): every
    /// distinct arrangement when there are at most N, otherwise N random permutations.
    #[arg(long, value_name = "N")]
    pub permutations: Option<u64>,

    /// Seed of the random permutations.
    #[arg(long, value_name = "S", default_value_t = 1, requires = "permutations")]
    pub seed: u64,

    #[command(flatten)]
    pub robust: crate::robust::RobustArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}
