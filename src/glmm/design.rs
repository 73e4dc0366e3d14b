//! A GLMM's data laid out for fitting: per study one or two observations (arms), each with
//! its family, offset, fixed-effect design row, the coefficient of the study's own parameter
//! (a fixed study intercept or study-specific effect, profiled out) and its random-effect
//! design; and the marginal log-likelihood of a study, integrated over its random effects by
//! adaptive Gauss-Hermite quadrature or the Laplace approximation.

use super::family::{Coefficients, Family};
use super::quadrature::Rule;

/// One observation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    pub(crate) family: Family,
    pub(crate) y: f64,
    pub(crate) offset: f64,
    /// Coefficients of the study's random effects (intercept, treatment) in this row.
    pub(crate) z: [f64; 2],
    /// Coefficient of the study's own (profiled) parameter in this row.
    pub(crate) local: f64,
    pub(crate) constant: f64,
}

/// The laid-out data of one model.
#[derive(Debug, Clone)]
pub(crate) struct Design {
    pub(crate) rows: Vec<Row>,
    /// Row-major `rows x p` fixed-effect design.
    pub(crate) x: Vec<f64>,
    pub(crate) p: usize,
    /// Random effects per study (0, 1 or 2).
    pub(crate) q: usize,
    /// Study `i` owns rows `starts[i]..starts[i + 1]` (one or two).
    pub(crate) starts: Vec<usize>,
    pub(crate) coefficients: Coefficients,
    /// Whether each study has its own profiled parameter, and where it starts.
    pub(crate) local_start: Option<Vec<f64>>,
}

/// `(G, gradient, negative Hessian)` of `G(u) = l(u) - |u|²/2` at `u`.
type Eval = (f64, [f64; 2], [[f64; 2]; 2]);

impl Design {
    pub(crate) fn new(p: usize, q: usize) -> Design {
        Design {
            rows: Vec::new(),
            x: Vec::new(),
            p,
            q,
            starts: vec![0],
            coefficients: Coefficients::default(),
            local_start: None,
        }
    }

    /// Add a study's observations: `(row, fixed-effect design row)`.
    pub(crate) fn push_study(&mut self, rows: &[(Row, &[f64])]) {
        for (r, x) in rows {
            debug_assert_eq!(x.len(), self.p);
            let mut r = *r;
            r.constant = r.family.constant(r.y, &self.coefficients);
            self.rows.push(r);
            self.x.extend_from_slice(x);
        }
        self.starts.push(self.rows.len());
    }

    pub(crate) fn k(&self) -> usize {
        self.starts.len() - 1
    }

    /// The linear predictors without random effects of study `i`'s rows.
    fn base(&self, i: usize, beta: &[f64], local: f64) -> ([f64; 2], usize) {
        let (a, b) = (self.starts[i], self.starts[i + 1]);
        let mut eta = [0.0; 2];
        for (slot, r) in (a..b).enumerate() {
            let row = &self.rows[r];
            let x = &self.x[r * self.p..(r + 1) * self.p];
            let xb: f64 = x.iter().zip(beta).map(|(x, b)| x * b).sum();
            eta[slot] = row.offset + xb + local * row.local;
        }
        (eta, b - a)
    }

    fn g(&self, i: usize, base: &[f64; 2], zs: &[[f64; 2]; 2], u: [f64; 2]) -> Eval {
        let a = self.starts[i];
        let n = self.starts[i + 1] - a;
        let mut g = -0.5 * (u[0] * u[0] + u[1] * u[1]);
        let mut grad = [-u[0], -u[1]];
        let mut neg_h = [[1.0, 0.0], [0.0, 1.0]];
        for slot in 0..n {
            let row = &self.rows[a + slot];
            let z = zs[slot];
            let eta = base[slot] + z[0] * u[0] + z[1] * u[1];
            let (l, d1, d2) = row.family.eval(row.y, eta, &self.coefficients);
            g += l + row.constant;
            for j in 0..2 {
                grad[j] += d1 * z[j];
                for m in 0..2 {
                    neg_h[j][m] -= d2 * z[j] * z[m];
                }
            }
        }
        (g, grad, neg_h)
    }

