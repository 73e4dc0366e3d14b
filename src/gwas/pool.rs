//! Pooling each variant's cohorts: the inverse-variance scheme through the batch path
//! ([`BatchPooler`]: fixed effect and DL/REML random effects), the sample-size scheme
//! (METAL's default), heterogeneity, and genomic control.

use super::align::Variant;
use super::sample_size::sample_size;
use crate::batch::{Analyses, BatchPooler, BatchResults, OnFailure};
use crate::error::Result;
use crate::heterogeneity::Heterogeneity;
use crate::inference::ConfidenceLevel;
use crate::{
    effect::EffectSet, pool::RandomModel, pool::Tau2Control, pool::Tau2Estimator, pool::Test,
};

/// How cohorts are weighted (METAL's `SCHEME`).
///
/// ```
/// // `cohorts`: two variants of the three cohort files of fixtures/gwas (PLINK, METAL, CSV layouts)
/// # use metapool::gwas::*;
/// # let cohorts = [
/// #     "CHR SNP BP A1 A2 BETA SE P NMISS EAF\n1 rs10000 11761 A T 0.019251 0.032826 0.557569 5000 0.1057\n1 rs10001 14819 G T -0.01257 0.02171 0.562592 5000 0.2448\n",
/// #     "MarkerName\tCHR\tPOS\tEA\tNEA\tEffect\tStdErr\tP\tN\tFREQ1\nrs10000\t1\t11761\tA\tT\t-0.01188\t0.045014\t0.791843\t3200\t0.1059\nrs10001\t1\t14819\tG\tT\t-0.067698\t0.029038\t0.0197344\t3200\t0.2266\n",
/// #     "rsid,chrom,pos,allele1,allele2,beta,se,pval,n,eaf\nrs10000,1,11761,A,T,0.00533,0.027665,0.847224,8000,0.1045\nrs10001,1,14819,G,T,-0.016554,0.018497,0.370811,8000,0.2334\n",
/// # ];
/// let spec = ReadSpec::new(Scheme::SampleSize);
/// let mut table = VariantTable::new();
/// let mut aligner = Aligner::new(Scheme::SampleSize, Palindromic::Keep);
/// for (c, text) in cohorts.iter().enumerate() {
///     let mut r = CohortReader::new(text.as_bytes(), "c", &spec)?;
///     table.read_cohort(&mut r, c, &mut aligner, OnInvalidRow::Stop, None)?;
/// }
/// let mut out = Vec::new();
/// GwasPooler::default().pool(table.variants(), 3, &[1.0; 3], &mut PoolBuffers::default(), &mut out)?;
/// // plink --meta-analysis weighted-z: rs10000 0.3439 (P 0.7309); rs10001 -1.987 on G (P 0.04695)
/// assert!((out[0].fixed.z - 0.3439).abs() < 5e-5 && (out[0].fixed.p - 0.7309).abs() < 5e-5);
/// assert!((out[1].fixed.z - 1.987).abs() < 5e-4 && (out[1].fixed.p - 0.04695).abs() < 5e-6);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Scheme {
    /// Inverse-variance weighting of the effects (METAL's `SCHEME STDERR`):
    /// ```text
    /// w_i = 1 / (se_i^2 lambda_i),  beta = sum w_i b_i / sum w_i,  se = 1 / sqrt(sum w_i)
    /// z = beta / se,  p = 2 Phi(-|z|)
    /// ```
    InverseVariance,
    /// Sample-size weighting of signed z-scores (METAL's default `SCHEME SAMPLESIZE`;
    /// Willer, Li & Abecasis 2010, Bioinformatics 26:2190, table 1):
    /// ```text
    /// z_i = sign(b_i) Phi^-1(1 - p_i / 2) / sqrt(lambda_i),  w_i = sqrt(N_i)
    /// Z = sum w_i z_i / sqrt(sum N_i),  p = 2 Phi(-|Z|)
    /// ```
    #[default]
    SampleSize,
}

