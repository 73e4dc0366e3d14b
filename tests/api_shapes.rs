//! Issue 10: one pooling abstraction for every method, labels and tables in the effect set,
//! complete results, validated deserialization.

use metapool::prelude::*;
use metapool::sensitivity::{cumulative, influence, leave_one_out};
use metapool::{pool::MantelHaenszel, pool::Note, pool::Peto};

fn tables() -> Vec<TwoByTwo> {
    [
        (4, 16, 8, 12),
        (1, 29, 5, 25),
        (0, 20, 0, 20),
        (10, 40, 9, 41),
        (3, 27, 6, 24),
        (12, 38, 20, 30),
    ]
    .iter()
    .map(|&(a, b, c, d)| TwoByTwo::from_cells(a, b, c, d).unwrap())
    .collect()
}

const LABELS: [&str; 6] = ["A 1990", "B 1994", "C 1999", "D 2003", "E 2008", "F 2011"];

fn or_set() -> EffectSet {
    let studies: Vec<LogOddsRatio> = tables().into_iter().map(LogOddsRatio::new).collect();
    EffectSet::from_studies(&studies)
        .unwrap()
        .with_labels(LABELS)
        .unwrap()
}

#[test]
fn the_one_abstraction_equals_the_per_method_types_bit_for_bit() {
    let t = tables();
    let set = or_set();
    let or: Vec<LogOddsRatio> = t.iter().copied().map(LogOddsRatio::new).collect();
    let mut old = MantelHaenszel::default().pool(&or).unwrap();
    let new = FixedModel::mantel_haenszel().pool(&set).unwrap();
    // the labels are the only difference
    for (o, n) in old.studies.iter_mut().zip(&new.studies) {
        assert_eq!(o.label, None);
        o.label.clone_from(&n.label);
    }
    for (o, n) in old.excluded.iter_mut().zip(&new.excluded) {
        o.label.clone_from(&n.label);
    }
    assert_eq!(old, new);
    assert_eq!(new.excluded[0].label.as_deref(), Some("C 1999"));

    let peto_old = Peto::default().pool(&t).unwrap();
    let peto_new = FixedModel::peto().pool(&set).unwrap();
    assert_eq!(peto_old.estimate.to_bits(), peto_new.estimate.to_bits());
    assert_eq!(peto_old.se.to_bits(), peto_new.se.to_bits());
    assert_eq!(peto_old.heterogeneity, peto_new.heterogeneity);
    assert_eq!(peto_old.weights(), peto_new.weights());
}

#[test]
fn risk_ratio_and_difference_tables_pool_by_mantel_haenszel() {
    let t = tables();
    for set in [
        EffectSet::from_studies(&t.iter().copied().map(LogRiskRatio::new).collect::<Vec<_>>()),
        EffectSet::from_studies(
            &t.iter()
                .copied()
                .map(RiskDifference::new)
                .collect::<Vec<_>>(),
        ),
    ] {
        let set = set.unwrap();
        let fit = FixedModel::mantel_haenszel().pool(&set).unwrap();
        assert_eq!(fit.model, Model::Fixed(FixedMethod::MantelHaenszel));
        assert!((fit.weights().iter().sum::<f64>() - 100.0).abs() < 1e-12);
        // the rule, leave-one-out, cumulative and influence accept it
        let sel = ModelRule::default().mantel_haenszel().select(&set).unwrap();
        assert_eq!(sel.fixed, fit);
        let pooler: Pooler = FixedModel::mantel_haenszel().into();
        let loo = leave_one_out(&pooler, &set).unwrap();
        assert_eq!(loo.len(), set.len());
        let steps = cumulative(&pooler, &set).unwrap();
        assert_eq!(steps.last().unwrap().fit.estimate, fit.estimate);
        assert!(influence(&pooler, &set).is_ok());
    }
}

#[test]
fn subsets_keep_labels_and_tables_aligned() {
    let set = or_set();
    let pooler: Pooler = FixedModel::mantel_haenszel().into();
    let loo = leave_one_out(&pooler, &set).unwrap();
    for step in &loo {
        // the study left out is missing; every other keeps its own label
        for row in &step.fit.studies {
            assert_ne!(row.position, step.omitted);
            assert_eq!(row.label.as_deref(), Some(LABELS[row.position]));
        }
        // the same fit as pooling the remaining tables directly
        let rest: Vec<LogOddsRatio> = tables()
            .into_iter()
            .enumerate()
            .filter(|&(i, _)| i != step.omitted)
            .map(|(_, t)| LogOddsRatio::new(t))
            .collect();
        let direct = MantelHaenszel::default().pool(&rest).unwrap();
        assert_eq!(direct.estimate.to_bits(), step.fit.estimate.to_bits());
        assert_eq!(direct.se.to_bits(), step.fit.se.to_bits());
    }
}

