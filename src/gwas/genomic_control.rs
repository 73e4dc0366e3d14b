//! Genomic control (Devlin & Roeder 1999) as METAL applies it: each cohort's chi-squares are
//! deflated by lambda, the median chi-square over its 1-df median, when lambda exceeds 1.

/// METAL's divisor of the median chi-square: the median of chi-square on 1 df.
/// ```text
/// lambda = median(z_i^2) / 0.4549364,  applied only when lambda > 1
/// ```
/// METAL takes the element at position `floor(n / 2)` of the sorted chi-squares (the upper
/// median for even n), and so does [`genomic_control_lambda`].
///
/// ```
/// use metapool::gwas::MEDIAN_CHI2_1DF;
/// use metapool::inference::normal_quantile;
/// // the median of chi-square on 1 df is Phi^-1(0.75)², 0.45493642311957..., as METAL rounds it
/// assert!((MEDIAN_CHI2_1DF - normal_quantile(0.75).powi(2)).abs() < 5e-8);
/// ```
pub const MEDIAN_CHI2_1DF: f64 = 0.4549364;

/// Genomic-control lambda of a set of 1-df chi-squares, as METAL computes it (see
/// [`MEDIAN_CHI2_1DF`]); 1 when there are none or when the ratio is at most 1. `chi2` is
/// reordered.
///
/// ```
/// let mut chi2 = vec![0.1, 3.0, 0.9, 1.2];
/// // sorted 0.1, 0.9, 1.2, 3.0: element 2 = 1.2
/// let l = metapool::gwas::genomic_control_lambda(&mut chi2);
/// assert!((l - 1.2 / 0.4549364).abs() < 1e-15);
/// ```
pub fn genomic_control_lambda(chi2: &mut [f64]) -> f64 {
    if chi2.is_empty() {
        return 1.0;
    }
    let mid = chi2.len() / 2;
    let (_, m, _) = chi2.select_nth_unstable_by(mid, f64::total_cmp);
    let lambda = *m / MEDIAN_CHI2_1DF;
    if lambda > 1.0 {
        lambda
    } else {
        1.0
    }
}
