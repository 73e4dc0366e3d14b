//! From a GLMM's data to its designs: which studies take part, the fixed-effects, random-effects
//! and saturated models of each parameterisation (the models metafor hands to `glm`/`glmer`
//! or to its own likelihood), and the per-study estimates of the saturated model.

use super::design::{Design, Row};
use super::family::{hypergeometric, Family};
use super::{DoubleZero, Glmm, GlmmData, GlmmEffects, GlmmModel};
use crate::error::{Error, Result};

/// How the saturated model (every study its own effect) is obtained.
pub(crate) enum Saturated {
    /// In closed form: its log-likelihood and each study's estimate and variance (infinite
    /// when the estimate is not finite: weight 0 in the Wald test).
    Closed {
        loglik: f64,
        estimate: Vec<f64>,
        variance: Vec<f64>,
    },
    /// By fitting this design (UM.RS: random study intercepts, a profiled effect per study).
    Fitted(Design),
}

pub(crate) struct Built {
    pub(crate) measure: &'static str,
    /// `None` for single-group data.
    pub(crate) model: Option<GlmmModel>,
    /// Input positions of the studies used.
    pub(crate) kept: Vec<usize>,
    /// Moderator rows of the kept studies (`k x p`, row-major).
    pub(crate) x: Vec<f64>,
    pub(crate) p: usize,
    pub(crate) names: Vec<String>,
    pub(crate) intercept: bool,
    /// The fixed-effects model.
    pub(crate) fixed: Design,
    /// The random-effects model.
    pub(crate) random: Option<Design>,
    pub(crate) saturated: Saturated,
    /// `(parameters, effective observations)` of the fit, for AIC and BIC (metafor's `parms`,
    /// `k.eff`).
    pub(crate) counts: (usize, usize),
}

/// One study's counts in a common shape: (events, size or time) per arm.
#[derive(Clone, Copy)]
enum Study {
    Two { e1: f64, s1: f64, e2: f64, s2: f64 },
    One { e: f64, s: f64 },
}

