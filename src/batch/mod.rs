//! Pooling many independent analyses at once: simulation studies (a million meta-analyses of a
//! few studies each), or genome-wide meta-analysis (every variant pooled across cohorts).
//!
//! The input is a structure of arrays ([`Analyses`]): one column of effects `y`, one of
//! variances `v`, and either offsets marking where each analysis starts or one common number of
//! studies per analysis. The output ([`BatchResults`]) is a structure of arrays too, one row per
//! analysis, written into buffers the caller keeps and reuses: the hot loop allocates nothing,
//! per analysis or per study.
//!
//! Each analysis goes through the very kernels of the single-analysis API (`pool/core.rs`), the
//! same [`Tau2Estimator`], the same Wald interval and the same [`Heterogeneity`] constructor, so
//! its numbers are bit for bit those of [`FixedModel::pool`](crate::pool::FixedModel::pool) and
//! [`RandomModel::pool`](crate::pool::RandomModel::pool) on that analysis (tested on random data).
//! Analyses of up to 16 studies in a uniform batch go through those kernels 8 at a time, one
//! per SIMD lane (the same operations on every lane), and the kernels are compiled for the
//! instruction set the CPU has ([`SimdLevel`]), with the same bits on every level.
//!
//! ```text
//! per analysis a, studies i in offsets[a]..offsets[a+1]:
//!   fixed:   w_i = 1/v_i,          mu = sum w_i y_i / sum w_i,  se = 1/sqrt(sum w_i)
//!   random:  w*_i = 1/(v_i + tau2), mu* = sum w*_i y_i / sum w*_i, se* = 1/sqrt(sum w*_i)
//!   each:    CI = mu -/+ z_crit se,  z = mu / se,  p = 2 (1 - Phi(|z|))
//!   Q = sum w_i (y_i - mu)^2 on k - 1 df, p(Q) = P(chi2_{k-1} >= Q), I^2, H^2, tau^2
//! ```
//!
//! ```
//! use metapool::batch::{Analyses, BatchPooler, BatchResults};
//! // two analyses: studies 0..3 and 3..5
//! let y = [0.1, 0.9, 0.4, -0.2, 0.3];
//! let v = [0.01, 0.02, 0.015, 0.05, 0.04];
//! let analyses = Analyses::with_offsets(&y, &v, &[0, 3, 5])?;
//! let mut out = BatchResults::default(); // keep it and reuse it across batches
//! BatchPooler::default().pool(&analyses, &mut out)?;
//! assert_eq!(out.len(), 2);
//! assert_eq!(out.k, vec![3, 2]);
//! assert!(out.heterogeneity.tau2[0] > 0.0);
//! // the same numbers as the single-analysis API, bit for bit
//! let set = metapool::effect::EffectSet::from_estimates(&y[..3], &v[..3])?;
//! let fit = metapool::pool::RandomModel::default().pool(&set)?;
//! assert_eq!(out.random.estimate[0], fit.estimate);
//! assert_eq!(out.heterogeneity.q_p[0], fit.heterogeneity.q_p);
//! # Ok::<(), metapool::Error>(())
//! ```

mod accumulate;
mod analyses;
mod columns;
mod fill;
mod lanes;
mod simd;

pub use accumulate::InverseVarianceSums;
pub use analyses::{offsets_from_lengths, Analyses, BatchFloat};
pub use columns::{AnalysisStatus, BatchResults, FailureReason, HeterogeneityColumns, WaldColumns};
pub use simd::SimdLevel;

use crate::error::{Error, Result};
use crate::heterogeneity::{q_test_p, typical_variance, Heterogeneity};
use crate::inference::ConfidenceLevel;
use crate::pool::tau2;
use crate::pool::{
    check_heterogeneity, fixed_core_of, weighted_core_of, Column, FixedCore, FixedMethod,
    RandomModel, Slice, Tau2Control, Tau2Estimator, Test, Wald,
};
use columns::ColumnsMut;

