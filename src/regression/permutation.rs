//! Permutation tests of a meta-regression (metafor `permutest.rma.uni`, Higgins & Thompson
//! 2004; Viechtbauer et al. 2015).
//!
//! ```text
//! with moderators: the rows of X are permuted over the studies (y, v stay), the model refitted
//!                  (same estimator, test, btt) for every distinct arrangement of the rows
//!                  (exact) or for random permutations (the observed arrangement counted first)
//! intercept only:  the signs of y are flipped (every one of the 2^k sign vectors, or random)
//! p_j  = share of fits with |z_j*| >= |z_j| - tol     (two-sided, tol = sqrt(eps))
//! p_QM = share of fits with QM* >= QM - tol
//! ```
//! Fits that fail (a permuted design that is rank deficient, an estimator that does not
//! converge) are left out of the shares, as metafor does. Exact enumeration is used when the
//! number of distinct arrangements is at most the number of iterations asked for (metafor's
//! rule), otherwise random permutations from a seeded generator (SplitMix64 and Fisher-Yates:
//! reproducible from the seed, not R's random numbers).

use super::matrix::ModelMatrix;
use super::r2::PseudoR2;
use super::result::RegressionFit;
use crate::error::{Error, Problem, Result};

/// metafor's `comptol`: `sqrt(eps)`.
const COMPARISON_TOLERANCE: f64 = 1.490_116_119_384_765_6e-8;

/// How the permutations are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Permutations {
    /// Every distinct arrangement (errors if there are more than `limit`).
    Exact {
        /// The most arrangements to enumerate.
        limit: u64,
    },
    /// metafor's default: exact when there are at most `iterations` distinct arrangements,
    /// otherwise `iterations` random permutations (the first the observed one) from `seed`.
    Auto {
        /// Number of permutations (at least 2).
        iterations: u64,
        /// Seed of the generator.
        seed: u64,
    },
}

impl Default for Permutations {
    /// metafor's `iter = 1000`, seed 1.
    fn default() -> Self {
        Permutations::Auto {
            iterations: 1000,
            seed: 1,
        }
    }
}

/// The result of a permutation test.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PermutationTest {
    /// Permutation p-value of each coefficient.
    pub p: Vec<f64>,
    /// Permutation p-value of the omnibus test QM.
    pub qm_p: f64,
    /// Permutations made (including those whose fit failed).
    pub permutations: u64,
    /// Fits that failed and were left out.
    pub failed: u64,
    /// Whether every distinct arrangement was enumerated.
    pub exact: bool,
}

/// SplitMix64 (Steele, Lea & Flood 2014): a small, fast, well-mixed generator.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (Lemire's multiply-shift; bias below 2^-40 for the n used here).
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 11) as u128 * n as u128) >> 53) as usize
    }
}

/// Rearrange `a` into the next larger arrangement in lexicographic order (each distinct
/// arrangement of a multiset once); false after the last.
fn next_arrangement(a: &mut [usize]) -> bool {
    let n = a.len();
    if n < 2 {
        return false;
    }
    let mut i = n - 1;
    while i > 0 && a[i - 1] >= a[i] {
        i -= 1;
    }
    if i == 0 {
        return false;
    }
    let mut j = n - 1;
    while a[j] <= a[i - 1] {
        j -= 1;
    }
    a.swap(i - 1, j);
    a[i..].reverse();
    true
}

/// `k! / prod(m_g!)` for group sizes `m_g`, saturating at `u64::MAX`.
fn arrangements(sizes: &[usize]) -> u64 {
    // multiply binomial coefficients: C(m1, m1) C(m1 + m2, m2) ...
    let mut total: u128 = 1;
    let mut n = 0usize;
    for &m in sizes {
        for i in 1..=m {
            n += 1;
            total = total * n as u128 / i as u128;
            if total > u64::MAX as u128 {
                return u64::MAX;
            }
        }
    }
    total as u64
}

