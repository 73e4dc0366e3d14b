//! Partial and semi-partial correlations from a regression coefficient's t statistic (metafor's
//! PCOR, ZPCOR and SPCOR).

use super::continuous::checked_effect;
use super::{EffectSize, Scale, StudyEffect};
use crate::error::{count, count_at_least, field_err, finite, Problem, Result};

/// The test of one regression coefficient in one study: its t statistic, the sample size and
/// the number of predictors in the model (metafor's `ti, ni, mi`). The residual degrees of
/// freedom `n - m - 1` must be positive.
///
/// ```
/// use metapool::effect::RegressionTest;
/// assert!(RegressionTest::new(2.5, 50.0, 3.0).is_ok());
/// assert!(RegressionTest::new(2.5, 4.0, 3.0).is_err()); // n - m - 1 = 0
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct RegressionTest {
    /// The t statistic of the coefficient (`ti`).
    pub t: f64,
    /// The sample size (`ni`).
    pub n: f64,
    /// The number of predictors in the regression model (`mi`).
    pub predictors: f64,
}

impl RegressionTest {
    /// A validated test.
    pub fn new(t: f64, n: f64, predictors: f64) -> Result<Self> {
        let r = RegressionTest { t, n, predictors };
        r.check()?;
        Ok(r)
    }

    fn check(&self) -> Result<()> {
        finite("t", self.t)?;
        count_at_least("n", self.n, 1.0)?;
        count("predictors", self.predictors)?;
        let df = self.df();
        if df <= 0.0 {
            return Err(field_err(
                "n",
                Problem::TooSmall {
                    min: self.predictors + 2.0,
                    got: self.n,
                },
            ));
        }
        Ok(())
    }

    /// The residual degrees of freedom `n - m - 1`.
    pub fn df(&self) -> f64 {
        self.n - self.predictors - 1.0
    }

    /// The partial correlation `t / sqrt(t^2 + df)`.
    fn partial(&self) -> f64 {
        self.t / (self.t * self.t + self.df()).sqrt()
    }
}

/// The scale of a [`PartialCorrelation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum PartialScale {
    /// The partial correlation itself (`PCOR`).
    Raw,
    /// Its Fisher z transform (`ZPCOR`).
    FisherZ,
}

/// The partial correlation of a predictor with the outcome, from its t statistic, as metafor's
/// `escalc` computes it (`df = n - m - 1`):
///
/// ```text
/// r_p = t / sqrt(t^2 + df)
/// PCOR   y = r_p          v = (1 - r_p^2)^2 / df          (vtype = "LS", escalc's default)
/// ZPCOR  y = atanh(r_p)   v = 1 / df
/// ```
/// Sources: Aloe & Becker (2012); Aloe & Thompson (2013); metafor `escalc(measure = "PCOR" |
/// "ZPCOR")`.
///
/// ```
/// use metapool::{effect::EffectSize, effect::PartialCorrelation, effect::PartialScale, effect::RegressionTest, effect::StudyEffect};
/// let test = RegressionTest::new(3.0, 20.0, 3.0)?; // df = 16, r_p = 3 / 5
/// let StudyEffect::Included(e) = PartialCorrelation::new(test, PartialScale::Raw).effect()? else { unreachable!() };
/// assert!((e.estimate() - 0.6).abs() < 1e-15);
/// assert!((e.variance() - 0.64 * 0.64 / 16.0).abs() < 1e-16);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct PartialCorrelation {
    /// The coefficient's test.
    pub test: RegressionTest,
    /// The scale.
    pub scale: PartialScale,
}

impl PartialCorrelation {
    /// The partial correlation of `test` on `scale`.
    pub fn new(test: RegressionTest, scale: PartialScale) -> Self {
        PartialCorrelation { test, scale }
    }
}

impl EffectSize for PartialCorrelation {
    fn scale(&self) -> Scale {
        match self.scale {
            PartialScale::Raw => Scale::Identity,
            PartialScale::FisherZ => Scale::FisherZ,
        }
    }

    fn effect(&self) -> Result<StudyEffect> {
        self.test.check()?;
        let r = self.test.partial();
        let df = self.test.df();
        let (y, v) = match self.scale {
            PartialScale::Raw => {
                let q = (1.0 - r) * (1.0 + r);
                (r, q * q / df)
            }
            PartialScale::FisherZ => (r.atanh(), 1.0 / df),
        };
        checked_effect(y, v, "partial correlation")
    }
}

/// The semi-partial correlation of a predictor with the outcome, from its t statistic and the
/// model's `R^2`, as metafor's `escalc` computes it (`df = n - m - 1`, `vtype = "LS"`):
///
/// ```text
/// y = t sqrt(1 - R^2) / sqrt(df)
/// v = (R^4 - 2 R^2 + (R^2 - y^2) + 1 - (R^2 - y^2)^2) / n
/// ```
/// `R^2` must lie in [0, 1] (escalc's check); a variance that is not positive is a typed error.
/// Sources: Aloe & Becker (2012); metafor `escalc(measure = "SPCOR")`.
///
/// ```
/// use metapool::{effect::EffectSize, effect::RegressionTest, effect::SemiPartialCorrelation, effect::StudyEffect};
/// let sp = SemiPartialCorrelation::new(RegressionTest::new(2.0, 40.0, 3.0)?, 0.36)?;
/// let StudyEffect::Included(e) = sp.effect()? else { unreachable!() };
/// assert!((e.estimate() - 2.0 * 0.8 / 6.0).abs() < 1e-15); // df = 36
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct SemiPartialCorrelation {
    /// The coefficient's test.
    pub test: RegressionTest,
    /// The `R^2` of the full regression model (`r2i`).
    pub r2: f64,
}

impl SemiPartialCorrelation {
    /// A validated semi-partial correlation.
    pub fn new(test: RegressionTest, r2: f64) -> Result<Self> {
        let s = SemiPartialCorrelation { test, r2 };
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> Result<()> {
        self.test.check()?;
        finite("r2", self.r2)?;
        if !(0.0..=1.0).contains(&self.r2) {
            return Err(field_err(
                "r2",
                Problem::OutOfRange {
                    lo: 0.0,
                    hi: 1.0,
                    got: self.r2,
                },
            ));
        }
        Ok(())
    }
}

impl EffectSize for SemiPartialCorrelation {
    fn scale(&self) -> Scale {
        Scale::Identity
    }

    fn effect(&self) -> Result<StudyEffect> {
        self.check()?;
        let RegressionTest { t, n, .. } = self.test;
        let r2 = self.r2;
        let y = t * (1.0 - r2).sqrt() / self.test.df().sqrt();
        let d = r2 - y * y;
        let v = (r2 * r2 - 2.0 * r2 + d + 1.0 - d * d) / n;
        if v.is_nan() || v <= 0.0 {
            return Err(field_err("r2", Problem::DegenerateVariance(v)));
        }
        checked_effect(y, v, "semi-partial correlation")
    }
}

validated_serde!(RegressionTest, |r| r.check());

validated_serde!(PartialCorrelation, |p| p.test.check());

validated_serde!(SemiPartialCorrelation, |s| s.check());