/// What the batch does when one analysis cannot be pooled (an invalid study, no studies, a
/// non-finite result).
///
/// ```
/// use metapool::Error;
/// use metapool::batch::{Analyses, BatchPooler, BatchResults, OnFailure};
/// let (y, v) = ([0.1, 0.9, 0.4, 0.2], [0.01, 0.01, 0.01, -1.0]);
/// let mut out = BatchResults::default();
/// let err = BatchPooler::default().with_on_failure(OnFailure::Stop).pool(&Analyses::uniform(&y, &v, 2)?, &mut out);
/// assert!(matches!(err, Err(Error::InAnalysis { analysis: 1, .. })));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum OnFailure {
    /// Stop and return [`Error::InAnalysis`] for the first failing analysis (lowest position).
    Stop,
    /// Record the failure in [`BatchResults::failures`] and in its row's
    /// [`BatchResults::status`], fill that analysis' row with NaN (its `k` with 0, its `q_p`
    /// with `None`) and go on (the default: one analysis never aborts a batch). Every row not
    /// listed there is finite.
    #[default]
    Record,
}

/// Pools every analysis of a batch with both the fixed-effect (inverse-variance) and the
/// random-effects model, as [`FixedModel`](crate::pool::FixedModel) and
/// [`RandomModel`] (with the z test) do one at a time. See the
/// [module docs](self).
///
/// Any [`Tau2Estimator`] works; the iterative ones (REML, ML, EB, PM, ...) run with the
/// model's [`Tau2Control`], the exact solver unless set, which converges on every analysis of
/// finite valid studies. [`Tau2Control::metafor`] follows metafor's iteration path instead,
/// whose Fisher scoring does not converge on a small share of analyses (about 0.8% of random
/// analyses of k = 10, as metafor itself): such an analysis gets the status
/// `Failed(NotConverged)` and NaN results, and the batch goes on ([`OnFailure::Record`], the
/// default).
///
/// ```
/// use metapool::batch::{AnalysisStatus, Analyses, BatchPooler, BatchResults};
/// use metapool::pool::Tau2Estimator;
/// let y = [0.1, 0.9, 0.4, 0.3, -0.2, 0.3, 0.1];
/// let v = [0.01, 0.02, 0.015, 0.03, 0.05, 0.04, 0.02];
/// let analyses = Analyses::with_offsets(&y, &v, &[0, 4, 7])?;
/// let reml = BatchPooler::default().with_estimator(Tau2Estimator::RestrictedMaximumLikelihood);
/// let mut out = BatchResults::default();
/// reml.pool(&analyses, &mut out)?;
/// assert!(out.failures.is_empty());
/// assert_eq!(out.status, vec![AnalysisStatus::Pooled; 2]);
/// assert!(out.heterogeneity.tau2[0] > 0.0 && out.tau2_iterations[0] > 0);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BatchPooler {
    /// The random-effects model of every analysis: its tau² estimator, confidence level (also
    /// that of the fixed-effect fits) and iteration settings. The batch tests with z on the
    /// inverse-variance Q: a model with another test or `q_from` is an [`Error::Undefined`].
    pub model: RandomModel,
    /// What to do with an analysis that cannot be pooled.
    pub on_failure: OnFailure,
    /// The instruction set of the kernels ([`SimdLevel::Detect`]: the best this CPU has). Every
    /// level gives the same bits.
    #[cfg_attr(feature = "serde", serde(default))]
    pub simd: SimdLevel,
}

/// One analysis' results, before they are written to the columns.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    pub k: usize,
    pub tau2_iterations: usize,
    pub fixed: Wald,
    pub random: Wald,
    pub heterogeneity: Heterogeneity,
}