/// The test of the random-effects estimate.
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
/// let pooler = GwasPooler { scheme: Scheme::InverseVariance, random: Some(metapool::pool::Tau2Estimator::DerSimonianLaird),
///     random_test: RandomTest::HartungKnapp, ..GwasPooler::default() };
/// let mut out = Vec::new();
/// pooler.pool(table.variants(), 3, &[1.0; 3], &mut PoolBuffers::default(), &mut out)?;
/// let (re, hk) = (out[1].random.unwrap(), out[1].hartung_knapp.unwrap());
/// assert_eq!(re.effect, hk.effect); // the same estimate, another test: t on k - 1 = 2 df
/// assert!(hk.p > re.p);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RandomTest {
    /// Wald z test (metafor's default; plink's and GWAMA's random effects).
    #[default]
    Wald,
    /// Hartung-Knapp(-Sidik-Jonkman): se scaled by the weighted residual variance, t on k - 1
    /// df (metafor `test = "knha"`).
    HartungKnapp,
}

/// One model's result for a variant.
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
/// let mut out = Vec::new();
/// let pooler = GwasPooler { scheme: Scheme::InverseVariance, ..GwasPooler::default() };
/// pooler.pool(table.variants(), 3, &[1.0; 3], &mut PoolBuffers::default(), &mut out)?;
/// let e = out[0].fixed;
/// // GWAMA (fixed effects), rs10000: beta 0.006952, se 0.019145, z 0.363126; plink P 0.7165
/// assert!((e.effect - 0.006952).abs() < 5e-7 && (e.se - 0.019145).abs() < 5e-7);
/// assert!((e.z - 0.363126).abs() < 5e-7 && (e.p - 0.7165).abs() < 5e-5);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Estimate {
    /// Pooled effect (inverse variance) or NaN (sample size).
    pub effect: f64,
    /// Its standard error (NaN for sample size).
    pub se: f64,
    /// z (or t for Hartung-Knapp) statistic.
    pub z: f64,
    /// Two-sided p-value.
    pub p: f64,
}

/// The meta-analysis of one variant, its effects referring to the canonical first allele
/// ([`Variant::first`]).
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
/// let mut out = Vec::new();
/// let pooler = GwasPooler { scheme: Scheme::InverseVariance, ..GwasPooler::default() };
/// pooler.pool(table.variants(), 3, &[1.0; 3], &mut PoolBuffers::default(), &mut out)?;
/// let r = &out[1];
/// // GWAMA, rs10001 (on G; here on T, the canonical first allele): beta -0.024932, Q 2.698408,
/// // Q p 0.259447, I² 0.258822, "---" (here "+++"), 16200 samples
/// assert!((r.fixed.effect - 0.024932).abs() < 5e-7);
/// assert!((r.q - 2.698408).abs() < 5e-7 && (r.q_p - 0.259447).abs() < 5e-7);
/// assert!((r.i2 - 25.8822).abs() < 5e-5);
/// assert_eq!((r.k, r.df, r.weight, r.direction.as_str()), (3, 2, 16200.0, "+++"));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VariantResult {
    /// Number of cohorts pooled.
    pub k: usize,
    /// Sum of the sample sizes.
    pub weight: f64,
    /// Fixed effect (inverse variance) or the sample-size Z.
    pub fixed: Estimate,
    /// Random effects (inverse-variance scheme with a tau² estimator), Wald test.
    pub random: Option<Estimate>,
    /// Random effects with the Hartung-Knapp test.
    pub hartung_knapp: Option<Estimate>,
    /// tau² (random effects only; NaN otherwise).
    pub tau2: f64,
    /// Cochran's Q (METAL's `HetChiSq`).
    pub q: f64,
    /// Its degrees of freedom, k - 1.
    pub df: usize,
    /// Its p-value (1 for k = 1, as METAL).
    pub q_p: f64,
    /// I² in percent from Q, `100 max(0, (Q - df) / Q)`.
    pub i2: f64,
    /// Weighted mean frequency of the first allele (weights as the scheme's), its standard
    /// deviation across cohorts, minimum and maximum (NaN without frequencies).
    pub frequency: [f64; 4],
    /// One character per cohort: `+`, `-`, `0` or `?` (absent).
    pub direction: String,
}

