//! Permutation tests (exact mode), Wald tests of linear combinations and likelihood-ratio tests
//! of meta-regressions against metafor 3.8 (`fixtures/metafor/regression_tests.json`, written
//! by `fixtures/metafor/generate_regression_tests.R`): `permutest(res, exact = TRUE)`,
//! `anova(res, X = L)`, `anova(full, reduced)`.
//!
//! Permutation p-values are shares of whole numbers of fits: they must agree exactly (to 1e-12).
//! Wald and LRT figures: 1e-8 relative (REML/ML fits, metafor's iteration), p-values 1e-6.

use metapool::effect::Scale;
use metapool::pool::Test;
use metapool::regression::{
    Factor, MetaRegression, ModelMatrix, Moderators, Permutations, RegressionFit,
};
use metapool::{pool::Tau2Control, pool::Tau2Estimator};
use serde_json::Value;

mod regression_common;
use regression_common::nums;

fn fixture() -> Value {
    regression_common::fixture("regression_tests.json")
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    let rel = (got - want).abs() / want.abs().max(1e-300);
    assert!(
        rel <= tol || (got - want).abs() <= 1e-14,
        "{what}: got {got}, want {want} (rel {rel:e})"
    );
}

fn spec(method: &str, test: &str) -> MetaRegression {
    let m = match method {
        "FE" => MetaRegression::fixed(),
        other => MetaRegression::random(other.parse::<Tau2Estimator>().unwrap()),
    };
    // the fixture is metafor with its default control: its iteration path
    m.with_control(Tau2Control::metafor())
        .with_test(match test {
            "z" => Test::Z,
            "knha" => Test::KnappHartung,
            other => panic!("{other}"),
        })
}

#[test]
fn exact_permutation_tests_match_metafor() {
    let fx = fixture();
    for case in fx["permutest"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (y, v) = (nums(&case["yi"]), nums(&case["vi"]));
        let k = y.len();
        let x = nums(&case["x"]);
        let p_cols = case["p_cols"].as_u64().unwrap() as usize;
        let mut names = vec!["intrcpt".to_string()];
        let mut columns = vec![vec![1.0; k]];
        for j in 0..p_cols {
            names.push(format!("x{j}"));
            columns.push(x[j * k..(j + 1) * k].to_vec());
        }
        let xm = ModelMatrix::new(names, columns).unwrap();
        let fit = spec(
            case["method"].as_str().unwrap(),
            case["test"].as_str().unwrap(),
        )
        .fit_values(&y, &v, &xm, Scale::Identity)
        .unwrap();
        for (c, want) in fit.coefficients().iter().zip(nums(&case["zval"])) {
            close(&format!("{name} zval"), c.statistic, want, 1e-8);
        }
        let perm = fit
            .permutation_test(Permutations::Exact { limit: 100_000 })
            .unwrap();
        assert!(perm.exact);
        for (j, (got, want)) in perm.p.iter().zip(nums(&case["pval"])).enumerate() {
            assert!(
                (got - want).abs() <= 1e-12,
                "{name}: p[{j}] {got} vs metafor {want} ({} permutations, {} failed)",
                perm.permutations,
                perm.failed
            );
        }
        let want = case["QMp"].as_f64().unwrap();
        assert!(
            (perm.qm_p - want).abs() <= 1e-12,
            "{name}: QMp {} vs {want}",
            perm.qm_p
        );
    }
}

