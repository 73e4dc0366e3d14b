//! [`Analyses`]: many analyses in structure-of-arrays form.

use crate::error::{Error, Result};

/// Many analyses in structure-of-arrays form: effects and variances in two parallel columns,
/// analysis `a` made of the studies at positions `start(a)..end(a)`.
///
/// Validated at construction: the columns have equal lengths, offsets start at 0, never
/// decrease and end at the number of studies (an analysis with no studies is allowed here and
/// fails with [`Error::Empty`] when pooled); the values themselves are checked when pooled.
///
/// The columns may hold `f64` or `f32` values (GWAS summary statistics are often stored as
/// `f32`): every value is widened to `f64` exactly and all arithmetic is in `f64`, so an `f32`
/// batch gives the results of the same values converted to `f64`, bit for bit.
///
/// ```
/// use metapool::batch::{Analyses, BatchPooler, BatchResults};
/// let (y, v) = ([0.1f32, 0.9, 0.4, 0.3], [0.01f32, 0.02, 0.015, 0.03]);
/// let mut out = BatchResults::default();
/// BatchPooler::default().pool(&Analyses::uniform(&y, &v, 4)?, &mut out)?;
/// let y64 = y.map(f64::from);
/// let v64 = v.map(f64::from);
/// let mut out64 = BatchResults::default();
/// BatchPooler::default().pool(&Analyses::uniform(&y64, &v64, 4)?, &mut out64)?;
/// assert_eq!(out.random.estimate[0].to_bits(), out64.random.estimate[0].to_bits());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Analyses<'a, T: BatchFloat = f64> {
    effects: &'a [T],
    variances: &'a [T],
    bounds: Bounds<'a>,
}

/// The floating-point types a batch's columns may hold: `f64` and `f32` (through
/// [`num_traits::Float`]; values are widened to `f64` exactly). Sealed.
///
/// ```
/// use metapool::batch::{Analyses, BatchPooler, BatchResults};
/// // GWAS summary statistics stored as f32: widened exactly, then pooled in f64
/// let (y, v) = ([0.25f32, 0.5, -0.125], [0.0625f32, 0.25, 0.5]);
/// let mut out = BatchResults::default();
/// BatchPooler::default().pool(&Analyses::uniform(&y, &v, 3)?, &mut out)?;
/// // w = 16, 4, 2: mu = (4 + 2 - 0.25) / 22
/// assert!((out.fixed.estimate[0] - 5.75 / 22.0).abs() < 1e-15);
/// # Ok::<(), metapool::Error>(())
/// ```
pub trait BatchFloat: num_traits::Float + Send + Sync + std::fmt::Debug + sealed::Sealed {}

impl BatchFloat for f64 {}
impl BatchFloat for f32 {}

mod sealed {
    /// Only `f64` and `f32`; `as_f64` lets an `f64` column be read in place.
    pub trait Sealed: Sized {
        fn as_f64(s: &[Self]) -> Option<&[f64]>;
    }
    impl Sealed for f64 {
        #[inline(always)]
        fn as_f64(s: &[f64]) -> Option<&[f64]> {
            Some(s)
        }
    }
    impl Sealed for f32 {
        #[inline(always)]
        fn as_f64(_: &[f32]) -> Option<&[f64]> {
            None
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Bounds<'a> {
    /// `offsets[a]..offsets[a + 1]`, `offsets.len() = analyses + 1`.
    Offsets(&'a [usize]),
    /// `a k .. (a + 1) k`.
    Uniform(usize),
}

impl<'a, T: BatchFloat> Analyses<'a, T> {
    /// Analyses delimited by offsets: analysis `a` is studies `offsets[a]..offsets[a + 1]`, so
    /// `offsets` has one more entry than there are analyses, starts at 0 and ends at
    /// `effects.len()`.
    ///
    /// ```
    /// use metapool::batch::Analyses;
    /// let (y, v) = ([0.1, 0.9, 0.4, -0.2, 0.3], [0.01; 5]);
    /// let a = Analyses::with_offsets(&y, &v, &[0, 3, 5])?;
    /// assert_eq!(a.get(1), Some((&y[3..], &v[3..])));
    /// assert!(Analyses::with_offsets(&y, &v, &[0, 3, 4]).is_err()); // must end at 5
    /// assert!(Analyses::with_offsets(&y, &v, &[0, 4, 3, 5]).is_err()); // must not decrease
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn with_offsets(
        effects: &'a [T],
        variances: &'a [T],
        offsets: &'a [usize],
    ) -> Result<Self> {
        check_columns(effects, variances)?;
        match offsets.first() {
            None => {
                return Err(Error::InvalidLayout {
                    why: "offsets are empty (they need a leading 0)",
                    at: 0,
                })
            }
            Some(&0) => {}
            Some(_) => {
                return Err(Error::InvalidLayout {
                    why: "offsets do not start at 0",
                    at: 0,
                })
            }
        }
        if let Some(at) = offsets.windows(2).position(|w| w[1] < w[0]) {
            return Err(Error::InvalidLayout {
                why: "offsets decrease",
                at: at + 1,
            });
        }
        if offsets[offsets.len() - 1] != effects.len() {
            return Err(Error::InvalidLayout {
                why: "the last offset is not the number of studies",
                at: offsets.len() - 1,
            });
        }
        Ok(Analyses {
            effects,
            variances,
            bounds: Bounds::Offsets(offsets),
        })
    }

    /// Analyses of `k` studies each, one after the other: analysis `a` is studies
    /// `a k .. (a + 1) k`. `k` must be positive and divide the number of studies.
    ///
    /// ```
    /// use metapool::batch::Analyses;
    /// let (y, v) = ([0.1, 0.9, 0.4, -0.2, 0.3, 0.0], [0.01; 6]);
    /// let a = Analyses::uniform(&y, &v, 3)?;
    /// assert_eq!((a.len(), a.studies()), (2, 6));
    /// assert!(Analyses::uniform(&y, &v, 4).is_err()); // 4 does not divide 6
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn uniform(effects: &'a [T], variances: &'a [T], k: usize) -> Result<Self> {
        check_columns(effects, variances)?;
        if k == 0 || effects.len() % k != 0 {
            return Err(Error::InvalidLayout {
                why: "the number of studies is not a positive multiple of k",
                at: effects.len(),
            });
        }
        Ok(Analyses {
            effects,
            variances,
            bounds: Bounds::Uniform(k),
        })
    }

    /// Number of analyses.
    ///
    /// ```
    /// use metapool::batch::Analyses;
    /// let (y, v) = ([0.1, 0.9, 0.4, -0.2], [0.01; 4]);
    /// assert_eq!(Analyses::uniform(&y, &v, 2)?.len(), 2);
    /// assert_eq!(Analyses::with_offsets(&y, &v, &[0, 1, 4])?.len(), 2);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        match self.bounds {
            Bounds::Offsets(o) => o.len() - 1,
            Bounds::Uniform(k) => self.effects.len() / k,
        }
    }

