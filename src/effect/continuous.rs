//! Continuous outcomes of two arms: mean difference and standardized mean difference (Hedges'
//! g). The pre/post mean difference of self-controlled studies is in `prepost`.

use super::{Effect, EffectSize, Scale, StudyEffect};
use crate::error::{count_at_least, field_err, finite, positive, Error, Problem, Result};
use crate::numeric::wide;
use statrs::function::gamma::ln_gamma;

/// One arm of a two-arm study with a continuous outcome: mean, standard deviation and number
/// of participants.
///
/// Valid when the mean is finite, `sd > 0` and `n` is a whole number `>= 2` (an SD needs two
/// observations).
///
/// ```
/// use metapool::effect::Arm;
/// assert!(Arm::new(5.0, 1.2, 30.0).is_ok());
/// assert!(Arm::new(5.0, 0.0, 30.0).is_err());
/// assert!(Arm::new(5.0, 1.2, 1.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct Arm {
    /// Mean.
    pub mean: f64,
    /// Standard deviation.
    pub sd: f64,
    /// Number of participants.
    pub n: f64,
}

impl Arm {
    /// A validated arm (`f32` or `f64` inputs, widened to `f64`).
    ///
    /// ```
    /// use metapool::effect::Arm;
    /// assert_eq!(Arm::new(2.5f32, 1.0, 30.0)?, Arm::new(2.5f64, 1.0, 30.0)?);
    /// assert!(Arm::new(2.5, -1.0, 30.0).is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new<T: num_traits::Float>(mean: T, sd: T, n: T) -> Result<Self> {
        let a = Arm {
            mean: wide(mean),
            sd: wide(sd),
            n: wide(n),
        };
        a.check()?;
        Ok(a)
    }

    fn check(&self) -> Result<()> {
        finite("mean", self.mean)?;
        positive("sd", self.sd)?;
        count_at_least("n", self.n, 2.0)?;
        Ok(())
    }

    pub(super) fn check_as(
        &self,
        mean: &'static str,
        sd: &'static str,
        n: &'static str,
    ) -> Result<()> {
        self.check().map_err(|e| match e {
            Error::InvalidField { field, problem } => Error::InvalidField {
                field: match field {
                    "mean" => mean,
                    "sd" => sd,
                    _ => n,
                },
                problem,
            },
            other => other,
        })
    }
}

pub(super) fn checked_effect(y: f64, v: f64, field: &'static str) -> Result<StudyEffect> {
    if !y.is_finite() {
        return Err(field_err(field, Problem::NotFinite(y)));
    }
    if v.is_nan() || v <= 0.0 || !v.is_finite() {
        return Err(field_err(field, Problem::DegenerateVariance(v)));
    }
    Ok(StudyEffect::Included(Effect::new(y, v)?))
}

/// Mean difference (MD; RevMan's "WMD" when pooled with inverse-variance weights) between
/// arm 1 (experimental) and arm 2 (control).
///
/// ```text
/// y = m1 - m2
/// v = sd1^2 / n1 + sd2^2 / n2
/// ```
/// Source: RevMan 5 statistical algorithms (Deeks & Higgins 2010), "mean difference";
/// metafor `escalc(measure = "MD")`.
///
/// ```
/// use metapool::{effect::Arm, effect::EffectSize, effect::MeanDifference, effect::StudyEffect};
/// let md = MeanDifference::new(Arm::new(3.0, 1.0, 10.0)?, Arm::new(5.0, 2.0, 10.0)?)?;
/// let StudyEffect::Included(e) = md.effect()? else { unreachable!() };
/// assert_eq!(e.estimate(), -2.0);
/// assert!((e.variance() - 0.5).abs() < 1e-15);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct MeanDifference {
    /// Experimental arm.
    pub arm1: Arm,
    /// Control arm.
    pub arm2: Arm,
}

