//! Property-based invariants of meta-analysis (issue 5), over generated studies: k from 1 to 200,
//! sampling variances log-uniform over 1e-12..1e12, effects of either sign.
//!
//! Every property runs `cases()` generated cases: 3,000 by default (a bug that shows in one case
//! in a thousand is then missed with probability 0.999^3000 ≈ 5%), or `PROPTEST_CASES` when set,
//! e.g. `PROPTEST_CASES=100000 cargo test --release --test properties` for a deeper local run.
//! The two properties that fit all 11 tau² estimators per case and the batch property run a
//! third of that (1,000 by default); `bounds` fits every estimator at the full count.
//!
//! Tolerances are derived from the floating-point error of the computation, not tuned to pass:
//! sums are compensated (error about one ulp of the largest term), so a quantity that depends on
//! differences `y_i - mu` is compared at a few ulps of the largest |y| (see [`Tol`]). Where a
//! transformation is exact in binary floating point (scaling by a power of two, negation), the
//! property demands bit-identical results.

use metapool::inference::{chi_square_upper_tail, normal_two_sided_p};
use metapool::{
    effect::Arm, effect::ContinuityCorrection, effect::CorrectionRule, effect::Effect,
    effect::EffectSet, effect::EffectSize, effect::Generic, effect::LogOddsRatio,
    effect::MeanDifference, effect::PrePost, effect::PrePostMeanDifference, effect::Scale,
    effect::SmdConvention, effect::StandardizedMeanDifference, effect::StudyEffect,
    effect::TwoByTwo, inference::ConfidenceLevel, pool::FixedModel, pool::ModelChoice,
    pool::ModelRule, pool::Pooled, pool::RandomModel, pool::Tau2Estimator,
};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Cases per property: `PROPTEST_CASES` if set, else 3,000.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000)
}

fn config() -> Config {
    Config {
        cases: cases(),
        max_shrink_iters: 2000,
        ..Config::default()
    }
}

/// For the properties that fit all 11 tau² estimators per case: a third of the cases (1,000 by
/// default), to keep the suite within its time budget in debug builds.
fn config_heavy() -> Config {
    Config {
        cases: (cases() / 3).max(1),
        ..config()
    }
}

/// The closed-form tau² estimators: no iteration, so every property holds to rounding (and the
/// power-of-two scaling exactly).
const CLOSED: &[Tau2Estimator] = &[
    Tau2Estimator::DerSimonianLaird,
    Tau2Estimator::Hedges,
    Tau2Estimator::HunterSchmidt,
    Tau2Estimator::HunterSchmidtSmallSample,
    Tau2Estimator::SidikJonkman,
    Tau2Estimator::DerSimonianLairdTwoStep,
];

/// The iterative tau² estimators (metafor's stopping rule: an absolute change in tau² below
/// 1e-5, so their equivariance holds only to that threshold, not to rounding).
const ITERATIVE: &[Tau2Estimator] = &[
    Tau2Estimator::MaximumLikelihood,
    Tau2Estimator::RestrictedMaximumLikelihood,
    Tau2Estimator::EmpiricalBayes,
    Tau2Estimator::PauleMandel,
    Tau2Estimator::PauleMandelMedian,
];

/// DerSimonian-Laird, whose rounding error the tolerances below model exactly.
const ESTIMATORS: &[Tau2Estimator] = &[Tau2Estimator::DerSimonianLaird];

fn all_estimators() -> impl Iterator<Item = Tau2Estimator> {
    CLOSED.iter().chain(ITERATIVE).copied()
}

const EPS: f64 = f64::EPSILON;

// ---------------------------------------------------------------- generators

/// One study's (y, v): y of either sign over several magnitudes, v = 10^u with u in [-12, 12].
fn study() -> impl Strategy<Value = (f64, f64)> {
    let y = prop_oneof![
        -10.0..10.0f64,
        -1000.0..1000.0f64,
        (-3.0..3.0f64, any::<bool>()).prop_map(|(e, neg)| {
            let m = 10f64.powf(e);
            if neg {
                -m
            } else {
                m
            }
        }),
    ];
    (y, -12.0..12.0f64).prop_map(|(y, u)| (y, 10f64.powf(u)))
}

/// k from 1 to 200 studies; sometimes the variances share a narrow band (realistic data),
/// sometimes they span the whole 24 orders of magnitude.
fn studies() -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop_oneof![
        proptest::collection::vec(study(), 1..=200),
        // narrow band: v within a factor 100 of a common value
        (
            -12.0..10.0f64,
            proptest::collection::vec((-10.0..10.0f64, 0.0..2.0f64), 1..=200)
        )
            .prop_map(|(base, xs)| xs
                .into_iter()
                .map(|(y, u)| (y, 10f64.powf(base + u)))
                .collect()),
        // few studies, the edge of df = 0, 1, 2
        proptest::collection::vec(study(), 1..=3),
    ]
}

