//! Other effect sizes of a 2x2 table: the arcsine risk difference, and the association measures
//! phi, Yule's Q and Y, the tetrachoric correlation, the probit difference and the odds ratio
//! as a standardized mean difference (metafor's AS, PHI, YUQ, YUY, RTET, PBIT, OR2DN, OR2DL).

use super::binary::{all_cells_positive, corrected, study_effect};
use super::table::{ContinuityCorrection, CorrectionRule, TwoByTwo};
use super::{EffectSize, Scale, StudyEffect};
use crate::error::Result;
use crate::inference::normal_quantile;

/// The sampling variance of phi (metafor's `vtype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum PhiVariance {
    /// Cross-sectional (multinomial) sampling, Yule (1912), escalc's default (`"LS"`, `"CS"`).
    #[default]
    CrossSectional,
    /// Stratified sampling, fixed arm sizes (`"ST"`).
    Stratified,
}

/// Which 2x2-table measure (metafor's names in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum TableMeasure {
    /// Arcsine square-root risk difference (`AS`).
    ArcsineRiskDifference,
    /// The phi coefficient (`PHI`) with its variance.
    Phi(PhiVariance),
    /// Yule's Q (`YUQ`).
    YulesQ,
    /// Yule's Y (`YUY`).
    YulesY,
    /// The tetrachoric correlation (`RTET`).
    Tetrachoric,
    /// The probit difference, an estimate of the SMD (`PBIT`).
    ProbitDifference,
    /// The log odds ratio as an SMD by the normal approximation, `ln OR / 1.65` (`OR2DN`).
    OddsRatioAsSmdNormal,
    /// The log odds ratio as an SMD by the logistic distribution, `sqrt(3) ln OR / pi` (`OR2DL`).
    OddsRatioAsSmdLogistic,
}

impl TableMeasure {
    /// escalc's default correction for the measure: none for AS, PHI and RTET (`add = 0`), 1/2
    /// added to every cell of a table with a zero cell for the others (`add = 1/2, to =
    /// "only0"`).
    pub fn default_correction(self) -> ContinuityCorrection {
        match self {
            TableMeasure::ArcsineRiskDifference
            | TableMeasure::Phi(_)
            | TableMeasure::Tetrachoric => ContinuityCorrection {
                value: 0.5,
                rule: CorrectionRule::Never,
            },
            _ => ContinuityCorrection::default(),
        }
    }
}

/// A measure of a 2x2 table (cells `a, b, c, d` after the correction; `n1 = a + b`,
/// `n2 = c + d`, `n = n1 + n2`, `p1 = a / n1`, `p2 = c / n2`, `OR = a d / (b c)`,
/// `S = 1/a + 1/b + 1/c + 1/d`), as metafor's `escalc` computes it:
///
/// ```text
/// AS     y = asin(sqrt p1) - asin(sqrt p2)           v = 1/(4 n1) + 1/(4 n2)
/// PHI    y = (a d - b c) / sqrt(n1 n2 (a + c)(b + d))
///        v = (1 - y^2 + y (1 + y^2/2) (p1. - p2.)(p.1 - p.2) / sqrt(p1. p2. p.1 p.2)
///             - 3/4 y^2 ((p1. - p2.)^2 / (p1. p2.) + (p.1 - p.2)^2 / (p.1 p.2))) / n
///        (cross-sectional; p1. = n1/n, p.1 = (a + c)/n; the stratified variance is escalc's "ST")
/// YUQ    y = (OR - 1) / (OR + 1)                     v = (1 - y^2)^2 S / 4
/// YUY    y = (sqrt OR - 1) / (sqrt OR + 1)           v = (1 - y^2)^2 S / 16
/// RTET   the tetrachoric correlation (see below)
/// PBIT   y = z1 - z2, z = Phi^-1(p)                  v = 2 pi p1 (1-p1) e^(z1^2) / n1 + (same for 2)
/// OR2DN  y = ln OR / 1.65                            v = S / 1.65^2
/// OR2DL  y = sqrt(3) ln OR / pi                      v = 3 S / pi^2
/// ```
/// The tetrachoric correlation is the exact maximum-likelihood estimate (the thresholds at the
/// normal quantiles of the margins, `Phi2(h_c, h_r; rho) = a / n`, variance from the inverse
/// information matrix); metafor maximizes the same likelihood by Nelder-Mead at `reltol =
/// 1e-8` and agrees to about 1e-5. A table with a zero cell puts it on the boundary `|rho| = 1`,
/// where it has no variance: a typed error (escalc gives `yi = ±1` and an arbitrary or missing
/// variance).
///
/// The correction defaults to escalc's ([`TableMeasure::default_correction`]). No table is
/// excluded (escalc's `drop00 = FALSE`). A value that is undefined (a zero margin, a zero cell
/// without correction where the measure divides by it) is a typed error naming `events`
/// ([`Problem::DegenerateVariance`](crate::Problem::DegenerateVariance)). Sources: Rücker et al. (2009) (AS); Yule (1912); Pearson
/// (1900); Sánchez-Meca et al. (2003) (PBIT, OR2DN); Chinn (2000) and Hasselblad & Hedges
/// (1995) (OR2DL); metafor `escalc`.
///
/// ```
/// use metapool::{effect::EffectSize, effect::StudyEffect, effect::TableEffect, effect::TableMeasure, effect::TwoByTwo};
/// let t = TwoByTwo::from_cells(30, 10, 10, 30)?;
/// let StudyEffect::Included(q) = TableEffect::new(t, TableMeasure::YulesQ).effect()? else { unreachable!() };
/// assert!((q.estimate() - 0.8).abs() < 1e-15); // OR = 9
/// let StudyEffect::Included(r) = TableEffect::new(t, TableMeasure::Tetrachoric).effect()? else { unreachable!() };
/// assert!((r.estimate() - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-14); // sin(pi / 4)
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TableEffect {
    /// The table.
    pub table: TwoByTwo,
    /// The measure.
    pub measure: TableMeasure,
    /// The zero-cell correction.
    pub correction: ContinuityCorrection,
}

