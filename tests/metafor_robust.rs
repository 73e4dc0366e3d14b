//! Cluster-robust inference against metafor 3.8 `robust()` (CR1) and clubSandwich 0.5.8
//! (CR2 through metafor's `robust(..., clubSandwich = TRUE)`: `vcovCR`, `coef_test` with
//! Satterthwaite df, `conf_int`, `Wald_test` HTZ), from `fixtures/metafor/robust.json`
//! (written by `fixtures/metafor/generate_robust.R`).
//!
//! Each case is checked twice:
//! - through a test-only [`WorkingModel`] built from the fixture's own `X`, `y`, `b` and
//!   marginal covariance blocks (`diag(v + tau²)` for rma.uni, metafor's `M = V + Z G Z'` per
//!   cluster for rma.mv): the kernels on exactly the inputs clubSandwich saw;
//! - for rma.uni cases, also through metapool's own [`RegressionFit`] (FE, DL, and REML solved
//!   exactly; metafor ran with tight control).
//!
//! Tolerance: 1e-9 relative (numbers below 1e-12 absolute compared absolutely); p-values at
//! 1e-8 (a tail probability amplifies the relative error of its statistic). The largest
//! relative difference per case is printed (`--nocapture`).

use metapool::effect::EffectSet;
use metapool::regression::{MetaRegression, ModelMatrix, RegressionFit};
use metapool::robust::{ClusterRobust, Clusters, RobustFit, RobustVariance, WorkingModel};
use nalgebra::DMatrix;
use serde_json::Value;

mod regression_common;
use regression_common::nums;

/// A working model read from the fixture: block-diagonal `M` by the fixture's clusters.
struct FixtureModel {
    x: ModelMatrix,
    y: Vec<f64>,
    b: Vec<f64>,
    /// `block[i]`: the block holding row `i`, and its position in it.
    place: Vec<(usize, usize)>,
    blocks: Vec<(Vec<usize>, DMatrix<f64>)>,
}