pub(crate) fn build(glmm: &Glmm, data: &GlmmData) -> Result<Built> {
    let count = data.len();
    let binomial = matches!(data, GlmmData::Tables(_) | GlmmData::Proportions(_));
    let studies: Vec<Study> = match data {
        GlmmData::Tables(v) => v
            .iter()
            .map(|t| Study::Two {
                e1: t.events1,
                s1: t.total1,
                e2: t.events2,
                s2: t.total2,
            })
            .collect(),
        GlmmData::RateTables(v) => v
            .iter()
            .map(|t| Study::Two {
                e1: t.group1.events,
                s1: t.group1.time,
                e2: t.group2.events,
                s2: t.group2.time,
            })
            .collect(),
        GlmmData::Proportions(v) => v
            .iter()
            .map(|p| Study::One {
                e: p.events,
                s: p.total,
            })
            .collect(),
        GlmmData::Rates(v) => v
            .iter()
            .map(|p| Study::One {
                e: p.events,
                s: p.time,
            })
            .collect(),
    };
    let model = matches!(studies[0], Study::Two { .. }).then_some(glmm.model);
    // IRR's conditional models coincide (metafor turns CM.AL into CM.EL for IRR)
    let model = match (data, model) {
        (GlmmData::RateTables(_), Some(GlmmModel::CmAl)) => Some(GlmmModel::CmEl),
        (_, m) => m,
    };
    let conditional = matches!(model, Some(GlmmModel::CmEl | GlmmModel::CmAl));
    let kept: Vec<usize> = (0..count)
        .filter(|&i| match studies[i] {
            Study::Two { e1, s1, e2, s2 } => {
                let none = e1 == 0.0 && e2 == 0.0;
                let all = binomial && e1 == s1 && e2 == s2;
                !((none || all) && (conditional || glmm.double_zero == DoubleZero::Drop))
            }
            Study::One { .. } => true,
        })
        .collect();
    if kept.is_empty() {
        return Err(Error::AllExcluded { excluded: count });
    }
    let k = kept.len();
    let (names, x_all, intercept) = match &glmm.moderators {
        None => (vec!["intrcpt".to_owned()], vec![1.0; count], true),
        Some(m) => {
            if m.k() != count {
                return Err(Error::InvalidParameter {
                    name: "moderators",
                    problem: crate::Problem::LengthMismatch {
                        expected: count,
                        got: m.k(),
                    },
                });
            }
            let mut rows = Vec::with_capacity(count * m.p());
            for i in 0..count {
                rows.extend((0..m.p()).map(|j| m.get(i, j)));
            }
            (m.names().to_vec(), rows, m.has_intercept())
        }
    };
    let p = names.len();
    let x: Vec<f64> = kept
        .iter()
        .flat_map(|&i| x_all[i * p..(i + 1) * p].to_vec())
        .collect();
    let random_wanted = glmm.effects == GlmmEffects::Random;
    let needed = p + usize::from(random_wanted);
    if needed > k {
        return Err(Error::TooFewStudies {
            method: "this GLMM (one per coefficient and tau²)",
            needed,
            got: k,
        });
    }
    let row = |family: Family, y: f64, offset: f64, z: [f64; 2], local: f64| Row {
        family,
        y,
        offset,
        z,
        local,
        constant: 0.0,
    };
    let fam = |size: f64| {
        if binomial {
            Family::Binomial { n: size }
        } else {
            Family::Poisson
        }
    };
    let off = |size: f64| if binomial { 0.0 } else { size.ln() };
    let zeros = vec![0.0; p + 1];
    // designs: (q of the fixed model, q of the random model, p of the fit)
    let make = |q: usize, kind: u8| -> Design {
        let p_fit = match (kind, model) {
            (1, _) => 1,
            (_, Some(GlmmModel::UmRs)) => p + 1,
            _ => p,
        };
        let mut d = Design::new(p_fit, q);
        let mut starts = Vec::new();
        for (s, &i) in kept.iter().enumerate() {
            let xi = &x[s * p..(s + 1) * p];
            match (studies[i], model) {
                (Study::One { e, s: size }, _) => {
                    d.push_study(&[(row(fam(size), e, off(size), [1.0, 0.0], 0.0), xi)]);
                }
                (Study::Two { e1, s1, e2, s2 }, Some(GlmmModel::UmFs)) => {
                    let half = if q == 0 { 0.0 } else { 0.5 };
                    d.push_study(&[
                        (row(fam(s1), e1, off(s1), [half, 0.0], 1.0), xi),
                        (row(fam(s2), e2, off(s2), [-half, 0.0], 1.0), &zeros[..p]),
                    ]);
                    starts.push(if binomial {
                        ((e1 + e2 + 0.5) / (s1 + s2 - e1 - e2 + 0.5)).ln()
                    } else {
                        ((e1 + e2 + 0.5) / (s1 + s2)).ln()
                    });
                }
                (Study::Two { e1, s1, e2, s2 }, Some(GlmmModel::UmRs)) => {
                    // kind 0: the model; kind 1: the saturated model (a profiled effect per study)
                    let mut x1 = xi.to_vec();
                    x1.push(1.0);
                    let mut x2 = vec![0.0; p];
                    x2.push(1.0);
                    let (l1, xs1, xs2) = if kind == 1 {
                        (1.0, &[1.0][..], &[1.0][..])
                    } else {
                        (0.0, &x1[..], &x2[..])
                    };
                    d.push_study(&[
                        (row(fam(s1), e1, off(s1), [1.0, 0.5], l1), xs1),
                        (row(fam(s2), e2, off(s2), [1.0, -0.5], 0.0), xs2),
                    ]);
                    starts.push(0.0);
                }
                (Study::Two { e1, s1, e2, s2 }, Some(m)) if m == GlmmModel::CmAl || !binomial => {
                    d.push_study(&[(
                        row(
                            Family::Binomial { n: e1 + e2 },
                            e1,
                            (s1 / s2).ln(),
                            [1.0, 0.0],
                            0.0,
                        ),
                        xi,
                    )]);
                }
                (Study::Two { e1, s1, e2, s2 }, _) => {
                    let f = hypergeometric(e1, s1, e2, s2, &mut d.coefficients);
                    d.push_study(&[(row(f, e1, 0.0, [1.0, 0.0], 0.0), xi)]);
                }
            }
        }
        if !starts.is_empty() && (model == Some(GlmmModel::UmFs) || kind == 1) {
            d.local_start = Some(starts);
        }
        d
    };
    let (fixed, random, saturated, counts) = match model {
        Some(GlmmModel::UmRs) => {
            let q_fixed = 1;
            let fixed = make(q_fixed, 0);
            let random = random_wanted.then(|| make(2, 0));
            let sat = make(1, 1);
            let counts = if random_wanted {
                (p + 3, 2 * k)
            } else {
                (p + 2, 2 * k)
            };
            (fixed, random, Saturated::Fitted(sat), counts)
        }
        _ => {
            let fixed = make(0, 0);
            let random = random_wanted.then(|| make(1, 0));
            let sat = closed_saturated(&fixed, &kept, &studies, model, binomial);
            let locals = if model == Some(GlmmModel::UmFs) { k } else { 0 };
            let extra = usize::from(random_wanted);
            let k_eff = if model == Some(GlmmModel::UmFs) {
                2 * k
            } else {
                k
            };
            (fixed, random, sat, (p + locals + extra, k_eff))
        }
    };
    Ok(Built {
        measure: data.measure(),
        model,
        kept,
        x,
        p,
        names,
        intercept,
        fixed,
        random,
        saturated,
        counts,
    })
}

