//! Brent's (1973) bracketing root finder, with the conventions of R's `uniroot` (the
//! `zeroin` of netlib / R's `R_zeroin2`): the function values at the two ends are given,
//! `tol` is the absolute tolerance, and one iteration is one new function evaluation. metafor
//! uses it for the Paule-Mandel estimators and the Q-profile interval; following the same
//! steps reproduces metafor's numbers, which are only as close to the exact root as `tol`
//! allows (`.Machine$double.eps^0.25` by default), to rounding.

/// How a root search ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Root {
    /// The root's approximation `b`.
    pub x: f64,
    /// New function evaluations made (R's `uniroot()$iter`).
    pub iterations: usize,
    /// Width of the final bracket `|c - b|` (R's `estim.prec`).
    pub bracket: f64,
    /// Whether the bracket shrank below the tolerance (false: out of iterations).
    pub converged: bool,
}

/// Find a root of `f` in `[a, b]` given `fa = f(a)`, `fb = f(b)` of opposite signs (or zero),
/// with absolute tolerance `tol` and at most `max_iter` evaluations.
///
/// ```text
/// each step: keep the bracket [b, c] with f(b) f(c) <= 0 and |f(b)| <= |f(c)|;
/// stop when |c - b| / 2 <= 2 eps |b| + tol / 2 or f(b) = 0;
/// try inverse quadratic (or secant) interpolation, accept it if it stays well inside the
/// bracket and shrinks faster than bisection, otherwise bisect; steps are at least
/// 2 eps |b| + tol / 2 long.
/// ```
/// Source: Brent (1973), Algorithms for Minimization without Derivatives, ch. 4.
pub(crate) fn zeroin(
    mut f: impl FnMut(f64) -> f64,
    ax: f64,
    bx: f64,
    fax: f64,
    fbx: f64,
    tol: f64,
    max_iter: usize,
) -> Root {
    let (mut a, mut b) = (ax, bx);
    let (mut fa, mut fb) = (fax, fbx);
    let mut c = a;
    let mut fc = fa;
    if fa == 0.0 {
        return Root {
            x: a,
            iterations: 0,
            bracket: 0.0,
            converged: true,
        };
    }
    if fb == 0.0 {
        return Root {
            x: b,
            iterations: 0,
            bracket: 0.0,
            converged: true,
        };
    }
    let mut evaluations = 0usize;
    // R counts maxit + 1 passes through the loop; the last pass can only test convergence.
    for _ in 0..=max_iter {
        let prev_step = b - a;
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol_act = 2.0 * f64::EPSILON * b.abs() + tol / 2.0;
        let mut new_step = (c - b) / 2.0;
        if new_step.abs() <= tol_act || fb == 0.0 {
            return Root {
                x: b,
                iterations: evaluations,
                bracket: (c - b).abs(),
                converged: true,
            };
        }
        if evaluations == max_iter {
            break;
        }
        if prev_step.abs() >= tol_act && fa.abs() > fb.abs() {
            let cb = c - b;
            let (mut p, mut q);
            if a == c {
                // secant (linear interpolation)
                let t1 = fb / fa;
                p = cb * t1;
                q = 1.0 - t1;
            } else {
                // inverse quadratic interpolation
                let qq = fa / fc;
                let t1 = fb / fc;
                let t2 = fb / fa;
                p = t2 * (cb * qq * (qq - t1) - (b - a) * (t1 - 1.0));
                q = (qq - 1.0) * (t1 - 1.0) * (t2 - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if p < 0.75 * cb * q - (tol_act * q).abs() / 2.0 && p < (prev_step * q / 2.0).abs() {
                new_step = p / q;
            }
        }
        if new_step.abs() < tol_act {
            new_step = if new_step > 0.0 { tol_act } else { -tol_act };
        }
        a = b;
        fa = fb;
        b += new_step;
        fb = f(b);
        evaluations += 1;
        if (fb > 0.0 && fc > 0.0) || (fb < 0.0 && fc < 0.0) {
            c = a;
            fc = fa;
        }
    }
    Root {
        x: b,
        iterations: evaluations,
        bracket: (c - b).abs(),
        converged: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sqrt2_to_tolerance() {
        let f = |x: f64| x * x - 2.0;
        let r = zeroin(f, 0.0, 2.0, f(0.0), f(2.0), 1e-12, 100);
        assert!((r.x - 2f64.sqrt()).abs() < 1e-11);
        assert!(r.converged);
        assert!(r.iterations > 0 && r.iterations < 20);
    }

    #[test]
    fn reports_running_out_of_iterations() {
        let f = |x: f64| x * x - 2.0;
        let r = zeroin(f, 0.0, 2.0, f(0.0), f(2.0), 1e-12, 2);
        assert_eq!(r.iterations, 2);
        assert!(!r.converged);
    }
}
