//! A fitted meta-regression and the statistics computed from it: the omnibus Wald test of
//! moderators (QM), the fit statistics (metafor `fitstats`), and the result types.

use super::fit::{MetaRegression, RegressionModel};
use super::linalg::{spd_inverse, ThinQr};
use super::matrix::ModelMatrix;
use super::projection::quadratic_form;
use crate::effect::Scale;
use crate::error::{Error, Result};
use crate::inference::{
    chi_square_upper_tail, f_upper_tail, normal_two_sided_p, t_two_sided_p, ConfidenceLevel,
};
use crate::pool::tau2::Tau2Fit;
use crate::pool::Test;

/// The Wald-type test of the coefficients `btt` being 0: `QM = b_B' (Var b)_BB^-1 b_B`,
/// chi-square on `m` df, or `QM / m` on F(m, k - p) under the t-based tests.
pub(crate) fn wald_test(
    beta: &[f64],
    vcov: &[f64],
    p: usize,
    btt: &[usize],
    test: Test,
    df: usize,
) -> Result<ModeratorTest> {
    let m = btt.len();
    let sub: Vec<f64> = (0..m * m)
        .map(|e| vcov[btt[e % m] + btt[e / m] * p])
        .collect();
    let inv = spd_inverse(m, &sub).ok_or(Error::NonFinite {
        what: "the omnibus test of moderators (its covariance is singular)",
    })?;
    let b: Vec<f64> = btt.iter().map(|&j| beta[j]).collect();
    let qm = quadratic_form(&inv, &b);
    Ok(if test.is_t() {
        let f = qm / m as f64;
        ModeratorTest {
            statistic: f,
            df1: m,
            df2: Some(df),
            p: f_upper_tail(f, m as f64, df as f64),
            btt: btt.to_vec(),
        }
    } else {
        ModeratorTest {
            statistic: qm,
            df1: m,
            df2: None,
            p: chi_square_upper_tail(qm, m as f64),
            btt: btt.to_vec(),
        }
    })
}

/// metafor's fit statistics (`fitstats`), for ML and for REML, with `parms = p` (+1 when tau²
/// is estimated):
/// ```text
/// ll_ML   = -k/2 ln 2pi - 1/2 sum ln(v + tau2) - 1/2 RSS
/// ll_REML = -(k-p)/2 ln 2pi + 1/2 ln det X'X - 1/2 sum ln(v + tau2) - 1/2 ln det X'WX - 1/2 RSS
/// dev_ML  = -2 (ll_ML - sum ln dnorm(y_i; y_i, v_i)),   dev_REML = -2 ll_REML
/// AIC = -2 ll + 2 parms;  BIC = -2 ll + parms ln n;  AICc = -2 ll + 2 parms n' / (n' - parms - 1)
/// n = k (ML), k - p (REML);  n' = max(n, parms + 2)
/// ```
pub(super) fn fit_statistics(
    y: &[f64],
    v: &[f64],
    x: &ModelMatrix,
    tau2: f64,
    rss: f64,
    weighted: &ThinQr,
    model: RegressionModel,
) -> (FitStatistics, FitStatistics) {
    let (k, p) = (y.len() as f64, x.p() as f64);
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    let logs: f64 = v.iter().map(|v| (v + tau2).ln()).sum();
    let log_det_xx = ThinQr::new(x.k(), x.p(), x.entries()).map_or(f64::NAN, |q| q.log_det_gram());
    let ll_ml = -0.5 * k * ln2pi - 0.5 * logs - 0.5 * rss;
    let ll_reml = -0.5 * (k - p) * ln2pi + 0.5 * log_det_xx
        - 0.5 * logs
        - 0.5 * weighted.log_det_gram()
        - 0.5 * rss;
    let saturated: f64 = v.iter().map(|v| -0.5 * ln2pi - 0.5 * v.ln()).sum();
    let parms = p + if matches!(model, RegressionModel::Random(_)) {
        1.0
    } else {
        0.0
    };
    let stats = |ll: f64, dev: f64, n: f64| FitStatistics::from_loglik(ll, dev, parms, n);
    (
        stats(ll_ml, -2.0 * (ll_ml - saturated), k),
        stats(ll_reml, -2.0 * ll_reml, k - p),
    )
}

