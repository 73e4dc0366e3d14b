//! `metapool regress` on bad input and its other outputs: a missing or non-numeric moderator
//! cell (its line and column), an unknown column (the header listed), a constant moderator and
//! more coefficients than studies (the library's typed errors), usage errors, `--keep-going`,
//! `--format csv` (the JSON's numbers, which cli/tests/regress.rs checks against metafor) and
//! `--newmods` files with a wrong column or cell.

mod common;
mod regress_support;
use common::*;
use regress_support::*;

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
