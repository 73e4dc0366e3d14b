//! Aligning one cohort's row to its variant: METAL's orientation
//! ([`Oriented`](super::Oriented)), the palindromic policy, and the sample-size z.

use super::alleles::{complement_in_place, is_palindromic, orient_into, Palindromic};
use super::reader::{Reason, Record};
use super::Scheme;
use crate::inference::normal_quantile;

/// One cohort's contribution to a variant, aligned to the variant's canonical first allele.
///
/// ```
/// // `cohorts`: two variants of the three cohort files of fixtures/gwas (PLINK, METAL, CSV layouts)
/// # use metapool::gwas::*;
/// # let cohorts = [
/// #     "CHR SNP BP A1 A2 BETA SE P NMISS EAF\n1 rs10000 11761 A T 0.019251 0.032826 0.557569 5000 0.1057\n1 rs10001 14819 G T -0.01257 0.02171 0.562592 5000 0.2448\n",
/// #     "MarkerName\tCHR\tPOS\tEA\tNEA\tEffect\tStdErr\tP\tN\tFREQ1\nrs10000\t1\t11761\tA\tT\t-0.01188\t0.045014\t0.791843\t3200\t0.1059\nrs10001\t1\t14819\tG\tT\t-0.067698\t0.029038\t0.0197344\t3200\t0.2266\n",
/// #     "rsid,chrom,pos,allele1,allele2,beta,se,pval,n,eaf\nrs10000,1,11761,A,T,0.00533,0.027665,0.847224,8000,0.1045\nrs10001,1,14819,G,T,-0.016554,0.018497,0.370811,8000,0.2334\n",
/// # ];
/// # let spec = ReadSpec::new(Scheme::InverseVariance);
/// # let mut table = VariantTable::new();
/// # let mut aligner = Aligner::new(Scheme::InverseVariance, Palindromic::Keep);
/// # for (c, text) in cohorts.iter().enumerate() {
/// #     let mut r = CohortReader::new(text.as_bytes(), &format!("cohort{}", c + 1), &spec)?;
/// #     table.read_cohort(&mut r, c, &mut aligner, OnInvalidRow::Stop, None)?;
/// # }
/// // rs10001 is G/T in every cohort: canonical a/c (the complement), so effects refer to T
/// let s = &table.variants()[1].studies;
/// assert_eq!(s.iter().map(|s| s.effect).collect::<Vec<_>>(), [0.01257, 0.067698, 0.016554]);
/// assert_eq!((s[2].cohort, s[2].weight, s[0].frequency), (2, 8000.0, 1.0 - 0.2448));
/// # Ok::<(), metapool::Error>(())
/// ```
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
///
/// ```
/// // `cohorts`: two variants of the three cohort files of fixtures/gwas (PLINK, METAL, CSV layouts)
/// # use metapool::gwas::*;
/// # let cohorts = [
/// #     "CHR SNP BP A1 A2 BETA SE P NMISS EAF\n1 rs10000 11761 A T 0.019251 0.032826 0.557569 5000 0.1057\n1 rs10001 14819 G T -0.01257 0.02171 0.562592 5000 0.2448\n",
/// #     "MarkerName\tCHR\tPOS\tEA\tNEA\tEffect\tStdErr\tP\tN\tFREQ1\nrs10000\t1\t11761\tA\tT\t-0.01188\t0.045014\t0.791843\t3200\t0.1059\nrs10001\t1\t14819\tG\tT\t-0.067698\t0.029038\t0.0197344\t3200\t0.2266\n",
/// #     "rsid,chrom,pos,allele1,allele2,beta,se,pval,n,eaf\nrs10000,1,11761,A,T,0.00533,0.027665,0.847224,8000,0.1045\nrs10001,1,14819,G,T,-0.016554,0.018497,0.370811,8000,0.2334\n",
/// # ];
/// # let spec = ReadSpec::new(Scheme::InverseVariance);
/// # let mut table = VariantTable::new();
/// # let mut aligner = Aligner::new(Scheme::InverseVariance, Palindromic::Keep);
/// # for (c, text) in cohorts.iter().enumerate() {
/// #     let mut r = CohortReader::new(text.as_bytes(), &format!("cohort{}", c + 1), &spec)?;
/// #     table.read_cohort(&mut r, c, &mut aligner, OnInvalidRow::Stop, None)?;
/// # }
/// let v = &table.variants()[0];
/// assert_eq!((v.marker.as_str(), v.chromosome.as_str(), v.position), ("rs10000", "1", 11761));
/// assert_eq!((v.first.as_str(), v.second.as_str(), v.studies.len()), ("a", "t", 3));
/// # Ok::<(), metapool::Error>(())
/// ```
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
    ///
    /// ```
    /// use metapool::gwas::Variant;
    /// let v = Variant::new("rs123");
    /// assert_eq!(v.marker, "rs123");
    /// assert!(v.studies.is_empty());
    /// ```
    pub fn new(marker: &str) -> Self {
        Variant {
            marker: marker.to_string(),
            reference_frequency: f64::NAN,
            ..Variant::default()
        }
    }

    /// The canonical alleles on the strand of the first row, lower case (METAL's `Allele1`,
    /// `Allele2`): the effects of a result refer to the first.
    ///
    /// ```
    /// // `cohorts`: two variants of the three cohort files of fixtures/gwas (PLINK, METAL, CSV layouts)
    /// # use metapool::gwas::*;
    /// # let cohorts = [
    /// #     "CHR SNP BP A1 A2 BETA SE P NMISS EAF\n1 rs10000 11761 A T 0.019251 0.032826 0.557569 5000 0.1057\n1 rs10001 14819 G T -0.01257 0.02171 0.562592 5000 0.2448\n",
    /// #     "MarkerName\tCHR\tPOS\tEA\tNEA\tEffect\tStdErr\tP\tN\tFREQ1\nrs10000\t1\t11761\tA\tT\t-0.01188\t0.045014\t0.791843\t3200\t0.1059\nrs10001\t1\t14819\tG\tT\t-0.067698\t0.029038\t0.0197344\t3200\t0.2266\n",
    /// #     "rsid,chrom,pos,allele1,allele2,beta,se,pval,n,eaf\nrs10000,1,11761,A,T,0.00533,0.027665,0.847224,8000,0.1045\nrs10001,1,14819,G,T,-0.016554,0.018497,0.370811,8000,0.2334\n",
    /// # ];
    /// # let spec = ReadSpec::new(Scheme::InverseVariance);
    /// # let mut table = VariantTable::new();
    /// # let mut aligner = Aligner::new(Scheme::InverseVariance, Palindromic::Keep);
    /// # for (c, text) in cohorts.iter().enumerate() {
    /// #     let mut r = CohortReader::new(text.as_bytes(), &format!("cohort{}", c + 1), &spec)?;
    /// #     table.read_cohort(&mut r, c, &mut aligner, OnInvalidRow::Stop, None)?;
    /// # }
    /// // METAL's Allele1/Allele2 for rs10001 (read as G/T): t, g
    /// assert_eq!(table.variants()[1].metal_alleles(), ("t".to_string(), "g".to_string()));
    /// # Ok::<(), metapool::Error>(())
    /// ```
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
///
/// ```
/// use metapool::gwas::*;
/// let mut aligner = Aligner::new(Scheme::InverseVariance, Palindromic::Keep);
/// let mut v = Variant::new("rs1");
/// let row = |a1: &str, a2: &str, b| Record {
///     marker: "rs1".into(), effect_allele: a1.into(), other_allele: a2.into(),
///     effect: b, se: 0.1, weight: 100.0, frequency: f64::NAN, p: f64::NAN, ..Record::default()
/// };
/// aligner.add(&mut v, 0, &row("A", "G", 0.2)).unwrap();
/// aligner.add(&mut v, 1, &row("G", "A", 0.3)).unwrap(); // swapped: -0.3 for A
/// assert_eq!(aligner.add(&mut v, 2, &row("A", "C", 0.1)), Err(Reason::AlleleMismatch));
/// assert_eq!(v.studies.iter().map(|s| s.effect).collect::<Vec<_>>(), [0.2, -0.3]);
/// ```
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
    ///
    /// ```
    /// use metapool::gwas::*;
    /// let mut aligner = Aligner::new(Scheme::SampleSize, Palindromic::Keep);
    /// let mut v = Variant::new("rs1");
    /// let rec = Record { marker: "rs1".into(), effect_allele: "A".into(), other_allele: "G".into(),
    ///     effect: -0.2, negative: true, p: 0.05, se: f64::NAN, weight: 100.0, frequency: f64::NAN, ..Record::default() };
    /// aligner.add(&mut v, 0, &rec).unwrap();
    /// // METAL's sample-size z: sign(b) Phi^-1(1 - p / 2) = -1.959963984540054
    /// assert!((v.studies[0].z - -1.959963984540054).abs() < 1e-12);
    /// ```
    pub fn new(scheme: Scheme, palindromic: Palindromic) -> Self {
        Aligner {
            palindromic,
            scheme,
            first: String::new(),
            second: String::new(),
        }
    }

    /// Add `rec` of cohort `cohort` to `v`, or say why it is excluded.
    ///
    /// ```
    /// use metapool::gwas::*;
    /// let mut aligner = Aligner::new(Scheme::InverseVariance, Palindromic::Drop);
    /// let mut v = Variant::new("rs1");
    /// let rec = Record { marker: "rs1".into(), effect_allele: "C".into(), other_allele: "G".into(),
    ///     effect: 0.1, se: 0.1, weight: 1.0, ..Record::default() };
    /// assert_eq!(aligner.add(&mut v, 0, &rec), Err(Reason::Palindromic));
    /// ```
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
