//! Property-based invariants of the exact tau² solver (`Tau2Mode::Exact`, the default), over
//! generated analyses: k from 2 to 60, sampling variances log-uniform over 1e-6..1e6 times a
//! common scale, effects of either sign with heterogeneity from none to extreme.
//!
//! 1. The solution satisfies its estimating equation: in the interior, the equation (computed
//!    here independently, in plain sums) changes sign across `tau2 (1 -/+ 1e-9)`, or is 0 to
//!    rounding at `tau2`; on the boundary it is not positive at 0 (to rounding).
//! 2. Where metafor's iteration path converges (`Tau2Control::metafor()`), the two modes agree
//!    to metafor's stopping rule (Fisher scoring threshold 1e-5 on the change, which at its linear
//!    rate of convergence bounds the distance to the root by a small multiple of it; uniroot's
//!    tolerance `eps^0.25` for PM and PMM), unless metafor stopped short (its equation does not
//!    change sign within that distance of its stopping point: a small change is not a small
//!    distance when the Fisher step is tiny) or at a worse maximum of the likelihood (then the
//!    exact solution's likelihood is higher).
//!
//! `PROPTEST_CASES` sets the number of cases (1,000 by default).

use metapool::pool::{Tau2Control, Tau2Stop};
use metapool::{effect::EffectSet, pool::Tau2Estimator};
use proptest::prelude::*;
use proptest::test_runner::Config;

const ITERATIVE: [Tau2Estimator; 5] = [
    Tau2Estimator::MaximumLikelihood,
    Tau2Estimator::RestrictedMaximumLikelihood,
    Tau2Estimator::EmpiricalBayes,
    Tau2Estimator::PauleMandel,
    Tau2Estimator::PauleMandelMedian,
];

fn config() -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1000),
        ..Config::default()
    }
}

/// `(y, v)` of one analysis.
fn analysis() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (2usize..60, -3.0f64..3.0, -2.0f64..1.5).prop_flat_map(|(k, scale, log_tau)| {
        let s = 10f64.powf(scale);
        let tau = if log_tau < -1.5 {
            0.0
        } else {
            10f64.powf(log_tau)
        };
        (
            proptest::collection::vec((-1.0f64..1.0, -6.0f64..6.0, -3.0f64..3.0), k),
            Just((s, tau)),
        )
            .prop_map(|(studies, (s, tau))| {
                let v: Vec<f64> = studies.iter().map(|t| s * s * 10f64.powf(t.1)).collect();
                let y: Vec<f64> = studies
                    .iter()
                    .zip(&v)
                    .map(|(t, v)| s * tau * t.2 + v.sqrt() * t.0)
                    .collect();
                (y, v)
            })
    })
}

/// The sums of the intercept-only model at `tau2`, plainly: `(y'Py, y'PPy, tr P, sum w)`.
fn sums(y: &[f64], v: &[f64], tau2: f64) -> (f64, f64, f64, f64) {
    let w: Vec<f64> = v.iter().map(|v| 1.0 / (v + tau2)).collect();
    let s: f64 = w.iter().sum();
    let mu = w.iter().zip(y).map(|(w, y)| w * y).sum::<f64>() / s;
    let rss = w.iter().zip(y).map(|(w, y)| w * (y - mu).powi(2)).sum();
    let rss2 = w.iter().zip(y).map(|(w, y)| (w * (y - mu)).powi(2)).sum();
    let tr_p = s - w.iter().map(|w| w * w).sum::<f64>() / s;
    (rss, rss2, tr_p, s)
}

/// The estimating equation and the size of its terms (for the rounding allowance).
fn equation(est: Tau2Estimator, y: &[f64], v: &[f64], tau2: f64) -> (f64, f64) {
    let (rss, rss2, tr_p, s) = sums(y, v, tau2);
    let df = (y.len() - 1) as f64;
    match est {
        Tau2Estimator::MaximumLikelihood => (rss2 - s, rss2 + s),
        Tau2Estimator::RestrictedMaximumLikelihood => (rss2 - tr_p, rss2 + tr_p),
        Tau2Estimator::PauleMandelMedian => {
            let t = metapool::inference::chi_square_quantile(0.5, df);
            (rss - t, rss + t)
        }
        _ => (rss - df, rss + df),
    }
}