impl MeanDifference {
    /// A validated mean difference.
    ///
    /// ```
    /// use metapool::{effect::Arm, effect::EffectSize, effect::MeanDifference, effect::StudyEffect};
    /// let md = MeanDifference::new(Arm::new(10.0, 2.0, 20.0)?, Arm::new(12.0, 3.0, 25.0)?)?;
    /// let StudyEffect::Included(e) = md.effect()? else { unreachable!() };
    /// // y = m1 - m2, v = sd1²/n1 + sd2²/n2 (metafor escalc("MD"))
    /// assert_eq!(e.estimate(), -2.0);
    /// assert!((e.variance() - (4.0 / 20.0 + 9.0 / 25.0)).abs() < 1e-15);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(arm1: Arm, arm2: Arm) -> Result<Self> {
        let md = MeanDifference { arm1, arm2 };
        md.check()?;
        Ok(md)
    }

    fn check(&self) -> Result<()> {
        self.arm1.check_as("m1", "sd1", "n1")?;
        self.arm2.check_as("m2", "sd2", "n2")
    }
}

impl EffectSize for MeanDifference {
    fn scale(&self) -> Scale {
        Scale::Identity
    }
    fn effect(&self) -> Result<StudyEffect> {
        self.check()?;
        let (a, b) = (&self.arm1, &self.arm2);
        let y = a.mean - b.mean;
        let v = a.sd * a.sd / a.n + b.sd * b.sd / b.n;
        checked_effect(y, v, "mean difference")
    }
}

/// Which small-sample correction and variance a standardized mean difference uses.
///
/// ```
/// use metapool::{effect::Arm, effect::EffectSize, effect::SmdConvention, effect::StandardizedMeanDifference, effect::StudyEffect};
/// let g = StandardizedMeanDifference::new(Arm::new(94.0, 22.0, 60.0)?, Arm::new(92.0, 20.0, 60.0)?)?;
/// // RevMan 5: J = 1 - 3 / (4 * 120 - 9); metafor: Gamma(59) / (sqrt(59) Gamma(58.5))
/// assert!((g.correction() - 0.9936305732484076).abs() < 1e-15);
/// let m = g.with_convention(SmdConvention::Metafor);
/// assert!((m.correction() - 0.9936283148689962).abs() < 1e-13);
/// let StudyEffect::Included(e) = m.effect()? else { unreachable!() };
/// assert!((e.estimate() - 0.09452415852032972).abs() < 1e-12); // metafor escalc("SMD")
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SmdConvention {
    /// RevMan 5 (the default: it is what Cochrane reviews and the clinical meta-analyses this
    /// crate re-checks, such as Kusuma & Kurniati 2025, report):
    /// ```text
    /// J = 1 - 3 / (4N - 9)
    /// v = N / (n1 n2) + g^2 / (2 (N - 3.94))
    /// ```
    /// Source: Deeks & Higgins (2010), Statistical algorithms in Review Manager 5.
    #[default]
    RevMan5,
    /// metafor `escalc(measure = "SMD", vtype = "LS")`: the exact correction from gamma
    /// functions (Hedges 1981), computed with log-gamma so that it does not overflow for large N,
    /// and the large-sample variance
    /// ```text
    /// m = N - 2
    /// J = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))
    /// v = 1/n1 + 1/n2 + g^2 / (2N)
    /// ```
    Metafor,
}

/// Standardized mean difference, Hedges' g, of arm 1 against arm 2.
///
/// ```text
/// N = n1 + n2
/// s = sqrt(((n1 - 1) sd1^2 + (n2 - 1) sd2^2) / (N - 2))     (pooled SD)
/// d = (m1 - m2) / s                                         (Cohen's d)
/// g = J d                                                   (J, v: see SmdConvention)
/// ```
///
/// ```
/// use metapool::{effect::Arm, effect::EffectSize, effect::SmdConvention, effect::StandardizedMeanDifference, effect::StudyEffect};
/// let a = Arm::new(94.0, 22.0, 60.0)?;
/// let b = Arm::new(92.0, 20.0, 60.0)?;
/// let g = StandardizedMeanDifference::new(a, b)?.with_convention(SmdConvention::Metafor);
/// let StudyEffect::Included(e) = g.effect()? else { unreachable!() };
/// // metafor escalc("SMD"): 0.09452415852032972
/// assert!((e.estimate() - 0.09452415852032972).abs() < 1e-12);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct StandardizedMeanDifference {
    /// Experimental arm.
    pub arm1: Arm,
    /// Control arm.
    pub arm2: Arm,
    /// Correction and variance convention.
    pub convention: SmdConvention,
}

