//! METAL's output table (`METAANALYSIS1.TBL`) and its `.info` file: the same columns in the
//! same order with METAL's number formatting. Rows are in order of first appearance (METAL's
//! are in its hash table's order).

use super::format::{c_g, printable_p};
use crate::gwas::{Scheme, Variant, VariantResult};
use std::io::{self, Write};

/// Which columns the table has (set by METAL's commands).
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
/// use metapool::gwas::metal::{write_table, TableLayout};
/// let layout = TableLayout { scheme: Scheme::InverseVariance, track_positions: true, average_freq: false,
///     min_max_freq: false, heterogeneity: true, effect_precision: 4, stderr_precision: 4, min_weight: 1.0 };
/// let mut out = Vec::new();
/// let pooler = GwasPooler { scheme: Scheme::InverseVariance, ..GwasPooler::default() };
/// pooler.pool(table.variants(), 3, &[1.0; 3], &mut PoolBuffers::default(), &mut out)?;
/// let mut tbl = Vec::new();
/// write_table(&mut tbl, &layout, table.variants(), &out).unwrap();
/// let text = String::from_utf8(tbl).unwrap();
/// assert!(text.starts_with("Chromosome\tPosition\tMarkerName\tAllele1\tAllele2\tEffect\tStdErr\tP-value\tDirection\tHetISq\tHetChiSq\tHetDf\tHetPVal"));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableLayout {
    /// `SCHEME`: Weight/Zscore or Effect/StdErr.
    pub scheme: Scheme,
    /// `TRACKPOSITIONS ON`: Chromosome and Position first.
    pub track_positions: bool,
    /// `AVERAGEFREQ ON`: Freq1, FreqSE.
    pub average_freq: bool,
    /// `MINMAXFREQ ON`: MinFreq, MaxFreq.
    pub min_max_freq: bool,
    /// `ANALYZE HETEROGENEITY`: HetISq, HetChiSq, HetDf, HetPVal.
    pub heterogeneity: bool,
    /// `EFFECT_PRINT_PRECISION` (default 4).
    pub effect_precision: usize,
    /// `STDERR_PRINT_PRECISION` (default 4).
    pub stderr_precision: usize,
    /// `MINWEIGHT`: sample-size markers with a smaller total weight are skipped (default 1).
    pub min_weight: f64,
}

/// Write the header and one row per pooled variant; returns the number of rows.
/// ```text
/// Weight %.2f  Zscore %.3f  Effect %.{effect_precision}f  StdErr %.{stderr_precision}f
/// P-value: %.4g for |z| < 20, else m.mme-N from log10 p     Freq1 FreqSE MinFreq MaxFreq %.4f
/// HetISq %.1f  HetChiSq %.3f  HetDf %d  HetPVal %.4g (1 when Q < 1e-7 or one study)
/// ```
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
/// use metapool::gwas::metal::{write_table, TableLayout};
/// let layout = TableLayout { scheme: Scheme::InverseVariance, track_positions: false, average_freq: false,
///     min_max_freq: false, heterogeneity: true, effect_precision: 4, stderr_precision: 4, min_weight: 1.0 };
/// let mut out = Vec::new();
/// let pooler = GwasPooler { scheme: Scheme::InverseVariance, ..GwasPooler::default() };
/// pooler.pool(table.variants(), 3, &[1.0; 3], &mut PoolBuffers::default(), &mut out)?;
/// let mut tbl = Vec::new();
/// assert_eq!(write_table(&mut tbl, &layout, table.variants(), &out).unwrap(), 2);
/// let text = String::from_utf8(tbl).unwrap();
/// // GWAMA, rs10001 on G: beta -0.024932, se 0.012669, Q 2.698408, I² 25.88%, Q p 0.259447
/// assert_eq!(text.lines().nth(2).unwrap(), "rs10001\tt\tg\t0.0249\t0.0127\t0.04907\t+++\t25.9\t2.698\t2\t0.2594");
/// # Ok::<(), metapool::Error>(())
/// ```
pub fn write_table<W: Write>(
    w: &mut W,
    layout: &TableLayout,
    variants: &[Variant],
    results: &[VariantResult],
) -> io::Result<usize> {
    let ivw = layout.scheme == Scheme::InverseVariance;
    if layout.track_positions {
        write!(w, "Chromosome\tPosition\t")?;
    }
    write!(w, "MarkerName\tAllele1\tAllele2\t")?;
    if layout.average_freq {
        write!(w, "Freq1\tFreqSE\t")?;
    }
    if layout.min_max_freq {
        write!(w, "MinFreq\tMaxFreq\t")?;
    }
    write!(
        w,
        "{}\t",
        if ivw {
            "Effect\tStdErr"
        } else {
            "Weight\tZscore"
        }
    )?;
    write!(w, "P-value\tDirection")?;
    if layout.heterogeneity {
        write!(w, "\tHetISq\tHetChiSq\tHetDf\tHetPVal")?;
    }
    writeln!(w)?;
    let mut count = 0;
    for (v, r) in variants.iter().zip(results) {
        if r.k == 0 || (!ivw && r.weight < layout.min_weight) {
            continue;
        }
        count += 1;
        if layout.track_positions {
            write!(w, "{}\t{}\t", v.chromosome, v.position)?;
        }
        let (a1, a2) = v.metal_alleles();
        write!(w, "{}\t{a1}\t{a2}\t", v.marker)?;
        let f = r.frequency;
        if layout.average_freq {
            write!(w, "{:.4}\t{:.4}\t", f[0], f[1])?;
        }
        if layout.min_max_freq {
            write!(w, "{:.4}\t{:.4}\t", f[2], f[3])?;
        }
        if ivw {
            write!(
                w,
                "{:.*}\t{:.*}\t",
                layout.effect_precision, r.fixed.effect, layout.stderr_precision, r.fixed.se
            )?;
        } else {
            write!(w, "{:.2}\t{:.3}\t", r.weight, r.fixed.z)?;
        }
        write!(w, "{}\t{}", printable_p(r.fixed.z), r.direction)?;
        if layout.heterogeneity {
            let p = if r.q < 1e-7 || r.k <= 1 { 1.0 } else { r.q_p };
            write!(w, "\t{:.1}\t{:.3}\t{}\t{}", r.i2, r.q, r.df, c_g(p, 4))?;
        }
        writeln!(w)?;
    }
    Ok(count)
}

