//! The structure-of-arrays output of a batch, and mutable views of a block of its rows.

use super::Row;
use crate::error::Error;
use crate::pool::Wald;

/// Why one analysis of a batch could not be pooled (the full error is in
/// [`BatchResults::failures`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum FailureReason {
    /// A study's estimate or variance is invalid (not finite, variance not positive).
    InvalidStudy,
    /// The analysis has no studies.
    Empty,
    /// A result is not finite in floating point (sums overflowed or cancelled).
    NonFinite,
    /// An iterative tau² estimator did not converge (only in `Tau2Mode::Metafor`).
    NotConverged,
    /// Any other error (see the analysis' entry in [`BatchResults::failures`]).
    Other,
}

impl FailureReason {
    /// The reason of an error.
    pub fn of(error: &Error) -> FailureReason {
        match error {
            Error::InvalidStudy { .. } => FailureReason::InvalidStudy,
            Error::Empty => FailureReason::Empty,
            Error::NonFinite { .. } => FailureReason::NonFinite,
            Error::NotConverged { .. } => FailureReason::NotConverged,
            Error::InAnalysis { source, .. } => FailureReason::of(source),
            _ => FailureReason::Other,
        }
    }
}

/// How one analysis of a batch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum AnalysisStatus {
    /// Pooled: every number of its row is finite.
    #[default]
    Pooled,
    /// Not pooled: its row holds NaN (`k` 0, `q_p` `None`).
    Failed(FailureReason),
}

/// One model's Wald results, one entry per analysis.
///
/// ```text
/// se = 1 / sqrt(sum w),  CI = estimate -/+ z_crit se,  z = estimate / se,  p = 2 (1 - Phi(|z|))
/// ```
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
/// let mut out = BatchResults::default();
/// BatchPooler::default().pool(&Analyses::uniform(&y, &v, 13)?, &mut out)?;
/// // metafor: FE -0.4303 [-0.5097, -0.3509], z = -10.6247; DL -0.7141 [-1.0644, -0.3638]
/// assert!((out.fixed.ci_lower[0] - -0.5096612584262139).abs() < 1e-12);
/// assert!((out.fixed.z[0] - -10.624652501046512).abs() < 1e-9);
/// assert!((out.random.ci_upper[0] - -0.3637891640624032).abs() < 1e-12);
/// assert!((out.random.p[0] - 6.462924304703998e-05).abs() < 1e-15);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct WaldColumns {
    /// Pooled estimates.
    pub estimate: Vec<f64>,
    /// Standard errors.
    pub se: Vec<f64>,
    /// Lower confidence bounds.
    pub ci_lower: Vec<f64>,
    /// Upper confidence bounds.
    pub ci_upper: Vec<f64>,
    /// Wald statistics.
    pub z: Vec<f64>,
    /// Two-sided p-values.
    pub p: Vec<f64>,
}

/// Heterogeneity of each analysis, as [`Heterogeneity`](crate::heterogeneity::Heterogeneity) reports it with
/// a random-effects fit (metafor's definitions; I² and H² from tau² and the typical within-study
/// variance). Q and its p-value are also those of the fixed-effect fit.
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
/// let mut out = BatchResults::default();
/// BatchPooler::default().pool(&Analyses::uniform(&y, &v, 13)?, &mut out)?;
/// let h = &out.heterogeneity;
/// // metafor rma(yi, vi, method = "DL"): Q = 152.2330, tau² = 0.3088, I² = 92.12%
/// assert!((h.q[0] - 152.2330080823733).abs() < 1e-10);
/// assert!((h.tau2[0] - 0.3087602628623762).abs() < 1e-13);
/// assert!((h.i2[0] - 92.11734685456206).abs() < 1e-9);
/// assert!((h.q_p[0].unwrap() - 1.9967645908459738e-26).abs() < 1e-35);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HeterogeneityColumns {
    /// Cochran's Q.
    pub q: Vec<f64>,
    /// Its chi-square p-value on k - 1 df; `None` for an analysis of one study.
    pub q_p: Vec<Option<f64>>,
    /// I² in percent.
    pub i2: Vec<f64>,
    /// H².
    pub h2: Vec<f64>,
    /// tau².
    pub tau2: Vec<f64>,
}

