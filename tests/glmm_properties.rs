//! Invariants of the GLMMs (property tests) and their typed errors on bad input.

use metapool::effect::{PersonTime, Proportion, RateTable, TwoByTwo};
use metapool::glmm::{Glmm, GlmmData, GlmmModel, Quadrature};
use metapool::regression::ModelMatrix;
use metapool::{Error, Problem};
use proptest::prelude::*;

fn tables(raw: &[(u8, u8, u8, u8)]) -> Vec<TwoByTwo> {
    raw.iter()
        .map(|&(a, b, c, d)| TwoByTwo::from_cells(a, b + 1, c, d + 1).unwrap())
        .collect()
}

fn swap(t: &TwoByTwo) -> TwoByTwo {
    TwoByTwo::new(t.events2, t.total2, t.events1, t.total1).unwrap()
}

fn table_sets() -> impl Strategy<Value = Vec<(u8, u8, u8, u8)>> {
    prop::collection::vec((0u8..6, 5u8..40, 0u8..6, 5u8..40), 3..7)
        .prop_filter("some events", |v| {
            v.iter().filter(|t| t.0 + t.2 > 0).count() >= 3
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Reversing the study order changes nothing; swapping the arms negates the log odds ratio;
    /// tau² >= 0, the CI holds the estimate, the LRT is >= 0, the printout names the model.
    #[test]
    fn order_and_arm_swap(raw in table_sets(), m in 0usize..4) {
        let model = [GlmmModel::UmFs, GlmmModel::UmRs, GlmmModel::CmEl, GlmmModel::CmAl][m];
        let t = tables(&raw);
        let glmm = Glmm::random(model);
        let fit = glmm.fit(&GlmmData::Tables(t.clone())).unwrap();
        let mut rev = t.clone();
        rev.reverse();
        let fit_rev = glmm.fit(&GlmmData::Tables(rev)).unwrap();
        let swapped = glmm.fit(&GlmmData::Tables(t.iter().map(swap).collect())).unwrap();
        let tol = 1e-5 * (1.0 + fit.estimate.abs());
        prop_assert!((fit.estimate - fit_rev.estimate).abs() < tol, "{} vs {}", fit.estimate, fit_rev.estimate);
        prop_assert!((fit.estimate + swapped.estimate).abs() < tol, "{} vs {}", fit.estimate, swapped.estimate);
        prop_assert!((fit.tau2 - swapped.tau2).abs() < 1e-5 * (1.0 + fit.tau2));
        prop_assert!(fit.tau2 >= 0.0 && fit.ci_lower < fit.estimate && fit.estimate < fit.ci_upper);
        prop_assert!(fit.lrt_het.map_or(true, |t| t.statistic >= 0.0 && (0.0..=1.0).contains(&t.p)));
        prop_assert!(fit.to_string().contains(model.description()));
    }

    /// A random-effects fit's likelihood is at least the fixed-effects one's (it nests it).
    #[test]
    fn random_nests_fixed(raw in prop::collection::vec((0u8..30, 31u8..60), 3..8)) {
        let p: Vec<Proportion> = raw.iter().map(|&(x, n)| Proportion::new(x as f64, n as f64).unwrap()).collect();
        let data = GlmmData::Proportions(p);
        let fe = Glmm::fixed(GlmmModel::UmFs).fit(&data).unwrap();
        let re = Glmm::random(GlmmModel::UmFs).fit(&data).unwrap();
        prop_assert!(re.marginal_loglik >= fe.marginal_loglik - 1e-8);
    }
}

#[test]
fn bad_input_is_a_typed_error() {
    let glmm = Glmm::random(GlmmModel::CmEl);
    assert_eq!(
        glmm.fit(&GlmmData::Tables(vec![])).unwrap_err(),
        Error::Empty
    );
    // a table that bypassed its constructor, as study 2
    let mut t = tables(&[(1, 10, 2, 10), (2, 12, 3, 11), (0, 9, 4, 9)]);
    t[2].events1 = 12.0;
    assert_eq!(
        glmm.fit(&GlmmData::Tables(t)).unwrap_err(),
        Error::InvalidStudy {
            study: 2,
            field: "events1",
            problem: Problem::EventsExceedTotal {
                events: 12.0,
                total: 10.0
            }
        }
    );
    // every table without events: nothing to fit
    let dz = tables(&[(0, 10, 0, 10), (0, 12, 0, 11)]);
    assert_eq!(
        glmm.fit(&GlmmData::Tables(dz)).unwrap_err(),
        Error::AllExcluded { excluded: 2 }
    );
    // a negative person-time, as study 1
    let r = vec![
        PersonTime::new(1.0, 10.0).unwrap(),
        PersonTime {
            events: 2.0,
            time: -3.0,
        },
    ];
    assert_eq!(
        Glmm::random(GlmmModel::UmFs)
            .fit(&GlmmData::Rates(r))
            .unwrap_err(),
        Error::InvalidStudy {
            study: 1,
            field: "time",
            problem: Problem::NotPositive(-3.0)
        }
    );
    let rt = vec![RateTable::new(1.0, 5.0, 2.0, 5.0).unwrap(); 2];
    // two studies cannot give an intercept, a slope and tau²
    let x = ModelMatrix::new(
        vec!["intrcpt".into(), "x".into()],
        vec![vec![1.0; 3], vec![0.0, 1.0, 2.0]],
    )
    .unwrap();
    // a double-zero study dropped leaves two studies for an intercept, a slope and tau²
    let mut three = vec![RateTable::new(1.0, 5.0, 2.0, 5.0).unwrap(); 3];
    three[1] = RateTable::new(0.0, 5.0, 0.0, 5.0).unwrap();
    assert!(matches!(
        Glmm::random(GlmmModel::UmFs)
            .with_moderators(x.clone())
            .fit(&GlmmData::RateTables(three)),
        Err(Error::TooFewStudies {
            needed: 3,
            got: 2,
            ..
        })
    ));
    assert!(matches!(
        Glmm::random(GlmmModel::UmFs)
            .with_moderators(x)
            .fit(&GlmmData::RateTables(rt)),
        Err(Error::InvalidParameter {
            name: "moderators",
            ..
        })
    ));
    assert!(matches!(
        Quadrature::new(0),
        Err(Error::InvalidParameter { name: "nodes", .. })
    ));
    assert!(matches!(
        "UM".parse::<GlmmModel>(),
        Err(Error::Unparsable { .. })
    ));
}