fn set_of(s: &[(f64, f64)]) -> EffectSet {
    let y: Vec<f64> = s.iter().map(|p| p.0).collect();
    let v: Vec<f64> = s.iter().map(|p| p.1).collect();
    EffectSet::from_estimates(&y, &v).expect("generated studies are valid")
}

fn fixed(s: &[(f64, f64)]) -> Pooled {
    FixedModel::default()
        .pool(&set_of(s))
        .expect("fixed fit of valid studies")
}

fn random_with(s: &[(f64, f64)], est: Tau2Estimator) -> Pooled {
    RandomModel::new(est, ConfidenceLevel::default())
        .pool(&set_of(s))
        .expect("random fit of valid studies")
}

fn random(s: &[(f64, f64)]) -> Pooled {
    random_with(s, Tau2Estimator::DerSimonianLaird)
}

// ---------------------------------------------------------------- tolerances

/// The DerSimonian-Laird denominator `c = sum w - sum w^2 / sum w = 2 sum_{i<j} w_i w_j / sum w`,
/// computed from the pairwise form (positive terms only, no cancellation) for the tolerances.
fn dl_c(s: &[(f64, f64)]) -> f64 {
    let total: f64 = s.iter().map(|p| 1.0 / p.1).sum();
    let mut prefix = 0.0;
    let mut acc = 0.0;
    for p in s {
        let w = 1.0 / p.1;
        acc += (w / total) * prefix;
        prefix += w;
    }
    2.0 * acc
}

/// Error bounds for comparing two fits of the same data computed along different rounding paths
/// (another order, a shifted location, ...). `scale_y` is the largest |y| either path saw.
struct Tol {
    est: f64,
    se_rel: f64,
    z: f64,
    q: f64,
    tau2: f64,
}