/// One coefficient of a meta-regression.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Coefficient {
    /// Its name (the model matrix's column name).
    pub name: String,
    /// The estimate `b_j`.
    pub estimate: f64,
    /// Its standard error.
    pub se: f64,
    /// `b_j / se`, z or t.
    pub statistic: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// Lower confidence limit.
    pub ci_lower: f64,
    /// Upper confidence limit.
    pub ci_upper: f64,
}

/// The omnibus (Wald-type) test of moderators, metafor's `QM`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ModeratorTest {
    /// `QM` (chi-square), or `QM / m` (F) under the t-based tests.
    pub statistic: f64,
    /// Numerator df: the number of coefficients tested.
    pub df1: usize,
    /// Denominator df `k - p` for the F test; `None` for chi-square.
    pub df2: Option<usize>,
    /// p-value.
    pub p: f64,
    /// The coefficients tested (0-based).
    pub btt: Vec<usize>,
}

/// The residual heterogeneity of a meta-regression.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ResidualHeterogeneity {
    /// `QE = y'Py` at the fixed-effect weights.
    pub qe: f64,
    /// `k - p`.
    pub df: usize,
    /// `P(chi2(k - p) >= QE)`.
    pub p: f64,
    /// Residual tau² used in the weights (0 for fixed effects).
    pub tau2: f64,
    /// How tau² was estimated (`None` for fixed effects and a known tau²).
    pub tau2_fit: Option<Tau2Fit>,
    /// Residual I² (percent).
    pub i2: f64,
    /// Residual H².
    pub h2: f64,
}

/// Log-likelihood, deviance and information criteria (metafor `fitstats`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FitStatistics {
    /// Log-likelihood.
    pub loglik: f64,
    /// Deviance.
    pub deviance: f64,
    /// Akaike's information criterion.
    pub aic: f64,
    /// Bayesian information criterion.
    pub bic: f64,
    /// AIC with the small-sample correction.
    pub aicc: f64,
}

impl FitStatistics {
    /// The information criteria from a log-likelihood with `parms` parameters and `n`
    /// observations (`k` for ML, `k - p` for REML), as metafor's `fitstats`:
    /// `AIC = -2 ll + 2 parms`, `BIC = -2 ll + parms ln n`,
    /// `AICc = -2 ll + 2 parms n' / (n' - parms - 1)`, `n' = max(n, parms + 2)`.
    pub(crate) fn from_loglik(ll: f64, deviance: f64, parms: f64, n: f64) -> FitStatistics {
        let np = n.max(parms + 2.0);
        FitStatistics {
            loglik: ll,
            deviance,
            aic: -2.0 * ll + 2.0 * parms,
            bic: -2.0 * ll + parms * n.ln(),
            aicc: -2.0 * ll + 2.0 * parms * np / (np - parms - 1.0),
        }
    }
}

impl Coefficient {
    /// A coefficient's Wald test and interval: `b / se`, its two-sided p-value (normal, or t
    /// on `df` under the t-based tests) and `b -/+ crit se`.
    pub(crate) fn wald(
        name: &str,
        b: f64,
        se: f64,
        test: Test,
        df: usize,
        crit: f64,
    ) -> Coefficient {
        let stat = b / se;
        Coefficient {
            name: name.to_string(),
            estimate: b,
            se,
            statistic: stat,
            p: if test.is_t() {
                t_two_sided_p(stat, df as f64)
            } else {
                normal_two_sided_p(stat)
            },
            ci_lower: b - crit * se,
            ci_upper: b + crit * se,
        }
    }
}

/// A fitted meta-regression.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RegressionFit {
    /// The model as specified (for refits: `rstudent`, permutation tests).
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(crate) spec: MetaRegression,
    pub(crate) model: RegressionModel,
    pub(crate) test: Test,
    pub(crate) level: ConfidenceLevel,
    pub(crate) scale: Scale,
    pub(crate) k: usize,
    pub(crate) coefficients: Vec<Coefficient>,
    /// `Var b`, `p x p` column-major (scaled by `s2w`).
    pub(crate) vcov: Vec<f64>,
    /// `(X'WX)^-1`, unscaled.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(crate) xwx_inverse: Vec<f64>,
    pub(crate) s2w: f64,
    pub(crate) moderators: ModeratorTest,
    pub(crate) residual: ResidualHeterogeneity,
    pub(crate) r2: Option<f64>,
    pub(crate) ml: FitStatistics,
    pub(crate) reml: FitStatistics,
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(crate) y: Vec<f64>,
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(crate) v: Vec<f64>,
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(crate) x: ModelMatrix,
}

