//! Bad input to the meta-regression gets a typed error naming the column (and the study for a
//! value), never a panic or a NaN.

use metapool::effect::Scale;
use metapool::regression::{Factor, MetaRegression, ModeratorProblem, Moderators};
use metapool::Error;

fn problem_of(e: Error) -> (String, Option<usize>, ModeratorProblem) {
    match e {
        Error::InvalidModerator {
            column,
            study,
            problem,
        } => (column, study, problem),
        other => panic!("expected InvalidModerator, got {other:?}"),
    }
}

#[test]
fn moderator_errors_name_the_column_and_row() {
    let (c, s, p) = problem_of(
        Moderators::new(4)
            .continuous("dose", &[1.0, 2.0, f64::INFINITY, 3.0])
            .unwrap_err(),
    );
    assert_eq!((c.as_str(), s), ("dose", Some(2)));
    assert_eq!(p, ModeratorProblem::NotFinite(f64::INFINITY));

    let (c, _, p) = problem_of(Moderators::new(4).continuous("dose", &[1.0]).unwrap_err());
    assert_eq!(c, "dose");
    assert_eq!(
        p,
        ModeratorProblem::LengthMismatch {
            expected: 4,
            got: 1
        }
    );

    // a constant moderator is redundant with the intercept
    let (c, _, p) = problem_of(
        Moderators::new(4)
            .continuous("dose", &[2.0; 4])
            .unwrap()
            .matrix()
            .unwrap_err(),
    );
    assert_eq!((c.as_str(), p), ("dose", ModeratorProblem::Redundant));

    // more coefficients than studies
    let (_, _, p) = problem_of(
        Moderators::new(3)
            .continuous("a", &[1.0, 2.0, 3.0])
            .unwrap()
            .continuous("b", &[1.0, 4.0, 9.0])
            .unwrap()
            .matrix()
            .unwrap_err(),
    );
    assert_eq!(p, ModeratorProblem::TooManyCoefficients { p: 3, k: 3 });

    // an unknown column in an interaction, a duplicate name
    let m = Moderators::new(4)
        .continuous("a", &[1.0, 2.0, 3.0, 4.0])
        .unwrap();
    let (c, _, p) = problem_of(m.clone().interaction(&["a", "zz"]).unwrap_err());
    assert_eq!((c.as_str(), p), ("zz", ModeratorProblem::UnknownColumn));
    let (c, _, p) = problem_of(m.continuous("a", &[0.0; 4]).unwrap_err());
    assert_eq!((c.as_str(), p), ("a", ModeratorProblem::DuplicateName));

    // a level that never occurs as reference
    let (c, _, p) = problem_of(
        Factor::new("g", &["x", "y"])
            .unwrap()
            .with_reference("z")
            .unwrap_err(),
    );
    assert_eq!(
        (c.as_str(), p),
        ("g", ModeratorProblem::UnknownLevel("z".into()))
    );
}

#[test]
fn fit_errors_are_typed() {
    let x = Moderators::new(4)
        .continuous("a", &[1.0, 2.0, 3.0, 5.0])
        .unwrap()
        .matrix()
        .unwrap();
    let y = [0.1, 0.2, 0.4, 0.3];
    let v = [0.01, 0.02, 0.01, 0.03];
    let m = MetaRegression::default();
    // a bad variance names the study
    let e = m
        .fit_values(&y, &[0.01, -1.0, 0.01, 0.01], &x, Scale::Identity)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidStudy {
                study: 1,
                field: "vi",
                ..
            }
        ),
        "{e:?}"
    );
    // y of the wrong length
    assert!(matches!(
        m.fit_values(&y[..3], &v, &x, Scale::Identity).unwrap_err(),
        Error::InvalidParameter { name: "yi", .. }
    ));
    // btt out of range
    assert!(matches!(
        m.clone()
            .with_btt(&[5])
            .fit_values(&y, &v, &x, Scale::Identity)
            .unwrap_err(),
        Error::InvalidParameter { name: "btt", .. }
    ));
    // GENQ needs weights: a typed error, as metafor 3.8 without weights
    let genq = MetaRegression::random(metapool::pool::Tau2Estimator::GeneralizedQ);
    assert!(genq.fit_values(&y, &v, &x, Scale::Identity).is_err());
    // predict needs one value per coefficient
    let fit = m.fit_values(&y, &v, &x, Scale::Identity).unwrap();
    assert!(matches!(
        fit.predict(&[1.0]).unwrap_err(),
        Error::InvalidParameter {
            name: "newmods",
            ..
        }
    ));
    assert!(fit.predict(&[1.0, f64::NAN]).is_err());
    // a known tau² must be finite and >= 0
    assert!(MetaRegression::known_tau2(-0.1).is_err());
}

/// A deserialized `MetaRegression` is validated like a constructed one.
#[test]
fn deserialized_specifications_are_validated() {
    let spec = MetaRegression::known_tau2(0.1).unwrap().with_btt(&[1]);
    let json = serde_json::to_string(&spec).unwrap();
    let back: MetaRegression = serde_json::from_str(&json).unwrap();
    assert_eq!(back, spec);
    let bad_tau2 = json.replace("0.1", "-0.1");
    assert!(serde_json::from_str::<MetaRegression>(&bad_tau2).is_err());
    let bad_btt = json.replace("[1]", "[1,1]");
    assert_ne!(bad_btt, json);
    assert!(serde_json::from_str::<MetaRegression>(&bad_btt).is_err());
}
