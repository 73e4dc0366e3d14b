//! Helpers shared by the end-to-end tests: run the binary, read fixtures, compare with metafor.
#![allow(dead_code)]

pub use serde_json::Value;
use std::path::PathBuf;
pub use std::process::{Command, Output, Stdio};

pub const REL: f64 = 1e-10;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn fixture(rel: &str) -> String {
    root()
        .join("fixtures")
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_metapool"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

pub fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "metapool {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

pub fn run_json(args: &[&str]) -> Vec<Value> {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let text = run_ok(&a);
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    v["analyses"].as_array().expect("analyses").clone()
}

/// Exit status 2 and the stderr text.
pub fn run_fail(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "metapool {args:?} should exit with 2; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn close(what: &str, got: f64, want: f64) {
    let tol = REL * got.abs().max(want.abs());
    assert!(
        (got - want).abs() <= tol || (got - want).abs() < 1e-300,
        "{what}: got {got:e}, metafor {want:e} (rel diff {:e})",
        ((got - want) / want).abs()
    );
}

pub fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what}: expected a number, got {v}"))
}

pub fn core() -> Value {
    let text = std::fs::read_to_string(fixture("metafor/core.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Compare one analysis (or fit object) with a metafor fit.
pub fn compare_fit(ctx: &str, got: &Value, want: &Value) {
    compare_keys(
        ctx,
        got,
        want,
        &[
            "estimate", "se", "ci_lower", "ci_upper", "z", "p", "q", "i2", "h2", "tau2",
        ],
    );
    let tau2 = num(&got["tau2"], "tau2");
    close(&format!("{ctx} tau"), num(&got["tau"], "tau"), tau2.sqrt());
    // Prediction intervals: only random-effects fits have one.
    assert_eq!(
        got["pi_lower"].is_null(),
        got["model"] == "fixed" || got["tau2"].is_null(),
        "{ctx} pi"
    );
}

/// Compare `keys`, `q_df`, `k` and `q_p` of one analysis (or fit object) with a reference.
pub fn compare_keys(ctx: &str, got: &Value, want: &Value, keys: &[&str]) {
    for &key in keys {
        close(
            &format!("{ctx} {key}"),
            num(&got[key], key),
            num(&want[key], key),
        );
    }
    assert_eq!(got["q_df"], want["q_df"], "{ctx} q_df");
    assert_eq!(got["k"], want["k"], "{ctx} k");
    // metafor writes q_p = 1 for k = 1; the tool writes null (no test is possible).
    if want["q_df"].as_u64() == Some(0) {
        assert!(
            got["q_p"].is_null(),
            "{ctx} q_p should be null for one study"
        );
    } else {
        close(
            &format!("{ctx} q_p"),
            num(&got["q_p"], "q_p"),
            num(&want["q_p"], "q_p"),
        );
    }
}

/// The per-study weights of an analysis (input order, null for excluded) against metafor's
/// weights of the included studies.
pub fn compare_weights(ctx: &str, weights: &[Option<f64>], dataset: &Value, fit: &Value) {
    let included: Vec<usize> = dataset["included"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap() as usize)
        .collect();
    let want = fit["weights_percent"].as_array().unwrap();
    assert_eq!(included.len(), want.len());
    for (pos, w) in weights.iter().enumerate() {
        match included.iter().position(|&i| i == pos) {
            Some(j) => close(
                &format!("{ctx} weight of study {pos}"),
                w.expect("an included study has a weight"),
                num(&want[j], "weight"),
            ),
            None => assert!(w.is_none(), "{ctx}: excluded study {pos} has a weight"),
        }
    }
}

pub fn study_weights(a: &Value) -> Vec<Option<f64>> {
    a["studies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["weight"].as_f64())
        .collect()
}

pub fn fit_weights(f: &Value) -> Vec<Option<f64>> {
    f["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_f64())
        .collect()
}
