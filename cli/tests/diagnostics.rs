//! End-to-end tests of `metapool sensitivity`, `metapool bias` and `metapool check`.
//!
//! `sensitivity` and `bias` run on the datasets of `fixtures/metafor/sensitivity.json`
//! (metafor 3.8-1 leave1out, cumul, influence, regtest, ranktest and trimfill, written by
//! `fixtures/metafor/generate_sensitivity.R`), read from a CSV of their `yi, vi` as
//! `--measure GENERIC`; every number is compared at 1e-8 relative, the library's tolerance
//! against the same fixture (tests/metafor_sensitivity.rs), and a reference that is exactly 0 at
//! 1e-12 absolute (the CLI reads `se = sqrt(vi)`, so `v` may differ from `vi` by an ulp).
//! `check` runs on Zhou et al. (2020)'s 52 table rows and 3 text variants
//! (`fixtures/zhou2020/check.csv`, written by `make_check_csv.py` from `tables.json` and
//! `text_variants.json`).

mod common;
use common::*;

const TOL: f64 = 1e-8;

fn near(what: &str, got: &Value, want: &Value) {
    let (g, w) = (num(got, what), num(want, what));
    let ok = if w == 0.0 {
        g.abs() <= 1e-12
    } else {
        ((g - w) / w).abs() <= TOL
    };
    assert!(ok, "{what}: got {g:e}, metafor {w:e}");
}

