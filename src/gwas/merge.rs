//! Merging cohorts by marker, aligning each row to its variant's alleles.
//!
//! Two joins, both giving variants in a stated order, never hash order:
//! - [`VariantTable`], a hash join: any input order; memory grows with the number of distinct
//!   variants (about 100 bytes per variant plus 48 per cohort row kept); output in order of
//!   first appearance (cohort by cohort), or genomic order after [`VariantTable::sort_genomic`].
//! - [`SortedMerge`], a streaming merge of inputs sorted by chromosome and position: one pass,
//!   memory bounded by the number of cohorts (and the rows at one position); output in genomic
//!   order. A duplicated marker is detected at the same position only.

use super::alleles::{complement_in_place, is_palindromic, orient_into, Palindromic};
use super::reader::{CohortReader, Reason, Record, RecordProblem, RowError};
use super::Scheme;
use crate::error::{Error, Result};
use crate::inference::normal_quantile;
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

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
    reference_frequency: f64,
    has_alleles: bool,
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

/// Per-cohort account of the rows read: used, excluded by reason, and the genomic-control
/// lambda applied.
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
    pub fn new(file: &str) -> Self {
        CohortReport {
            file: file.to_string(),
            rows: 0,
            used: 0,
            excluded: BTreeMap::new(),
            lambda: 1.0,
        }
    }

    fn exclude(&mut self, reason: Reason) {
        *self.excluded.entry(reason).or_insert(0) += 1;
    }
}

/// What to do with an invalid row.
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

/// Hash join of cohorts by marker name (see the [module docs](self)).
#[derive(Debug, Default)]
pub struct VariantTable {
    index: HashMap<Box<str>, u32>,
    variants: Vec<Variant>,
}

impl VariantTable {
    /// An empty table.
    pub fn new() -> Self {
        VariantTable::default()
    }

    /// The variant named `marker`, created (after the others) when new.
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
    pub fn variants(&self) -> &[Variant] {
        &self.variants
    }

    /// Put the variants in genomic order (chromosome rank, name, position), first appearance
    /// breaking ties (a stable sort). The index is dropped: no more rows can be added.
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
    pub fn into_variants(self) -> Vec<Variant> {
        self.variants
    }
}

fn duplicate<R>(file: &str, line: u64, reader: &CohortReader<R>) -> Error {
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

fn skip_or_stop(
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

struct Head<R> {
    reader: CohortReader<R>,
    rec: Record,
    live: bool,
    last_chromosome: String,
    last_rank: u32,
    last_position: u64,
}

/// Streaming merge of cohorts sorted by chromosome and position (see the [module docs](self)).
pub struct SortedMerge<R> {
    heads: Vec<Head<R>>,
    aligner: Aligner,
    on_invalid: OnInvalidRow,
    region: Option<Region>,
    reports: Vec<CohortReport>,
    pending: Vec<Variant>,
    spare: Vec<Variant>,
}

impl<R: BufRead> SortedMerge<R> {
    /// A merge of `readers` (cohort `i` is `readers[i]`; each must have position columns).
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
            pending: Vec::new(),
            spare: Vec::new(),
        };
        for c in 0..m.heads.len() {
            m.advance(c)?;
        }
        Ok(m)
    }

    /// The per-cohort reports so far (complete once the merge is exhausted).
    pub fn reports(&self) -> &[CohortReport] {
        &self.reports
    }

    /// Set the genomic-control lambda reported for each cohort.
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
                    let same_chr = head.last_chromosome == head.rec.chromosome;
                    let backwards = if same_chr {
                        head.rec.position < head.last_position
                    } else {
                        rank < head.last_rank
                            || (rank == head.last_rank
                                && rank >= 2000
                                && head.rec.chromosome < head.last_chromosome)
                            || (rank == head.last_rank
                                && rank < 2000
                                && !head.last_chromosome.is_empty())
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
    pub fn recycle(&mut self, block: &mut Vec<Variant>) {
        self.spare.append(block);
    }

    /// Append to `out` the variants of the next position in genomic order (their buffers
    /// taken from those [`SortedMerge::recycle`]d); `false` when every cohort is exhausted.
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
        let position = self.heads[b].rec.position;
        self.pending.clear();
        for c in 0..self.heads.len() {
            while self.heads[c].live
                && self.heads[c].rec.position == position
                && self.heads[c].rec.chromosome == chromosome
            {
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
