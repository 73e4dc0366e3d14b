//! Property tests of the sensitivity and small-study analyses (256 cases each): identities that
//! must hold for any data, independent of metafor.

use metapool::bias::{
    rank_test, regression_test, trim_and_fill, EggerModel, MissingEstimator, TrimFillOptions,
};
use metapool::sensitivity::{cumulative, influence, leave_one_out};
use metapool::{effect::*, inference::ConfidenceLevel, pool::*};
use proptest::prelude::*;

fn studies(min: usize) -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec((-5.0f64..5.0, 1e-3f64..2.0), min..40)
}

fn set_of(s: &[(f64, f64)]) -> EffectSet {
    let (y, v): (Vec<f64>, Vec<f64>) = s.iter().copied().unzip();
    EffectSet::from_estimates(&y, &v).unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1e-12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Fixed effect without study i: (sum w y - w_i y_i) / (sum w - w_i).
    #[test]
    fn fixed_leave_one_out_is_the_closed_form(s in studies(2)) {
        let loo = leave_one_out(&FixedModel::default().into(), &set_of(&s)).unwrap();
        let sw: f64 = s.iter().map(|x| 1.0 / x.1).sum();
        let swy: f64 = s.iter().map(|x| x.0 / x.1).sum();
        for (i, l) in loo.iter().enumerate() {
            let (y, v) = s[i];
            let want = (swy - y / v) / (sw - 1.0 / v);
            prop_assert!(close(l.fit.estimate, want, 1e-6), "{} vs {}", l.fit.estimate, want);
            prop_assert_eq!(l.fit.k, s.len() - 1);
            prop_assert!(!l.fit.included().contains(&i));
        }
    }

    /// The last cumulative step is the full fit, bit for bit; step j has j studies.
    #[test]
    fn cumulative_ends_at_the_full_fit(s in studies(1)) {
        let set = set_of(&s);
        for p in [Pooler::from(FixedModel::default()), RandomModel::default().into(),
                  RandomModel::default().with_estimator(Tau2Estimator::RestrictedMaximumLikelihood).into()] {
            let steps = match cumulative(&p, &set) { Ok(x) => x, Err(_) => continue };
            prop_assert_eq!(&steps.last().unwrap().fit, &p.pool(&set).unwrap());
            for (j, st) in steps.iter().enumerate() {
                prop_assert_eq!(st.fit.k, j + 1);
                prop_assert_eq!(st.added, j);
            }
        }
    }

    /// Hat values sum to 1 (p = 1), weights to 100; Cook's D and COVRATIO are positive; the
    /// residual sign follows y_i - mu_(-i).
    #[test]
    fn influence_identities(s in studies(2)) {
        let set = set_of(&s);
        let inf = influence(&Pooler::default(), &set).unwrap();
        let hat: f64 = inf.studies.iter().map(|x| x.hat).sum();
        let weight: f64 = inf.studies.iter().map(|x| x.weight).sum();
        prop_assert!(close(hat, 1.0, 1e-12));
        prop_assert!(close(weight, 100.0, 1e-12));
        let loo = leave_one_out(&Pooler::default(), &set).unwrap();
        for (x, l) in inf.studies.iter().zip(&loo) {
            prop_assert!(x.cook_d >= 0.0 && x.cov_r > 0.0);
            prop_assert!(close(x.tau2_deleted, l.fit.heterogeneity.tau2, 1e-15) || x.tau2_deleted == l.fit.heterogeneity.tau2);
            let r = s[x.study].0 - l.fit.estimate;
            prop_assert!(x.rstudent == 0.0 || (x.rstudent > 0.0) == (r > 0.0));
        }
    }

    /// Egger's classical and fixed-effect regression tests share slope and intercept; the
    /// classical t statistic is the FE z divided by the residual scale.
    #[test]
    fn regression_tests_agree(s in studies(3)) {
        let set = set_of(&s);
        let fe = regression_test(&set, EggerModel::MetaRegression(FixedModel::default().into()));
        let lm = regression_test(&set, EggerModel::Classical(ConfidenceLevel::default()));
        match (fe, lm) {
            (Ok(fe), Ok(lm)) => {
                prop_assert!(close(fe.slope, lm.slope, 1e-9));
                prop_assert!(close(fe.limit.estimate, lm.limit.estimate, 1e-9) || (fe.limit.estimate - lm.limit.estimate).abs() < 1e-9);
                prop_assert!((0.0..=1.0).contains(&fe.p) && (0.0..=1.0).contains(&lm.p));
                prop_assert_eq!(lm.df, Some(s.len() - 2));
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "{a:?} vs {b:?}"),
        }
    }

    /// Mirroring the data about 0 negates Kendall's tau and keeps the p-value.
    #[test]
    fn rank_test_is_symmetric(s in studies(3)) {
        let set = set_of(&s);
        let mirrored: Vec<(f64, f64)> = s.iter().map(|&(y, v)| (-y, v)).collect();
        if let (Ok(a), Ok(b)) = (rank_test(&set), rank_test(&set_of(&mirrored))) {
            prop_assert!(close(a.tau, -b.tau, 1e-12) || (a.tau + b.tau).abs() < 1e-12);
            prop_assert!(close(a.p, b.p, 1e-12));
            prop_assert!((0.0..=1.0).contains(&a.p));
        }
    }

    /// Mirroring the data mirrors trim-and-fill: the other side, the same k0, negated fills.
    #[test]
    fn trim_and_fill_is_mirror_symmetric(s in studies(3), r0 in any::<bool>()) {
        let opts = TrimFillOptions {
            estimator: if r0 { MissingEstimator::R0 } else { MissingEstimator::L0 },
            ..TrimFillOptions::default()
        };
        let p: Pooler = FixedModel::default().into();
        let mirrored: Vec<(f64, f64)> = s.iter().map(|&(y, v)| (-y, v)).collect();
        if let (Ok(a), Ok(b)) = (trim_and_fill(&p, &set_of(&s), opts), trim_and_fill(&p, &set_of(&mirrored), opts)) {
            prop_assert_ne!(a.side, b.side);
            prop_assert_eq!(a.k0, b.k0);
            prop_assert_eq!(a.fit.k, s.len() + a.k0);
            prop_assert!(close(a.fit.estimate, -b.fit.estimate, 1e-9) || (a.fit.estimate + b.fit.estimate).abs() < 1e-9);
        }
    }
}
