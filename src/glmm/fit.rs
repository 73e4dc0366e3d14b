//! Fitting a GLMM: the fixed-effects, random-effects and saturated models, the tests of
//! heterogeneity and of moderators, and the fit statistics; the result [`GlmmFit`].

use nalgebra::DMatrix;

use super::build::{build, Built, Saturated};
use super::design::{Design, Objective};
use super::heterogeneity::{wald, wald_independent};
use super::optimize::{derivatives, maximize, GlmmStop};
use super::quadrature::{Quadrature, Rule};
use super::{Glmm, GlmmData, GlmmEffects, GlmmModel};
use crate::error::{Error, Result};
use crate::inference::{chi_square_upper_tail, t_upper_quantile, ConfidenceLevel};
use crate::pool::Test;
use crate::regression::result::wald_test;
use crate::regression::{Coefficient, ModeratorTest};

/// A chi-square test: statistic, degrees of freedom, upper-tail p.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HeterogeneityTest {
    /// The statistic.
    pub statistic: f64,
    /// Degrees of freedom.
    pub df: usize,
    /// `P(chi²_df > statistic)` (1 when `df = 0`, as metafor).
    pub p: f64,
}

impl HeterogeneityTest {
    fn new(statistic: f64, df: usize) -> Self {
        let statistic = statistic.max(0.0);
        let p = if df == 0 {
            1.0
        } else {
            chi_square_upper_tail(statistic, df as f64)
        };
        HeterogeneityTest { statistic, df, p }
    }
}

/// A fitted GLMM with the numbers `rma.glmm` reports (names as metafor's).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GlmmFit {
    /// `"OR"`, `"PLO"`, `"IRLN"` or `"IRR"`.
    pub measure: &'static str,
    /// The parameterisation (`None` for single-group data).
    pub model: Option<GlmmModel>,
    /// Fixed or random effects.
    pub effects: GlmmEffects,
    /// Studies used.
    pub k: usize,
    /// Their input positions (double zeros dropped).
    pub studies: Vec<usize>,
    /// The first coefficient (the pooled effect of an intercept-only model).
    pub estimate: f64,
    /// Its standard error.
    pub se: f64,
    /// Its z statistic (t under `Test::T`).
    pub z: f64,
    /// Its two-sided p-value.
    pub p: f64,
    /// Its lower confidence bound.
    pub ci_lower: f64,
    /// Its upper confidence bound.
    pub ci_upper: f64,
    /// Every coefficient, with its z or t test and interval.
    pub coefficients: Vec<Coefficient>,
    /// The test of the coefficients (`Test::Z` or `Test::T`).
    pub test: Test,
    /// The t tests' degrees of freedom `k - p` (`None` for z).
    pub df: Option<usize>,
    /// Their covariance, row-major `p x p`.
    pub vcov: Vec<f64>,
    /// The variance of the random treatment effects (0 for fixed effects).
    pub tau2: f64,
    /// `sqrt(tau2)`.
    pub tau: f64,
    /// UM.RS: the variance of the random study intercepts.
    pub sigma2: Option<f64>,
    /// Wald-type test of (residual) heterogeneity (`QE.Wld`).
    pub wald_het: Option<HeterogeneityTest>,
    /// Likelihood-ratio test of (residual) heterogeneity (`QE.LRT`).
    pub lrt_het: Option<HeterogeneityTest>,
    /// Wald test of the moderators (`QM`; `None` for an intercept-only model).
    pub moderators_test: Option<ModeratorTest>,
    /// The log-likelihood as metafor reports it (its `fit.stats`): for models metafor fits with
    /// `glmer` and `nAGQ > 1`, lme4's convention (random effects: the log-likelihood given the
    /// random effects at their conditional modes; UM.RS fixed effects: the marginal one minus
    /// the saturated one); otherwise the maximised marginal log-likelihood
    /// ([`GlmmFit::marginal_loglik`]).
    pub loglik: f64,
    /// The maximised log-likelihood itself (with the binomial, Poisson or hypergeometric
    /// constants), integrated over the random effects as [`GlmmFit::quadrature`] says.
    pub marginal_loglik: f64,
    /// `-2 (loglik - loglik of the saturated model)`.
    pub deviance: f64,
    /// `-2 loglik + 2 parms`.
    pub aic: f64,
    /// `-2 loglik + parms ln(k_eff)`.
    pub bic: f64,
    /// metafor's AICc.
    pub aicc: f64,
    /// The confidence level.
    pub level: ConfidenceLevel,
    /// The quadrature used.
    pub quadrature: Quadrature,
    /// How the maximisation stopped.
    pub stop: GlmmStop,
}

