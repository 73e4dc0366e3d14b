//! End-to-end tests of `--robust CR1|CR2 --cluster COL` on `metapool regress` against metafor
//! 3.8 `robust()` and clubSandwich 0.5.8 (`fixtures/metafor/robust.json`, written by
//! `fixtures/metafor/generate_robust.R`): each rma.uni case with moderators is written as a
//! CSV (`study, yi, vi`, its model-matrix columns, `cluster`), run as `--measure GENERIC` with
//! its estimator, and the `robust` object of `--format json` is compared at 1e-9 relative
//! (p-values at 1e-7); the table prints the robust block; a missing cluster cell names its line.

mod common;
mod regress_support;
use common::*;
use regress_support::*;

fn strs_of(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// The case's CSV and its `--mods`.
fn case_csv(case: &Value) -> (String, String) {
    let names = strs_of(&case["x_names"]);
    let x = nums(&case["x"]);
    let (yi, vi, cl) = (
        nums(&case["yi"]),
        nums(&case["vi"]),
        strs_of(&case["cluster"]),
    );
    let k = yi.len();
    let mods: Vec<&String> = names.iter().filter(|n| *n != "intrcpt").collect();
    let mut text = format!(
        "study,yi,vi,{},cluster\n",
        mods.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    );
    for i in 0..k {
        let cols: Vec<String> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| *n != "intrcpt")
            .map(|(j, _)| format!("{:?}", x[j * k + i]))
            .collect();
        text.push_str(&format!(
            "s{i},{:?},{:?},{},{}\n",
            yi[i],
            vi[i],
            cols.join(","),
            cl[i]
        ));
    }
    let name = format!("robust-{}", case["name"].as_str().unwrap());
    let f = mods
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" + ");
    (temp_csv(&name, &text), f)
}

fn rel(got: f64, want: f64) -> f64 {
    if want.abs() < 1e-12 {
        (got - want).abs()
    } else {
        ((got - want) / want).abs()
    }
}

#[test]
fn regress_robust_matches_metafor_and_clubsandwich() {
    let fx: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("metafor/robust.json")).unwrap())
            .unwrap();
    let mut n = 0;
    for case in fx["cases"].as_array().unwrap() {
        let names = strs_of(&case["x_names"]);
        if case["kind"] != "uni" || names.len() < 2 || case["name"] == "gen_1000_clusters_reml" {
            continue;
        }
        let (path, mods) = case_csv(case);
        let method = case["method"].as_str().unwrap();
        for (flag, key) in [("CR1", "cr1"), ("CR2", "cr2")] {
            let mut args = vec!["regress", "--measure", "GENERIC", "--mods", &mods];
            if method == "FE" {
                args.extend(["--model", "fixed"]);
            } else {
                args.extend(["--model", "random", "--tau2", method]);
            }
            args.extend(["--robust", flag, "--cluster", "cluster", &path]);
            let a = run_json(&args);
            let r = &a[0]["robust"];
            let want = &case[key];
            assert_eq!(r["type"], flag);
            let id = format!("{} {flag}", case["name"]);
            for (j, c) in r["coefficients"].as_array().unwrap().iter().enumerate() {
                for (got, field, tol) in [
                    ("se", "se", 1e-9),
                    ("statistic", "statistic", 1e-9),
                    ("df", "df", 1e-9),
                    ("p", "p", 1e-7),
                    ("ci_lower", "ci_lower", 1e-9),
                    ("ci_upper", "ci_upper", 1e-9),
                ] {
                    let (g, w) = (num(&c[got], got), nums(&want[field])[j]);
                    assert!(rel(g, w) <= tol, "{id}: {got}[{j}] {g} vs {w}");
                }
            }
            for (got, field, tol) in [
                ("qm", "qm", 1e-9),
                ("qm_df1", "qm_df1", 0.0),
                ("qm_df2", "qm_df2", 1e-9),
                ("qm_p", "qm_p", 1e-7),
            ] {
                let (g, w) = (num(&r[got], got), want[field].as_f64().unwrap());
                assert!(rel(g, w) <= tol, "{id}: {got} {g} vs {w}");
            }
            n += 1;
        }
    }
    assert!(n >= 12, "only {n} runs compared");
}

