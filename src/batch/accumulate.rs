//! Mergeable one-pass accumulators: the inverse-variance sums of a set of studies, built study by
//! study, merged across disjoint sets (threads, machines, files), and finished into the pooled
//! figures.

use crate::error::{Error, Result};
use crate::heterogeneity::{typical_variance, Heterogeneity};
use crate::numeric::{merge_moments, NeumaierSum};
use crate::pool::check_study;
use crate::pool::tau2::moment::dersimonian_laird_raw;

/// One-pass, mergeable inverse-variance sums over a set of studies, with weights
/// `w_i = 1 / (v_i + tau2)` for a `tau2` fixed at construction (0 for the fixed-effect model).
///
/// It keeps the sum of the weights and of their pairwise products `C = sum_{i<j} w_i w_j`
/// (compensated, [`NeumaierSum`]; positive terms, unlike `W^2 - sum w^2`), the
/// weighted mean and the weighted sum of squared deviations from it, updated as in West (1979)
/// and merged as in Chan, Golub & LeVeque (1979), which avoids the cancellation of
/// `sum w y^2 - (sum w y)^2 / sum w`:
/// ```text
/// push (y, v):  W' = W + w,  d = y - mean,  mean' = mean + d w / W',  M2' = M2 + w d (y - mean')
/// merge a, b:   W = W_a + W_b,  d = mean_b - mean_a,
///               mean = mean_a + d W_b / W,  M2 = M2_a + M2_b + d^2 W_a W_b / W
/// estimate = mean,  se = 1 / sqrt(W),  Q = M2 (with tau2 = 0)
/// DerSimonian-Laird: tau2 = max(0, (Q - (k - 1)) / (W - sum w^2 / W)),  W - sum w^2 / W = 2 C / W
/// push adds w W (before W grows) to C; merge adds C_b and W_a W_b
/// ```
/// Two accumulators over disjoint sets merge into the one over their union (up to rounding:
/// the order of operations differs, so it agrees with [`FixedModel`](crate::pool::FixedModel) to
/// about 1e-15 relative rather than bit for bit; the batch path [`super::BatchPooler`] is the
/// bit-identical one).
///
/// A random-effects fit over data too large for one pass takes two: the fixed-effect sums give
/// tau², then sums with that tau² give the random-effects estimate.
///
/// ```
/// use metapool::batch::InverseVarianceSums;
/// let (y, v) = ([0.1, 0.9, 0.4, 0.3], [0.01, 0.02, 0.015, 0.03]);
/// let mut left = InverseVarianceSums::fixed();
/// let mut right = InverseVarianceSums::fixed();
/// for i in 0..2 { left.push(y[i], v[i])?; }
/// for i in 2..4 { right.push(y[i], v[i])?; }
/// left.merge(&right);
/// let set = metapool::effect::EffectSet::from_estimates(&y, &v)?;
/// let fit = metapool::pool::FixedModel::default().pool(&set)?;
/// assert!((left.estimate()? - fit.estimate).abs() < 1e-15);
/// assert!((left.q() - fit.heterogeneity.q).abs() < 1e-13);
/// // the random-effects pass
/// let tau2 = left.dersimonian_laird_tau2()?;
/// let mut re = InverseVarianceSums::with_tau2(tau2)?;
/// for i in 0..4 { re.push(y[i], v[i])?; }
/// let rfit = metapool::pool::RandomModel::default().pool(&set)?;
/// assert!((re.estimate()? - rfit.estimate).abs() < 1e-15);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InverseVarianceSums {
    tau2: f64,
    k: usize,
    sum_w: NeumaierSum,
    /// sum_{i<j} w_i w_j
    cross: NeumaierSum,
    mean: f64,
    m2: f64,
}

