//! Small-study effects and publication bias: Egger's regression test, Begg and Mazumdar's rank
//! correlation test, and Duval and Tweedie's trim-and-fill, with metafor's definitions
//! (`regtest`, `ranktest`, `trimfill`).

use crate::effect::{Effect, EffectSet};
use crate::error::{Error, Result};
use crate::inference::{normal_two_sided_p, ConfidenceLevel};
use crate::numeric::NeumaierSum;
use crate::pool::{weighted_least_squares, Interval, Pooled, Pooler, Test};

fn at_least(method: &'static str, needed: usize, set: &EffectSet) -> Result<()> {
    if set.len() < needed {
        return Err(Error::TooFewStudies {
            method,
            needed,
            got: set.len(),
        });
    }
    Ok(())
}

fn standard_errors(set: &EffectSet) -> Vec<f64> {
    set.effects().iter().map(|e| e.se()).collect()
}

/// Which regression model the regression test fits (metafor `regtest(model = ...)`).
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
/// use metapool::{EffectSet, FixedModel, bias::{regression_test, EggerModel}};
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
/// use metapool::{EffectSet, FixedModel, bias::{regression_test_on, EggerModel, Predictor}};
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
    at_least("regression test", 3, set)?;
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
            let s2w = match test {
                Test::Z | Test::T => 1.0,
                _ => {
                    let s = if fit.rss <= f64::EPSILON {
                        0.0
                    } else {
                        fit.rss / df as f64
                    };
                    if test == Test::KnappHartungAdHoc {
                        s.max(1.0)
                    } else {
                        s
                    }
                }
            };
            let se = [fit.se[0] * s2w.sqrt(), fit.se[1] * s2w.sqrt()];
            let statistic = fit.beta[1] / se[1];
            let (p, crit, df) = if test.is_t() {
                (
                    student_t_two_sided_p(statistic, df as f64),
                    student_t_quantile(1.0 - (1.0 - pooler.level().level()) / 2.0, df as f64),
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
            let t_crit = student_t_quantile(1.0 - (1.0 - level.level()) / 2.0, df as f64);
            RegressionTest {
                model,
                k,
                slope: fit.beta[1],
                slope_se: se[1],
                statistic,
                df: Some(df),
                p: student_t_two_sided_p(statistic, df as f64),
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

/// Two-sided p-value of a Student t statistic, `2 P(T_df >= |t|) = I_(df/(df+t^2))(df/2, 1/2)`.
fn student_t_two_sided_p(t: f64, df: f64) -> f64 {
    statrs::function::beta::beta_reg(df / 2.0, 0.5, df / (df + t * t))
}

/// Student t quantile: statrs' inverse cdf polished by Newton steps on the exact tail
/// (`qt(0.975, 7)` = 2.3646242515927844 is reproduced to 1e-15; see the unit test).
fn student_t_quantile(p: f64, df: f64) -> f64 {
    use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};
    let dist = match StudentsT::new(0.0, 1.0, df) {
        Ok(d) => d,
        Err(_) => return f64::NAN,
    };
    let mut t = dist.inverse_cdf(p);
    for _ in 0..8 {
        let tail = 0.5 * student_t_two_sided_p(t, df);
        let cdf = if t <= 0.0 { tail } else { 1.0 - tail };
        let step = (cdf - p) / dist.pdf(t);
        if !step.is_finite() {
            break;
        }
        t -= step;
        if step.abs() <= 1e-16 * t.abs().max(1.0) {
            break;
        }
    }
    t
}

/// How the rank test's p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RankPValue {
    /// The exact permutation distribution of Kendall's statistic (no ties).
    Exact,
    /// The normal approximation with the tie-corrected variance (ties present).
    NormalApproximation,
}

/// The result of the rank correlation test.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RankTest {
    /// Number of studies.
    pub k: usize,
    /// Kendall's tau (tau-b when there are ties).
    pub tau: f64,
    /// Kendall's score `S` = concordant - discordant pairs.
    pub score: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// How `p` was computed.
    pub method: RankPValue,
}