struct FitOut {
    theta: Vec<f64>,
    value: f64,
    /// The log-likelihood given the random effects at their modes.
    conditional: f64,
    stop: GlmmStop,
    /// Covariance of the first `p` coefficients.
    vcov: DMatrix<f64>,
}

fn fit_design(d: &Design, rule: &Rule, x0: &[f64], p: usize) -> Result<FitOut> {
    let mut obj = Objective::new(d, rule.clone());
    let mut f = |t: &[f64]| obj.value(t);
    let mut free: Vec<usize> = (0..x0.len()).collect();
    let mut m = maximize(&mut f, x0, &free);
    let mut boundary = false;
    for j in d.p..d.p + d.q {
        if m.x[j].abs() < 1e-2 {
            let mut x1 = m.x.clone();
            x1[j] = 0.0;
            let free1: Vec<usize> = free.iter().copied().filter(|&i| i != j).collect();
            let m1 = maximize(&mut f, &x1, &free1);
            if m1.value >= m.value - 1e-10 * (1.0 + m.value.abs()) {
                m = m1;
                free = free1;
                boundary = true;
            }
        }
    }
    if !m.value.is_finite() {
        return Err(Error::NonFinite {
            what: "GLMM log-likelihood",
        });
    }
    let mut theta = m.x.clone();
    for t in theta.iter_mut().skip(d.p) {
        *t = t.abs();
    }
    let (_, h) = derivatives(&mut f, &theta, &free, m.value);
    let conditional = obj.conditional(&theta);
    let cov = (-h).try_inverse().ok_or(Error::Undefined {
        what: "the covariance of the GLMM coefficients",
        why: "the observed information is singular",
    })?;
    let vcov = cov.view((0, 0), (p, p)).into_owned();
    if (0..p).any(|j| vcov[(j, j)].is_nan() || vcov[(j, j)] <= 0.0) {
        return Err(Error::Undefined {
            what: "the covariance of the GLMM coefficients",
            why: "the observed information is not positive definite",
        });
    }
    Ok(FitOut {
        theta,
        value: m.value,
        conditional,
        stop: GlmmStop {
            iterations: m.iterations,
            gradient: m.gradient,
            converged: m.converged,
            boundary,
        },
        vcov,
    })
}

/// The largest `tau` (log scale) a random-effects GLMM may report: beyond it the study effects
/// would spread over more than `e^40` in odds or rate ratio.
pub(crate) const TAU_LIMIT: f64 = 20.0;

/// The largest standard error of a coefficient times the largest `|x_ij|` of its column (so
/// the rule does not depend on a moderator's units) a GLMM may report.
pub(crate) const SE_LIMIT: f64 = 50.0;

/// A typed error where the likelihood has no finite maximum, instead of the meaningless
/// estimate an optimiser stops at on a flat ridge (metafor and `glmer` report such numbers).
///
/// The likelihood rises toward a supremum at infinity when the tables are separated: every
/// event in one arm (the estimate goes to infinity, its information to 0), or every
/// informative table at an edge of its conditional support in directions that disagree (tau²
/// goes to infinity). Caught by the fit's own numbers: `tau > TAU_LIMIT` or, for some
/// coefficient `j`, `se_j * max_i |x_ij| > SE_LIMIT`.
fn no_finite_maximum(x: &[f64], p: usize, fit: &FitOut, tau2: f64) -> Result<()> {
    let flat = (0..p).any(|j| {
        let scale = x
            .iter()
            .skip(j)
            .step_by(p)
            .fold(0.0f64, |m, v| m.max(v.abs()));
        fit.vcov[(j, j)].sqrt() * scale > SE_LIMIT
    });
    if tau2.sqrt() > TAU_LIMIT || flat {
        return Err(Error::Undefined {
            what: "the GLMM estimate",
            why: "the likelihood has no finite maximum (separated tables: it rises toward a \
                  supremum as an effect or tau² goes to infinity)",
        });
    }
    Ok(())
}