#[test]
fn regress_robust_table_and_bad_cluster_cells() {
    let fx: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("metafor/robust.json")).unwrap())
            .unwrap();
    let case = fx["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "bcg_reml_ablat_alloc")
        .unwrap();
    let (path, mods) = case_csv(case);
    let out = run_ok(&[
        "regress",
        "--measure",
        "GENERIC",
        "--mods",
        &mods,
        "--model",
        "random",
        "--tau2",
        "REML",
        "--robust",
        "CR2",
        "--cluster",
        "cluster",
        &path,
    ]);
    // metafor robust(res, cluster = alloc, clubSandwich = TRUE), REML with tight control
    // (robust.json: QM 41.60881, p 0.04404)
    assert!(out.contains("Number of clusters:    3"), "{out}");
    assert!(
        out.contains("F(df1 = 1, df2 = 1.52) = 41.6088, p-val = 0.0440"),
        "{out}"
    );
    assert!(out.contains("var-cov estimator: CR2"), "{out}");
    // a missing cluster cell: an error naming its line and column
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let cells: Vec<&str> = lines[3].split(',').collect();
    lines[3] = format!("{},", cells[..cells.len() - 1].join(","));
    let bad = temp_csv("robust-missing-cluster", &(lines.join("\n") + "\n"));
    // --missing skip (the default): the row is left out like a row missing its effect
    let out = run_ok(&[
        "regress",
        "--measure",
        "GENERIC",
        "--mods",
        &mods,
        "--robust",
        "CR2",
        "--cluster",
        "cluster",
        &bad,
    ]);
    assert!(out.contains("Left out: s2 (line 4)"), "{out}");
    assert!(out.contains("Number of estimates:   12"), "{out}");
    // --missing error: an error naming its line and column
    let err = run_fail(&[
        "regress",
        "--measure",
        "GENERIC",
        "--mods",
        &mods,
        "--robust",
        "CR2",
        "--cluster",
        "cluster",
        "--missing",
        "error",
        &bad,
    ]);
    assert!(err.contains("line 4") && err.contains("cluster"), "{err}");
    let err = run_fail(&[
        "regress",
        "--measure",
        "GENERIC",
        "--mods",
        &mods,
        "--robust",
        "CR3",
        "--cluster",
        "cluster",
        &path,
    ]);
    assert!(err.contains("CR1 or CR2"), "{err}");
}

/// `pool --robust`: the intercept-only cases (metafor `robust(rma(yi, vi, method), cluster)`).
#[test]
fn pool_robust_matches_metafor_and_clubsandwich() {
    let fx: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("metafor/robust.json")).unwrap())
            .unwrap();
    let mut n = 0;
    for case in fx["cases"].as_array().unwrap() {
        if case["kind"] != "uni" || strs_of(&case["x_names"]).len() != 1 {
            continue;
        }
        let (path, _) = case_csv(case);
        let method = case["method"].as_str().unwrap();
        for (flag, key) in [("CR1", "cr1"), ("CR2", "cr2")] {
            let a = run_json(&[
                "pool",
                "--measure",
                "GENERIC",
                "--model",
                "random",
                "--tau2",
                method,
                "--robust",
                flag,
                "--cluster",
                "cluster",
                &path,
            ]);
            let r = &a[0]["robust"];
            let want = &case[key];
            let id = format!("{} {flag}", case["name"]);
            let c = &r["coefficients"][0];
            for (field, tol) in [
                ("se", 1e-9),
                ("statistic", 1e-9),
                ("df", 1e-9),
                ("p", 1e-7),
                ("ci_lower", 1e-9),
                ("ci_upper", 1e-9),
            ] {
                let (g, w) = (num(&c[field], field), nums(&want[field])[0]);
                assert!(rel(g, w) <= tol, "{id}: {field} {g} vs {w}");
            }
            let (g, w) = (num(&r["qm_p"], "qm_p"), want["qm_p"].as_f64().unwrap());
            assert!(rel(g, w) <= 1e-7, "{id}: qm_p {g} vs {w}");
            n += 1;
        }
    }
    assert!(n >= 6, "only {n} runs compared");
    // the table prints the robust block after the pooled result
    let case = &fx["cases"].as_array().unwrap()[2];
    let (path, _) = case_csv(case);
    let out = run_ok(&[
        "pool",
        "--measure",
        "GENERIC",
        "--robust",
        "CR1",
        "--cluster",
        "cluster",
        &path,
    ]);
    assert!(
        out.contains("Cluster-robust inference (--robust):"),
        "{out}"
    );
    assert!(out.contains("var-cov estimator: CR1"), "{out}");
}
