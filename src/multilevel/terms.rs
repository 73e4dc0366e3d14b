//! The sums over clusters that make the score and the information of the variance parameters
//! (see `likelihood`), each cluster added either from its dense derivative matrices `D_q` or,
//! for random intercepts, by group sums: with `D_q = Z_q Z_q'` (`Z_q` the indicators of the
//! level-`q` groups within the cluster) every term is a product of small matrices,
//!
//! ```text
//! S_q = W Z_q,  T_qr = Z_q' W Z_r,  U_q = Z_q' W X,  s_q = Z_q' W r
//! tr(W D_q) = tr T_qq              (Wr)' D_q (Wr) = |s_q|²
//! tr(W D_q W D_r) = |T_qr|²_F      X'W D_q W X = U_q' U_q
//! X'W D_q W D_r W X = U_q' T_qr U_r,   z_q = D_q W r:  X'W z_q = U_q' s_q,  z_q' W z_r = s_q' T_qr s_r
//! ```
//! so a cluster of `n` effects costs `O(n²)` per parameter instead of the `O(n³)` of the dense
//! products: the difference that matters for crossed designs, whose clusters are large.

use nalgebra::{DMatrix, DVector};

/// The running sums (`nq` parameters, `p` coefficients).
pub(crate) struct Terms {
    /// `tr(W D_q)`.
    pub tr: DVector<f64>,
    /// `(Wr)' D_q (Wr)`.
    pub quad: DVector<f64>,
    /// `tr(W D_q W D_r)` (upper triangle).
    pub trww: DMatrix<f64>,
    /// `F_q = X'W D_q W X`.
    pub f: Vec<DMatrix<f64>>,
    /// `G_qr = X'W D_q W D_r W X` at `q * nq + r`, `r >= q`.
    pub g: Vec<DMatrix<f64>>,
    /// `z_q' W z_r` (upper triangle), `z_q = D_q W r`.
    pub zwz: DMatrix<f64>,
    /// `c_q = X'W z_q`.
    pub c: Vec<DVector<f64>>,
}

impl Terms {
    pub(crate) fn new(nq: usize, p: usize) -> Terms {
        Terms {
            tr: DVector::zeros(nq),
            quad: DVector::zeros(nq),
            trww: DMatrix::zeros(nq, nq),
            f: vec![DMatrix::zeros(p, p); nq],
            g: vec![DMatrix::zeros(p, p); nq * nq],
            zwz: DMatrix::zeros(nq, nq),
            c: vec![DVector::zeros(p); nq],
        }
    }

    /// Add a cluster from its dense `D_q`; `wx = W X`, `u = W r`.
    pub(crate) fn add_dense(
        &mut self,
        w: &DMatrix<f64>,
        d: &[DMatrix<f64>],
        wx: &DMatrix<f64>,
        u: &DVector<f64>,
    ) {
        let nq = d.len();
        let z: Vec<DVector<f64>> = d.iter().map(|dq| dq * u).collect();
        let wz: Vec<DVector<f64>> = z.iter().map(|zq| w * zq).collect();
        let wd: Vec<DMatrix<f64>> = d.iter().map(|dq| w * dq).collect();
        let dwx: Vec<DMatrix<f64>> = d.iter().map(|dq| dq * wx).collect();
        for q in 0..nq {
            self.c[q] += wx.transpose() * &z[q];
            self.tr[q] += wd[q].trace();
            self.quad[q] += u.dot(&z[q]);
            self.f[q] += wx.transpose() * &dwx[q];
            for r in q..nq {
                self.zwz[(q, r)] += z[q].dot(&wz[r]);
                // tr(W D_q W D_r) without forming the product
                let (a, c) = (&wd[q], &wd[r]);
                let n = a.nrows();
                let mut t = 0.0;
                for i in 0..n {
                    for j in 0..n {
                        t += a[(i, j)] * c[(j, i)];
                    }
                }
                self.trww[(q, r)] += t;
                self.g[q * nq + r] += dwx[q].transpose() * w * &dwx[r];
            }
        }
    }

    /// Add a cluster of random intercepts by group sums: `groups[q]` holds each row's group
    /// (numbered from 0 within the cluster) at level `q` and the number of groups.
    pub(crate) fn add_groups(
        &mut self,
        w: &DMatrix<f64>,
        groups: &[(Vec<usize>, usize)],
        wx: &DMatrix<f64>,
        u: &DVector<f64>,
    ) {
        let nq = groups.len();
        let (n, p) = (w.nrows(), wx.ncols());
        // S_q = W Z_q, U_q = Z_q' W X, s_q = Z_q' W r
        let mut s = Vec::with_capacity(nq);
        let mut uq = Vec::with_capacity(nq);
        let mut sq = Vec::with_capacity(nq);
        for (id, m) in groups {
            let mut sm = DMatrix::<f64>::zeros(n, *m);
            let mut um = DMatrix::<f64>::zeros(*m, p);
            let mut sv = DVector::<f64>::zeros(*m);
            for (b, &gb) in id.iter().enumerate() {
                for a in 0..n {
                    sm[(a, gb)] += w[(a, b)];
                }
                for j in 0..p {
                    um[(gb, j)] += wx[(b, j)];
                }
                sv[gb] += u[b];
            }
            s.push(sm);
            uq.push(um);
            sq.push(sv);
        }
        for q in 0..nq {
            self.quad[q] += sq[q].norm_squared();
            self.f[q] += uq[q].transpose() * &uq[q];
            self.c[q] += uq[q].transpose() * &sq[q];
            for r in q..nq {
                // T_qr = Z_q' S_r
                let (id, m) = &groups[q];
                let mut t = DMatrix::<f64>::zeros(*m, groups[r].1);
                for (a, &ga) in id.iter().enumerate() {
                    for c in 0..groups[r].1 {
                        t[(ga, c)] += s[r][(a, c)];
                    }
                }
                if r == q {
                    self.tr[q] += t.trace();
                }
                self.trww[(q, r)] += t.norm_squared();
                self.zwz[(q, r)] += sq[q].dot(&(&t * &sq[r]));
                self.g[q * nq + r] += uq[q].transpose() * &t * &uq[r];
            }
        }
    }
}