/// Write METAL's `.info` file describing the columns of `table` and listing the inputs.
///
/// ```
/// use metapool::gwas::Scheme;
/// use metapool::gwas::metal::{write_info, TableLayout};
/// let layout = TableLayout { scheme: Scheme::SampleSize, track_positions: false, average_freq: false,
///     min_max_freq: false, heterogeneity: false, effect_precision: 4, stderr_precision: 4, min_weight: 1.0 };
/// let mut info = Vec::new();
/// write_info(&mut info, &layout, "METAANALYSIS1.TBL", &["c1.txt".to_string()]).unwrap();
/// let text = String::from_utf8(info).unwrap();
/// assert!(text.contains("named 'METAANALYSIS1.TBL'") && text.contains("c1.txt"));
/// ```
pub fn write_info<W: Write>(
    w: &mut W,
    layout: &TableLayout,
    table: &str,
    files: &[String],
) -> io::Result<()> {
    writeln!(
        w,
        "# This file contains a short description of the columns in the"
    )?;
    writeln!(w, "# meta-analysis summary file, named '{table}'\n")?;
    if layout.track_positions {
        writeln!(w, "# Chromosome  - chromosome name")?;
        writeln!(w, "# Position    - chromosomal position")?;
    }
    writeln!(w, "# Marker      - this is the marker name")?;
    writeln!(
        w,
        "# Allele1     - the first allele for this marker in the first file where it occurs"
    )?;
    writeln!(
        w,
        "# Allele2     - the second allele for this marker in the first file where it occurs"
    )?;
    if layout.average_freq {
        writeln!(
            w,
            "# Freq1       - weighted average of frequency for allele 1 across all studies"
        )?;
        writeln!(
            w,
            "# FreqSE      - corresponding standard error for allele frequency estimate"
        )?;
    }
    if layout.min_max_freq {
        writeln!(
            w,
            "# MinFreq     - minimum frequency for allele 1 across all studies"
        )?;
        writeln!(
            w,
            "# MaxFreq     - maximum frequency for allele 1 across all studies"
        )?;
    }
    if layout.scheme == Scheme::InverseVariance {
        writeln!(
            w,
            "# Effect      - overall estimated effect size for allele1"
        )?;
        writeln!(
            w,
            "# StdErr      - overall standard error for effect size estimate"
        )?;
    } else {
        writeln!(w, "# Weight      - the sum of the individual study weights (typically, N) for this marker")?;
        writeln!(
            w,
            "# Z-score     - the combined z-statistic for this marker"
        )?;
    }
    writeln!(w, "# P-value     - meta-analysis p-value")?;
    writeln!(
        w,
        "# Direction   - summary of effect direction for each study, with one '+' or '-' per study"
    )?;
    if layout.heterogeneity {
        writeln!(
            w,
            "# HetISq      - I^2 statistic which measures heterogeneity on scale of 0-100%"
        )?;
        writeln!(
            w,
            "# HetChiSq    - chi-squared statistic in simple test of heterogeneity"
        )?;
        writeln!(
            w,
            "# df          - degrees of freedom for heterogeneity statistic"
        )?;
        writeln!(w, "# HetPVal     - P-value for heterogeneity statistic")?;
    }
    writeln!(
        w,
        "\n# Input for this meta-analysis was stored in the files:"
    )?;
    for (i, f) in files.iter().enumerate() {
        writeln!(w, "# --> Input File {} : {f}", i + 1)?;
    }
    writeln!(w)
}
