//! Maximising a GLMM likelihood: Newton's method on central-difference derivatives, with a
//! Levenberg shift where the Hessian is not negative definite and step halving, so that every
//! accepted step increases the likelihood; and how it stopped.

use nalgebra::{DMatrix, DVector};

/// How the maximisation of a GLMM likelihood stopped.
///
/// ```
/// use metapool::glmm::{Glmm, GlmmData, GlmmModel};
/// use metapool::effect::Proportion;
/// let data = GlmmData::Proportions([(4, 20), (9, 25), (2, 18), (12, 30)]
///     .map(|(x, n)| Proportion::new(x as f64, n as f64).unwrap()).to_vec());
/// let fit = Glmm::random(GlmmModel::UmFs).fit(&data)?;
/// assert!(fit.stop.converged && fit.stop.iterations < 50);
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GlmmStop {
    /// Newton iterations taken.
    pub iterations: usize,
    /// The largest absolute score (central-difference gradient of the log-likelihood) at the
    /// end, over the free parameters.
    pub gradient: f64,
    /// Whether the last step was below the tolerance (relative 1e-10) or the score vanished.
    pub converged: bool,
    /// Whether a random-effect variance ended on its boundary, 0 (then it is fixed at 0 and the
    /// other parameters re-maximised).
    pub boundary: bool,
}

pub(crate) struct Maximum {
    pub(crate) x: Vec<f64>,
    pub(crate) value: f64,
    pub(crate) iterations: usize,
    pub(crate) gradient: f64,
    pub(crate) converged: bool,
}

/// Central-difference gradient and Hessian of `f` over the coordinates `free` at `x`.
pub(crate) fn derivatives(
    f: &mut dyn FnMut(&[f64]) -> f64,
    x: &[f64],
    free: &[usize],
    fx: f64,
) -> (DVector<f64>, DMatrix<f64>) {
    let d = free.len();
    let mut g = DVector::zeros(d);
    let mut h = DMatrix::zeros(d, d);
    let mut y = x.to_vec();
    let step = |v: f64, s: f64| s * (1.0 + v.abs());
    for (a, &j) in free.iter().enumerate() {
        let hg = step(x[j], 1e-5);
        y[j] = x[j] + hg;
        let fp = f(&y);
        y[j] = x[j] - hg;
        let fm = f(&y);
        g[a] = (fp - fm) / (2.0 * hg);
        let hh = step(x[j], 1e-4);
        y[j] = x[j] + hh;
        let fp = f(&y);
        y[j] = x[j] - hh;
        let fm = f(&y);
        y[j] = x[j];
        h[(a, a)] = (fp - 2.0 * fx + fm) / (hh * hh);
    }
    for a in 0..d {
        for b in 0..a {
            let (ja, jb) = (free[a], free[b]);
            let (ha, hb) = (step(x[ja], 1e-4), step(x[jb], 1e-4));
            let mut corner = |sa: f64, sb: f64| {
                y[ja] = x[ja] + sa * ha;
                y[jb] = x[jb] + sb * hb;
                f(&y)
            };
            let v = (corner(1.0, 1.0) - corner(1.0, -1.0) - corner(-1.0, 1.0) + corner(-1.0, -1.0))
                / (4.0 * ha * hb);
            y[ja] = x[ja];
            y[jb] = x[jb];
            h[(a, b)] = v;
            h[(b, a)] = v;
        }
    }
    (g, h)
}

/// Maximise `f` over the coordinates `free` from `x0`.
pub(crate) fn maximize(f: &mut dyn FnMut(&[f64]) -> f64, x0: &[f64], free: &[usize]) -> Maximum {
    let mut x = x0.to_vec();
    let mut fx = f(&x);
    let mut iterations = 0;
    let mut converged = false;
    let mut gmax = f64::INFINITY;
    while iterations < 200 {
        iterations += 1;
        let (g, h) = derivatives(f, &x, free, fx);
        gmax = g.amax();
        if free.is_empty() || gmax < 1e-12 * (1.0 + fx.abs()) {
            converged = true;
            break;
        }
        // Newton direction on -H, shifted until positive definite
        let neg_h = -h;
        let mut shift = 0.0;
        let dir = loop {
            let m = &neg_h + DMatrix::identity(free.len(), free.len()) * shift;
            if let Some(ch) = m.cholesky() {
                break ch.solve(&g);
            }
            shift = if shift == 0.0 {
                1e-6 * (1.0 + neg_h.amax())
            } else {
                shift * 10.0
            };
            if !shift.is_finite() {
                break g.clone();
            }
        };
        let mut t = 1.0;
        let mut trial = x.clone();
        let mut accepted = false;
        for _ in 0..60 {
            for (a, &j) in free.iter().enumerate() {
                trial[j] = x[j] + t * dir[a];
            }
            let ft = f(&trial);
            if ft.is_finite() && ft >= fx {
                let small = free
                    .iter()
                    .enumerate()
                    .all(|(a, &j)| (t * dir[a]).abs() <= 1e-10 * (1.0 + x[j].abs()));
                x.clone_from(&trial);
                fx = ft;
                accepted = true;
                converged = small;
                break;
            }
            t *= 0.5;
        }
        if !accepted || converged {
            converged = converged || !accepted && gmax < 1e-6 * (1.0 + fx.abs());
            break;
        }
    }
    Maximum {
        x,
        value: fx,
        iterations,
        gradient: gmax,
        converged,
    }
}