/// Pools variants (see the [module docs](crate::gwas)).
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
/// let pooler = GwasPooler { scheme: Scheme::InverseVariance, random: Some(metapool::pool::Tau2Estimator::DerSimonianLaird),
///     ..GwasPooler::default() };
/// let mut out = Vec::new();
/// pooler.pool(table.variants(), 3, &[1.0; 3], &mut PoolBuffers::default(), &mut out)?;
/// let re = out[1].random.unwrap();
/// // GWAMA --random, rs10001: beta -0.026452 (on G), se 0.015011, z -1.762125; plink P(R) 0.07805
/// assert!((re.effect - 0.026452).abs() < 5e-7 && (re.se - 0.015011).abs() < 5e-7);
/// assert!((re.z - 1.762125).abs() < 5e-7 && (re.p - 0.07805).abs() < 5e-6);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GwasPooler {
    /// Weighting scheme.
    pub scheme: Scheme,
    /// Random-effects tau² estimator (inverse-variance scheme only), or none.
    pub random: Option<Tau2Estimator>,
    /// Test of the random-effects estimate (with Hartung-Knapp both are reported).
    pub random_test: RandomTest,
    /// Confidence level.
    pub level: ConfidenceLevel,
}

impl Default for GwasPooler {
    fn default() -> Self {
        GwasPooler {
            scheme: Scheme::SampleSize,
            random: None,
            random_test: RandomTest::Wald,
            level: ConfidenceLevel::default(),
        }
    }
}

/// Reused buffers of [`GwasPooler::pool`].
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
/// let pooler = GwasPooler { scheme: Scheme::InverseVariance, ..GwasPooler::default() };
/// let (mut buffers, mut out) = (PoolBuffers::default(), Vec::new());
/// for _ in 0..2 { // e.g. one block of variants after another, the buffers reused
///     pooler.pool(table.variants(), 3, &[1.0; 3], &mut buffers, &mut out)?;
///     assert_eq!(out.len(), 2);
/// }
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct PoolBuffers {
    y: Vec<f64>,
    v: Vec<f64>,
    offsets: Vec<usize>,
    rows: Vec<usize>,
    batch: BatchResults,
}

impl GwasPooler {
    /// The iteration settings of the REML and other iterative estimators: the exact solver
    /// (the default), which converges where metafor's defaults stall (see [`BatchPooler`]).
    fn control() -> Tau2Control {
        Tau2Control::default()
    }