/// The (restricted) log-likelihood at `tau2`, up to a constant.
fn log_likelihood(y: &[f64], v: &[f64], tau2: f64, reml: bool) -> f64 {
    let (rss, _, _, s) = sums(y, v, tau2);
    let logs: f64 = v.iter().map(|v| (v + tau2).ln()).sum();
    -0.5 * logs - 0.5 * rss - if reml { 0.5 * s.ln() } else { 0.0 }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_solution_satisfies_its_estimating_equation((y, v) in analysis()) {
        let set = EffectSet::from_estimates(&y, &v).unwrap();
        for est in ITERATIVE {
            let fit = est.fit(&set).unwrap();
            let (g, size) = equation(est, &y, &v, fit.tau2);
            let rounding = 1e-10 * size;
            match fit.stop {
                Tau2Stop::Boundary { equation: reported } => {
                    prop_assert_eq!(fit.tau2, 0.0);
                    prop_assert!(reported <= 0.0, "{est:?}: {reported:e}");
                    let likelihood = matches!(
                        est,
                        Tau2Estimator::MaximumLikelihood
                            | Tau2Estimator::RestrictedMaximumLikelihood
                    );
                    // a likelihood with two maxima: the boundary was kept as the higher one
                    prop_assert!(g <= rounding || likelihood, "{est:?}: g(0) = {g:e}");
                }
                Tau2Stop::Solved { equation: reported, .. } => {
                    prop_assert!(fit.tau2 > 0.0);
                    prop_assert!(reported.abs() <= rounding.max(1e-300), "{est:?}: {reported:e}");
                    let below = equation(est, &y, &v, fit.tau2 * (1.0 - 1e-9)).0;
                    let above = equation(est, &y, &v, fit.tau2 * (1.0 + 1e-9)).0;
                    prop_assert!(
                        g.abs() <= rounding || (below >= -rounding && above <= rounding),
                        "{est:?} at {:e}: g = {g:e}, below {below:e}, above {above:e}", fit.tau2
                    );
                }
                other => prop_assert!(false, "{est:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn exact_and_metafor_modes_agree_where_metafor_converges((y, v) in analysis()) {
        let set = EffectSet::from_estimates(&y, &v).unwrap();
        let metafor = Tau2Control::metafor();
        for est in ITERATIVE {
            let exact = est.fit(&set).unwrap();
            let Ok(path) = est.fit_with(&set, &metafor) else { continue };
            let allowed = match est {
                Tau2Estimator::PauleMandel | Tau2Estimator::PauleMandelMedian => {
                    metafor.tolerance()
                }
                _ => 1e3 * metafor.threshold() * (1.0 + exact.tau2),
            };
            let diff = (exact.tau2 - path.tau2).abs();
            if diff <= allowed {
                continue;
            }
            // metafor's rule stops on a small change, which a small step can give far from the
            // root (EB's Fisher step divides by sum w, huge when one variance is tiny): where
            // its equation does not change sign within the allowance around its stopping
            // point (or is positive at 0, where it stopped at 0), it stopped short, and the
            // exact solution (checked by the property above) is the root
            let solved_there = if path.tau2 == 0.0 {
                equation(est, &y, &v, 0.0).0 <= 0.0
            } else {
                equation(est, &y, &v, (path.tau2 - allowed).max(0.0)).0 >= 0.0
                    && equation(est, &y, &v, path.tau2 + allowed).0 <= 0.0
            };
            if !solved_there {
                continue;
            }
            // metafor stopped at another maximum of the likelihood: the exact one is higher
            let reml = match est {
                Tau2Estimator::RestrictedMaximumLikelihood => true,
                Tau2Estimator::MaximumLikelihood => false,
                _ => {
                    prop_assert!(false, "{est:?}: exact {:e}, metafor {:e}", exact.tau2, path.tau2);
                    unreachable!()
                }
            };
            let (le, lm) = (
                log_likelihood(&y, &v, exact.tau2, reml),
                log_likelihood(&y, &v, path.tau2, reml),
            );
            prop_assert!(
                le >= lm - 1e-9 * lm.abs().max(1.0),
                "{est:?}: exact {:e} (ll {le}), metafor {:e} (ll {lm})", exact.tau2, path.tau2
            );
        }
    }
}

/// Two analyses (found by the properties above) whose ML likelihood has two maxima: at 0 and
/// inside (k = 2: metafor's Fisher scoring finds the inner one, at 1.044), and two inside
/// (k = 3: the one nearer the start is lower); the exact solver keeps the higher.
#[test]
fn a_likelihood_with_two_maxima_gives_the_higher() {
    let cases: [(&[f64], &[f64]); 2] = [
        (
            &[-1.1054329010730983, 1.5254534883994988],
            &[1.0, 0.08319776843757955],
        ),
        (
            &[-1.320953626099709, 2.2582978159552907, -1.5273920428582919],
            &[5.6904743716562336e-5, 1.0, 4.725266990849916e-6],
        ),
    ];
    for (y, v) in cases {
        let set = EffectSet::from_estimates(y, v).unwrap();
        let exact = Tau2Estimator::MaximumLikelihood.fit(&set).unwrap();
        let path = Tau2Estimator::MaximumLikelihood
            .fit_with(&set, &Tau2Control::metafor())
            .unwrap();
        assert!(exact.tau2 > 1.0, "{exact:?}");
        assert!((exact.tau2 - path.tau2).abs() < 1e-4, "{exact:?} {path:?}");
        for t in [0.0, 1e-3, 0.012, 0.1, 0.5] {
            assert!(log_likelihood(y, v, exact.tau2, false) > log_likelihood(y, v, t, false));
        }
    }
}
