//! End-to-end tests of `metapool regress` against metafor 3.8
//! (`fixtures/metafor/regression.json`, written by `fixtures/metafor/generate_regression.R`).
//!
//! Every fit of the fixture is run through the command line: its data set is written as a CSV
//! (`study, yi, vi` and the moderator columns), read as `--measure GENERIC` with the fixture's
//! terms as `--mods` (`factor(g)` for its categorical moderators, with their reference levels
//! as `--reference`), its estimator and test as `--model`, `--tau2`, `--ci`, its `btt` as
//! `--btt` (1-based), the iterative estimators with `--tau2-control metafor` (the fixture is
//! metafor with its default control). Compared, from the JSON: coefficient names, estimates,
//! SE, statistics, p-values and CIs; QM, its df and p; QE, its df and p; tau², its SE, I², H²,
//! R²; logLik, deviance, AIC, BIC and AICc (REML's under REML, ML's otherwise, as metafor
//! prints them); predictions at the fixture's `newx` rows through `--newmods` (estimate, SE,
//! CI, PI, relative to the larger of themselves and `max |y|`). Fits metafor refuses must fail
//! with exit status 2.
//!
//! Tolerances are those of the library's test of the same fixture (tests/metafor_regression.rs):
//! 1e-10 relative for FE and the closed-form estimators, 1e-8 for ML, REML, EB, PM, PMM and for
//! the designs with cond(X) near 1e4 (metafor's own rounding there); coefficients and CI bounds
//! relative to the larger of themselves and their SE, statistics relative to the larger of
//! themselves and 1, p-values at 100 times the tolerance, references below 1e-12 absolutely
//! at 1e-12 (the CLI reads `se = sqrt(vi)`, so `v` may differ from `vi` by an ulp).

mod common;
mod regress_support;
use common::*;
use regress_support::*;

fn is_factor(set: &Value, name: &str) -> bool {
    set["mods"][name]["kind"] == "factor"
}

