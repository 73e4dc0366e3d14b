//! The modern output table: tab-separated, one row per variant, every number in full
//! (shortest round-trip, by ryu) precision, `NA` when not available; effects refer to the effect allele of the variant's first
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
    line: String,
    float: ryu::Buffer,
    int: String,
}

/// A tab and `x` (shortest round-trip digits), or `NA` when not finite.
fn push_float(line: &mut String, buf: &mut ryu::Buffer, x: f64) {
    line.push('\t');
    if x.is_finite() {
        line.push_str(buf.format_finite(x));
    } else {
        line.push_str("NA");
    }
}

/// `x` in decimal, written into `buf`.
fn itoa(buf: &mut String, x: u64) -> &str {
    use std::fmt::Write as _;
    buf.clear();
    let _ = write!(buf, "{x}");
    buf
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
            line: String::new(),
            float: ryu::Buffer::new(),
            int: String::new(),
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
        let line = &mut self.line;
        line.clear();
        line.push_str(&v.chromosome);
        line.push('\t');
        line.push_str(itoa(&mut self.int, v.position));
        line.push('\t');
        line.push_str(&v.marker);
        line.push('\t');
        line.push_str(&ea.to_ascii_uppercase());
        line.push('\t');
        line.push_str(&oa.to_ascii_uppercase());
        line.push('\t');
        line.push_str(itoa(&mut self.int, r.k as u64));
        let f = r.frequency;
        let (m, lo, hi) = if s < 0.0 {
            (1.0 - f[0], 1.0 - f[3], 1.0 - f[2])
        } else {
            (f[0], f[2], f[3])
        };
        let e = &r.fixed;
        let mut nums: [f64; 24] = [0.0; 24];
        let mut n = 0;
        let mut push = |x: f64| {
            nums[n] = x;
            n += 1;
        };
        push(r.weight);
        push(m);
        push(f[1]);
        push(lo);
        push(hi);
        match self.scheme {
            Scheme::InverseVariance => {
                push(s * e.effect);
                push(e.se);
                push(s * e.z);
                push(e.p);
            }
            Scheme::SampleSize => {
                push(s * e.z);
                push(e.p);
            }
        }
        if self.random {
            let e = r.random.unwrap_or_default();
            push(s * e.effect);
            push(e.se);
            push(s * e.z);
            push(e.p);
            push(r.tau2);
        }
        if self.hk {
            let e = r.hartung_knapp.unwrap_or_default();
            push(e.se);
            push(s * e.z);
            push(e.p);
        }
        if self.het {
            push(r.q);
        }
        for &x in &nums[..n] {
            push_float(line, &mut self.float, x);
        }
        if self.het {
            line.push('\t');
            line.push_str(itoa(&mut self.int, r.df as u64));
            push_float(line, &mut self.float, r.q_p);
            push_float(line, &mut self.float, r.i2);
        }
        line.push('\t');
        if s < 0.0 {
            line.extend(r.direction.chars().map(|c| match c {
                '+' => '-',
                '-' => '+',
                c => c,
            }));
        } else {
            line.push_str(&r.direction);
        }
        debug_assert_eq!(r.direction.len(), self.cohorts);
        line.push('\n');
        self.w.write_all(line.as_bytes())
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