/// Begg and Mazumdar's (1994, Biometrics 50:1088) rank correlation test: Kendall's tau between
/// the standardized deviates and the sampling variances (metafor `ranktest`, which uses R's
/// `cor.test(method = "kendall", exact = TRUE)`).
///
/// ```text
/// theta = sum y_i/v_i / sum 1/v_i  (fixed-effect estimate, whatever the model),  v_b = 1/sum 1/v_i
/// y*_i  = (y_i - theta) / sqrt(v_i - v_b)
/// tau   = Kendall's tau-b of (y*_i, v_i),  S = concordant - discordant pairs
/// no ties:  p = min(1, 2 min(P(C <= c), P(C >= c))), C the number of concordant pairs under
///           independence (the Mahonian distribution on 0..k(k-1)/2)
/// ties:     z = S / sqrt(var S) with the tie-corrected variance (Kendall 1970), p = 2 (1 - Phi(|z|))
/// ```
/// Errors with [`Error::TooFewStudies`] when `k < 3`, and with [`Error::Undefined`] when tau
/// is undefined (all deviates or all variances equal).
///
/// ```
/// use metapool::{EffectSet, bias::{rank_test, RankPValue}};
/// let set = EffectSet::from_estimates(&[0.9, 0.6, 0.4, 0.3, 0.2], &[0.25, 0.12, 0.06, 0.02, 0.01])?;
/// let begg = rank_test(&set)?;
/// assert_eq!(begg.method, RankPValue::Exact);
/// assert!((begg.tau - 1.0).abs() < 1e-15);
/// assert!((begg.p - 2.0 / 120.0).abs() < 1e-15); // 2 / 5!
/// # Ok::<(), metapool::Error>(())
/// ```
pub fn rank_test(set: &EffectSet) -> Result<RankTest> {
    at_least("rank correlation test", 3, set)?;
    let e = set.effects();
    let k = e.len();
    let (mut sw, mut swy) = (NeumaierSum::default(), NeumaierSum::default());
    for x in e {
        sw.add(1.0 / x.variance());
        swy.add(x.estimate() / x.variance());
    }
    let theta = swy.value() / sw.value();
    let vb = 1.0 / sw.value();
    let ys: Vec<f64> = e
        .iter()
        .map(|x| (x.estimate() - theta) / (x.variance() - vb).sqrt())
        .collect();
    let vs: Vec<f64> = e.iter().map(|x| x.variance()).collect();
    let kt = kendall(&ys, &vs);
    if kt.x_untied_pairs == 0 || kt.y_untied_pairs == 0 {
        return Err(Error::Undefined {
            what: "Kendall's tau",
            why: "all standardized deviates or all variances are equal",
        });
    }
    let tau =
        kt.score as f64 / ((kt.x_untied_pairs as f64).sqrt() * (kt.y_untied_pairs as f64).sqrt());
    let (p, method) = if kt.x_ties.is_empty() && kt.y_ties.is_empty() {
        (kendall_exact_p(k, kt.concordant), RankPValue::Exact)
    } else {
        let z = kt.score as f64 / kendall_tied_variance(k, &kt.x_ties, &kt.y_ties).sqrt();
        (normal_two_sided_p(z), RankPValue::NormalApproximation)
    };
    if !(tau.is_finite() && p.is_finite()) {
        return Err(Error::NonFinite {
            what: "rank correlation test",
        });
    }
    Ok(RankTest {
        k,
        tau,
        score: kt.score as f64,
        p,
        method,
    })
}

struct KendallCounts {
    score: i64,
    concordant: u64,
    x_untied_pairs: u64,
    y_untied_pairs: u64,
    /// sizes of the groups of tied x values (size >= 2)
    x_ties: Vec<u64>,
    y_ties: Vec<u64>,
}

fn tie_groups(a: &[f64]) -> Vec<u64> {
    let mut s = a.to_vec();
    s.sort_by(f64::total_cmp);
    let mut groups = Vec::new();
    let mut run = 1u64;
    for w in s.windows(2) {
        if w[0] == w[1] {
            run += 1;
        } else {
            if run > 1 {
                groups.push(run);
            }
            run = 1;
        }
    }
    if run > 1 {
        groups.push(run);
    }
    groups
}

fn kendall(x: &[f64], y: &[f64]) -> KendallCounts {
    let n = x.len();
    let (mut score, mut concordant) = (0i64, 0u64);
    let (mut xu, mut yu) = (0u64, 0u64);
    for i in 0..n {
        for j in (i + 1)..n {
            let sx = (x[i] - x[j]).partial_cmp(&0.0).map_or(0, |o| o as i64);
            let sy = (y[i] - y[j]).partial_cmp(&0.0).map_or(0, |o| o as i64);
            score += sx * sy;
            if sx * sy > 0 {
                concordant += 1;
            }
            xu += (sx != 0) as u64;
            yu += (sy != 0) as u64;
        }
    }
    KendallCounts {
        score,
        concordant,
        x_untied_pairs: xu,
        y_untied_pairs: yu,
        x_ties: tie_groups(x),
        y_ties: tie_groups(y),
    }
}

/// Two-sided exact p-value of Kendall's statistic with `c` concordant pairs among `n`
/// observations without ties, as R's `cor.test(method = "kendall", exact = TRUE)`:
/// ```text
/// T = n(n-1)/2;  P(C = j) = M(n, j) / n!,  M the Mahonian numbers (permutations of n with j
/// inversions): M(m, j) = sum_(i=0)^(m-1) M(m-1, j-i)
/// p = min(1, 2 P(C <= c)) if c <= T/2, else min(1, 2 P(C >= c)) = min(1, 2 P(C <= T - c))
/// ```
/// The distribution is built normalized (each step divides by m, so no factorial overflows) and
/// only up to the tail needed; the upper tail uses the symmetry `P(C = j) = P(C = T - j)` so a
/// small p is a sum of small terms, not `1 - cdf`. (R computes the upper tail as `1 - cdf`, so
/// its p-values below about 1e-12 are rounding noise: for n = 150 and 8648 concordant pairs R
/// prints 1.87e-13 where the exact value is 1.82e-26; above that level the two agree to
/// about 1e-14.)
pub(crate) fn kendall_exact_p(n: usize, c: u64) -> f64 {
    let total = (n * (n - 1) / 2) as u64;
    // R: if q > n(n-1)/4 use the upper tail
    let tail = if 2 * c > total { total - c } else { c } as usize;
    let mut pmf = vec![0.0f64; tail + 1];
    pmf[0] = 1.0;
    let mut prefix = vec![0.0f64; tail + 2];
    for m in 2..=n {
        // prefix[j] = sum_{i<j} pmf_(m-1)(i)
        prefix[0] = 0.0;
        for j in 0..=tail {
            prefix[j + 1] = prefix[j] + pmf[j];
        }
        let inv_m = 1.0 / m as f64;
        for j in 0..=tail {
            let lo = j.saturating_sub(m - 1);
            pmf[j] = (prefix[j + 1] - prefix[lo]) * inv_m;
        }
    }
    let mut cdf = NeumaierSum::default();
    for &x in &pmf {
        cdf.add(x);
    }
    (2.0 * cdf.value()).min(1.0)
}

