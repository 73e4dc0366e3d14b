//! Duval and Tweedie's trim-and-fill (metafor `trimfill`).

use super::standard_errors;
use crate::effect::{Effect, EffectSet};
use crate::error::{Error, Result};
use crate::pool::{Pooled, Pooler, Test};

/// The estimator of the number of missing studies in trim-and-fill (Duval & Tweedie 2000).
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
/// use metapool::bias::{trim_and_fill, MissingEstimator, TrimFillOptions};
/// let r0 = TrimFillOptions { estimator: MissingEstimator::R0, ..TrimFillOptions::default() };
/// let tf = trim_and_fill(&FixedModel::default().into(), &set, r0)?;
/// // metafor trimfill(rma(yi, vi, method = "FE"), estimator = "R0"): k0 = 4 (SE = 3.1623), p = 0.0312
/// assert_eq!(tf.k0, 4);
/// assert!((tf.se_k0 - 10f64.sqrt()).abs() < 1e-15); // sqrt(2 k0 + 2)
/// assert_eq!(tf.p_k0, Some(0.03125)); // 0.5^(k0 + 1)
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MissingEstimator {
    /// `L0 = (4 S_r - k(k+1)) / (2k - 1)`, from the Wilcoxon signed-rank sum (metafor default).
    #[default]
    L0,
    /// `R0 = gamma* - 1`, from the rightmost run of positive ranks.
    R0,
}

/// The side of the funnel plot on which studies are missing.
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
/// use metapool::bias::{trim_and_fill, Side, TrimFillOptions};
/// // metafor: "Estimated number of missing studies on the right side: 1 (SE = 2.4528)"
/// let tf = trim_and_fill(&Pooler::default(), &set, TrimFillOptions::default())?;
/// assert_eq!((tf.side, tf.k0), (Side::Right, 1));
/// assert!((tf.se_k0 - 2.4528).abs() < 5e-5);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Side {
    /// Studies are missing on the left (small effects); the filled studies lie to the left.
    Left,
    /// Studies are missing on the right.
    Right,
}

/// How trim-and-fill picks the side.
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
/// use metapool::bias::{trim_and_fill, Side, SideRule, TrimFillOptions};
/// let left = TrimFillOptions { side: SideRule::Given(Side::Left), ..TrimFillOptions::default() };
/// let tf = trim_and_fill(&FixedModel::default().into(), &set, left)?;
/// assert_eq!(tf.side, Side::Left);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SideRule {
    /// As metafor does: fit the regression test's meta-regression of `y` on `sei` with the
    /// pooler's model; a negative slope means studies are missing on the right, otherwise left.
    #[default]
    Estimate,
    /// The side given.
    Given(Side),
}

/// Options of [`trim_and_fill`].
///
/// ```
/// use metapool::bias::{MissingEstimator, SideRule, TrimFillOptions};
/// let o = TrimFillOptions::default(); // metafor's trimfill defaults
/// assert_eq!((o.estimator, o.side, o.max_iterations), (MissingEstimator::L0, SideRule::Estimate, 100));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TrimFillOptions {
    /// Estimator of the number of missing studies.
    pub estimator: MissingEstimator,
    /// How the side is chosen.
    pub side: SideRule,
    /// Largest number of trimming iterations (metafor: 100).
    pub max_iterations: usize,
}

impl Default for TrimFillOptions {
    /// L0, side estimated, at most 100 iterations (metafor's defaults).
    fn default() -> Self {
        TrimFillOptions {
            estimator: MissingEstimator::L0,
            side: SideRule::Estimate,
            max_iterations: 100,
        }
    }
}

