//! Predictions from a fitted meta-regression (metafor `predict.rma`, `fitted`, `blup`,
//! `rstandard`, `rstudent`).

use super::design::ModeratorProblem;
use super::r2::PseudoR2;

use super::matrix::ModelMatrix;
use super::projection::{fitted_value, quadratic_form};
use super::result::RegressionFit;
use crate::error::{Error, Problem, Result};
use crate::inference::t_upper_quantile;

/// A predicted value with its confidence and prediction intervals (metafor `predict`), on the
/// analysis scale; [`Prediction::to_display`] back-transforms (ratio measures: `exp`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Prediction {
    /// `x' b`.
    pub estimate: f64,
    /// `sqrt(x' Var(b) x)` (`None` once back-transformed).
    pub se: Option<f64>,
    /// Confidence interval.
    pub ci_lower: f64,
    /// Confidence interval.
    pub ci_upper: f64,
    /// Prediction interval `x'b -/+ crit sqrt(x' Var(b) x + tau2)`.
    pub pi_lower: f64,
    /// Prediction interval.
    pub pi_upper: f64,
}

/// A best linear unbiased prediction of a study's true effect (metafor `blup`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Blup {
    /// `l y_i + (1 - l) x_i'b`, `l = tau2 / (tau2 + v_i)`.
    pub estimate: f64,
    /// `sqrt(l v_i + (1 - l)^2 x_i' Var(b) x_i)`.
    pub se: f64,
    /// Lower prediction limit.
    pub pi_lower: f64,
    /// Upper prediction limit.
    pub pi_upper: f64,
}

/// A residual with its standard error and the standardized residual (metafor `rstandard`,
/// `rstudent`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Residual {
    /// The residual.
    pub resid: f64,
    /// Its standard error.
    pub se: f64,
    /// `resid / se`.
    pub z: f64,
}

impl RegressionFit {
    /// The critical value of the test: `z_(1-alpha/2)`, or `t_(k-p, 1-alpha/2)` under the
    /// t-based tests.
    fn critical(&self) -> f64 {
        if self.test.is_t() {
            t_upper_quantile((1.0 - self.level.level()) / 2.0, (self.k - self.p()) as f64)
        } else {
            self.level.z()
        }
    }