/// `--mods` of a fixture case, and its `--reference` options.
fn formula(set: &Value, case: &Value) -> (String, Vec<String>) {
    let mut refs = Vec::new();
    let terms: Vec<String> = case["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            t.as_str()
                .unwrap()
                .split(':')
                .map(|v| {
                    if is_factor(set, v) {
                        let r = format!("{v}={}", set["mods"][v]["reference"].as_str().unwrap());
                        if !refs.contains(&r) {
                            refs.push(r);
                        }
                        format!("factor({v})")
                    } else {
                        v.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(":")
        })
        .collect();
    let mut f = terms.join(" + ");
    if case["intercept"] == false {
        f.push_str(" - 1");
    }
    (f, refs)
}

fn model_args(method: &str, test: &str) -> Vec<String> {
    let ci = match test {
        "z" => "wald",
        "t" => "t",
        "knha" => "hk",
        "adhoc" => "hk-adhoc",
        other => panic!("test {other}"),
    };
    if method == "FE" {
        // metafor's FE with test = "t"/"knha" has no CLI spelling (--ci applies to random)
        return vec!["--model".into(), "fixed".into()];
    }
    let mut a: Vec<String> = ["--model", "random", "--tau2", method, "--ci", ci]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if matches!(method, "ML" | "REML" | "EB" | "PM" | "PMM") {
        a.extend(["--tau2-control".into(), "metafor".into()]);
    }
    a
}

/// The fixture's `newx` rows as a `--newmods` file: columns named by the coefficients but
/// the intercept.
fn newmods_csv(n: usize, case: &Value) -> String {
    let names = coefficient_names(case);
    let newx = case["newx"].as_array().unwrap();
    let keep: Vec<usize> = (0..names.len())
        .filter(|&j| names[j] != "intrcpt")
        .collect();
    let mut text = keep.iter().map(|&j| names[j]).collect::<Vec<_>>().join(",");
    text.push('\n');
    for row in newx.chunks(names.len()) {
        let cells: Vec<String> = keep.iter().map(|&j| row[j].to_string()).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    temp_csv(&format!("newmods-{n}"), &text)
}

/// Predictions (estimate, SE, CI, PI) relative to the larger of themselves and `max |y|`, as
/// the library's test compares them.
fn compare_predictions(id: &str, tol: f64, a: &Value, case: &Value, set: &Value) {
    let floor = set["yi"]
        .as_array()
        .unwrap()
        .iter()
        .fold(0.0f64, |m, y| m.max(y.as_f64().unwrap().abs()));
    let mut worst = 0.0;
    let mut c = Compare {
        id,
        tol,
        worst: &mut worst,
    };
    let preds = a["predictions"].as_array().unwrap();
    assert_eq!(preds.len(), case["pred"].as_array().unwrap().len(), "{id}");
    for (i, p) in preds.iter().enumerate() {
        for (key, fx) in [
            ("estimate", "pred"),
            ("se", "pred_se"),
            ("ci_lower", "pred_ci_lb"),
            ("ci_upper", "pred_ci_ub"),
            ("pi_lower", "pred_pi_lb"),
            ("pi_upper", "pred_pi_ub"),
        ] {
            c.near(&format!("{fx}[{i}]"), &p[key], &case[fx][i], floor, 1.0);
        }
    }
}

#[test]
fn regress_matches_metafor_on_every_fixture_fit() {
    let fx = regression_fixture();
    let mut csvs = std::collections::BTreeMap::new();
    let (mut fits, mut refused) = (0, 0);
    let mut worst = std::collections::BTreeMap::<String, f64>::new();
    for (n, case) in fx["cases"].as_array().unwrap().iter().enumerate() {
        let data = case["data"].as_str().unwrap();
        let (method, test) = (
            case["method"].as_str().unwrap(),
            case["test"].as_str().unwrap(),
        );
        if method == "FE" && test != "z" {
            continue;
        }
        let set = &fx["data_sets"][data];
        let path = csvs
            .entry(data.to_string())
            .or_insert_with(|| data_csv(&format!("fixture-{data}"), set))
            .clone();
        let (mods, refs) = formula(set, case);
        let mut args: Vec<String> = ["regress", "--measure", "GENERIC", "--mods", &mods]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for r in refs {
            args.extend(["--reference".into(), r]);
        }
        args.extend(model_args(method, test));
        if let Some(btt) = case["btt"].as_array() {
            let b: Vec<String> = btt
                .iter()
                .map(|v| (v.as_u64().unwrap() + 1).to_string())
                .collect();
            args.extend(["--btt".into(), b.join(",")]);
        }
        if case["error"].as_bool() != Some(true) {
            args.extend(["--newmods".into(), newmods_csv(n, case)]);
        }
        args.push(path);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let id = format!("{data} ~ {mods} ({method}, {test})");
        if case["error"].as_bool() == Some(true) {
            run_fail(&args);
            refused += 1;
            continue;
        }
        let a = run_json(&args);
        assert_eq!(a.len(), 1, "{id}");
        let iterative = matches!(method, "ML" | "REML" | "EB" | "PM" | "PMM");
        let ill = data == "gen25_large_x" || mods.contains("year");
        let tol = if iterative || ill { 1e-8 } else { 1e-10 };
        let key = if ill {
            format!("{method} (cond ~1e4)")
        } else {
            method.to_string()
        };
        let w = worst.entry(key).or_default();
        compare_case(&id, tol, &a[0], case, w);
        compare_predictions(&id, tol, &a[0], case, set);
        fits += 1;
    }
    println!("{fits} fits compared, {refused} refused as metafor refuses them");
    for (m, w) in &worst {
        println!("{m:>16}: largest relative difference {w:.1e}");
    }
    assert!(fits > 400, "only {fits} fits compared");
}

/// dat.bcg ~ ablat + factor(alloc) under REML: the table is the library's summary, as
/// metafor 3.8 prints it (rounded figures of the fixture).
#[test]
fn table_is_the_metafor_summary() {
    let fx = regression_fixture();
    let path = data_csv("table-bcg", &fx["data_sets"]["bcg"]);
    let out = bcg_reml("GENERIC", &path);
    for line in [
        "Mixed-Effects Model (k = 13; tau² estimator: REML)",
        "QE(df = 9) = 26.2034, p-val = 0.0019",
        "QM(df = 3) = 11.0605, p-val = 0.0114",
        "allocalternate",
        "allocsystematic",
    ] {
        assert!(out.contains(line), "missing `{line}` in\n{out}");
    }
}

/// Two analyses with --by: each is the fit of its own rows (the reference level of each is
/// the first in its own rows unless --reference), the same as a run on that analysis alone,
/// and gen30 ~ x1 + x2 + factor(g) is metafor's.
#[test]
fn by_fits_each_analysis_on_its_rows() {
    let fx = regression_fixture();
    let sets = &fx["data_sets"];
    let mods = mod_names(&sets["gen30"]);
    assert_eq!(mods, mod_names(&sets["gen60"]));
    let header = format!("dataset,study,yi,vi,{}\n", mods.join(","));
    let mut both = header.clone();
    for name in ["gen30", "gen60"] {
        both.push_str(&data_rows(&sets[name], &mods, &format!("{name},")));
    }
    let alone = temp_csv("by-gen60", &{
        let mut t = format!("study,yi,vi,{}\n", mods.join(","));
        t.push_str(&data_rows(&sets["gen60"], &mods, ""));
        t
    });
    let path = temp_csv("by-both", &both);
    let common = [
        "regress",
        "--measure",
        "GENERIC",
        "--mods",
        "x1 + x2 + factor(g)",
        "--reference",
        "g=a",
        "--model",
        "random",
        "--tau2",
        "DL",
    ];
    let mut args = common.to_vec();
    args.extend(["--by", "dataset", &path]);
    let a = run_json(&args);
    assert_eq!(a.len(), 2);
    assert_eq!(a[0]["id"], "gen30");
    assert_eq!(a[1]["id"], "gen60");
    let case = fx["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["data"] == "gen30"
                && c["terms"] == serde_json::json!(["x1", "x2", "g"])
                && c["method"] == "DL"
                && c["test"] == "z"
        })
        .unwrap();
    let mut worst = 0.0;
    compare_case("gen30 (--by)", 1e-10, &a[0], case, &mut worst);
    let mut args = common.to_vec();
    args.push(&alone);
    let single = run_json(&args);
    assert_eq!(a[1]["coefficients"], single[0]["coefficients"]);
    assert_eq!(a[1]["tau2"], single[0]["tau2"]);
    assert_eq!(a[1]["k"], 60);
}

/// The example of cli/README.md, section "Meta-regression", is this run's output.
#[test]
fn readme_example_is_the_output() {
    let readme = std::fs::read_to_string(root().join("cli/README.md")).unwrap();
    let csv = root().join("fixtures/cli/bcg_mods.csv");
    let out = bcg_reml("RR", csv.to_str().unwrap());
    let block = format!(
        "fixtures/cli/bcg_mods.csv\n{}```",
        out.trim_end_matches('\n')
    );
    assert!(
        readme.contains(&format!("{}\n```", block.trim_end_matches("```"))),
        "cli/README.md differs from:\n{out}"
    );
}

/// `--permutations` against metafor's `permutest(res, exact = TRUE)`
/// (`fixtures/metafor/regression_tests.json`, every case with a moderator): few enough
/// arrangements that `--permutations 100000` enumerates them all, as metafor does; p-values at
/// 1e-12 absolute (they are ratios of counts).
#[test]
fn permutations_match_metafor_permutest() {
    let text = std::fs::read_to_string(fixture("metafor/regression_tests.json")).unwrap();
    let fx: Value = serde_json::from_str(&text).unwrap();
    let mut compared = 0;
    for (n, case) in fx["permutest"].as_array().unwrap().iter().enumerate() {
        let name = case["name"].as_str().unwrap();
        let p_cols = case["p_cols"].as_u64().unwrap() as usize;
        if p_cols == 0 {
            continue; // intercept only: no --mods
        }
        let yi = case["yi"].as_array().unwrap();
        let k = yi.len();
        let cols: Vec<String> = (0..p_cols).map(|j| format!("x{j}")).collect();
        let mut csv = format!("yi,vi,{}\n", cols.join(","));
        for (i, y) in yi.iter().enumerate() {
            csv.push_str(&format!("{y},{}", case["vi"][i]));
            for j in 0..p_cols {
                csv.push_str(&format!(",{}", case["x"][j * k + i]));
            }
            csv.push('\n');
        }
        let path = temp_csv(&format!("permutest-{n}"), &csv);
        let mut extra = match case["method"].as_str().unwrap() {
            "FE" => vec!["--model", "fixed"],
            m => vec![
                "--model",
                "random",
                "--tau2",
                m,
                "--tau2-control",
                "metafor",
            ],
        };
        if case["test"] == "knha" {
            extra.extend(["--ci", "hk"]);
        }
        extra.extend(["--permutations", "100000"]);
        let args = regress(&cols.join(" + "), &extra, &path);
        let a = run_json(&strs(&args));
        let perm = &a[0]["permutation"];
        assert_eq!(perm["exact"], true, "{name}");
        let got = num(&perm["qm_p"], "qm_p");
        let want = num(&case["QMp"], "QMp");
        assert!((got - want).abs() <= 1e-12, "{name}: QMp {got} vs {want}");
        for (j, w) in case["pval"].as_array().unwrap().iter().enumerate() {
            let got = num(&perm["p"][j], "p");
            let want = num(w, "pval");
            assert!(
                (got - want).abs() <= 1e-12,
                "{name}: p[{j}] {got} vs {want}"
            );
        }
        compared += 1;
    }
    assert_eq!(compared, 5);
}
