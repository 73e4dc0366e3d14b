//! Merging cohorts by marker, aligning each row to its variant's alleles.
//!
//! Two joins, both giving variants in a stated order, never hash order:
//! - [`VariantTable`], a hash join: any input order; memory grows with the number of distinct
//!   variants (about 1.3 kB per variant with 10 cohorts, measured); output in order of
//!   first appearance (cohort by cohort), or genomic order after [`VariantTable::sort_genomic`].
//! - [`SortedMerge`], a streaming merge of inputs sorted by chromosome and position: one pass,
//!   memory bounded by the number of cohorts (and the rows at one position); output in genomic
//!   order. A duplicated marker is detected at the same position only.

use super::align::{Aligner, Variant};
use super::reader::{CohortReader, Reason, Record, RecordProblem, RowError};
use crate::error::{Error, Result};
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

/// Per-cohort account of the rows read: used, excluded by reason, and the genomic-control
/// lambda applied.
///
/// ```
/// use metapool::gwas::*;
/// let text = "SNP A1 A2 BETA SE\nrs1 A G 0.1 0.05\nrs2 A G x 0.05\nrs1 A G 0.2 0.05\n";
/// let mut r = CohortReader::new(text.as_bytes(), "c1.txt", &ReadSpec::new(Scheme::InverseVariance))?;
/// let mut aligner = Aligner::new(Scheme::InverseVariance, Palindromic::Keep);
/// let report = VariantTable::new().read_cohort(&mut r, 0, &mut aligner, OnInvalidRow::Count, None)?;
/// assert_eq!((report.file.as_str(), report.rows, report.used), ("c1.txt", 3, 1));
/// assert_eq!(report.excluded.get(&Reason::Invalid(Role::Effect)), Some(&1)); // "x"
/// assert_eq!(report.excluded.get(&Reason::Duplicate), Some(&1));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CohortReport {
    /// File name.
    pub file: String,
    /// Data rows read (inside the region, when one is set).
    pub rows: u64,
    /// Rows that entered the meta-analysis.
    pub used: u64,
    /// Rows excluded, by reason.
    pub excluded: BTreeMap<Reason, u64>,
    /// Genomic-control lambda applied to this cohort (1 when none).
    pub lambda: f64,
}

impl CohortReport {
    /// An empty report for `file`.
    ///
    /// ```
    /// use metapool::gwas::CohortReport;
    /// let r = CohortReport::new("c1.txt");
    /// assert_eq!((r.rows, r.used, r.lambda), (0, 0, 1.0));
    /// ```
    pub fn new(file: &str) -> Self {
        CohortReport {
            file: file.to_string(),
            rows: 0,
            used: 0,
            excluded: BTreeMap::new(),
            lambda: 1.0,
        }
    }

    pub(crate) fn exclude(&mut self, reason: Reason) {
        *self.excluded.entry(reason).or_insert(0) += 1;
    }
}

/// What to do with an invalid row.
///
/// ```
/// use metapool::Error;
/// use metapool::gwas::*;
/// let text = "SNP A1 A2 BETA SE\nrs1 A G 0.1 0.05\nrs2 A G 0.2 -1\n";
/// let spec = ReadSpec::new(Scheme::InverseVariance);
/// let mut aligner = Aligner::new(Scheme::InverseVariance, Palindromic::Keep);
/// let mut r = CohortReader::new(text.as_bytes(), "c1.txt", &spec)?;
/// let err = VariantTable::new().read_cohort(&mut r, 0, &mut aligner, OnInvalidRow::Stop, None).unwrap_err();
/// // the file, line 3 and the column's header label
/// assert!(matches!(err, Error::InvalidRecord { line: 3, ref column, .. } if column == "SE"));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum OnInvalidRow {
    /// Stop with [`Error::InvalidRecord`] naming the file, line and column.
    #[default]
    Stop,
    /// Skip it and count it in the [`CohortReport`] (METAL's behaviour).
    Count,
}

/// A genomic region `chromosome:start-end` (inclusive, 1-based positions).
///
/// ```
/// use metapool::gwas::Region;
/// let r = Region::parse("X:100-200").unwrap();
/// assert!(r.contains("chrX", 100) && r.contains("X", 200) && !r.contains("X", 99));
/// assert!(Region::parse("2:200-100").is_none()); // start after end
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Chromosome (compared without a `chr` prefix, case-insensitively).
    pub chromosome: String,
    /// First position.
    pub start: u64,
    /// Last position.
    pub end: u64,
}

