//! Begg and Mazumdar's rank correlation test (metafor `ranktest`).

use crate::effect::EffectSet;
use crate::error::{Error, Result};
use crate::inference::normal_two_sided_p;
use crate::numeric::NeumaierSum;

/// How the rank test's p-value was computed.
///
/// ```
/// use metapool::{effect::EffectSet, bias::{rank_test, RankPValue}};
/// // tied variances: the normal approximation with the tie-corrected variance
/// let set = EffectSet::from_estimates(&[0.9, 0.6, 0.4, 0.3], &[0.2, 0.2, 0.05, 0.01])?;
/// assert_eq!(rank_test(&set)?.method, RankPValue::NormalApproximation);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RankPValue {
    /// The exact permutation distribution of Kendall's statistic (no ties).
    Exact,
    /// The normal approximation with the tie-corrected variance (ties present).
    NormalApproximation,
}

/// The result of the rank correlation test.
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
/// use metapool::bias::{rank_test, RankPValue};
/// let begg = rank_test(&set)?;
/// // metafor ranktest(dat.bcg): Kendall's tau = 0.0256, p = 0.9524 (exact)
/// assert!((begg.tau - 0.02564102564102564).abs() < 1e-15); // 2 / 78: S = 2 of 78 pairs
/// assert!((begg.p - 0.9523619079608663).abs() < 1e-12);
/// assert_eq!((begg.k, begg.score, begg.method), (13, 2.0, RankPValue::Exact));
/// # Ok::<(), metapool::Error>(())
/// ```
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
/// use metapool::{effect::EffectSet, bias::{rank_test, RankPValue}};
/// let set = EffectSet::from_estimates(&[0.9, 0.6, 0.4, 0.3, 0.2], &[0.25, 0.12, 0.06, 0.02, 0.01])?;
/// let begg = rank_test(&set)?;
/// assert_eq!(begg.method, RankPValue::Exact);
/// assert!((begg.tau - 1.0).abs() < 1e-15);
/// assert!((begg.p - 2.0 / 120.0).abs() < 1e-15); // 2 / 5!
/// # Ok::<(), metapool::Error>(())
/// ```
pub fn rank_test(set: &EffectSet) -> Result<RankTest> {
    set.at_least("rank correlation test", 3)?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