impl StandardizedMeanDifference {
    /// A validated SMD with the default convention ([`SmdConvention::RevMan5`]).
    ///
    /// ```
    /// use metapool::{effect::Arm, effect::StandardizedMeanDifference};
    /// let g = StandardizedMeanDifference::new(Arm::new(94.0, 22.0, 60.0)?, Arm::new(92.0, 20.0, 60.0)?)?;
    /// // pooled SD sqrt((59 * 22² + 59 * 20²) / 118) = sqrt(442)
    /// assert!((g.cohens_d() - 2.0 / 442f64.sqrt()).abs() < 1e-15);
    /// // an arm needs at least two patients for its SD
    /// assert!(Arm::new(1.0, 1.0, 1.0).is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(arm1: Arm, arm2: Arm) -> Result<Self> {
        let s = StandardizedMeanDifference {
            arm1,
            arm2,
            convention: SmdConvention::default(),
        };
        s.check()?;
        Ok(s)
    }

    /// The same SMD under another convention.
    ///
    /// ```
    /// use metapool::{effect::Arm, effect::SmdConvention, effect::StandardizedMeanDifference};
    /// let g = StandardizedMeanDifference::new(Arm::new(94.0, 22.0, 60.0)?, Arm::new(92.0, 20.0, 60.0)?)?;
    /// let exact = g.with_convention(SmdConvention::Metafor);
    /// // the two corrections differ in the sixth decimal at N = 120
    /// assert!((g.correction() - exact.correction()).abs() < 3e-6);
    /// assert_eq!(exact.cohens_d(), g.cohens_d());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_convention(mut self, convention: SmdConvention) -> Self {
        self.convention = convention;
        self
    }

    fn check(&self) -> Result<()> {
        self.arm1.check_as("m1", "sd1", "n1")?;
        self.arm2.check_as("m2", "sd2", "n2")
    }

    /// Cohen's d, `(m1 - m2) / s` with the pooled SD `s`.
    ///
    /// ```
    /// use metapool::{effect::Arm, effect::StandardizedMeanDifference};
    /// let g = StandardizedMeanDifference::new(Arm::new(10.0, 2.0, 11.0)?, Arm::new(7.0, 4.0, 11.0)?)?;
    /// // s = sqrt((10 * 4 + 10 * 16) / 20) = sqrt(10)
    /// assert!((g.cohens_d() - 3.0 / 10f64.sqrt()).abs() < 1e-15);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn cohens_d(&self) -> f64 {
        let (a, b) = (&self.arm1, &self.arm2);
        let df = a.n + b.n - 2.0;
        // s = sqrt(((n1 - 1) sd1^2 + (n2 - 1) sd2^2) / (N - 2)), scaled by the larger SD so
        // that squaring neither overflows (SD > 1e154) nor underflows (SD < 1e-154) to a wrong d
        let big = a.sd.max(b.sd);
        let (r1, r2) = (a.sd / big, b.sd / big);
        let s = big * ((a.n - 1.0) / df * r1 * r1 + (b.n - 1.0) / df * r2 * r2).sqrt();
        (a.mean - b.mean) / s
    }

    /// The small-sample correction factor J of the convention (see [`SmdConvention`]): RevMan 5's
    /// `1 - 3 / (4N - 9)` (Deeks & Higgins 2010), or Hedges' (1981) exact
    /// `Gamma(m/2) / (sqrt(m/2) Gamma((m - 1)/2))`, `m = N - 2`.
    ///
    /// ```
    /// use metapool::{effect::Arm, effect::SmdConvention, effect::StandardizedMeanDifference};
    /// let g = StandardizedMeanDifference::new(Arm::new(10.0, 2.0, 11.0)?, Arm::new(7.0, 4.0, 11.0)?)?;
    /// assert!((g.correction() - (1.0 - 3.0 / 79.0)).abs() < 1e-15); // RevMan 5, N = 22
    /// // Hedges (1981) exact J for m = 20: Gamma(10) / (sqrt(10) Gamma(9.5))
    /// let exact = g.with_convention(SmdConvention::Metafor).correction();
    /// assert!((exact - 0.9619445337407464).abs() < 1e-13);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn correction(&self) -> f64 {
        let n = self.arm1.n + self.arm2.n;
        match self.convention {
            SmdConvention::RevMan5 => 1.0 - 3.0 / (4.0 * n - 9.0),
            SmdConvention::Metafor => hedges_exact_j(n - 2.0),
        }
    }
}

