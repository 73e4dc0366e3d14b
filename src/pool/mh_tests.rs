//! The tests that metafor's `rma.mh` reports with a Mantel-Haenszel odds ratio: the
//! Cochran-Mantel-Haenszel test of no association and Tarone's test of homogeneity of the odds
//! ratios.

use crate::inference::chi_square_upper_tail;
use crate::numeric::NeumaierSum;

/// The continuity correction of the Cochran-Mantel-Haenszel statistic (metafor `rma.mh`'s
/// `correct`).
///
/// ```
/// use metapool::pool::CmhCorrection;
/// assert_eq!(CmhCorrection::default(), CmhCorrection::Half); // metafor's correct = TRUE
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum CmhCorrection {
    /// 1/2 subtracted from `|sum (a - E)|` (`correct = TRUE`, metafor's default).
    #[default]
    Half,
    /// No correction (`correct = FALSE`).
    None,
}

/// The Cochran-Mantel-Haenszel and Tarone tests of a Mantel-Haenszel odds-ratio fit, as metafor
/// `rma.mh(measure = "OR")` computes them (its `MH`, `MHp`, printed as CMH, and `TA`, `TAp`),
/// over the raw cells `(a, b, c, d)` of every table (`n1 = a + b`, `n2 = c + d`, `N = n1 + n2`,
/// `m1 = a + c`, `m2 = b + d`):
///
/// ```text
/// CMH = (|sum (a - n1 m1 / N)| - 1/2)^2 / sum (n1/N)(n2/N) m1 m2 / (N - 1)       (df = 1)
/// ```
/// (the 1/2 per [`CmhCorrection`]; metafor squares `|S| - 1/2` also when `|S| < 1/2`, and so
/// does this). Tarone's test (Tarone 1985) around the Mantel-Haenszel odds ratio `psi`: the
/// expected count `E_i` of cell `a` with the margins of table i and odds ratio `psi` solves a
/// quadratic,
/// ```text
/// A = psi (n1 + m1) + n2 - m1,  B = sqrt(A^2 - 4 n1 m1 psi (psi - 1)),
/// E = (A - B) / (2 (psi - 1)) = 2 n1 m1 psi / (A + B)       (the second form: no cancellation)
/// V = 1 / (1/E + 1/(n1 - E) + 1/(m1 - E) + 1/(N - n1 - m1 + E))
/// BD = sum (a - E)^2 / V,   TA = max(0, BD - (sum (a - E))^2 / sum V)
/// ```
/// over the tables with `E > 0`, `m1 > 0` and `m2 > 0`, on (their number - 1) df; with fewer
/// than two such tables there is no p-value (metafor: NA). Sources: Mantel & Haenszel (1959);
/// Breslow & Day (1980); Tarone (1985); metafor `rma.mh`.
///
/// ```
/// use metapool::{effect::LogOddsRatio, effect::TwoByTwo, pool::MantelHaenszel};
/// let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
///     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
///     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
///     (27, 16886, 29, 17825)]
///     .map(|(a, b, c, d)| LogOddsRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
/// let fit = MantelHaenszel::default().pool(&bcg)?;
/// let tests = fit.mantel_haenszel_tests.unwrap();
/// // metafor rma.mh(measure = "OR", dat.bcg): CMH = 135.6889, X^2 (Tarone) = 171.7567, df = 12
/// assert!((tests.cmh - 135.68894372390628).abs() < 1e-10);
/// assert!((tests.tarone.unwrap() - 171.75667299387146).abs() < 1e-10);
/// assert_eq!(tests.tarone_df, 12);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MantelHaenszelTests {
    /// The Cochran-Mantel-Haenszel statistic (chi-square, 1 df).
    pub cmh: f64,
    /// Its p-value.
    pub cmh_p: f64,
    /// The continuity correction used.
    pub correction: CmhCorrection,
    /// Tarone's statistic (`None` when the odds ratio leaves no table with `E > 0`).
    pub tarone: Option<f64>,
    /// Its p-value on `tarone_df` df (`None` with fewer than two tables).
    pub tarone_p: Option<f64>,
    /// The degrees of freedom of Tarone's test: the number of tables used, minus 1 (0 when
    /// fewer than two).
    pub tarone_df: usize,
}

/// The tests of `tables` (raw cells) around the Mantel-Haenszel odds ratio `psi`; `None` when
/// the CMH statistic is undefined (no events, or no non-events, in any table).
pub(crate) fn mantel_haenszel_tests(
    tables: impl Iterator<Item = [f64; 4]> + Clone,
    psi: f64,
    correction: CmhCorrection,
) -> Option<MantelHaenszelTests> {
    let (mut diff, mut var) = (NeumaierSum::default(), NeumaierSum::default());
    for [a, b, c, d] in tables.clone() {
        let (n1, n2) = (a + b, c + d);
        let n = n1 + n2;
        let (m1, m2) = (a + c, b + d);
        diff.add(a - n1 / n * m1);
        var.add((n1 / n) * (n2 / n) * m1 * (m2 / (n - 1.0)));
    }
    let var = var.value();
    if !(var > 0.0 && var.is_finite()) {
        return None;
    }
    let half = match correction {
        CmhCorrection::Half => 0.5,
        CmhCorrection::None => 0.0,
    };
    let s = diff.value().abs() - half;
    let cmh = s * s / var;
    let (mut bd, mut dev, mut sum_v, mut used) = (
        NeumaierSum::default(),
        NeumaierSum::default(),
        NeumaierSum::default(),
        0usize,
    );
    for [a, b, c, d] in tables {
        let (n1, n2) = (a + b, c + d);
        let n = n1 + n2;
        let (m1, m2) = (a + c, b + d);
        let big_a = psi * (n1 + m1) + (n2 - m1);
        let big_b = (big_a * big_a - 4.0 * n1 * m1 * psi * (psi - 1.0)).sqrt();
        let e = 2.0 * n1 * m1 * psi / (big_a + big_b);
        if !(e > 0.0 && m1 > 0.0 && m2 > 0.0) {
            continue;
        }
        used += 1;
        let inv_v = 1.0 / e + 1.0 / (n1 - e) + 1.0 / (m1 - e) + 1.0 / (n - n1 - m1 + e);
        bd.add((a - e) * (a - e) * inv_v);
        dev.add(a - e);
        sum_v.add(1.0 / inv_v);
    }
    let tarone = (used > 0).then(|| {
        let d = dev.value();
        (bd.value() - d * d / sum_v.value()).max(0.0)
    });
    let tarone_df = used.saturating_sub(1);
    let tarone_p = match tarone {
        Some(t) if used > 1 => Some(chi_square_upper_tail(t, tarone_df as f64)),
        _ => None,
    };
    Some(MantelHaenszelTests {
        cmh,
        cmh_p: chi_square_upper_tail(cmh, 1.0),
        correction,
        tarone,
        tarone_p,
        tarone_df,
    })
}