/// The results of a batch, one row per analysis, in buffers meant to be reused from one batch
/// to the next.
///
/// ```
/// use metapool::batch::{Analyses, BatchPooler, BatchResults, OnFailure};
/// let (y, v) = ([0.1, 0.9, 0.4, f64::NAN], [0.01; 4]);
/// let mut out = BatchResults::default();
/// let pooler = BatchPooler::default().with_on_failure(OnFailure::Record);
/// pooler.pool(&Analyses::uniform(&y, &v, 2)?, &mut out)?;
/// assert_eq!(out.k, vec![2, 0]);
/// assert_eq!(out.failures.len(), 1); // the second analysis, with its error
/// assert!(out.fixed.estimate[1].is_nan() && out.fixed.estimate[0].is_finite());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchResults {
    /// Number of studies in each analysis (0 for a failed one).
    pub k: Vec<usize>,
    /// Fixed-effect (inverse-variance) fits.
    pub fixed: WaldColumns,
    /// Random-effects fits.
    pub random: WaldColumns,
    /// Heterogeneity statistics.
    pub heterogeneity: HeterogeneityColumns,
    /// Iterations of the tau² estimator ([`Tau2Fit::iterations`](crate::pool::Tau2Fit); 0 for the
    /// closed forms and for failed analyses).
    pub tau2_iterations: Vec<usize>,
    /// Whether each analysis was pooled, and if not, why.
    pub status: Vec<AnalysisStatus>,
    /// Analyses that could not be pooled, in order, with the reason (only with
    /// [`OnFailure::Record`](super::OnFailure::Record)); their rows hold NaN.
    pub failures: Vec<(usize, Error)>,
}

impl BatchResults {
    /// Empty results with room for `analyses` rows.
    ///
    /// ```
    /// use metapool::batch::BatchResults;
    /// let out = BatchResults::with_capacity(1_000_000);
    /// assert!(out.is_empty() && out.k.capacity() >= 1_000_000);
    /// ```
    pub fn with_capacity(analyses: usize) -> Self {
        let mut r = BatchResults::default();
        r.reset(analyses);
        r.reset(0);
        r
    }

    /// Number of rows.
    ///
    /// ```
    /// use metapool::batch::{Analyses, BatchPooler, BatchResults};
    /// let (y, v) = ([0.1, 0.9, 0.4, 0.2], [0.01; 4]);
    /// let mut out = BatchResults::default();
    /// BatchPooler::default().pool(&Analyses::uniform(&y, &v, 1)?, &mut out)?;
    /// assert_eq!(out.len(), 4);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.k.len()
    }

    /// Whether there are no rows.
    ///
    /// ```
    /// use metapool::batch::BatchResults;
    /// assert!(BatchResults::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.k.is_empty()
    }

    /// Resize every column to `n` rows (reusing their buffers) and clear the failures.
    pub(crate) fn reset(&mut self, n: usize) {
        self.k.resize(n, 0);
        self.tau2_iterations.resize(n, 0);
        self.status.resize(n, AnalysisStatus::Pooled);
        for w in [&mut self.fixed, &mut self.random] {
            for c in [
                &mut w.estimate,
                &mut w.se,
                &mut w.ci_lower,
                &mut w.ci_upper,
                &mut w.z,
                &mut w.p,
            ] {
                c.resize(n, 0.0);
            }
        }
        let h = &mut self.heterogeneity;
        h.q_p.resize(n, None);
        for c in [&mut h.q, &mut h.i2, &mut h.h2, &mut h.tau2] {
            c.resize(n, 0.0);
        }
        self.failures.clear();
    }

    pub(crate) fn columns_mut(&mut self) -> ColumnsMut<'_> {
        let h = &mut self.heterogeneity;
        ColumnsMut {
            k: &mut self.k,
            tau2_iterations: &mut self.tau2_iterations,
            status: &mut self.status,
            fixed: WaldMut::new(&mut self.fixed),
            random: WaldMut::new(&mut self.random),
            q: &mut h.q,
            q_p: &mut h.q_p,
            i2: &mut h.i2,
            h2: &mut h.h2,
            tau2: &mut h.tau2,
        }
    }
}

pub(crate) struct WaldMut<'a> {
    estimate: &'a mut [f64],
    se: &'a mut [f64],
    ci_lower: &'a mut [f64],
    ci_upper: &'a mut [f64],
    z: &'a mut [f64],
    p: &'a mut [f64],
}

impl<'a> WaldMut<'a> {
    fn new(w: &'a mut WaldColumns) -> Self {
        WaldMut {
            estimate: &mut w.estimate,
            se: &mut w.se,
            ci_lower: &mut w.ci_lower,
            ci_upper: &mut w.ci_upper,
            z: &mut w.z,
            p: &mut w.p,
        }
    }

