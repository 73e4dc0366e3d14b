//! Degrees of freedom of CR2 tests under the working model: the Satterthwaite df of one
//! coefficient (clubSandwich `coef_test(test = "Satterthwaite")`) and the Hotelling-T²
//! approximation with estimated df for `q` constraints (`Wald_test(test = "HTZ")`), which is
//! the Satterthwaite df when `q = 1`. One kernel serves both.
//!
//! For a constraint matrix `C` (`q x p`) clubSandwich forms, for every pair of clusters `j, k`
//! and constraints `s, t`, `P_st[j, k] = δ_jk g_sj·g_tj - h_sj·h_tk` with `g_sj` the rows of
//! `C F_j L_j` and `h_sj` the rows of `C F_j X_j L_B` ([`Sandwich`]), then
//! ```text
//! Ω = [tr P_st]_st,   B_st = (Ω^{-1/2} P Ω^{-1/2})_st
//! var_st = Σ_jk B_st[j,k] B_ts[j,k] + Σ_jk B_ss[j,k] B_tt[j,k]
//! ν = q (q + 1) / Σ_st var_st         (q = 1: ν = (tr P)² / Σ_jk P[j,k]², Satterthwaite)
//! HTZ:  F = δ Q / q ~ F(q, ν - q + 1),   δ = max(0, (ν - q + 1) / ν),   Q = (Cb)' (C V_R C')^{-1} (Cb)
//! ```
//! The `m x m` arrays are never formed: with `D_ab,j = g_aj·g_bj` (the entries of
//! `C D_j C'`), `E_ab,j = h_aj·h_bj` and `S_ab = Σ_j h_aj h_bj'` (`p x p`),
//! ```text
//! Σ_jk B_ab[j,k] B_cd[j,k] = Σ_j D_ab,j D_cd,j - Σ_j D_ab,j E_cd,j - Σ_j D_cd,j E_ab,j + <S_bd, S_ac>_F
//! ```
//! (after the `Ω^{-1/2}` transform), so the cost is `O(m (q² p² + q⁴))` time and
//! `O(q² p² + q⁴)` memory. Source: Pustejovsky & Tipton (2018), sections 3.2-3.3; Tipton &
//! Pustejovsky (2015); clubSandwich 0.5.8 `get_GH`, `get_P_array`, `total_variance_mat`,
//! `Hotelling_Tsq`.

use super::sandwich::{inverse_sqrt, Sandwich};
use crate::error::{Error, Result};
use nalgebra::DMatrix;

