//! Generic inverse-variance input: an estimate with its standard error or confidence interval.

use super::{Effect, EffectSize, Scale, StudyEffect};
use crate::error::{field_err, finite, positive, Problem, Result};
use crate::inference::ConfidenceLevel;

/// A study given as an estimate and its standard error on the analysis scale, as RevMan's
/// "generic inverse variance" outcome takes it.
///
/// From a confidence interval (RevMan's calculator):
/// ```text
/// identity scale:  y = estimate,      se = (upper - lower) / (2 z)
/// log scale:       y = ln(estimate),  se = (ln upper - ln lower) / (2 z)
/// z = Phi^-1(1 - (1 - level)/2)   (1.959964 for 95%)
/// ```
/// Source: Cochrane Handbook 6.3 (obtaining standard errors from confidence intervals).
///
/// ```
/// use metapool::{inference::ConfidenceLevel, effect::EffectSize, effect::Generic, effect::Scale, effect::StudyEffect};
/// let g = Generic::from_ci(-1.74, -5.00, 1.52, ConfidenceLevel::default(), Scale::Identity)?;
/// let StudyEffect::Included(e) = g.effect()? else { unreachable!() };
/// assert!((e.se() - 6.52 / (2.0 * 1.959963984540054)).abs() < 1e-14);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct Generic {
    estimate: f64,
    se: f64,
    scale: Scale,
}

impl Generic {
    /// An estimate and its standard error, both on the analysis scale (for a ratio: the log ratio
    /// and the SE of the log ratio).
    ///
    /// ```
    /// use metapool::{effect::Generic, effect::Scale};
    /// let hr = Generic::from_se(0.5f64.ln(), 0.2, Scale::Log)?; // a hazard ratio of 0.5, SE 0.2
    /// assert_eq!(hr.se(), 0.2);
    /// assert!(Generic::from_se(0.1, 0.0, Scale::Identity).is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn from_se(estimate: f64, se: f64, scale: Scale) -> Result<Self> {
        finite("estimate", estimate)?;
        positive("se", se)?;
        let g = Generic {
            estimate,
            se,
            scale,
        };
        g.check()?;
        Ok(g)
    }

    /// An estimate with its confidence interval, all on the display scale (a ratio and its CI
    /// for [`Scale::Log`]).
    ///
    /// ```
    /// use metapool::{inference::ConfidenceLevel, effect::Generic, effect::Scale};
    /// // OR 0.5 (0.25 to 1.0), 95% CI: se = (ln 1 - ln 0.25) / (2 * 1.959964) (Cochrane Handbook 6.3.2)
    /// let or = Generic::from_ci(0.5, 0.25, 1.0, ConfidenceLevel::default(), Scale::Log)?;
    /// assert!((or.se() - 0.353653019151067).abs() < 1e-12);
    /// assert!((or.estimate() - 0.5f64.ln()).abs() < 1e-15);
    /// assert!(Generic::from_ci(0.5, 0.0, 1.0, ConfidenceLevel::default(), Scale::Log).is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn from_ci(
        estimate: f64,
        lower: f64,
        upper: f64,
        level: ConfidenceLevel,
        scale: Scale,
    ) -> Result<Self> {
        finite("estimate", estimate)?;
        finite("ci_lower", lower)?;
        finite("ci_upper", upper)?;
        if scale == Scale::Log {
            for (field, x) in [
                ("estimate", estimate),
                ("ci_lower", lower),
                ("ci_upper", upper),
            ] {
                if x <= 0.0 {
                    return Err(field_err(field, Problem::RatioNotPositive(x)));
                }
            }
        }
        if lower >= upper {
            return Err(field_err(
                "ci_lower",
                Problem::CiBoundsSwapped { lower, upper },
            ));
        }
        if !(lower <= estimate && estimate <= upper) {
            return Err(field_err(
                "estimate",
                Problem::CiExcludesEstimate {
                    estimate,
                    lower,
                    upper,
                },
            ));
        }
        let (y, lo, hi) = (
            scale.to_analysis(estimate),
            scale.to_analysis(lower),
            scale.to_analysis(upper),
        );
        let se = (hi - lo) / (2.0 * level.z());
        Generic::from_se(y, se, scale)
    }

    /// The estimate on the analysis scale.
    ///
    /// ```
    /// use metapool::{effect::Generic, effect::Scale};
    /// let rr = Generic::from_se(0.8f64.ln(), 0.1, Scale::Log)?;
    /// assert!((rr.estimate() - (-0.2231435513142097)).abs() < 1e-15); // ln 0.8
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn estimate(&self) -> f64 {
        self.estimate
    }

    /// The standard error on the analysis scale.
    ///
    /// ```
    /// use metapool::{inference::ConfidenceLevel, effect::Generic, effect::Scale};
    /// // MD 2.0 (1.0 to 3.0), 90% CI: se = 1 / 1.6448536269514722
    /// let md = Generic::from_ci(2.0, 1.0, 3.0, ConfidenceLevel::new(0.90)?, Scale::Identity)?;
    /// assert!((md.se() - 1.0 / 1.6448536269514722).abs() < 1e-12);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn se(&self) -> f64 {
        self.se
    }

    fn check(&self) -> Result<()> {
        finite("estimate", self.estimate)?;
        positive("se", self.se)?;
        let v = self.se * self.se;
        if v.is_nan() || v <= 0.0 || !v.is_finite() {
            return Err(field_err("se", Problem::DegenerateVariance(v)));
        }
        Ok(())
    }
}

impl EffectSize for Generic {
    fn scale(&self) -> Scale {
        self.scale
    }
    fn effect(&self) -> Result<StudyEffect> {
        self.check()?;
        Ok(StudyEffect::Included(Effect::new(
            self.estimate,
            self.se * self.se,
        )?))
    }
}

validated_serde!(Generic, |g| g.check());