/// The saturated model in closed form (every observation fitted exactly; for CM.EL every
/// study at its conditional maximum likelihood estimate), with each study's estimate and
/// variance for the Wald test.
fn closed_saturated(
    fixed: &Design,
    kept: &[usize],
    studies: &[Study],
    model: Option<GlmmModel>,
    binomial: bool,
) -> Saturated {
    let mut loglik = 0.0;
    let (mut estimate, mut variance) = (Vec::new(), Vec::new());
    let log_ratio = |a: f64, b: f64, offset: f64| ((a / b).ln() - offset, 1.0 / a + 1.0 / b);
    for (s, &i) in kept.iter().enumerate() {
        let rows = &fixed.rows[fixed.starts[s]..fixed.starts[s + 1]];
        let (y, v) = match (studies[i], model) {
            (_, Some(GlmmModel::CmEl)) if binomial => {
                let r = rows[0];
                let (ll, y, v) = conditional_mle(&r, &fixed.coefficients);
                loglik += ll;
                estimate.push(y);
                variance.push(v);
                continue;
            }
            (Study::One { e, s }, _) => {
                if binomial {
                    log_ratio(e, s - e, 0.0)
                } else {
                    ((e / s).ln(), 1.0 / e)
                }
            }
            (Study::Two { e1, s1, e2, s2 }, Some(GlmmModel::UmFs)) if binomial => {
                let (a, b, c, d) = (e1, s1 - e1, e2, s2 - e2);
                (
                    (a * d / (b * c)).ln(),
                    1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d,
                )
            }
            (Study::Two { e1, s1, e2, s2 }, _) => log_ratio(e1, e2, (s1 / s2).ln()),
        };
        for r in rows {
            loglik += r.family.saturated(r.y) + r.constant;
        }
        let finite = y.is_finite() && v.is_finite();
        estimate.push(if finite { y } else { 0.0 });
        variance.push(if finite { v } else { f64::INFINITY });
    }
    Saturated::Closed {
        loglik,
        estimate,
        variance,
    }
}

/// A table's conditional maximum likelihood: `(log-likelihood, log OR, variance)`; at an end
/// of the support the supremum is 0 and the estimate infinite (variance infinite).
fn conditional_mle(r: &Row, coefficients: &super::family::Coefficients) -> (f64, f64, f64) {
    let Family::Hypergeometric { lo, len, .. } = r.family else {
        return (f64::NAN, f64::NAN, f64::NAN);
    };
    if r.y == lo || r.y == lo + (len - 1) as f64 {
        return (0.0, 0.0, f64::INFINITY);
    }
    let mut eta = 0.0;
    for _ in 0..200 {
        let (_, d1, d2) = r.family.eval(r.y, eta, coefficients);
        let step = (-d1 / d2).clamp(-5.0, 5.0);
        eta += step;
        if step.abs() < 1e-14 * (1.0 + eta.abs()) {
            break;
        }
    }
    let (l, _, d2) = r.family.eval(r.y, eta, coefficients);
    (l + r.constant, eta, -1.0 / d2)
}
