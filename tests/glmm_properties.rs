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
        let mut rev = t.clone();
        rev.reverse();
        let fits = [
            glmm.fit(&GlmmData::Tables(t.clone())),
            glmm.fit(&GlmmData::Tables(rev)),
            glmm.fit(&GlmmData::Tables(t.iter().map(swap).collect())),
        ];
        // separated tables have no finite maximum: a typed error, never a number
        for f in &fits {
            prop_assert!(matches!(f, Ok(_) | Err(Error::Undefined { .. })), "{:?}", f);
        }
        let [Ok(fit), Ok(fit_rev), Ok(swapped)] = fits else {
            return Ok(());
        };
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

/// Tables whose likelihood has no finite maximum (found by `order_and_arm_swap`): an optimiser
/// stops on the flat ridge at a meaningless estimate (tau² 287,770 for CM.EL on the first set;
/// a log OR of 24 with SE 2,538 for UM.FS on the second, all events in arm 1); these are typed
/// errors, in every model and in both arm orders.
#[test]
fn separated_tables_are_a_typed_error() {
    let sets = [
        (
            vec![(1, 5, 0, 25), (0, 13, 3, 24), (0, 7, 3, 5)],
            &[GlmmModel::CmEl, GlmmModel::CmAl][..],
        ),
        (
            vec![(1, 5, 0, 25), (2, 13, 0, 24), (3, 7, 0, 5)],
            &[
                GlmmModel::UmFs,
                GlmmModel::UmRs,
                GlmmModel::CmEl,
                GlmmModel::CmAl,
            ][..],
        ),
    ];
    for (raw, models) in &sets {
        let t = tables(raw);
        for &m in *models {
            for data in [t.clone(), t.iter().map(swap).collect()] {
                let r = Glmm::random(m).fit(&GlmmData::Tables(data));
                assert!(matches!(r, Err(Error::Undefined { .. })), "{m:?}: {r:?}");
            }
        }
    }
    // the first set has a finite maximum with fixed effects: metafor 3.8-1
    // rma.glmm(ai = c(1,0,0), bi = c(6,14,8), ci = c(0,3,3), di = c(26,25,6), model = "CM.EL",
    // method = "FE") gives -1.41870329383 (SE 1.12241418881); its random-effects fit stops with
    // "Cannot fit ML model". The SE from the exact information (an R reference enumerating each
    // table's support, root by uniroot at tol 1e-14) is 1.1223965357338, estimate
    // -1.4187032982982; metafor's numerical Hessian is 1.6e-5 off, ours (central differences)
    // 3e-8.
    let fe = Glmm::fixed(GlmmModel::CmEl)
        .fit(&GlmmData::Tables(tables(&sets[0].0)))
        .unwrap();
    assert!((fe.estimate + 1.4187032982982).abs() < 1e-8 && fe.tau2 == 0.0);
    assert!((fe.se - 1.1223965357338).abs() < 1e-6 * fe.se);
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