/// The quadrature metafor uses for the model, unless one is given.
fn quadrature(glmm: &Glmm, b: &Built) -> Quadrature {
    if let Some(q) = glmm.quadrature {
        return q;
    }
    match (b.measure, b.model) {
        ("OR", Some(GlmmModel::CmEl)) => {
            Quadrature::new(Quadrature::CONDITIONAL_EXACT_NODES).unwrap_or_default()
        }
        (_, Some(GlmmModel::UmRs)) if glmm.effects == GlmmEffects::Random => Quadrature::laplace(),
        _ => Quadrature::default(),
    }
}

pub(crate) fn fit(glmm: &Glmm, data: &GlmmData) -> Result<GlmmFit> {
    let b = build(glmm, data)?;
    let quad = quadrature(glmm, &b);
    let rule = Rule::new(quad);
    let k = b.kept.len();
    let p = b.p;
    let um_rs = b.model == Some(GlmmModel::UmRs);
    // the fixed-effects model (for UM.RS: random study intercepts)
    let mut x0 = vec![0.0; b.fixed.p + b.fixed.q];
    if um_rs {
        x0[b.fixed.p] = 1.0;
    }
    let fixed = fit_design(&b.fixed, &rule, &x0, p)?;
    let random = match &b.random {
        None => None,
        Some(d) => {
            let mut x0 = fixed.theta.clone();
            x0.push(0.5);
            if um_rs && x0[d.p] == 0.0 {
                x0[d.p] = 0.5;
            }
            Some(fit_design(d, &rule, &x0, p)?)
        }
    };
    // the saturated model
    let (ll_sat, wald_stat) = match &b.saturated {
        Saturated::Closed {
            loglik,
            estimate,
            variance,
        } => (*loglik, wald_independent(estimate, variance, &b.x, p)),
        Saturated::Fitted(d) => {
            let x0 = [fixed.theta[p], fixed.theta[p + 1].max(0.1)];
            let sat = fit_design_saturated(d, &rule, &x0)?;
            let stat = sat.1.and_then(|(y, v, keep)| {
                let xk: Vec<f64> = keep
                    .iter()
                    .flat_map(|&i| b.x[i * p..(i + 1) * p].to_vec())
                    .collect();
                wald(&y, &v, &xk, p)
            });
            (sat.0, stat)
        }
    };
    let used = random.as_ref().unwrap_or(&fixed);
    let df = k - p;
    let (wald_het, lrt_het) = if k > 1 {
        (
            wald_stat.map(|q| HeterogeneityTest::new(q, df)),
            Some(HeterogeneityTest::new(2.0 * (ll_sat - fixed.value), df)),
        )
    } else {
        (None, None)
    };
    let (tau2, sigma2) = match (&random, um_rs) {
        (Some(r), true) => (r.theta[p + 2].powi(2), Some(r.theta[p + 1].powi(2))),
        (Some(r), false) => (r.theta[p].powi(2), None),
        (None, true) => (0.0, Some(fixed.theta[p + 1].powi(2))),
        (None, false) => (0.0, None),
    };
    no_finite_maximum(&b.x, p, used, tau2)?;
    // the coefficients' z or t tests and intervals, and QM: the kernels of meta-regression
    let t_df = k - p;
    let crit = if glmm.test.is_t() {
        t_upper_quantile((1.0 - glmm.level.level()) / 2.0, t_df as f64)
    } else {
        glmm.level.z()
    };
    let coefficients: Vec<Coefficient> = (0..p)
        .map(|j| {
            let se = used.vcov[(j, j)].sqrt();
            Coefficient::wald(&b.names[j], used.theta[j], se, glmm.test, t_df, crit)
        })
        .collect();
    // QM is left out (None) when the moderators' covariance is singular, never a NaN
    let moderators_test = if p > 1 {
        let btt: Vec<usize> = if b.intercept {
            (1..p).collect()
        } else {
            (0..p).collect()
        };
        let theta: Vec<f64> = used.theta[..p].to_vec();
        let vcov: Vec<f64> = (0..p * p).map(|e| used.vcov[(e % p, e / p)]).collect();
        wald_test(&theta, &vcov, p, &btt, glmm.test, t_df).ok()
    } else {
        None
    };
    // the log-likelihood metafor reports: glmer's with nAGQ > 1 is the saturated one minus
    // half the conditional deviance (random fits), or lacks the saturated constants (UM.RS FE)
    let glmer_agq = quad.nodes() > 1 && !(b.measure == "OR" && b.model == Some(GlmmModel::CmEl));
    let ll = match (&random, um_rs) {
        (Some(r), false) if glmer_agq => r.conditional,
        (None, true) if glmer_agq => fixed.value - b.fixed.saturated_rows(),
        _ => used.value,
    };
    let (parms, k_eff) = (b.counts.0 as f64, b.counts.1 as f64);
    let big = k_eff.max(parms + 2.0);
    let first = coefficients[0].clone();
    Ok(GlmmFit {
        measure: b.measure,
        model: b.model,
        effects: glmm.effects,
        k,
        studies: b.kept.clone(),
        estimate: first.estimate,
        se: first.se,
        z: first.statistic,
        p: first.p,
        ci_lower: first.ci_lower,
        ci_upper: first.ci_upper,
        vcov: used.vcov.transpose().as_slice().to_vec(),
        coefficients,
        test: glmm.test,
        df: glmm.test.is_t().then_some(t_df),
        tau2,
        tau: tau2.sqrt(),
        sigma2,
        wald_het,
        lrt_het,
        moderators_test,
        loglik: ll,
        marginal_loglik: used.value,
        deviance: -2.0 * (ll - ll_sat),
        aic: -2.0 * ll + 2.0 * parms,
        bic: -2.0 * ll + parms * k_eff.ln(),
        aicc: -2.0 * ll + 2.0 * parms * big / (big - parms - 1.0),
        level: glmm.level,
        quadrature: quad,
        stop: used.stop,
    })
}

