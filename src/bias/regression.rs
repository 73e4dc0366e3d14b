//! Egger's regression test for funnel-plot asymmetry (metafor `regtest`).

use super::standard_errors;
use crate::effect::EffectSet;
use crate::error::{Error, Result};
use crate::inference::{normal_two_sided_p, t_two_sided_p, t_upper_quantile, ConfidenceLevel};
use crate::pool::{weighted_least_squares, Interval, Pooler};

/// Which regression model the regression test fits (metafor `regtest(model = ...)`).
///
/// ```
/// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
/// # use metapool::prelude::*;
/// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
/// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
/// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
/// #     (27, 16886, 29, 17825)]
/// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
/// # let set = EffectSet::from_studies(&bcg)?;
/// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
/// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
/// use metapool::bias::{regression_test, EggerModel};
/// let lm = regression_test(&set, EggerModel::Classical(ConfidenceLevel::default()))?;
/// // metafor regtest(yi, vi, model = "lm"): t = -1.4013, df = 11, p = 0.1887, b = -0.1909
/// assert!((lm.statistic - -1.4012820022893326).abs() < 1e-10);
/// assert_eq!(lm.df, Some(11));
/// assert!((lm.p - 0.18870699508197877).abs() < 1e-10);
/// assert!((lm.limit.upper - 0.29347506555644165).abs() < 1e-10);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum EggerModel {
    /// metafor's default `model = "rma"`: a meta-regression of `y_i` on `sei` with the pooler's
    /// model (mixed-effects with its tau² estimator for a random-effects pooler, weights `1/v`
    /// for a fixed-effect one); Wald z test of the slope.
    MetaRegression(Pooler),
    /// The classical test of Egger et al. (1997), `model = "lm"`: weighted least squares of
    /// `y_i` on `sei` with weights `1/v_i` and a free multiplicative dispersion; t test of the
    /// slope on `k - 2` df. The confidence level is that of the limit estimate's interval.
    Classical(ConfidenceLevel),
}

/// The result of a regression test for funnel-plot asymmetry.
///
/// ```
/// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
/// # use metapool::prelude::*;
/// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
/// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
/// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
/// #     (27, 16886, 29, 17825)]
/// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
/// # let set = EffectSet::from_studies(&bcg)?;
/// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
/// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
/// use metapool::bias::{regression_test, EggerModel};
/// let egger = regression_test(&set, EggerModel::MetaRegression(Pooler::default()))?;
/// // metafor regtest(rma(yi, vi, method = "DL")): z = -0.8379, p = 0.4021, b = -0.5063
/// // (CI -1.0950, 0.0823); the mixed-effects model's tau² 0.2861
/// assert!((egger.statistic - -0.8379084404844273).abs() < 1e-9);
/// assert!((egger.p - 0.4020821279730077).abs() < 1e-9);
/// assert!((egger.limit.estimate - -0.5063490387454647).abs() < 1e-9);
/// assert!((egger.slope - -0.7779522274245664).abs() < 1e-9);
/// assert!((egger.tau2 - 0.2860580286357189).abs() < 1e-9);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RegressionTest {
    /// The model fitted.
    pub model: EggerModel,
    /// Number of studies.
    pub k: usize,
    /// Slope on the standard error (the asymmetry coefficient).
    pub slope: f64,
    /// Its standard error.
    pub slope_se: f64,
    /// Test statistic of the slope: z for [`EggerModel::MetaRegression`], t otherwise.
    pub statistic: f64,
    /// Degrees of freedom of the t test (`k - 2`), `None` for the z test.
    pub df: Option<usize>,
    /// Two-sided p-value of the slope.
    pub p: f64,
    /// The limit estimate: the intercept, the expected effect of a study with `se = 0`,
    /// with its confidence interval.
    pub limit: Interval,
    /// tau² of the meta-regression (0 for fixed-effect and classical fits).
    pub tau2: f64,
}

