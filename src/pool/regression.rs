//! Meta-regression on one moderator, `y_i = b0 + b1 x_i + u_i + e_i`, for the regression test
//! and trim-and-fill's choice of side. tau² comes from the shared estimators over the design
//! `X = [1, x]` ([`super::tau2::moderator::Moderator`]).

use super::tau2::moderator::{constant_moderator, line, Moderator};
use super::tau2::{fit_design, Tau2Fit};
use super::{Pooler, Tau2Control, Tau2Estimator};
use crate::error::{Error, Result};
use crate::numeric::NeumaierSum;

/// A weighted least-squares fit of `y` on `[1, x]` with weights `1 / (v_i + tau2)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RegressionFit {
    /// Number of observations.
    pub k: usize,
    /// Intercept `b0` and slope `b1`.
    pub beta: [f64; 2],
    /// Their standard errors from `(X' W X)^-1`.
    pub se: [f64; 2],
    /// tau² used in the weights (0 for fixed-effect fits).
    pub tau2: f64,
    /// Residual sum of squares with the fitted weights, `sum w_i (y_i - b0 - b1 x_i)^2`.
    pub rss: f64,
}

/// Weighted least squares in centred form (stable when `x` is far from 0; see
/// [`super::tau2::moderator::line`]):
/// ```text
/// xbar = sum w x / sum w,  ybar = sum w y / sum w,  Sxx = sum w (x - xbar)^2
/// b1 = sum w (x - xbar)(y - ybar) / Sxx,   b0 = ybar - b1 xbar
/// var b1 = 1 / Sxx,   var b0 = 1 / sum w + xbar^2 / Sxx
/// ```
pub(crate) fn weighted_least_squares(
    y: &[f64],
    v: &[f64],
    x: &[f64],
    tau2: f64,
) -> Result<RegressionFit> {
    let k = y.len();
    let w = |i: usize| 1.0 / (v[i] + tau2);
    let l = line(k, |i| y[i], |i| x[i], w);
    if !l.identifiable() {
        return Err(constant_moderator());
    }
    let b1 = l.slope();
    let b0 = l.ybar - b1 * l.xbar;
    let mut rss = NeumaierSum::default();
    for i in 0..k {
        let r = y[i] - b0 - b1 * x[i];
        rss.add(w(i) * r * r);
    }
    let fit = RegressionFit {
        k,
        beta: [b0, b1],
        se: [
            (1.0 / l.sum_w + l.xbar * l.xbar / l.sxx).sqrt(),
            (1.0 / l.sxx).sqrt(),
        ],
        tau2,
        rss: rss.value(),
    };
    if fit.beta.iter().chain(fit.se.iter()).all(|z| z.is_finite()) && fit.rss.is_finite() {
        Ok(fit)
    } else {
        Err(Error::NonFinite {
            what: "meta-regression coefficients",
        })
    }
}

/// tau² of the meta-regression of `y` on `[1, x]` (`p = 2`, `df = k - 2`) as metafor 3.8
/// `rma.uni(yi, vi, mods = ~ x, method)` estimates it: every estimator of the intercept-only
/// model written once over a design (see the [`super::tau2`] module documentation), here with
/// `P = W - W X (X'WX)^-1 X'W` of `X = [1, x]`:
/// ```text
/// DL   w = 1/v:           (QE - df) / tr P
/// HE   w = 1 (OLS):       (y'Py - tr PV) / df
/// HS   w = 1/v:           (y'Py - k) / sum w
/// HSk  w = 1/v:           (k/df y'Py - k) / sum w
/// SJ   t0 = sum (y - mean y)^2 / k, w = 1/(v + t0):   t0 y'Py / df
/// ML, REML, EB: Fisher scoring from max(0, HE), w = 1/(v + tau2):
///      ML   tau2 += (y'PPy - sum w) / sum w^2
///      REML tau2 += (y'PPy - tr P) / tr PP
///      EB   tau2 += (k/df y'Py - k) / sum w
///      ML/REML: tau2 = 0 if ll(0) - ll(tau2) > tol (ll0check)
/// PM, PMM: the root of y'Py(tau2) = df (PM) or qchisq(0.5, df) (PMM) on
///      [0, tau2_max], tau2_max = max(100, 10 mad(y)^2) unless given; 0 when y'Py(0) < target
/// every estimate truncated at 0
/// ```
/// with the standard errors of [`Tau2Fit`] (metafor's `se.tau2`). DL2 and GENQ are typed
/// errors (metafor 3.8 does not define them with moderators). Source: metafor 3.8 `rma.uni`
/// (Viechtbauer 2005, 2010; Raudenbush 2009).
pub(crate) fn regression_tau2(
    estimator: Tau2Estimator,
    y: &[f64],
    v: &[f64],
    x: &[f64],
    control: &Tau2Control,
) -> Result<Tau2Fit> {
    control.validate()?;
    let d = Moderator::new(y, v, x)?;
    fit_design(estimator, &d, control, "tau2 of the meta-regression")
}

