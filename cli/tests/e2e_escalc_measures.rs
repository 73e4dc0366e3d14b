//! End-to-end tests of the measures of issue 18 (`fixtures/metafor/measures2.json`, written by
//! `fixtures/metafor/generate_measures2.R`): each dataset whose studies escalc computes is written
//! as a CSV with metafor's argument names as the header (`m1i, sd1i, ni, ri, ai, mi, ti, r2i, ...`),
//! which the CLI reads through its column aliases; every study's estimate and SE must agree with
//! escalc's yi and sqrt(vi) at 1e-12 relative. Also the Cochran-Mantel-Haenszel and Tarone
//! fields of an MH odds-ratio fit against rma.mh.

mod common;
use common::*;

fn measures2() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("metafor/measures2.json")).unwrap())
        .unwrap()
}

fn rel_close(what: &str, got: f64, want: f64, rel: f64) {
    let tol = rel * want.abs().max(1e-300);
    assert!(
        (got - want).abs() <= tol || (want == 0.0 && got.abs() < 1e-15),
        "{what}: got {got:e}, metafor {want:e}"
    );
}

/// The CSV of a 2x2 entry (ai, bi, ci, di) as ai, n1i, ci, n2i; others as they are.
fn csv_of(entry: &Value) -> String {
    let inputs = entry["inputs"].as_object().unwrap();
    let col = |name: &str| -> Vec<f64> {
        inputs[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    let (names, columns): (Vec<String>, Vec<Vec<f64>>) = if inputs.contains_key("bi") {
        let (a, b, c, d) = (col("ai"), col("bi"), col("ci"), col("di"));
        let n1 = a.iter().zip(&b).map(|(a, b)| a + b).collect();
        let n2 = c.iter().zip(&d).map(|(c, d)| c + d).collect();
        (
            ["ai", "n1i", "ci", "n2i"].map(String::from).to_vec(),
            vec![a, n1, c, n2],
        )
    } else {
        inputs.keys().map(|k| (k.clone(), col(k))).unzip()
    };
    let mut out = format!("study,{}\n", names.join(","));
    for i in 0..columns[0].len() {
        let row: Vec<String> = columns.iter().map(|c| format!("{:?}", c[i])).collect();
        out.push_str(&format!("s{i},{}\n", row.join(",")));
    }
    out
}

#[test]
fn every_new_measure_reads_metafor_names_and_matches_escalc() {
    let fx = measures2();
    let dir = std::env::temp_dir().join(format!("metapool-escalc2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut checked = std::collections::BTreeSet::new();
    for (k, entry) in fx["escalc"].as_array().unwrap().iter().enumerate() {
        let measure = entry["measure"].as_str().unwrap();
        let args = entry["args"].as_object().map_or(0, |a| a.len());
        let (Some(yi), Some(vi)) = (entry["yi"].as_array(), entry["vi"].as_array()) else {
            continue;
        };
        // datasets whose every study escalc computes, with escalc's default arguments (RTET: its
        // Nelder-Mead values are not reproduced to 1e-12, see tests/metafor_measures2.rs)
        let complete = yi.iter().all(Value::is_number)
            && vi.iter().all(|v| v.as_f64().is_some_and(|x| x > 0.0))
            && entry["inputs"]
                .as_object()
                .unwrap()
                .values()
                .all(|c| c.as_array().unwrap().iter().all(Value::is_number));
        if args > 0 || !complete || measure == "RTET" {
            continue;
        }
        let path = dir.join(format!("{k}.csv"));
        std::fs::write(&path, csv_of(entry)).unwrap();
        let a = run_json(&[
            "pool",
            "--measure",
            measure,
            "--model",
            "fixed",
            path.to_str().unwrap(),
        ]);
        // UCOR: escalc's 1 - r^2 and GSL's 2F1 keep about 11 digits near r = 0 (the library
        // test `tests/metafor_measures2.rs` checks against mpmath)
        let tol = if measure == "UCOR" { 1e-10 } else { 1e-12 };
        let studies = a[0]["studies"].as_array().unwrap();
        assert_eq!(studies.len(), yi.len(), "{measure} {}", entry["dataset"]);
        for (i, s) in studies.iter().enumerate() {
            let what = format!("{measure} {} study {i}", entry["dataset"]);
            rel_close(
                &format!("{what} yi"),
                num(&s["estimate"], "estimate"),
                yi[i].as_f64().unwrap(),
                tol,
            );
            rel_close(
                &format!("{what} se"),
                num(&s["se"], "se"),
                vi[i].as_f64().unwrap().sqrt(),
                tol,
            );
        }
        checked.insert(measure.to_string());
    }
    std::fs::remove_dir_all(&dir).ok();
    let want = [
        "MC", "SMCC", "SMCR", "SMCRH", "ROMC", "ROM", "CVR", "VR", "MN", "MNLN", "CVLN", "SDLN",
        "AHW", "ABT", "COR", "UCOR", "PCOR", "ZPCOR", "SPCOR", "AS", "PHI", "YUQ", "YUY", "PBIT",
        "OR2DN", "OR2DL",
    ];
    for m in want {
        assert!(
            checked.contains(m),
            "no complete dataset checked for {m}: {checked:?}"
        );
    }
}

#[test]
fn mantel_haenszel_odds_ratio_reports_cmh_and_tarone() {
    let fx = measures2();
    let row = fx["mh_tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dataset"] == "bcg" && r["correct"] == true)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("metapool-cmh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bcg.csv");
    let mut entry = row.clone();
    entry["measure"] = Value::from("OR");
    std::fs::write(&path, csv_of(&entry)).unwrap();
    let a = run_json(&[
        "pool",
        "--measure",
        "OR",
        "--model",
        "fixed",
        path.to_str().unwrap(),
    ]);
    for (key, want) in [
        ("cmh", "cmh"),
        ("cmh_p", "cmh_p"),
        ("tarone", "tarone"),
        ("tarone_p", "tarone_p"),
    ] {
        rel_close(key, num(&a[0][key], key), num(&row[want], want), 1e-10);
    }
    assert_eq!(a[0]["tarone_df"], 12);
    let text = run_ok(&[
        "pool",
        "--measure",
        "OR",
        "--model",
        "fixed",
        path.to_str().unwrap(),
    ]);
    assert!(
        text.contains("Cochran-Mantel-Haenszel test: CMH = 135.69"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
