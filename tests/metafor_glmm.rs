//! Agreement with metafor 3.8-1 `rma.glmm` (lme4 1.1-31, BiasedUrn) for the cases of
//! `fixtures/metafor/glmm.json` (written by `fixtures/metafor/generate_glmm.R` with tight
//! optimiser control): odds ratios (UM.FS, UM.RS, CM.EL, CM.AL), proportions (PLO),
//! incidence rates (IRLN) and rate ratios (IRR), fixed and random effects, on dat.bcg,
//! dat.nielweise2007/2008 (Stijnen et al. 2010), dat.hart1999, dat.pritz1997 and generated
//! sparse sets, with and without moderators.
//!
//! Tolerances are per quantity and stated in `TOL` below, with why; the largest relative
//! difference per model is printed with `--nocapture`.

use metapool::effect::{PersonTime, Proportion, RateTable, TwoByTwo};
use metapool::glmm::{Glmm, GlmmData, GlmmModel};
use metapool::regression::ModelMatrix;
use serde_json::Value;
use std::collections::BTreeMap;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/metafor/glmm.json"
    ))
    .expect("fixture present");
    serde_json::from_str(&text).expect("valid JSON")
}

/// The exact CM.EL Wald statistics of `fixtures/metafor/glmm_cmel_wald.json`.
fn cmel_wald() -> BTreeMap<String, f64> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/metafor/glmm_cmel_wald.json"
    ))
    .expect("fixture present");
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["qe_wald"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn data(case: &Value) -> GlmmData {
    let i = &case["input"];
    let col = |n: &str| nums(&i[n]);
    match case["measure"].as_str().unwrap() {
        "OR" => {
            let (a, n1, c, n2) = (col("ai"), col("n1i"), col("ci"), col("n2i"));
            GlmmData::Tables(
                (0..a.len())
                    .map(|j| TwoByTwo::new(a[j], n1[j], c[j], n2[j]).unwrap())
                    .collect(),
            )
        }
        "PLO" => {
            let (x, n) = (col("xi"), col("ni"));
            GlmmData::Proportions(
                (0..x.len())
                    .map(|j| Proportion::new(x[j], n[j]).unwrap())
                    .collect(),
            )
        }
        "IRLN" => {
            let (x, t) = (col("xi"), col("ti"));
            GlmmData::Rates(
                (0..x.len())
                    .map(|j| PersonTime::new(x[j], t[j]).unwrap())
                    .collect(),
            )
        }
        "IRR" => {
            let (x1, t1, x2, t2) = (col("x1i"), col("t1i"), col("x2i"), col("t2i"));
            GlmmData::RateTables(
                (0..x1.len())
                    .map(|j| RateTable::new(x1[j], t1[j], x2[j], t2[j]).unwrap())
                    .collect(),
            )
        }
        m => panic!("unknown measure {m}"),
    }
}

pub fn glmm_for(case: &Value) -> Glmm {
    let model: GlmmModel = case["model"].as_str().unwrap().parse().unwrap();
    let mut g = match case["method"].as_str().unwrap() {
        "FE" => Glmm::fixed(model),
        _ => Glmm::random(model),
    };
    if case["drop00"].as_bool() == Some(false) {
        g = g.with_double_zero(metapool::glmm::DoubleZero::Keep);
    }
    if let Some(m) = case["input"].get("mods") {
        let m = nums(m);
        let x = ModelMatrix::new(
            vec!["intrcpt".into(), "mods".into()],
            vec![vec![1.0; m.len()], m],
        )
        .unwrap();
        g = g.with_moderators(x);
    }
    g
}

/// The relative difference, or the absolute one where the reference is below `floor`.
fn diff(got: f64, want: f64, floor: f64) -> f64 {
    if want.abs() < floor {
        (got - want).abs()
    } else {
        ((got - want) / want).abs()
    }
}

/// Whether every kept study's saturated estimate is finite (no zero cell), so that metafor's
/// Wald statistic is not a value its `glm` stopped at on the way to infinity.
fn wald_is_defined(case: &Value) -> bool {
    let i = &case["input"];
    let keys: &[&str] = match case["measure"].as_str().unwrap() {
        "OR" => &["ai", "ci"],
        "PLO" | "IRLN" => &["xi"],
        _ => &["x1i", "x2i"],
    };
    let zero_events = keys.iter().any(|k| nums(&i[*k]).contains(&0.0));
    let full = match case["measure"].as_str().unwrap() {
        "OR" => {
            let (a, n1, c, n2) = (
                nums(&i["ai"]),
                nums(&i["n1i"]),
                nums(&i["ci"]),
                nums(&i["n2i"]),
            );
            (0..a.len()).any(|j| a[j] == n1[j] || c[j] == n2[j])
        }
        "PLO" => nums(&i["xi"])
            .iter()
            .zip(nums(&i["ni"]))
            .any(|(x, n)| *x == n),
        _ => false,
    };
    !(zero_events || full)
}

/// Tolerances (relative; tau² absolute below 1e-4) by how tightly metafor's own optimiser
/// converges: glm (fixed effects) and glmer with at most 3 parameters converge to about 1e-8,
/// so 1e-6 holds with room; glmer's UM.FS odds-ratio fits optimise k + 2 parameters by bobyqa and
/// stop with deviance gradients near 1e-4 (metapool's log-likelihood is higher), and its SEs
/// come from a finite-difference Hessian at that point; UM.RS (4 parameters, Laplace) stops
/// with metapool's log-likelihood up to 1e-5 higher.
struct Tol {
    beta: f64,
    se: f64,
    tau2: f64,
    loglik: f64,
    wald: f64,
}

fn tolerance(case: &Value) -> Tol {
    let random = case["method"].as_str() == Some("ML");
    match (
        case["measure"].as_str().unwrap(),
        case["model"].as_str().unwrap(),
    ) {
        (_, "UM.RS") => Tol {
            beta: 2e-4,
            se: 5e-3,
            tau2: 1e-3,
            loglik: 1e-6,
            wald: 5e-3,
        },
        ("OR", "UM.FS") if random => Tol {
            beta: 1e-5,
            se: 1e-4,
            tau2: 1e-5,
            loglik: 1e-6,
            wald: 1e-6,
        },
        // metafor's own likelihood: SEs from numDeriv on BiasedUrn densities (integrate() with
        // rel.tol 1e-8 for random effects), off by up to 5e-4 from the exact information
        // (`se_exact_information`, checked at 2e-6 below)
        ("OR", "CM.EL") => Tol {
            beta: 1e-5,
            se: 1e-3,
            tau2: 1e-4,
            loglik: 1e-7,
            wald: 1e-3,
        },
        _ => Tol {
            beta: 1e-6,
            se: 2e-6,
            tau2: 1e-6,
            loglik: 1e-7,
            wald: 1e-6,
        },
    }
}

#[test]
fn agrees_with_metafor() {
    let f = fixture();
    let mut worst: BTreeMap<String, (f64, String)> = BTreeMap::new();
    let mut fitted = 0;
    for case in f["cases"].as_array().unwrap() {
        let name = format!(
            "{} {} {} {}",
            case["name"].as_str().unwrap(),
            case["measure"].as_str().unwrap(),
            case["model"].as_str().unwrap(),
            case["method"].as_str().unwrap()
        );
        let Some(r) = case.get("result") else {
            println!(
                "{name}: metafor fails ({}); metapool fits: {}",
                case["error"],
                glmm_for(case).fit(&data(case)).is_ok()
            );
            continue;
        };
        let fit = glmm_for(case)
            .fit(&data(case))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        fitted += 1;
        let tol = tolerance(case);
        let num = |k: &str| r[k].as_f64();
        let mut checks: Vec<(&str, f64, f64, f64, f64)> = Vec::new(); // what, got, want, tol, floor
        let (beta, se) = (nums(&r["beta"]), nums(&r["se"]));
        for (j, c) in fit.coefficients.iter().enumerate() {
            checks.push(("beta", c.estimate, beta[j], tol.beta, 1e-8));
            checks.push(("se", c.se, se[j], tol.se, 0.0));
        }
        if let Some(exact) = r.get("se_exact_information") {
            for (j, c) in fit.coefficients.iter().enumerate() {
                checks.push(("se exact", c.se, exact[j].as_f64().unwrap(), 2e-6, 0.0));
            }
        }
        checks.push(("tau2", fit.tau2, num("tau2").unwrap(), tol.tau2, 1e-4));
        if let (Some(s), Some(w)) = (fit.sigma2, num("sigma2")) {
            checks.push(("sigma2", s, w, tol.tau2, 1e-4));
        }
        checks.push((
            "loglik",
            fit.loglik,
            num("loglik").unwrap(),
            tol.loglik,
            0.0,
        ));
        checks.push(("aic", fit.aic, num("aic").unwrap(), tol.loglik, 0.0));
        checks.push(("bic", fit.bic, num("bic").unwrap(), tol.loglik, 0.0));
        if let (Some(t), Some(w)) = (fit.lrt_het, num("qe_lrt")) {
            checks.push(("qe_lrt", t.statistic, w, tol.wald.max(1e-6), 1e-8));
            assert_eq!(t.df as f64, num("qe_df").unwrap(), "{name}: df");
        }
        let cm_el_or = case["model"] == "CM.EL" && case["measure"] == "OR";
        if let (true, Some(t)) = (cm_el_or, fit.wald_het) {
            // metafor's QE.Wld here is numDeriv on BiasedUrn densities (dat.bcg: 231.46); the
            // reference is the exact computation of generate_glmm_cmel_wald.R
            let exact = cmel_wald();
            if let Some(w) = exact.get(case["name"].as_str().unwrap()) {
                checks.push(("qe_wald exact", t.statistic, *w, 1e-6, 0.0));
            }
        }
        if let (false, Some(t), Some(w)) = (cm_el_or, fit.wald_het, num("qe_wald")) {
            if wald_is_defined(case) {
                checks.push(("qe_wald", t.statistic, w, tol.wald, 1e-8));
            }
        }
        if let (Some(t), Some(w)) = (fit.moderators_test, num("qm")) {
            checks.push(("qm", t.statistic, w, tol.se.max(tol.beta), 0.0));
        }
        assert_eq!(fit.k as f64, num("k").unwrap(), "{name}: k");
        for (what, got, want, t, floor) in checks {
            let d = diff(got, want, floor);
            assert!(
                d <= t,
                "{name} {what}: metapool {got}, metafor {want} (diff {d:.2e} > {t:e})"
            );
            let key = format!(
                "{:4} {:5} {what}",
                case["measure"].as_str().unwrap(),
                case["model"].as_str().unwrap()
            );
            let e = worst.entry(key).or_insert((0.0, String::new()));
            if d >= e.0 {
                *e = (d, name.clone());
            }
        }
        // where metafor maximises the marginal likelihood itself, metapool's maximum is not lower
        if fit.loglik == fit.marginal_loglik && case["method"].as_str() == Some("ML") {
            let want = num("loglik").unwrap();
            assert!(
                fit.loglik >= want - 1e-9 * want.abs(),
                "{name}: loglik {} below metafor's {want}",
                fit.loglik
            );
        }
    }
    println!("largest differences (relative; tau² absolute below 1e-4):");
    for (k, (d, n)) in worst {
        println!("  {k:22} {d:.2e}  ({n})");
    }
    assert!(fitted >= 60, "{fitted} cases fitted");
}

#[test]
#[ignore]
fn show_case() {
    let want = std::env::var("CASE").unwrap_or_default();
    let f = fixture();
    for case in f["cases"].as_array().unwrap() {
        let name = format!(
            "{} {} {} {}",
            case["name"].as_str().unwrap(),
            case["measure"].as_str().unwrap(),
            case["model"].as_str().unwrap(),
            case["method"].as_str().unwrap()
        );
        if name != want {
            continue;
        }
        let fit = glmm_for(case).fit(&data(case)).unwrap();
        println!("{fit:#?}\n{fit}");
        println!("{}", serde_json::to_string_pretty(&case["result"]).unwrap());
    }
}

/// `test = "t"` (fixtures/metafor/glmm_t.json, generate_glmm_t.R): t tests on `k - p` df, the
/// intervals with the t quantile, and QM as F on `(m, k - p)` df, for OR (CM.AL with a
/// moderator, UM.FS), PLO (with and without a moderator) and IRLN with a moderator, fixed and
/// random effects. The estimates and SEs are the z fits', so the t figures are compared at the z
/// fits' tolerance of each model (`tolerance`: the larger of its beta and SE tolerances), and
/// p-values at ten times that (a small p moves about ten times as much as t).
#[test]
fn t_tests_match_metafor() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/metafor/glmm_t.json"
    ))
    .expect("fixture present");
    let fx: Value = serde_json::from_str(&text).expect("valid JSON");
    let mut n = 0;
    for case in fx["cases"].as_array().unwrap() {
        let name = format!(
            "{} {} {}",
            case["name"].as_str().unwrap(),
            case["model"].as_str().unwrap(),
            case["method"].as_str().unwrap()
        );
        let fit = glmm_for(case)
            .with_test(metapool::pool::Test::T)
            .fit(&data(case))
            .unwrap();
        let r = &case["result"];
        let tol = tolerance(case);
        let tol = tol.beta.max(tol.se);
        assert_eq!(fit.df, Some(r["ddf"].as_f64().unwrap() as usize), "{name}");
        for (j, c) in fit.coefficients.iter().enumerate() {
            let se = nums(&r["se"])[j];
            // a bound b -/+ crit se carries the SE's difference times crit (< 3 here)
            for (got, key, floor, t) in [
                (c.estimate, "beta", se, tol),
                (c.statistic, "t", 1.0, tol),
                (c.ci_lower, "ci_lower", se, 3.0 * tol),
                (c.ci_upper, "ci_upper", se, 3.0 * tol),
            ] {
                let want = nums(&r[key])[j];
                let d = (got - want).abs() / want.abs().max(floor);
                assert!(d <= t, "{name}: {key}[{j}] {got} vs {want} ({d:.1e})");
            }
            // p: t on ddf at metafor's own statistic (the statistic itself is checked above)
            let (t, p) = (nums(&r["t"])[j], nums(&r["p"])[j]);
            let df = r["ddf"].as_f64().unwrap();
            let at = metapool::inference::t_two_sided_p(t, df);
            assert!(
                (at - p).abs() / p <= 1e-9,
                "{name}: p[{j}] at metafor's t {at} vs {p}"
            );
            assert!(
                (c.p - p).abs() / p <= 10.0 * tol,
                "{name}: p[{j}] {} vs {p}",
                c.p
            );
        }
        match (&fit.moderators_test, r["qm_df2"].as_f64()) {
            (Some(t), Some(df2)) if fit.coefficients.len() > 1 => {
                let want = r["qm"].as_f64().unwrap();
                assert!((t.statistic - want).abs() / want <= tol, "{name}: QM");
                assert_eq!(t.df2, Some(df2 as usize), "{name}");
                let p = r["qm_p"].as_f64().unwrap();
                assert!((t.p - p).abs() / p.max(1e-12) <= 10.0 * tol, "{name}: QM p");
            }
            (None, _) => assert_eq!(fit.coefficients.len(), 1, "{name}"),
            _ => {}
        }
        // the printout is metafor's t layout
        let text = fit.to_string();
        assert!(
            text.contains("tval") && text.contains("  df  "),
            "{name}:\n{text}"
        );
        n += 1;
    }
    assert_eq!(n, 8);
    // rma.glmm has no Knapp-Hartung test
    let case = &fx["cases"][0];
    let err = glmm_for(case)
        .with_test(metapool::pool::Test::KnappHartung)
        .fit(&data(case));
    assert!(err.is_err());
}