    #[inline(always)]
    fn write(&mut self, i: usize, w: &Wald) {
        self.estimate[i] = w.estimate;
        self.se[i] = w.se;
        self.ci_lower[i] = w.ci_lower;
        self.ci_upper[i] = w.ci_upper;
        self.z[i] = w.statistic;
        self.p[i] = w.p;
    }

    #[cfg(feature = "rayon")]
    fn split_at(self, mid: usize) -> (Self, Self) {
        let (e0, e1) = self.estimate.split_at_mut(mid);
        let (s0, s1) = self.se.split_at_mut(mid);
        let (l0, l1) = self.ci_lower.split_at_mut(mid);
        let (u0, u1) = self.ci_upper.split_at_mut(mid);
        let (z0, z1) = self.z.split_at_mut(mid);
        let (p0, p1) = self.p.split_at_mut(mid);
        (
            WaldMut {
                estimate: e0,
                se: s0,
                ci_lower: l0,
                ci_upper: u0,
                z: z0,
                p: p0,
            },
            WaldMut {
                estimate: e1,
                se: s1,
                ci_lower: l1,
                ci_upper: u1,
                z: z1,
                p: p1,
            },
        )
    }
}

/// Mutable views of a block of rows of a [`BatchResults`].
pub(crate) struct ColumnsMut<'a> {
    k: &'a mut [usize],
    tau2_iterations: &'a mut [usize],
    status: &'a mut [AnalysisStatus],
    fixed: WaldMut<'a>,
    random: WaldMut<'a>,
    q: &'a mut [f64],
    q_p: &'a mut [Option<f64>],
    i2: &'a mut [f64],
    h2: &'a mut [f64],
    tau2: &'a mut [f64],
}

impl ColumnsMut<'_> {
    pub(crate) fn len(&self) -> usize {
        self.k.len()
    }

    #[inline(always)]
    pub(crate) fn write(&mut self, i: usize, r: &Row) {
        self.k[i] = r.k;
        self.tau2_iterations[i] = r.tau2_iterations;
        self.status[i] = AnalysisStatus::Pooled;
        self.fixed.write(i, &r.fixed);
        self.random.write(i, &r.random);
        let h = &r.heterogeneity;
        self.q[i] = h.q;
        self.q_p[i] = h.q_p;
        self.i2[i] = h.i2;
        self.h2[i] = h.h2;
        self.tau2[i] = h.tau2;
    }

    pub(crate) fn write_failed(&mut self, i: usize, error: &Error) {
        let nan = Wald {
            estimate: f64::NAN,
            se: f64::NAN,
            ci_lower: f64::NAN,
            ci_upper: f64::NAN,
            statistic: f64::NAN,
            p: f64::NAN,
        };
        self.k[i] = 0;
        self.tau2_iterations[i] = 0;
        self.status[i] = AnalysisStatus::Failed(FailureReason::of(error));
        self.fixed.write(i, &nan);
        self.random.write(i, &nan);
        self.q[i] = f64::NAN;
        self.q_p[i] = None;
        self.i2[i] = f64::NAN;
        self.h2[i] = f64::NAN;
        self.tau2[i] = f64::NAN;
    }

    #[cfg(feature = "rayon")]
    pub(crate) fn split_at(self, mid: usize) -> (Self, Self) {
        let (k0, k1) = self.k.split_at_mut(mid);
        let (n0, n1) = self.tau2_iterations.split_at_mut(mid);
        let (s0, s1) = self.status.split_at_mut(mid);
        let (f0, f1) = self.fixed.split_at(mid);
        let (r0, r1) = self.random.split_at(mid);
        let (q0, q1) = self.q.split_at_mut(mid);
        let (p0, p1) = self.q_p.split_at_mut(mid);
        let (i0, i1) = self.i2.split_at_mut(mid);
        let (h0, h1) = self.h2.split_at_mut(mid);
        let (t0, t1) = self.tau2.split_at_mut(mid);
        (
            ColumnsMut {
                k: k0,
                tau2_iterations: n0,
                status: s0,
                fixed: f0,
                random: r0,
                q: q0,
                q_p: p0,
                i2: i0,
                h2: h0,
                tau2: t0,
            },
            ColumnsMut {
                k: k1,
                tau2_iterations: n1,
                status: s1,
                fixed: f1,
                random: r1,
                q: q1,
                q_p: p1,
                i2: i1,
                h2: h1,
                tau2: t1,
            },
        )
    }
}
