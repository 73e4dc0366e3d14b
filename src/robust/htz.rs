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
    let root = inverse_sqrt(omega);
    let (qq, qp) = (q * q, q * p);
    let mut dd = DMatrix::<f64>::zeros(qq, qq);
    let mut de = DMatrix::<f64>::zeros(qq, qq);
    let mut s = DMatrix::<f64>::zeros(qp, qp);
    let left = &root * c;
    let left_t = left.transpose();
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