    /// Pool `variants` (of `cohorts` cohorts, with genomic-control lambdas `lambda[c]`) into
    /// `out` (cleared; one result per variant, `k = 0` for a variant without contributions).
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
    /// let pooler = GwasPooler { scheme: Scheme::InverseVariance, ..GwasPooler::default() };
    /// let mut out = Vec::new();
    /// // genomic control: lambda 2 for cohort 1 doubles its variance (METAL: se² lambda)
    /// pooler.pool(table.variants(), 3, &[2.0, 1.0, 1.0], &mut PoolBuffers::default(), &mut out)?;
    /// let w = [1.0 / (2.0 * 0.032826f64.powi(2)), 1.0 / 0.045014f64.powi(2), 1.0 / 0.027665f64.powi(2)];
    /// let beta = (w[0] * 0.019251 - w[1] * 0.01188 + w[2] * 0.00533) / (w[0] + w[1] + w[2]);
    /// assert!((out[0].fixed.effect - beta).abs() < 1e-15);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn pool(
        &self,
        variants: &[Variant],
        cohorts: usize,
        lambda: &[f64],
        buf: &mut PoolBuffers,
        out: &mut Vec<VariantResult>,
    ) -> Result<()> {
        out.clear();
        for v in variants {
            out.push(self.describe(v, cohorts, lambda));
        }
        match self.scheme {
            Scheme::SampleSize => {
                for (v, r) in variants.iter().zip(out.iter_mut()) {
                    sample_size(v, lambda, r);
                }
                Ok(())
            }
            Scheme::InverseVariance => self.inverse_variance(variants, lambda, buf, out),
        }
    }

    fn describe(&self, v: &Variant, cohorts: usize, lambda: &[f64]) -> VariantResult {
        let mut direction = String::with_capacity(cohorts);
        let mut next = 0;
        let (mut sw, mut swf, mut swf2) = (0.0, 0.0, 0.0);
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut weight = 0.0;
        for s in &v.studies {
            while next < s.cohort {
                direction.push('?');
                next += 1;
            }
            let x = if self.scheme == Scheme::SampleSize {
                s.z
            } else {
                s.effect
            };
            direction.push(if x == 0.0 {
                '0'
            } else if x > 0.0 {
                '+'
            } else {
                '-'
            });
            next += 1;
            weight += s.weight;
            let w = match self.scheme {
                Scheme::SampleSize => s.weight,
                Scheme::InverseVariance => 1.0 / (s.se * s.se * lambda[s.cohort]),
            };
            sw += w;
            swf += w * s.frequency;
            swf2 += w * s.frequency * s.frequency;
            lo = lo.min(s.frequency);
            hi = hi.max(s.frequency);
        }
        while next < cohorts {
            direction.push('?');
            next += 1;
        }
        let mean = swf / sw;
        let var = swf2 / sw - mean * mean;
        let sd = if var > 0.0 { var.sqrt() } else { 0.0 };
        VariantResult {
            k: v.studies.len(),
            weight,
            tau2: f64::NAN,
            frequency: if mean.is_finite() {
                [mean, sd, lo, hi]
            } else {
                [f64::NAN; 4]
            },
            direction,
            ..VariantResult::default()
        }
    }

    fn inverse_variance(
        &self,
        variants: &[Variant],
        lambda: &[f64],
        buf: &mut PoolBuffers,
        out: &mut [VariantResult],
    ) -> Result<()> {
        buf.y.clear();
        buf.v.clear();
        buf.offsets.clear();
        buf.rows.clear();
        buf.offsets.push(0);
        for (i, v) in variants.iter().enumerate() {
            if v.studies.is_empty() {
                continue;
            }
            for s in &v.studies {
                buf.y.push(s.effect);
                buf.v.push(s.se * s.se * lambda[s.cohort]);
            }
            buf.offsets.push(buf.y.len());
            buf.rows.push(i);
        }
        let analyses = Analyses::with_offsets(&buf.y, &buf.v, &buf.offsets)?;
        let pooler = BatchPooler::new(
            self.random.unwrap_or(Tau2Estimator::DerSimonianLaird),
            self.level,
            OnFailure::Record,
        )
        .with_control(Self::control());
        pooler.pool(&analyses, &mut buf.batch)?;
        let b = &buf.batch;
        for (a, &i) in buf.rows.iter().enumerate() {
            let r = &mut out[i];
            let h = &b.heterogeneity;
            r.fixed = Estimate {
                effect: b.fixed.estimate[a],
                se: b.fixed.se[a],
                z: b.fixed.z[a],
                p: b.fixed.p[a],
            };
            r.df = r.k - 1;
            r.q = h.q[a];
            r.q_p = h.q_p[a].unwrap_or(1.0);
            r.i2 = Heterogeneity::fixed(r.q, r.df).i2;
            if self.random.is_some() {
                r.random = Some(Estimate {
                    effect: b.random.estimate[a],
                    se: b.random.se[a],
                    z: b.random.z[a],
                    p: b.random.p[a],
                });
                r.tau2 = h.tau2[a];
            }
        }
        if let (Some(estimator), RandomTest::HartungKnapp) = (self.random, self.random_test) {
            let model = RandomModel::new(estimator, self.level)
                .with_test(Test::KnappHartung)
                .with_control(Self::control());
            for (a, &i) in buf.rows.iter().enumerate() {
                let (s, e) = (buf.offsets[a], buf.offsets[a + 1]);
                // Hartung-Knapp needs k >= 2 (t on k - 1 df): NaN for one cohort
                let fit = EffectSet::from_estimates(&buf.y[s..e], &buf.v[s..e])
                    .and_then(|set| model.pool(&set));
                out[i].hartung_knapp = Some(match fit {
                    Ok(f) if e - s >= 2 => Estimate {
                        effect: f.estimate,
                        se: f.se,
                        z: f.statistic,
                        p: f.p,
                    },
                    _ => Estimate {
                        effect: f64::NAN,
                        se: f64::NAN,
                        z: f64::NAN,
                        p: f64::NAN,
                    },
                });
            }
        }
        Ok(())
    }
}