impl TableEffect {
    /// `measure` of `table`, with escalc's default correction for it.
    pub fn new(table: TwoByTwo, measure: TableMeasure) -> Self {
        TableEffect {
            table,
            measure,
            correction: measure.default_correction(),
        }
    }

    /// The same with another correction.
    pub fn with_correction(mut self, correction: ContinuityCorrection) -> Self {
        self.correction = correction;
        self
    }
}

impl EffectSize for TableEffect {
    fn two_by_two(&self) -> Option<TwoByTwo> {
        Some(self.table)
    }

    fn scale(&self) -> Scale {
        Scale::Identity
    }

    fn effect(&self) -> Result<StudyEffect> {
        use TableMeasure::*;
        let [a, b, c, d] = corrected(&self.table, &self.correction)?;
        let (n1, n2) = (a + b, c + d);
        let (p1, p2) = (a / n1, c / n2);
        let s = 1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d;
        let log_or = || (a * d / (b * c)).ln();
        let (y, v) = match self.measure {
            ArcsineRiskDifference => (
                a.sqrt().atan2(b.sqrt()) - c.sqrt().atan2(d.sqrt()),
                1.0 / (4.0 * n1) + 1.0 / (4.0 * n2),
            ),
            Phi(variance) => phi(a, b, c, d, variance),
            YulesQ => {
                let or = (a / b) / (c / d);
                let y = (or - 1.0) / (or + 1.0);
                let q = (1.0 - y) * (1.0 + y);
                (y, 0.25 * q * q * s)
            }
            YulesY => {
                let root = ((a / b) / (c / d)).sqrt();
                let y = (root - 1.0) / (root + 1.0);
                let q = (1.0 - y) * (1.0 + y);
                (y, q * q * s / 16.0)
            }
            Tetrachoric => {
                all_cells_positive([a, b, c, d])?;
                super::tetrachoric::tetrachoric(a, b, c, d)
            }
            ProbitDifference => {
                let (z1, z2) = (normal_quantile(p1), normal_quantile(p2));
                let two_pi = 2.0 * std::f64::consts::PI;
                let v = two_pi * p1 * (1.0 - p1) * (z1 * z1).exp() / n1
                    + two_pi * p2 * (1.0 - p2) * (z2 * z2).exp() / n2;
                (z1 - z2, v)
            }
            OddsRatioAsSmdNormal => (log_or() / 1.65, s / (1.65 * 1.65)),
            OddsRatioAsSmdLogistic => {
                let pi = std::f64::consts::PI;
                (3f64.sqrt() / pi * log_or(), 3.0 / (pi * pi) * s)
            }
        };
        study_effect(y, v)
    }
}

/// Phi and its variance (escalc's formulas, `vtype = "LS"` and `"ST"`).
fn phi(a: f64, b: f64, c: f64, d: f64, variance: PhiVariance) -> (f64, f64) {
    let (n1, n2) = (a + b, c + d);
    let n = n1 + n2;
    let (col1, col2) = (a + c, b + d);
    let y = (a * d - b * c) / (n1 * n2 * col1 * col2).sqrt();
    let v = match variance {
        PhiVariance::CrossSectional => {
            let (r1, r2, k1, k2) = (n1 / n, n2 / n, col1 / n, col2 / n);
            (1.0 - y * y
                + y * (1.0 + 0.5 * y * y) * (r1 - r2) * (k1 - k2) / (r1 * r2 * k1 * k2).sqrt()
                - 0.75 * y * y * ((r1 - r2).powi(2) / (r1 * r2) + (k1 - k2).powi(2) / (k1 * k2)))
                / n
        }
        PhiVariance::Stratified => {
            let (p1, p2) = (a / n1, c / n2);
            let (q1, q2) = (1.0 - p1, 1.0 - p2);
            let mix = p2 * q1 + p1 * q2;
            n * n
                * (4.0 * n1.powi(3) * p1 * p1 * p2 * q1 * q1 * q2
                    + 4.0 * n2.powi(3) * p1 * p2 * p2 * q1 * q2 * q2
                    + n1 * n2 * n2 * p2 * q2 * mix * (p2 * q1 + p1 * (4.0 * q1 + q2))
                    + n1 * n1 * n2 * p1 * q1 * mix * (p1 * q2 + p2 * (q1 + 4.0 * q2)))
                / (4.0 * col1.powi(3) * col2.powi(3))
        }
    };
    (y, v)
}
