//! Gauss-Hermite rules for the standard normal density, and the adaptive quadrature of a
//! study's marginal likelihood built on them.

use nalgebra::{DMatrix, SymmetricEigen};

/// How a study's likelihood is integrated over its random effects.
///
/// ```text
/// L_i = ∫ exp(l_i(u)) phi(u) du,  u standardized (b = tau u)
/// adaptive Gauss-Hermite with n nodes (Liu & Pierce 1994; lme4's nAGQ):
///   u^ = argmax G(u),  G(u) = l_i(u) - u²/2,  s = (-G''(u^))^(-1/2)
///   L_i ≈ s Σ_k w_k exp(G(u^ + s z_k) + z_k²/2)    (z_k, w_k: the n-point rule for N(0, 1))
/// Laplace (n = 1): ln L_i ≈ G(u^) - 1/2 ln det(-G''(u^))
/// ```
/// metafor's `rma.glmm` fits through lme4's `glmer` with `nAGQ = 7` wherever `glmer` allows it
/// (one scalar random effect per study: PLO, IRLN, CM.AL, IRR's conditional model, UM.FS), and
/// with the Laplace approximation for UM.RS (two random effects per study, where `glmer` only
/// allows `nAGQ = 1`); for CM.EL it integrates the exact conditional likelihood with R's
/// `integrate()`, which metapool replaces by adaptive Gauss-Hermite with
/// [`Quadrature::CONDITIONAL_EXACT_NODES`] nodes (the integrand is smooth and unimodal; 21
/// nodes agree with 41 to about 1e-12 on the fixtures).
///
/// ```
/// use metapool::glmm::Quadrature;
/// assert_eq!(Quadrature::default().nodes(), 7);
/// assert!(Quadrature::new(0).is_err());
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Quadrature {
    nodes: usize,
}

impl Default for Quadrature {
    /// lme4's and metafor's default, `nAGQ = 7`.
    fn default() -> Self {
        Quadrature { nodes: 7 }
    }
}

impl Quadrature {
    /// The nodes that stand in for `integrate()` in the CM.EL model by default.
    pub const CONDITIONAL_EXACT_NODES: usize = 21;

    /// `nodes` adaptive Gauss-Hermite points (1 is the Laplace approximation); 1 to 99.
    pub fn new(nodes: usize) -> crate::Result<Self> {
        if !(1..=99).contains(&nodes) {
            return Err(crate::Error::InvalidParameter {
                name: "nodes",
                problem: crate::Problem::OutOfRange {
                    lo: 0.0,
                    hi: 100.0,
                    got: nodes as f64,
                },
            });
        }
        Ok(Quadrature { nodes })
    }

    /// The Laplace approximation (`nAGQ = 1`).
    pub fn laplace() -> Self {
        Quadrature { nodes: 1 }
    }

    /// The number of points.
    pub fn nodes(&self) -> usize {
        self.nodes
    }
}

/// The n-point Gauss-Hermite rule for the standard normal density (Golub-Welsch: the nodes are
/// the eigenvalues of the Jacobi matrix of the probabilists' Hermite polynomials, the weights
/// the squared first components of its eigenvectors), stored as the nodes and
/// `ln w_k + z_k²/2`.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) z: Vec<f64>,
    pub(crate) log_adjust: Vec<f64>,
}

impl Rule {
    pub(crate) fn new(q: Quadrature) -> Rule {
        let n = q.nodes;
        if n == 1 {
            return Rule {
                z: vec![0.0],
                log_adjust: vec![0.0],
            };
        }
        let jacobi = DMatrix::from_fn(n, n, |i, j| {
            if i + 1 == j || j + 1 == i {
                (i.max(j) as f64).sqrt()
            } else {
                0.0
            }
        });
        let eig = SymmetricEigen::new(jacobi);
        let mut pairs: Vec<(f64, f64)> = (0..n)
            .map(|k| {
                let v = eig.eigenvectors[(0, k)];
                (eig.eigenvalues[k], v * v)
            })
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        // symmetrize (the rule is symmetric about 0; this removes eigen-solver noise)
        for k in 0..n / 2 {
            let (a, b) = (pairs[k], pairs[n - 1 - k]);
            let z = 0.5 * (b.0 - a.0);
            let w = 0.5 * (a.1 + b.1);
            pairs[k] = (-z, w);
            pairs[n - 1 - k] = (z, w);
        }
        if n % 2 == 1 {
            pairs[n / 2].0 = 0.0;
        }
        let total: f64 = pairs.iter().map(|p| p.1).sum();
        Rule {
            z: pairs.iter().map(|p| p.0).collect(),
            log_adjust: pairs
                .iter()
                .map(|p| (p.1 / total).ln() + 0.5 * p.0 * p.0)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_integrates_normal_moments() {
        // E z^2 = 1, E z^4 = 3, E z^6 = 15 exactly for n >= 4
        let r = Rule::new(Quadrature::new(7).unwrap());
        let m = |p: i32| -> f64 {
            r.z.iter()
                .zip(&r.log_adjust)
                .map(|(z, la)| (la - 0.5 * z * z).exp() * z.powi(p))
                .sum()
        };
        assert!((m(0) - 1.0).abs() < 1e-14);
        assert!((m(2) - 1.0).abs() < 1e-13);
        assert!((m(4) - 3.0).abs() < 1e-12);
        assert!((m(6) - 15.0).abs() < 1e-11);
    }
}
