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
use common::*;

fn regression_fixture() -> Value {
    let text = std::fs::read_to_string(fixture("metafor/regression.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn temp_csv(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("metapool-regress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{name}.csv"));
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// A fixture data set as CSV rows (without the header): `[prefix]study, yi, vi, moderators`
/// in the order of `mods`.
fn data_rows(set: &Value, mods: &[String], prefix: &str) -> String {
    let yi = set["yi"].as_array().unwrap();
    let mut text = String::new();
    for (i, y) in yi.iter().enumerate() {
        text.push_str(&format!("{prefix}s{},{y},{}", i + 1, set["vi"][i]));
        for m in mods {
            let v = &set["mods"][m.as_str()]["values"][i];
            match v.as_str() {
                Some(s) => text.push_str(&format!(",{s}")),
                None => text.push_str(&format!(",{v}")),
            }
        }
        text.push('\n');
    }
    text
}

fn mod_names(set: &Value) -> Vec<String> {
    let mut names: Vec<String> = set["mods"].as_object().unwrap().keys().cloned().collect();
    names.sort();
    names
}

fn data_csv(name: &str, set: &Value) -> String {
    let mods = mod_names(set);
    let header = format!("study,yi,vi,{}\n", mods.join(","));
    temp_csv(name, &(header + &data_rows(set, &mods, "")))
}

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

struct Compare<'a> {
    id: &'a str,
    tol: f64,
    worst: &'a mut f64,
}

impl Compare<'_> {
    /// `got` against `want`, relative to the larger of `|want|` and `floor`.
    fn near(&mut self, what: &str, got: &Value, want: &Value, floor: f64, tol_factor: f64) {
        let w = num(want, what);
        let g = num(got, &format!("{}: {what}", self.id));
        let diff = (g - w).abs();
        let scale = w.abs().max(floor);
        if scale < 1e-12 {
            assert!(
                diff <= 1e-12,
                "{}: {what}: got {g:e}, metafor {w:e}",
                self.id
            );
            return;
        }
        let rel = diff / scale;
        if tol_factor == 1.0 {
            *self.worst = self.worst.max(rel);
        }
        assert!(
            rel <= self.tol * tol_factor,
            "{}: {what}: got {g:e}, metafor {w:e} (rel {rel:e})",
            self.id
        );
    }

    fn opt(&mut self, what: &str, got: &Value, want: &Value) {
        match (got.is_null(), want.is_null()) {
            (true, true) => {}
            (false, false) => self.near(what, got, want, 0.0, 1.0),
            _ => panic!("{}: {what}: got {got}, metafor {want}", self.id),
        }
    }
}

/// metafor's coefficient names of a fixture case.
fn coefficient_names(case: &Value) -> Vec<&str> {
    let names = case["names"].as_array().unwrap();
    names.iter().map(|v| v.as_str().unwrap()).collect()
}

fn compare_case(id: &str, tol: f64, a: &Value, case: &Value, worst: &mut f64) {
    let mut c = Compare { id, tol, worst };
    let coefs = a["coefficients"].as_array().unwrap();
    let names: Vec<&str> = coefs.iter().map(|x| x["name"].as_str().unwrap()).collect();
    let want_names = coefficient_names(case);
    assert_eq!(names, want_names, "{id}: names");
    assert_eq!(a["p"], want_names.len(), "{id}: p");
    for (j, x) in coefs.iter().enumerate() {
        let se = num(&case["se"][j], "se");
        c.near(&format!("se[{j}]"), &x["se"], &case["se"][j], 0.0, 1.0);
        c.near(
            &format!("beta[{j}]"),
            &x["estimate"],
            &case["beta"][j],
            se,
            1.0,
        );
        c.near(
            &format!("ci_lb[{j}]"),
            &x["ci_lower"],
            &case["ci_lb"][j],
            se,
            1.0,
        );
        c.near(
            &format!("ci_ub[{j}]"),
            &x["ci_upper"],
            &case["ci_ub"][j],
            se,
            1.0,
        );
        c.near(
            &format!("z[{j}]"),
            &x["statistic"],
            &case["zval"][j],
            1.0,
            1.0,
        );
        c.near(&format!("p[{j}]"), &x["p"], &case["pval"][j], 0.0, 100.0);
    }
    c.near("QM", &a["qm"], &case["QM"], 0.0, 1.0);
    c.near("QMp", &a["qm_p"], &case["QMp"], 0.0, 100.0);
    assert_eq!(a["qm_df"], case["QMdf"][0], "{id}: QM df");
    assert_eq!(a["qm_df2"], case["QMdf"][1], "{id}: QM df2");
    c.near("QE", &a["qe"], &case["QE"], 0.0, 1.0);
    c.near("QEp", &a["qe_p"], &case["QEp"], 0.0, 100.0);
    c.near("tau2", &a["tau2"], &case["tau2"], 0.0, 1.0);
    c.opt("se_tau2", &a["tau2_se"], &case["se_tau2"]);
    c.near("I2", &a["i2"], &case["I2"], 0.0, 1.0);
    c.near("H2", &a["h2"], &case["H2"], 0.0, 1.0);
    c.opt("R2", &a["r2"], &case["R2"]);
    let tag = if case["method"] == "REML" {
        "reml"
    } else {
        "ml"
    };
    for (key, fx) in [
        ("loglik", "ll"),
        ("deviance", "dev"),
        ("aic", "aic"),
        ("bic", "bic"),
        ("aicc", "aicc"),
    ] {
        c.near(
            key,
            &a[key],
            &case[format!("{fx}_{tag}").as_str()],
            0.0,
            1.0,
        );
    }
    assert!(a["error"].is_null(), "{id}: error {}", a["error"]);
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
        let w = worst.entry(method.to_string()).or_default();
        compare_case(&id, tol, &a[0], case, w);
        compare_predictions(&id, tol, &a[0], case, set);
        fits += 1;
    }
    println!("{fits} fits compared, {refused} refused as metafor refuses them");
    for (m, w) in &worst {
        println!("{m:>5}: largest relative difference {w:.1e}");
    }
    assert!(fits > 400, "only {fits} fits compared");
}

