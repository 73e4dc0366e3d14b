//! The modern output table: tab-separated, one row per variant, every number in full
//! (shortest round-trip) precision; effects refer to the effect allele of the variant's first
//! cohort (`EA`).

use metapool::gwas::{
    genomic_control_lambda, Estimate, GwasPooler, Scheme, Variant, VariantResult,
};
use metapool::inference::normal_two_sided_p;
use std::io::{self, Write};

pub struct Writer<W> {
    w: W,
    scheme: Scheme,
    random: bool,
    hk: bool,
    het: bool,
    cohorts: usize,
}

impl<W: Write> Writer<W> {
    pub fn new(w: W, pooler: &GwasPooler, het: bool, cohorts: usize) -> Self {
        Writer {
            w,
            scheme: pooler.scheme,
            random: pooler.random.is_some(),
            hk: pooler.random.is_some()
                && pooler.random_test == metapool::gwas::RandomTest::HartungKnapp,
            het,
            cohorts,
        }
    }

    pub fn header(&mut self) -> io::Result<()> {
        let w = &mut self.w;
        write!(
            w,
            "CHR\tPOS\tMARKER\tEA\tOA\tK\tN\tEAF\tEAF_SD\tEAF_MIN\tEAF_MAX"
        )?;
        match self.scheme {
            Scheme::InverseVariance => write!(w, "\tBETA\tSE\tZ\tP")?,
            Scheme::SampleSize => write!(w, "\tZ\tP")?,
        }
        if self.random {
            write!(w, "\tBETA_RE\tSE_RE\tZ_RE\tP_RE\tTAU2")?;
        }
        if self.hk {
            write!(w, "\tSE_HK\tT_HK\tP_HK")?;
        }
        if self.het {
            write!(w, "\tQ\tDF\tP_Q\tI2")?;
        }
        writeln!(w, "\tDIRECTION")
    }

    fn row(&mut self, v: &Variant, r: &VariantResult) -> io::Result<()> {
        if r.k == 0 {
            return Ok(());
        }
        // effects are computed for the canonical first allele; report them for the first
        // cohort's effect allele
        let s = if v.first_row_swapped { -1.0 } else { 1.0 };
        let (a, b) = v.metal_alleles();
        let (ea, oa) = if v.first_row_swapped { (b, a) } else { (a, b) };
        let w = &mut self.w;
        write!(
            w,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            v.chromosome,
            v.position,
            v.marker,
            ea.to_ascii_uppercase(),
            oa.to_ascii_uppercase(),
            r.k,
            r.weight
        )?;
        let f = r.frequency;
        if f[0].is_finite() {
            let (m, lo, hi) = if s < 0.0 {
                (1.0 - f[0], 1.0 - f[3], 1.0 - f[2])
            } else {
                (f[0], f[2], f[3])
            };
            write!(w, "\t{m}\t{}\t{lo}\t{hi}", f[1])?;
        } else {
            write!(w, "\tNA\tNA\tNA\tNA")?;
        }
        let e = &r.fixed;
        match self.scheme {
            Scheme::InverseVariance => {
                write!(w, "\t{}\t{}\t{}\t{}", s * e.effect, e.se, s * e.z, e.p)?
            }
            Scheme::SampleSize => write!(w, "\t{}\t{}", s * e.z, e.p)?,
        }
        if self.random {
            let e = r.random.unwrap_or_default();
            write!(
                w,
                "\t{}\t{}\t{}\t{}\t{}",
                s * e.effect,
                e.se,
                s * e.z,
                e.p,
                r.tau2
            )?;
        }
        if self.hk {
            let e = r.hartung_knapp.unwrap_or_default();
            write!(w, "\t{}\t{}\t{}", e.se, s * e.z, e.p)?;
        }
        if self.het {
            write!(w, "\t{}\t{}\t{}\t{}", r.q, r.df, r.q_p, r.i2)?;
        }
        let dir: String = if s < 0.0 {
            r.direction
                .chars()
                .map(|c| match c {
                    '+' => '-',
                    '-' => '+',
                    c => c,
                })
                .collect()
        } else {
            r.direction.clone()
        };
        debug_assert_eq!(dir.len(), self.cohorts);
        writeln!(w, "\t{dir}")
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// Writes rows at once, or holds them all for genomic control of the result (memory grows
/// with the number of variants).
pub struct Held {
    on: bool,
    rows: Vec<(Variant, VariantResult)>,
    lambda: Option<f64>,
}

impl Held {
    pub fn new(on: bool) -> Self {
        Held {
            on,
            rows: Vec::new(),
            lambda: None,
        }
    }

    pub fn write<W: Write>(
        &mut self,
        w: &mut Writer<W>,
        vs: &[Variant],
        rs: &[VariantResult],
    ) -> io::Result<()> {
        for (v, r) in vs.iter().zip(rs) {
            if self.on {
                if r.k > 0 {
                    self.rows.push((v.clone(), r.clone()));
                }
            } else {
                w.row(v, r)?;
            }
        }
        Ok(())
    }

    /// Divide every z by sqrt(lambda) (se times sqrt(lambda)), lambda from the median of the
    /// results' chi-squares by METAL's rule, then write the rows.
    pub fn finish<W: Write>(&mut self, w: &mut Writer<W>) -> io::Result<()> {
        if !self.on {
            return Ok(());
        }
        let mut chi2: Vec<f64> = self
            .rows
            .iter()
            .map(|(_, r)| r.fixed.z * r.fixed.z)
            .collect();
        let lambda = genomic_control_lambda(&mut chi2);
        self.lambda = Some(lambda);
        let f = lambda.sqrt();
        let adjust = |e: &mut Estimate| {
            e.z /= f;
            e.se *= f;
            e.p = normal_two_sided_p(e.z);
        };
        for (v, r) in &mut self.rows {
            adjust(&mut r.fixed);
            if let Some(e) = r.random.as_mut() {
                adjust(e);
            }
            w.row(v, r)?;
        }
        Ok(())
    }

    pub fn lambda(&self) -> Option<f64> {
        self.lambda
    }
}