impl RegressionFit {
    /// The permutation test of the coefficients and of QM (see the module documentation).
    pub fn permutation_test(&self, how: Permutations) -> Result<PermutationTest> {
        let intercept_only = self.x.has_intercept() && self.p() == 1;
        let k = self.k;
        // group identical rows of X: labels 0..g in order of first appearance
        let mut reps: Vec<usize> = Vec::new();
        let mut labels = vec![0usize; k];
        for (i, label) in labels.iter_mut().enumerate() {
            let found = reps
                .iter()
                .position(|&r| (0..self.p()).all(|j| self.x.get(r, j) == self.x.get(i, j)));
            *label = found.unwrap_or_else(|| {
                reps.push(i);
                reps.len() - 1
            });
        }
        let exact_count = if intercept_only {
            if k >= 64 {
                u64::MAX
            } else {
                1u64 << k
            }
        } else {
            let mut sizes = vec![0usize; reps.len()];
            labels.iter().for_each(|&l| sizes[l] += 1);
            arrangements(&sizes)
        };
        let (exact, count, seed) = match how {
            Permutations::Exact { limit } => {
                if exact_count > limit {
                    return Err(Error::InvalidParameter {
                        name: "permutations",
                        problem: Problem::TooSmall {
                            min: exact_count as f64,
                            got: limit as f64,
                        },
                    });
                }
                (true, exact_count, 0)
            }
            Permutations::Auto { iterations, seed } => {
                if iterations < 2 {
                    return Err(Error::InvalidParameter {
                        name: "iterations",
                        problem: Problem::TooSmall {
                            min: 2.0,
                            got: iterations as f64,
                        },
                    });
                }
                if exact_count <= iterations {
                    (true, exact_count, 0)
                } else {
                    (false, iterations, seed)
                }
            }
        };
        let observed_z: Vec<f64> = self.coefficients.iter().map(|c| c.statistic).collect();
        let observed_qm = self.moderators.statistic;
        let mut counts = Tally::new(self.p());
        let mut rng = SplitMix64(seed);
        if intercept_only {
            for n in 0..count {
                let signs: Vec<f64> = if exact {
                    (0..k)
                        .map(|i| if n >> i & 1 == 1 { -1.0 } else { 1.0 })
                        .collect()
                } else if n == 0 {
                    vec![1.0; k]
                } else {
                    (0..k)
                        .map(|_| if rng.next() >> 63 == 1 { -1.0 } else { 1.0 })
                        .collect()
                };
                let y: Vec<f64> = self.y.iter().zip(&signs).map(|(y, s)| y * s).collect();
                counts.add(self.refit(&y, &self.x), &observed_z, observed_qm);
            }
        } else {
            let mut arrangement: Vec<usize> = labels.clone();
            arrangement.sort_unstable();
            let mut order: Vec<usize> = (0..k).collect();
            for n in 0..count {
                let rows: Vec<usize> = if exact {
                    if n > 0 {
                        next_arrangement(&mut arrangement);
                    }
                    arrangement.iter().map(|&g| reps[g]).collect()
                } else {
                    if n > 0 {
                        for i in (1..k).rev() {
                            order.swap(i, rng.below(i + 1));
                        }
                    }
                    order.clone()
                };
                let columns: Vec<Vec<f64>> = (0..self.p())
                    .map(|j| rows.iter().map(|&r| self.x.get(r, j)).collect())
                    .collect();
                let fit = ModelMatrix::new(self.x.names().to_vec(), columns)
                    .and_then(|xm| self.refit(&self.y, &xm));
                counts.add(fit, &observed_z, observed_qm);
            }
        }
        counts.finish(count, exact)
    }

    fn refit(&self, y: &[f64], x: &ModelMatrix) -> Result<RegressionFit> {
        let mut spec = self.spec.clone();
        spec.btt = Some(self.moderators.btt.clone());
        spec.fit_with(y, &self.v, x, self.scale, PseudoR2::Skip)
    }
}

struct Tally {
    z_at_least: Vec<u64>,
    qm_at_least: u64,
    fitted: u64,
    failed: u64,
}

impl Tally {
    fn new(p: usize) -> Tally {
        Tally {
            z_at_least: vec![0; p],
            qm_at_least: 0,
            fitted: 0,
            failed: 0,
        }
    }
    fn add(&mut self, fit: Result<RegressionFit>, z: &[f64], qm: f64) {
        let Ok(fit) = fit else {
            self.failed += 1;
            return;
        };
        self.fitted += 1;
        for (j, c) in fit.coefficients.iter().enumerate() {
            if c.statistic.abs() >= z[j].abs() - COMPARISON_TOLERANCE {
                self.z_at_least[j] += 1;
            }
        }
        if fit.moderators.statistic >= qm - COMPARISON_TOLERANCE {
            self.qm_at_least += 1;
        }
    }
    fn finish(self, count: u64, exact: bool) -> Result<PermutationTest> {
        if self.fitted == 0 {
            return Err(Error::Undefined {
                what: "permutation test",
                why: "no permuted model could be fitted",
            });
        }
        let share = |n: u64| (n as f64 / self.fitted as f64).min(1.0);
        Ok(PermutationTest {
            p: self.z_at_least.iter().map(|&n| share(n)).collect(),
            qm_p: share(self.qm_at_least),
            permutations: count,
            failed: self.failed,
            exact,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrangements_of_a_multiset_are_enumerated_once() {
        let mut a = vec![0, 0, 1, 2];
        let mut n = 1;
        while next_arrangement(&mut a) {
            n += 1;
        }
        assert_eq!(n, 12);
        assert_eq!(arrangements(&[2, 1, 1]), 12);
        assert_eq!(arrangements(&[1; 10]), 3_628_800);
        assert_eq!(arrangements(&[1; 40]), u64::MAX);
    }
}
