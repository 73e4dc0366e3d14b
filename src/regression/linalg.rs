//! A small dense least-squares kernel for the meta-regression (`p` up to a few dozen
//! coefficients, `k` studies): the thin Householder QR decomposition of the weighted design
//! `W^(1/2) X = Q R` (Golub & Van Loan 2013, algorithm 5.2.1), triangular solves with `R`, and
//! `(X'WX)^-1 = R^-1 R^-T`. QR is used rather than the Cholesky factor of `X'WX` because it
//! works with the condition number of `W^(1/2) X`, not its square (moderators near 1e6 next to
//! an intercept).
//!
//! Matrices are stored column-major in one `Vec<f64>`: entry `(i, j)` of a `rows x cols`
//! matrix is `a[i + j * rows]`.

// index loops over the rows and columns of small dense matrices read as the textbook algorithms
#![allow(clippy::needless_range_loop)]

/// The thin QR decomposition of a `k x p` matrix (`k >= p`) of full column rank.
#[derive(Debug, Clone)]
pub(crate) struct ThinQr {
    k: usize,
    p: usize,
    /// The `k x p` matrix `Q` with orthonormal columns.
    q: Vec<f64>,
    /// The `p x p` upper-triangular `R` (column-major; the strict lower part is zero).
    r: Vec<f64>,
}

/// Where a column of the matrix is (numerically) a linear combination of the columns before it:
/// its index, `|R_jj| <= RANK_TOLERANCE * ||a_j||`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dependent(pub usize);

/// The relative size of `|R_jj|` below which column `j` counts as a combination of the
/// columns before it: R's `qr()` default `tol = 1e-07`, which metafor uses to find redundant
/// predictors.
pub(crate) const RANK_TOLERANCE: f64 = 1e-7;

impl ThinQr {
    /// Decompose the `k x p` column-major matrix `a`. Errors with the first column that depends
    /// on the ones before it (Householder without pivoting keeps the columns in order, so the
    /// column named is the first redundant one in the user's order).
    pub(crate) fn new(k: usize, p: usize, a: &[f64]) -> Result<ThinQr, Dependent> {
        debug_assert_eq!(a.len(), k * p);
        debug_assert!(k >= p);
        let mut m = a.to_vec();
        let mut betas = vec![0.0; p];
        let mut r = vec![0.0; p * p];
        for j in 0..p {
            let col_norm = norm(&a[j * k..(j + 1) * k]);
            // Householder vector for column j, rows j..k
            let x = &mut m[j * k + j..(j + 1) * k];
            let alpha = norm(x);
            let independent = alpha > RANK_TOLERANCE * col_norm && alpha.is_finite();
            if !independent {
                return Err(Dependent(j));
            }
            let rjj = if x[0] > 0.0 { -alpha } else { alpha };
            x[0] -= rjj;
            let vnorm2: f64 = x.iter().map(|t| t * t).sum();
            let beta = 2.0 / vnorm2;
            betas[j] = beta;
            r[j + j * p] = rjj;
            // apply H_j = I - beta v v' to the columns after j
            for c in j + 1..p {
                let (head, tail) = m.split_at_mut(c * k);
                let v = &head[j * k + j..(j + 1) * k];
                let col = &mut tail[j..k];
                let s: f64 = v.iter().zip(col.iter()).map(|(a, b)| a * b).sum();
                let f = beta * s;
                for (ci, vi) in col.iter_mut().zip(v) {
                    *ci -= f * vi;
                }
                r[j + c * p] = col[0];
            }
        }
        // Q = H_0 H_1 ... H_(p-1) [I_p; 0], accumulated backwards
        let mut q = vec![0.0; k * p];
        for j in 0..p {
            q[j + j * k] = 1.0;
        }
        for j in (0..p).rev() {
            let v = &m[j * k + j..(j + 1) * k];
            for c in j..p {
                let col = &mut q[c * k + j..(c + 1) * k];
                let s: f64 = v.iter().zip(col.iter()).map(|(a, b)| a * b).sum();
                let f = betas[j] * s;
                for (ci, vi) in col.iter_mut().zip(v) {
                    *ci -= f * vi;
                }
            }
        }
        Ok(ThinQr { k, p, q, r })
    }

    /// Row `i` of `Q` (length `p`), written into `out`.
    pub(crate) fn q_row(&self, i: usize, out: &mut [f64]) {
        for (j, o) in out.iter_mut().enumerate().take(self.p) {
            *o = self.q[i + j * self.k];
        }
    }

    /// `Q'b` for a vector `b` of length `k`.
    pub(crate) fn qt_mul(&self, b: &[f64]) -> Vec<f64> {
        (0..self.p)
            .map(|j| {
                self.q[j * self.k..(j + 1) * self.k]
                    .iter()
                    .zip(b)
                    .map(|(a, b)| a * b)
                    .sum()
            })
            .collect()
    }

    /// Solve `R x = b` in place (back substitution).
    pub(crate) fn solve_r(&self, b: &mut [f64]) {
        let p = self.p;
        for j in (0..p).rev() {
            b[j] /= self.r[j + j * p];
            let bj = b[j];
            for i in 0..j {
                b[i] -= self.r[i + j * p] * bj;
            }
        }
    }