#[test]
fn revman_mh_random_through_the_rule() {
    let set = or_set();
    let sel = ModelRule::default().mantel_haenszel().select(&set).unwrap();
    assert_eq!(sel.random.heterogeneity.q, sel.fixed.heterogeneity.q);
    // with REML there is no MH-centred form: the random model is fitted to the effects
    let reml = RandomModel::default().with_estimator(Tau2Estimator::RestrictedMaximumLikelihood);
    let sel = ModelRule::default()
        .with_random(reml)
        .mantel_haenszel()
        .select(&set)
        .unwrap();
    assert_eq!(sel.random, reml.pool(&set).unwrap());
}

#[test]
fn methods_that_need_tables_say_so() {
    let set = EffectSet::from_estimates(&[0.1, 0.5, 0.3], &[0.01, 0.02, 0.03]).unwrap();
    for model in [FixedModel::mantel_haenszel(), FixedModel::peto()] {
        assert!(matches!(model.pool(&set), Err(Error::MissingTables { .. })));
    }
    let mh_random = RandomModel::default().with_q_from(FixedMethod::MantelHaenszel);
    assert!(matches!(
        mh_random.pool(&set),
        Err(Error::MissingTables { .. })
    ));
    // Peto's own effects carry tables but no Mantel-Haenszel measure
    let peto: Vec<PetoOddsRatio> = tables().into_iter().map(PetoOddsRatio::new).collect();
    let peto_set = EffectSet::from_studies(&peto).unwrap();
    assert!(FixedModel::peto().pool(&peto_set).is_ok());
    let err = FixedModel::mantel_haenszel().pool(&peto_set).unwrap_err();
    assert!(matches!(err, Error::MissingTables { .. }));
    assert!(err.to_string().contains("Mantel-Haenszel"), "{err}");
    // a t-based test is not defined for MH
    assert!(matches!(
        FixedModel::mantel_haenszel()
            .with_test(Test::KnappHartung)
            .pool(&or_set()),
        Err(Error::Undefined { .. })
    ));
}

#[test]
fn per_study_rows_carry_what_a_printer_needs() {
    let set = or_set();
    let fit = RandomModel::default().pool(&set).unwrap();
    assert_eq!(fit.k, 5);
    assert_eq!(fit.included(), set.included().to_vec());
    for (row, e) in fit.studies.iter().zip(set.effects()) {
        assert_eq!(row.effect, Some(*e));
        assert_eq!(row.label.as_deref(), Some(LABELS[row.position]));
    }
    assert_eq!(fit.excluded.len(), 1);
    assert_eq!(
        fit.excluded[0],
        (2, metapool::effect::Exclusion::NoEventsInEitherArm)
    );
    assert_eq!(fit.level, ConfidenceLevel::default());
    assert_eq!(fit.test, Test::Z);
}

#[test]
fn one_study_with_a_t_test_falls_back_to_z_and_the_rule_picks_fixed() {
    let one = EffectSet::from_estimates(&[0.3], &[0.04]).unwrap();
    for test in [Test::T, Test::KnappHartung, Test::KnappHartungAdHoc] {
        let fit = RandomModel::default().with_test(test).pool(&one).unwrap();
        assert_eq!(fit.test, Test::Z);
        assert_eq!(fit.notes, vec![Note::ZTestForOneStudy { requested: test }]);
        assert_eq!(
            fit.notes[0].to_string(),
            format!(
                "tested with z instead of {} since k = 1",
                test.metafor_name()
            )
        );
        let fe = FixedModel::default().with_test(test).pool(&one).unwrap();
        assert_eq!(fe.test, Test::Z);
    }
    let sel = ModelRule::default().select(&one).unwrap();
    assert_eq!(sel.choice, ModelChoice::Fixed);
    assert!(sel.no_heterogeneity_test());
}

#[test]
fn length_mismatch_reads_well() {
    let err = EffectSet::from_estimates(&[0.1, 0.2], &[0.01, 0.02])
        .unwrap()
        .with_labels(["only one"])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter `labels` must have 2 entries (one per study), got 1"
    );
    let groups = SubgroupAnalysis::new(SubgroupModel::Fixed)
        .pool(&or_set(), &["a", "b"])
        .unwrap_err();
    assert_eq!(
        groups.to_string(),
        "parameter `groups` must have 6 entries (one per study), got 2"
    );
}

#[test]
fn names_parse_as_metafor_writes_them() {
    for e in Tau2Estimator::ALL {
        assert_eq!(e.metafor_name().parse::<Tau2Estimator>().unwrap(), e);
    }
    for t in Test::ALL {
        assert_eq!(t.metafor_name().parse::<Test>().unwrap(), t);
    }
    for m in [
        FixedMethod::InverseVariance,
        FixedMethod::MantelHaenszel,
        FixedMethod::Peto,
    ] {
        assert_eq!(m.metafor_name().parse::<FixedMethod>().unwrap(), m);
    }
    assert!(matches!(
        "bogus".parse::<Test>(),
        Err(Error::Unparsable { .. })
    ));
}

