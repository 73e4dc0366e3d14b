//! Heterogeneity statistics: Cochran's Q and its chi-square test, I², H², tau² and tau.

use crate::inference::chi_square_upper_tail;

/// Between-study heterogeneity of a pooled analysis.
///
/// ```text
/// Q   = sum_i w_i (y_i - mu_FE)^2,  w_i = 1/v_i        (Cochran 1954)
/// df  = k - 1;  p(Q) = P(chi2_df >= Q)
/// fixed-effect fits (RevMan; metafor method "FE"):
///     I^2 = 100 max(0, (Q - df) / Q),   H^2 = Q / df
/// random-effects fits (metafor rma.uni; Higgins & Thompson 2002):
///     s^2 = df sum w / ((sum w)^2 - sum w^2)              (typical within-study variance)
///     I^2 = 100 tau^2 / (tau^2 + s^2),  H^2 = (tau^2 + s^2) / s^2
/// ```
/// Under DerSimonian-Laird both definitions of I² agree. With one study no test is possible:
/// `q = 0`, `df = 0`, `q_p = None`, `I² = 0`, `H² = 1`.
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
/// let h = FixedModel::default().pool(&set)?.heterogeneity;
/// // metafor rma(method = "FE"): Q(df = 12) = 152.2330, p < .0001, I² = 92.12%, H² = 12.69
/// assert!((h.q - 152.2330080823733).abs() < 1e-9);
/// assert_eq!(h.df, 12);
/// assert!((h.q_p.unwrap() - 1.9967645908459738e-26).abs() < 1e-35);
/// assert!((h.i2 - 92.11734685456206).abs() < 1e-9 && (h.h2 - 12.68608400686444).abs() < 1e-9);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Heterogeneity {
    /// Cochran's Q.
    pub q: f64,
    /// Degrees of freedom of Q, `k - 1`.
    pub df: usize,
    /// Upper-tail chi-square p-value of Q; `None` when `df = 0`.
    pub q_p: Option<f64>,
    /// I² in percent, in [0, 100).
    pub i2: f64,
    /// H².
    pub h2: f64,
    /// Between-study variance tau² (0 for fixed-effect fits).
    pub tau2: f64,
    /// tau = sqrt(tau²).
    pub tau: f64,
}

impl Heterogeneity {
    /// Heterogeneity reported with a fixed-effect fit, from Q on `df` degrees of freedom:
    /// `I² = 100 max(0, (Q - df) / Q)`, `H² = Q / df`, `p = P(chi2_df >= Q)` (Higgins & Thompson
    /// 2002; RevMan 5, metafor `method = "FE"`).
    ///
    /// ```
    /// use metapool::heterogeneity::Heterogeneity;
    /// // I² = 100 (Q - df) / Q, H² = Q / df (Higgins & Thompson 2002)
    /// let h = Heterogeneity::fixed(152.2330080823733, 12);
    /// assert!((h.i2 - 92.11734685456206).abs() < 1e-9); // metafor dat.bcg, log RR
    /// assert!((h.h2 - 152.2330080823733 / 12.0).abs() < 1e-12);
    /// assert_eq!(Heterogeneity::fixed(8.0, 12).i2, 0.0); // Q below its df
    /// ```
    pub fn fixed(q: f64, df: usize) -> Self {
        if df == 0 {
            return Heterogeneity::none();
        }
        let dff = df as f64;
        let i2 = if q > dff {
            100.0 * ((q - dff) / q)
        } else {
            0.0
        };
        Heterogeneity {
            q,
            df,
            q_p: Some(chi_square_upper_tail(q, dff)),
            i2,
            h2: q / dff,
            tau2: 0.0,
            tau: 0.0,
        }
    }