impl BatchPooler {
    /// A batch pooler.
    ///
    /// ```
    /// // `y`, `v`: metafor's escalc("RR") of dat.bcg (13 trials)
    /// # let y = [-0.8893113339202054, -1.5853886572014306, -1.3480731482996933, -1.4415511900213054,
    /// #     -0.21754732221129558, -0.786115585818864, -1.6208982235983918, 0.011952333523840508,
    /// #     -0.4694176487381494, -1.3713448034727844, -0.3393588283383906, 0.44591340057137874,
    /// #     -0.017313948216879815];
    /// # let v = [0.32558476500396133, 0.19458112139814385, 0.4153679653679654, 0.020010031902247573,
    /// #     0.05121017216963086, 0.0069056184559087574, 0.22301724757231517, 0.0039615792978177295,
    /// #     0.056434210463248966, 0.07302479361302891, 0.01241221397155972, 0.5325058452001528,
    /// #     0.0714046596839863];
    /// use metapool::batch::{Analyses, BatchPooler, BatchResults, OnFailure};
    /// use metapool::{inference::ConfidenceLevel, pool::Tau2Estimator};
    /// let pooler = BatchPooler::new(Tau2Estimator::RestrictedMaximumLikelihood, ConfidenceLevel::default(), OnFailure::Stop);
    /// let mut out = BatchResults::default();
    /// pooler.pool(&Analyses::uniform(&y, &v, 13)?, &mut out)?;
    /// // metafor rma(yi, vi, method = "REML"): tau^2 0.3132, estimate -0.7145 (se 0.1798)
    /// assert!((out.heterogeneity.tau2[0] - 0.3132).abs() < 5e-5);
    /// assert!((out.random.estimate[0] - -0.7145).abs() < 5e-5 && (out.random.se[0] - 0.1798).abs() < 5e-5);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(estimator: Tau2Estimator, level: ConfidenceLevel, on_failure: OnFailure) -> Self {
        BatchPooler {
            model: RandomModel::new(estimator, level),
            on_failure,
            simd: SimdLevel::Detect,
        }
    }

    /// The same pooler with another random-effects model (z test, inverse-variance Q).
    ///
    /// ```
    /// use metapool::batch::{Analyses, BatchPooler, BatchResults};
    /// use metapool::{pool::RandomModel, pool::Test};
    /// let (y, v) = ([0.1, 0.9, 0.4], [0.01, 0.02, 0.015]);
    /// let mut out = BatchResults::default();
    /// let knha = BatchPooler::default().with_model(RandomModel::default().with_test(Test::KnappHartung));
    /// assert!(knha.pool(&Analyses::uniform(&y, &v, 3)?, &mut out).is_err()); // the batch tests with z
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_model(mut self, model: RandomModel) -> Self {
        self.model = model;
        self
    }

    /// The same pooler with another tau² estimator.
    ///
    /// ```
    /// use metapool::batch::{Analyses, BatchPooler, BatchResults};
    /// use metapool::{effect::EffectSet, pool::RandomModel, pool::Tau2Estimator};
    /// let (y, v) = ([0.1, 0.9, 0.4, 0.3], [0.01, 0.02, 0.015, 0.03]);
    /// let mut out = BatchResults::default();
    /// BatchPooler::default().with_estimator(Tau2Estimator::PauleMandel).pool(&Analyses::uniform(&y, &v, 4)?, &mut out)?;
    /// let one = RandomModel::default().with_estimator(Tau2Estimator::PauleMandel).pool(&EffectSet::from_estimates(&y, &v)?)?;
    /// assert_eq!(out.heterogeneity.tau2[0], one.heterogeneity.tau2); // bit for bit
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_estimator(mut self, estimator: Tau2Estimator) -> Self {
        self.model.estimator = estimator;
        self
    }

    /// The same pooler with another confidence level.
    ///
    /// ```
    /// use metapool::batch::{Analyses, BatchPooler, BatchResults};
    /// use metapool::inference::ConfidenceLevel;
    /// let (y, v) = ([0.2, 0.4], [0.04, 0.04]);
    /// let mut out = BatchResults::default();
    /// BatchPooler::default().with_level(ConfidenceLevel::new(0.9)?).pool(&Analyses::uniform(&y, &v, 2)?, &mut out)?;
    /// // mu = 0.3, se = sqrt(0.02); 90%: z = 1.6448536269514722
    /// assert!((out.fixed.ci_upper[0] - (0.3 + 1.6448536269514722 * 0.02f64.sqrt())).abs() < 1e-14);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_level(mut self, level: ConfidenceLevel) -> Self {
        self.model.level = level;
        self
    }

    /// The same pooler with other iteration settings for the iterative tau² estimators.
    ///
    /// ```
    /// use metapool::batch::{Analyses, BatchPooler, BatchResults};
    /// use metapool::{pool::Tau2Control, pool::Tau2Estimator};
    /// let pooler = BatchPooler::default()
    ///     .with_estimator(Tau2Estimator::MaximumLikelihood)
    ///     .with_control(Tau2Control::default().with_max_iterations(500)?);
    /// assert_eq!(pooler.model.control.max_iterations(), 500);
    /// let (y, v) = ([0.1, 0.9, 0.4, 0.3], [0.01, 0.02, 0.015, 0.03]);
    /// let mut out = BatchResults::default();
    /// pooler.pool(&Analyses::uniform(&y, &v, 4)?, &mut out)?;
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_control(mut self, control: Tau2Control) -> Self {
        self.model.control = control;
        self
    }

    /// The model must be one the batch computes: z test, inverse-variance Q.
    fn check_model(&self) -> Result<()> {
        if self.model.test != Test::Z || self.model.q_from != FixedMethod::InverseVariance {
            return Err(Error::Undefined {
                what: "a batch with a t-based test or a Mantel-Haenszel Q",
                why: "the batch path pools effects with the z test (use RandomModel one analysis at a time)",
            });
        }
        Ok(())
    }

    /// The same pooler with its kernels compiled for another instruction set (the same
    /// results, bit for bit; an unavailable level makes [`BatchPooler::pool`] an
    /// [`Error::Undefined`]).
    ///
    /// ```
    /// use metapool::batch::{Analyses, BatchPooler, BatchResults, SimdLevel};
    /// let (y, v) = ([0.1, 0.9, 0.4], [0.01, 0.02, 0.015]);
    /// let mut out = BatchResults::default();
    /// BatchPooler::default().with_simd(SimdLevel::Baseline).pool(&Analyses::uniform(&y, &v, 3)?, &mut out)?;
    /// assert_eq!(out.len(), 1);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_simd(mut self, simd: SimdLevel) -> Self {
        self.simd = simd;
        self
    }

    /// The same pooler with another failure policy.
    ///
    /// ```
    /// use metapool::batch::{Analyses, BatchPooler, BatchResults, OnFailure};
    /// let (y, v) = ([0.1, 0.9, f64::INFINITY, 0.2], [0.01; 4]);
    /// let mut out = BatchResults::default();
    /// BatchPooler::default().with_on_failure(OnFailure::Record).pool(&Analyses::uniform(&y, &v, 2)?, &mut out)?;
    /// assert_eq!(out.failures[0].0, 1); // analysis 1 failed; analysis 0 has its row
    /// assert!(out.random.estimate[0].is_finite());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_on_failure(mut self, on_failure: OnFailure) -> Self {
        self.on_failure = on_failure;
        self
    }

    /// Pool every analysis into `out`, which is resized to `analyses.len()` rows (its buffers
    /// are reused: no allocation once they are large enough) and whose `failures` are cleared.
    ///
    /// With [`OnFailure::Record`] (the default) an analysis that cannot be pooled gets its
    /// reason in [`BatchResults::status`] and NaN results; with [`OnFailure::Stop`] it ends the
    /// batch with [`Error::InAnalysis`]; rows before it are filled, the rest are unspecified.
    ///
    /// ```
    /// // `y`, `v`: metafor's escalc("RR") of dat.bcg (13 trials)
    /// # let y = [-0.8893113339202054, -1.5853886572014306, -1.3480731482996933, -1.4415511900213054,
    /// #     -0.21754732221129558, -0.786115585818864, -1.6208982235983918, 0.011952333523840508,
    /// #     -0.4694176487381494, -1.3713448034727844, -0.3393588283383906, 0.44591340057137874,
    /// #     -0.017313948216879815];
    /// # let v = [0.32558476500396133, 0.19458112139814385, 0.4153679653679654, 0.020010031902247573,
    /// #     0.05121017216963086, 0.0069056184559087574, 0.22301724757231517, 0.0039615792978177295,
    /// #     0.056434210463248966, 0.07302479361302891, 0.01241221397155972, 0.5325058452001528,
    /// #     0.0714046596839863];
    /// use metapool::batch::{Analyses, BatchPooler, BatchResults};
    /// // the same 13 trials twice, as two analyses of a batch
    /// let (yy, vv) = ([y, y].concat(), [v, v].concat());
    /// let mut out = BatchResults::default();
    /// BatchPooler::default().pool(&Analyses::uniform(&yy, &vv, 13)?, &mut out)?;
    /// // metafor rma(yi, vi, method = "DL"): -0.7141 (se 0.1787)
    /// for a in 0..2 {
    ///     assert!((out.random.estimate[a] - -0.7141172220732269).abs() < 1e-12);
    /// }
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn pool<T: BatchFloat>(
        &self,
        analyses: &Analyses<'_, T>,
        out: &mut BatchResults,
    ) -> Result<()> {
        self.check_model()?;
        out.reset(analyses.len());
        let mut failures = std::mem::take(&mut out.failures);
        let done = self.fill(analyses, 0, &mut out.columns_mut(), &mut failures);
        out.failures = failures;
        done
    }

    /// As [`BatchPooler::pool`], spread over rayon's thread pool in blocks of analyses. The
    /// results are identical to the serial ones (each analysis is computed the same way).
    ///
    /// ```
    /// use metapool::batch::{Analyses, BatchPooler, BatchResults};
    /// let (y, v) = ([0.1, 0.9, 0.4, 0.3, -0.2, 0.3], [0.01, 0.02, 0.015, 0.03, 0.05, 0.04]);
    /// let analyses = Analyses::uniform(&y, &v, 3)?;
    /// let (mut serial, mut parallel) = (BatchResults::default(), BatchResults::default());
    /// BatchPooler::default().pool(&analyses, &mut serial)?;
    /// BatchPooler::default().par_pool(&analyses, &mut parallel)?;
    /// assert_eq!(serial, parallel);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    #[cfg(feature = "rayon")]
    pub fn par_pool<T: BatchFloat>(
        &self,
        analyses: &Analyses<'_, T>,
        out: &mut BatchResults,
    ) -> Result<()> {
        self.check_model()?;
        out.reset(analyses.len());
        let cols = out.columns_mut();
        let failures = self.par_fill(analyses, 0, cols)?;
        out.failures = failures;
        Ok(())
    }

    #[cfg(feature = "rayon")]
    fn par_fill<T: BatchFloat>(
        &self,
        analyses: &Analyses<'_, T>,
        first: usize,
        mut cols: ColumnsMut<'_>,
    ) -> Result<Vec<(usize, Error)>> {
        const BLOCK: usize = 4096;
        let n = cols.len();
        if n <= BLOCK {
            let mut failures = Vec::new();
            self.fill(analyses, first, &mut cols, &mut failures)?;
            return Ok(failures);
        }
        let (left, right) = cols.split_at(n / 2);
        let (l, r) = rayon::join(
            || self.par_fill(analyses, first, left),
            || self.par_fill(analyses, first + n / 2, right),
        );
        let mut l = l?;
        l.extend(r?);
        Ok(l)
    }

    /// Both fits of one analysis, through the single-analysis kernels.
    #[inline(always)]
    pub(crate) fn pool_one<T: BatchFloat>(&self, y: &[T], v: &[T]) -> Result<Row> {
        let k = y.len();
        let v = &v[..k];
        match (T::as_f64(y), T::as_f64(v)) {
            // f64 columns are read in place
            (Some(y), Some(v)) => self.pool_columns(k, Slice(y), Slice(v), |i| y[i], |i| v[i]),
            // others are widened to f64 (exactly, for f32) as they are read
            _ => {
                let wide = |c: &[T], i: usize| c[i].to_f64().unwrap_or(f64::NAN);
                let (fy, fv) = (|i| wide(y, i), |i| wide(v, i));
                self.pool_columns(k, fy, fv, fy, fv)
            }
        }
    }

    /// Both fits of one analysis of `k` studies, read as blocked columns (`ys`, `vs`) and by
    /// index (`y`, `v`): the same values.
    #[inline(always)]
    fn pool_columns(
        &self,
        k: usize,
        ys: impl Column + Copy,
        vs: impl Column + Copy,
        y: impl Fn(usize) -> f64 + Copy,
        v: impl Fn(usize) -> f64 + Copy,
    ) -> Result<Row> {
        let core = fixed_core_of(k, ys, vs)?;
        let tau2 = self.tau2_of(&core, y, v)?;
        // weighted_core forms sum w* and mu* exactly as the single API's weighted_sums does;
        // at tau2 = 0 its weights 1 / (v + 0) are the fixed-effect ones and it repeats
        // fixed_core's arithmetic on them, so the fixed-effect sums are reused bit for bit
        let (sum_w, estimate) = if tau2.0 == 0.0 {
            (core.sum_w, core.estimate)
        } else {
            weighted_core_of(k, ys, vs, tau2.0)
        };
        let level = &self.model.level;
        let fixed = Wald::new(core.estimate, (1.0 / core.sum_w).sqrt(), level);
        let random = Wald::new(estimate, (1.0 / sum_w).sqrt(), level);
        self.row(&core, tau2, fixed, random, q_test_p(core.q, k - 1))
    }

    /// tau² and the iterations it took, from the fixed-effect core and the studies (`y`, `v`
    /// by index) of one analysis.
    #[inline(always)]
    pub(crate) fn tau2_of(
        &self,
        core: &FixedCore,
        y: impl Fn(usize) -> f64 + Copy,
        v: impl Fn(usize) -> f64 + Copy,
    ) -> Result<(f64, usize)> {
        let m = &self.model;
        Ok(match m.estimator {
            Tau2Estimator::DerSimonianLaird => (dersimonian_laird(core)?, 0),
            estimator => {
                let fit = tau2::estimate(estimator, core.k, y, v, &m.control)?;
                (fit.tau2, fit.iterations)
            }
        })
    }

    /// One analysis' row from its fixed-effect core, its tau² (with the iterations it took),
    /// both Wald intervals (`se = 1 / sqrt(sum w)`, `1 / sqrt(sum w*)`) and the p-value of Q
    /// (`chi_square_upper_tail(Q, k - 1)`, ignored for `k = 1`); [`Error::NonFinite`] for a
    /// non-finite figure.
    #[inline(always)]
    pub(crate) fn row(
        &self,
        core: &FixedCore,
        (tau2, tau2_iterations): (f64, usize),
        fixed: Wald,
        random: Wald,
        q_p: f64,
    ) -> Result<Row> {
        let k = core.k;
        let df = k - 1;
        let s2 = typical_variance(df, core.sum_w, core.share_complement);
        let heterogeneity = Heterogeneity::random_with_p(core.q, df, tau2, s2, q_p);
        fixed.check_finite()?;
        random.check_finite()?;
        check_heterogeneity(&heterogeneity)?;
        Ok(Row {
            k,
            tau2_iterations,
            fixed,
            random,
            heterogeneity,
        })
    }
}

/// The DerSimonian-Laird tau² from the batch's own fixed-effect core, through the one kernel
/// (`tau2::moment::dersimonian_laird_raw`) on the same core as the single-analysis API, so the
/// same bits (the batch tests check them against `RandomModel::pool`):
/// ```text
/// tau2 = max(0, (Q - (k - 1)) / tr P),  tr P = sum w - sum w^2 / sum w = sum w * share_complement
/// ```
#[inline(always)]
fn dersimonian_laird(core: &FixedCore) -> Result<f64> {
    if core.k < 2 {
        return Ok(0.0);
    }
    let trp = core.sum_w * core.share_complement;
    Ok(tau2::moment::dersimonian_laird_raw(core.q, (core.k - 1) as f64, trp)?.max(0.0))
}