impl WorkingModel for FixtureModel {
    fn model_matrix(&self) -> &ModelMatrix {
        &self.x
    }
    fn outcomes(&self) -> &[f64] {
        &self.y
    }
    fn estimates(&self) -> Vec<f64> {
        self.b.clone()
    }
    fn marginal_covariance(&self, rows: &[usize]) -> DMatrix<f64> {
        DMatrix::from_fn(rows.len(), rows.len(), |r, c| {
            let (br, pr) = self.place[rows[r]];
            let (bc, pc) = self.place[rows[c]];
            if br == bc {
                self.blocks[br].1[(pr, pc)]
            } else {
                0.0
            }
        })
    }
    fn weights(&self, rows: &[usize]) -> Option<DMatrix<f64>> {
        // whole blocks only
        for &i in rows {
            let (b, _) = self.place[i];
            if !self.blocks[b].0.iter().all(|r| rows.contains(r)) {
                return None;
            }
        }
        self.marginal_covariance(rows).try_inverse()
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

fn model_matrix(case: &Value) -> ModelMatrix {
    let names = strings(&case["x_names"]);
    let x = nums(&case["x"]);
    let k = x.len() / names.len();
    let cols = x.chunks(k).map(<[f64]>::to_vec).collect();
    ModelMatrix::new(names, cols).expect("model matrix")
}

fn fixture_model(case: &Value) -> FixtureModel {
    let x = model_matrix(case);
    let y = nums(&case["yi"]);
    let k = y.len();
    let blocks: Vec<(Vec<usize>, DMatrix<f64>)> = if case["kind"] == "uni" {
        let tau2 = case["tau2"].as_f64().unwrap();
        nums(&case["vi"])
            .iter()
            .enumerate()
            .map(|(i, v)| (vec![i], DMatrix::from_element(1, 1, v + tau2)))
            .collect()
    } else {
        case["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                let rows: Vec<usize> = nums(&b["rows"]).iter().map(|&r| r as usize).collect();
                let n = rows.len();
                (rows, DMatrix::from_column_slice(n, n, &nums(&b["m"])))
            })
            .collect()
    };
    let mut place = vec![(usize::MAX, 0); k];
    for (bi, (rows, _)) in blocks.iter().enumerate() {
        for (pi, &r) in rows.iter().enumerate() {
            place[r] = (bi, pi);
        }
    }
    FixtureModel {
        x,
        y,
        b: nums(&case["b"]),
        place,
        blocks,
    }
}

fn own_fit(case: &Value) -> RegressionFit {
    let set = EffectSet::from_estimates(&nums(&case["yi"]), &nums(&case["vi"])).unwrap();
    let spec = match case["method"].as_str().unwrap() {
        "FE" => MetaRegression::fixed(),
        m => MetaRegression::random(m.parse().unwrap()),
    };
    spec.fit(&set, &model_matrix(case)).expect("fit")
}

/// Relative difference (absolute below 1e-12).
fn rel(got: f64, want: f64) -> f64 {
    if want.abs() < 1e-12 {
        (got - want).abs()
    } else {
        ((got - want) / want).abs()
    }
}

struct Check {
    case: String,
    worst: f64,
}

impl Check {
    fn num(&mut self, what: &str, got: f64, want: f64, tol: f64) {
        let d = rel(got, want);
        assert!(
            d <= tol,
            "{}: {what}: got {got}, metafor/clubSandwich {want} (rel {d:e})",
            self.case
        );
        if tol <= 1e-9 {
            self.worst = self.worst.max(d);
        }
    }
    fn all(&mut self, what: &str, got: &[f64], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len(), "{}: {what} length", self.case);
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            self.num(&format!("{what}[{i}]"), *g, *w, tol);
        }
    }
    fn robust(&mut self, r: &RobustFit, want: &Value) {
        let c = r.coefficients();
        self.all("vcov", r.vcov(), &nums(&want["vcov"]), 1e-9);
        self.all(
            "se",
            &c.iter().map(|c| c.se).collect::<Vec<_>>(),
            &nums(&want["se"]),
            1e-9,
        );
        let t: Vec<f64> = c.iter().map(|c| c.statistic).collect();
        self.all("statistic", &t, &nums(&want["statistic"]), 1e-9);
        self.all(
            "df",
            &c.iter().map(|c| c.df).collect::<Vec<_>>(),
            &nums(&want["df"]),
            1e-9,
        );
        self.all(
            "p",
            &c.iter().map(|c| c.p).collect::<Vec<_>>(),
            &nums(&want["p"]),
            1e-8,
        );
        let lo: Vec<f64> = c.iter().map(|c| c.ci_lower).collect();
        let hi: Vec<f64> = c.iter().map(|c| c.ci_upper).collect();
        self.all("ci_lower", &lo, &nums(&want["ci_lower"]), 1e-9);
        self.all("ci_upper", &hi, &nums(&want["ci_upper"]), 1e-9);
        let q = r.omnibus();
        self.num("qm", q.statistic, want["qm"].as_f64().unwrap(), 1e-9);
        self.num(
            "qm_df1",
            q.df1 as f64,
            want["qm_df1"].as_f64().unwrap(),
            0.0,
        );
        self.num("qm_df2", q.df2, want["qm_df2"].as_f64().unwrap(), 1e-9);
        self.num("qm_p", q.p.unwrap(), want["qm_p"].as_f64().unwrap(), 1e-8);
        assert_eq!(r.clusters() as f64, want["clusters"].as_f64().unwrap());
    }
}

fn cases() -> Vec<Value> {
    regression_common::fixture("robust.json")["cases"]
        .as_array()
        .unwrap()
        .clone()
}