#[cfg(feature = "serde")]
mod serde_checks {
    use super::*;

    #[test]
    fn results_and_sets_round_trip() {
        let set = or_set();
        let json = serde_json::to_string(&set).unwrap();
        let back: EffectSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back, set);
        let fit = ModelRule::default().mantel_haenszel().select(&set).unwrap();
        let json = serde_json::to_string(&fit).unwrap();
        let back: Selection = serde_json::from_str(&json).unwrap();
        assert_eq!(back, fit);
        let one = EffectSet::from_estimates(&[0.3], &[0.04]).unwrap();
        let noted = RandomModel::default()
            .with_test(Test::KnappHartung)
            .pool(&one)
            .unwrap();
        let back: Pooled = serde_json::from_str(&serde_json::to_string(&noted).unwrap()).unwrap();
        assert_eq!(back, noted);
    }

    #[test]
    fn invalid_sets_do_not_deserialize() {
        let good = serde_json::to_value(or_set()).unwrap();
        let bad = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut v = good.clone();
            edit(&mut v);
            serde_json::from_value::<EffectSet>(v).is_err()
        };
        assert!(serde_json::from_value::<EffectSet>(good.clone()).is_ok());
        assert!(bad(&|v| {
            v["effects"] = serde_json::json!([]);
            v["included"] = serde_json::json!([]);
        }));
        assert!(bad(&|v| v["included"] = serde_json::json!([0, 1, 3, 4])));
        assert!(bad(&|v| v["included"] = serde_json::json!([0, 0, 3, 4, 5])));
        assert!(bad(&|v| v["labels"] = serde_json::json!(["x"])));
        assert!(bad(&|v| v["tables"][0]["events1"] = serde_json::json!(-1.0)));
        assert!(bad(
            &|v| v["effects"][0]["variance"] = serde_json::json!(0.0)
        ));
        assert!(bad(&|v| v["input_len"] = serde_json::json!(3)));
    }

    #[test]
    fn invalid_study_values_do_not_deserialize() {
        use serde_json::from_str as de;
        assert!(de::<TwoByTwo>(r#"{"events1":21,"total1":20,"events2":1,"total2":20}"#).is_err());
        assert!(de::<TwoByTwo>(r#"{"events1":2,"total1":20,"events2":1,"total2":20}"#).is_ok());
        assert!(de::<Arm>(r#"{"mean":1,"sd":-1,"n":10}"#).is_err());
        assert!(de::<Arm>(r#"{"mean":1,"sd":1,"n":10}"#).is_ok());
        let arm = r#"{"mean":1,"sd":1,"n":10}"#;
        let bad_arm = r#"{"mean":1,"sd":0,"n":10}"#;
        assert!(de::<MeanDifference>(&format!(r#"{{"arm1":{arm},"arm2":{arm}}}"#)).is_ok());
        assert!(de::<MeanDifference>(&format!(r#"{{"arm1":{arm},"arm2":{bad_arm}}}"#)).is_err());
        assert!(de::<Correlation>(r#"{"r":1.5,"n":10}"#).is_err());
        assert!(de::<Proportion>(r#"{"events":5,"total":4}"#).is_err());
        assert!(de::<Effect>(r#"{"estimate":0.1,"variance":0}"#).is_err());
        assert!(de::<ContinuityCorrection>(r#"{"value":-0.5,"rule":"AllTables"}"#).is_err());
        let t = r#"{"events1":2,"total1":20,"events2":1,"total2":20}"#;
        let bad_cc = r#"{"value":0,"rule":"AllTables"}"#;
        assert!(de::<LogOddsRatio>(&format!(r#"{{"table":{t},"correction":{bad_cc}}}"#)).is_err());
        let control = serde_json::to_value(metapool::pool::Tau2Control::default()).unwrap();
        assert!(serde_json::from_value::<metapool::pool::Tau2Control>(control.clone()).is_ok());
        let mut bad_control = control;
        bad_control["max_iterations"] = serde_json::json!(0);
        assert!(serde_json::from_value::<metapool::pool::Tau2Control>(bad_control).is_err());
        // valid values still round trip
        let md = MeanDifference::new(
            Arm::new(1.0, 1.0, 10.0).unwrap(),
            Arm::new(2.0, 1.5, 12.0).unwrap(),
        )
        .unwrap();
        assert_eq!(
            de::<MeanDifference>(&serde_json::to_string(&md).unwrap()).unwrap(),
            md
        );
    }
}
