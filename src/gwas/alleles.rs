//! Allele alignment: one orientation per variant, so that every cohort's effect refers to the
//! same allele.
//!
//! Each cohort row's allele pair is brought to METAL's canonical form (METAL's `FlipAlleles`,
//! described in its documentation as "alleles are compared case-insensitively and strand flips
//! are recognised"):
//! ```text
//! 1, 2, 3, 4 -> a, c, g, t;  lower-case both alleles
//! if a1 > a2 (as strings): swap them, effect -> -effect, freq -> 1 - freq
//! unless a1 = "a" or (a1, a2) = ("c", "g"): complement both (a<->t, c<->g), and again
//!   if a1 > a2: swap them, effect -> -effect, freq -> 1 - freq
//! ```
//! Two rows describe the same variant when their canonical pairs are equal; then their effects,
//! both expressed for the canonical first allele, can be pooled. A pair that differs from the
//! variant's pair is an allele mismatch: the row is excluded and counted.
//!
//! Palindromic variants (A/T, C/G) have the same canonical pair on both strands, so the labels
//! cannot tell a strand flip from none. [`Palindromic`] says what to do with them.

/// What to do with palindromic (A/T or C/G) variants, whose strand the allele labels cannot
/// reveal.
///
/// ```
/// use metapool::gwas::*;
/// // an A/T variant: cohort 2 reports the other strand (T/A with the frequency of T near 0.8)
/// let c1 = "SNP A1 A2 BETA SE EAF\nrs9 A T 0.10 0.05 0.20\n";
/// let c2 = "SNP A1 A2 BETA SE EAF\nrs9 A T -0.12 0.06 0.79\n";
/// let spec = ReadSpec { need_frequency: true, ..ReadSpec::new(Scheme::InverseVariance) };
/// let read = |policy| -> Result<Vec<f64>, metapool::Error> {
///     let (mut table, mut aligner) = (VariantTable::new(), Aligner::new(Scheme::InverseVariance, policy));
///     for (c, text) in [c1, c2].iter().enumerate() {
///         let mut r = CohortReader::new(text.as_bytes(), "c", &spec)?;
///         table.read_cohort(&mut r, c, &mut aligner, OnInvalidRow::Count, None)?;
///     }
///     Ok(table.variants()[0].studies.iter().map(|s| s.effect).collect())
/// };
/// assert_eq!(read(Palindromic::Keep)?, vec![0.10, -0.12]); // METAL and plink
/// assert_eq!(read(Palindromic::Frequency { threshold: 0.1 })?, vec![0.10, 0.12]); // flipped by frequency
/// assert_eq!(read(Palindromic::Drop)?, Vec::<f64>::new());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Palindromic {
    /// Take the labels as given (METAL's and plink's behaviour).
    #[default]
    Keep,
    /// Decide the strand by the effect-allele frequency: a row whose frequency (aligned to the
    /// variant's first allele) lies on the other side of 0.5 than the variant's first row is
    /// taken as strand-flipped (effect negated, frequency complemented); a row within
    /// `threshold` of 0.5, or without a frequency, is ambiguous and excluded.
    Frequency {
        /// Half-width of the ambiguous band around 0.5 (e.g. 0.1: 0.4 <= f <= 0.6 is ambiguous).
        threshold: f64,
    },
    /// Exclude every palindromic row.
    Drop,
}

/// A row's alleles in METAL's canonical orientation.
///
/// ```
/// use metapool::gwas::Oriented;
/// // the same variant as A/G, g/a and T/C (the other strand): one canonical pair a/g
/// let (x, y, z) = (Oriented::new("A", "G"), Oriented::new("g", "a"), Oriented::new("T", "C"));
/// assert_eq!((x.first.as_str(), x.second.as_str()), ("a", "g"));
/// assert!(!x.swapped && y.swapped && z.complemented && !z.swapped);
/// assert_eq!((y.first.clone(), z.first.clone()), (x.first.clone(), x.first));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oriented {
    /// Canonical first allele (lower case).
    pub first: String,
    /// Canonical second allele (lower case).
    pub second: String,
    /// Whether the row's effect allele is the canonical second allele (effect and frequency
    /// must be negated / complemented to refer to `first`).
    pub swapped: bool,
    /// Whether the canonical pair is the complement of the row's strand.
    pub complemented: bool,
}

impl Oriented {
    /// Orient the pair (`effect_allele`, `other_allele`) as METAL does (see the module docs).
    ///
    /// ```
    /// use metapool::gwas::Oriented;
    /// let o = Oriented::new("G", "T"); // complement C/A, sorted A/C with the effect on C
    /// assert_eq!((o.first.as_str(), o.second.as_str()), ("a", "c"));
    /// assert!(o.swapped && o.complemented);
    /// let same = Oriented::new("3", "4"); // 3 = G, 4 = T
    /// assert_eq!(same, o);
    /// ```
    pub fn new(effect_allele: &str, other_allele: &str) -> Self {
        let mut first = String::with_capacity(effect_allele.len());
        let mut second = String::with_capacity(other_allele.len());
        orient_into(effect_allele, other_allele, &mut first, &mut second)
            .into_oriented(first, second)
    }

