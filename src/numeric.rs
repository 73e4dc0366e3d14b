//! Compensated summation.

/// Neumaier's compensated sum (Neumaier 1974, an improved Kahan-Babuska sum): the error does not
/// grow with the number of terms, at about four extra flops per term. Two partial sums over
/// disjoint terms merge with [`NeumaierSum::merge`].
///
/// ```
/// use metapool::numeric::NeumaierSum;
/// let mut s = NeumaierSum::default();
/// for x in [1e16, 1.0, -1e16] { s.add(x); }
/// assert_eq!(s.value(), 1.0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NeumaierSum {
    sum: f64,
    compensation: f64,
}

impl NeumaierSum {
    /// Add one term.
    ///
    /// ```
    /// use metapool::numeric::NeumaierSum;
    /// let mut s = NeumaierSum::default();
    /// for _ in 0..10 { s.add(0.1); }
    /// assert_eq!(s.value(), 1.0); // a plain f64 sum gives 0.9999999999999999
    /// ```
    #[inline(always)]
    pub fn add(&mut self, x: f64) {
        // The rounding error of sum + x, exactly, by Knuth's branch-free TwoSum: the same value
        // as Neumaier's ordered Fast2Sum, `(big - t) + small`, without the data-dependent
        // branch on |sum| >= |x| that mispredicts in short sums.
        let t = self.sum + x;
        let x_part = t - self.sum;
        let sum_part = t - x_part;
        self.compensation += (self.sum - sum_part) + (x - x_part);
        self.sum = t;
    }

    /// Merge a partial sum over other terms.
    ///
    /// ```
    /// use metapool::numeric::NeumaierSum;
    /// let (mut a, mut b) = (NeumaierSum::default(), NeumaierSum::default());
    /// a.add(1e16);
    /// a.add(1.0);
    /// b.add(-1e16);
    /// b.add(1.0);
    /// a.merge(&b);
    /// assert_eq!(a.value(), 2.0);
    /// ```
    pub fn merge(&mut self, other: &NeumaierSum) {
        self.add(other.sum);
        self.compensation += other.compensation;
    }

    /// The compensated total.
    ///
    /// ```
    /// use metapool::numeric::NeumaierSum;
    /// let mut s = NeumaierSum::default();
    /// [3.0, 1e100, 1.0, -1e100].iter().for_each(|&x| s.add(x));
    /// assert_eq!(s.value(), 4.0);
    /// ```
    #[inline(always)]
    pub fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// The weighted moments of the union of two disjoint parts, `a` (earlier) and `b`, each with
/// total weight `s > 0`, weighted mean and weighted sum of squared deviations `m2` (Chan, Golub
/// & LeVeque 1979; every added term positive, no cancellation):
/// ```text
/// d = mean_b - mean_a,  f_b = s_b / s,  s = s_a + s_b (given: the caller's own sum)
/// mean = mean_a + d f_b,  m2 = m2_a + m2_b + d^2 s_a f_b
/// ```
/// The one merge of the crate: the blocked fixed-effect kernels and the mergeable
/// accumulators (`batch::InverseVarianceSums`) both call it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Merged {
    /// `mean_b - mean_a`.
    pub d: f64,
    /// `s_b / s`.
    pub fb: f64,
    /// The merged mean.
    pub mean: f64,
    /// The merged sum of squared deviations.
    pub m2: f64,
}

/// See [`Merged`].
#[inline(always)]
pub(crate) fn merge_moments(
    (sa, mean_a, m2_a): (f64, f64, f64),
    (sb, mean_b, m2_b): (f64, f64, f64),
    s: f64,
) -> Merged {
    let d = mean_b - mean_a;
    let fb = sb / s;
    Merged {
        d,
        fb,
        mean: mean_a + d * fb,
        m2: m2_a + m2_b + d * d * (sa * fb),
    }
}

/// A constructor's input widened to `f64`: exact for `f32` and `f64` (the effect-size
/// constructors and the batch columns accept either through [`num_traits::Float`]); a value
/// with no `f64` form becomes NaN, which the constructor's validation reports.
#[inline(always)]
pub(crate) fn wide<T: num_traits::Float>(x: T) -> f64 {
    x.to_f64().unwrap_or(f64::NAN)
}
