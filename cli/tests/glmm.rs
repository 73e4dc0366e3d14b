//! `metapool pool --method GLMM` end to end: the JSON fields of the contract and agreement with
//! metafor's `rma.glmm` (`fixtures/metafor/glmm.json`) on dat.nielweise2007 (odds ratios) and
//! dat.nielweise2008 (rate ratios, read from `events1,time1,events2,time2`), at 1e-6 relative
//! (the tolerance of `tests/metafor_glmm.rs` for these models); bad input is an error naming
//! the line.

mod common;
use common::*;

fn reference(name: &str, measure: &str, model: &str, method: &str) -> Value {
    let text = std::fs::read_to_string(fixture("metafor/glmm.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["name"] == name
                && c["measure"] == measure
                && c["model"] == model
                && c["method"] == method
        })
        .unwrap_or_else(|| panic!("{name} {measure} {model} {method} in glmm.json"))["result"]
        .clone()
}

fn check(got: &Value, want: &Value) {
    let rel = |a: f64, b: f64| ((a - b) / b).abs();
    let e = num(&got["estimate"], "estimate");
    assert!(
        rel(e, want["beta"][0].as_f64().unwrap()) < 1e-6,
        "estimate {e} vs {}",
        want["beta"][0]
    );
    let se = num(&got["se"], "se");
    assert!(
        rel(se, want["se"][0].as_f64().unwrap()) < 2e-6,
        "se {se} vs {}",
        want["se"][0]
    );
    let t = num(&got["tau2"], "tau2");
    assert!(
        (t - want["tau2"].as_f64().unwrap()).abs() < 1e-6,
        "tau2 {t} vs {}",
        want["tau2"]
    );
    let ll = num(&got["loglik"], "loglik");
    assert!(
        rel(ll, want["loglik"].as_f64().unwrap()) < 1e-7,
        "loglik {ll} vs {}",
        want["loglik"]
    );
    let lrt = num(&got["lrt_het"]["statistic"], "lrt");
    assert!(
        rel(lrt, want["qe_lrt"].as_f64().unwrap()) < 1e-6,
        "lrt {lrt} vs {}",
        want["qe_lrt"]
    );
    assert_eq!(got["lrt_het"]["df"].as_f64(), want["qe_df"].as_f64());
    assert_eq!(got["k"].as_f64(), want["k"].as_f64());
    for key in ["ci_lower", "ci_upper", "z", "p", "wald_het", "glmm_model"] {
        assert!(!got[key].is_null(), "{key} present");
    }
}

#[test]
fn odds_ratio_glmm_matches_metafor() {
    let path = fixture("cli/glmm_nielweise2007.csv");
    let got = run_json(&[
        "pool",
        "--measure",
        "OR",
        "--method",
        "GLMM",
        "--glmm-model",
        "CM.AL",
        "--model",
        "random",
        &path,
    ]);
    assert_eq!(got[0]["glmm_model"], "CM.AL");
    check(&got[0], &reference("nielweise2007", "OR", "CM.AL", "ML"));
    let fixed = run_json(&[
        "pool",
        "--measure",
        "OR",
        "--method",
        "GLMM",
        "--model",
        "fixed",
        &path,
    ]);
    check(&fixed[0], &reference("nielweise2007", "OR", "UM.FS", "FE"));
}

#[test]
fn rate_ratio_glmm_reads_time_columns() {
    let path = fixture("cli/glmm_nielweise2008.csv");
    let got = run_json(&[
        "pool",
        "--measure",
        "IRR",
        "--method",
        "GLMM",
        "--glmm-model",
        "CM.EL",
        "--model",
        "random",
        &path,
    ]);
    check(&got[0], &reference("nielweise2008", "IRR", "CM.EL", "ML"));
    // the printout in metafor's layout
    let text = run_ok(&["pool", "--measure", "IRR", "--method", "GLMM", &path]);
    assert!(
        text.contains("Model Type: Unconditional Model with Fixed Study Effects"),
        "{text}"
    );
    // and the inverse-variance IRR of the same file
    let iv = run_json(&[
        "pool",
        "--measure",
        "IRR",
        "--model",
        "fixed",
        "--fixed-method",
        "IV",
        &path,
    ]);
    assert_eq!(iv[0]["k"].as_f64(), Some(9.0));
}

#[test]
fn glmm_bad_input_names_the_line_or_option() {
    let msg = run_fail(&[
        "pool",
        "--measure",
        "RR",
        "--method",
        "GLMM",
        &fixture("cli/glmm_nielweise2007.csv"),
    ]);
    assert!(
        msg.contains("--method GLMM takes --measure OR, PLO, IRR or IRLN"),
        "{msg}"
    );
    let dir = std::env::temp_dir().join(format!("metapool-glmm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "study,events1,time1,events2,time2\na,1,10,2,12\nb,3,-1,4,9\n",
    )
    .unwrap();
    let msg = run_fail(&[
        "pool",
        "--measure",
        "IRR",
        "--method",
        "GLMM",
        bad.to_str().unwrap(),
    ]);
    assert!(msg.contains("line 3") && msg.contains("time1"), "{msg}");
}

/// `--ci t`: metafor's `rma.glmm(test = "t")` (fixtures/metafor/glmm_t.json, dat.pritz1997,
/// PLO random effects): t on k - 1 = 13 df; `--ci hk` is refused.
#[test]
fn glmm_t_test_matches_metafor() {
    let text = std::fs::read_to_string(fixture("metafor/glmm_t.json")).unwrap();
    let fx: Value = serde_json::from_str(&text).unwrap();
    let case = fx["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "pritz1997" && c["method"] == "ML")
        .unwrap();
    let (x, n) = (&case["input"]["xi"], &case["input"]["ni"]);
    let mut csv = String::from("study,events,total\n");
    for i in 0..x.as_array().unwrap().len() {
        csv.push_str(&format!("s{i},{},{}\n", x[i], n[i]));
    }
    let dir = std::env::temp_dir().join(format!("metapool-glmm-t-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pritz.csv");
    std::fs::write(&path, csv).unwrap();
    let p = path.to_string_lossy().into_owned();
    let args = [
        "pool",
        "--measure",
        "PLO",
        "--method",
        "GLMM",
        "--model",
        "random",
        "--ci",
        "t",
        &p,
    ];
    let got = &run_json(&args)[0];
    let r = &case["result"];
    assert_eq!(got["df"].as_f64(), r["ddf"].as_f64());
    let rel = |a: f64, b: f64| ((a - b) / b).abs();
    for (key, want) in [
        ("z", "t"),
        ("ci_lower", "ci_lower"),
        ("ci_upper", "ci_upper"),
    ] {
        let (g, w) = (num(&got[key], key), r[want][0].as_f64().unwrap());
        assert!(rel(g, w) < 1e-6, "{key} {g} vs {w}");
    }
    let (g, w) = (num(&got["p"], "p"), r["p"][0].as_f64().unwrap());
    assert!(rel(g, w) < 1e-5, "p {g} vs {w}");
    let err = run_fail(&[
        "pool",
        "--measure",
        "PLO",
        "--method",
        "GLMM",
        "--ci",
        "hk",
        &p,
    ]);
    assert!(err.contains("--ci"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
