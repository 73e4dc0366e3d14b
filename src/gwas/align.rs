//! Aligning one cohort's row to its variant: METAL's orientation
//! ([`Oriented`](super::Oriented)), the palindromic policy, and the sample-size z.

use super::alleles::{complement_in_place, is_palindromic, orient_into, Palindromic};
use super::reader::{Reason, Record};
use super::Scheme;
use crate::inference::normal_quantile;

/// One cohort's contribution to a variant, aligned to the variant's canonical first allele.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Study {
    /// 0-based cohort position.
    pub cohort: usize,
    /// Effect of the canonical first allele (NaN when not read).
    pub effect: f64,
    /// Standard error (NaN when not read).
    pub se: f64,
    /// Signed z of the sample-size scheme, `z = Phi^-1(1 - p/2)` with the effect's sign (NaN
    /// when not read).
    pub z: f64,
    /// Sample size.
    pub weight: f64,
    /// Frequency of the canonical first allele (NaN when not read).
    pub frequency: f64,
}

/// A variant with its cohorts' aligned contributions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Variant {
    /// Marker name.
    pub marker: String,
    /// Chromosome (from the first row).
    pub chromosome: String,
    /// Position (from the first row; 0 when absent).
    pub position: u64,
    /// Canonical first allele (lower case; see [`Oriented`](super::Oriented)).
    pub first: String,
    /// Canonical second allele.
    pub second: String,
    /// Whether the first accepted row was on the complementary strand of the canonical pair.
    pub first_row_complemented: bool,
    /// Whether the first accepted row's effect allele is the canonical second allele.
    pub first_row_swapped: bool,
    /// The aligned contributions, in cohort order.
    pub studies: Vec<Study>,
    pub(crate) reference_frequency: f64,
    pub(crate) has_alleles: bool,
}

impl Variant {
    /// A variant with no contributions yet.
    pub fn new(marker: &str) -> Self {
        Variant {
            marker: marker.to_string(),
            reference_frequency: f64::NAN,
            ..Variant::default()
        }
    }

    /// The canonical alleles on the strand of the first row, lower case (METAL's `Allele1`,
    /// `Allele2`): the effects of a result refer to the first.
    pub fn metal_alleles(&self) -> (String, String) {
        let (mut a, mut b) = (self.first.clone(), self.second.clone());
        if self.first_row_complemented {
            complement_in_place(&mut a);
            complement_in_place(&mut b);
        }
        (a, b)
    }
}

/// Aligns rows to variants: METAL's orientation ([`Oriented`](super::Oriented)), the
/// palindromic policy, and the sample-size z.
#[derive(Debug, Clone, Default)]
pub struct Aligner {
    /// Policy for A/T and C/G variants.
    pub palindromic: Palindromic,
    scheme: Scheme,
    first: String,
    second: String,
}

impl Aligner {
    /// An aligner for `scheme` with the given palindromic policy.
    pub fn new(scheme: Scheme, palindromic: Palindromic) -> Self {
        Aligner {
            palindromic,
            scheme,
            first: String::new(),
            second: String::new(),
        }
    }

