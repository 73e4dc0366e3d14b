//! The tail functions against 50-digit mpmath references (fixtures/tails/reference.py), with the
//! errors of statrs' functions printed alongside (run with `--nocapture` to see them).

use metapool::inference::{chi_square_upper_tail, normal_two_sided_p};
use serde_json::Value;

fn reference() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/tails/reference.json"
    ))
    .expect("fixture");
    serde_json::from_str(&text).expect("json")
}

fn rel(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    }
}

fn rows(v: &Value, key: &str) -> Vec<Vec<f64>> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().parse::<f64>().unwrap())
                .collect()
        })
        .collect()
}

/// Two-sided normal p: 1e-14 relative wherever p is a normal f64 (>= 2.2e-308).
#[test]
fn normal_two_sided_matches_mpmath() {
    let v = reference();
    let (mut worst, mut worst_statrs) = ((0.0f64, 0.0), (0.0f64, 0.0));
    for r in rows(&v, "normal") {
        let (z, want) = (r[0], r[1]);
        if want < f64::MIN_POSITIVE {
            continue;
        }
        for zz in [z, -z] {
            let e = rel(normal_two_sided_p(zz), want);
            assert!(
                e < 1e-14,
                "z = {zz}: {} vs {want} ({e:e})",
                normal_two_sided_p(zz)
            );
            if e > worst.0 {
                worst = (e, z);
            }
        }
        let s = statrs::function::erf::erfc(z / std::f64::consts::SQRT_2);
        let e = rel(s, want);
        if e > worst_statrs.0 {
            worst_statrs = (e, z);
        }
    }
    println!(
        "normal two-sided p: metapool worst relative error {:.2e} at z = {}",
        worst.0, worst.1
    );
    println!(
        "normal two-sided p: statrs erfc(z/sqrt 2) worst relative error {:.2e} at z = {}",
        worst_statrs.0, worst_statrs.1
    );
}

/// Chi-square upper tail: 1e-14 relative on the closed forms (whole df <= 100, x <= 1400);
/// 1e-11 on statrs' incomplete gamma beyond them (df > 100, non-integer df, x > 1400).
#[test]
fn chi_square_upper_tail_matches_mpmath() {
    let v = reference();
    let (mut worst_closed, mut worst_other, mut worst_statrs) = (0.0f64, 0.0f64, 0.0f64);
    for r in rows(&v, "chisq") {
        let (x, df, want) = (r[0], r[1], r[2]);
        if want < f64::MIN_POSITIVE {
            continue;
        }
        let got = chi_square_upper_tail(x, df);
        let e = rel(got, want);
        let closed = df == df.trunc() && df <= 100.0 && x <= 1400.0;
        let tol = if closed { 1e-14 } else { 1e-11 };
        assert!(e < tol, "x = {x}, df = {df}: {got} vs {want} ({e:e})");
        if closed {
            worst_closed = worst_closed.max(e);
        } else {
            worst_other = worst_other.max(e);
        }
        let s = statrs::function::gamma::gamma_ur(df / 2.0, x / 2.0);
        worst_statrs = worst_statrs.max(rel(s, want));
    }
    println!("chi-square upper tail: closed forms worst relative error {worst_closed:.2e}");
    println!("chi-square upper tail: statrs fallback range worst relative error {worst_other:.2e}");
    println!(
        "chi-square upper tail: statrs gamma_ur everywhere worst relative error {worst_statrs:.2e}"
    );
}

#[test]
fn tails_edge_cases() {
    assert_eq!(normal_two_sided_p(0.0), 1.0);
    assert_eq!(normal_two_sided_p(40.0), 0.0);
    assert_eq!(normal_two_sided_p(f64::INFINITY), 0.0);
    assert!(normal_two_sided_p(f64::NAN).is_nan());
    assert_eq!(chi_square_upper_tail(0.0, 3.0), 1.0);
    assert_eq!(chi_square_upper_tail(-1.0, 3.0), 1.0);
    assert_eq!(chi_square_upper_tail(f64::INFINITY, 3.0), 0.0);
    assert_eq!(chi_square_upper_tail(1e6, 9.0), 0.0);
}