/// The degrees of freedom `ν` of the working-model approximation for the constraints `c`
/// (`q x p`), from the CR2 pieces of `sandwich`.
pub(super) fn working_df(sandwich: &Sandwich, c: &DMatrix<f64>) -> Result<f64> {
    let q = c.nrows();
    let p = c.ncols();
    let ct = c.transpose();
    // Ω = Σ_j C D_j C' - Σ_j (C K_j)(C K_j)'
    let mut omega = DMatrix::<f64>::zeros(q, q);
    for (d, k) in sandwich.d.iter().zip(&sandwich.k) {
        let h = c * k;
        omega += c * d * &ct - &h * h.transpose();
    }
    // ν is the same for the constraints T C (T invertible): any inverse square root of Ω
    // serves, so Ω is first scaled to unit diagonal (S = diag(Ω)^{-1/2}: Ω^{-1/2} is taken
    // as (S Ω S)^{-1/2} S), which keeps its eigendecomposition accurate when the
    // constraints are on very different scales (an intercept next to a year).
    let scale =
        DMatrix::from_diagonal(
            &omega
                .diagonal()
                .map(|v| if v > 0.0 { 1.0 / v.sqrt() } else { 0.0 }),
        );
    let root = inverse_sqrt(&scale * omega * &scale) * scale;
    let (qq, qp) = (q * q, q * p);
    let mut dd = DMatrix::<f64>::zeros(qq, qq);
    let mut de = DMatrix::<f64>::zeros(qq, qq);
    let mut s = DMatrix::<f64>::zeros(qp, qp);
    let left = &root * c;
    let left_t = left.transpose();
    // Ω^{-1/2} P Ω^{-1/2} with the non-symmetric root R: R P R' (ν depends on R only through R'R)
    for (d, k) in sandwich.d.iter().zip(&sandwich.k) {
        let dh = &left * d * &left_t; // q x q
        let hh = &left * k; // q x p
        let e = &hh * hh.transpose();
        // vec(.) in column-major order: index a + q b
        let dv = DMatrix::from_column_slice(qq, 1, dh.as_slice());
        let ev = DMatrix::from_column_slice(qq, 1, e.as_slice());
        dd += &dv * dv.transpose();
        de += &dv * ev.transpose();
        // z_j: the rows of hh stacked, index x p + a
        let z = DMatrix::from_iterator(
            qp,
            1,
            (0..q)
                .flat_map(|x| (0..p).map(move |a| (x, a)))
                .map(|(x, a)| hh[(x, a)]),
        );
        s += &z * z.transpose();
    }
    let ab = |a: usize, b: usize| a + q * b;
    let s_block = |x: usize, y: usize| s.view((x * p, y * p), (p, p));
    let t = |a: usize, b: usize, c2: usize, d2: usize| {
        dd[(ab(a, b), ab(c2, d2))] - de[(ab(a, b), ab(c2, d2))] - de[(ab(c2, d2), ab(a, b))]
            + s_block(b, d2).dot(&s_block(a, c2))
    };
    let mut total = 0.0;
    for a in 0..q {
        for b in 0..q {
            total += t(a, b, b, a) + t(a, a, b, b);
        }
    }
    let nu = (q * (q + 1)) as f64 / total;
    if nu.is_finite() && nu > 0.0 {
        Ok(nu)
    } else {
        Err(Error::NonFinite {
            what: "the Satterthwaite/HTZ degrees of freedom",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::robust::RobustVariance;
    use nalgebra::DVector;

    /// clubSandwich's route: the `m x m` arrays `P_st`, then `total_variance_mat`.
    fn brute_force(g: &[DMatrix<f64>], h: &[DMatrix<f64>], c: &DMatrix<f64>) -> f64 {
        let q = c.nrows();
        let m = g.len();
        let cg: Vec<DMatrix<f64>> = g.iter().map(|x| c * x).collect();
        let ch: Vec<DMatrix<f64>> = h.iter().map(|x| c * x).collect();
        let p_st = |s: usize, t: usize, j: usize, k: usize| {
            let diag = if j == k {
                cg[j].row(s).dot(&cg[j].row(t))
            } else {
                0.0
            };
            diag - ch[j].row(s).dot(&ch[k].row(t))
        };
        let omega = DMatrix::from_fn(q, q, |s, t| (0..m).map(|j| p_st(s, t, j, j)).sum());
        let r = inverse_sqrt(omega);
        let b = |s: usize, t: usize, j: usize, k: usize| {
            let mut v = 0.0;
            for a in 0..q {
                for bb in 0..q {
                    v += r[(s, a)] * p_st(a, bb, j, k) * r[(bb, t)];
                }
            }
            v
        };
        let mut total = 0.0;
        for s in 0..q {
            for t in 0..q {
                for j in 0..m {
                    for k in 0..m {
                        total += b(s, t, j, k) * b(t, s, j, k) + b(s, s, j, k) * b(t, t, j, k);
                    }
                }
            }
        }
        (q * (q + 1)) as f64 / total
    }

    #[test]
    fn the_pairwise_sums_equal_the_m_by_m_arrays() {
        let p = 3;
        let m = 6;
        let mut seed = 1u64;
        let mut rnd = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let g: Vec<DMatrix<f64>> = (0..m)
            .map(|j| DMatrix::from_fn(p, 1 + j % 3, |_, _| rnd()))
            .collect();
        let h: Vec<DMatrix<f64>> = (0..m)
            .map(|_| DMatrix::from_fn(p, p, |_, _| 0.3 * rnd()))
            .collect();
        let sandwich = Sandwich {
            correction: RobustVariance::Cr2,
            m,
            b: DVector::zeros(p),
            vcov: DMatrix::identity(p, p),
            d: g.iter().map(|x| x * x.transpose()).collect(),
            k: h.clone(),
        };
        for c in [
            DMatrix::identity(3, 3),
            DMatrix::from_row_slice(2, 3, &[0.0, 1.0, 0.0, 0.0, 0.0, 1.0]),
            DMatrix::from_row_slice(1, 3, &[0.0, 1.0, 0.0]),
            DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 0.0, 0.5, 0.0, -1.0]),
        ] {
            let fast = working_df(&sandwich, &c).unwrap();
            let slow = brute_force(&g, &h, &c);
            assert!((fast - slow).abs() <= 1e-12 * slow, "{fast} vs {slow}");
        }
    }
}