    /// Add `rec` of cohort `cohort` to `v`, or say why it is excluded.
    pub fn add(
        &mut self,
        v: &mut Variant,
        cohort: usize,
        rec: &Record,
    ) -> std::result::Result<(), Reason> {
        if v.studies.last().is_some_and(|s| s.cohort == cohort) {
            return Err(Reason::Duplicate);
        }
        let has_alleles = !rec.effect_allele.is_empty() && !rec.other_allele.is_empty();
        let flags = if has_alleles {
            orient_into(
                &rec.effect_allele,
                &rec.other_allele,
                &mut self.first,
                &mut self.second,
            )
        } else {
            self.first.clear();
            self.second.clear();
            super::alleles::Flags {
                swapped: false,
                complemented: false,
            }
        };
        if v.has_alleles && has_alleles && (self.first != v.first || self.second != v.second) {
            return Err(Reason::AlleleMismatch);
        }
        let sign = if flags.swapped { -1.0 } else { 1.0 };
        let mut effect = sign * rec.effect;
        let mut z = f64::NAN;
        if self.scheme == Scheme::SampleSize {
            let magnitude = -normal_quantile(rec.p * 0.5);
            z = sign * if rec.negative { -magnitude } else { magnitude };
        }
        let mut frequency = if flags.swapped {
            1.0 - rec.frequency
        } else {
            rec.frequency
        };
        let palindromic = has_alleles && is_palindromic(&self.first, &self.second);
        if palindromic {
            match self.palindromic {
                Palindromic::Keep => {}
                Palindromic::Drop => return Err(Reason::Palindromic),
                Palindromic::Frequency { threshold } => {
                    if frequency.is_nan() || (frequency - 0.5).abs() <= threshold {
                        return Err(Reason::AmbiguousPalindromic);
                    }
                    let r = v.reference_frequency;
                    if r.is_finite() && (frequency - 0.5) * (r - 0.5) < 0.0 {
                        effect = -effect;
                        z = -z;
                        frequency = 1.0 - frequency;
                    }
                }
            }
        }
        if v.studies.is_empty() && !v.has_alleles {
            v.chromosome.clear();
            v.chromosome.push_str(&rec.chromosome);
            v.position = rec.position;
        }
        if !v.has_alleles && has_alleles {
            v.first.clone_from(&self.first);
            v.second.clone_from(&self.second);
            v.first_row_complemented = flags.complemented;
            v.first_row_swapped = flags.swapped;
            v.has_alleles = true;
            v.reference_frequency = frequency;
        }
        v.studies.push(Study {
            cohort,
            effect,
            se: rec.se,
            z,
            weight: rec.weight,
            frequency,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(a1: &str, a2: &str, effect: f64, frequency: f64) -> Record {
        Record {
            marker: "rs1".into(),
            effect_allele: a1.into(),
            other_allele: a2.into(),
            effect,
            se: 0.1,
            weight: 100.0,
            frequency,
            ..Record::default()
        }
    }

    type Added = Vec<std::result::Result<(), Reason>>;

    fn add(policy: Palindromic, rows: &[Record]) -> (Variant, Added) {
        let mut a = Aligner::new(Scheme::InverseVariance, policy);
        let mut v = Variant::new("rs1");
        let r = rows
            .iter()
            .enumerate()
            .map(|(c, r)| a.add(&mut v, c, r))
            .collect();
        (v, r)
    }

    #[test]
    fn swaps_strand_flips_and_mismatches() {
        // A/G; G/A swapped; T/C the other strand; C/T the other strand swapped; A/C a mismatch
        let rows = [
            rec("A", "G", 0.1, 0.2),
            rec("g", "a", -0.2, 0.7),
            rec("T", "C", 0.3, 0.25),
            rec("C", "T", -0.4, 0.75),
            rec("A", "C", 0.5, 0.2),
        ];
        let (v, r) = add(Palindromic::Keep, &rows);
        assert_eq!(r[..4], [Ok(()), Ok(()), Ok(()), Ok(())]);
        assert_eq!(r[4], Err(Reason::AlleleMismatch));
        let e: Vec<f64> = v.studies.iter().map(|s| s.effect).collect();
        assert_eq!(e, [0.1, 0.2, 0.3, 0.4]);
        let f: Vec<f64> = v.studies.iter().map(|s| s.frequency).collect();
        assert!((f[1] - 0.3).abs() < 1e-15 && (f[3] - 0.25).abs() < 1e-15);
    }

    #[test]
    fn palindromic_policies() {
        // first cohort A/T with f(A) = 0.2; second labels A/T but f(A) = 0.8: by frequency, a
        // strand flip; third f = 0.55: ambiguous within 0.1 of 0.5
        let rows = [
            rec("A", "T", 0.1, 0.2),
            rec("A", "T", -0.3, 0.8),
            rec("A", "T", 0.2, 0.55),
        ];
        let (v, r) = add(Palindromic::Keep, &rows);
        assert!(r.iter().all(|x| x.is_ok()));
        assert_eq!(v.studies[1].effect, -0.3);
        let (v, r) = add(Palindromic::Frequency { threshold: 0.1 }, &rows);
        assert_eq!(r, [Ok(()), Ok(()), Err(Reason::AmbiguousPalindromic)]);
        assert_eq!(v.studies[1].effect, 0.3);
        assert!((v.studies[1].frequency - 0.2).abs() < 1e-15);
        let (v, r) = add(Palindromic::Drop, &rows);
        assert!(r.iter().all(|x| *x == Err(Reason::Palindromic)));
        assert!(v.studies.is_empty());
        // a non-palindromic variant is never dropped
        let (_, r) = add(Palindromic::Drop, &[rec("A", "G", 0.1, 0.5)]);
        assert_eq!(r, [Ok(())]);
    }

    #[test]
    fn duplicates_are_refused() {
        let mut a = Aligner::new(Scheme::InverseVariance, Palindromic::Keep);
        let mut v = Variant::new("rs1");
        assert_eq!(a.add(&mut v, 0, &rec("A", "G", 0.1, 0.2)), Ok(()));
        assert_eq!(
            a.add(&mut v, 0, &rec("A", "G", 0.1, 0.2)),
            Err(Reason::Duplicate)
        );
    }
}