/// Fit `y` on `[1, x]` with the pooler's model: weights `1/v` for fixed effect; for random
/// effects, tau² from the pooler's estimator (for meta-regression) then weights `1/(v + tau²)`.
pub(crate) fn fit_regression(
    pooler: &Pooler,
    y: &[f64],
    v: &[f64],
    x: &[f64],
) -> Result<RegressionFit> {
    match pooler {
        Pooler::Fixed(_) => weighted_least_squares(y, v, x, 0.0),
        Pooler::Random(m) => {
            // the moderator must vary (checked with fixed-effect weights first, as metafor
            // checks the design with lm before fitting)
            weighted_least_squares(y, v, x, 0.0)?;
            let tau2 = regression_tau2(m.estimator, y, v, x, &m.control)?.tau2;
            weighted_least_squares(y, v, x, tau2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> serde_json::Value {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/metafor/sensitivity.json"
        ))
        .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn arr(v: &serde_json::Value) -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    }

    /// Every tau² estimator of the meta-regression against metafor's `regtest(rma(method = m))`
    /// (slope, its SE and tau²) at 1e-8 relative (1e-14 absolute at a reference zero).
    #[test]
    fn regression_tau2_matches_metafor_for_every_estimator() {
        let fx = fixture();
        let mut checked = 0;
        for d in fx["datasets"].as_array().unwrap() {
            let (y, v) = (arr(&d["yi"]), arr(&d["vi"]));
            let x: Vec<f64> = v.iter().map(|v| v.sqrt()).collect();
            for r in d["regtest_by_method"].as_array().unwrap() {
                // DL2 and GENQ have no meta-regression form in metafor 3.8
                let Some(method) = Tau2Estimator::from_metafor_name(r["method"].as_str().unwrap())
                    .filter(|m| {
                        !matches!(
                            m,
                            Tau2Estimator::DerSimonianLairdTwoStep | Tau2Estimator::GeneralizedQ
                        )
                    })
                else {
                    continue;
                };
                let tau2 = regression_tau2(method, &y, &v, &x, &Tau2Control::metafor())
                    .unwrap()
                    .tau2;
                let fit = weighted_least_squares(&y, &v, &x, tau2).unwrap();
                let name = format!("{}/{}", d["name"], r["method"]);
                for (what, got, want) in [
                    ("tau2", tau2, r["tau2"].as_f64().unwrap()),
                    ("slope", fit.beta[1], r["slope"].as_f64().unwrap()),
                    ("slope_se", fit.se[1], r["slope_se"].as_f64().unwrap()),
                    ("limit", fit.beta[0], r["limit"].as_f64().unwrap()),
                ] {
                    let ok = if want == 0.0 {
                        got.abs() <= 1e-14
                    } else {
                        ((got - want) / want).abs() <= 1e-8
                    };
                    assert!(ok, "{name} {what}: got {got:e}, metafor {want:e}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 7 * 10 * 4);
    }

    fn estimator(name: &str) -> Tau2Estimator {
        Tau2Estimator::from_metafor_name(name).unwrap_or_else(|| panic!("unknown method {name}"))
    }

    /// The meta-regression on `sei` against metafor's `rma(yi, vi, mods = ~ sei, method = m)`
    /// for every estimator (PM and PMM included): tau², its standard error, both coefficients
    /// and their standard errors, and the residual Q. Closed forms at 1e-10 relative, the
    /// iterative estimators (Fisher scoring, Brent root) at 1e-8 relative; reference zeros at
    /// 1e-14 absolute.
    #[test]
    fn meta_regression_matches_metafor_rma_with_mods() {
        use super::super::tau2::design::Design;
        let fx = fixture();
        let mut checked = 0;
        let mut max_rel = std::collections::BTreeMap::<(&str, &str), f64>::new();
        for d in fx["datasets"].as_array().unwrap() {
            let (y, v) = (arr(&d["yi"]), arr(&d["vi"]));
            let x: Vec<f64> = v.iter().map(|v| v.sqrt()).collect();
            for r in d["meta_regression"].as_array().unwrap() {
                let m = r["method"].as_str().unwrap();
                let est = estimator(m);
                let fit = regression_tau2(est, &y, &v, &x, &Tau2Control::metafor()).unwrap();
                let wls = weighted_least_squares(&y, &v, &x, fit.tau2).unwrap();
                let qe = Moderator::new(&y, &v, &x).unwrap().at(0.0).rss;
                let iterative = matches!(
                    est,
                    Tau2Estimator::MaximumLikelihood
                        | Tau2Estimator::RestrictedMaximumLikelihood
                        | Tau2Estimator::EmpiricalBayes
                        | Tau2Estimator::PauleMandel
                        | Tau2Estimator::PauleMandelMedian
                );
                let tol = if iterative { 1e-8 } else { 1e-10 };
                let name = format!("{}/{m}", d["name"]);
                for (what, got, want) in [
                    ("tau2", fit.tau2, r["tau2"].as_f64().unwrap()),
                    ("se_tau2", fit.se.unwrap(), r["se_tau2"].as_f64().unwrap()),
                    ("intercept", wls.beta[0], r["intercept"].as_f64().unwrap()),
                    ("slope", wls.beta[1], r["slope"].as_f64().unwrap()),
                    (
                        "se_intercept",
                        wls.se[0],
                        r["se_intercept"].as_f64().unwrap(),
                    ),
                    ("se_slope", wls.se[1], r["se_slope"].as_f64().unwrap()),
                    ("qe", qe, r["qe"].as_f64().unwrap()),
                ] {
                    let ok = if want == 0.0 {
                        got.abs() <= 1e-14
                    } else {
                        let rel = ((got - want) / want).abs();
                        let e = max_rel.entry((m, what)).or_insert(0.0);
                        *e = e.max(rel);
                        rel <= tol
                    };
                    assert!(ok, "{name} {what}: got {got:e}, metafor {want:e}");
                    checked += 1;
                }
                if matches!(
                    est,
                    Tau2Estimator::PauleMandel | Tau2Estimator::PauleMandelMedian
                ) {
                    assert!(
                        matches!(
                            fit.stop,
                            super::super::tau2::Tau2Stop::Root { .. }
                                | super::super::tau2::Tau2Stop::AtLowerBound
                        ),
                        "{name}: {:?}",
                        fit.stop
                    );
                }
            }
        }
        eprintln!("max relative difference by (estimator, quantity): {max_rel:?}");
        assert_eq!(checked, 7 * 10 * 7);
    }

    /// The exact solver (the default control) on the meta-regression on `sqrt(v)` against
    /// metafor with tight control (`fixtures/metafor/exact.json`, `generate_exact.R`): tau²
    /// and its standard error at 1e-9 relative (1e-12 absolute below 1e-6).
    #[test]
    fn exact_meta_regression_tau2_matches_metafor_tight_control() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/metafor/exact.json"
        ))
        .unwrap();
        let fx: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut checked = 0;
        for d in fx["datasets"].as_array().unwrap() {
            let Some(fits) = d.get("moderator") else {
                continue;
            };
            let (y, v) = (arr(&d["yi"]), arr(&d["vi"]));
            let x: Vec<f64> = v.iter().map(|v| v.sqrt()).collect();
            if Moderator::new(&y, &v, &x).is_err() {
                // a (nearly) constant moderator: metafor drops it or fits the ill-conditioned
                // model; metapool says it is collinear with the intercept
                assert!(x.iter().all(|&xi| (xi / x[0] - 1.0).abs() < 1e-6));
                continue;
            }
            for f in fits.as_array().unwrap() {
                let m = f["method"].as_str().unwrap();
                let est = Tau2Estimator::from_metafor_name(m).unwrap();
                let fit = regression_tau2(est, &y, &v, &x, &Tau2Control::default()).unwrap();
                for (what, got, want) in [
                    ("tau2", fit.tau2, f["tau2"].as_f64().unwrap()),
                    ("se_tau2", fit.se.unwrap(), f["se_tau2"].as_f64().unwrap()),
                ] {
                    let ok = if want.abs() < 1e-6 {
                        (got - want).abs() <= 1e-12
                    } else {
                        ((got - want) / want).abs() <= 1e-9
                    };
                    assert!(
                        ok,
                        "{} {m} {what}: got {got:e}, metafor {want:e}",
                        d["name"]
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 190);
    }

    /// A user `tau2_max` bounds the Paule-Mandel search exactly as given, as metafor's
    /// `control = list(tau2.max = ...)` does: a root inside gives metafor's tau² (1e-8
    /// relative), a bound below the root the same failure as metafor's "tau2.max too low".
    #[test]
    fn user_tau2_max_bounds_the_paule_mandel_search_as_metafor() {
        let fx = fixture();
        let spec = &fx["meta_regression_tau2_max"];
        let d = fx["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == spec["dataset"])
            .unwrap();
        let (y, v) = (arr(&d["yi"]), arr(&d["vi"]));
        let x: Vec<f64> = v.iter().map(|v| v.sqrt()).collect();
        let mut checked = 0;
        for f in spec["fits"].as_array().unwrap() {
            let control = Tau2Control::metafor()
                .with_tau2_max(f["tau2_max"].as_f64().unwrap())
                .unwrap();
            let got = regression_tau2(Tau2Estimator::PauleMandel, &y, &v, &x, &control);
            match f["tau2"].as_f64() {
                Some(want) => {
                    let got = got.unwrap().tau2;
                    assert!(((got - want) / want).abs() <= 1e-8, "{got:e} vs {want:e}");
                }
                None => {
                    assert!(f["error"][0].as_str().unwrap().contains("tau2.max"));
                    assert!(matches!(got, Err(Error::Undefined { .. })), "{got:?}");
                }
            }
            checked += 1;
        }
        assert_eq!(checked, 2);
    }
}