impl Region {
    /// Parse `chr:start-end` (or just `chr` for a whole chromosome).
    ///
    /// ```
    /// let r = metapool::gwas::Region::parse("chr2:1000-2000").unwrap();
    /// assert!(r.contains("2", 1500) && !r.contains("2", 2001) && !r.contains("3", 1500));
    /// ```
    pub fn parse(text: &str) -> Option<Region> {
        let (chr, range) = match text.split_once(':') {
            Some((c, r)) => (c, Some(r)),
            None => (text, None),
        };
        let (start, end) = match range {
            None => (0, u64::MAX),
            Some(r) => {
                let (a, b) = r.split_once('-')?;
                let a: u64 = a.trim().replace(',', "").parse().ok()?;
                let b: u64 = b.trim().replace(',', "").parse().ok()?;
                (a, b)
            }
        };
        if chr.is_empty() || start > end {
            return None;
        }
        Some(Region {
            chromosome: strip_chr(chr).to_ascii_uppercase(),
            start,
            end,
        })
    }

    /// Whether the region contains `position` on `chromosome`.
    ///
    /// ```
    /// use metapool::gwas::Region;
    /// let r = Region::parse("chr1:11761-14819").unwrap();
    /// assert!(r.contains("1", 11761) && r.contains("1", 14819) && !r.contains("1", 17689));
    /// ```
    pub fn contains(&self, chromosome: &str, position: u64) -> bool {
        strip_chr(chromosome).eq_ignore_ascii_case(&self.chromosome)
            && (self.start..=self.end).contains(&position)
    }
}

fn strip_chr(c: &str) -> &str {
    if c.len() > 3 && c[..3].eq_ignore_ascii_case("chr") {
        &c[3..]
    } else {
        c
    }
}

/// The sort rank of a chromosome: 1-22 by number, then X, Y, XY, MT; other names after them
/// (compared by name). A `chr` prefix is ignored.
///
/// ```
/// use metapool::gwas::chromosome_rank;
/// assert!(chromosome_rank("chr2") < chromosome_rank("10"));
/// assert!(chromosome_rank("22") < chromosome_rank("X") && chromosome_rank("X") < chromosome_rank("MT"));
/// ```
pub fn chromosome_rank(c: &str) -> u32 {
    let c = strip_chr(c);
    if let Ok(n) = c.parse::<u32>() {
        return n.min(999);
    }
    match c.to_ascii_uppercase().as_str() {
        "X" => 1000,
        "Y" => 1001,
        "XY" => 1002,
        "M" | "MT" => 1003,
        _ => 2000,
    }
}

/// Hash join of cohorts by marker name (see the [module docs](crate::gwas)).
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
/// let markers: Vec<&str> = table.variants().iter().map(|v| v.marker.as_str()).collect();
/// assert_eq!(markers, ["rs10000", "rs10001"]);
/// assert!(table.variants().iter().all(|v| v.studies.len() == 3));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct VariantTable {
    index: HashMap<Box<str>, u32>,
    variants: Vec<Variant>,
}

impl VariantTable {
    /// An empty table.
    ///
    /// ```
    /// use metapool::gwas::VariantTable;
    /// assert!(VariantTable::new().variants().is_empty());
    /// ```
    pub fn new() -> Self {
        VariantTable::default()
    }

    /// The variant named `marker`, created (after the others) when new.
    ///
    /// ```
    /// use metapool::gwas::VariantTable;
    /// let mut t = VariantTable::new();
    /// t.variant_mut("rs2").position = 5;
    /// t.variant_mut("rs1");
    /// assert_eq!(t.variant_mut("rs2").position, 5); // found again, not re-created
    /// assert_eq!(t.variants().len(), 2);
    /// ```
    pub fn variant_mut(&mut self, marker: &str) -> &mut Variant {
        let at = match self.index.get(marker) {
            Some(&i) => i as usize,
            None => {
                let i = self.variants.len();
                self.index.insert(marker.into(), i as u32);
                self.variants.push(Variant::new(marker));
                i
            }
        };
        &mut self.variants[at]
    }