fn run<M: WorkingModel>(model: &M, case: &Value, check: &mut Check) {
    let clusters = Clusters::new(&strings(&case["cluster"])).unwrap();
    let btt: Vec<usize> = nums(&case["btt"]).iter().map(|&b| b as usize).collect();
    for (v, key) in [(RobustVariance::Cr1, "cr1"), (RobustVariance::Cr2, "cr2")] {
        let r = ClusterRobust::new(v)
            .with_btt(btt.clone())
            .fit(model, &clusters)
            .unwrap();
        check.robust(&r, &case[key]);
        if v == RobustVariance::Cr2 {
            for w in case["wald"].as_array().unwrap() {
                let q = w["q"].as_f64().unwrap() as usize;
                let c = nums(&w["constraints"]);
                let rows: Vec<Vec<f64>> = (0..q)
                    .map(|i| c.iter().skip(i).step_by(q).copied().collect())
                    .collect();
                let t = r.wald_test(&rows).unwrap();
                // all three coefficients of ~ ablat + year: cond(V_R) = 5e11, and
                // clubSandwich's Q = b' V_R^-1 b is off by 1.4e-7 (see
                // wald_test_on_an_ill_conditioned_design_matches_the_centred_reference)
                let tol = if check.case.starts_with("bcg_reml_ablat_year_pairs") && q == 3 {
                    1e-6
                } else {
                    1e-9
                };
                check.num("wald F", t.statistic, w["fstat"].as_f64().unwrap(), tol);
                check.num("wald delta", t.delta, w["delta"].as_f64().unwrap(), 1e-9);
                check.num("wald df2", t.df2, w["df_denom"].as_f64().unwrap(), 1e-9);
                check.num(
                    "wald p",
                    t.p.unwrap(),
                    w["p"].as_f64().unwrap(),
                    100.0 * tol,
                );
            }
        }
    }
}

#[test]
fn robust_matches_metafor_and_clubsandwich_on_the_fixture_working_model() {
    for case in cases() {
        let mut check = Check {
            case: case["name"].as_str().unwrap().to_string(),
            worst: 0.0,
        };
        run(&fixture_model(&case), &case, &mut check);
        println!("{:40} max rel diff {:.1e}", check.case, check.worst);
    }
}

#[test]
fn robust_matches_metafor_and_clubsandwich_through_the_regression_fit() {
    for case in cases().into_iter().filter(|c| c["kind"] == "uni") {
        let mut check = Check {
            case: format!("{} (RegressionFit)", case["name"].as_str().unwrap()),
            worst: 0.0,
        };
        run(&own_fit(&case), &case, &mut check);
        println!("{:50} max rel diff {:.1e}", check.case, check.worst);
    }
}

#[test]
fn wald_test_on_an_ill_conditioned_design_matches_the_centred_reference() {
    // fixtures/metafor/robust_conditioning.json: the same hypothesis on a centred design
    let want = regression_common::fixture("robust_conditioning.json");
    let case = cases()
        .into_iter()
        .find(|c| c["name"] == "bcg_reml_ablat_year_pairs")
        .unwrap();
    let clusters = Clusters::new(&strings(&case["cluster"])).unwrap();
    let eye = vec![
        vec![1.0, 0.0, 0.0],
        vec![0.0, 1.0, 0.0],
        vec![0.0, 0.0, 1.0],
    ];
    let mut check = Check {
        case: "bcg ~ ablat + year, all coefficients, centred reference".into(),
        worst: 0.0,
    };
    for t in [
        ClusterRobust::new(RobustVariance::Cr2)
            .fit(&fixture_model(&case), &clusters)
            .unwrap()
            .wald_test(&eye)
            .unwrap(),
        ClusterRobust::new(RobustVariance::Cr2)
            .fit(&own_fit(&case), &clusters)
            .unwrap()
            .wald_test(&eye)
            .unwrap(),
    ] {
        check.num("F", t.statistic, want["fstat"].as_f64().unwrap(), 1e-9);
        check.num("delta", t.delta, want["delta"].as_f64().unwrap(), 1e-9);
        check.num("df2", t.df2, want["df_denom"].as_f64().unwrap(), 1e-9);
        check.num("p", t.p.unwrap(), want["p"].as_f64().unwrap(), 1e-8);
    }
    println!("{:40} max rel diff {:.1e}", check.case, check.worst);
}