impl RegressionFit {
    /// The model.
    pub fn model(&self) -> RegressionModel {
        self.model
    }
    /// The test of the coefficients.
    pub fn test(&self) -> Test {
        self.test
    }
    /// The confidence level.
    pub fn level(&self) -> ConfidenceLevel {
        self.level
    }
    /// The scale of the effects (ratio measures are on the log scale).
    pub fn scale(&self) -> Scale {
        self.scale
    }
    /// Number of studies.
    pub fn k(&self) -> usize {
        self.k
    }
    /// Number of coefficients.
    pub fn p(&self) -> usize {
        self.coefficients.len()
    }
    /// The coefficients, in the model matrix's column order.
    ///
    /// ```
    /// # use metapool::prelude::*;
    /// # use metapool::regression::{Factor, MetaRegression, Moderators};
    /// # use metapool::pool::Tau2Control;
    /// # // metafor's dat.bcg (13 BCG trials) as log risk ratios, and the absolute latitude of each trial
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let ablat = [44.0, 55.0, 42.0, 52.0, 13.0, 44.0, 19.0, 13.0, 27.0, 42.0, 18.0, 33.0, 33.0];
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// let x = Moderators::new(13).continuous("ablat", &ablat)?.matrix()?;
    /// let fe = MetaRegression::fixed().fit(&set, &x)?;
    /// let names: Vec<&str> = fe.coefficients().iter().map(|c| c.name.as_str()).collect();
    /// assert_eq!(names, ["intrcpt", "ablat"]);
    /// // metafor: ablat zval -11.0227
    /// assert!((fe.coefficients()[1].statistic - -11.02270012617708).abs() < 1e-9);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn coefficients(&self) -> &[Coefficient] {
        &self.coefficients
    }
    /// `Var b`, `p x p` column-major (metafor `vcov`; scaled by the Knapp-Hartung factor).
    pub fn vcov(&self) -> &[f64] {
        &self.vcov
    }
    /// The Knapp-Hartung scale factor (1 for the z and t tests).
    pub fn s2w(&self) -> f64 {
        self.s2w
    }
    /// The omnibus test of moderators (`QM`).
    ///
    /// ```
    /// # use metapool::prelude::*;
    /// # use metapool::regression::{Factor, MetaRegression, Moderators};
    /// # use metapool::pool::Tau2Control;
    /// # // metafor's dat.bcg (13 BCG trials) as log risk ratios, and the absolute latitude of each trial
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let ablat = [44.0, 55.0, 42.0, 52.0, 13.0, 44.0, 19.0, 13.0, 27.0, 42.0, 18.0, 33.0, 33.0];
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// let x = Moderators::new(13).continuous("ablat", &ablat)?.matrix()?;
    /// let fe = MetaRegression::fixed().fit(&set, &x)?;
    /// // metafor: QM(df = 1) = 121.4999, p < .0001
    /// let qm = fe.moderator_test();
    /// assert!((qm.statistic - 121.49991807162424).abs() < 1e-8);
    /// assert_eq!(qm.df1, 1);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn moderator_test(&self) -> &ModeratorTest {
        &self.moderators
    }
    /// Residual heterogeneity: QE, residual tau², I², H².
    ///
    /// ```
    /// # use metapool::prelude::*;
    /// # use metapool::regression::{Factor, MetaRegression, Moderators};
    /// # use metapool::pool::Tau2Control;
    /// # // metafor's dat.bcg (13 BCG trials) as log risk ratios, and the absolute latitude of each trial
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let ablat = [44.0, 55.0, 42.0, 52.0, 13.0, 44.0, 19.0, 13.0, 27.0, 42.0, 18.0, 33.0, 33.0];
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// let x = Moderators::new(13).continuous("ablat", &ablat)?.matrix()?;
    /// let fe = MetaRegression::fixed().fit(&set, &x)?;
    /// // metafor: QE(df = 11) = 30.7331, I^2 64.21%
    /// assert!((fe.residual().qe - 30.733090010749258).abs() < 1e-9);
    /// assert_eq!(fe.residual().df, 11);
    /// assert!((fe.residual().i2 - 64.2079595766237).abs() < 1e-9);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn residual(&self) -> &ResidualHeterogeneity {
        &self.residual
    }
    /// Pseudo-R² in percent (`None` without an intercept, with the intercept only, a known
    /// tau², or when the intercept-only model cannot be fitted).
    ///
    /// ```
    /// # use metapool::prelude::*;
    /// # use metapool::regression::{Factor, MetaRegression, Moderators};
    /// # use metapool::pool::Tau2Control;
    /// # // metafor's dat.bcg (13 BCG trials) as log risk ratios, and the absolute latitude of each trial
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let ablat = [44.0, 55.0, 42.0, 52.0, 13.0, 44.0, 19.0, 13.0, 27.0, 42.0, 18.0, 33.0, 33.0];
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// let x = Moderators::new(13).continuous("ablat", &ablat)?.matrix()?;
    /// let fe = MetaRegression::fixed().fit(&set, &x)?;
    /// // metafor: R^2 77.98%
    /// assert!((fe.r2().unwrap() - 77.97651921434007).abs() < 1e-8);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn r2(&self) -> Option<f64> {
        self.r2
    }
    /// Fit statistics as metafor computes them under ML.
    ///
    /// ```
    /// # use metapool::prelude::*;
    /// # use metapool::regression::{Factor, MetaRegression, Moderators};
    /// # use metapool::pool::Tau2Control;
    /// # // metafor's dat.bcg (13 BCG trials) as log risk ratios, and the absolute latitude of each trial
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let ablat = [44.0, 55.0, 42.0, 52.0, 13.0, 44.0, 19.0, 13.0, 27.0, 42.0, 18.0, 33.0, 33.0];
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// let x = Moderators::new(13).continuous("ablat", &ablat)?.matrix()?;
    /// let fe = MetaRegression::fixed().fit(&set, &x)?;
    /// // metafor fitstats(res): logLik -9.4736 (ML)
    /// assert!((fe.fit_statistics_ml().loglik - -9.473610868618874).abs() < 1e-9);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn fit_statistics_ml(&self) -> FitStatistics {
        self.ml
    }
    /// Fit statistics as metafor computes them under REML.
    ///
    /// ```
    /// # use metapool::prelude::*;
    /// # use metapool::regression::{Factor, MetaRegression, Moderators};
    /// # use metapool::pool::Tau2Control;
    /// # // metafor's dat.bcg (13 BCG trials) as log risk ratios, and the absolute latitude of each trial
    /// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    /// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    /// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    /// #     (27, 16886, 29, 17825)]
    /// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// # let set = EffectSet::from_studies(&bcg)?;
    /// # let ablat = [44.0, 55.0, 42.0, 52.0, 13.0, 44.0, 19.0, 13.0, 27.0, 42.0, 18.0, 33.0, 33.0];
    /// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
    /// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
    /// let x = Moderators::new(13).continuous("ablat", &ablat)?.matrix()?;
    /// let fe = MetaRegression::fixed().fit(&set, &x)?;
    /// // metafor fitstats(res, REML = TRUE): logLik -11.5794
    /// assert!((fe.fit_statistics_reml().loglik - -11.579353799977238).abs() < 1e-9);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn fit_statistics_reml(&self) -> FitStatistics {
        self.reml
    }
    /// The model as specified.
    pub fn specification(&self) -> &MetaRegression {
        &self.spec
    }
    /// The model matrix.
    pub fn model_matrix(&self) -> &ModelMatrix {
        &self.x
    }

    pub(super) fn check_finite(&self) -> Result<()> {
        let c = self
            .coefficients
            .iter()
            .flat_map(|c| [c.estimate, c.se, c.statistic, c.ci_lower, c.ci_upper]);
        let r = &self.residual;
        if c.chain([r.qe, r.i2, r.h2, self.moderators.statistic])
            .all(f64::is_finite)
        {
            Ok(())
        } else {
            Err(Error::NonFinite {
                what: "meta-regression results",
            })
        }
    }
}