impl Tol {
    fn new(fit: &Pooled, scale_y: f64, s: &[(f64, f64)], fixed_se: f64) -> Tol {
        // An estimate shifted by y_0 carries a few ulps of scale_y (compensated sums);
        // 64 ulps leaves room for the shift and the final division.
        let mut est = 64.0 * EPS * (scale_y + fit.estimate.abs()) + 1e-300;
        let q = fit.heterogeneity.q;
        // dQ = sum 2 w d dd <= 2 sqrt(Q sum w) max|dd|, with sum w = 1/se_FE^2.
        let q_tol = 1e-12 * q + 2.0 * q.sqrt() * est / fixed_se + 1e-300;
        let c = dl_c(s);
        let tau2 = fit.heterogeneity.tau2;
        let tau2_tol = if s.len() > 1 && tau2 > 0.0 {
            q_tol / c + 1e-12 * tau2
        } else {
            0.0
        };
        // an error in tau² moves every random-effects weight 1/(v + tau²) by at most the
        // relative amount delta, hence the SE by delta/2 and the estimate by 2 delta (max - min y)
        let min_v = s.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let delta = tau2_tol / (min_v + tau2);
        let lo = s.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let hi = s.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
        est += 2.0 * delta * (hi - lo);
        let se_rel = 1e-12 + delta;
        Tol {
            est,
            se_rel,
            z: est / fit.se + (se_rel + 1e-12) * fit.statistic.abs(),
            q: q_tol,
            tau2: tau2_tol,
        }
    }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// `b` agrees with `a` within the rounding bounds of `a`'s computation.
fn agree(a: &Pooled, b: &Pooled, t: &Tol) -> std::result::Result<(), TestCaseError> {
    let ctx = || format!("\n a = {a:?}\n b = {b:?}");
    prop_assert_eq!(a.k, b.k);
    prop_assert!(close(a.estimate, b.estimate, t.est), "estimate{}", ctx());
    prop_assert!(close(a.se, b.se, t.se_rel * a.se), "se{}", ctx());
    let half = a.ci_upper - a.estimate;
    let ci_tol = t.est + t.se_rel * half;
    prop_assert!(close(a.ci_lower, b.ci_lower, ci_tol), "ci_lower{}", ctx());
    prop_assert!(close(a.ci_upper, b.ci_upper, ci_tol), "ci_upper{}", ctx());
    prop_assert!(close(a.statistic, b.statistic, t.z), "z{}", ctx());
    // p lies between the tails at z -/+ the z tolerance
    let (plo, phi) = (
        normal_two_sided_p(a.statistic.abs() + t.z),
        normal_two_sided_p((a.statistic.abs() - t.z).max(0.0)),
    );
    prop_assert!(
        b.p >= plo * (1.0 - 1e-12) && b.p <= phi * (1.0 + 1e-12),
        "p{}",
        ctx()
    );
    let (ha, hb) = (&a.heterogeneity, &b.heterogeneity);
    prop_assert_eq!(ha.df, hb.df);
    prop_assert!(close(ha.q, hb.q, t.q), "Q{}", ctx());
    if let (Some(pa), Some(pb)) = (ha.q_p, hb.q_p) {
        let df = ha.df as f64;
        let (lo, hi) = (
            chi_square_upper_tail(ha.q + t.q, df),
            chi_square_upper_tail((ha.q - t.q).max(0.0), df),
        );
        prop_assert!(
            pb >= lo * (1.0 - 1e-10) - 1e-300 && pb <= hi * (1.0 + 1e-10) + 1e-300,
            "Q p {} not within [{}, {}] (a: {}){}",
            pb,
            lo,
            hi,
            pa,
            ctx()
        );
    } else {
        prop_assert_eq!(ha.q_p, hb.q_p);
    }
    prop_assert!(close(ha.tau2, hb.tau2, t.tau2), "tau2{}", ctx());
    // I² = 100 (Q - df)/Q (fixed) or 100 tau2/(tau2 + s2) (random): both move by at most
    // 100 * (relative error of Q or tau2)
    let i2_tol = 100.0 * (t.q / ha.q.max(1e-300)).min(1.0)
        + 100.0 * (t.tau2 / ha.tau2.max(1e-300)).min(1.0)
        + 1e-9;
    prop_assert!(close(ha.i2, hb.i2, i2_tol), "I2{}", ctx());
    Ok(())
}

fn max_abs_y(s: &[(f64, f64)]) -> f64 {
    s.iter().map(|p| p.0.abs()).fold(0.0, f64::max)
}

fn all_finite(p: &Pooled) -> bool {
    let h = &p.heterogeneity;
    [
        p.estimate,
        p.se,
        p.ci_lower,
        p.ci_upper,
        p.statistic,
        p.p,
        h.q,
        h.i2,
        h.h2,
        h.tau2,
        h.tau,
    ]
    .iter()
    .all(|x| x.is_finite())
        && h.q_p.map_or(true, f64::is_finite)
        && p.weights().iter().all(|w| w.is_finite())
}

// ---------------------------------------------------------------- pooling invariants

proptest! {
    #![proptest_config(config())]

    /// Permutation invariance of every pooled number (fixed and random), within rounding.
    #[test]
    fn permutation_invariance(
        (s, perm) in studies().prop_flat_map(|s| {
            let n = s.len();
            (Just(s), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        })
    ) {
        let shuffled: Vec<_> = perm.iter().map(|&i| s[i]).collect();
        let (f, f2) = (fixed(&s), fixed(&shuffled));
        let t = Tol::new(&f, max_abs_y(&s), &s, f.se);
        agree(&f, &f2, &t)?;
        for &est in ESTIMATORS {
            let (r, r2) = (random_with(&s, est), random_with(&shuffled, est));
            let t = Tol::new(&r, max_abs_y(&s), &s, f.se);
            agree(&r, &r2, &t)?;
        }
        // weights follow their studies
        for (j, &i) in perm.iter().enumerate() {
            prop_assert!(close(f2.weights()[j], f.weights()[i], 1e-12 * f.weights()[i] + 1e-300));
        }
    }

    /// Duplicating every study halves the fixed-effect variance and keeps the estimate.
    #[test]
    fn duplication_halves_fixed_variance(s in studies()) {
        let mut d = s.clone();
        d.extend_from_slice(&s);
        let (f, f2) = (fixed(&s), fixed(&d));
        prop_assert!(close(f2.se * f2.se * 2.0, f.se * f.se, 1e-13 * f.se * f.se));
        prop_assert!(close(f2.estimate, f.estimate, 64.0 * EPS * max_abs_y(&s)));
        // Q doubles (each deviation counted twice)
        let t = Tol::new(&f, max_abs_y(&s), &s, f.se);
        prop_assert!(close(f2.heterogeneity.q, 2.0 * f.heterogeneity.q, 2.0 * t.q));
    }

    /// Location equivariance: y + c moves estimate and CI by c, leaves Q, I², tau² unchanged.
    #[test]
    fn location_equivariance(s in studies(), c in prop_oneof![-100.0..100.0f64, -1e4..1e4f64]) {
        let shifted: Vec<_> = s.iter().map(|&(y, v)| (y + c, v)).collect();
        let scale_y = max_abs_y(&s).max(max_abs_y(&shifted));
        let f = fixed(&s);
        let mut moved = fixed(&shifted);
        moved.estimate -= c;
        moved.ci_lower -= c;
        moved.ci_upper -= c;
        let t = Tol::new(&f, scale_y, &s, f.se);
        // z and p are not location-equivariant; compare them on their own below
        let (mz, mp) = (moved.statistic, moved.p);
        moved.statistic = f.statistic;
        moved.p = f.p;
        agree(&f, &moved, &t)?;
        prop_assert!(close(mz * moved.se, f.estimate + c, t.est * 2.0 + EPS * c.abs()));
        prop_assert!((0.0..=1.0).contains(&mp));
        for &est in ESTIMATORS {
            let r = random_with(&s, est);
            let mut m = random_with(&shifted, est);
            m.estimate -= c;
            m.ci_lower -= c;
            m.ci_upper -= c;
            m.statistic = r.statistic;
            m.p = r.p;
            let t = Tol::new(&r, scale_y, &s, f.se);
            agree(&r, &m, &t)?;
        }
    }

    /// Scale equivariance, exact: multiplying y by c = ±2^j and v by c² (exact in binary
    /// floating point) multiplies estimate, CI and SE by c (|c|) and tau² by c², and leaves
    /// Q, I², H², z (up to sign) and every p-value bit-identical.
    #[test]
    fn scale_equivariance_power_of_two(s in studies(), j in -20i32..=20, neg in any::<bool>()) {
        let c = if neg { -(2f64.powi(j)) } else { 2f64.powi(j) };
        let scaled: Vec<_> = s.iter().map(|&(y, v)| (y * c, v * c * c)).collect();
        let (f, f2) = (fixed(&s), fixed(&scaled));
        let mut fits = vec![(f, f2)];
        for &est in CLOSED {
            fits.push((random_with(&s, est), random_with(&scaled, est)));
        }
        for (a, b) in fits {
            prop_assert_eq!(b.estimate, a.estimate * c, "\n{:?}\n{:?}", a, b);
            prop_assert_eq!(b.se, a.se * c.abs());
            let (lo, hi) = if neg { (a.ci_upper * c, a.ci_lower * c) } else { (a.ci_lower * c, a.ci_upper * c) };
            prop_assert_eq!(b.ci_lower, lo);
            prop_assert_eq!(b.ci_upper, hi);
            prop_assert_eq!(b.statistic, a.statistic * c.signum());
            prop_assert_eq!(b.p, a.p);
            prop_assert_eq!(b.heterogeneity.q, a.heterogeneity.q);
            prop_assert_eq!(b.heterogeneity.q_p, a.heterogeneity.q_p);
            prop_assert_eq!(b.heterogeneity.i2, a.heterogeneity.i2);
            prop_assert_eq!(b.heterogeneity.h2, a.heterogeneity.h2);
            prop_assert_eq!(b.heterogeneity.tau2, a.heterogeneity.tau2 * c * c);
            prop_assert_eq!(&b.weights(), &a.weights());
        }
    }

    /// Scale equivariance for an arbitrary c (not a power of two), within rounding.
    #[test]
    fn scale_equivariance_general(s in studies(), c in prop_oneof![0.001..1000.0f64, -1000.0..-0.001f64]) {
        let scaled: Vec<_> = s.iter().map(|&(y, v)| (y * c, v * c * c)).collect();
        let f = fixed(&s);
        let mut b = fixed(&scaled);
        let unscale = |p: &mut Pooled| {
            p.estimate /= c;
            p.se /= c.abs();
            let (lo, hi) = (p.ci_lower / c, p.ci_upper / c);
            p.ci_lower = lo.min(hi);
            p.ci_upper = lo.max(hi);
            p.statistic *= c.signum();
            p.heterogeneity.tau2 /= c * c;
            p.heterogeneity.tau /= c.abs();
        };
        unscale(&mut b);
        // each y*c and v*c² carries one extra rounding: relative 2 eps on every weight and y
        let t = Tol::new(&f, max_abs_y(&s), &s, f.se);
        let t = Tol { q: t.q + 1e-14 * f.heterogeneity.q, ..t };
        agree(&f, &b, &t)?;
        for &est in ESTIMATORS {
            let r = random_with(&s, est);
            let mut b = random_with(&scaled, est);
            unscale(&mut b);
            let t = Tol::new(&r, max_abs_y(&s), &s, f.se);
            let t = Tol { q: t.q + 1e-14 * r.heterogeneity.q, tau2: t.tau2 + 1e-13 * r.heterogeneity.tau2, ..t };
            agree(&r, &b, &t)?;
        }
    }

    /// Bounds: estimates within [min y, max y]; the random CI at least as wide as the fixed CI;
    /// tau² >= 0; 0 <= I² <= 100; Q >= 0; every p in [0, 1]; weights sum to 100; nothing NaN.
    #[test]
    fn bounds(s in studies()) {
        let lo = s.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let hi = s.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
        let f = fixed(&s);
        prop_assert!(all_finite(&f));
        prop_assert!(lo <= f.estimate && f.estimate <= hi, "fixed {} not in [{lo}, {hi}]", f.estimate);
        for est in all_estimators() {
            let r = match RandomModel::new(est, ConfidenceLevel::default()).pool(&set_of(&s)) {
                Ok(r) => r,
                // an iterative estimator may stop without converging, and Paule-Mandel's root
                // may lie beyond tau2_max (100, metafor's default): typed errors, as in metafor
                Err(metapool::Error::NotConverged { .. } | metapool::Error::Undefined { .. })
                    if ITERATIVE.contains(&est) => continue,
                Err(e) => return Err(TestCaseError::fail(format!("{est:?}: {e}"))),
            };
            prop_assert!(all_finite(&r));
            prop_assert!(lo <= r.estimate && r.estimate <= hi, "{:?}: random {} not in [{lo}, {hi}]", est, r.estimate);
            prop_assert!(r.se >= f.se, "random se {} < fixed se {}", r.se, f.se);
            prop_assert!(r.se >= f.se, "{:?}: random se {} < fixed se {}", est, r.se, f.se);
            // the bounds are estimate -/+ half-width: their difference carries the rounding of
            // the estimate (random and fixed shift by different studies)
            prop_assert!(
                r.ci_upper - r.ci_lower
                    >= (f.ci_upper - f.ci_lower) * (1.0 - 4.0 * EPS) - 4.0 * EPS * r.estimate.abs(),
                "{:?}: random CI narrower", est
            );
            let h = &r.heterogeneity;
            prop_assert!(h.tau2 >= 0.0 && h.tau >= 0.0);
            prop_assert!(h.i2 >= 0.0 && h.i2 <= 100.0, "I2 = {}", h.i2);
            prop_assert!(h.h2 >= 1.0);
            prop_assert!((0.0..=1.0).contains(&r.p));
            let w: f64 = r.weights().iter().sum();
            prop_assert!(close(w, 100.0, 1e-10));
        }
        let h = &f.heterogeneity;
        prop_assert!(h.q >= 0.0);
        prop_assert!(h.i2 >= 0.0 && h.i2 <= 100.0);
        // I² < 100 exactly whenever df/Q is representable next to 1, i.e. Q < df / eps
        if h.df > 0 && h.q < h.df as f64 / EPS {
            prop_assert!(h.i2 < 100.0, "I2 = 100 with Q = {}, df = {}", h.q, h.df);
        }
        prop_assert!((0.0..=1.0).contains(&f.p));
        if let Some(p) = h.q_p {
            prop_assert!((0.0..=1.0).contains(&p));
        }
        prop_assert_eq!(h.q_p.is_none(), s.len() == 1);
        let w: f64 = f.weights().iter().sum();
        prop_assert!(close(w, 100.0, 1e-10));
    }

    /// DerSimonian-Laird: tau² = 0 exactly when Q <= k - 1.
    #[test]
    fn dl_tau2_zero_iff_q_at_most_df(s in studies()) {
        let r = random(&s);
        let h = &r.heterogeneity;
        prop_assert_eq!(h.tau2 == 0.0, h.q <= h.df as f64, "Q = {}, df = {}, tau2 = {}", h.q, h.df, h.tau2);
    }

    /// Every estimator gives tau² = 0 on identical studies (same y; the same or different v),
    /// and then the random fit equals the fixed fit.
    #[test]
    fn identical_studies_have_no_heterogeneity(
        y in -1e3..1e3f64, k in 1usize..=200, u in -12.0..12.0f64, same_v in any::<bool>()
    ) {
        let s: Vec<_> = (0..k)
            .map(|i| (y, 10f64.powf(if same_v { u } else { u + (i % 7) as f64 * 0.5 - 1.5 })))
            .collect();
        let f = fixed(&s);
        prop_assert_eq!(f.heterogeneity.q, 0.0);
        prop_assert_eq!(f.estimate, y);
        for est in all_estimators() {
            let r = random_with(&s, est);
            prop_assert_eq!(r.heterogeneity.tau2, 0.0, "{:?}", est);
            prop_assert_eq!(r.heterogeneity.i2, 0.0);
            prop_assert_eq!(r.estimate, f.estimate);
            prop_assert_eq!(r.se, f.se);
        }
    }

    /// The model rule picks random exactly when the Q-test p < alpha, and its fits are the
    /// models' own, bit for bit.
    #[test]
    fn rule_picks_random_iff_q_p_below_alpha(s in studies(), alpha in 0.0001..0.9999f64) {
        let rule = ModelRule::new(alpha).unwrap();
        let set = set_of(&s);
        let sel = rule.select(&set).unwrap();
        let f = FixedModel::default().pool(&set).unwrap();
        let r = RandomModel::default().pool(&set).unwrap();
        let want = match f.heterogeneity.q_p {
            Some(p) if p < alpha => ModelChoice::Random,
            _ => ModelChoice::Fixed,
        };
        prop_assert_eq!(sel.choice, want);
        prop_assert_eq!(&sel.fixed, &f);
        prop_assert_eq!(&sel.random, &r);
        prop_assert_eq!(sel.q_p, f.heterogeneity.q_p);
    }
}

// ---------------------------------------------------------------- effect sizes

fn arm() -> impl Strategy<Value = Arm> {
    (
        -1e3..1e3f64,
        -3.0..3.0f64,
        prop_oneof![2u32..50, 2u32..100_000].prop_map(f64::from),
    )
        .prop_map(|(m, lsd, n)| Arm::new(m, 10f64.powf(lsd), n).unwrap())
}

fn table() -> impl Strategy<Value = TwoByTwo> {
    (1u32..5000, 1u32..5000)
        .prop_flat_map(|(n1, n2)| (0..=n1, Just(n1), 0..=n2, Just(n2)))
        .prop_map(|(e1, n1, e2, n2)| {
            TwoByTwo::new(f64::from(e1), f64::from(n1), f64::from(e2), f64::from(n2)).unwrap()
        })
}

fn included(e: &impl EffectSize) -> Option<Effect> {
    match e.effect().expect("valid input") {
        StudyEffect::Included(x) => Some(x),
        StudyEffect::Excluded(_) => None,
    }
}

fn correction() -> impl Strategy<Value = ContinuityCorrection> {
    (
        prop_oneof![Just(0.5), 0.01..1.0f64],
        prop_oneof![
            Just(CorrectionRule::OnlyZeroCells),
            Just(CorrectionRule::AllTables)
        ],
    )
        .prop_map(|(v, r)| ContinuityCorrection::new(v, r).unwrap())
}

proptest! {
    #![proptest_config(config())]

    /// Swapping the arms negates the mean difference and the SMD (both conventions) exactly and
    /// keeps their variances bit-identical.
    #[test]
    fn swapping_arms_negates_md_and_smd(a in arm(), b in arm()) {
        let md = included(&MeanDifference::new(a, b).unwrap()).unwrap();
        let dm = included(&MeanDifference::new(b, a).unwrap()).unwrap();
        prop_assert_eq!(dm.estimate(), -md.estimate());
        prop_assert_eq!(dm.variance(), md.variance());
        for conv in [SmdConvention::RevMan5, SmdConvention::Metafor] {
            let g = included(&StandardizedMeanDifference::new(a, b).unwrap().with_convention(conv)).unwrap();
            let h = included(&StandardizedMeanDifference::new(b, a).unwrap().with_convention(conv)).unwrap();
            prop_assert_eq!(h.estimate(), -g.estimate());
            prop_assert_eq!(h.variance(), g.variance());
        }
    }

    /// Swapping the arms of a 2x2 table negates the log odds ratio (inverts the OR) and keeps its
    /// variance; exclusion is symmetric too.
    #[test]
    fn swapping_arms_inverts_odds_ratio(t in table(), cc in correction()) {
        let s = TwoByTwo::new(t.events2, t.total2, t.events1, t.total1).unwrap();
        let a = LogOddsRatio::new(t).with_correction(cc);
        let b = LogOddsRatio::new(s).with_correction(cc);
        match (included(&a), included(&b)) {
            (Some(x), Some(y)) => {
                prop_assert!(close(y.estimate(), -x.estimate(), 8.0 * EPS * (1.0 + x.estimate().abs())));
                prop_assert!(close(y.variance(), x.variance(), 4.0 * EPS * x.variance()));
                let (or, ro) = (x.estimate().exp(), y.estimate().exp());
                prop_assert!(close(or * ro, 1.0, 1e-13));
            }
            (None, None) => {}
            (x, y) => prop_assert!(false, "exclusion not symmetric: {:?} vs {:?}", x, y),
        }
    }

    /// Swapping before and after negates the pre/post mean difference.
    #[test]
    fn swapping_pre_post_negates(a in arm(), b in arm(), r in -0.99..0.99f64) {
        let n = a.n;
        let d = PrePost { mean_pre: a.mean, sd_pre: a.sd, mean_post: b.mean, sd_post: b.sd, n };
        let e = PrePost { mean_pre: b.mean, sd_pre: b.sd, mean_post: a.mean, sd_post: a.sd, n };
        let x = included(&PrePostMeanDifference::new(d, r).unwrap()).unwrap();
        let y = included(&PrePostMeanDifference::new(e, r).unwrap()).unwrap();
        prop_assert_eq!(y.estimate(), -x.estimate());
        prop_assert!(close(y.variance(), x.variance(), 8.0 * EPS * x.variance()));
    }

    /// Hedges' g is smaller in magnitude than Cohen's d (0 < J < 1) under both conventions.
    #[test]
    fn hedges_g_below_cohens_d(a in arm(), b in arm()) {
        for conv in [SmdConvention::RevMan5, SmdConvention::Metafor] {
            let s = StandardizedMeanDifference::new(a, b).unwrap().with_convention(conv);
            let d = s.cohens_d();
            let g = included(&s).unwrap().estimate();
            let j = s.correction();
            prop_assert!(j > 0.0 && j < 1.0, "J = {}", j);
            prop_assert!(g.abs() <= d.abs(), "|g| = {} > |d| = {}", g.abs(), d.abs());
            if d != 0.0 {
                prop_assert!(g.abs() < d.abs());
            }
        }
    }

    /// The two SMD conventions converge as N grows: the corrections differ by O(1/N²) and the
    /// variances by O(1/N) relative.
    #[test]
    fn smd_conventions_converge(
        m1 in -10.0..10.0f64, m2 in -10.0..10.0f64, sd1 in 0.1..10.0f64, sd2 in 0.1..10.0f64,
        ln1 in 1.0..9.0f64, ln2 in 1.0..9.0f64,
    ) {
        let n1 = 10f64.powf(ln1).round().max(5.0);
        let n2 = 10f64.powf(ln2).round().max(5.0);
        let (a, b) = (Arm::new(m1, sd1, n1).unwrap(), Arm::new(m2, sd2, n2).unwrap());
        let rm = StandardizedMeanDifference::new(a, b).unwrap();
        let mf = rm.with_convention(SmdConvention::Metafor);
        let n = n1 + n2;
        // J_RevMan = 1 - 3/(4N - 9) is the first-order expansion of the exact J (m = N - 2):
        // J_exact = 1 - 3/(4m) - 39/(32m²) + ...,  so |J_R - J_exact| < 2/N² for N >= 10
        // (plus the rounding of J itself).
        let (jr, jm) = (rm.correction(), mf.correction());
        prop_assert!(close(jr, jm, 2.0 / (n * n) + 8.0 * EPS), "N = {}: J {} vs {}", n, jr, jm);
        let (x, y) = (included(&rm).unwrap(), included(&mf).unwrap());
        prop_assert!(close(x.estimate(), y.estimate(), (2.0 / (n * n) + 8.0 * EPS) * rm.cohens_d().abs() + 1e-300));
        prop_assert!(close(x.variance(), y.variance(), 10.0 / n * y.variance()));
    }

    /// The generic inverse-variance input recovers the SE from a symmetric CI.
    #[test]
    fn generic_ci_recovers_se(y in -100.0..100.0f64, lse in -6.0..3.0f64, level in 0.5..0.999f64) {
        let se = 10f64.powf(lse);
        let cl = ConfidenceLevel::new(level).unwrap();
        let half = cl.z() * se;
        let g = Generic::from_ci(y, y - half, y + half, cl, Scale::Identity).unwrap();
        prop_assert!(close(g.se(), se, 1e-9 * se + 64.0 * EPS * y.abs() / cl.z()));
        prop_assert_eq!(g.estimate(), y);
    }
}

// ---------------------------------------------------------------- serialization

#[cfg(feature = "serde")]
mod serialization {
    use super::*;
    use serde::{de::DeserializeOwned, Serialize};

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
        x: &T,
    ) -> std::result::Result<(), TestCaseError> {
        let json = serde_json::to_string(x).unwrap();
        let back: T = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, x, "through {}", json);
        Ok(())
    }