/// Egger's regression test for funnel-plot asymmetry with the standard error as predictor
/// (metafor `regtest(x, predictor = "sei")`; Egger et al. 1997, BMJ 315:629; Sterne & Egger 2005).
///
/// ```text
/// y_i = b0 + b1 sei_i + e_i
/// MetaRegression(pooler):  e_i ~ N(0, v_i + tau^2), tau^2 from the pooler's estimator for the
///                          regression model (0 for fixed effect);
///                          z = b1 / se(b1), p = 2 (1 - Phi(|z|)); CI(b0) = b0 -/+ z_crit se(b0);
///                          under the pooler's t-based tests t on k - 2 df, and for Knapp-Hartung
///                          se scaled by sqrt(s2w), s2w = sum w (y - b0 - b1 sei)^2 / (k - 2)
///                          (ad hoc: max(1, s2w))
/// Classical:               weighted least squares, weights 1/v_i, residual variance
///                          s^2 = sum w_i (y_i - b0 - b1 sei_i)^2 / (k - 2);
///                          se(b) = s sqrt(diag (X'WX)^-1); t = b1 / se(b1) on k - 2 df;
///                          CI(b0) = b0 -/+ t_(k-2, crit) se(b0)
/// ```
/// The DerSimonian-Laird estimator for the regression model is
/// `tau^2 = max(0, (Q_E - (k - 2)) / tr P)`, `P = W - W X (X'WX)^-1 X'W`, as in metafor.
///
/// Errors with [`Error::TooFewStudies`] when `k < 3`, and with [`Error::Undefined`] when every
/// study has the same standard error (the predictor is then collinear with the intercept).
///
/// ```
/// use metapool::{effect::EffectSet, pool::FixedModel, bias::{regression_test, EggerModel}};
/// // small studies with larger effects: positive slope
/// let set = EffectSet::from_estimates(&[0.9, 0.6, 0.4, 0.3, 0.2], &[0.25, 0.12, 0.06, 0.02, 0.01])?;
/// let egger = regression_test(&set, EggerModel::MetaRegression(FixedModel::default().into()))?;
/// // metafor: regtest(rma(yi, vi, method = "FE")) gives z = 1.7930, p = 0.0730, limit 0.0439
/// assert!((egger.statistic - 1.79301825).abs() < 1e-8);
/// assert!((egger.p - 0.07297001).abs() < 1e-8);
/// assert!((egger.limit.estimate - 0.04386115).abs() < 1e-8);
/// # Ok::<(), metapool::Error>(())
/// ```
pub fn regression_test(set: &EffectSet, model: EggerModel) -> Result<RegressionTest> {
    regression_test_on(set, model, Predictor::StandardError)
}

/// The predictor of the regression test (metafor `regtest(predictor = ...)`).
///
/// ```
/// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
/// # use metapool::prelude::*;
/// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
/// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
/// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
/// #     (27, 16886, 29, 17825)]
/// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
/// # let set = EffectSet::from_studies(&bcg)?;
/// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
/// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
/// use metapool::bias::{regression_test_on, EggerModel, Predictor};
/// let peese = regression_test_on(&set, EggerModel::MetaRegression(FixedModel::default().into()), Predictor::Variance)?;
/// // metafor regtest(rma(yi, vi, method = "FE"), predictor = "vi"): z = -3.0861, limit -0.3800
/// assert!((peese.statistic - -3.0861391221518124).abs() < 1e-9);
/// assert!((peese.limit.estimate - -0.3799535064282708).abs() < 1e-9);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Predictor {
    /// The standard error `sqrt(v_i)`: Egger's test (metafor `"sei"`, the default).
    #[default]
    StandardError,
    /// The sampling variance `v_i` (metafor `"vi"`; the limit estimate is then the PEESE
    /// estimate of Stanley & Doucouliagos 2014).
    Variance,
}