/// The result of trim-and-fill.
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
/// use metapool::bias::{trim_and_fill, TrimFillOptions};
/// let tf = trim_and_fill(&FixedModel::default().into(), &set, TrimFillOptions::default())?;
/// // metafor trimfill(rma(yi, vi, method = "FE")): k0 = 4 on the right (SE = 2.3853);
/// // filled y 0.7893, ...; adjusted fit (k = 17) -0.2910 (se 0.0383), Q(df = 16) = 262.7316
/// assert_eq!(tf.k0, 4);
/// assert!((tf.se_k0 - 2.3853255911929505).abs() < 1e-12);
/// assert!((tf.filled[0].estimate() - 0.7892928192600777).abs() < 1e-12);
/// assert!((tf.fit.estimate - -0.2910259921063531).abs() < 1e-12);
/// assert!((tf.fit.heterogeneity.q - 262.7316348563879).abs() < 1e-9);
/// assert_eq!(tf.fit.k, 17);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TrimFill {
    /// The side on which studies were imputed.
    pub side: Side,
    /// The estimator used.
    pub estimator: MissingEstimator,
    /// Estimated number of missing studies `k0`.
    pub k0: usize,
    /// Standard error of `k0` (metafor `se.k0`).
    pub se_k0: f64,
    /// For R0, the p-value of `H0: k0 = 0`, `0.5^(k0 + 1)` (metafor `p.k0`); `None` for L0.
    pub p_k0: Option<f64>,
    /// Trimming iterations until `k0` stopped changing.
    pub iterations: usize,
    /// The filled-in studies (mirror images of the `k0` most extreme studies about the trimmed
    /// estimate); they have input positions `input_len(), input_len() + 1, ...` in `fit`.
    pub filled: Vec<Effect>,
    /// The model fitted to the observed and the filled-in studies (the original fit when
    /// `k0 = 0`).
    pub fit: Pooled,
}

