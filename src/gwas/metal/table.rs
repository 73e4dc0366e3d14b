//! METAL's output table (`METAANALYSIS1.TBL`) and its `.info` file: the same columns in the
//! same order with METAL's number formatting. Rows are in order of first appearance (METAL's
//! are in its hash table's order).

use super::format::{c_g, printable_p};
use crate::gwas::{Scheme, Variant, VariantResult};
use std::io::{self, Write};

/// Which columns the table has (set by METAL's commands).
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