/// Variance of Kendall's S with ties (Kendall 1970; R `cor.test`), from the tie-group sizes:
/// ```text
/// var S = (v0 - vt - vu)/18 + v1/(2n(n-1)) + v2/(9n(n-1)(n-2))
/// v0 = n(n-1)(2n+5),  vt = sum t(t-1)(2t+5),  vu = sum u(u-1)(2u+5)
/// v1 = sum t(t-1) sum u(u-1),  v2 = sum t(t-1)(t-2) sum u(u-1)(u-2)
/// ```
fn kendall_tied_variance(n: usize, xt: &[u64], yt: &[u64]) -> f64 {
    let n = n as f64;
    let f = |g: &[u64], h: &dyn Fn(f64) -> f64| g.iter().map(|&t| h(t as f64)).sum::<f64>();
    let v0 = n * (n - 1.0) * (2.0 * n + 5.0);
    let vt = f(xt, &|t| t * (t - 1.0) * (2.0 * t + 5.0));
    let vu = f(yt, &|u| u * (u - 1.0) * (2.0 * u + 5.0));
    let v1 = f(xt, &|t| t * (t - 1.0)) * f(yt, &|u| u * (u - 1.0));
    let v2 = f(xt, &|t| t * (t - 1.0) * (t - 2.0)) * f(yt, &|u| u * (u - 1.0) * (u - 2.0));
    (v0 - vt - vu) / 18.0 + v1 / (2.0 * n * (n - 1.0)) + v2 / (9.0 * n * (n - 1.0) * (n - 2.0))
}

/// The estimator of the number of missing studies in trim-and-fill (Duval & Tweedie 2000).
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Side {
    /// Studies are missing on the left (small effects); the filled studies lie to the left.
    Left,
    /// Studies are missing on the right.
    Right,
}

/// How trim-and-fill picks the side.
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
/// use metapool::{EffectSet, FixedModel, bias::{trim_and_fill, Side, TrimFillOptions}};
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
    at_least("trim-and-fill", 3, set)?;
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
    fn student_t_matches_r() {
        // R: 2 * pt(-2.5, 7) = 0.040992218585752874, qt(0.975, 7) = 2.3646242515927844
        assert!((student_t_two_sided_p(2.5, 7.0) / 0.040992218585752874 - 1.0).abs() < 1e-14);
        assert!((student_t_quantile(0.975, 7.0) / 2.3646242515927844 - 1.0).abs() < 1e-15);
        assert!((student_t_quantile(0.975, 1.0) / 12.706204736174694 - 1.0).abs() < 1e-14);
    }

    #[test]
    fn kendall_exact_large_n_matches_r() {
        // R: cor.test(1:100, ((1:100) * 37) %% 101, method = "kendall", exact = TRUE): T = 2502
        let p = kendall_exact_p(100, 2502);
        assert!((p / 0.874_915_696_769_358_8 - 1.0).abs() < 1e-12, "{p:e}");
        // n = 150, T = 8648: R prints 1.8673951274195133e-13, computed as 1 - P(T <= 8647), which
        // is all cancellation error; the exact value (Mahonian counts in rational arithmetic,
        // Python fractions) is 1.8186022649149868e-26, and the tail summed directly gets it
        let p = kendall_exact_p(150, 8648);
        assert!((p / 1.8186022649149868e-26 - 1.0).abs() < 1e-13, "{p:e}");
    }

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

    #[test]
    fn kendall_exact_small_n_by_enumeration() {
        // n = 4: Mahonian numbers 1 3 5 6 5 3 1 (permutations of 4 by inversions), over 24
        let m = [1.0, 3.0, 5.0, 6.0, 5.0, 3.0, 1.0];
        for c in 0..=6usize {
            let tail: f64 = if 2 * c > 6 {
                m[c..].iter().sum()
            } else {
                m[..=c].iter().sum()
            };
            let expected = (2.0 * tail / 24.0f64).min(1.0);
            assert!(
                (kendall_exact_p(4, c as u64) - expected).abs() < 1e-15,
                "c = {c}"
            );
        }
    }
}