/// The UM.RS saturated model (random study intercepts, an effect per study): its
/// log-likelihood and, for the Wald test, the studies' effects with their covariance (from the
/// observed information over the intercept, its SD and every effect; studies without
/// information left out) and the positions of the studies kept.
#[allow(clippy::type_complexity)]
fn fit_design_saturated(
    d: &Design,
    rule: &Rule,
    x0: &[f64],
) -> Result<(f64, Option<(Vec<f64>, DMatrix<f64>, Vec<usize>)>)> {
    let mut obj = Objective::new(d, rule.clone());
    let m = maximize(&mut |t: &[f64]| obj.value(t), x0, &[0, 1]);
    let gamma = obj.locals.clone();
    let (c, s) = (m.x[0], m.x[1].abs());
    let boundary = s < 1e-6;
    let k = d.k();
    // the arrowhead information: (c, s) shared, gamma_i own
    let g = if boundary { 1 } else { 2 };
    let mut h = DMatrix::<f64>::zeros(g + k, g + k);
    for (i, &gamma_i) in gamma.iter().enumerate().take(k) {
        let mut fi = |v: &[f64]| d.study(i, &v[..1], v[2], [v[1].abs(), 0.0], rule);
        let at = [c, s, gamma_i];
        let free: Vec<usize> = if boundary { vec![0, 2] } else { vec![0, 1, 2] };
        let f0 = fi(&at);
        let (_, hi) = derivatives(&mut fi, &at, &free, f0);
        let idx: Vec<usize> = (0..g).chain([g + i]).collect();
        for (a, &ia) in idx.iter().enumerate() {
            for (bb, &ib) in idx.iter().enumerate() {
                h[(ia, ib)] -= hi[(a, bb)];
            }
        }
    }
    let keep: Vec<usize> = (0..k).filter(|&i| h[(g + i, g + i)] > 1e-8).collect();
    let idx: Vec<usize> = (0..g).chain(keep.iter().map(|&i| g + i)).collect();
    let hk = DMatrix::from_fn(idx.len(), idx.len(), |a, b| h[(idx[a], idx[b])]);
    let wald_input = hk.try_inverse().map(|cov| {
        let n = keep.len();
        let v = cov.view((g, g), (n, n)).into_owned();
        (keep.iter().map(|&i| gamma[i]).collect(), v, keep.clone())
    });
    Ok((m.value, wald_input))
}