    /// The rows' random-effect coefficients scaled by the SDs, and the base predictors.
    fn setup(&self, i: usize, beta: &[f64], local: f64, sd: [f64; 2]) -> ([f64; 2], [[f64; 2]; 2]) {
        let (base, n) = self.base(i, beta, local);
        let a = self.starts[i];
        let mut zs = [[0.0; 2]; 2];
        for (slot, z) in zs.iter_mut().enumerate().take(n) {
            let r = &self.rows[a + slot];
            *z = [r.z[0] * sd[0], r.z[1] * sd[1]];
        }
        (base, zs)
    }

    /// The conditional mode `u^` of study `i`'s random effects and `G` there, by Newton's
    /// method with step halving (`G` is strictly concave).
    fn mode(&self, i: usize, base: &[f64; 2], zs: &[[f64; 2]; 2]) -> ([f64; 2], Eval) {
        let mut u = [0.0; 2];
        let mut cur = self.g(i, base, zs, u);
        if self.q == 0 {
            return (u, cur);
        }
        for _ in 0..100 {
            let (_, gr, h) = cur;
            let step = if self.q == 1 {
                [gr[0] / h[0][0], 0.0]
            } else {
                let det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
                [
                    (h[1][1] * gr[0] - h[0][1] * gr[1]) / det,
                    (h[0][0] * gr[1] - h[1][0] * gr[0]) / det,
                ]
            };
            let mut t = 1.0;
            let mut next = self.g(i, base, zs, [u[0] + step[0], u[1] + step[1]]);
            while next.0 < cur.0 - 1e-14 * cur.0.abs() && t > 1e-10 {
                t *= 0.5;
                next = self.g(i, base, zs, [u[0] + t * step[0], u[1] + t * step[1]]);
            }
            u = [u[0] + t * step[0], u[1] + t * step[1]];
            cur = next;
            let moved = (t * step[0]).abs().max((t * step[1]).abs());
            if moved < 1e-12 * (1.0 + u[0].abs() + u[1].abs()) {
                break;
            }
        }
        (u, cur)
    }

    /// Study `i`'s marginal log-likelihood at fixed effects `beta`, its own parameter `local`
    /// and random-effect SDs `sd`.
    pub(crate) fn study(
        &self,
        i: usize,
        beta: &[f64],
        local: f64,
        sd: [f64; 2],
        rule: &Rule,
    ) -> f64 {
        let (base, zs) = self.setup(i, beta, local, sd);
        if self.q == 0 || (sd[0] == 0.0 && sd[1] == 0.0) {
            return self.g(i, &base, &zs, [0.0; 2]).0;
        }
        let (u, (g_hat, _, h)) = self.mode(i, &base, &zs);
        if self.q == 2 || rule.z.len() == 1 {
            let det = if self.q == 1 {
                h[0][0]
            } else {
                h[0][0] * h[1][1] - h[0][1] * h[1][0]
            };
            return g_hat - 0.5 * det.ln();
        }
        let s = 1.0 / h[0][0].sqrt();
        let mut top = f64::NEG_INFINITY;
        let mut terms = [0.0f64; 100];
        for (k, (z, la)) in rule.z.iter().zip(&rule.log_adjust).enumerate() {
            let v = self.g(i, &base, &zs, [u[0] + s * z, 0.0]).0 + la;
            terms[k] = v;
            top = top.max(v);
        }
        let sum: f64 = terms[..rule.z.len()].iter().map(|v| (v - top).exp()).sum();
        s.ln() + top + sum.ln()
    }

    /// Study `i`'s log-likelihood given its random effects at their conditional modes,
    /// `Σ_r l_r(eta_r(u^))` (what metafor reports as the log-likelihood of a model fitted by
    /// `glmer` with `nAGQ > 1`: the saturated log-likelihood minus half lme4's conditional
    /// deviance).
    pub(crate) fn study_conditional(
        &self,
        i: usize,
        beta: &[f64],
        local: f64,
        sd: [f64; 2],
    ) -> f64 {
        let (base, zs) = self.setup(i, beta, local, sd);
        let (u, (g_hat, ..)) = self.mode(i, &base, &zs);
        g_hat + 0.5 * (u[0] * u[0] + u[1] * u[1])
    }

