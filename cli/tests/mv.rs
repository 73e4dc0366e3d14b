//! End-to-end tests of `metapool mv` against metafor 3.8 `rma.mv`
//! (`fixtures/metafor/multilevel.json`, written by `fixtures/metafor/generate_multilevel.R`).
//!
//! Each nested fit of the fixture with a diagonal V or `vcalc(rho = 0.6)` is run through the
//! command line: its data are written as a CSV (`study, yi, vi`, the level columns and the
//! moderator columns), read as `--measure GENERIC --random "a/b" [--rho 0.6] [--mods ...]`.
//! Compared from the JSON: the variance components and their names, coefficients (estimate,
//! SE, CI), QM, QE and the fit statistics of the fitted method; tolerances as in the library's
//! test of the fixture (tests/metafor_multilevel.rs). Bad input: a missing cluster label names
//! its line with `--missing error`, and is left out (listed) with `--missing skip`.

mod common;
use common::*;

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn label(x: &Value) -> String {
    match x {
        Value::String(s) => s.clone(),
        other => format!("{}", other.as_f64().unwrap()),
    }
}

fn rel(a: f64, b: f64, floor: f64) -> f64 {
    (a - b).abs() / b.abs().max(floor)
}

fn write_csv(dir: &std::path::Path, f: &Value) -> (String, Vec<String>, Vec<String>) {
    let d = &f["data"];
    let y = nums(&d["yi"]);
    let v = nums(&d["vi"]);
    let levels: Vec<Vec<String>> = d["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_array().unwrap().iter().map(label).collect())
        .collect();
    let level_names: Vec<String> = d["level_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(label)
        .collect();
    let x_names: Vec<String> = f["x_names"].as_array().unwrap().iter().map(label).collect();
    let x: Vec<Vec<f64>> = f["x"].as_array().unwrap().iter().map(nums).collect();
    let mods: Vec<String> = x_names.iter().skip(1).cloned().collect();
    let mut text = format!("name,yi,vi,{}", level_names.join(","));
    for m in &mods {
        text.push_str(&format!(",{m}"));
    }
    text.push('\n');
    for i in 0..y.len() {
        text.push_str(&format!("s{i},{:?},{:?}", y[i], v[i]));
        for l in &levels {
            text.push_str(&format!(",{}", l[i]));
        }
        for col in x.iter().skip(1) {
            text.push_str(&format!(",{:?}", col[i]));
        }
        text.push('\n');
    }
    let path = dir.join(format!("{}.csv", f["name"].as_str().unwrap()));
    std::fs::write(&path, text).unwrap();
    (path.to_string_lossy().into_owned(), level_names, mods)
}

#[test]
fn mv_matches_metafor_rma_mv() {
    let done = matches_metafor("multilevel");
    assert!(done >= 8, "{done} fits run");
}

/// Crossed terms, `--random "study + lab"` and `--random "study/es + lab"`, against
/// `fixtures/metafor/crossed.json` (metafor `random = list(~ 1 | study/es, ~ 1 | lab)`).
#[test]
fn crossed_terms_match_metafor_rma_mv() {
    let done = matches_metafor("crossed");
    assert_eq!(done, 6, "{done} fits run");
}

/// Run every nested or crossed fit of `fixtures/metafor/{file}.json` through `metapool mv`;
/// returns the number of fits run.
fn matches_metafor(file: &str) -> usize {
    let text = std::fs::read_to_string(fixture(&format!("metafor/{file}.json"))).unwrap();
    let fx: Value = serde_json::from_str(&text).unwrap();
    let dir = std::env::temp_dir().join(format!("metapool-mv-{file}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut done = 0;
    for f in fx["fits"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        if f["data"]["levels"].is_null() || name.starts_with("clusters1000") {
            continue;
        }
        let (path, levels, mods) = write_csv(&dir, f);
        // crossed terms: `terms` lists each term's levels
        let random = match f["data"]["terms"].as_array() {
            None => levels.join("/"),
            Some(terms) => terms
                .iter()
                .map(|t| {
                    let t: Vec<&str> = nums(t)
                        .iter()
                        .map(|&l| levels[l as usize].as_str())
                        .collect();
                    t.join("/")
                })
                .collect::<Vec<_>>()
                .join(" + "),
        };
        let method = f["method"].as_str().unwrap();
        let mut args = vec![
            "mv",
            "--measure",
            "GENERIC",
            "--random",
            &random,
            "--method",
            method,
        ];
        let rho = f["data"]["rho"].as_f64().map(|r| r.to_string());
        if let Some(r) = &rho {
            args.extend(["--rho", r]);
        }
        let formula = mods.join(" + ");
        if !mods.is_empty() {
            args.extend(["--mods", &formula]);
        }
        args.push(&path);
        let a = &run_json(&args)[0];
        // polished references agree with the library to about 1e-10 (tests/metafor_multilevel.rs)
        let tol = if f["polish_step"].as_f64().is_some() {
            1e-8
        } else {
            (20.0 * f["converged_diff"].as_f64().unwrap()).max(1e-6)
        };
        for (g, w) in nums(&a["sigma2"]).iter().zip(nums(&f["sigma2"])) {
            assert!(rel(*g, w, 1e-4) <= tol, "{name}: sigma2 {g} vs {w}");
        }
        assert_eq!(a["sigma2_names"], f["sigma2_names"], "{name}");
        let coefs = a["coefficients"].as_array().unwrap();
        for (j, c) in coefs.iter().enumerate() {
            let se = nums(&f["se"])[j];
            for (key, want) in [
                ("estimate", "beta"),
                ("ci_lower", "ci_lb"),
                ("ci_upper", "ci_ub"),
            ] {
                let (g, w) = (c[key].as_f64().unwrap(), nums(&f[want])[j]);
                assert!(rel(g, w, se) <= tol, "{name}: {key} {g} vs {w}");
            }
            assert!(
                rel(c["se"].as_f64().unwrap(), se, 1e-12) <= tol,
                "{name}: se"
            );
        }
        let suffix = if method == "ML" { "ml" } else { "reml" };
        for key in ["loglik", "deviance", "aic", "bic", "aicc"] {
            let (g, w) = (
                a[key].as_f64().unwrap(),
                f[format!("{key}_{suffix}")].as_f64().unwrap(),
            );
            assert!(rel(g, w, 1.0) <= 1e-9, "{name}: {key} {g} vs {w}");
        }
        let qe = (a["qe"].as_f64().unwrap(), f["qe"].as_f64().unwrap());
        assert!(rel(qe.0, qe.1, 1.0) <= 1e-10, "{name}: qe {qe:?}");
        let qm = (a["qm"].as_f64().unwrap(), f["qm"].as_f64().unwrap());
        assert!(rel(qm.0, qm.1, 1.0) <= tol, "{name}: qm {qm:?}");
        assert_eq!(
            a["k"].as_u64().unwrap() as usize,
            nums(&f["data"]["yi"]).len()
        );
        done += 1;
    }
    std::fs::remove_dir_all(&dir).ok();
    done
}

#[test]
fn a_missing_cluster_label_is_named_or_left_out() {
    let dir = std::env::temp_dir().join(format!("metapool-mv-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("missing.csv");
    std::fs::write(
        &path,
        "study,yi,vi,cl,es\na,0.1,0.01,1,1\nb,0.3,0.02,1,2\nc,0.2,0.01,,1\nd,0.5,0.03,2,1\ne,0.4,0.02,2,2\nf,0.0,0.01,3,1\ng,0.2,0.02,3,2\n",
    )
    .unwrap();
    let p = path.to_string_lossy().into_owned();
    let err = run_fail(&[
        "mv",
        "--measure",
        "GENERIC",
        "--random",
        "cl/es",
        "--missing",
        "error",
        &p,
    ]);
    assert!(err.contains("line 4") && err.contains("cl"), "{err}");
    let a = &run_json(&["mv", "--measure", "GENERIC", "--random", "cl/es", &p])[0];
    assert_eq!(a["k"], 6);
    assert_eq!(a["left_out"][0]["line"], 4);
    let err = run_fail(&[
        "mv",
        "--measure",
        "GENERIC",
        "--random",
        "cl/es",
        "--rho",
        "1",
        &p,
    ]);
    assert!(err.contains("--rho"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `mv --robust CR1|CR2 --cluster district` on dat.konstantopoulos2011 (three levels) against
/// metafor `robust(fit, cluster = district)` and clubSandwich `coef_test(..., "CR2")`
/// (fixtures/metafor/robust.json, case `konstantopoulos2011_three_level`). The data come from
/// multilevel.json's fit of the same model; its tightly converged variance components differ
/// from those of the robust fixture's fit by about 3e-8 relative, so the robust figures are
/// compared at 1e-6 (the CR kernels themselves are checked at 1e-9 in tests/metafor_robust.rs).
#[test]
fn mv_robust_matches_metafor_and_clubsandwich() {
    let ml: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("metafor/multilevel.json")).unwrap())
            .unwrap();
    let rb: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("metafor/robust.json")).unwrap())
            .unwrap();
    let fit = ml["fits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "konstantopoulos2011_REML")
        .unwrap();
    let want = rb["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "konstantopoulos2011_three_level")
        .unwrap();
    let dir = std::env::temp_dir().join(format!("metapool-mv-robust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (path, levels, _) = write_csv(&dir, fit);
    let random = levels.join("/");
    for (kind, key) in [("CR1", "cr1"), ("CR2", "cr2")] {
        let args = [
            "mv",
            "--measure",
            "GENERIC",
            "--random",
            &random,
            "--robust",
            kind,
            "--cluster",
            &levels[0],
            &path,
        ];
        let a = &run_json(&args)[0];
        let r = &a["robust"];
        let w = &want[key];
        assert_eq!(r["type"], kind);
        assert_eq!(r["clusters"], w["clusters"]);
        let c = &r["coefficients"][0];
        for (got, exp) in [
            ("se", "se"),
            ("statistic", "statistic"),
            ("df", "df"),
            ("p", "p"),
            ("ci_lower", "ci_lower"),
            ("ci_upper", "ci_upper"),
        ] {
            let (g, e) = (c[got].as_f64().unwrap(), nums(&w[exp])[0]);
            assert!(rel(g, e, 1e-3) <= 1e-6, "{kind} {got}: {g} vs {e}");
        }
        let (g, e) = (r["qm"].as_f64().unwrap(), w["qm"].as_f64().unwrap());
        assert!(rel(g, e, 1.0) <= 1e-6, "{kind} qm: {g} vs {e}");
        let (g, e) = (r["qm_df2"].as_f64().unwrap(), w["qm_df2"].as_f64().unwrap());
        assert!(rel(g, e, 1.0) <= 1e-6, "{kind} qm_df2: {g} vs {e}");
    }
    // a robust cluster that splits a model cluster (school within district) is refused
    let err = run_fail(&[
        "mv",
        "--measure",
        "GENERIC",
        "--random",
        &random,
        "--robust",
        "CR2",
        "--cluster",
        &levels[1],
        &path,
    ]);
    assert!(err.contains("--cluster"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `--v-file`: dat.berkey1998 (metafor), the multivariate UN model with its known V blocks
/// (`v1i`, `v2i`) given as `row1,row2,cov` lines, against `berkey1998_UN_REML` of
/// multilevel.json at the tolerances of `mv_matches_metafor_rma_mv` (1e-8, polished fit).
/// Bad input: a pair across clusters names its rows; `--rho` with `--v-file` is refused.
#[test]
fn v_file_matches_metafor_berkey1998() {
    let text = std::fs::read_to_string(fixture("metafor/multilevel.json")).unwrap();
    let fx: Value = serde_json::from_str(&text).unwrap();
    let f = fx["fits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "berkey1998_UN_REML")
        .unwrap();
    let d = &f["data"];
    let (y, v) = (nums(&d["yi"]), nums(&d["vi"]));
    let (v1, v2) = (nums(&d["v1i"]), nums(&d["v2i"]));
    let cluster: Vec<String> = d["cluster"].as_array().unwrap().iter().map(label).collect();
    let outcome: Vec<String> = d["outcome"].as_array().unwrap().iter().map(label).collect();
    let mut data = String::from("name,yi,vi,trial,outcome,is_al,is_pd\n");
    for i in 0..y.len() {
        let al = u8::from(outcome[i] == "AL");
        data.push_str(&format!(
            "s{i},{:?},{:?},{},{},{al},{}\n",
            y[i],
            v[i],
            cluster[i],
            outcome[i],
            1 - al
        ));
    }
    // rows of the same trial: the block's off-diagonal (v1i on the AL row = cov(PD, AL))
    let mut vfile = String::from("row1,row2,cov\n");
    for i in 0..y.len() {
        for j in i + 1..y.len() {
            if cluster[i] == cluster[j] {
                let cov = if outcome[i] == "PD" { v2[i] } else { v1[i] };
                vfile.push_str(&format!("{},{},{cov:?}\n", i + 2, j + 2));
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("metapool-mv-vfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (dp, vp) = (dir.join("berkey.csv"), dir.join("v.csv"));
    std::fs::write(&dp, data).unwrap();
    std::fs::write(&vp, vfile).unwrap();
    let (dp, vp) = (
        dp.to_string_lossy().into_owned(),
        vp.to_string_lossy().into_owned(),
    );
    let a = &run_json(&[
        "mv",
        "--measure",
        "GENERIC",
        "--random",
        "trial",
        "--struct",
        "UN",
        "--outcome",
        "outcome",
        "--mods",
        "is_al + is_pd - 1",
        "--v-file",
        &vp,
        &dp,
    ])[0];
    let tol = 1e-8;
    let (tau2, want) = (nums(&a["tau2"]), nums(&f["tau2"]));
    for (g, w) in tau2.iter().zip(&want) {
        assert!(rel(*g, *w, 1e-4) <= tol, "tau2 {g} vs {w}");
    }
    let (rho, w) = (a["rho"].as_f64().unwrap(), nums(&f["rho"])[0]);
    assert!(rel(rho, w, 1.0) <= tol, "rho {rho} vs {w}");
    let coefs = a["coefficients"].as_array().unwrap();
    // metafor's order: outcomeAL, outcomePD
    for (j, c) in coefs.iter().enumerate() {
        let (g, w) = (c["estimate"].as_f64().unwrap(), nums(&f["beta"])[j]);
        assert!(rel(g, w, nums(&f["se"])[j]) <= tol, "beta[{j}] {g} vs {w}");
        let (g, w) = (c["se"].as_f64().unwrap(), nums(&f["se"])[j]);
        assert!(rel(g, w, 1e-12) <= tol, "se[{j}] {g} vs {w}");
    }
    let (g, w) = (
        a["loglik"].as_f64().unwrap(),
        f["loglik_reml"].as_f64().unwrap(),
    );
    assert!(rel(g, w, 1.0) <= 1e-9, "loglik {g} vs {w}");
    // a covariance between two trials is refused, naming the rows
    std::fs::write(dir.join("bad.csv"), "row1,row2,cov\n2,4,0.001\n").unwrap();
    let bad = dir.join("bad.csv").to_string_lossy().into_owned();
    let err = run_fail(&[
        "mv",
        "--measure",
        "GENERIC",
        "--random",
        "trial",
        "--v-file",
        &bad,
        &dp,
    ]);
    assert!(err.contains("rows 2 and 4"), "{err}");
    let err = run_fail(&[
        "mv",
        "--measure",
        "GENERIC",
        "--random",
        "trial",
        "--v-file",
        &vp,
        "--rho",
        "0.5",
        &dp,
    ]);
    assert!(
        err.contains("--rho") || err.contains("cannot be used"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
