//! End-to-end tests of the measures, fixed-effect methods, tau² estimators, tests and prediction
//! intervals that came with the library's `measures` and `estimators` work, against the metafor
//! fixtures `fixtures/metafor/measures.json` and `fixtures/metafor/estimators.json` (inputs in
//! `fixtures/cli/measures_*.csv`, written by `make_csv.py`; the estimators' CSV is written by the
//! test itself from the JSON).
//!
//! Tolerances: 1e-10 relative for closed forms; 1e-8 for the iterative tau² estimators (ML, REML,
//! EB, PM, PMM), whose solvers stop at a tolerance; estimators.json's inputs reach the tool as
//! `se = sqrt(vi)`, which perturbs `vi` in the last bit.

mod common;
use common::*;

fn measures() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("metafor/measures.json")).unwrap())
        .unwrap()
}

fn estimators() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("metafor/estimators.json")).unwrap())
        .unwrap()
}

fn close_tol(what: &str, got: f64, want: f64, rel: f64) {
    let tol = rel * got.abs().max(want.abs()).max(1e-12);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:e}, metafor {want:e} (rel diff {:e})",
        ((got - want) / want).abs()
    );
}

/// The core statistics of a fit (no weights: the MH/Peto fixtures hold them over all tables).
fn compare_stats(ctx: &str, got: &Value, want: &Value, rel: f64) {
    for key in [
        "estimate", "se", "ci_lower", "ci_upper", "z", "p", "q", "i2", "h2", "tau2",
    ] {
        close_tol(
            &format!("{ctx} {key}"),
            num(&got[key], key),
            num(&want[key], key),
            rel,
        );
    }
    assert_eq!(got["q_df"], want["q_df"], "{ctx} q_df");
    if want["q_df"].as_u64() != Some(0) {
        close_tol(
            &format!("{ctx} q_p"),
            num(&got["q_p"], "q_p"),
            num(&want["q_p"], "q_p"),
            rel,
        );
    }
}

#[test]
fn binary_measures_match_metafor() {
    let m = measures();
    let sets = m["binary"].as_array().unwrap();
    let path = fixture("cli/measures_binary.csv");
    // (CLI measure, fixture measure, model, extra options, fixture method)
    let cases: &[(&str, &str, &str, &[&str], &str)] = &[
        ("RR", "RR", "fixed", &["--fixed-method", "IV"], "FE"),
        ("RR", "RR", "random", &[], "DL"),
        ("RR", "RR", "fixed", &[], "MH"),
        ("RD", "RD", "fixed", &["--fixed-method", "IV"], "FE"),
        ("RD", "RD", "random", &[], "DL"),
        ("RD", "RD", "fixed", &[], "MH"),
        ("OR", "OR", "fixed", &[], "MH"),
        ("PETO-OR", "PETO", "fixed", &["--fixed-method", "IV"], "FE"),
        ("PETO-OR", "PETO", "random", &[], "DL"),
        ("PETO-OR", "PETO", "fixed", &[], "PETO"),
    ];
    for (cli, fx, model, extra, method) in cases {
        let mut args = vec![
            "pool",
            "--measure",
            cli,
            "--by",
            "dataset",
            "--model",
            model,
        ];
        args.extend_from_slice(extra);
        args.push(&path);
        let analyses = run_json(&args);
        assert_eq!(
            analyses.len(),
            sets.len(),
            "rerun python3 fixtures/cli/make_csv.py?"
        );
        for (a, d) in analyses.iter().zip(sets) {
            assert_eq!(a["id"], d["name"]);
            let fit = d["fits"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["measure"] == *fx && f["method"] == *method)
                .unwrap_or_else(|| panic!("{}: no {fx} {method} fit", d["name"]));
            let ctx = format!("{} {cli} {model} {method}", d["name"]);
            compare_stats(&ctx, a, fit, 1e-10);
            assert_eq!(a["method"], if *method == "FE" { "IV" } else { *method });
            if let Some(included) = fit["included"].as_array() {
                let got: Vec<u64> = a["studies"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| !s["estimate"].is_null())
                    .map(|(i, _)| i as u64)
                    .collect();
                let want: Vec<u64> = included.iter().map(|i| i.as_u64().unwrap()).collect();
                assert_eq!(got, want, "{ctx}: included studies");
                let w: Vec<f64> = a["studies"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|s| s["weight"].as_f64())
                    .collect();
                for (x, y) in w.iter().zip(fit["weights_percent"].as_array().unwrap()) {
                    close_tol(&format!("{ctx} weight"), *x, num(y, "w"), 1e-10);
                }
            }
            let ratio = *cli != "RD";
            assert_eq!(a["exp_estimate"].is_f64(), ratio, "{ctx}: exp fields");
            if ratio {
                close_tol(
                    &format!("{ctx} exp"),
                    num(&a["exp_ci_upper"], "exp"),
                    num(&fit["ci_upper"], "ci").exp(),
                    1e-10,
                );
            }
        }
    }
}

