//! Shared by the meta-regression tests: reading a metafor fixture and its number arrays, and
//! the benchmark's data (the same file as benches/regression.rs uses).

// each test crate that includes this module uses a part of it
#![allow(dead_code)]

use serde_json::Value;

#[path = "../../benches/regression_common/data.rs"]
pub mod data;

/// `fixtures/metafor/<name>` parsed.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/metafor/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture present");
    serde_json::from_str(&text).expect("valid JSON")
}

/// A JSON array of numbers.
pub fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("array: {v}"))
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}