fn bcg(fx: &Value, terms: &[&str]) -> (Vec<f64>, Vec<f64>, ModelMatrix) {
    let b = &fx["bcg"];
    let (y, v) = (nums(&b["yi"]), nums(&b["vi"]));
    let mut m = Moderators::new(y.len());
    for t in terms {
        m = if *t == "alloc" {
            let alloc: Vec<&str> = b["alloc"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            m.factor(Factor::new("alloc", &alloc).unwrap()).unwrap()
        } else {
            m.continuous(t, &nums(&b[*t])).unwrap()
        };
    }
    (y, v, m.matrix().unwrap())
}

fn fit(fx: &Value, terms: &[&str], model: MetaRegression) -> RegressionFit {
    let (y, v, x) = bcg(fx, terms);
    // the fixture is metafor with its default control: its iteration path
    model
        .with_control(Tau2Control::metafor())
        .fit_values(&y, &v, &x, Scale::Log)
        .unwrap()
}

#[test]
fn wald_tests_of_linear_combinations_match_metafor() {
    let fx = fixture();
    for case in fx["wald"].as_array().unwrap() {
        let test = case["test"].as_str().unwrap();
        let f = fit(&fx, &["ablat", "alloc"], spec("REML", test));
        let l: Vec<Vec<f64>> = nums(&case["L"]).chunks(4).map(<[f64]>::to_vec).collect();
        let w = f.wald(&l).unwrap();
        for (j, c) in w.combinations.iter().enumerate() {
            close(
                &format!("{test} Xb[{j}]"),
                c.estimate,
                nums(&case["Xb"])[j],
                1e-8,
            );
            close(&format!("{test} se[{j}]"), c.se, nums(&case["se"])[j], 1e-8);
            close(
                &format!("{test} z[{j}]"),
                c.statistic,
                nums(&case["zval"])[j],
                1e-8,
            );
            close(&format!("{test} p[{j}]"), c.p, nums(&case["pval"])[j], 1e-6);
        }
        let joint = w.joint.expect("independent rows");
        close(
            &format!("{test} QM"),
            joint.statistic,
            case["QM"].as_f64().unwrap(),
            1e-8,
        );
        close(
            &format!("{test} QMp"),
            joint.p,
            case["QMp"].as_f64().unwrap(),
            1e-6,
        );
        let df = case["QMdf"].as_array().unwrap();
        assert_eq!(Some(joint.df1 as f64), df[0].as_f64());
        assert_eq!(joint.df2.map(|d| d as f64), df[1].as_f64());
    }
}

#[test]
fn likelihood_ratio_tests_match_metafor() {
    let fx = fixture();
    let ml = || MetaRegression::random(Tau2Estimator::MaximumLikelihood);
    let pairs = [
        (
            fit(&fx, &["ablat", "year"], ml()),
            fit(&fx, &["ablat"], ml()),
        ),
        (fit(&fx, &["ablat", "alloc"], ml()), fit(&fx, &[], ml())),
        (
            fit(&fx, &["ablat"], MetaRegression::default()),
            fit(&fx, &["ablat"], MetaRegression::fixed()),
        ),
        (
            fit(&fx, &["ablat", "year"], MetaRegression::fixed()),
            fit(&fx, &["ablat"], MetaRegression::fixed()),
        ),
    ];
    for ((full, reduced), case) in pairs.iter().zip(fx["lrt"].as_array().unwrap()) {
        let name = case["name"].as_str().unwrap();
        let t = full.likelihood_ratio(reduced).unwrap();
        close(
            &format!("{name} LRT"),
            t.statistic,
            case["LRT"].as_f64().unwrap(),
            1e-8,
        );
        close(
            &format!("{name} p"),
            t.p,
            case["pval"].as_f64().unwrap(),
            1e-6,
        );
        assert_eq!(t.df as f64, case["df"].as_f64().unwrap(), "{name} df");
        close(
            &format!("{name} ll_f"),
            t.full.loglik,
            case["ll_f"].as_f64().unwrap(),
            1e-8,
        );
        close(
            &format!("{name} ll_r"),
            t.reduced.loglik,
            case["ll_r"].as_f64().unwrap(),
            1e-8,
        );
        close(
            &format!("{name} aic_f"),
            t.full.aic,
            case["aic_f"].as_f64().unwrap(),
            1e-8,
        );
        close(
            &format!("{name} aic_r"),
            t.reduced.aic,
            case["aic_r"].as_f64().unwrap(),
            1e-8,
        );
        match (t.r2, case["R2"].as_f64()) {
            (Some(g), Some(w)) => close(&format!("{name} R2"), g, w, 1e-6),
            (g, w) => assert_eq!(g, w, "{name} R2"),
        }
    }
}

/// Random permutations are reproducible from the seed, and approach the exact p-values.
#[test]
fn random_permutations_are_reproducible_from_the_seed() {
    let fx = fixture();
    let f = fit(&fx, &["ablat"], MetaRegression::fixed());
    let how = Permutations::Auto {
        iterations: 2000,
        seed: 42,
    };
    let a = f.permutation_test(how).unwrap();
    let b = f.permutation_test(how).unwrap();
    assert_eq!(a, b);
    assert!(!a.exact);
    assert_eq!(a.permutations, 2000);
    let other = f
        .permutation_test(Permutations::Auto {
            iterations: 2000,
            seed: 43,
        })
        .unwrap();
    assert_ne!(a.p, other.p);
    // the parametric p of ablat is about 1e-9 under FE: no permutation beats it but the
    // observed one
    assert!(a.p[1] < 0.01, "{:?}", a.p);
    assert!(a.p.iter().all(|p| (0.0..=1.0).contains(p)));
}

/// metafor's own expectations (tests/testthat/test_misc_permutest.r, metafor 3.8 era):
/// dat.hine1989 risk differences, `rma(yi, vi)` exact permutation p = 0.0625, and with the fake
/// moderator `mod = c(3,1,2,2,4,5)` exact p = (1, 0.0028) (to metafor's p-value tolerance; the
/// exact shares are 1 and 1/360: 360 distinct arrangements of the moderator, which has a tie).
#[test]
fn metafor_test_suite_permutation_expectations() {
    use metapool::{effect::EffectSet, effect::RiskDifference, effect::TwoByTwo};
    let cells = [
        (2, 39, 1, 43),
        (4, 44, 4, 44),
        (6, 107, 4, 110),
        (7, 103, 5, 100),
        (7, 110, 3, 106),
        (11, 154, 4, 146),
    ];
    let studies: Vec<RiskDifference> = cells
        .iter()
        .map(|&(a, n1, c, n2)| {
            RiskDifference::new(TwoByTwo::from_cells(a, n1 - a, c, n2 - c).unwrap())
        })
        .collect();
    let set = EffectSet::from_studies(&studies).unwrap();
    let reml = MetaRegression::default();
    let int_only = reml
        .fit(&set, &Moderators::new(6).matrix().unwrap())
        .unwrap();
    let c = &int_only.coefficients()[0];
    // metafor: estimate 0.029444, se 0.013068, zval 2.253107
    close("estimate", c.estimate, 0.029444, 2e-5);
    close("zval", c.statistic, 2.253107, 1e-6);
    let perm = int_only.permutation_test(Permutations::default()).unwrap();
    assert!(perm.exact);
    assert_eq!(perm.p, vec![0.0625]);
    let x = Moderators::new(6)
        .continuous("mod", &[3.0, 1.0, 2.0, 2.0, 4.0, 5.0])
        .unwrap()
        .matrix()
        .unwrap();
    let perm = reml
        .fit(&set, &x)
        .unwrap()
        .permutation_test(Permutations::default())
        .unwrap();
    assert!(perm.exact && perm.permutations == 360, "{perm:?}");
    assert_eq!(perm.p[0], 1.0);
    assert!((perm.p[1] - 0.0028).abs() < 0.0005, "{:?}", perm.p);
}

/// Q-profile intervals of the residual tau², tau, I², H² against metafor's `confint(res)$random`
/// (rows tau², tau, I², H²): 1e-6 relative (metafor's root search stops at eps^0.25 in tau²,
/// and the same Brent steps give the same bounds; estimates 1e-8).
#[test]
fn q_profile_intervals_match_metafor() {
    let fx = fixture();
    let fits = [
        fit(&fx, &["ablat"], MetaRegression::default()),
        fit(
            &fx,
            &["ablat", "alloc"],
            MetaRegression::random(Tau2Estimator::DerSimonianLaird),
        ),
        fit(
            &fx,
            &["ablat", "year"],
            MetaRegression::random(Tau2Estimator::PauleMandel),
        ),
        {
            let (y, v, _) = bcg(&fx, &[]);
            let x = Moderators::new(13)
                .with_intercept(metapool::regression::Intercept::Excluded)
                .continuous("ablat", &nums(&fx["bcg"]["ablat"]))
                .unwrap()
                .matrix()
                .unwrap();
            MetaRegression::default()
                .with_control(Tau2Control::metafor())
                .fit_values(&y, &v, &x, Scale::Log)
                .unwrap()
        },
    ];
    for (f, case) in fits.iter().zip(fx["confint"].as_array().unwrap()) {
        let name = case["name"].as_str().unwrap();
        let ci = f.heterogeneity_intervals().unwrap();
        let rows = [ci.tau2, ci.tau, ci.i2, ci.h2];
        let (est, lo, hi) = (
            nums(&case["estimate"]),
            nums(&case["lower"]),
            nums(&case["upper"]),
        );
        for (j, r) in rows.iter().enumerate() {
            close(&format!("{name} estimate[{j}]"), r.estimate, est[j], 1e-8);
            close(&format!("{name} lower[{j}]"), r.lower, lo[j], 1e-6);
            close(&format!("{name} upper[{j}]"), r.upper, hi[j], 1e-6);
        }
    }
}

/// The benchmark's data (benches/regression.rs) fitted by metafor
/// (fixtures/metafor/bench_regression.R prints tau² and b1 to 10 significant digits): the
/// timed fits compute metafor's numbers.
#[test]
fn benchmark_data_fits_match_metafor() {
    for (k, method, tau2, b1) in [
        (
            100,
            Tau2Estimator::RestrictedMaximumLikelihood,
            0.04159749278,
            0.06609972673,
        ),
        (
            100,
            Tau2Estimator::DerSimonianLaird,
            0.03578515476,
            0.0675509494,
        ),
        (
            1000,
            Tau2Estimator::RestrictedMaximumLikelihood,
            0.02519823153,
            0.05011926447,
        ),
        (
            1000,
            Tau2Estimator::DerSimonianLaird,
            0.0166352767,
            0.05022536333,
        ),
    ] {
        let (y, v, x) = regression_common::data::five_moderators(k);
        // metafor's default control (its printed digits are those of its stopping point)
        let f = MetaRegression::random(method)
            .with_control(Tau2Control::metafor())
            .fit_values(&y, &v, &x, Scale::Identity)
            .unwrap();
        close(&format!("k={k} tau2"), f.residual().tau2, tau2, 1e-9);
        close(&format!("k={k} b1"), f.coefficients()[1].estimate, b1, 1e-9);
    }
}