    /// The prediction at a row of moderator values `x` (one value per coefficient, the
    /// intercept's 1 included), metafor `predict(res, newmods = ...)`:
    /// ```text
    /// pred = x'b,  se = sqrt(x' Var(b) x),  CI = pred -/+ crit se
    /// PI   = pred -/+ crit sqrt(se^2 + tau2)
    /// ```
    /// (`crit` of the test; `Var(b)` scaled under Knapp-Hartung). Errors when `x` does not
    /// have `p` finite values.
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
    /// // metafor predict(res, newmods = 44): -0.9429, CI [-1.0637, -0.8220]
    /// let p = fe.predict(&[1.0, 44.0])?;
    /// assert!((p.estimate - -0.9428605299732471).abs() < 1e-12);
    /// assert!((p.ci_lower - -1.0637216107369614).abs() < 1e-12);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn predict(&self, x: &[f64]) -> Result<Prediction> {
        if x.len() != self.p() {
            return Err(Error::InvalidParameter {
                name: "newmods",
                problem: Problem::LengthMismatch {
                    expected: self.p(),
                    got: x.len(),
                },
            });
        }
        if let Some(bad) = x.iter().find(|t| !t.is_finite()) {
            return Err(Error::InvalidParameter {
                name: "newmods",
                problem: Problem::NotFinite(*bad),
            });
        }
        let estimate: f64 = x
            .iter()
            .zip(&self.coefficients)
            .map(|(x, c)| x * c.estimate)
            .sum();
        let var = quadratic_form(&self.vcov, x).max(0.0);
        let se = var.sqrt();
        let crit = self.critical();
        let pi_half = crit * (var + self.residual.tau2).sqrt();
        Ok(Prediction {
            estimate,
            se: Some(se),
            ci_lower: estimate - crit * se,
            ci_upper: estimate + crit * se,
            pi_lower: estimate - pi_half,
            pi_upper: estimate + pi_half,
        })
    }

    /// The fitted values `X b`, one per study.
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
    /// let fitted = fe.fitted();
    /// // metafor fitted(res)[1]: -0.9429 (the first trial's latitude is 44)
    /// assert!((fitted[0] - -0.9428605299732471).abs() < 1e-12);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn fitted(&self) -> Vec<f64> {
        let beta = self.beta();
        (0..self.k)
            .map(|i| fitted_value(&self.x, i, &beta))
            .collect()
    }

    fn beta(&self) -> Vec<f64> {
        self.coefficients.iter().map(|c| c.estimate).collect()
    }

    fn row(&self, i: usize) -> Vec<f64> {
        (0..self.p()).map(|j| self.x.get(i, j)).collect()
    }

    /// The BLUPs of the studies' true effects, metafor `blup`:
    /// ```text
    /// l_i = tau2 / (tau2 + v_i),  pred = l_i y_i + (1 - l_i) x_i'b
    /// se  = sqrt(l_i v_i + (1 - l_i)^2 x_i' Var(b) x_i),  PI = pred -/+ crit se
    /// ```
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
    /// let reml = MetaRegression::random(Tau2Estimator::RestrictedMaximumLikelihood)
    ///     .with_control(Tau2Control::metafor()) // metafor's default path, as in its printed fit
    ///     .fit(&set, &x)?;
    /// let b = reml.blups();
    /// assert_eq!(b.len(), 13);
    /// assert!(b.iter().all(|b| b.pi_lower < b.estimate && b.estimate < b.pi_upper));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn blups(&self) -> Vec<Blup> {
        let tau2 = self.residual.tau2;
        let crit = self.critical();
        let fitted = self.fitted();
        (0..self.k)
            .map(|i| {
                let l = tau2 / (tau2 + self.v[i]);
                let est = l * self.y[i] + (1.0 - l) * fitted[i];
                let se = (l * self.v[i]
                    + (1.0 - l) * (1.0 - l) * quadratic_form(&self.vcov, &self.row(i)))
                .sqrt();
                Blup {
                    estimate: est,
                    se,
                    pi_lower: est - crit * se,
                    pi_upper: est + crit * se,
                }
            })
            .collect()
    }

    /// The standardized (marginal) residuals, metafor `rstandard`:
    /// ```text
    /// e_i = y_i - x_i'b   (0 when |e_i| < 100 eps)
    /// se_i^2 = [(I - H) M (I - H)']_ii = v_i + tau2 - x_i' (X'WX)^-1 x_i,
    ///          H = X (X'WX)^-1 X'W,  M = diag(v + tau2)
    /// ```
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
    /// // metafor rstandard(res)$z[1]: 0.0944
    /// assert!((fe.rstandard()[0].z - 0.0943999898166977).abs() < 1e-10);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn rstandard(&self) -> Vec<Residual> {
        let fitted = self.fitted();
        (0..self.k)
            .map(|i| {
                let mut e = self.y[i] - fitted[i];
                if e.abs() < 100.0 * f64::EPSILON {
                    e = 0.0;
                }
                let h = quadratic_form(&self.xwx_inverse, &self.row(i));
                let se = (self.v[i] + self.residual.tau2 - h).max(0.0).sqrt();
                Residual::new(e, se)
            })
            .collect()
    }

    /// The studentized deleted residuals, metafor `rstudent`: the model refitted without study
    /// `i` (same model, test and settings) predicts it:
    /// ```text
    /// e_i = y_i - x_i'b_(-i)   (0 when |e_i| < 100 eps)
    /// se_i = sqrt(s2w_(-i) (v_i + tau2_(-i)) + x_i' Var(b_(-i)) x_i)
    /// ```
    /// A study without which the design is rank deficient (it alone identifies a coefficient)
    /// has no deleted residual: `None`, as metafor's `NA`. Errors when another refit fails,
    /// naming the study ([`Error::InAnalysis`]).
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
    /// // metafor rstudent(res)$z[1]: 0.0944 (a fixed-effects fit: equal to rstandard)
    /// let r = fe.rstudent()?;
    /// assert!((r[0].unwrap().z - 0.09439998981669723).abs() < 1e-10);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn rstudent(&self) -> Result<Vec<Option<Residual>>> {
        let model = &self.spec;
        let (k, p) = (self.k, self.p());
        let mut out = Vec::with_capacity(k);
        for i in 0..k {
            let keep = |t: &[f64]| -> Vec<f64> {
                t.iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, v)| *v)
                    .collect()
            };
            let columns: Vec<Vec<f64>> = (0..p).map(|j| keep(self.x.column(j))).collect();
            let xm = match ModelMatrix::new(self.x.names().to_vec(), columns) {
                Ok(m) => m,
                Err(Error::InvalidModerator {
                    problem: ModeratorProblem::Redundant,
                    ..
                }) => {
                    out.push(None);
                    continue;
                }
                Err(e) => return Err(in_deleted(e, i)),
            };
            let del = model
                .fit_with(
                    &keep(&self.y),
                    &keep(&self.v),
                    &xm,
                    self.scale,
                    PseudoR2::Skip,
                )
                .map_err(|e| in_deleted(e, i))?;
            let row = self.row(i);
            let pred: f64 = row
                .iter()
                .zip(&del.coefficients)
                .map(|(x, c)| x * c.estimate)
                .sum();
            let mut e = self.y[i] - pred;
            if e.abs() < 100.0 * f64::EPSILON {
                e = 0.0;
            }
            let se = (del.s2w * (self.v[i] + del.residual.tau2) + quadratic_form(&del.vcov, &row))
                .sqrt();
            out.push(Some(Residual::new(e, se)));
        }
        Ok(out)
    }
}

impl Residual {
    /// `z = e / se`, and 0 for a residual of 0 (a study with leverage 1, whose residual and
    /// its standard error both vanish).
    fn new(resid: f64, se: f64) -> Residual {
        let z = if resid == 0.0 { 0.0 } else { resid / se };
        Residual { resid, se, z }
    }
}

fn in_deleted(e: Error, study: usize) -> Error {
    Error::InAnalysis {
        analysis: study,
        source: Box::new(e),
    }
}

impl Prediction {
    /// The prediction on the display scale of `fit` (ratio measures: `exp`; the standard error
    /// is then dropped, as metafor's `transf` does).
    pub fn to_display(&self, fit: &RegressionFit) -> Prediction {
        let s = fit.scale();
        Prediction {
            estimate: s.to_display(self.estimate),
            se: None,
            ci_lower: s.to_display(self.ci_lower),
            ci_upper: s.to_display(self.ci_upper),
            pi_lower: s.to_display(self.pi_lower),
            pi_upper: s.to_display(self.pi_upper),
        }
    }
}