    proptest! {
        #![proptest_config(config())]

        /// Every input type and every result survives a JSON round trip bit for bit.
        #[test]
        fn round_trip_inputs_and_results(
            s in studies(), a in arm(), b in arm(), t in table(), cc in correction(),
            alpha in 0.0001..0.9999f64, level in 0.5..0.9999f64, r in -0.99..0.99f64,
        ) {
            let cl = ConfidenceLevel::new(level).unwrap();
            round_trip(&cl)?;
            round_trip(&a)?;
            round_trip(&MeanDifference::new(a, b).unwrap())?;
            for conv in [SmdConvention::RevMan5, SmdConvention::Metafor] {
                round_trip(&StandardizedMeanDifference::new(a, b).unwrap().with_convention(conv))?;
            }
            round_trip(&t)?;
            round_trip(&LogOddsRatio::new(t).with_correction(cc))?;
            let pp = PrePost { mean_pre: a.mean, sd_pre: a.sd, mean_post: b.mean, sd_post: b.sd, n: a.n };
            round_trip(&PrePostMeanDifference::new(pp, r).unwrap())?;
            round_trip(&Generic::from_se(a.mean, a.sd, Scale::Log).unwrap())?;
            round_trip(&Effect::new(s[0].0, s[0].1).unwrap())?;
            let set = set_of(&s);
            round_trip(&set)?;
            let rule = ModelRule::new(alpha).unwrap().with_level(cl);
            round_trip(&rule)?;
            round_trip(&rule.fixed)?;
            round_trip(&rule.random)?;
            let sel = rule.select(&set).unwrap();
            round_trip(&sel)?;
            round_trip(&sel.fixed)?;
            round_trip(&sel.random.heterogeneity)?;
            let tabs = [LogOddsRatio::new(t), LogOddsRatio::new(TwoByTwo::new(1.0, 10.0, 2.0, 10.0).unwrap())];
            round_trip(&rule.mantel_haenszel().select(&EffectSet::from_studies(&tabs).unwrap()).unwrap())?;
        }
    }
}

