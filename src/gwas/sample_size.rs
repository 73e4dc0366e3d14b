//! METAL's sample-size scheme (`SCHEME SAMPLESIZE`): Stouffer's weighted z over cohorts, and
//! METAL's heterogeneity on the z-scores.

use super::align::Variant;
use super::pool::{Estimate, VariantResult};
use crate::heterogeneity::Heterogeneity;
use crate::inference::{chi_square_upper_tail, normal_two_sided_p};

/// The sample-size scheme and METAL's heterogeneity on z-scores:
/// ```text
/// Q = sum_i (z_i - sqrt(N_i) Z_w),  Z_w = sum_j sqrt(N_j) z_j / sum_j N_j
/// ```
/// (`z_i` after genomic control; METAL's `ReProcessFile`).
pub(super) fn sample_size(v: &Variant, lambda: &[f64], r: &mut VariantResult) {
    if v.studies.is_empty() {
        return;
    }
    let (mut sz, mut sn) = (0.0, 0.0);
    for s in &v.studies {
        sz += s.weight.sqrt() * s.z / lambda[s.cohort].sqrt();
        sn += s.weight;
    }
    let z = sz / sn.sqrt();
    r.fixed = Estimate {
        effect: f64::NAN,
        se: f64::NAN,
        z,
        p: normal_two_sided_p(z),
    };
    let zw = sz / sn;
    let q: f64 = v
        .studies
        .iter()
        .map(|s| {
            let d = s.z / lambda[s.cohort].sqrt() - s.weight.sqrt() * zw;
            d * d
        })
        .sum();
    r.q = q;
    r.df = r.k - 1;
    r.q_p = if q < 1e-7 || r.df == 0 {
        1.0
    } else {
        chi_square_upper_tail(q, r.df as f64)
    };
    r.i2 = Heterogeneity::fixed(q, r.df).i2;
}
