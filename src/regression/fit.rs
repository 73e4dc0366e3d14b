//! Fitting the meta-regression `y = X b + u + e`, `u ~ N(0, tau2 I)`, `e ~ N(0, V)`, as
//! metafor 3.8 `rma.uni(yi, vi, mods = X, method, test, btt)` fits it.

use super::matrix::ModelMatrix;
use super::projection::{weighted_fit, Regression};
use super::r2::PseudoR2;
use super::result::{fit_statistics, wald_test, Coefficient, RegressionFit, ResidualHeterogeneity};
use crate::effect::{EffectSet, Scale};
use crate::error::{Error, Problem, Result};
use crate::inference::{chi_square_upper_tail, t_upper_quantile, ConfidenceLevel};
use crate::pool::tau2::{fit_design, Tau2Control, Tau2Estimator};
use crate::pool::Test;

/// The model for the residual heterogeneity.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum RegressionModel {
    /// Fixed-effects meta-regression (metafor `method = "FE"`): `tau2 = 0`.
    Fixed,
    /// Mixed-effects meta-regression with tau² from an estimator (metafor `method = ...`).
    Random(Tau2Estimator),
    /// Mixed-effects meta-regression with tau² fixed at a known value (metafor `tau2 = ...`).
    KnownTau2(f64),
}

impl Default for RegressionModel {
    /// REML, metafor's default.
    fn default() -> Self {
        RegressionModel::Random(Tau2Estimator::RestrictedMaximumLikelihood)
    }
}

/// A meta-regression: the model for tau², the test of the coefficients, the confidence level,
/// the iteration settings of tau², and which coefficients the omnibus test covers (`btt`,
/// 0-based; by default every coefficient but the intercept).
///
/// ```text
/// w = 1 / (v + tau2)        b = (X'WX)^-1 X'W y,   Var b = s2w (X'WX)^-1
/// s2w = 1 (z, t); y'Py / (k - p) (knha); max(1, y'Py / (k - p)) (adhoc)
/// z, t:   b_j / se_j ~ N(0, 1)  or  t(k - p) (t, knha, adhoc)
/// QM   = b_B' (Var b)_BB^-1 b_B ~ chi2(m);   t-based tests: QM / m ~ F(m, k - p)
/// QE   = yc'P yc at w = 1/v ~ chi2(k - p),  yc = y - mean(y)
///        (metafor centres y in QE and the tau² estimators: the same as y'Py when the columns
///        of X span the intercept, different for designs such as ~ x - 1)
/// I2   = 100 tau2 / (vt + tau2), H2 = tau2 / vt + 1, vt = (k - p) / tr P at w = 1/v
///        (fixed effects: I2 = max(0, 100 (QE - (k-p)) / QE), H2 = QE / (k - p))
/// R2   = max(0, 100 (tau2_0 - tau2) / tau2_0), tau2_0 of the intercept-only model by the same
///        estimator (0 when tau2_0 = 0); fixed effects: max(0, 100 adjusted R^2 of the
///        weighted least-squares fit); only for models with an intercept and a moderator
/// ```
/// Source: metafor 3.8 `rma.uni` and its documentation (Viechtbauer 2010; Raudenbush 2009;
/// Knapp & Hartung 2003; Lopez-Lopez et al. 2014 for R2).
///
/// ```
/// use metapool::effect::EffectSet;
/// use metapool::regression::{MetaRegression, Moderators};
/// let set = EffectSet::from_estimates(&[0.1, 0.5, 0.3, 0.9, 0.7], &[0.02, 0.03, 0.01, 0.05, 0.02])?;
/// let x = Moderators::new(5).continuous("dose", &[1.0, 2.0, 1.5, 3.0, 2.5])?.matrix()?;
/// let fit = MetaRegression::default().fit(&set, &x)?;
/// assert_eq!(fit.coefficients()[1].name, "dose");
/// assert!(fit.coefficients()[1].estimate > 0.0);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct MetaRegression {
    /// Fixed or mixed effects, and how tau² is had.
    pub model: RegressionModel,
    /// The test of the coefficients (z by default).
    #[cfg_attr(feature = "serde", serde(default))]
    pub test: Test,
    /// Confidence level of the intervals.
    #[cfg_attr(feature = "serde", serde(default))]
    pub level: ConfidenceLevel,
    /// Iteration settings of the tau² estimators.
    #[cfg_attr(feature = "serde", serde(default))]
    pub control: Tau2Control,
    /// The coefficients (0-based) the omnibus test covers; `None`: all but the intercept.
    #[cfg_attr(feature = "serde", serde(default))]
    pub btt: Option<Vec<usize>>,
}