    /// Whether the pair is palindromic (A/T or C/G).
    ///
    /// ```
    /// use metapool::gwas::Oriented;
    /// assert!(Oriented::new("A", "T").is_palindromic() && Oriented::new("c", "g").is_palindromic());
    /// assert!(!Oriented::new("A", "G").is_palindromic());
    /// ```
    pub fn is_palindromic(&self) -> bool {
        is_palindromic(&self.first, &self.second)
    }

    /// The canonical alleles as they read on the strand of the row they came from (METAL prints
    /// a variant's alleles this way, from its first row).
    ///
    /// ```
    /// use metapool::gwas::Oriented;
    /// // G/T is complemented to C/A and sorted to a/c; on the row's strand that reads t/g
    /// assert_eq!(Oriented::new("G", "T").on_row_strand(), ("t".to_string(), "g".to_string()));
    /// ```
    pub fn on_row_strand(&self) -> (String, String) {
        let mut a = self.first.clone();
        let mut b = self.second.clone();
        if self.complemented {
            complement_in_place(&mut a);
            complement_in_place(&mut b);
        }
        (a, b)
    }
}

/// Swap and strand flags of an orientation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flags {
    pub swapped: bool,
    pub complemented: bool,
}

impl Flags {
    fn into_oriented(self, first: String, second: String) -> Oriented {
        Oriented {
            first,
            second,
            swapped: self.swapped,
            complemented: self.complemented,
        }
    }
}

/// As [`Oriented::new`], writing the canonical alleles into reused buffers (no allocation per
/// row once they are large enough).
pub(crate) fn orient_into(a1: &str, a2: &str, first: &mut String, second: &mut String) -> Flags {
    first.clear();
    second.clear();
    push_lower_letter(first, a1);
    push_lower_letter(second, a2);
    let mut swapped = false;
    if *first > *second {
        std::mem::swap(first, second);
        swapped = true;
    }
    if first == "a" || (first == "c" && second == "g") {
        return Flags {
            swapped,
            complemented: false,
        };
    }
    complement_in_place(first);
    complement_in_place(second);
    if *first > *second {
        std::mem::swap(first, second);
        swapped = !swapped;
    }
    Flags {
        swapped,
        complemented: true,
    }
}

/// Whether a canonical pair is palindromic (A/T or C/G).
pub(crate) fn is_palindromic(first: &str, second: &str) -> bool {
    (first == "a" && second == "t") || (first == "c" && second == "g")
}

/// Append `allele` lower-cased, with METAL's numeric codes 1/2/3/4 read as a/c/g/t.
fn push_lower_letter(out: &mut String, allele: &str) {
    match allele {
        "1" => out.push('a'),
        "2" => out.push('c'),
        "3" => out.push('g'),
        "4" => out.push('t'),
        _ => {
            for c in allele.chars() {
                out.push(c.to_ascii_lowercase());
            }
        }
    }
}

/// Complement a single-base allele (a<->t, c<->g); longer alleles (indels) are left alone, as
/// METAL leaves them.
pub(crate) fn complement_in_place(allele: &mut String) {
    let c = match allele.as_str() {
        "a" => "t",
        "c" => "g",
        "g" => "c",
        "t" => "a",
        _ => return,
    };
    allele.clear();
    allele.push_str(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metal_canonical_forms() {
        // (effect, other) -> (first, second, swapped, complemented), worked by hand from
        // METAL's FlipAlleles
        let cases = [
            ("A", "G", "a", "g", false, false),
            ("G", "A", "a", "g", true, false),
            ("T", "C", "a", "g", false, true), // complement A/G
            ("C", "T", "a", "g", true, true),
            ("A", "T", "a", "t", false, false),
            ("T", "A", "a", "t", true, false),
            ("C", "G", "c", "g", false, false),
            ("G", "C", "c", "g", true, false),
            ("1", "3", "a", "g", false, false),
            ("ins", "del", "del", "ins", true, true),
        ];
        for (e, o, f, s, sw, co) in cases {
            let x = Oriented::new(e, o);
            assert_eq!(
                (
                    x.first.as_str(),
                    x.second.as_str(),
                    x.swapped,
                    x.complemented
                ),
                (f, s, sw, co),
                "{e}/{o}"
            );
        }
        assert_eq!(
            Oriented::new("T", "C").on_row_strand(),
            ("t".into(), "c".into())
        );
    }
}