#[test]
fn proportions_match_metafor() {
    let m = measures();
    let sets = m["proportions"].as_array().unwrap();
    let path = fixture("cli/measures_proportions.csv");
    for measure in ["PR", "PLO", "PAS", "PFT"] {
        for (model, method) in [("fixed", "FE"), ("random", "DL")] {
            let a = run_json(&[
                "pool",
                "--measure",
                measure,
                "--by",
                "dataset",
                "--model",
                model,
                &path,
            ]);
            assert_eq!(
                a.len(),
                sets.len(),
                "rerun python3 fixtures/cli/make_csv.py?"
            );
            for (a, d) in a.iter().zip(sets) {
                let t = d["transforms"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|t| t["measure"] == measure)
                    .unwrap();
                let fit = t["fits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| f["method"] == method)
                    .unwrap();
                let ctx = format!("{} {measure} {method}", d["name"]);
                compare_stats(&ctx, a, fit, 1e-10);
                // Back-transformed to proportions (PFT at the harmonic mean of the n's).
                if measure == "PR" {
                    assert!(a.get("proportion_estimate").is_none(), "{ctx}");
                } else {
                    let disp = &fit["display"];
                    for (key, want) in [
                        ("proportion_estimate", "estimate"),
                        ("proportion_ci_lower", "lower"),
                        ("proportion_ci_upper", "upper"),
                    ] {
                        close_tol(
                            &format!("{ctx} {key}"),
                            num(&a[key], key),
                            num(&disp[want], want),
                            1e-10,
                        );
                    }
                }
            }
        }
    }
}

/// Every tau² estimator with every test (z, t, Hartung-Knapp, ad hoc) and both prediction
/// intervals, on the 18 datasets of estimators.json given as estimate and SE.
#[test]
fn tau2_estimators_tests_and_prediction_intervals_match_metafor() {
    let e = estimators();
    let sets = e["datasets"].as_array().unwrap();
    // The CSV is written from estimators.json here (not committed) so that it follows the
    // fixture when its datasets change: estimate = yi, se = sqrt(vi) in shortest round-trip text.
    let mut csv = String::from("dataset,estimate,se\n");
    for d in sets {
        let (yi, vi) = (d["yi"].as_array().unwrap(), d["vi"].as_array().unwrap());
        for (y, v) in yi.iter().zip(vi) {
            let (y, v) = (num(y, "yi"), num(v, "vi"));
            csv.push_str(&format!(
                "{},{y:e},{:e}\n",
                d["name"].as_str().unwrap(),
                v.sqrt()
            ));
        }
    }
    let dir = std::env::temp_dir().join(format!("metapool-cli-est-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("estimators_generic.csv");
    std::fs::write(&path, csv).unwrap();
    let path = path.to_str().unwrap().to_string();
    let estimators = [
        "DL", "HE", "HS", "HSk", "SJ", "ML", "REML", "EB", "PM", "PMM", "DL2",
    ];
    let tests = [
        ("wald", "z"),
        ("t", "t"),
        ("hk", "knha"),
        ("hk-adhoc", "adhoc"),
    ];
    let mut compared = 0;
    for est in estimators {
        let rel = if ["ML", "REML", "EB", "PM", "PMM"].contains(&est) {
            1e-8
        } else {
            1e-10
        };
        for (ci, test) in tests {
            for (pi_opt, lb, ub) in [
                ("metafor", "pi_lb", "pi_ub"),
                ("higgins-t", "pi_riley_lb", "pi_riley_ub"),
            ] {
                if pi_opt == "higgins-t" && test != "z" {
                    continue;
                }
                let out = run(&[
                    "pool",
                    "--measure",
                    "GENERIC",
                    "--by",
                    "dataset",
                    "--model",
                    "random",
                    "--tau2",
                    est,
                    // The fixture is metafor with its default control: its iteration path.
                    "--tau2-control",
                    "metafor",
                    "--ci",
                    ci,
                    "--prediction",
                    pi_opt,
                    "--keep-going",
                    "--format",
                    "json",
                    &path,
                ]);
                let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
                let analyses = v["analyses"].as_array().unwrap();
                assert_eq!(analyses.len(), sets.len());
                for (a, d) in analyses.iter().zip(sets) {
                    let want = &d["methods"][est]["tests"][test];
                    let ctx = format!("{} {est} {test} {pi_opt}", d["name"]);
                    if want.is_null() || want["estimate"].is_null() {
                        continue; // metafor gave no fit (e.g. did not converge)
                    }
                    assert!(a["error"].is_null(), "{ctx}: {}", a["error"]);
                    for (key, wkey) in [
                        ("estimate", "estimate"),
                        ("se", "se"),
                        ("ci_lower", "ci_lb"),
                        ("ci_upper", "ci_ub"),
                        ("z", "zval"),
                        ("p", "pval"),
                        ("tau2", "tau2"),
                        ("i2", "i2"),
                        ("h2", "h2"),
                        ("pi_lower", lb),
                        ("pi_upper", ub),
                    ] {
                        let w = num(&want[wkey], wkey);
                        let g = num(&a[key], key);
                        if key == "tau2" && w.abs() < 1e-12 {
                            assert!(g.abs() < 1e-10, "{ctx} tau2: got {g:e}, metafor {w:e}");
                            continue;
                        }
                        close_tol(&format!("{ctx} {key}"), g, w, rel);
                    }
                    let k = d["k"].as_u64().unwrap();
                    match test {
                        "z" => assert!(a["t_df"].is_null(), "{ctx}"),
                        _ => assert_eq!(a["t_df"].as_u64(), Some(k - 1), "{ctx}"),
                    }
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 700, "compared {compared} fits");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mantel_haenszel_subgroup_difference_test_matches_metafor() {
    // RevMan's test for subgroup differences from MH subgroup fits (fixtures: mh_subgroups).
    let m = measures();
    let dir = std::env::temp_dir().join(format!("metapool-cli-mhsub-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for d in m["mh_subgroups"].as_array().unwrap() {
        let measure = d["measure"].as_str().unwrap();
        let inp = &d["input"];
        let mut csv = String::from("group,events1,total1,events2,total2\n");
        for i in 0..inp["events1"].as_array().unwrap().len() {
            csv.push_str(&format!(
                "{},{},{},{},{}\n",
                inp["groups"][i].as_str().unwrap(),
                inp["events1"][i],
                inp["total1"][i],
                inp["events2"][i],
                inp["total2"][i]
            ));
        }
        let path = dir.join(format!("{}.csv", d["name"].as_str().unwrap()));
        std::fs::write(&path, csv).unwrap();
        let a = run_json(&[
            "pool",
            "--measure",
            measure,
            "--model",
            "fixed",
            "--subgroup",
            "group",
            path.to_str().unwrap(),
        ]);
        let ctx = d["name"].as_str().unwrap();
        let subs = a[0]["subgroups"].as_array().unwrap();
        for (s, w) in subs.iter().zip(d["groups"].as_array().unwrap()) {
            assert_eq!(s["subgroup"], w["label"], "{ctx}");
            assert_eq!(s["method"], "MH");
            close_tol(
                &format!("{ctx} subgroup estimate"),
                num(&s["estimate"], "e"),
                num(&w["estimate"], "e"),
                1e-10,
            );
            close_tol(
                &format!("{ctx} subgroup se"),
                num(&s["se"], "se"),
                num(&w["se"], "se"),
                1e-10,
            );
        }
        let t = &a[0]["subgroup_test"];
        let b = &d["between"];
        close_tol(
            &format!("{ctx} Q"),
            num(&t["q"], "q"),
            num(&b["q"], "q"),
            1e-10,
        );
        close_tol(
            &format!("{ctx} p"),
            num(&t["p"], "p"),
            num(&b["p"], "p"),
            1e-10,
        );
        close_tol(
            &format!("{ctx} I2"),
            num(&t["i2"], "i2"),
            num(&b["i2"], "i2"),
            1e-10,
        );
        assert_eq!(t["df"], b["df"]);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--tau2-control exact` (the default) against metafor with tight control
/// (fixtures/metafor/exact.json, made by generate_exact.R) on the datasets where metafor's
/// default REML fails to converge: every one is pooled, tau² and the estimate agree at 1e-9
/// relative (1e-12 absolute below 1e-6), and each fit says how tau² was reached. With
/// `--tau2-control metafor` the same analyses fail as metafor's do, each reported without
/// stopping the run.
#[test]
fn exact_tau2_control_solves_what_metafors_default_cannot() {
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("metafor/exact.json")).unwrap())
            .unwrap();
    let sets: Vec<&Value> = fixture["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["default_reml_fails"].as_bool() == Some(true))
        .collect();
    assert!(sets.len() >= 20, "{} datasets", sets.len());
    let mut csv = String::from("dataset,estimate,vi\n");
    for d in &sets {
        let name = d["name"].as_str().unwrap();
        for (y, v) in d["yi"]
            .as_array()
            .unwrap()
            .iter()
            .zip(d["vi"].as_array().unwrap())
        {
            csv.push_str(&format!(
                "{name},{},{}\n",
                y.as_f64().unwrap(),
                v.as_f64().unwrap()
            ));
        }
    }
    let path = std::env::temp_dir().join(format!("metapool-exact-{}.csv", std::process::id()));
    std::fs::write(&path, csv).unwrap();
    let path = path.to_str().unwrap();
    let args = |control: &'static str| {
        vec![
            "pool",
            "--measure",
            "GENERIC",
            "--by",
            "dataset",
            "--model",
            "random",
            "--tau2",
            "REML",
            "--tau2-control",
            control,
            "--keep-going",
            "--format",
            "json",
            path,
        ]
    };
    let out = run(&args("exact"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let analyses = v["analyses"].as_array().unwrap();
    assert_eq!(analyses.len(), sets.len());
    let close = |got: f64, want: f64| {
        if want.abs() < 1e-6 {
            (got - want).abs() <= 1e-12
        } else {
            ((got - want) / want).abs() <= 1e-9
        }
    };
    for (a, d) in analyses.iter().zip(&sets) {
        let want = d["fits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["method"] == "REML" && f["test"] == "z")
            .unwrap();
        let name = d["name"].as_str().unwrap();
        for (key, wkey) in [("tau2", "tau2"), ("estimate", "estimate"), ("se", "se")] {
            let (g, w) = (a[key].as_f64().unwrap(), want[wkey].as_f64().unwrap());
            assert!(close(g, w), "{name} {key}: {g} vs metafor {w}");
        }
        let stop = a["tau2_stop"].as_str().unwrap();
        assert!(stop == "solved" || stop == "boundary", "{name}: {stop}");
        assert!(a["tau2_iterations"].as_u64().is_some(), "{name}");
    }
    // metafor's path: the same analyses fail as in metafor, each reported, none aborting.
    let out = run(&args("metafor"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let analyses = v["analyses"].as_array().unwrap();
    assert_eq!(analyses.len(), sets.len());
    let failed = analyses.iter().filter(|a| a["error"].is_string()).count();
    assert!(
        failed >= 1,
        "metafor's default path converged on every analysis"
    );
    // The exact solver needs no iteration settings.
    let out = run(&[
        "pool",
        "--measure",
        "GENERIC",
        "--tau2",
        "REML",
        "--max-iter",
        "500",
        path,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tau2-control metafor"));
}