/// The regression test with a chosen predictor: as [`regression_test`] with `sei_i` replaced by
/// the predictor `x_i` (`sqrt(v_i)` or `v_i`):
/// ```text
/// y_i = b0 + b1 x_i + e_i;  test of b1;  limit estimate b0 (the effect where x = 0)
/// ```
///
/// ```
/// use metapool::{effect::EffectSet, pool::FixedModel, bias::{regression_test_on, EggerModel, Predictor}};
/// let set = EffectSet::from_estimates(&[0.9, 0.6, 0.4, 0.3, 0.2], &[0.25, 0.12, 0.06, 0.02, 0.01])?;
/// let peese = regression_test_on(&set, EggerModel::MetaRegression(FixedModel::default().into()),
///                                Predictor::Variance)?;
/// assert!(peese.slope > 0.0);
/// # Ok::<(), metapool::Error>(())
/// ```
pub fn regression_test_on(
    set: &EffectSet,
    model: EggerModel,
    predictor: Predictor,
) -> Result<RegressionTest> {
    set.at_least("regression test", 3)?;
    let y: Vec<f64> = set.effects().iter().map(|e| e.estimate()).collect();
    let v: Vec<f64> = set.effects().iter().map(|e| e.variance()).collect();
    let sei = match predictor {
        Predictor::StandardError => standard_errors(set),
        Predictor::Variance => v.clone(),
    };
    let k = set.len();
    let out = match model {
        EggerModel::MetaRegression(pooler) => {
            let fit = pooler.regress(&y, &v, &sei)?;
            let test = pooler.test();
            let df = k - 2;
            // metafor rma.uni with moderators: s2w = RSS / (k - p) for Knapp-Hartung
            // (0 when RSS <= eps), at least 1 for the ad hoc variant; t on k - p df
            let s2w = test.scale(fit.rss, df);
            let se = [fit.se[0] * s2w.sqrt(), fit.se[1] * s2w.sqrt()];
            let statistic = fit.beta[1] / se[1];
            let (p, crit, df) = if test.is_t() {
                (
                    t_two_sided_p(statistic, df as f64),
                    t_upper_quantile((1.0 - pooler.level().level()) / 2.0, df as f64),
                    Some(df),
                )
            } else {
                (normal_two_sided_p(statistic), pooler.level().z(), None)
            };
            RegressionTest {
                model,
                k,
                slope: fit.beta[1],
                slope_se: se[1],
                statistic,
                df,
                p,
                limit: Interval {
                    estimate: fit.beta[0],
                    lower: fit.beta[0] - crit * se[0],
                    upper: fit.beta[0] + crit * se[0],
                },
                tau2: fit.tau2,
            }
        }
        EggerModel::Classical(level) => {
            let fit = weighted_least_squares(&y, &v, &sei, 0.0)?;
            let df = k - 2;
            let s = (fit.rss / df as f64).sqrt();
            let se = [fit.se[0] * s, fit.se[1] * s];
            let statistic = fit.beta[1] / se[1];
            let t_crit = t_upper_quantile((1.0 - level.level()) / 2.0, df as f64);
            RegressionTest {
                model,
                k,
                slope: fit.beta[1],
                slope_se: se[1],
                statistic,
                df: Some(df),
                p: t_two_sided_p(statistic, df as f64),
                limit: Interval {
                    estimate: fit.beta[0],
                    lower: fit.beta[0] - t_crit * se[0],
                    upper: fit.beta[0] + t_crit * se[0],
                },
                tau2: 0.0,
            }
        }
    };
    for x in [
        out.slope,
        out.slope_se,
        out.statistic,
        out.p,
        out.limit.lower,
        out.limit.upper,
    ] {
        if !x.is_finite() {
            return Err(Error::NonFinite {
                what: "regression test",
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::inference::{t_two_sided_p, t_upper_quantile};

    #[test]
    fn student_t_matches_r() {
        // R: 2 * pt(-2.5, 7) = 0.040992218585752874, qt(0.975, 7) = 2.3646242515927844
        assert!((t_two_sided_p(2.5, 7.0) / 0.040992218585752874 - 1.0).abs() < 1e-14);
        assert!((t_upper_quantile(0.025, 7.0) / 2.3646242515927844 - 1.0).abs() < 1e-15);
        assert!((t_upper_quantile(0.025, 1.0) / 12.706204736174694 - 1.0).abs() < 1e-14);
    }
}