    /// The saturated log-likelihood of every row (each fitted exactly).
    pub(crate) fn saturated_rows(&self) -> f64 {
        self.rows
            .iter()
            .map(|r| r.family.saturated(r.y) + r.constant)
            .sum()
    }

    /// The largest value of study `i`'s marginal log-likelihood over its own parameter, by
    /// Newton's method on central differences from `start`; returns `(value, parameter)`.
    pub(crate) fn study_profiled(
        &self,
        i: usize,
        beta: &[f64],
        sd: [f64; 2],
        rule: &Rule,
        start: f64,
    ) -> (f64, f64) {
        let f = |a: f64| self.study(i, beta, a, sd, rule);
        let mut a = start;
        let mut fa = f(a);
        for _ in 0..60 {
            let h = 1e-4 * (1.0 + a.abs());
            let (fp, fm) = (f(a + h), f(a - h));
            let d1 = (fp - fm) / (2.0 * h);
            let d2 = (fp - 2.0 * fa + fm) / (h * h);
            let mut step = if d2 < 0.0 { -d1 / d2 } else { d1.signum() };
            step = step.clamp(-5.0, 5.0);
            let mut next = f(a + step);
            let mut halvings = 0;
            while next < fa && halvings < 40 {
                step *= 0.5;
                next = f(a + step);
                halvings += 1;
            }
            if next < fa {
                break;
            }
            let gain = next - fa;
            a += step;
            fa = next;
            // the profiled value is off by about |f''| step² / 2: negligible below 1e-8
            if step.abs() < 1e-8 * (1.0 + a.abs()) || gain < 1e-15 * (1.0 + fa.abs()) {
                break;
            }
        }
        (fa, a)
    }
}

/// A design's log-likelihood as a function of `theta = (beta, s)` with `sd = |s|` (the
/// likelihood is even in each SD, so the optimiser needs no bound), the studies' own
/// parameters profiled out (warm-started from the last evaluation).
pub(crate) struct Objective<'a> {
    pub(crate) design: &'a Design,
    pub(crate) rule: Rule,
    pub(crate) locals: Vec<f64>,
}

impl<'a> Objective<'a> {
    pub(crate) fn new(design: &'a Design, rule: Rule) -> Self {
        let locals = design.local_start.clone().unwrap_or_default();
        Objective {
            design,
            rule,
            locals,
        }
    }

    pub(crate) fn sd(&self, theta: &[f64]) -> [f64; 2] {
        let p = self.design.p;
        let mut sd = [0.0; 2];
        for (j, s) in sd.iter_mut().enumerate().take(self.design.q) {
            *s = theta[p + j].abs();
        }
        sd
    }

    /// The conditional log-likelihood at the modes (see [`Design::study_conditional`]) at
    /// `theta`, after [`Objective::value`] has set the studies' own parameters.
    pub(crate) fn conditional(&mut self, theta: &[f64]) -> f64 {
        self.value(theta);
        let d = self.design;
        let sd = self.sd(theta);
        (0..d.k())
            .map(|i| {
                let local = self.locals.get(i).copied().unwrap_or(0.0);
                d.study_conditional(i, &theta[..d.p], local, sd)
            })
            .sum()
    }

    pub(crate) fn value(&mut self, theta: &[f64]) -> f64 {
        let d = self.design;
        let beta = &theta[..d.p];
        let sd = self.sd(theta);
        let mut total = 0.0;
        for i in 0..d.k() {
            if d.local_start.is_some() {
                let (v, a) = d.study_profiled(i, beta, sd, &self.rule, self.locals[i]);
                self.locals[i] = a;
                total += v;
            } else {
                total += d.study(i, beta, 0.0, sd, &self.rule);
            }
        }
        total
    }
}
