//! Helpers of the `metapool regress` tests (cli/tests/regress.rs, cli/tests/regress_input.rs):
//! fixture data sets as CSV files, runs of the binary, and the comparison with metafor.
#![allow(dead_code)]

use crate::common::*;

pub fn regression_fixture() -> Value {
    let text = std::fs::read_to_string(fixture("metafor/regression.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn temp_csv(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("metapool-regress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{name}.csv"));
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// A fixture data set as CSV rows (without the header): `[prefix]study, yi, vi, moderators`
/// in the order of `mods`.
pub fn data_rows(set: &Value, mods: &[String], prefix: &str) -> String {
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

pub fn mod_names(set: &Value) -> Vec<String> {
    let mut names: Vec<String> = set["mods"].as_object().unwrap().keys().cloned().collect();
    names.sort();
    names
}

pub fn data_csv(name: &str, set: &Value) -> String {
    let mods = mod_names(set);
    let header = format!("study,yi,vi,{}\n", mods.join(","));
    temp_csv(name, &(header + &data_rows(set, &mods, "")))
}

pub struct Compare<'a> {
    pub id: &'a str,
    pub tol: f64,
    pub worst: &'a mut f64,
}

impl Compare<'_> {
    /// `got` against `want`, relative to the larger of `|want|` and `floor`.
    pub fn near(&mut self, what: &str, got: &Value, want: &Value, floor: f64, tol_factor: f64) {
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

    pub fn opt(&mut self, what: &str, got: &Value, want: &Value) {
        match (got.is_null(), want.is_null()) {
            (true, true) => {}
            (false, false) => self.near(what, got, want, 0.0, 1.0),
            _ => panic!("{}: {what}: got {got}, metafor {want}", self.id),
        }
    }
}

/// metafor's coefficient names of a fixture case.
pub fn coefficient_names(case: &Value) -> Vec<&str> {
    let names = case["names"].as_array().unwrap();
    names.iter().map(|v| v.as_str().unwrap()).collect()
}

pub fn compare_case(id: &str, tol: f64, a: &Value, case: &Value, worst: &mut f64) {
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

/// The table of dat.bcg ~ ablat + factor(alloc) under REML (metafor's iteration path).
pub fn bcg_reml(measure: &str, path: &str) -> String {
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

pub fn bcg_csv(name: &str, edit: impl Fn(usize, &mut Vec<String>)) -> String {
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
pub fn bcg_cell(name: &str, line: usize, col: usize, value: &str) -> String {
    bcg_csv(name, |l, c| {
        if l == line {
            c[col] = value.into();
        }
    })
}

pub fn regress(mods: &str, extra: &[&str], path: &str) -> Vec<String> {
    let mut a: Vec<String> = ["regress", "--measure", "GENERIC", "--mods", mods]
        .iter()
        .map(|s| s.to_string())
        .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a.push(path.to_string());
    a
}

pub fn strs(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

/// `regress --mods mods extra path` exits with status 2 and a message containing `want`.
pub fn fails_with(mods: &str, extra: &[&str], path: &str, want: &str) {
    let args = regress(mods, extra, path);
    let err = run_fail(&strs(&args));
    assert!(err.contains(want), "{mods} {extra:?}: {err}");
}
