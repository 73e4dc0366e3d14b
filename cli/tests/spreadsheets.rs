//! End-to-end tests on spreadsheets as people really have them: line endings, byte-order marks,
//! header spellings, missing cells, decimal commas, ratio CIs without --scale, one-study
//! analyses under a t-based test, Freeman-Tukey per-study values, zero-cell corrections and the
//! per-study CSV rows.
//!
//! References: `fixtures/cli/spreadsheets.json` (metafor 3.8 escalc/transf.ipft, written by
//! `fixtures/cli/spreadsheets.R`) at 1e-10 relative; otherwise the same data in the canonical
//! layout, which must give bit-identical numbers.

mod common;
use common::*;
use std::path::PathBuf;

/// Write `bytes` to a fresh file in the test's temporary directory.
fn sheet(name: &str, bytes: &[u8]) -> String {
    let dir: PathBuf = std::env::temp_dir().join(format!("metapool-sheets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

/// Five MD studies (Fleiss 1993, from fixtures/cli/core_md.csv) in the canonical layout.
const MD_ROWS: [&str; 5] = [
    "A,5,4.7,13,6.5,3.8,13",
    "B,4.9,1.71,30,6.1,2.3,50",
    "C,22.5,3.44,35,24.9,10.65,35",
    "D,12.5,1.47,20,12.3,1.66,20",
    "E,6.5,0.76,8,7.38,1.41,8",
];

fn md_file(header: &str, eol: &str, final_eol: bool, bom: bool) -> Vec<u8> {
    let mut s = String::new();
    if bom {
        s.push('\u{feff}');
    }
    s.push_str(header);
    for r in MD_ROWS {
        s.push_str(eol);
        s.push_str(r);
    }
    if final_eol {
        s.push_str(eol);
    }
    s.into_bytes()
}

const CANONICAL: &str = "study,m1,sd1,n1,m2,sd2,n2";

fn pooled(file: &str, extra: &[&str]) -> Value {
    let mut a = vec!["pool", "--measure", "MD"];
    a.extend_from_slice(extra);
    a.push(file);
    run_json(&a).remove(0)
}

#[test]
fn crlf_lf_bom_and_missing_final_newline_give_the_same_line_numbers() {
    let want = pooled(
        &sheet("lf.csv", &md_file(CANONICAL, "\n", true, false)),
        &[],
    );
    assert_eq!(
        (want["first_line"].as_u64(), want["last_line"].as_u64()),
        (Some(2), Some(6))
    );
    for (name, eol, final_eol, bom) in [
        ("crlf.csv", "\r\n", true, false),
        ("crlf_bom.csv", "\r\n", true, true),
        ("crlf_no_final.csv", "\r\n", false, false),
        ("lf_bom_no_final.csv", "\n", false, true),
        ("cr.csv", "\r", true, false),
    ] {
        let path = sheet(name, &md_file(CANONICAL, eol, final_eol, bom));
        let got = pooled(&path, &[]);
        assert_eq!(got["first_line"], 2, "{name}");
        assert_eq!(got["last_line"], 6, "{name}");
        let lines: Vec<u64> = got["studies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["line"].as_u64().unwrap())
            .collect();
        assert_eq!(lines, [2, 3, 4, 5, 6], "{name}");
        assert_eq!(got["estimate"], want["estimate"], "{name}");
        let table = run_ok(&["pool", "--measure", "MD", &path]);
        assert!(table.starts_with("Analysis (lines 2-6)"), "{name}: {table}");
    }
    // An error on line 4 of a CRLF file names line 4.
    let bad = md_file(CANONICAL, "\r\n", true, false);
    let bad = String::from_utf8(bad).unwrap().replace("22.5", "x22");
    let err = run_fail(&[
        "pool",
        "--measure",
        "MD",
        &sheet("crlf_bad.csv", bad.as_bytes()),
    ]);
    assert!(err.contains("line 4, column 2 (`m1`)"), "{err}");
}

#[test]
fn headers_match_ignoring_case_spaces_dots_hyphens_underscores_and_aliases() {
    let want = pooled(
        &sheet("canon.csv", &md_file(CANONICAL, "\n", true, false)),
        &[],
    );
    for header in [
        "Study,Mean1,SD 1,N1,Mean2,SD 2,N2",
        "study,mean_t,sd_t,n_t,mean_c,sd_c,n_c",
        "Study,Experimental Mean,Experimental SD,Experimental Total,Control Mean,Control SD,Control Total",
        "Study,Exp. mean,Exp. SD,Exp. total,Ctrl. mean,Ctrl. SD,Ctrl. total",
        "Study or Subgroup,Mean,SD,Total,Mean,SD,Total",
        "STUDY,M-1,S.D.1,N_1,M-2,S.D.2,N_2",
        "study,m1i,sd1i,n1i,m2i,sd2i,n2i",
    ] {
        let got = pooled(&sheet("h.csv", &md_file(header, "\n", true, false)), &[]);
        for k in ["estimate", "se", "tau2", "q"] {
            assert_eq!(got[k], want[k], "{header}: {k}");
        }
        assert_eq!(got["studies"][2]["study"], "C", "{header}");
    }
    // Binary and generic aliases.
    let bin =
        "study,events_t,total_t,events_c,total_c\nA,4,123,11,139\nB,6,306,29,303\nC,3,231,11,220\n";
    let canon =
        "study,events1,total1,events2,total2\nA,4,123,11,139\nB,6,306,29,303\nC,3,231,11,220\n";
    let a = run_json(&["pool", "--measure", "OR", &sheet("bin.csv", bin.as_bytes())]);
    let b = run_json(&[
        "pool",
        "--measure",
        "OR",
        &sheet("binc.csv", canon.as_bytes()),
    ]);
    assert_eq!(a[0]["estimate"], b[0]["estimate"]);
    let se = "study,TE,seTE\nA,0.1,0.2\nB,0.3,0.1\nC,-0.1,0.3\n";
    let yi_vi = "study,yi,vi\nA,0.1,0.04000000000000001\nB,0.3,0.010000000000000002\nC,-0.1,0.09\n";
    let yi_sei = "study,yi,sei\nA,0.1,0.2\nB,0.3,0.1\nC,-0.1,0.3\n";
    let ests: Vec<Value> = [se, yi_vi, yi_sei]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            run_json(&[
                "pool",
                "--measure",
                "GENERIC",
                &sheet(&format!("g{i}.csv"), t.as_bytes()),
            ])
            .remove(0)
        })
        .collect();
    assert_eq!(ests[0]["estimate"], ests[2]["estimate"]);
    close(
        "yi/vi",
        num(&ests[1]["estimate"], "e"),
        num(&ests[0]["estimate"], "e"),
    );
    // HR, lower, upper with --scale log.
    let hr = "study,HR,lower,upper\nA,0.8,0.6,1.0666666666666667\nB,1.2,0.9,1.6\n";
    let canon = "study,estimate,ci_lower,ci_upper\nA,0.8,0.6,1.0666666666666667\nB,1.2,0.9,1.6\n";
    let a = run_json(&[
        "pool",
        "--measure",
        "GENERIC",
        "--scale",
        "log",
        &sheet("hr.csv", hr.as_bytes()),
    ]);
    let b = run_json(&[
        "pool",
        "--measure",
        "GENERIC",
        "--scale",
        "log",
        &sheet("hrc.csv", canon.as_bytes()),
    ]);
    assert_eq!(a[0]["estimate"], b[0]["estimate"]);
}

#[test]
fn explicit_column_map_wins() {
    let want = pooled(
        &sheet("canon2.csv", &md_file(CANONICAL, "\n", true, false)),
        &[],
    );
    // `m1` is a decoy column; the map points m1 at `Mean (T)`.
    let header = "study,Mean (T),SD_T,N_T,Mean (C),SD_C,N_C";
    let mut text = String::from_utf8(md_file(header, "\n", true, false)).unwrap();
    text = text.replacen("study,", "m1,study,", 1);
    text = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l.to_string()
            } else {
                format!("999,{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path = sheet("map.csv", text.as_bytes());
    let got = pooled(
        &path,
        &[
            "--columns",
            "m1=Mean (T), sd1=SD_T, n1=N_T, m2=Mean (C), sd2=SD_C, n2=N_C",
        ],
    );
    assert_eq!(got["estimate"], want["estimate"]);
    let err = run_fail(&["pool", "--measure", "MD", "--columns", "m1=nope", &path]);
    assert!(err.contains("--columns m1=nope: no column `nope`"), "{err}");
}

#[test]
fn missing_columns_list_the_header_and_the_nearest_matches() {
    let path = sheet(
        "near.csv",
        &md_file("study,mean1,sdev1,n1,mean2,sdev2,n2", "\n", true, false),
    );
    let err = run_fail(&["pool", "--measure", "MD", &path]);
    for needle in [
        "line 1: missing columns `sd1`, `sd2` required by --measure MD",
        "the header has `study`, `mean1`, `sdev1`, `n1`, `mean2`, `sdev2`, `n2`",
        "nearest to `sd1`: `sdev1`",
        "nearest to `sd2`: `sdev2`",
        "--columns sd1=HEADER",
    ] {
        assert!(err.contains(needle), "`{needle}` not in: {err}");
    }
}

#[test]
fn missing_data_rows_are_listed_counted_and_left_out() {
    let mut text = String::from_utf8(md_file(CANONICAL, "\n", true, false)).unwrap();
    text = text
        .replace("B,4.9,1.71,30", "B,NA,1.71,30")
        .replace("D,12.5,1.47,20", "D,12.5,.,20");
    text.push_str("F,1,1,10,,1,10\n");
    let path = sheet("missing.csv", text.as_bytes());
    let got = pooled(&path, &[]);
    assert_eq!(got["k"], 3);
    assert_eq!(got["left_out"], 3);
    let st = got["studies"].as_array().unwrap();
    assert_eq!(st.len(), 6);
    for i in [1, 3, 5] {
        assert_eq!(st[i]["excluded"], "Not estimable (missing data)", "row {i}");
        assert!(st[i]["estimate"].is_null() && st[i]["weight"].is_null());
    }
    assert_eq!(st[5]["line"], 7);
    // The same three studies alone give the same fit.
    let rows: Vec<&str> = [MD_ROWS[0], MD_ROWS[2], MD_ROWS[4]].to_vec();
    let alone = format!("{CANONICAL}\n{}\n", rows.join("\n"));
    let want = pooled(&sheet("three.csv", alone.as_bytes()), &[]);
    assert_eq!(got["estimate"], want["estimate"]);
    assert_eq!(st[2]["weight"], want["studies"][1]["weight"]);
    // Table and CSV list them too.
    let table = run_ok(&["pool", "--measure", "MD", &path]);
    assert!(table.contains("Not estimable (missing data)"), "{table}");
    assert!(
        table.contains("3 rows with missing data (not estimable, left out)"),
        "{table}"
    );
    let csv = run_ok(&[
        "pool",
        "--measure",
        "MD",
        "--format",
        "csv",
        "--csv-rows",
        "all",
        &path,
    ]);
    assert_eq!(
        csv.matches("Not estimable (missing data)").count(),
        3,
        "{csv}"
    );
    // --missing error stops at the first one.
    let err = run_fail(&["pool", "--measure", "MD", "--missing", "error", &path]);
    assert!(
        err.contains("line 3, column 2 (`m1`): is missing (\"NA\""),
        "{err}"
    );
}

#[test]
fn decimal_commas_and_thousands_separators_only_when_asked() {
    let want = pooled(
        &sheet("canon3.csv", &md_file(CANONICAL, "\n", true, false)),
        &[],
    );
    let eu = String::from_utf8(md_file(CANONICAL, "\n", true, false))
        .unwrap()
        .replace(',', ";")
        .replace('.', ",");
    let path = sheet("eu.csv", eu.as_bytes());
    let got = pooled(&path, &["--delimiter", ";", "--decimal", ","]);
    assert_eq!(got["estimate"], want["estimate"]);
    // Without --decimal: a clear error with the hint.
    let err = run_fail(&["pool", "--measure", "MD", "--delimiter", ";", &path]);
    assert!(
        err.contains("is not a number: \"4,7\"") && err.contains("--decimal ,"),
        "{err}"
    );
    // Thousands: "1,234.5" with --thousands , (fields quoted).
    let th = "study,m1,sd1,n1,m2,sd2,n2\nA,\"1,005\",4.7,13,\"1,006.5\",3.8,13\nB,\"1,004.9\",1.71,30,\"1,006.1\",2.3,50\n";
    let shifted =
        "study,m1,sd1,n1,m2,sd2,n2\nA,1005,4.7,13,1006.5,3.8,13\nB,1004.9,1.71,30,1006.1,2.3,50\n";
    let a = pooled(&sheet("th.csv", th.as_bytes()), &["--thousands", ","]);
    let b = pooled(&sheet("thc.csv", shifted.as_bytes()), &[]);
    assert_eq!(a["estimate"], b["estimate"]);
    let err = run_fail(&["pool", "--measure", "MD", &sheet("th2.csv", th.as_bytes())]);
    assert!(err.contains("is not a number: \"1,005\""), "{err}");
    // Percentages are never guessed.
    let pct = "study,events,total\nA,12%,100\n";
    let err = run_fail(&["pool", "--measure", "PR", &sheet("pct.csv", pct.as_bytes())]);
    assert!(err.contains("percentages are not read"), "{err}");
}

#[test]
fn generic_ratio_intervals_without_scale_warn_about_scale_log() {
    let hr = "study,estimate,ci_lower,ci_upper\nA,0.8,0.6,1.07\nB,1.2,0.9,1.6\nC,0.5,0.25,1.0\n";
    let path = sheet("ratio.csv", hr.as_bytes());
    let out = run(&["pool", "--measure", "GENERIC", &path]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("--scale log"),
        "{err}"
    );
    let out = run(&["pool", "--measure", "GENERIC", "--scale", "log", &path]);
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
    // Differences with symmetric intervals: no warning.
    let md = "study,estimate,ci_lower,ci_upper\nA,0.8,0.6,1.0\nB,1.2,0.9,1.5\n";
    let out = run(&[
        "pool",
        "--measure",
        "GENERIC",
        &sheet("diff.csv", md.as_bytes()),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
}

#[test]
fn by_with_a_t_based_ci_falls_back_to_z_for_one_study() {
    let text = "g,study,m1,sd1,n1,m2,sd2,n2\nx,A,5,4.7,13,6.5,3.8,13\ny,B,4.9,1.71,30,6.1,2.3,50\ny,C,22.5,3.44,35,24.9,10.65,35\n";
    let path = sheet("k1.csv", text.as_bytes());
    for ci in ["t", "hk", "hk-adhoc"] {
        let a = run_json(&[
            "pool",
            "--measure",
            "MD",
            "--by",
            "g",
            "--model",
            "random",
            "--ci",
            ci,
            &path,
        ]);
        assert_eq!(a.len(), 2);
        // k = 1: z test, the study's own estimate and SE (metafor: test = "z" since k = 1).
        let s = &a[0]["studies"][0];
        assert_eq!(a[0]["estimate"], s["estimate"]);
        assert_eq!(a[0]["se"], s["se"]);
        assert!(a[0]["t_df"].is_null());
        let z = num(&a[0]["estimate"], "e") / num(&a[0]["se"], "se");
        close("z", num(&a[0]["z"], "z"), z);
        let note = a[0]["notes"][0].as_str().unwrap();
        assert!(
            note.contains("tested with z") && note.contains("k = 1"),
            "{}",
            a[0]
        );
        // k = 2 keeps the t-based test.
        assert_eq!(a[1]["t_df"], 1, "{ci}");
    }
}

fn reference() -> Value {
    let text = std::fs::read_to_string(fixture("cli/spreadsheets.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn freeman_tukey_studies_back_transform_at_their_own_n() {
    let r = &reference()["freeman_tukey"];
    let mut text = String::from("study,events,total\n");
    for (i, (x, n)) in r["xi"]
        .as_array()
        .unwrap()
        .iter()
        .zip(r["ni"].as_array().unwrap())
        .enumerate()
    {
        text.push_str(&format!("S{i},{x},{n}\n"));
    }
    let path = sheet("pft.csv", text.as_bytes());
    let a = run_json(&["pool", "--measure", "PFT", "--model", "fixed", &path]).remove(0);
    for (i, s) in a["studies"].as_array().unwrap().iter().enumerate() {
        for (key, refkey) in [
            ("proportion_estimate", "proportion"),
            ("proportion_ci_lower", "proportion_ci_lower"),
            ("proportion_ci_upper", "proportion_ci_upper"),
        ] {
            let want = num(&r[refkey][i], refkey);
            let got = num(&s[key], key);
            assert!(
                (got - want).abs() <= 1e-10 * want.abs().max(1e-3),
                "study {i} {key}: {got} vs metafor {want}"
            );
        }
    }
    close(
        "pooled",
        num(&a["proportion_estimate"], "p"),
        num(&r["pooled_proportion"], "p"),
    );
    let table = run_ok(&["pool", "--measure", "PFT", "--model", "fixed", &path]);
    assert!(
        table.contains("S1") && table.contains("0.40 [0.02, 0.86]"),
        "{table}"
    );
}

/// A file of the reference's 2x2 tables (rows `keep`, 0-based).
fn tables_file(name: &str, keep: &[usize]) -> String {
    let t = &reference()["tables"];
    let col = |k: &str, i: usize| t[k][i].as_f64().unwrap();
    let mut text = String::from("study,events1,total1,events2,total2\n");
    for &i in keep {
        text.push_str(&format!(
            "T{i},{},{},{},{}\n",
            col("ai", i),
            col("n1", i),
            col("ci", i),
            col("n2", i)
        ));
    }
    sheet(name, text.as_bytes())
}

/// Studies' estimate and variance against escalc's (null where escalc gives NA).
fn compare_escalc(ctx: &str, a: &Value, want: &Value) {
    let st = a["studies"].as_array().unwrap();
    let yi = want["yi"].as_array().unwrap();
    assert_eq!(st.len(), yi.len(), "{ctx}");
    for (i, s) in st.iter().enumerate() {
        if yi[i].is_null() {
            assert!(
                s["estimate"].is_null(),
                "{ctx} study {i} should be excluded"
            );
            continue;
        }
        close(
            &format!("{ctx} yi[{i}]"),
            num(&s["estimate"], "y"),
            num(&yi[i], "yi"),
        );
        let se = num(&s["se"], "se");
        close(
            &format!("{ctx} vi[{i}]"),
            se * se,
            num(&want["vi"][i], "vi"),
        );
    }
}

#[test]
fn zero_cell_corrections_match_metafor_escalc() {
    let r = reference();
    let all = tables_file("t_all.csv", &[0, 1, 2, 3, 4]);
    let fixed = ["--model", "fixed", "--fixed-method", "IV"];
    let case = |measure: &str, file: &str, opts: &[&str]| {
        let mut a = vec!["pool", "--measure", measure];
        a.extend_from_slice(&fixed);
        a.extend_from_slice(opts);
        a.push(file);
        run_json(&a).remove(0)
    };
    compare_escalc(
        "OR to all",
        &case("OR", &all, &["--to", "all"]),
        &r["or_add_all"],
    );
    compare_escalc(
        "OR if0all",
        &case("OR", &all, &["--to", "if0all"]),
        &r["or_if0all"],
    );
    compare_escalc(
        "OR add 1",
        &case("OR", &all, &["--add", "1"]),
        &r["or_add1"],
    );
    let no_zero = tables_file("t_nz.csv", &[0, 1, 4]);
    compare_escalc(
        "OR add 0",
        &case("OR", &no_zero, &["--add", "0"]),
        &r["or_add0_rows_1_2_5"],
    );
    compare_escalc(
        "RD drop00 yes",
        &case("RD", &all, &["--drop00", "yes"]),
        &r["rd_drop00"],
    );
    compare_escalc(
        "RD drop00 no",
        &case("RD", &all, &["--drop00", "no"]),
        &r["rd_keep00"],
    );
    let no_dz = tables_file("t_ndz.csv", &[0, 1, 2, 4]);
    compare_escalc(
        "RD add 0",
        &case("RD", &no_dz, &["--add", "0"]),
        &r["rd_add0_without_row4"],
    );
    // An OR with a zero cell and --add 0 is a clear error, not a silent correction.
    let err = run_fail(&[
        "pool",
        "--measure",
        "OR",
        "--fixed-method",
        "IV",
        "--add",
        "0",
        &all,
    ]);
    assert!(err.contains("line 4"), "{err}");
    // --drop00 yes on RD lists the dropped table.
    let a = case("RD", &all, &["--drop00", "yes"]);
    assert!(a["studies"][3]["excluded"]
        .as_str()
        .unwrap()
        .contains("--drop00 yes"));
    let err = run_fail(&["pool", "--measure", "OR", "--drop00", "no", &all]);
    assert!(err.contains("--drop00 no is not available for OR"), "{err}");
    // Proportions: PLO with 0.5 added to every study.
    let t = "study,events,total\nA,2,5\nB,6,10\nC,12,15\n";
    let plo = sheet("plo.csv", t.as_bytes());
    let a = run_json(&[
        "pool",
        "--measure",
        "PLO",
        "--model",
        "fixed",
        "--to",
        "all",
        &plo,
    ])
    .remove(0);
    compare_escalc("PLO to all", &a, &r["plo_add_all_rows_2_4"]);
}

#[test]
fn csv_rows_all_has_one_row_per_study_with_the_json_numbers() {
    let path = fixture("cli/zhou_style_proteinuria.csv");
    let csv = run_ok(&[
        "pool",
        "--measure",
        "MD",
        "--subgroup",
        "time",
        "--format",
        "csv",
        "--csv-rows",
        "all",
        &path,
    ]);
    let json = run_json(&["pool", "--measure", "MD", "--subgroup", "time", &path]).remove(0);
    let mut r = ::csv::Reader::from_reader(csv.as_bytes());
    let header = r.headers().unwrap().clone();
    assert_eq!(&header[0], "row");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<::csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let kinds: Vec<&str> = rows.iter().map(|x| &x[0]).collect();
    let studies = json["studies"].as_array().unwrap();
    let subgroups = json["subgroups"].as_array().unwrap();
    assert_eq!(
        kinds.iter().filter(|k| **k == "study").count(),
        studies.len()
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "subgroup").count(),
        subgroups.len()
    );
    assert_eq!(kinds.iter().filter(|k| **k == "pooled").count(), 1);
    assert_eq!(kinds.last(), Some(&"subgroup-test"));
    let study_rows: Vec<&::csv::StringRecord> = rows.iter().filter(|x| &x[0] == "study").collect();
    for (row, s) in study_rows.iter().zip(studies) {
        assert_eq!(&row[col("study")], s["study"].as_str().unwrap());
        for (c, k) in [
            ("estimate", "estimate"),
            ("se", "se"),
            ("ci_lower", "ci_lower"),
            ("weight", "weight"),
        ] {
            let got: f64 = row[col(c)].parse().unwrap();
            assert_eq!(Some(got), s[k].as_f64(), "{c}");
        }
    }
    let test = rows.last().unwrap();
    let q: f64 = test[col("q")].parse().unwrap();
    assert_eq!(Some(q), json["subgroup_test"]["q"].as_f64());
}

#[test]
fn no_progress_bar_when_stderr_is_a_pipe() {
    // The bar is drawn only on a terminal, after a second; the tests' stderr is a pipe.
    let path = fixture("cli/core_md.csv");
    let out = run(&[
        "pool",
        "--measure",
        "MD",
        "--by",
        "dataset",
        "--format",
        "csv",
        &path,
    ]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
