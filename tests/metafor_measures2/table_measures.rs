//! The 2x2-table measures of `metafor_measures2.rs` (not yet wired).

use metapool::{effect::StudyEffect, Error};
use serde_json::Value;

pub fn effect_of(measure: &str, _entry: &Value, _i: usize) -> Result<StudyEffect, Error> {
    panic!("measure {measure} is not wired in the test")
}