/// Hedges' exact correction `J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))`. Needs `m > 1`.
///
/// Not through log-gamma, as metafor computes it: the difference of two log-gammas of size
/// `m ln m` cancels (at m = 1e8 it kept only 8 digits of J, near m = 1e15 none, and even at
/// m = 48 statrs' log-gamma left 1e-13). For `m >= 50` J comes from the asymptotic series of
/// `ln Gamma(x) - ln Gamma(x - 1/2)` in `x = m/2`, whose terms follow from Stirling's series with
/// Bernoulli polynomials (DLMF 5.11.8):
/// ```text
/// ln J = sum_{n>=2} (-1)^n (B_n(0) - B_n(-1/2)) / (n (n-1) x^(n-1))
///      = -3/(8x) - 1/(8x^2) - 3/(64x^3) - 1/(64x^4) - 3/(640x^5) - 1/(384x^6)
///        - 33/(14336x^7) - 1/(2048x^8) + 3/(2048x^9) - 1/(10240x^10) - ...
/// ```
/// truncated after ten terms (within 2e-18 of J for m >= 50). Below 50, the recurrence
/// `Gamma(x + 1) = x Gamma(x)` steps x up by ones to `x_e >= 25`:
/// ```text
/// J(2x) = J(2x_e) sqrt(x_e / x) prod_{x <= t < x_e} (t - 1/2) / t
/// ```
/// Checked against mpmath at 50 digits to 4e-15 (`fixtures/highprec/generate.py`).
pub(crate) fn hedges_exact_j(m: f64) -> f64 {
    if m.is_nan() || m <= 1.0 {
        return (ln_gamma(m / 2.0) - 0.5 * (m / 2.0).ln() - ln_gamma((m - 1.0) / 2.0)).exp();
    }
    let x0 = m / 2.0;
    let (mut x, mut prod) = (x0, 1.0);
    while x < 25.0 {
        prod *= (x - 0.5) / x;
        x += 1.0;
    }
    const C: [f64; 10] = [
        -3.0 / 8.0,
        -1.0 / 8.0,
        -3.0 / 64.0,
        -1.0 / 64.0,
        -3.0 / 640.0,
        -1.0 / 384.0,
        -33.0 / 14336.0,
        -1.0 / 2048.0,
        3.0 / 2048.0,
        -1.0 / 10240.0,
    ];
    let t = 1.0 / x;
    let ln_j = t * C.iter().rev().fold(0.0, |acc, &c| c + t * acc);
    let j = ln_j.exp();
    if x == x0 {
        j
    } else {
        j * prod * (x / x0).sqrt()
    }
}

impl EffectSize for StandardizedMeanDifference {
    fn scale(&self) -> Scale {
        Scale::Identity
    }
    fn effect(&self) -> Result<StudyEffect> {
        self.check()?;
        let (n1, n2) = (self.arm1.n, self.arm2.n);
        let n = n1 + n2;
        let g = self.correction() * self.cohens_d();
        let v = match self.convention {
            SmdConvention::RevMan5 => n / (n1 * n2) + g * g / (2.0 * (n - 3.94)),
            SmdConvention::Metafor => 1.0 / n1 + 1.0 / n2 + g * g / (2.0 * n),
        };
        checked_effect(g, v, "standardized mean difference")
    }
}

validated_serde!(Arm, |a| a.check());

validated_serde!(MeanDifference, |m| m.check());

validated_serde!(StandardizedMeanDifference, |s| s.check());