    /// Read every row of `reader` (cohort `cohort`) into the table; returns the cohort's report.
    /// Rows outside `region` are skipped without being counted.
    ///
    /// ```
    /// // `cohorts`: two variants of the three cohort files of fixtures/gwas (PLINK, METAL, CSV layouts)
    /// # use metapool::gwas::*;
    /// # let cohorts = [
    /// #     "CHR SNP BP A1 A2 BETA SE P NMISS EAF\n1 rs10000 11761 A T 0.019251 0.032826 0.557569 5000 0.1057\n1 rs10001 14819 G T -0.01257 0.02171 0.562592 5000 0.2448\n",
    /// #     "MarkerName\tCHR\tPOS\tEA\tNEA\tEffect\tStdErr\tP\tN\tFREQ1\nrs10000\t1\t11761\tA\tT\t-0.01188\t0.045014\t0.791843\t3200\t0.1059\nrs10001\t1\t14819\tG\tT\t-0.067698\t0.029038\t0.0197344\t3200\t0.2266\n",
    /// #     "rsid,chrom,pos,allele1,allele2,beta,se,pval,n,eaf\nrs10000,1,11761,A,T,0.00533,0.027665,0.847224,8000,0.1045\nrs10001,1,14819,G,T,-0.016554,0.018497,0.370811,8000,0.2334\n",
    /// # ];
    /// let spec = ReadSpec::new(Scheme::InverseVariance);
    /// let mut table = VariantTable::new();
    /// let mut aligner = Aligner::new(Scheme::InverseVariance, Palindromic::Keep);
    /// let region = Region::parse("1:11000-12000").unwrap(); // only rs10000
    /// for (c, text) in cohorts.iter().enumerate() {
    ///     let mut r = CohortReader::new(text.as_bytes(), "c", &spec)?;
    ///     let report = table.read_cohort(&mut r, c, &mut aligner, OnInvalidRow::Stop, Some(&region))?;
    ///     assert_eq!((report.rows, report.used), (1, 1));
    /// }
    /// assert_eq!(table.variants().len(), 1);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn read_cohort<R: BufRead>(
        &mut self,
        reader: &mut CohortReader<R>,
        cohort: usize,
        aligner: &mut Aligner,
        on_invalid: OnInvalidRow,
        region: Option<&Region>,
    ) -> Result<CohortReport> {
        let mut report = CohortReport::new(reader.name());
        let mut rec = Record::default();
        while let Some(row) = reader.next_record(&mut rec) {
            if let Err(e) = row {
                skip_or_stop(e, reader.name(), on_invalid, &mut report)?;
                continue;
            }
            if region.is_some_and(|r| !r.contains(&rec.chromosome, rec.position)) {
                continue;
            }
            report.rows += 1;
            let v = self.variant_mut(&rec.marker);
            match aligner.add(v, cohort, &rec) {
                Ok(()) => report.used += 1,
                Err(Reason::Duplicate) if on_invalid == OnInvalidRow::Stop => {
                    return Err(duplicate(reader.name(), rec.line, reader))
                }
                Err(reason) => report.exclude(reason),
            }
        }
        Ok(report)
    }

    /// The variants, in order of first appearance (or genomic order after
    /// [`VariantTable::sort_genomic`]).
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
    /// assert_eq!(table.variants()[1].marker, "rs10001");
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn variants(&self) -> &[Variant] {
        &self.variants
    }

    /// Put the variants in genomic order (chromosome rank, name, position), first appearance
    /// breaking ties (a stable sort). The index is dropped: no more rows can be added.
    ///
    /// ```
    /// use metapool::gwas::VariantTable;
    /// let mut t = VariantTable::new();
    /// for (m, chr, pos) in [("a", "X", 5), ("b", "10", 1), ("c", "2", 9), ("d", "2", 3)] {
    ///     let v = t.variant_mut(m);
    ///     v.chromosome = chr.into();
    ///     v.position = pos;
    /// }
    /// t.sort_genomic();
    /// let order: Vec<&str> = t.variants().iter().map(|v| v.marker.as_str()).collect();
    /// assert_eq!(order, ["d", "c", "b", "a"]);
    /// ```
    pub fn sort_genomic(&mut self) {
        self.index = HashMap::new();
        self.variants.sort_by(|a, b| {
            let ka = chromosome_rank(&a.chromosome);
            let kb = chromosome_rank(&b.chromosome);
            ka.cmp(&kb)
                .then_with(|| {
                    if ka >= 2000 {
                        a.chromosome.cmp(&b.chromosome)
                    } else {
                        std::cmp::Ordering::Equal
                    }
                })
                .then(a.position.cmp(&b.position))
        });
    }

    /// Take the variants out.
    ///
    /// ```
    /// use metapool::gwas::VariantTable;
    /// let mut t = VariantTable::new();
    /// t.variant_mut("rs1");
    /// assert_eq!(t.into_variants()[0].marker, "rs1");
    /// ```
    pub fn into_variants(self) -> Vec<Variant> {
        self.variants
    }
}

pub(crate) fn duplicate<R>(file: &str, line: u64, reader: &CohortReader<R>) -> Error {
    let column = reader
        .columns()
        .index(super::Role::Marker)
        .map_or(String::new(), |i| reader.header()[i].clone());
    Error::InvalidRecord {
        file: file.to_string(),
        line,
        column,
        problem: RecordProblem::Duplicate,
    }
}

pub(crate) fn skip_or_stop(
    e: RowError,
    file: &str,
    on_invalid: OnInvalidRow,
    report: &mut CohortReport,
) -> Result<()> {
    match on_invalid {
        OnInvalidRow::Stop => Err(e.into_error(file)),
        OnInvalidRow::Count => {
            report.rows += 1;
            report.exclude(e.reason());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chromosome_order_and_regions() {
        let mut c = ["X", "chr2", "10", "1", "MT", "Y"];
        c.sort_by_key(|x| chromosome_rank(x));
        assert_eq!(c, ["1", "chr2", "10", "X", "Y", "MT"]);
        assert!(Region::parse("1:5-2").is_none());
        assert!(Region::parse("chrX").unwrap().contains("X", 7));
    }
}