/// The table of dat.bcg ~ ablat + factor(alloc) under REML (metafor's iteration path).
fn bcg_reml(measure: &str, path: &str) -> String {
    run_ok(&[
        "regress",
        "--measure",
        measure,
        "--mods",
        "ablat + factor(alloc)",
        "--model",
        "random",
        "--tau2",
        "REML",
        "--tau2-control",
        "metafor",
        path,
    ])
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

fn bcg_csv(name: &str, edit: impl Fn(usize, &mut Vec<String>)) -> String {
    let fx = regression_fixture();
    let text = std::fs::read_to_string(data_csv(name, &fx["data_sets"]["bcg"])).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let mut cells: Vec<String> = line.split(',').map(String::from).collect();
        if i > 0 {
            edit(i + 1, &mut cells);
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    temp_csv(name, &out)
}

/// dat.bcg with the cell of `line` in column `col` (0-based) replaced by `value`.
fn bcg_cell(name: &str, line: usize, col: usize, value: &str) -> String {
    bcg_csv(name, |l, c| {
        if l == line {
            c[col] = value.into();
        }
    })
}

fn regress(mods: &str, extra: &[&str], path: &str) -> Vec<String> {
    let mut a: Vec<String> = ["regress", "--measure", "GENERIC", "--mods", mods]
        .iter()
        .map(|s| s.to_string())
        .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a.push(path.to_string());
    a
}

fn strs(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

/// `regress --mods mods extra path` exits with status 2 and a message containing `want`.
fn fails_with(mods: &str, extra: &[&str], path: &str, want: &str) {
    let args = regress(mods, extra, path);
    let err = run_fail(&strs(&args));
    assert!(err.contains(want), "{mods} {extra:?}: {err}");
}

#[test]
fn missing_moderator_cell_names_line_and_column() {
    // header: study,yi,vi,ablat,alloc,year; line 5 loses its ablat
    let path = bcg_cell("missing-cell", 5, 3, "NA");
    // by default (--missing skip, as for a missing effect) the row is left out and listed
    let args = regress("ablat", &[], &path);
    let a = run_json(&strs(&args));
    assert_eq!(a[0]["k"], 12);
    assert_eq!(a[0]["left_out"][0]["line"], 5);
    assert_eq!(a[0]["left_out"][0]["study"], "s4");
    // --missing error: an error naming the line and the column
    let want = "line 5, column 4 (`ablat`): is missing";
    fails_with("ablat", &["--missing", "error"], &path, want);
}

#[test]
fn non_numeric_moderator_names_line_and_column() {
    let path = bcg_cell("non-numeric", 3, 3, "north");
    let want = "line 3, column 4 (`ablat`): is not a number: \"north\"";
    fails_with("ablat", &[], &path, want);
    // with --missing error too: a value that is there must be a number
    fails_with("ablat", &["--missing", "error"], &path, want);
}

#[test]
fn unknown_column_lists_the_header() {
    let path = bcg_csv("unknown", |_, _| {});
    let want = "no column `latitude` (given by --mods) in the header (`study`, `yi`, `vi`, \
                `ablat`, `alloc`, `year`)";
    fails_with("ablat + latitude", &[], &path, want);
}

#[test]
fn constant_moderator_is_the_librarys_redundant_column_error() {
    let path = bcg_csv("constant", |_, c| c[5] = "1960".into());
    let want = "moderator `year` is a linear combination of the columns before it";
    fails_with("ablat + year", &[], &path, want);
}

#[test]
fn too_many_coefficients_is_an_error() {
    let path = bcg_csv("too-many", |_, _| {});
    // a factor of the 13 study names: intercept + ablat + 12 levels = 14 coefficients
    let want = "gives 14 coefficients for 13 studies";
    fails_with("ablat + factor(study)", &[], &path, want);
}

#[test]
fn usage_errors() {
    let path = bcg_csv("usage", |_, _| {});
    for (mods, extra, want) in [
        ("ablat +", vec![], "an empty term"),
        ("ablat", vec!["--btt", "0"], "1-based"),
        (
            "ablat",
            vec!["--reference", "ablat=1"],
            "is not a factor(...)",
        ),
    ] {
        fails_with(mods, &extra, &path, want);
    }
}

#[test]
fn keep_going_reports_the_failed_analysis() {
    let fx = regression_fixture();
    let mods = mod_names(&fx["data_sets"]["bcg"]);
    let rows = data_rows(&fx["data_sets"]["bcg"], &mods, "ok,");
    let mut text = format!("dataset,study,yi,vi,{}\n", mods.join(","));
    text.push_str(&rows);
    // a second analysis whose latitude is constant
    for line in rows.lines() {
        let mut c: Vec<&str> = line.split(',').collect();
        c[0] = "flat";
        c[4] = "40";
        text.push_str(&c.join(","));
        text.push('\n');
    }
    let path = temp_csv("keep-going", &text);
    let out = run(&[
        "regress",
        "--measure",
        "GENERIC",
        "--mods",
        "ablat",
        "--by",
        "dataset",
        "--keep-going",
        "--format",
        "json",
        &path,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = v["analyses"].as_array().unwrap();
    assert!(a[0]["error"].is_null());
    assert!(a[1]["error"]
        .as_str()
        .unwrap()
        .contains("moderator `ablat`"));
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

/// `--format csv`: one row per coefficient, each number the JSON's (metafor-checked above).
#[test]
fn csv_has_a_row_per_coefficient_with_the_json_numbers() {
    let path = bcg_csv("csv", |_, _| {});
    let base = regress(
        "ablat + factor(alloc)",
        &["--model", "random", "--ci", "hk"],
        &path,
    );
    let json = run_json(&strs(&base));
    let mut args = base.clone();
    args.extend(["--format".to_string(), "csv".to_string()]);
    let text = run_ok(&strs(&args));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 4);
    let a = &json[0];
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for (row, c) in rows.iter().zip(a["coefficients"].as_array().unwrap()) {
        assert_eq!(row[col("coefficient")], c["name"].as_str().unwrap());
        for (csv_name, key) in [
            ("estimate", "estimate"),
            ("se", "se"),
            ("statistic", "statistic"),
            ("p", "p"),
            ("ci_lower", "ci_lower"),
            ("ci_upper", "ci_upper"),
        ] {
            let got: f64 = row[col(csv_name)].parse().unwrap();
            assert_eq!(got, num(&c[key], key), "{csv_name}");
        }
        assert_eq!(row[col("df")], "9");
        for key in [
            "qm", "qm_p", "qe", "qe_p", "tau2", "i2", "h2", "r2", "loglik", "aicc",
        ] {
            let got: f64 = row[col(key)].parse().unwrap();
            assert_eq!(got, num(&a[key], key), "{key}");
        }
        assert_eq!(row[col("qm_df2")], "9");
        assert_eq!(row[col("error")], "");
    }
}

#[test]
fn newmods_errors_name_the_column_or_cell() {
    let path = bcg_csv("newmods-bad", |_, _| {});
    let lacks = temp_csv("newmods-lacks", "ablat\n40\n");
    let want = "--newmods has no column `allocalternate` (a coefficient)";
    fails_with("ablat + factor(alloc)", &["--newmods", &lacks], &path, want);
    let bad = temp_csv("newmods-cell", "ablat\n40\nforty\n");
    let want = "line 3, column 1 (`ablat`): is not a number: \"forty\"";
    fails_with("ablat", &["--newmods", &bad], &path, want);
    let extra = temp_csv("newmods-extra", "ablat,year\n40,1970\n");
    let want = "column `year` is not a coefficient of the fit (intrcpt, ablat)";
    fails_with("ablat", &["--newmods", &extra], &path, want);
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