    /// Whether there are no analyses.
    ///
    /// ```
    /// use metapool::batch::Analyses;
    /// let (y, v): ([f64; 0], [f64; 0]) = ([], []);
    /// assert!(Analyses::with_offsets(&y, &v, &[0])?.is_empty());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total number of studies over all analyses.
    ///
    /// ```
    /// use metapool::batch::Analyses;
    /// let (y, v) = ([0.1, 0.9, 0.4], [0.01; 3]);
    /// assert_eq!(Analyses::with_offsets(&y, &v, &[0, 1, 3])?.studies(), 3);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn studies(&self) -> usize {
        self.effects.len()
    }

    /// The effects and variances of analysis `a`, or `None` when `a >= len()`.
    ///
    /// ```
    /// use metapool::batch::Analyses;
    /// let (y, v) = ([0.1, 0.9, 0.4], [0.01, 0.02, 0.03]);
    /// let a = Analyses::with_offsets(&y, &v, &[0, 1, 3])?;
    /// assert_eq!(a.get(0), Some((&[0.1][..], &[0.01][..])));
    /// assert_eq!(a.get(2), None);
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn get(&self, a: usize) -> Option<(&'a [T], &'a [T])> {
        (a < self.len()).then(|| self.analysis(a))
    }

    /// The common number of studies of every analysis, for [`Analyses::uniform`].
    #[inline(always)]
    pub(crate) fn uniform_k(&self) -> Option<usize> {
        match self.bounds {
            Bounds::Offsets(_) => None,
            Bounds::Uniform(k) => Some(k),
        }
    }

    /// Analysis `a < len()` (the layout was validated at construction).
    #[inline(always)]
    pub(crate) fn analysis(&self, a: usize) -> (&'a [T], &'a [T]) {
        let (start, end) = match self.bounds {
            Bounds::Offsets(o) => (o[a], o[a + 1]),
            Bounds::Uniform(k) => (a * k, (a + 1) * k),
        };
        (&self.effects[start..end], &self.variances[start..end])
    }
}

/// Offsets for [`Analyses::with_offsets`] from the number of studies in each analysis:
/// `offsets[0] = 0`, `offsets[a + 1] = offsets[a] + lengths[a]` (one allocation per batch, not
/// per analysis).
///
/// ```
/// use metapool::batch::{offsets_from_lengths, Analyses};
/// let y = [0.1, 0.9, 0.4, -0.2, 0.3];
/// let v = [0.01, 0.02, 0.015, 0.05, 0.04];
/// let offsets = offsets_from_lengths(&[3, 2]);
/// assert_eq!(offsets, vec![0, 3, 5]);
/// let analyses = Analyses::with_offsets(&y, &v, &offsets)?;
/// assert_eq!(analyses.len(), 2);
/// # Ok::<(), metapool::Error>(())
/// ```
pub fn offsets_from_lengths(lengths: &[usize]) -> Vec<usize> {
    let mut offsets = Vec::with_capacity(lengths.len() + 1);
    let mut at = 0usize;
    offsets.push(at);
    for &n in lengths {
        at = at.saturating_add(n);
        offsets.push(at);
    }
    offsets
}

fn check_columns<T>(effects: &[T], variances: &[T]) -> Result<()> {
    if effects.len() != variances.len() {
        return Err(Error::InvalidLayout {
            why: "the effect and variance columns differ in length",
            at: effects.len().min(variances.len()),
        });
    }
    Ok(())
}
