//! End-to-end tests: run the `metapool` binary on the CSV files in `fixtures/cli/` and compare
//! its JSON with metafor's numbers (`fixtures/metafor/core.json`, `fixtures/cli/subgroups.json`)
//! and with the library called directly.
//!
//! Tolerances: against metafor 1e-10 relative (closed-form statistics; the inputs reach the tool
//! as the exact doubles metafor was given, so only the order of floating-point operations
//! differs); against the library: bit for bit (the JSON numbers round-trip f64).

mod common;
use common::*;

/// Every dataset of a measure: --by dataset, fixed and random, against metafor.
fn check_measure(
    file: &str,
    cli_measure: &str,
    core_measure: &str,
    fixed_method: &str,
    extra: &[&str],
) {
    check_measure_models(
        file,
        cli_measure,
        core_measure,
        &[("fixed", fixed_method), ("random", "DL")],
        extra,
    );
}

/// Every dataset of a measure: --by dataset, each `(--model, metafor method)`, against metafor.
fn check_measure_models(
    file: &str,
    cli_measure: &str,
    core_measure: &str,
    models: &[(&str, &str)],
    extra: &[&str],
) {
    let core = core();
    let datasets: Vec<&Value> = core["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["measure"] == core_measure)
        .collect();
    assert!(!datasets.is_empty());
    let path = fixture(file);
    for &(model, method) in models {
        let mut args = vec![
            "pool",
            "--measure",
            cli_measure,
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
            datasets.len(),
            "one analysis per dataset (fixtures changed? rerun python3 fixtures/cli/make_csv.py)"
        );
        for (a, d) in analyses.iter().zip(&datasets) {
            // First-appearance order is the file's order, which is core.json's.
            assert_eq!(a["id"], d["name"]);
            assert_eq!(a["measure"], cli_measure);
            assert_eq!(a["model"], model);
            let fit = d["fits"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["method"] == method)
                .unwrap_or_else(|| panic!("{} has no {method} fit", d["name"]));
            let ctx = format!("{} {model}", d["name"]);
            compare_fit(&ctx, a, fit);
            compare_weights(&ctx, &study_weights(a), d, fit);
            // Per-study effects against escalc.
            let yi = d["effects"]["yi"].as_array().unwrap();
            let vi = d["effects"]["vi"].as_array().unwrap();
            let studies: Vec<&Value> = a["studies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| !s["estimate"].is_null())
                .collect();
            assert_eq!(studies.len(), yi.len());
            for ((s, y), v) in studies.iter().zip(yi).zip(vi) {
                close(
                    &format!("{ctx} yi"),
                    num(&s["estimate"], "yi"),
                    num(y, "yi"),
                );
                close(
                    &format!("{ctx} se"),
                    num(&s["se"], "se"),
                    num(v, "vi").sqrt(),
                );
            }
            if a["scale"] == "log" {
                close(
                    &format!("{ctx} exp_estimate"),
                    num(&a["exp_estimate"], "exp"),
                    num(&fit["estimate"], "est").exp(),
                );
            }
        }
    }
}

#[test]
fn md_matches_metafor() {
    check_measure("cli/core_md.csv", "MD", "MD", "FE", &[]);
}

#[test]
fn smd_matches_metafor() {
    check_measure("cli/core_smd.csv", "SMD", "SMD_LS", "FE", &[]);
}

#[test]
fn smd_revman_matches_metafor() {
    check_measure(
        "cli/core_smd_revman.csv",
        "SMD-REVMAN",
        "SMD_REVMAN",
        "FE",
        &[],
    );
}

#[test]
fn prepost_md_matches_metafor() {
    check_measure(
        "cli/core_prepost_md.csv",
        "PREPOST-MD",
        "PREPOST_MD",
        "FE",
        &[],
    );
}

#[test]
fn generic_matches_metafor() {
    check_measure("cli/core_generic.csv", "GENERIC", "GENERIC", "FE", &[]);
}

#[test]
fn or_mantel_haenszel_matches_metafor() {
    // MH is the default fixed method for 2x2 measures. The random model then follows RevMan
    // (tau² from the MH-centred Q): see `or_mh_random_follows_revman`.
    check_measure_models("cli/core_or.csv", "OR", "OR", &[("fixed", "MH")], &[]);
}

/// RevMan's "M-H, Random" fit of one metafor dataset, computed here from metafor's numbers: the
/// MH-centred Q of `rma.mh`, and escalc's yi, vi.
fn revman_mh_random(d: &Value) -> Value {
    let mh = d["fits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["method"] == "MH")
        .unwrap();
    let yi: Vec<f64> = d["effects"]["yi"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| num(x, "yi"))
        .collect();
    let vi: Vec<f64> = d["effects"]["vi"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| num(x, "vi"))
        .collect();
    let q = num(&mh["q"], "q");
    let df = yi.len() as f64 - 1.0;
    let sw: f64 = vi.iter().map(|v| 1.0 / v).sum();
    let sw2: f64 = vi.iter().map(|v| 1.0 / (v * v)).sum();
    let tau2 = if yi.len() < 2 {
        0.0
    } else {
        ((q - df) / (sw - sw2 / sw)).max(0.0)
    };
    let ws: Vec<f64> = vi.iter().map(|v| 1.0 / (v + tau2)).collect();
    let sws: f64 = ws.iter().sum();
    let est = ws.iter().zip(&yi).map(|(w, y)| w * y).sum::<f64>() / sws;
    let se = (1.0 / sws).sqrt();
    let z975 = 1.959963984540054;
    serde_json::json!({
        "estimate": est, "se": se, "ci_lower": est - z975 * se, "ci_upper": est + z975 * se,
        "tau2": tau2, "q": q, "q_df": mh["q_df"], "q_p": mh["q_p"], "k": mh["k"],
        "weights": ws.iter().map(|w| 100.0 * w / sws).collect::<Vec<f64>>(),
    })
}

/// The random fit of an analysis against [`revman_mh_random`].
fn compare_revman_random(ctx: &str, got: &Value, want: &Value) {
    let keys = ["estimate", "se", "ci_lower", "ci_upper", "tau2", "q"];
    compare_keys(ctx, got, want, &keys);
}

#[test]
fn or_mh_random_follows_revman() {
    // `--model random` with the default MH fixed method: tau² (DL) from the MH-centred Q, as
    // RevMan's "M-H, Random"; the expected fit is computed from metafor's rma.mh Q and escalc.
    let core = core();
    let path = fixture("cli/core_or.csv");
    let analyses = run_json(&[
        "pool",
        "--measure",
        "OR",
        "--by",
        "dataset",
        "--model",
        "random",
        &path,
    ]);
    let datasets: Vec<&Value> = core["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["measure"] == "OR")
        .collect();
    assert_eq!(analyses.len(), datasets.len());
    let mut differs = 0;
    for (a, d) in analyses.iter().zip(&datasets) {
        let ctx = format!("{} random (RevMan)", d["name"]);
        assert_eq!(a["method"], "DL", "{ctx}");
        let want = revman_mh_random(d);
        compare_revman_random(&ctx, a, &want);
        let dl = d["fits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["method"] == "DL")
            .unwrap();
        differs += (num(&a["tau2"], "tau2") != num(&dl["tau2"], "tau2")) as usize;
    }
    assert!(
        differs > 0,
        "some fixture tells RevMan's tau² from metafor's"
    );
}

#[test]
fn or_mh_random_tau2_equals_revman_fleiss1993() {
    // RevMan 5's own numbers (fixtures/golden): tau² = (CHI2 - df) / (sum w - sum w² / sum w)
    // with w = 1/VAR_logOR, all as RevMan stored them.
    let text =
        std::fs::read_to_string(fixture("golden/revman5_fleiss1993_MH_OR_and_MD_IV.json")).unwrap();
    let g: Value = serde_json::from_str(&text).unwrap();
    let a = &g["analysis_1_MH_OR_fixed"];
    let chi2 = num(&a["expected_pooled"]["CHI2"], "CHI2");
    let w: Vec<f64> = a["expected_per_study"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| 1.0 / num(&s["VAR_logOR"], "VAR_logOR"))
        .collect();
    let sw: f64 = w.iter().sum();
    let sw2: f64 = w.iter().map(|x| x * x).sum();
    let df = w.len() as f64 - 1.0;
    let tau2 = ((chi2 - df) / (sw - sw2 / sw)).max(0.0);
    assert!(tau2 > 0.0);
    let mut csv = String::from("study,events1,total1,events2,total2\n");
    for s in a["inputs"].as_array().unwrap() {
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            s["study"].as_str().unwrap(),
            s["events_1"],
            s["total_1"],
            s["events_2"],
            s["total_2"]
        ));
    }
    let dir = std::env::temp_dir().join(format!("metapool-cli-revman-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fleiss1993.csv");
    std::fs::write(&path, csv).unwrap();
    let p = path.to_str().unwrap();
    let rel = |got: f64, want: f64| ((got - want) / want).abs();
    for model in ["random", "auto"] {
        let r = run_json(&["pool", "--measure", "OR", "--model", model, p]);
        let fit = if model == "auto" {
            &r[0]["random"]
        } else {
            &r[0]
        };
        let got = num(&fit["tau2"], "tau2");
        assert!(
            rel(got, tau2) < 1e-12,
            "{model}: tau2 {got:e}, RevMan {tau2:e}"
        );
        assert!(rel(num(&fit["q"], "q"), chi2) < 1e-12, "{model}: q");
    }
    // metafor's fit (Q centred on the IV estimate) stays reachable with --fixed-method IV.
    let core = core();
    let d = core["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "or_fleiss1993_aspirin_k7")
        .unwrap();
    let dl = d["fits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["method"] == "DL")
        .unwrap();
    let r = run_json(&[
        "pool",
        "--measure",
        "OR",
        "--model",
        "random",
        "--fixed-method",
        "IV",
        p,
    ]);
    let got = num(&r[0]["tau2"], "tau2");
    assert!(
        rel(got, num(&dl["tau2"], "tau2")) < 1e-10,
        "IV: tau2 {got:e}"
    );
    assert!(
        rel(got, tau2) > 1e-8,
        "metafor's and RevMan's tau² differ here"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn or_inverse_variance_matches_metafor() {
    check_measure(
        "cli/core_or.csv",
        "OR",
        "OR",
        "FE",
        &["--fixed-method", "IV"],
    );
}

#[test]
fn auto_selects_by_the_q_test_and_reports_both_fits() {
    let core = core();
    let path = fixture("cli/core_or.csv");
    let analyses = run_json(&["pool", "--measure", "OR", "--by", "dataset", &path]);
    let datasets: Vec<&Value> = core["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["measure"] == "OR")
        .collect();
    let mut seen = [false, false];
    for (a, d) in analyses.iter().zip(&datasets) {
        let fits = d["fits"].as_array().unwrap();
        let mh = fits.iter().find(|f| f["method"] == "MH").unwrap();
        // RevMan's rule: random when the (MH) Q test has p < 0.10; one study: fixed.
        let random = mh["q_df"].as_u64().unwrap() > 0 && num(&mh["q_p"], "q_p") < 0.10;
        let want = if random { "random" } else { "fixed" };
        seen[random as usize] = true;
        let ctx = format!("{} auto", d["name"]);
        assert_eq!(a["selected"], want, "{ctx}");
        assert_eq!(a["model"], want, "{ctx}");
        compare_fit(&format!("{ctx} fixed"), &a["fixed"], mh);
        // the random fit is RevMan's "M-H, Random" (tau² from the MH-centred Q)
        let rm = revman_mh_random(d);
        compare_revman_random(&format!("{ctx} random"), &a["random"], &rm);
        compare_weights(&ctx, &fit_weights(&a["fixed"]), d, mh);
        let rw = fit_weights(&a["random"]);
        let rw: Vec<f64> = rw.into_iter().flatten().collect();
        for (x, y) in rw.iter().zip(rm["weights"].as_array().unwrap()) {
            close(&format!("{ctx} random weight"), *x, num(y, "w"));
        }
        if random {
            compare_revman_random(&ctx, a, &rm);
        } else {
            compare_fit(&ctx, a, mh);
        }
        for key in ["exp_estimate", "exp_ci_lower", "exp_ci_upper"] {
            assert!(a[key].is_f64(), "{ctx}: ratio measure has {key}");
        }
    }
    assert!(seen[0] && seen[1], "the fixtures exercise both choices");
}

#[test]
fn json_matches_the_library_bit_for_bit() {
    use metapool::{
        effect::Arm, effect::EffectSet, effect::MeanDifference, effect::TwoByTwo,
        pool::MantelHaenszel, pool::RandomModel,
    };
    let core = core();
    let find = |name: &str| {
        core["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .unwrap()
            .clone()
    };
    let col = |d: &Value, k: &str| -> Vec<f64> {
        d["input"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let exact = |ctx: &str, a: &Value, p: &metapool::pool::Pooled| {
        let h = &p.heterogeneity;
        for (key, want) in [
            ("estimate", p.estimate),
            ("se", p.se),
            ("ci_lower", p.ci_lower),
            ("ci_upper", p.ci_upper),
            ("z", p.statistic),
            ("p", p.p),
            ("q", h.q),
            ("i2", h.i2),
            ("h2", h.h2),
            ("tau2", h.tau2),
            ("tau", h.tau),
        ] {
            assert_eq!(a[key].as_f64(), Some(want), "{ctx} {key}");
        }
        assert_eq!(a["q_p"].as_f64(), h.q_p, "{ctx} q_p");
        let w: Vec<f64> = study_weights(a).into_iter().flatten().collect();
        assert_eq!(w, p.weights(), "{ctx} weights");
    };

    // MD, random effects.
    let d = find("md_fleiss1993_mental_health_k5");
    let (m1, sd1, n1, m2, sd2, n2) = (
        col(&d, "m1"),
        col(&d, "sd1"),
        col(&d, "n1"),
        col(&d, "m2"),
        col(&d, "sd2"),
        col(&d, "n2"),
    );
    let studies: Vec<MeanDifference> = (0..m1.len())
        .map(|i| {
            MeanDifference::new(
                Arm::new(m1[i], sd1[i], n1[i]).unwrap(),
                Arm::new(m2[i], sd2[i], n2[i]).unwrap(),
            )
            .unwrap()
        })
        .collect();
    let lib = RandomModel::default()
        .pool(&EffectSet::from_studies(&studies).unwrap())
        .unwrap();
    let path = fixture("cli/core_md.csv");
    let a = run_json(&[
        "pool",
        "--measure",
        "MD",
        "--by",
        "dataset",
        "--model",
        "random",
        &path,
    ]);
    exact("MD DL", &a[0], &lib);

    // OR, Mantel-Haenszel, with excluded tables.
    let d = find("or_all_events_k10_seed405");
    let (e1, t1, e2, t2) = (
        col(&d, "events1"),
        col(&d, "total1"),
        col(&d, "events2"),
        col(&d, "total2"),
    );
    let tables: Vec<metapool::effect::LogOddsRatio> = (0..e1.len())
        .map(|i| {
            metapool::effect::LogOddsRatio::new(TwoByTwo::new(e1[i], t1[i], e2[i], t2[i]).unwrap())
        })
        .collect();
    let lib = MantelHaenszel::default().pool(&tables).unwrap();
    let path = fixture("cli/core_or.csv");
    let all = run_json(&[
        "pool",
        "--measure",
        "OR",
        "--by",
        "dataset",
        "--model",
        "fixed",
        &path,
    ]);
    let a = all
        .iter()
        .find(|a| a["id"] == "or_all_events_k10_seed405")
        .unwrap();
    exact("OR MH", a, &lib);
    let excluded: Vec<usize> = a["studies"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, s)| s["excluded"].is_string())
        .map(|(i, _)| i)
        .collect();
    let lib_excluded: Vec<usize> = lib.excluded.iter().map(|e| e.position).collect();
    assert_eq!(excluded, lib_excluded);
}

fn subgroup_reference() -> Value {
    let text = std::fs::read_to_string(fixture("cli/subgroups.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn subgroups_match_metafor() {
    let r = subgroup_reference();
    let path = fixture("cli/zhou_style_proteinuria.csv");
    for (model, key) in [("fixed", "FE"), ("random", "DL")] {
        let a = run_json(&[
            "pool",
            "--measure",
            "MD",
            "--subgroup",
            "time",
            "--model",
            model,
            &path,
        ]);
        assert_eq!(a.len(), 1);
        let a = &a[0];
        let want = &r["models"][key];
        compare_fit(&format!("overall {model}"), a, &want["overall"]);
        let subs = a["subgroups"].as_array().unwrap();
        let want_subs = want["subgroups"].as_array().unwrap();
        assert_eq!(subs.len(), 3);
        for (s, w) in subs.iter().zip(want_subs) {
            assert_eq!(s["subgroup"], w["subgroup"], "first-appearance order");
            compare_fit(&format!("subgroup {} {model}", w["subgroup"]), s, w);
        }
        let t = &a["subgroup_test"];
        let wt = &want["subgroup_test"];
        close("Q between", num(&t["q"], "q"), num(&wt["q"], "q"));
        close("Q between p", num(&t["p"], "p"), num(&wt["p"], "p"));
        close("I2 between", num(&t["i2"], "i2"), num(&wt["i2"], "i2"));
        assert_eq!(t["df"], wt["df"]);
        // Study weights are those of the overall fit.
        let w: Vec<f64> = study_weights(a).into_iter().flatten().collect();
        for (x, y) in w
            .iter()
            .zip(want["overall"]["weights_percent"].as_array().unwrap())
        {
            close("weight", *x, num(y, "w"));
        }
    }
}

#[test]
fn by_time_point_equals_the_subgroup_fits() {
    let r = subgroup_reference();
    let path = fixture("cli/zhou_style_proteinuria.csv");
    let a = run_json(&[
        "pool",
        "--measure",
        "MD",
        "--by",
        "time",
        "--model",
        "random",
        &path,
    ]);
    let want = r["models"]["DL"]["subgroups"].as_array().unwrap();
    assert_eq!(a.len(), want.len());
    for (x, w) in a.iter().zip(want) {
        assert_eq!(x["id"], w["subgroup"]);
        compare_fit(&format!("--by {}", w["subgroup"]), x, w);
    }
}

#[test]
fn json_keeps_the_analyses_streamed_before_a_fatal_error() {
    // The JSON is written in chunks; a run that stops on bad input must still hand over the
    // analyses completed before the error, unterminated so that they cannot pass for a
    // complete output.
    let path = fixture("cli/bad/by_reappears.csv");
    let out = run(&[
        "pool",
        "--measure",
        "MD",
        "--by",
        "outcome",
        "--format",
        "json",
        &path,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], "{\"analyses\": [");
    assert!(
        lines[1].starts_with("{\"id\":\"x\",") && lines[1].ends_with("},"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("{\"id\":\"y\",") && lines[2].ends_with('}'),
        "{text}"
    );
    assert!(!text.ends_with("]}\n"), "{text}");
}

#[test]
fn unsorted_by_values_fail_unless_asked_for() {
    let path = fixture("cli/bad/by_reappears.csv");
    let err = run_fail(&["pool", "--measure", "MD", "--by", "outcome", &path]);
    assert!(err.contains("line 4"), "{err}");
    assert!(err.contains("`x` appears again"), "{err}");
    let a = run_json(&[
        "pool",
        "--measure",
        "MD",
        "--by",
        "outcome",
        "--unsorted",
        &path,
    ]);
    let ids: Vec<&str> = a.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["x", "y"]);
    assert_eq!(a[0]["k"], 2);
    let lines: Vec<u64> = a[0]["studies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 4]);
}

#[test]
fn bad_inputs_name_line_column_and_reason() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("missing_column", "MD", &["line 1", "missing column `sd2`"]),
        (
            "not_a_number",
            "MD",
            &["line 3, column 2 (`m1`)", "not a number: \"abc\""],
        ),
        (
            "sd_zero",
            "MD",
            &["line 3, column 6 (`sd2`)", "must be > 0"],
        ),
        (
            "negative_count",
            "OR",
            &["line 3, column 2 (`events1`)", "must be >= 0, got -1"],
        ),
        ("empty", "MD", &["line 1", "empty"]),
        ("header_only", "MD", &["no data rows"]),
        ("ragged_row", "MD", &["line 3", "4 fields"]),
    ];
    for (file, measure, needles) in cases {
        let path = fixture(&format!("cli/bad/{file}.csv"));
        let err = run_fail(&["pool", "--measure", measure, &path]);
        for n in *needles {
            assert!(err.contains(n), "{file}: `{n}` not in: {err}");
        }
    }
    let path = fixture("cli/core_md.csv");
    let err = run_fail(&["pool", "--measure", "NOPE", &path]);
    assert!(err.contains("invalid value 'NOPE'"), "{err}");
    let err = run_fail(&["pool", "--measure", "MD", "--by", "nope", &path]);
    assert!(err.contains("no column `nope`"), "{err}");
    let err = run_fail(&["pool", "--measure", "MD", "--level", "1.5", &path]);
    assert!(err.contains("--level"), "{err}");
    let err = run_fail(&["pool", "--measure", "MD", "/nonexistent/file.csv"]);
    assert!(err.contains("cannot open"), "{err}");
}

#[test]
fn options_that_do_not_apply_are_clear_errors() {
    let path = fixture("cli/core_or.csv");
    let err = run_fail(&["pool", "--measure", "OR", "--fixed-method", "PETO", &path]);
    assert!(
        err.contains("--fixed-method PETO applies to --measure PETO-OR"),
        "{err}"
    );
    let err = run_fail(&["pool", "--measure", "MD", "--fixed-method", "MH", &path]);
    assert!(err.contains("MH applies to OR, RR and RD"), "{err}");
    let err = run_fail(&[
        "pool",
        "--measure",
        "OR",
        "--model",
        "fixed",
        "--ci",
        "hk",
        &path,
    ]);
    assert!(
        err.contains("--ci hk applies to the random-effects model"),
        "{err}"
    );
    let err = run_fail(&["pool", "--measure", "OR", "--scale", "log", &path]);
    assert!(
        err.contains("--scale applies to --measure GENERIC only"),
        "{err}"
    );
    let err = run_fail(&["pool", "--measure", "PREPOST-MD", "--r", "1.5", &path]);
    assert!(err.contains("--r must lie in [-1, 1]"), "{err}");
}

#[test]
fn keep_going_reports_bad_analyses_and_computes_the_others() {
    let path = fixture("cli/bad/keep_going.csv");
    let err = run_fail(&["pool", "--measure", "OR", "--by", "outcome", &path]);
    assert!(err.contains("line 4, column 5 (`events2`)"), "{err}");
    let out = run(&[
        "pool",
        "--measure",
        "OR",
        "--by",
        "outcome",
        "--keep-going",
        "--format",
        "json",
        &path,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 of 4 analyses failed"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = v["analyses"].as_array().unwrap();
    let ids: Vec<&str> = a.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["death", "relapse", "remission", "safety"]);
    assert!(a[0]["error"].is_null() && a[0]["estimate"].is_f64());
    assert!(a[1]["error"]
        .as_str()
        .unwrap()
        .contains("line 4, column 5 (`events2`)"));
    assert!(a[1]["estimate"].is_null() && a[1]["exp_estimate"].is_null());
    assert!(a[2]["error"].as_str().unwrap().contains("excluded"));
    assert!(a[3]["error"].is_null() && a[3]["estimate"].is_f64());
}

#[test]
fn stdin_csv_and_table_formats() {
    use std::io::Write;
    let data = std::fs::read(fixture("cli/zhou_style_proteinuria.csv")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_metapool"))
        .args([
            "pool",
            "--measure",
            "MD",
            "--by",
            "time",
            "--format",
            "csv",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "header and one row per time point");
    assert!(lines[0].starts_with("id,subgroup,measure,model,method,selected,k,estimate,se"));
    assert!(lines[1].starts_with("1 month,,MD,"));
    // The CSV numbers equal the JSON numbers.
    let json = run_json(&[
        "pool",
        "--measure",
        "MD",
        "--by",
        "time",
        &fixture("cli/zhou_style_proteinuria.csv"),
    ]);
    let est: f64 = lines[1].split(',').nth(7).unwrap().parse().unwrap();
    assert_eq!(Some(est), json[0]["estimate"].as_f64());

    let table = run_ok(&[
        "pool",
        "--measure",
        "MD",
        "--subgroup",
        "time",
        &fixture("cli/zhou_style_proteinuria.csv"),
    ]);
    for needle in [
        "Trial A (2010)",
        "Subtotal (95% CI)",
        "Total (95% CI)",
        "Heterogeneity: Tau² = ",
        "Test for overall effect: Z = ",
        "Test for subgroup differences: Chi² = 0.13, df = 2 (P = 0.94), I² = 0%",
        "Model selected: random",
    ] {
        assert!(table.contains(needle), "`{needle}` not in:\n{table}");
    }
}

#[test]
fn generic_from_confidence_intervals_on_the_log_scale() {
    // Odds ratios given with their 95% CIs: se = (ln hi - ln lo) / (2 z).
    let dir = std::env::temp_dir().join(format!("metapool-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("generic_ci.csv");
    std::fs::write(
        &path,
        "study,estimate,ci_lower,ci_upper\nA,0.5,0.25,1\nB,0.8,0.4,1.6\n",
    )
    .unwrap();
    let a = run_json(&[
        "pool",
        "--measure",
        "GENERIC",
        "--scale",
        "log",
        "--model",
        "fixed",
        path.to_str().unwrap(),
    ]);
    let z = 1.959963984540054;
    let se = 2f64.ln() / z; // both CIs span a factor of 4 = ln 4 / (2 z)
    let s = &a[0]["studies"][0];
    close("se", num(&s["se"], "se"), se);
    close("estimate", num(&s["estimate"], "y"), 0.5f64.ln());
    // Equal SEs: the pooled log OR is the mean of the two.
    close(
        "pooled",
        num(&a[0]["estimate"], "est"),
        (0.5f64.ln() + 0.8f64.ln()) / 2.0,
    );
    close(
        "exp",
        num(&a[0]["exp_estimate"], "exp"),
        (0.5f64 * 0.8).sqrt(),
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn prepost_with_numbered_columns_and_unequal_n() {
    let dir = std::env::temp_dir().join(format!("metapool-cli-pp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ok = dir.join("pp.csv");
    // Arm 1 = after, arm 2 = before; r = 0.5 from --r.
    std::fs::write(&ok, "m1,sd1,n1,m2,sd2,n2\n5,2,16,8,2,16\n").unwrap();
    let a = run_json(&[
        "pool",
        "--measure",
        "PREPOST-MD",
        "--r",
        "0.5",
        ok.to_str().unwrap(),
    ]);
    assert_eq!(a[0]["estimate"].as_f64(), Some(-3.0));
    close("se", num(&a[0]["se"], "se"), 0.5); // v = (4 + 4 - 2*0.5*4)/16 = 0.25
    assert_eq!(a[0]["studies"][0]["study"], "Study 1");
    let bad = dir.join("pp_bad.csv");
    std::fs::write(&bad, "m1,sd1,n1,m2,sd2,n2\n5,2,16,8,2,15\n").unwrap();
    let err = run_fail(&["pool", "--measure", "PREPOST-MD", bad.to_str().unwrap()]);
    assert!(err.contains("line 2, column 6 (`n2`)"), "{err}");
    assert!(err.contains("must equal n1"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn forest_plot_svg() {
    let dir = std::env::temp_dir().join(format!("metapool-cli-forest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("zhou.svg");
    run_ok(&[
        "pool",
        "--measure",
        "MD",
        "--subgroup",
        "time",
        "--forest",
        svg.to_str().unwrap(),
        &fixture("cli/zhou_style_proteinuria.csv"),
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<?xml") && text.trim_end().ends_with("</svg>"));
    // One square per study (plus the white background and the prediction interval's bar), one
    // diamond per subgroup and overall.
    assert_eq!(text.matches("<rect").count(), 12 + 2);
    assert!(text.contains("Prediction interval"));
    assert_eq!(text.matches(r#"<polygon points="#).count(), 3 + 1);
    for needle in [
        "Trial E (2018)",
        "Subtotal (95% CI)",
        "Test for subgroup differences",
        "Mean difference",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
    // With --by: one file per analysis; ratios on a log axis; names escaped.
    let or_svg = dir.join("or.svg");
    run_ok(&[
        "pool",
        "--measure",
        "OR",
        "--by",
        "dataset",
        "--forest",
        or_svg.to_str().unwrap(),
        &fixture("cli/core_or.csv"),
    ]);
    let fleiss = std::fs::read_to_string(dir.join("or-or_fleiss1993_aspirin_k7.svg")).unwrap();
    assert!(fleiss.contains("Odds ratio (log scale)"));
    assert!(fleiss.contains("&#39;") || !fleiss.contains('\''));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn semicolon_files_get_a_hint_and_read_with_delimiter() {
    let dir = std::env::temp_dir().join(format!("metapool-cli-delim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("semi.csv");
    std::fs::write(&path, "study;m1;sd1;n1;m2;sd2;n2\nA;1;1;10;2;1;10\n").unwrap();
    let p = path.to_str().unwrap();
    let err = run_fail(&["pool", "--measure", "MD", p]);
    assert!(err.contains("pass --delimiter ';'"), "{err}");
    let a = run_json(&["pool", "--measure", "MD", "--delimiter", ";", p]);
    assert_eq!(a[0]["estimate"].as_f64(), Some(-1.0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn many_by_analyses_stream_in_first_appearance_order() {
    // 3,000 analyses of 3 studies whose ids do not sort in file order; each analysis' estimate
    // is known (equal-variance studies: the mean of the three differences).
    let mut csv = String::from("sim,m1,sd1,n1,m2,sd2,n2\n");
    let ids: Vec<String> = (0..3000)
        .map(|i| format!("z{}", (i * 7919) % 3000))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        for j in 0..3 {
            csv.push_str(&format!("{id},{},2,20,0,2,20\n", i % 10 + j));
        }
    }
    let dir = std::env::temp_dir().join(format!("metapool-cli-many-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("many.csv");
    std::fs::write(&path, csv).unwrap();
    let a = run_json(&[
        "pool",
        "--measure",
        "MD",
        "--model",
        "fixed",
        "--by",
        "sim",
        path.to_str().unwrap(),
    ]);
    assert_eq!(a.len(), 3000);
    for (i, (a, id)) in a.iter().zip(&ids).enumerate() {
        assert_eq!(a["id"].as_str(), Some(id.as_str()));
        assert_eq!(a["k"], 3);
        let want = (i % 10) as f64 + 1.0;
        assert!((num(&a["estimate"], "e") - want).abs() < 1e-12, "{id}");
        assert_eq!(a["first_line"].as_u64(), Some(2 + 3 * i as u64));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn forest_plot_data_columns_and_rows_left_out() {
    // The per-arm columns come from each study's own row, also when a row before it was left
    // out for missing data (so study and row numbers differ); the left-out row is counted in
    // the title.
    let dir = std::env::temp_dir().join(format!("metapool-cli-forest-na-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("md.csv");
    std::fs::write(
        &csv,
        "study,m1,sd1,n1,m2,sd2,n2\nAsh,2.10,1.20,20,2.60,1.30,20\nBell,NA,0.95,35,2.45,1.10,33\nCole,3.10,1.65,12,3.05,1.70,13\n",
    )
    .unwrap();
    let svg = dir.join("md.svg");
    run_ok(&[
        "pool",
        "--measure",
        "MD",
        "--forest",
        svg.to_str().unwrap(),
        csv.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    for needle in [
        "Ash",
        "Cole",
        ">1.65<",
        ">13<",
        ">1.3<",
        "1 row not estimable (missing data)",
    ] {
        assert!(text.contains(needle), "`{needle}` not in the SVG");
    }
    assert!(
        !text.contains("Bell"),
        "a row left out is not drawn as a study"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