fn sensitivity_fixture() -> Value {
    let text = std::fs::read_to_string(fixture("metafor/sensitivity.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The datasets as one CSV: dataset, study, yi, vi and (where metafor has one) the order key,
/// in a file of the calling test's own (`name`; the tests run in parallel).
fn datasets_csv(name: &str) -> String {
    let f = sensitivity_fixture();
    let mut text = String::from("dataset,study,yi,vi,year\n");
    for ds in f["datasets"].as_array().unwrap() {
        let name = ds["name"].as_str().unwrap();
        let yi = ds["yi"].as_array().unwrap();
        for (i, y) in yi.iter().enumerate() {
            let key = ds["order_key"]
                .get(i)
                .map(|k| k.to_string())
                .unwrap_or_else(|| "0".into());
            text.push_str(&format!(
                "{name},{name} #{},{y},{},{key}\n",
                i + 1,
                ds["vi"][i]
            ));
        }
    }
    let dir = std::env::temp_dir().join(format!("metapool-diag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{name}.csv"));
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// The CLI options of one of the fixture's fits.
fn model_args(method: &str, test: &str) -> Option<Vec<&'static str>> {
    let tau2 = match method {
        "FE" => return (test == "z").then(|| vec!["--model", "fixed"]),
        "DL" => "DL",
        "REML" => "REML",
        "PM" => "PM",
        "ML" => "ML",
        "HE" => "HE",
        "HS" => "HS",
        "SJ" => "SJ",
        "EB" => "EB",
        "HSk" => "HSK",
        "PMM" => "PMM",
        _ => return None,
    };
    let ci = match test {
        "z" => "wald",
        "t" => "t",
        "knha" => "hk",
        "adhoc" => "hk-adhoc",
        _ => return None,
    };
    // The fixture is metafor with its default control: its iteration path.
    Some(vec![
        "--model",
        "random",
        "--tau2",
        tau2,
        "--tau2-control",
        "metafor",
        "--ci",
        ci,
    ])
}

/// The fits compared: every fixture analysis the CLI options can express.
fn fits() -> Vec<(String, String, Vec<&'static str>)> {
    let f = sensitivity_fixture();
    let mut out = Vec::new();
    for a in f["datasets"][0]["analyses"].as_array().unwrap() {
        let (m, t) = (a["method"].as_str().unwrap(), a["test"].as_str().unwrap());
        if let Some(args) = model_args(m, t) {
            out.push((m.to_string(), t.to_string(), args));
        }
    }
    out
}

fn analysis_of<'a>(ds: &'a Value, method: &str, test: &str) -> Option<&'a Value> {
    ds["analyses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["method"] == method && a["test"] == test)
}

#[test]
fn sensitivity_matches_metafor_leave1out_cumul_and_influence() {
    let f = sensitivity_fixture();
    let path = datasets_csv("sensitivity");
    let mut compared = 0;
    for (method, test, model) in fits() {
        for ordered in [false, true] {
            let mut args = vec!["sensitivity", "--measure", "GENERIC", "--by", "dataset"];
            args.extend_from_slice(&model);
            if ordered {
                args.extend(["--order", "year"]);
            }
            args.push(&path);
            let got = run_json(&args);
            for (a, ds) in got.iter().zip(f["datasets"].as_array().unwrap()) {
                assert_eq!(a["id"], ds["name"]);
                let Some(want) = analysis_of(ds, &method, &test) else {
                    continue;
                };
                let ctx = format!("{} {method} {test}", ds["name"]);
                let cum_key = if ordered { "cumul_by_key" } else { "cumul" };
                if ordered && want.get(cum_key).is_none() {
                    continue;
                }
                let loo = a["leave_one_out"].as_array().unwrap();
                for (i, row) in loo.iter().enumerate() {
                    for k in [
                        "estimate", "se", "ci_lower", "ci_upper", "z", "p", "q", "tau2", "i2",
                    ] {
                        near(
                            &format!("{ctx} leave1out[{i}] {k}"),
                            &row[k],
                            &want["leave1out"][k][i],
                        );
                    }
                    compared += 1;
                }
                let cum = a["cumulative"].as_array().unwrap();
                let order: Vec<usize> = match want[cum_key].get("order") {
                    Some(o) => o
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_u64().unwrap() as usize)
                        .collect(),
                    None => (0..cum.len()).collect(),
                };
                for (i, row) in cum.iter().enumerate() {
                    assert_eq!(
                        row["study"],
                        format!("{} #{}", ds["name"].as_str().unwrap(), order[i] + 1),
                        "{ctx} order"
                    );
                    for k in ["estimate", "se", "ci_lower", "ci_upper", "p", "tau2", "i2"] {
                        near(
                            &format!("{ctx} {cum_key}[{i}] {k}"),
                            &row[k],
                            &want[cum_key][k][i],
                        );
                    }
                    assert_eq!(row["k"], i + 1);
                }
                let inf = a["influence"].as_array().unwrap();
                for (i, row) in inf.iter().enumerate() {
                    for (k, w) in [
                        ("rstudent", "rstudent"),
                        ("dffits", "dffits"),
                        ("cooks_distance", "cook_d"),
                        ("cov_ratio", "cov_r"),
                        ("tau2_deleted", "tau2_del"),
                        ("q_deleted", "q_del"),
                        ("hat", "hat"),
                        ("weight", "weight"),
                        ("dfbetas", "dfbetas"),
                    ] {
                        near(
                            &format!("{ctx} influence[{i}] {k}"),
                            &row[k],
                            &want["influence"][w][i],
                        );
                    }
                    assert_eq!(
                        row["influential"], want["influence"]["is_infl"][i],
                        "{ctx} influential {i}"
                    );
                }
            }
        }
    }
    assert!(compared > 1000, "{compared}");
}

#[test]
fn bias_matches_metafor_regtest_ranktest_and_trimfill() {
    let f = sensitivity_fixture();
    let path = datasets_csv("bias");
    for (method, test, model) in fits() {
        for (estimator, tf_key) in [("L0", "trimfill_L0"), ("R0", "trimfill_R0")] {
            let mut args = vec![
                "bias",
                "--measure",
                "GENERIC",
                "--by",
                "dataset",
                "--keep-going",
            ];
            args.extend_from_slice(&model);
            args.extend(["--trimfill-estimator", estimator]);
            args.push(&path);
            let got = run_json(&args);
            for (a, ds) in got.iter().zip(f["datasets"].as_array().unwrap()) {
                let Some(want) = analysis_of(ds, &method, &test) else {
                    continue;
                };
                let ctx = format!("{} {method} {test}", ds["name"]);
                let eg = &a["egger"];
                let rt = &want["regtest"];
                let stat = if rt.get("z").is_some() { "z" } else { "t" };
                for (k, w) in [
                    ("statistic", stat),
                    ("p", "p"),
                    ("limit_estimate", "limit"),
                    ("limit_ci_lower", "limit_ci_lower"),
                    ("limit_ci_upper", "limit_ci_upper"),
                    ("slope", "slope"),
                    ("slope_se", "slope_se"),
                ] {
                    near(&format!("{ctx} regtest {k}"), &eg[k], &rt[w]);
                }
                let rk = &ds["ranktest"];
                near(
                    &format!("{ctx} ranktest tau"),
                    &a["begg"]["tau"],
                    &rk["tau"],
                );
                near(&format!("{ctx} ranktest p"), &a["begg"]["p"], &rk["p"]);
                let tf = &a["trim_and_fill"];
                let w = &want[tf_key];
                if w.is_null() || w.get("k0").is_none() {
                    continue;
                }
                assert_eq!(tf["k0"], w["k0"], "{ctx} {tf_key} k0");
                assert_eq!(tf["side"], w["side"][0], "{ctx} {tf_key} side");
                near(&format!("{ctx} {tf_key} se_k0"), &tf["se_k0"], &w["se_k0"]);
                for k in ["estimate", "se", "ci_lower", "ci_upper", "p", "tau2"] {
                    near(&format!("{ctx} {tf_key} {k}"), &tf[k], &w["fit"][k]);
                }
                let filled = tf["filled"].as_array().unwrap();
                let fy = w["filled_yi"].as_array().unwrap();
                assert_eq!(filled.len(), fy.len(), "{ctx} filled");
                for (i, x) in filled.iter().enumerate() {
                    near(&format!("{ctx} filled {i}"), &x["estimate"], &fy[i]);
                    let se = num(&x["se"], "se");
                    near(
                        &format!("{ctx} filled var {i}"),
                        &Value::from(se * se),
                        &w["filled_vi"][i],
                    );
                }
            }
        }
    }
    // The classical Egger test (metafor regtest(model = "lm")).
    let got = run_json(&[
        "bias",
        "--measure",
        "GENERIC",
        "--by",
        "dataset",
        "--egger-model",
        "classical",
        &path,
    ]);
    for (a, ds) in got.iter().zip(f["datasets"].as_array().unwrap()) {
        let ctx = ds["name"].as_str().unwrap();
        let w = &ds["regtest_lm"];
        for (k, r) in [
            ("statistic", "t"),
            ("p", "p"),
            ("limit_estimate", "limit"),
            ("limit_ci_lower", "limit_ci_lower"),
            ("limit_ci_upper", "limit_ci_upper"),
        ] {
            near(&format!("{ctx} regtest lm {k}"), &a["egger"][k], &w[r]);
        }
        assert_eq!(a["egger"]["df"], w["df"], "{ctx}");
    }
}

#[test]
fn bias_writes_a_funnel_plot_and_table() {
    let path = datasets_csv("funnel");
    let dir = std::env::temp_dir().join(format!("metapool-funnel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("funnel.svg");
    let text = run_ok(&[
        "bias",
        "--measure",
        "GENERIC",
        "--by",
        "dataset",
        "--funnel",
        svg.to_str().unwrap(),
        &path,
    ]);
    assert!(
        text.contains("Regression test for funnel plot asymmetry"),
        "{text}"
    );
    assert!(text.contains("Trim and fill (L0)"), "{text}");
    let one = std::fs::read_to_string(dir.join("funnel-bcg_logrr.svg")).unwrap();
    assert!(
        one.starts_with("<svg") || one.starts_with("<?xml"),
        "{}",
        &one[..60]
    );
}

#[test]
fn check_reproduces_zhou_2020() {
    let path = fixture("zhou2020/check.csv");
    let out = run(&["check", "--format", "json", &path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 55);
    // Every table row is consistent once rounding is reasoned over, and its printed model
    // follows the Q-test rule (random when p < 0.1).
    for r in &rows[..52] {
        assert_eq!(r["consistent"], true, "{}", r["label"]);
        assert_eq!(r["model_rule_ok"], true, "{}", r["label"]);
        assert!(r["conflicts"].as_array().unwrap().is_empty());
    }
    // Table 2 C4 at 3 months, -0.01 (-0.04, 0.02) p = 0.46: consistent only through rounding.
    let c4 = rows
        .iter()
        .find(|r| r["label"] == "Table 2: C4 3 months")
        .unwrap();
    assert_eq!(c4["consistent"], true);
    // The text's proteinuria at 2 months, -1.74 (-5.00, -1.52) P = 0.30: the upper bound
    // conflicts; the other three allow it only near +1.52.
    let text = &rows[52];
    assert_eq!(text["consistent"], false);
    let c = text["conflicts"].as_array().unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["figure"], "ci_upper");
    assert_eq!(c[0]["printed"], "-1.52");
    let (lo, hi) = (
        num(&c[0]["feasible_lower"], "lo"),
        num(&c[0]["feasible_upper"], "hi"),
    );
    assert!(
        lo > 1.5 && hi < 1.54 && lo < 1.52 && hi > 1.52,
        "[{lo}, {hi}]"
    );
    // The BUN rows printed with one more digit in the text stay consistent.
    assert_eq!(rows[53]["consistent"], true);
    assert_eq!(rows[54]["consistent"], true);
    let table = run_ok(&["check", &path]);
    assert!(
        table.contains("ci_upper printed -1.52 conflicts"),
        "{table}"
    );
    assert!(table.contains("55 rows checked, 1 inconsistent"), "{table}");
}

#[test]
fn check_flags_a_model_against_the_rule_and_an_i2_against_q() {
    let dir = std::env::temp_dir().join(format!("metapool-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("rule.csv");
    // Row 1: Q p = 0.03 but Fixed printed; I² = 58% with Q = 11.91 on 5 df: (11.91-5)/11.91 = 58.0%.
    // Row 2: I² = 30% disagrees with Q = 11.91 on 5 df.
    std::fs::write(
        &p,
        "label,estimate,ci_lower,ci_upper,p,q_p,model,i2,q,q_df\n\
         a,-0.95,-1.40,-0.50,<0.0001,0.03,Fixed,58,11.91,5\n\
         b,-0.95,-1.40,-0.50,<0.0001,0.03,Random,30,11.91,5\n",
    )
    .unwrap();
    let v: Value =
        serde_json::from_str(&run_ok(&["check", "--format", "json", p.to_str().unwrap()])).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows[0]["model_rule_ok"], false);
    assert_eq!(rows[0]["rule_model"], "random");
    assert_eq!(rows[0]["i2_ok"], true);
    assert_eq!(rows[1]["model_rule_ok"], true);
    assert_eq!(rows[1]["i2_ok"], false);
    // I² from Q in [11.905, 11.915] on 5 df.
    close(
        "i2 lower",
        num(&rows[1]["i2_feasible_lower"], "lo"),
        (11.905 - 5.0) / 11.905 * 100.0,
    );
}