    /// Solve `R' x = b` in place (forward substitution).
    pub(crate) fn solve_rt(&self, b: &mut [f64]) {
        let p = self.p;
        for j in 0..p {
            let mut s = b[j];
            for i in 0..j {
                s -= self.r[i + j * p] * b[i];
            }
            b[j] = s / self.r[j + j * p];
        }
    }

    /// `ln |det R|^2 = ln det(A'A)`.
    pub(crate) fn log_det_gram(&self) -> f64 {
        (0..self.p)
            .map(|j| self.r[j + j * self.p].abs().ln())
            .sum::<f64>()
            * 2.0
    }

    /// `(A'A)^-1 = R^-1 R^-T`, `p x p` column-major.
    pub(crate) fn gram_inverse(&self) -> Vec<f64> {
        let p = self.p;
        let mut out = vec![0.0; p * p];
        let mut e = vec![0.0; p];
        for j in 0..p {
            e.iter_mut().for_each(|x| *x = 0.0);
            e[j] = 1.0;
            self.solve_rt(&mut e);
            self.solve_r(&mut e);
            out[j * p..(j + 1) * p].copy_from_slice(&e);
        }
        // symmetrize (the two triangles differ in the last bits)
        for i in 0..p {
            for j in 0..i {
                let m = 0.5 * (out[i + j * p] + out[j + i * p]);
                out[i + j * p] = m;
                out[j + i * p] = m;
            }
        }
        out
    }
}

/// The Euclidean norm: the plain sum of squares, rescaled only when it overflows or underflows.
fn norm(x: &[f64]) -> f64 {
    let ss: f64 = x.iter().map(|t| t * t).sum();
    if ss.is_finite() && ss > f64::MIN_POSITIVE * 1e20 {
        return ss.sqrt();
    }
    let scale = x.iter().fold(0.0f64, |m, t| m.max(t.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    scale * x.iter().map(|t| (t / scale).powi(2)).sum::<f64>().sqrt()
}

/// The inverse of a symmetric positive-definite `m x m` matrix (column-major) by Cholesky;
/// `None` when it is not positive definite in floating point.
pub(crate) fn spd_inverse(m: usize, a: &[f64]) -> Option<Vec<f64>> {
    let mut l = vec![0.0; m * m];
    for j in 0..m {
        let mut d = a[j + j * m];
        for c in 0..j {
            d -= l[j + c * m] * l[j + c * m];
        }
        let positive = d > 0.0;
        if !positive {
            return None;
        }
        let d = d.sqrt();
        l[j + j * m] = d;
        for i in j + 1..m {
            let mut s = a[i + j * m];
            for c in 0..j {
                s -= l[i + c * m] * l[j + c * m];
            }
            l[i + j * m] = s / d;
        }
    }
    let mut out = vec![0.0; m * m];
    let mut e = vec![0.0; m];
    for j in 0..m {
        e.iter_mut().for_each(|x| *x = 0.0);
        e[j] = 1.0;
        // L z = e
        for i in 0..m {
            let mut s = e[i];
            for c in 0..i {
                s -= l[i + c * m] * e[c];
            }
            e[i] = s / l[i + i * m];
        }
        // L' x = z
        for i in (0..m).rev() {
            let mut s = e[i];
            for c in i + 1..m {
                s -= l[c + i * m] * e[c];
            }
            e[i] = s / l[i + i * m];
        }
        out[j * m..(j + 1) * m].copy_from_slice(&e);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_reproduces_the_matrix_and_the_gram_inverse() {
        let (k, p) = (5, 3);
        let a = [
            1.0, 1.0, 1.0, 1.0, 1.0, // intercept
            0.5, -1.0, 2.0, 3.5, 0.0, // x1
            1e3, 2e3, 1.5e3, 1.2e3, 3e3, // x2
        ];
        let qr = ThinQr::new(k, p, &a).unwrap();
        // Q R = A
        for i in 0..k {
            let mut row = [0.0; 3];
            qr.q_row(i, &mut row);
            for j in 0..p {
                let s: f64 = (0..p).map(|c| row[c] * qr.r[c + j * p]).sum();
                assert!((s - a[i + j * k]).abs() <= 1e-12 * a[i + j * k].abs().max(1.0));
            }
        }
        // (A'A)^-1 A'A = I
        let inv = qr.gram_inverse();
        let gram = |r: usize, c: usize| (0..k).map(|i| a[i + r * k] * a[i + c * k]).sum::<f64>();
        for r in 0..p {
            for c in 0..p {
                let s: f64 = (0..p).map(|m| inv[r + m * p] * gram(m, c)).sum();
                assert!((s - if r == c { 1.0 } else { 0.0 }).abs() < 1e-9);
            }
        }
        let spd: Vec<f64> = (0..p * p).map(|e| gram(e % p, e / p)).collect();
        let inv2 = spd_inverse(p, &spd).unwrap();
        for (x, y) in inv.iter().zip(&inv2) {
            assert!((x - y).abs() <= 1e-8 * x.abs().max(1e-12));
        }
    }

    #[test]
    fn a_dependent_column_is_named() {
        let a = [1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 3.0, 4.0, 5.0];
        assert_eq!(ThinQr::new(3, 3, &a).unwrap_err(), Dependent(2));
        let zero = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0];
        assert_eq!(ThinQr::new(3, 2, &zero).unwrap_err(), Dependent(1));
    }
}