// ---------------------------------------------------------------- every estimator, batch path

fn try_random(s: &[(f64, f64)], est: Tau2Estimator) -> metapool::Result<Pooled> {
    RandomModel::new(est, ConfidenceLevel::default()).pool(&set_of(s))
}

proptest! {
    #![proptest_config(config_heavy())]

    /// Every estimator's tau² is invariant under permutation of the studies: to rounding for the
    /// closed forms, to the stopping threshold (1e-5 absolute, metafor's) for iterative ones.
    #[test]
    fn every_estimator_permutation_invariant(
        (s, perm) in studies().prop_flat_map(|s| {
            let n = s.len();
            (Just(s), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        })
    ) {
        let shuffled: Vec<_> = perm.iter().map(|&i| s[i]).collect();
        // the DL error model: the two-step estimator starts from DL's tau²
        let f = fixed(&s);
        let dl = random(&s);
        let dl_tol = Tol::new(&dl, max_abs_y(&s), &s, f.se).tau2;
        for est in all_estimators() {
            let (a, b) = match (try_random(&s, est), try_random(&shuffled, est)) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(metapool::Error::NotConverged { .. } | metapool::Error::Undefined { .. }), _)
                | (_, Err(metapool::Error::NotConverged { .. } | metapool::Error::Undefined { .. }))
                    if ITERATIVE.contains(&est) => continue,
                (a, b) => return Err(TestCaseError::fail(format!("{est:?}: {a:?} vs {b:?}"))),
            };
            let (ta, tb) = (a.heterogeneity.tau2, b.heterogeneity.tau2);
            // closed forms: (Q - df)/c-type differences carry an absolute error of a few eps k
            // in the numerator (Q ~ df when they cancel)
            let tol = if ITERATIVE.contains(&est) {
                2e-5 + 1e-6 * ta
            } else {
                1e-9 * ta + 4.0 * dl_tol + 64.0 * EPS * s.len() as f64 / dl_c(&s).max(1e-300)
            };
            prop_assert!(close(ta, tb, tol), "{:?}: tau2 {} vs {}", est, ta, tb);
        }
    }

    /// The batch path agrees with the single-analysis path bit for bit, for every estimator,
    /// on the same extreme inputs (k = 1..200, variances 1e-12..1e12).
    #[test]
    fn batch_matches_single_analysis_bit_for_bit(
        analyses in proptest::collection::vec(studies(), 1..6),
        which in 0usize..11,
    ) {
        use metapool::batch::{Analyses, BatchPooler, BatchResults, OnFailure};
        let est = all_estimators().nth(which).unwrap();
        let (mut y, mut v, mut offsets) = (Vec::new(), Vec::new(), vec![0]);
        for a in &analyses {
            y.extend(a.iter().map(|p| p.0));
            v.extend(a.iter().map(|p| p.1));
            offsets.push(y.len());
        }
        let batch = Analyses::with_offsets(&y, &v, &offsets).unwrap();
        let mut out = BatchResults::default();
        BatchPooler::new(est, ConfidenceLevel::default(), OnFailure::Record)
            .pool(&batch, &mut out)
            .unwrap();
        let bits = |x: f64| x.to_bits();
        for (i, a) in analyses.iter().enumerate() {
            let f = fixed(a);
            match try_random(a, est) {
                Ok(r) => {
                    prop_assert!(out.failures.iter().all(|(j, _)| *j != i));
                    for (cols, fit) in [(&out.fixed, &f), (&out.random, &r)] {
                        prop_assert_eq!(bits(cols.estimate[i]), bits(fit.estimate), "{:?} {}", est, i);
                        prop_assert_eq!(bits(cols.se[i]), bits(fit.se));
                        prop_assert_eq!(bits(cols.ci_lower[i]), bits(fit.ci_lower));
                        prop_assert_eq!(bits(cols.ci_upper[i]), bits(fit.ci_upper));
                        prop_assert_eq!(bits(cols.z[i]), bits(fit.statistic));
                        prop_assert_eq!(bits(cols.p[i]), bits(fit.p));
                    }
                    let h = &out.heterogeneity;
                    prop_assert_eq!(bits(h.q[i]), bits(r.heterogeneity.q));
                    prop_assert_eq!(h.q_p[i].map(bits), r.heterogeneity.q_p.map(bits));
                    prop_assert_eq!(bits(h.tau2[i]), bits(r.heterogeneity.tau2), "{:?}", est);
                    prop_assert_eq!(bits(h.i2[i]), bits(r.heterogeneity.i2));
                    prop_assert_eq!(bits(h.h2[i]), bits(r.heterogeneity.h2));
                }
                Err(e) => {
                    let recorded = out.failures.iter().find(|(j, _)| *j == i);
                    prop_assert!(recorded.is_some(), "{:?}: single failed ({}) but batch did not", est, e);
                }
            }
        }
    }
}
