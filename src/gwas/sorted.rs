//! The streaming merge of cohorts sorted by chromosome and position: one pass, memory bounded
//! by the number of cohorts (and the rows at one position), output in genomic order. A
//! duplicated marker is detected at the same position only.

use super::align::{Aligner, Variant};
use super::merge::{chromosome_rank, duplicate, skip_or_stop, CohortReport, OnInvalidRow, Region};
use super::reader::{CohortReader, Reason, Record, RecordProblem};
use crate::error::{Error, Result};
use std::io::BufRead;

struct Head<R> {
    reader: CohortReader<R>,
    rec: Record,
    live: bool,
    last_chromosome: String,
    last_rank: u32,
    last_position: u64,
}

/// Streaming merge of cohorts sorted by chromosome and position (see the [module docs](crate::gwas)).
///
/// ```
/// // `cohorts`: two variants of the three cohort files of fixtures/gwas (PLINK, METAL, CSV layouts)
/// # use metapool::gwas::*;
/// # let cohorts = [
/// #     "CHR SNP BP A1 A2 BETA SE P NMISS EAF\n1 rs10000 11761 A T 0.019251 0.032826 0.557569 5000 0.1057\n1 rs10001 14819 G T -0.01257 0.02171 0.562592 5000 0.2448\n",
/// #     "MarkerName\tCHR\tPOS\tEA\tNEA\tEffect\tStdErr\tP\tN\tFREQ1\nrs10000\t1\t11761\tA\tT\t-0.01188\t0.045014\t0.791843\t3200\t0.1059\nrs10001\t1\t14819\tG\tT\t-0.067698\t0.029038\t0.0197344\t3200\t0.2266\n",
/// #     "rsid,chrom,pos,allele1,allele2,beta,se,pval,n,eaf\nrs10000,1,11761,A,T,0.00533,0.027665,0.847224,8000,0.1045\nrs10001,1,14819,G,T,-0.016554,0.018497,0.370811,8000,0.2334\n",
/// # ];
/// let spec = ReadSpec { need_position: true, ..ReadSpec::new(Scheme::InverseVariance) };
/// let readers = cohorts.iter().map(|t| CohortReader::new(t.as_bytes(), "c", &spec)).collect::<Result<Vec<_>, _>>()?;
/// let aligner = Aligner::new(Scheme::InverseVariance, Palindromic::Keep);
/// let mut merge = SortedMerge::new(readers, aligner, OnInvalidRow::Stop, None)?;
/// let mut block = Vec::new();
/// let mut markers = Vec::new();
/// while merge.next_position(&mut block)? {
///     markers.extend(block.iter().map(|v| (v.marker.clone(), v.studies.len())));
///     merge.recycle(&mut block);
/// }
/// assert_eq!(markers, [("rs10000".to_string(), 3), ("rs10001".to_string(), 3)]);
/// # Ok::<(), metapool::Error>(())
/// ```
pub struct SortedMerge<R> {
    heads: Vec<Head<R>>,
    aligner: Aligner,
    on_invalid: OnInvalidRow,
    region: Option<Region>,
    reports: Vec<CohortReport>,
    spare: Vec<Variant>,
}