    /// Heterogeneity reported with a random-effects fit: Q on `df`, the estimate `tau2`, and
    /// the typical within-study variance `s2` (see [`typical_variance`]):
    /// `I² = 100 tau² / (tau² + s²)`, `H² = (tau² + s²) / s²` (Higgins & Thompson 2002; metafor
    /// `rma.uni`).
    ///
    /// ```
    /// use metapool::heterogeneity::Heterogeneity;
    /// // metafor dat.bcg, log RR, DL: tau² = 0.3088 with s² = 0.02642 gives I² = 92.12%
    /// let h = Heterogeneity::random(152.2330080823733, 12, 0.3087602628623762, 0.026421191451388635);
    /// assert!((h.i2 - 92.11734685456206).abs() < 1e-9);
    /// assert!((h.tau - 0.5557) .abs() < 5e-5);
    /// ```
    pub fn random(q: f64, df: usize, tau2: f64, s2: f64) -> Self {
        Heterogeneity::random_with_p(q, df, tau2, s2, q_test_p(q, df))
    }

    /// [`Heterogeneity::random`] with the p-value of Q already computed (`q_p`, ignored when
    /// `df == 0`), e.g. for several analyses at once in SIMD lanes.
    #[inline(always)]
    pub(crate) fn random_with_p(q: f64, df: usize, tau2: f64, s2: f64, q_p: f64) -> Self {
        if df == 0 {
            return Heterogeneity {
                tau2,
                tau: tau2.sqrt(),
                ..Heterogeneity::none()
            };
        }
        let (i2, h2) = if tau2 > 0.0 && s2.is_finite() && s2 > 0.0 {
            (100.0 * (tau2 / (tau2 + s2)), (tau2 + s2) / s2)
        } else {
            (0.0, 1.0)
        };
        Heterogeneity {
            q,
            df,
            q_p: Some(q_p),
            i2,
            h2,
            tau2,
            tau: tau2.sqrt(),
        }
    }

    /// No heterogeneity information (one study).
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, heterogeneity::Heterogeneity};
    /// let one = FixedModel::default().pool(&EffectSet::from_estimates(&[0.3], &[0.01])?)?;
    /// assert_eq!(one.heterogeneity, Heterogeneity::none());
    /// assert_eq!((one.heterogeneity.q_p, one.heterogeneity.h2), (None, 1.0));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn none() -> Self {
        Heterogeneity {
            q: 0.0,
            df: 0,
            q_p: None,
            i2: 0.0,
            h2: 1.0,
            tau2: 0.0,
            tau: 0.0,
        }
    }
}

/// The p-value of Cochran's Q on `df` degrees of freedom, `P(chi^2_df >= Q)`; NaN (no test)
/// for `df = 0`.
#[inline(always)]
pub(crate) fn q_test_p(q: f64, df: usize) -> f64 {
    if df == 0 {
        return f64::NAN;
    }
    chi_square_upper_tail(q, df as f64)
}

/// The "typical" within-study variance of Higgins & Thompson (2002), as metafor computes it,
/// from the sum of the weights `w_i = 1/v_i` and the complement of their squared shares
/// `share_complement = 1 - sum (w_i / sum w)^2` (pass it computed without cancellation, e.g. as
/// `2 sum_{j<i} share_i share_j`; `1 - sum share^2` loses every digit when one weight dominates):
/// ```text
/// s^2 = (k - 1) sum w / ((sum w)^2 - sum w^2) = (k - 1) / (sum w * share_complement)
/// ```
///
/// ```
/// use metapool::heterogeneity::typical_variance;
/// // three studies with v = 0.1, 0.2, 0.4: sum w = 17.5, shares 4/7, 2/7, 1/7
/// let s2 = typical_variance(2, 17.5, 1.0 - (16.0 + 4.0 + 1.0) / 49.0);
/// assert!((s2 - 2.0 * 17.5 / (17.5 * 17.5 - (100.0 + 25.0 + 6.25))).abs() < 1e-15);
/// ```
pub fn typical_variance(df: usize, sum_w: f64, share_complement: f64) -> f64 {
    df as f64 / (sum_w * share_complement)
}