impl InverseVarianceSums {
    /// Empty sums with fixed-effect weights `1 / v`.
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
    /// use metapool::batch::InverseVarianceSums;
    /// let mut fe = InverseVarianceSums::fixed();
    /// for (&y, &v) in y.iter().zip(&v) { fe.push(y, v)?; }
    /// // metafor rma(yi, vi, method = "FE"): -0.4303 (se 0.0405), Q = 152.2330
    /// assert!((fe.estimate()? - -0.4302851636540909).abs() < 1e-14);
    /// assert!((fe.se()? - 0.04049875171086381).abs() < 1e-15);
    /// assert!((fe.q() - 152.2330080823733).abs() < 1e-10);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn fixed() -> Self {
        InverseVarianceSums {
            tau2: 0.0,
            k: 0,
            sum_w: NeumaierSum::default(),
            cross: NeumaierSum::default(),
            mean: 0.0,
            m2: 0.0,
        }
    }

    /// Empty sums with random-effects weights `1 / (v + tau2)`; `tau2` must be finite and >= 0.
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
    /// use metapool::batch::InverseVarianceSums;
    /// // metafor rma(yi, vi, method = "DL"): tau² = 0.3088, estimate -0.7141 (se 0.1787)
    /// let mut re = InverseVarianceSums::with_tau2(0.3087602628623762)?;
    /// for (&y, &v) in y.iter().zip(&v) { re.push(y, v)?; }
    /// assert!((re.estimate()? - -0.7141172220732269).abs() < 1e-13);
    /// assert!((re.se()? - 0.1787420895354031).abs() < 1e-13);
    /// assert!(InverseVarianceSums::with_tau2(-0.1).is_err());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_tau2(tau2: f64) -> Result<Self> {
        if !(tau2.is_finite() && tau2 >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "tau2",
                problem: if tau2.is_finite() {
                    crate::Problem::Negative(tau2)
                } else {
                    crate::Problem::NotFinite(tau2)
                },
            });
        }
        Ok(InverseVarianceSums {
            tau2,
            ..InverseVarianceSums::fixed()
        })
    }

    /// Add one study; an invalid `(y, v)` is an error naming it by its position in this
    /// accumulator (the number pushed before it), and leaves the sums unchanged.
    ///
    /// ```
    /// use metapool::batch::InverseVarianceSums;
    /// let mut s = InverseVarianceSums::fixed();
    /// s.push(0.2, 0.04)?;
    /// assert!(s.push(0.3, 0.0).is_err()); // a zero variance, named as study 1 of this accumulator
    /// assert_eq!(s.k(), 1);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    #[inline]
    pub fn push(&mut self, y: f64, v: f64) -> Result<()> {
        check_study(self.k, y, v)?;
        let w = 1.0 / (v + self.tau2);
        self.cross.add(w * self.sum_w.value());
        self.sum_w.add(w);
        if self.k == 0 {
            // exactly y (y w / w need not round to y, and M2 would pick up w y^2 eps)
            self.mean = y;
        } else {
            let total = self.sum_w.value();
            let d = y - self.mean;
            self.mean += d * w / total;
            self.m2 += w * d * (y - self.mean);
        }
        self.k += 1;
        Ok(())
    }

    /// Merge the sums over a disjoint set of studies (pushed with the same `tau2`; the other's
    /// `tau2` is not checked).
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
    /// use metapool::batch::InverseVarianceSums;
    /// // two halves of dat.bcg, accumulated apart (two threads, two files) and merged
    /// let (mut a, mut b) = (InverseVarianceSums::fixed(), InverseVarianceSums::fixed());
    /// for i in 0..6 { a.push(y[i], v[i])?; }
    /// for i in 6..13 { b.push(y[i], v[i])?; }
    /// a.merge(&b);
    /// assert_eq!(a.k(), 13);
    /// assert!((a.q() - 152.2330080823733).abs() < 1e-10); // metafor's Q
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn merge(&mut self, other: &InverseVarianceSums) {
        if other.k == 0 {
            return;
        }
        if self.k == 0 {
            *self = InverseVarianceSums {
                tau2: self.tau2,
                ..*other
            };
            return;
        }
        let (wa, wb) = (self.sum_w.value(), other.sum_w.value());
        self.sum_w.merge(&other.sum_w);
        self.cross.merge(&other.cross);
        self.cross.add(wa * wb);
        let merged = merge_moments(
            (wa, self.mean, self.m2),
            (wb, other.mean, other.m2),
            self.sum_w.value(),
        );
        self.mean = merged.mean;
        self.m2 = merged.m2;
        self.k += other.k;
    }

    /// Number of studies.
    ///
    /// ```
    /// use metapool::batch::InverseVarianceSums;
    /// let mut s = InverseVarianceSums::fixed();
    /// assert_eq!(s.k(), 0);
    /// s.push(0.1, 0.01)?;
    /// assert_eq!(s.k(), 1);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn k(&self) -> usize {
        self.k
    }

    /// `sum w_i`.
    ///
    /// ```
    /// use metapool::batch::InverseVarianceSums;
    /// let mut s = InverseVarianceSums::with_tau2(0.05)?;
    /// s.push(0.1, 0.05)?;
    /// s.push(0.2, 0.15)?;
    /// assert!((s.sum_of_weights() - (10.0 + 5.0)).abs() < 1e-14); // 1 / (v + tau²)
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn sum_of_weights(&self) -> f64 {
        self.sum_w.value()
    }

    /// The weighted mean `sum w_i y_i / sum w_i`; [`Error::Empty`] without studies.
    ///
    /// ```
    /// use metapool::batch::InverseVarianceSums;
    /// let mut s = InverseVarianceSums::fixed();
    /// assert!(s.estimate().is_err()); // no studies
    /// s.push(0.1, 0.01)?;
    /// s.push(0.4, 0.02)?;
    /// assert!((s.estimate()? - (10.0 + 20.0) / 150.0).abs() < 1e-15); // (0.1 * 100 + 0.4 * 50) / 150
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn estimate(&self) -> Result<f64> {
        if self.k == 0 {
            return Err(Error::Empty);
        }
        Ok(self.mean)
    }

    /// Its standard error `1 / sqrt(sum w_i)`; [`Error::Empty`] without studies.
    ///
    /// ```
    /// use metapool::batch::InverseVarianceSums;
    /// let mut s = InverseVarianceSums::fixed();
    /// s.push(0.1, 0.02)?;
    /// s.push(0.4, 0.02)?;
    /// assert!((s.se()? - 0.1).abs() < 1e-15); // 1 / sqrt(100)
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn se(&self) -> Result<f64> {
        if self.k == 0 {
            return Err(Error::Empty);
        }
        Ok((1.0 / self.sum_w.value()).sqrt())
    }

    /// The weighted sum of squared deviations `sum w_i (y_i - mean)^2`: Cochran's Q for
    /// fixed-effect weights. 0 without studies.
    ///
    /// ```
    /// use metapool::batch::InverseVarianceSums;
    /// let mut s = InverseVarianceSums::fixed();
    /// for y in [0.1, 0.9, 0.4] { s.push(y, 0.01)?; }
    /// // Q = sum (y - 7/15)² / 0.01 = 98 / 3
    /// assert!((s.q() - 98.0 / 3.0).abs() < 1e-12);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn q(&self) -> f64 {
        self.m2.max(0.0)
    }

    /// The DerSimonian-Laird tau² from fixed-effect sums (0 for fewer than two studies):
    /// `max(0, (Q - (k - 1)) / (sum w - sum w^2 / sum w))`, by the crate's one DerSimonian-Laird
    /// kernel; [`Error::NonFinite`] when `sum w - sum w^2 / sum w` is 0 (as on every path).
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
    /// use metapool::batch::InverseVarianceSums;
    /// let mut fe = InverseVarianceSums::fixed();
    /// for (&y, &v) in y.iter().zip(&v) { fe.push(y, v)?; }
    /// // metafor rma(yi, vi, method = "DL"): tau^2 = 0.3088
    /// assert!((fe.dersimonian_laird_tau2()? - 0.3087602628623762).abs() < 1e-13);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn dersimonian_laird_tau2(&self) -> Result<f64> {
        if self.k < 2 {
            return Ok(0.0);
        }
        let df = (self.k - 1) as f64;
        let w = self.sum_w.value();
        // sum w - sum w^2 / sum w = 2 sum_{i<j} w_i w_j / sum w, without its cancellation
        let c = 2.0 * self.cross.value() / w;
        Ok(dersimonian_laird_raw(self.q(), df, c)?.max(0.0))
    }

    /// Heterogeneity with the DerSimonian-Laird tau², from fixed-effect sums, as
    /// [`RandomModel`](crate::pool::RandomModel) reports it.
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
    /// use metapool::batch::InverseVarianceSums;
    /// let mut fe = InverseVarianceSums::fixed();
    /// for (&y, &v) in y.iter().zip(&v) { fe.push(y, v)?; }
    /// let h = fe.heterogeneity()?;
    /// // metafor: I^2 = 92.12%, H^2 = 12.69, Q(df = 12) p < .0001
    /// assert!((h.i2 - 92.11734685456206).abs() < 1e-9 && (h.h2 - 12.68608400686444).abs() < 1e-9);
    /// assert_eq!(h.df, 12);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn heterogeneity(&self) -> Result<Heterogeneity> {
        if self.k < 2 {
            return Ok(Heterogeneity::none());
        }
        let df = self.k - 1;
        let w = self.sum_w.value();
        // 1 - sum (w_i / W)^2 = 2 sum_{i<j} w_i w_j / W^2
        let share_complement = 2.0 * self.cross.value() / w / w;
        Ok(Heterogeneity::random(
            self.q(),
            df,
            self.dersimonian_laird_tau2()?,
            typical_variance(df, w, share_complement),
        ))
    }
}

impl Default for InverseVarianceSums {
    fn default() -> Self {
        InverseVarianceSums::fixed()
    }
}
