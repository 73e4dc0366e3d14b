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
    pub fn merge(&mut self, other: &NeumaierSum) {
        self.add(other.sum);
        self.compensation += other.compensation;
    }

    /// The compensated total.
    #[inline(always)]
    pub fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}