impl<R: BufRead> SortedMerge<R> {
    /// A merge of `readers` (cohort `i` is `readers[i]`; each must have position columns).
    ///
    /// ```
    /// use metapool::gwas::*;
    /// let spec = ReadSpec { need_position: true, ..ReadSpec::new(Scheme::InverseVariance) };
    /// let unsorted = "CHR BP SNP BETA SE\n2 10 rs2 0.1 0.1\n1 10 rs1 0.1 0.1\n";
    /// let r = CohortReader::new(unsorted.as_bytes(), "c", &spec)?;
    /// let aligner = Aligner::new(Scheme::InverseVariance, Palindromic::Keep);
    /// let all = SortedMerge::new(vec![r], aligner, OnInvalidRow::Stop, None).and_then(|mut m| {
    ///     let mut block = Vec::new();
    ///     while m.next_position(&mut block)? {
    ///         m.recycle(&mut block);
    ///     }
    ///     Ok(())
    /// });
    /// // chromosome 2, then 1: not sorted
    /// assert!(matches!(all, Err(metapool::Error::InvalidRecord { problem: RecordProblem::NotSorted, .. })));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(
        readers: Vec<CohortReader<R>>,
        aligner: Aligner,
        on_invalid: OnInvalidRow,
        region: Option<Region>,
    ) -> Result<Self> {
        let reports = readers
            .iter()
            .map(|r| CohortReport::new(r.name()))
            .collect();
        let heads = readers
            .into_iter()
            .map(|reader| Head {
                reader,
                rec: Record::default(),
                live: true,
                last_chromosome: String::new(),
                last_rank: 0,
                last_position: 0,
            })
            .collect();
        let mut m = SortedMerge {
            heads,
            aligner,
            on_invalid,
            region,
            reports,
            spare: Vec::new(),
        };
        for c in 0..m.heads.len() {
            m.advance(c)?;
        }
        Ok(m)
    }

    /// The per-cohort reports so far (complete once the merge is exhausted).
    ///
    /// ```
    /// // `cohorts`: two variants of the three cohort files of fixtures/gwas (PLINK, METAL, CSV layouts)
    /// # use metapool::gwas::*;
    /// # let cohorts = [
    /// #     "CHR SNP BP A1 A2 BETA SE P NMISS EAF\n1 rs10000 11761 A T 0.019251 0.032826 0.557569 5000 0.1057\n1 rs10001 14819 G T -0.01257 0.02171 0.562592 5000 0.2448\n",
    /// #     "MarkerName\tCHR\tPOS\tEA\tNEA\tEffect\tStdErr\tP\tN\tFREQ1\nrs10000\t1\t11761\tA\tT\t-0.01188\t0.045014\t0.791843\t3200\t0.1059\nrs10001\t1\t14819\tG\tT\t-0.067698\t0.029038\t0.0197344\t3200\t0.2266\n",
    /// #     "rsid,chrom,pos,allele1,allele2,beta,se,pval,n,eaf\nrs10000,1,11761,A,T,0.00533,0.027665,0.847224,8000,0.1045\nrs10001,1,14819,G,T,-0.016554,0.018497,0.370811,8000,0.2334\n",
    /// # ];
    /// let spec = ReadSpec { need_position: true, ..ReadSpec::new(Scheme::InverseVariance) };
    /// let readers = cohorts.iter().map(|t| CohortReader::new(t.as_bytes(), "c", &spec)).collect::<Result<Vec<_>, _>>()?;
    /// let mut merge = SortedMerge::new(readers, Aligner::new(Scheme::InverseVariance, Palindromic::Keep), OnInvalidRow::Stop, None)?;
    /// let mut block = Vec::new();
    /// while merge.next_position(&mut block)? { merge.recycle(&mut block); }
    /// assert!(merge.reports().iter().all(|r| r.used == 2));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn reports(&self) -> &[CohortReport] {
        &self.reports
    }

    /// Set the genomic-control lambda reported for each cohort.
    ///
    /// ```
    /// // `cohorts`: two variants of the three cohort files of fixtures/gwas (PLINK, METAL, CSV layouts)
    /// # use metapool::gwas::*;
    /// # let cohorts = [
    /// #     "CHR SNP BP A1 A2 BETA SE P NMISS EAF\n1 rs10000 11761 A T 0.019251 0.032826 0.557569 5000 0.1057\n1 rs10001 14819 G T -0.01257 0.02171 0.562592 5000 0.2448\n",
    /// #     "MarkerName\tCHR\tPOS\tEA\tNEA\tEffect\tStdErr\tP\tN\tFREQ1\nrs10000\t1\t11761\tA\tT\t-0.01188\t0.045014\t0.791843\t3200\t0.1059\nrs10001\t1\t14819\tG\tT\t-0.067698\t0.029038\t0.0197344\t3200\t0.2266\n",
    /// #     "rsid,chrom,pos,allele1,allele2,beta,se,pval,n,eaf\nrs10000,1,11761,A,T,0.00533,0.027665,0.847224,8000,0.1045\nrs10001,1,14819,G,T,-0.016554,0.018497,0.370811,8000,0.2334\n",
    /// # ];
    /// let spec = ReadSpec { need_position: true, ..ReadSpec::new(Scheme::InverseVariance) };
    /// let readers = cohorts.iter().map(|t| CohortReader::new(t.as_bytes(), "c", &spec)).collect::<Result<Vec<_>, _>>()?;
    /// let mut merge = SortedMerge::new(readers, Aligner::new(Scheme::InverseVariance, Palindromic::Keep), OnInvalidRow::Stop, None)?;
    /// merge.set_lambdas(&[1.05, 1.0, 1.2]);
    /// assert_eq!(merge.reports()[2].lambda, 1.2);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn set_lambdas(&mut self, lambdas: &[f64]) {
        for (r, &l) in self.reports.iter_mut().zip(lambdas) {
            r.lambda = l;
        }
    }

    /// Move the head of cohort `c` to its next valid row inside the region.
    fn advance(&mut self, c: usize) -> Result<()> {
        let head = &mut self.heads[c];
        loop {
            match head.reader.next_record(&mut head.rec) {
                None => {
                    head.live = false;
                    return Ok(());
                }
                Some(Err(e)) => {
                    skip_or_stop(e, head.reader.name(), self.on_invalid, &mut self.reports[c])?
                }
                Some(Ok(())) => {
                    let rank = chromosome_rank(&head.rec.chromosome);
                    // "chr1" and "1" are one chromosome: same rank, or the same unranked name
                    let same_chr = head.last_chromosome == head.rec.chromosome
                        || (rank == head.last_rank
                            && rank < 2000
                            && !head.last_chromosome.is_empty());
                    let backwards = if same_chr {
                        head.rec.position < head.last_position
                    } else {
                        rank < head.last_rank
                            || (rank == head.last_rank
                                && head.rec.chromosome < head.last_chromosome)
                    };
                    if backwards {
                        return Err(Error::InvalidRecord {
                            file: head.reader.name().to_string(),
                            line: head.rec.line,
                            column: String::new(),
                            problem: RecordProblem::NotSorted,
                        });
                    }
                    if !same_chr {
                        head.last_chromosome.clone_from(&head.rec.chromosome);
                        head.last_rank = rank;
                    }
                    head.last_position = head.rec.position;
                    if self
                        .region
                        .as_ref()
                        .is_some_and(|r| !r.contains(&head.rec.chromosome, head.rec.position))
                    {
                        continue;
                    }
                    self.reports[c].rows += 1;
                    return Ok(());
                }
            }
        }
    }

    /// Hand back variants whose results are written, so that their buffers are reused
    /// (`block` is left empty).
    ///
    /// ```
    /// // `cohorts`: two variants of the three cohort files of fixtures/gwas (PLINK, METAL, CSV layouts)
    /// # use metapool::gwas::*;
    /// # let cohorts = [
    /// #     "CHR SNP BP A1 A2 BETA SE P NMISS EAF\n1 rs10000 11761 A T 0.019251 0.032826 0.557569 5000 0.1057\n1 rs10001 14819 G T -0.01257 0.02171 0.562592 5000 0.2448\n",
    /// #     "MarkerName\tCHR\tPOS\tEA\tNEA\tEffect\tStdErr\tP\tN\tFREQ1\nrs10000\t1\t11761\tA\tT\t-0.01188\t0.045014\t0.791843\t3200\t0.1059\nrs10001\t1\t14819\tG\tT\t-0.067698\t0.029038\t0.0197344\t3200\t0.2266\n",
    /// #     "rsid,chrom,pos,allele1,allele2,beta,se,pval,n,eaf\nrs10000,1,11761,A,T,0.00533,0.027665,0.847224,8000,0.1045\nrs10001,1,14819,G,T,-0.016554,0.018497,0.370811,8000,0.2334\n",
    /// # ];
    /// let spec = ReadSpec { need_position: true, ..ReadSpec::new(Scheme::InverseVariance) };
    /// let readers = cohorts.iter().map(|t| CohortReader::new(t.as_bytes(), "c", &spec)).collect::<Result<Vec<_>, _>>()?;
    /// let mut merge = SortedMerge::new(readers, Aligner::new(Scheme::InverseVariance, Palindromic::Keep), OnInvalidRow::Stop, None)?;
    /// let mut block = Vec::new();
    /// merge.next_position(&mut block)?;
    /// merge.recycle(&mut block);
    /// assert!(block.is_empty());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn recycle(&mut self, block: &mut Vec<Variant>) {
        self.spare.append(block);
    }

    /// Append to `out` the variants of the next position in genomic order (their buffers
    /// taken from those [`SortedMerge::recycle`]d); `false` when every cohort is exhausted.
    ///
    /// ```
    /// // `cohorts`: two variants of the three cohort files of fixtures/gwas (PLINK, METAL, CSV layouts)
    /// # use metapool::gwas::*;
    /// # let cohorts = [
    /// #     "CHR SNP BP A1 A2 BETA SE P NMISS EAF\n1 rs10000 11761 A T 0.019251 0.032826 0.557569 5000 0.1057\n1 rs10001 14819 G T -0.01257 0.02171 0.562592 5000 0.2448\n",
    /// #     "MarkerName\tCHR\tPOS\tEA\tNEA\tEffect\tStdErr\tP\tN\tFREQ1\nrs10000\t1\t11761\tA\tT\t-0.01188\t0.045014\t0.791843\t3200\t0.1059\nrs10001\t1\t14819\tG\tT\t-0.067698\t0.029038\t0.0197344\t3200\t0.2266\n",
    /// #     "rsid,chrom,pos,allele1,allele2,beta,se,pval,n,eaf\nrs10000,1,11761,A,T,0.00533,0.027665,0.847224,8000,0.1045\nrs10001,1,14819,G,T,-0.016554,0.018497,0.370811,8000,0.2334\n",
    /// # ];
    /// let spec = ReadSpec { need_position: true, ..ReadSpec::new(Scheme::InverseVariance) };
    /// let readers = cohorts.iter().map(|t| CohortReader::new(t.as_bytes(), "c", &spec)).collect::<Result<Vec<_>, _>>()?;
    /// let mut merge = SortedMerge::new(readers, Aligner::new(Scheme::InverseVariance, Palindromic::Keep), OnInvalidRow::Stop, None)?;
    /// let mut block = Vec::new();
    /// assert!(merge.next_position(&mut block)?);
    /// assert_eq!((block[0].marker.as_str(), block[0].position), ("rs10000", 11761));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn next_position(&mut self, out: &mut Vec<Variant>) -> Result<bool> {
        let first = out.len();
        // the smallest (rank, chromosome, position) among the live heads
        let mut best: Option<usize> = None;
        for (c, h) in self.heads.iter().enumerate() {
            if !h.live {
                continue;
            }
            best = match best {
                None => Some(c),
                Some(b) => {
                    let hb = &self.heads[b];
                    let key = |h: &Head<R>| (h.last_rank, h.rec.position);
                    let less = key(h) < key(hb)
                        || (key(h) == key(hb)
                            && h.last_rank >= 2000
                            && h.rec.chromosome < hb.rec.chromosome);
                    Some(if less { c } else { b })
                }
            };
        }
        let Some(b) = best else { return Ok(false) };
        let chromosome = self.heads[b].rec.chromosome.clone();
        let rank = self.heads[b].last_rank;
        let position = self.heads[b].rec.position;
        // the same position: same chromosome rank ("chr1" and "1" are one chromosome), and
        // for names without a rank the same name
        let here = |h: &Head<R>| {
            h.live
                && h.rec.position == position
                && h.last_rank == rank
                && (rank < 2000 || h.rec.chromosome == chromosome)
        };
        for c in 0..self.heads.len() {
            while here(&self.heads[c]) {
                let rec = &self.heads[c].rec;
                let at = match out[first..].iter().position(|v| v.marker == rec.marker) {
                    Some(i) => first + i,
                    None => {
                        let mut v = self.spare.pop().unwrap_or_default();
                        v.marker.clear();
                        v.marker.push_str(&rec.marker);
                        v.studies.clear();
                        v.has_alleles = false;
                        v.reference_frequency = f64::NAN;
                        out.push(v);
                        out.len() - 1
                    }
                };
                match self.aligner.add(&mut out[at], c, rec) {
                    Ok(()) => self.reports[c].used += 1,
                    Err(Reason::Duplicate) if self.on_invalid == OnInvalidRow::Stop => {
                        let h = &self.heads[c];
                        return Err(duplicate(h.reader.name(), h.rec.line, &h.reader));
                    }
                    Err(reason) => self.reports[c].exclude(reason),
                }
                self.advance(c)?;
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gwas::{Palindromic, Scheme};

    #[test]
    fn sorted_merge_joins_chr_prefixed_and_plain_names() {
        let spec = crate::gwas::ReadSpec {
            need_position: true,
            ..crate::gwas::ReadSpec::new(Scheme::InverseVariance)
        };
        let a = "SNP CHR POS A1 A2 BETA SE\nrs1 1 100 A G 0.1 0.1\nrs2 chr1 200 A G 0.1 0.1\nrs3 2 50 A G 0.1 0.1\n";
        let b = "SNP CHR POS A1 A2 BETA SE\nrs1 chr1 100 A G 0.2 0.1\nrs3 chr2 50 G A 0.2 0.1\n";
        let readers = [a, b]
            .iter()
            .map(|t| CohortReader::new(t.as_bytes(), "x", &spec).unwrap())
            .collect();
        let aligner = Aligner::new(Scheme::InverseVariance, Palindromic::Keep);
        let mut m = SortedMerge::new(readers, aligner, OnInvalidRow::Stop, None).unwrap();
        let mut out = Vec::new();
        while m.next_position(&mut out).unwrap() {}
        let k: Vec<(&str, usize)> = out
            .iter()
            .map(|v| (v.marker.as_str(), v.studies.len()))
            .collect();
        assert_eq!(k, [("rs1", 2), ("rs2", 1), ("rs3", 2)]);
        assert_eq!(out[2].studies[1].effect, -0.2);
        let unsorted = "SNP CHR POS A1 A2 BETA SE\nrs1 2 100 A G 0.1 0.1\nrs2 1 200 A G 0.1 0.1\n";
        let r = CohortReader::new(unsorted.as_bytes(), "u.txt", &spec).unwrap();
        let aligner = Aligner::new(Scheme::InverseVariance, Palindromic::Keep);
        let e = SortedMerge::new(vec![r], aligner, OnInvalidRow::Stop, None)
            .and_then(|mut m| {
                let mut out = Vec::new();
                while m.next_position(&mut out)? {}
                Ok(())
            })
            .unwrap_err();
        assert!(e.to_string().contains("u.txt, line 3"), "{e}");
    }
}