/// Duval & Tweedie's (2000, Biometrics 56:455; JASA 95:89) trim-and-fill, as metafor's
/// `trimfill.rma.uni` does it.
///
/// ```text
/// side: Given, or from the slope b1 of y on sei (pooler's model): b1 < 0 -> Right, else Left
/// if Right, y := -y.  Sort studies by y ascending.  k0 = 0; repeat:
///     mu   = pooler.pool(the k - k0 smallest y)
///     r_i  = rank of |y_i - mu| (ties by position), signed by y_i - mu
///     L0:  S_r = sum of positive signed ranks;  k0 = (4 S_r - k(k+1)) / (2k - 1)
///          var S_r = (k(k+1)(2k+1) + 10k0^3 + 27k0^2 + 17k0 - 18k k0^2 - 18k k0 + 6k^2 k0) / 24
///          se(k0) = 4 sqrt(var S_r) / (2k - 1)
///     R0:  gamma = k - (largest rank among negative deviations);  k0 = gamma - 1
///          se(k0) = sqrt(2 max(0, k0) + 2);  p(k0) = 0.5^(k0 + 1)
///     k0 = max(0, round(k0))  (round half to even)
/// until k0 does not change.  Fill: for the k0 largest y,  y_fill = 2 mu - y,  v_fill = v
/// (back on the original scale), and pool the k + k0 studies with the pooler.
/// ```
/// As metafor does, the adjusted fit is tested with z whatever the pooler's test when
/// `k0 > 0` (metafor re-fits without passing `test`); with `k0 = 0` it is the pooler's own fit.
/// Errors with [`Error::TooFewStudies`] when `k < 3`, [`Error::NotConverged`] after
/// `max_iterations`, and [`Error::Undefined`] when R0 finds no negative deviation.
///
/// ```
/// use metapool::{effect::EffectSet, pool::FixedModel, bias::{trim_and_fill, Side, TrimFillOptions}};
/// let set = EffectSet::from_estimates(
///     &[0.9, 0.6, 0.45, 0.4, 0.3, 0.25, 0.2],
///     &[0.25, 0.12, 0.08, 0.06, 0.03, 0.02, 0.01],
/// )?;
/// let tf = trim_and_fill(&FixedModel::default().into(), &set, TrimFillOptions::default())?;
/// assert_eq!(tf.side, Side::Left); // metafor: side "left", k0 = 4
/// assert_eq!(tf.k0, 4);
/// assert_eq!(tf.fit.k, 7 + tf.k0);
/// # Ok::<(), metapool::Error>(())
/// ```
pub fn trim_and_fill(
    pooler: &Pooler,
    set: &EffectSet,
    options: TrimFillOptions,
) -> Result<TrimFill> {
    set.at_least("trim-and-fill", 3)?;
    let e = set.effects();
    let k = e.len();
    let side = match options.side {
        SideRule::Given(s) => s,
        SideRule::Estimate => {
            let y: Vec<f64> = e.iter().map(|x| x.estimate()).collect();
            let v: Vec<f64> = e.iter().map(|x| x.variance()).collect();
            let fit = pooler.regress(&y, &v, &standard_errors(set))?;
            if fit.beta[1] < 0.0 {
                Side::Right
            } else {
                Side::Left
            }
        }
    };
    let sign = match side {
        Side::Left => 1.0,
        Side::Right => -1.0,
    };
    // flipped estimates, sorted ascending (stable), with their variances
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| (sign * e[a].estimate()).total_cmp(&(sign * e[b].estimate())));
    let sorted = set.select(&order);
    let ys: Vec<f64> = order.iter().map(|&i| sign * e[i].estimate()).collect();
    let kf = k as f64;
    let mut k0 = 0usize;
    let mut k0_prev: Option<usize> = None;
    let mut iterations = 0;
    let mut se_k0 = 0.0;
    let mut mu = 0.0;
    while k0_prev != Some(k0) {
        k0_prev = Some(k0);
        iterations += 1;
        if iterations > options.max_iterations {
            return Err(Error::NotConverged {
                method: "trim-and-fill",
                iterations: options.max_iterations,
                last_iterate: k0 as f64,
                last_change: f64::NAN,
            });
        }
        let trimmed: Vec<usize> = (0..k - k0).collect();
        // the trimmed fit, on the flipped scale
        mu = sign * pooler.pool(&sorted.select(&trimmed))?.estimate;
        let dev: Vec<f64> = ys.iter().map(|y| y - mu).collect();
        // ranks of |dev|, ties by position ("first")
        let mut by_abs: Vec<usize> = (0..k).collect();
        by_abs.sort_by(|&a, &b| dev[a].abs().total_cmp(&dev[b].abs()));
        let mut rank = vec![0.0; k];
        for (r, &i) in by_abs.iter().enumerate() {
            rank[i] = (r + 1) as f64;
        }
        let estimate = match options.estimator {
            MissingEstimator::L0 => {
                let sr: f64 = (0..k).filter(|&i| dev[i] > 0.0).map(|i| rank[i]).sum();
                let est = (4.0 * sr - kf * (kf + 1.0)) / (2.0 * kf - 1.0);
                let var_sr = (kf * (kf + 1.0) * (2.0 * kf + 1.0)
                    + 10.0 * est.powi(3)
                    + 27.0 * est.powi(2)
                    + 17.0 * est
                    - 18.0 * kf * est.powi(2)
                    - 18.0 * kf * est
                    + 6.0 * kf * kf * est)
                    / 24.0;
                se_k0 = 4.0 * var_sr.sqrt() / (2.0 * kf - 1.0);
                est
            }
            MissingEstimator::R0 => {
                let max_neg = (0..k)
                    .filter(|&i| dev[i] < 0.0)
                    .map(|i| rank[i])
                    .fold(f64::NEG_INFINITY, f64::max);
                if !max_neg.is_finite() {
                    return Err(Error::Undefined {
                        what: "the R0 estimator",
                        why: "no study lies below the trimmed estimate",
                    });
                }
                let est = kf - max_neg - 1.0;
                se_k0 = (2.0 * est.max(0.0) + 2.0).sqrt();
                est
            }
        };
        se_k0 = se_k0.max(0.0);
        let r = round_half_even(estimate);
        k0 = if r > 0.0 { r as usize } else { 0 };
        if k0 >= k {
            return Err(Error::Undefined {
                what: "trim-and-fill",
                why: "the estimated number of missing studies is not below k",
            });
        }
    }
    if !se_k0.is_finite() {
        return Err(Error::NonFinite {
            what: "standard error of k0",
        });
    }
    let filled: Vec<Effect> = ((k - k0)..k)
        .map(|j| Effect::new(sign * (2.0 * mu - ys[j]), sorted.effects()[j].variance()))
        .collect::<Result<_>>()?;
    // k0 = 0: metafor returns the original fit; otherwise it re-fits the filled-in data with its
    // default z test, whatever the model's test
    let fit = if k0 == 0 {
        pooler.pool(set)?
    } else {
        // the filled-in studies have no 2x2 tables: Mantel-Haenszel and Peto fits are
        // re-fitted by inverse variance
        pooler
            .on_effects()
            .with_test(Test::Z)
            .pool(&set.extended(&filled))?
    };
    Ok(TrimFill {
        side,
        estimator: options.estimator,
        k0,
        se_k0,
        p_k0: match options.estimator {
            MissingEstimator::R0 => Some(0.5f64.powi(k0 as i32 + 1)),
            MissingEstimator::L0 => None,
        },
        iterations,
        filled,
        fit,
    })
}

/// Round to the nearest integer, halves to even (IEC 60559, as R's `round`).
fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_half_even_matches_r() {
        for (x, r) in [
            (0.5, 0.0),
            (1.5, 2.0),
            (2.5, 2.0),
            (-0.5, 0.0),
            (-1.5, -2.0),
            (1.4, 1.0),
        ] {
            assert_eq!(round_half_even(x), r, "{x}");
        }
    }
}
