//! Edge cases of the sensitivity and small-study analyses: typed errors for too few studies and
//! degenerate input, input positions kept when a study is excluded, and a well-formed funnel
//! plot.

use metapool::bias::{
    rank_test, regression_test, trim_and_fill, EggerModel, MissingEstimator, Side, SideRule,
    TrimFillOptions,
};
use metapool::plot::{funnel::Funnel, funnel::FunnelStyle, funnel::TickLabels};
use metapool::sensitivity::{cumulative, cumulative_by, influence, leave_one_out, Direction};
use metapool::{effect::*, inference::ConfidenceLevel, pool, pool::*, sensitivity, Error};

fn set(y: &[f64], v: &[f64]) -> EffectSet {
    EffectSet::from_estimates(y, v).unwrap()
}

fn too_few(err: Error, needed: usize, got: usize) {
    match err {
        Error::TooFewStudies {
            needed: n, got: g, ..
        } => assert_eq!((n, g), (needed, got)),
        other => panic!("expected TooFewStudies, got {other:?}"),
    }
}

#[test]
fn too_few_studies_are_typed_errors() {
    let one = set(&[0.3], &[0.04]);
    let two = set(&[0.3, 0.5], &[0.04, 0.02]);
    let p = Pooler::default();
    too_few(leave_one_out(&p, &one).unwrap_err(), 2, 1);
    too_few(influence(&p, &one).unwrap_err(), 2, 1);
    too_few(
        regression_test(&two, EggerModel::MetaRegression(p)).unwrap_err(),
        3,
        2,
    );
    too_few(
        regression_test(&two, EggerModel::Classical(ConfidenceLevel::default())).unwrap_err(),
        3,
        2,
    );
    too_few(rank_test(&two).unwrap_err(), 3, 2);
    too_few(
        trim_and_fill(&p, &two, TrimFillOptions::default()).unwrap_err(),
        3,
        2,
    );
    // k = 2 is enough for leave-one-out and influence; k = 1 for a cumulative analysis
    assert_eq!(leave_one_out(&p, &two).unwrap().len(), 2);
    assert_eq!(influence(&p, &two).unwrap().studies.len(), 2);
    assert_eq!(cumulative(&p, &one).unwrap().len(), 1);
}

#[test]
fn equal_standard_errors_make_the_regression_undefined() {
    let s = set(&[0.1, 0.4, 0.2, 0.3], &[0.04; 4]);
    for m in [
        EggerModel::MetaRegression(Pooler::default()),
        EggerModel::Classical(ConfidenceLevel::default()),
    ] {
        assert!(matches!(
            regression_test(&s, m),
            Err(Error::Undefined { .. })
        ));
    }
    // Kendall's tau is undefined with all variances equal
    assert!(matches!(rank_test(&s), Err(Error::Undefined { .. })));
    // trim-and-fill needs the regression only to choose the side
    assert!(matches!(
        trim_and_fill(&Pooler::default(), &s, TrimFillOptions::default()),
        Err(Error::Undefined { .. })
    ));
    let given = TrimFillOptions {
        side: SideRule::Given(Side::Left),
        ..TrimFillOptions::default()
    };
    assert!(trim_and_fill(&Pooler::default(), &s, given).is_ok());
}

#[test]
fn two_step_estimator_has_no_regression() {
    let s = set(&[0.1, 0.4, 0.2, 0.3], &[0.04, 0.01, 0.03, 0.02]);
    let dl2: Pooler = RandomModel::default()
        .with_estimator(Tau2Estimator::DerSimonianLairdTwoStep)
        .into();
    assert!(matches!(
        regression_test(&s, EggerModel::MetaRegression(dl2)),
        Err(Error::Undefined { .. })
    ));
    // the side can still be given
    let given = TrimFillOptions {
        side: SideRule::Given(Side::Left),
        ..TrimFillOptions::default()
    };
    assert!(trim_and_fill(&dl2, &s, given).is_ok());
    assert!(leave_one_out(&dl2, &s).is_ok());
}

#[test]
fn t_tests_fall_back_to_z_for_one_study() {
    let s = set(&[0.1, 0.4, 0.2], &[0.04, 0.01, 0.03]);
    let knha: Pooler = RandomModel::default()
        .with_test(pool::Test::KnappHartung)
        .into();
    let steps = cumulative(&knha, &s).unwrap();
    assert_eq!(steps[0].fit.test, pool::Test::Z);
    assert_eq!(steps[1].fit.test, pool::Test::KnappHartung);
}