impl MetaRegression {
    /// Fixed-effects meta-regression.
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
    /// // metafor rma(yi, vi, mods = ~ ablat, data = dat.bcg, method = "FE"): slope -0.0292 (SE 0.0027)
    /// assert!((fe.coefficients()[1].estimate - -0.029236934259541755).abs() < 1e-12);
    /// assert!((fe.coefficients()[1].se - 0.002652429434246233).abs() < 1e-13);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn fixed() -> MetaRegression {
        MetaRegression {
            model: RegressionModel::Fixed,
            ..MetaRegression::default()
        }
    }
    /// Mixed-effects meta-regression with tau² from `estimator`.
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
    /// // metafor rma(yi, vi, mods = ~ ablat, data = dat.bcg): tau^2 0.0764, slope -0.0291
    /// assert!((reml.residual().tau2 - 0.07635469470565982).abs() < 1e-9);
    /// assert!((reml.coefficients()[1].estimate - -0.02910166092801484).abs() < 1e-10);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn random(estimator: Tau2Estimator) -> MetaRegression {
        MetaRegression {
            model: RegressionModel::Random(estimator),
            ..MetaRegression::default()
        }
    }
    /// Mixed-effects meta-regression with tau² fixed at `tau2` (finite, >= 0).
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
    /// let fit = MetaRegression::known_tau2(0.0)?.fit(&set, &x)?;
    /// // tau^2 fixed at 0: the fixed-effects fit's coefficients
    /// let fe = MetaRegression::fixed().fit(&set, &x)?;
    /// assert!((fit.coefficients()[1].estimate - fe.coefficients()[1].estimate).abs() < 1e-14);
    /// assert!(MetaRegression::known_tau2(-1.0).is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn known_tau2(tau2: f64) -> Result<MetaRegression> {
        check_known_tau2(tau2)?;
        Ok(MetaRegression {
            model: RegressionModel::KnownTau2(tau2),
            ..MetaRegression::default()
        })
    }
    /// With the test of the coefficients.
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
    /// let knha = MetaRegression::random(Tau2Estimator::DerSimonianLaird).with_test(Test::KnappHartung);
    /// let fit = knha.fit(&set, &x)?;
    /// // the omnibus test is an F test on (1, k - 2) df
    /// assert_eq!((fit.moderator_test().df1, fit.moderator_test().df2), (1, Some(11)));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_test(mut self, test: Test) -> Self {
        self.test = test;
        self
    }
    /// With the confidence level.
    pub fn with_level(mut self, level: ConfidenceLevel) -> Self {
        self.level = level;
        self
    }
    /// With the tau² iteration settings.
    pub fn with_control(mut self, control: Tau2Control) -> Self {
        self.control = control;
        self
    }
    /// With the coefficients (0-based) the omnibus test covers (checked against the design
    /// when fitting).
    pub fn with_btt(mut self, btt: &[usize]) -> Self {
        self.btt = Some(btt.to_vec());
        self
    }

    /// Fit the model to the studies of `set` (its included effects, in order) with the model
    /// matrix `x` (one row per included study).
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
    /// assert_eq!(fe.k(), 13);
    /// assert_eq!(fe.coefficients()[0].name, "intrcpt");
    /// // metafor: intrcpt 0.3436
    /// assert!((fe.coefficients()[0].estimate - 0.3435645774465901).abs() < 1e-12);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn fit(&self, set: &EffectSet, x: &ModelMatrix) -> Result<RegressionFit> {
        let y: Vec<f64> = set.effects().iter().map(|e| e.estimate()).collect();
        let v: Vec<f64> = set.effects().iter().map(|e| e.variance()).collect();
        self.fit_values(&y, &v, x, set.scale())
    }

    /// Fit the model to estimates `y` with sampling variances `v` (each finite, `v > 0`).
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
    /// let (y, v): (Vec<f64>, Vec<f64>) = set.effects().iter().map(|e| (e.estimate(), e.variance())).unzip();
    /// let fe = MetaRegression::fixed().fit_values(&y, &v, &x, Scale::Log)?;
    /// // metafor method = "FE": QM = 121.4999
    /// assert!((fe.moderator_test().statistic - 121.49991807162424).abs() < 1e-8);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn fit_values(
        &self,
        y: &[f64],
        v: &[f64],
        x: &ModelMatrix,
        scale: Scale,
    ) -> Result<RegressionFit> {
        self.fit_with(y, v, x, scale, PseudoR2::Compute)
    }

    /// [`MetaRegression::fit_values`], with or without the pseudo-R² (whose intercept-only
    /// fit a permutation test need not repeat).
    pub(crate) fn fit_with(
        &self,
        y: &[f64],
        v: &[f64],
        x: &ModelMatrix,
        scale: Scale,
        r2: PseudoR2,
    ) -> Result<RegressionFit> {
        let k = x.k();
        for (name, len) in [("yi", y.len()), ("vi", v.len())] {
            if len != k {
                return Err(Error::InvalidParameter {
                    name,
                    problem: Problem::LengthMismatch {
                        expected: k,
                        got: len,
                    },
                });
            }
        }
        for i in 0..k {
            crate::error::finite("yi", y[i]).map_err(|e| e.in_study(i))?;
            crate::error::positive("vi", v[i]).map_err(|e| e.in_study(i))?;
        }
        self.validate()?;
        let p = x.p();
        let btt = self.checked_btt(x)?;
        // metafor 3.8 forms every y'Py of the tau² estimators and of QE with y centred at its
        // mean (`Ymc`); the same as y'Py when the columns of X span the intercept
        let mean = y.iter().sum::<f64>() / k as f64;
        let yc: Vec<f64> = y.iter().map(|y| y - mean).collect();
        let design = Regression { y: &yc, v, x };
        let tau2_fit = match self.model {
            RegressionModel::Fixed => None,
            RegressionModel::KnownTau2(_) => None,
            RegressionModel::Random(e) => Some(fit_design(
                e,
                &design,
                &self.control,
                "tau2 of the meta-regression",
            )?),
        };
        let tau2 = match self.model {
            RegressionModel::Fixed => 0.0,
            RegressionModel::KnownTau2(t) => t,
            RegressionModel::Random(_) => tau2_fit.map_or(0.0, |f| f.tau2),
        };
        let w: Vec<f64> = v.iter().map(|v| 1.0 / (v + tau2)).collect();
        let wf = weighted_fit(x, y, &w)?;
        let df = k - p;
        let s2w = self.test.scale(wf.rss, df);
        let vcov: Vec<f64> = wf.xwx_inverse.iter().map(|c| c * s2w).collect();
        let crit = if self.test.is_t() {
            t_upper_quantile((1.0 - self.level.level()) / 2.0, df as f64)
        } else {
            self.level.z()
        };
        let coefficients: Vec<Coefficient> = (0..p)
            .map(|j| {
                let (b, se) = (wf.beta[j], vcov[j + j * p].sqrt());
                Coefficient::wald(&x.names()[j], b, se, self.test, df, crit)
            })
            .collect();
        let moderators = wald_test(&wf.beta, &vcov, p, &btt, self.test, df)?;
        // residual heterogeneity at the fixed-effect weights
        let fe = design.at_fixed();
        let qe = fe.rss.max(0.0);
        let (i2, h2) = match self.model {
            RegressionModel::Fixed => ((100.0 * (qe - df as f64) / qe).max(0.0), qe / df as f64),
            _ => {
                let vt = df as f64 / fe.tr_p;
                (100.0 * tau2 / (vt + tau2), tau2 / vt + 1.0)
            }
        };
        let residual = ResidualHeterogeneity {
            qe,
            df,
            p: chi_square_upper_tail(qe, df as f64),
            tau2,
            tau2_fit,
            i2,
            h2,
        };
        let r2 = match r2 {
            PseudoR2::Compute => self.pseudo_r2(y, v, x, tau2, qe)?,
            PseudoR2::Skip => None,
        };
        let (ml, reml) = fit_statistics(y, v, x, tau2, wf.rss, &wf.qr, self.model);
        let fit = RegressionFit {
            spec: self.clone(),
            model: self.model,
            test: self.test,
            level: self.level,
            scale,
            k,
            coefficients,
            vcov,
            xwx_inverse: wf.xwx_inverse,
            s2w,
            moderators,
            residual,
            r2,
            ml,
            reml,
            y: y.to_vec(),
            v: v.to_vec(),
            x: x.clone(),
        };
        fit.check_finite()?;
        Ok(fit)
    }

    /// Check what can be checked without the design (fitting and deserialization call it):
    /// the tau² settings, a known tau² finite and >= 0, `btt` not empty and without duplicates
    /// (its range is checked against the design when fitting).
    pub(crate) fn validate(&self) -> Result<()> {
        self.control.validate()?;
        if let RegressionModel::KnownTau2(t) = self.model {
            check_known_tau2(t)?;
        }
        if let Some(b) = &self.btt {
            check_btt_list(b)?;
        }
        Ok(())
    }

    fn checked_btt(&self, x: &ModelMatrix) -> Result<Vec<usize>> {
        let p = x.p();
        let btt = match &self.btt {
            Some(b) => b.clone(),
            None if x.has_intercept() && p > 1 => (1..p).collect(),
            None => (0..p).collect(),
        };
        check_btt_list(&btt)?;
        if let Some(&j) = btt.iter().find(|&&j| j >= p) {
            return Err(Error::InvalidParameter {
                name: "btt",
                problem: Problem::OutOfRange {
                    lo: -1.0,
                    hi: p as f64,
                    got: j as f64,
                },
            });
        }
        Ok(btt)
    }
}

fn check_btt_list(btt: &[usize]) -> Result<()> {
    if btt.is_empty() {
        return Err(Error::InvalidParameter {
            name: "btt",
            problem: Problem::LengthMismatch {
                expected: 1,
                got: 0,
            },
        });
    }
    for (n, &j) in btt.iter().enumerate() {
        if btt[..n].contains(&j) {
            return Err(Error::InvalidParameter {
                name: "btt",
                problem: Problem::Duplicate(j),
            });
        }
    }
    Ok(())
}

fn check_known_tau2(t: f64) -> Result<()> {
    if !t.is_finite() {
        return Err(Error::InvalidParameter {
            name: "tau2",
            problem: Problem::NotFinite(t),
        });
    }
    if t < 0.0 {
        return Err(Error::InvalidParameter {
            name: "tau2",
            problem: Problem::Negative(t),
        });
    }
    Ok(())
}

impl Regression<'_> {
    fn at_fixed(&self) -> crate::pool::tau2::design::ProjectionSums {
        use crate::pool::tau2::design::Design;
        self.at(0.0)
    }
}

validated_serde!(MetaRegression, |m| m.validate());