#[test]
fn cumulative_keys_are_checked() {
    let s = set(&[0.1, 0.4, 0.2], &[0.04, 0.02, 0.03]);
    let p = Pooler::default();
    assert!(matches!(
        cumulative_by(&p, &s, &[1.0, 2.0], Direction::Ascending),
        Err(Error::InvalidParameter { name: "keys", .. })
    ));
    assert!(matches!(
        cumulative_by(&p, &s, &[1.0, f64::NAN, 2.0], Direction::Ascending),
        Err(Error::InvalidStudy {
            study: 1,
            field: "order key",
            ..
        })
    ));
    // ties keep input order, in both directions (R's order() is stable)
    let asc = cumulative_by(&p, &s, &[2.0, 1.0, 2.0], Direction::Ascending).unwrap();
    let desc = cumulative_by(&p, &s, &[2.0, 1.0, 2.0], Direction::Descending).unwrap();
    let order = |steps: &[sensitivity::CumulativeStep]| -> Vec<usize> {
        steps.iter().map(|s| s.added).collect()
    };
    assert_eq!(order(&asc), vec![1, 0, 2]);
    assert_eq!(order(&desc), vec![0, 2, 1]);
}

#[test]
fn excluded_studies_keep_the_input_numbering() {
    // study 1 has no events in either arm and is excluded from pooling
    let t = |a, n1, c, n2| LogOddsRatio::new(TwoByTwo::new(a, n1, c, n2).unwrap());
    let tables = [
        t(5.0, 50.0, 10.0, 50.0),
        t(0.0, 40.0, 0.0, 40.0),
        t(8.0, 60.0, 12.0, 60.0),
        t(3.0, 30.0, 9.0, 30.0),
    ];
    let s = EffectSet::from_studies(&tables).unwrap();
    assert_eq!((s.len(), s.input_len()), (3, 4));
    let p = Pooler::default();
    let loo = leave_one_out(&p, &s).unwrap();
    let omitted: Vec<usize> = loo.iter().map(|l| l.omitted).collect();
    assert_eq!(omitted, vec![0, 2, 3]);
    assert_eq!(loo[0].fit.included(), vec![2, 3]);
    let inf = influence(&p, &s).unwrap();
    let studies: Vec<usize> = inf.studies.iter().map(|x| x.study).collect();
    assert_eq!(studies, vec![0, 2, 3]);
    // one key per input study, the excluded study's key ignored
    let steps = cumulative_by(&p, &s, &[3.0, f64::NAN, 1.0, 2.0], Direction::Ascending).unwrap();
    let added: Vec<usize> = steps.iter().map(|x| x.added).collect();
    assert_eq!(added, vec![2, 3, 0]);
}

#[test]
fn funnel_svg_is_well_formed() {
    // dat.hackshaw1998-like asymmetry: small studies with larger effects
    let y = [0.9, 0.7, 0.55, 0.5, 0.35, 0.3, 0.25, 0.22, 0.2, 0.21];
    let v = [0.3, 0.2, 0.12, 0.1, 0.05, 0.04, 0.02, 0.015, 0.01, 0.012];
    let effects: Vec<Effect> = y
        .iter()
        .zip(&v)
        .map(|(&y, &v)| Effect::new(y, v).unwrap())
        .collect();
    let s = EffectSet::from_effects(effects, Scale::Log).unwrap();
    let p: Pooler = FixedModel::default().into();
    for est in [MissingEstimator::L0, MissingEstimator::R0] {
        let tf = trim_and_fill(
            &p,
            &s,
            TrimFillOptions {
                estimator: est,
                ..TrimFillOptions::default()
            },
        )
        .unwrap();
        assert_eq!(tf.side, Side::Left);
        assert!(tf.k0 > 0);
        for labels in [TickLabels::Analysis, TickLabels::Display] {
            let style = FunnelStyle {
                title: Some("A <test> & \"title\"".into()),
                tick_labels: labels,
                ..FunnelStyle::default()
            };
            let svg = Funnel::trim_and_fill(&s, &tf)
                .unwrap()
                .to_svg(&style)
                .unwrap();
            assert!(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
            assert!(svg.trim_end().ends_with("</svg>"));
            assert!(!svg.contains("NaN") && !svg.contains("inf"));
            assert!(svg.contains("A &lt;test&gt; &amp; &quot;title&quot;"));
            // studies + the legend's two markers
            assert_eq!(svg.matches("<circle").count(), y.len() + tf.k0 + 2);
            assert_eq!(svg.matches("<title>filled: ").count(), tf.k0);
            assert_eq!(svg.matches("<svg").count(), svg.matches("</svg>").count());
            assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count());
        }
    }
}
