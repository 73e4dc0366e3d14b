//! The printed summaries' behaviour beyond metafor's numbers: labels of not-estimable studies,
//! notes, decimals from the formatter, the RevMan style, the model rule's reason.

use metapool::print::{PValueStyle, Style, Summarize};
use metapool::{
    effect::EffectSet, effect::LogOddsRatio, effect::TwoByTwo, pool::FixedModel, pool::ModelRule,
    pool::RandomModel, pool::Test,
};

fn aspirin() -> EffectSet {
    let ors: Vec<LogOddsRatio> = [
        [49.0, 615.0, 67.0, 624.0],
        [0.0, 40.0, 0.0, 38.0],
        [44.0, 758.0, 64.0, 771.0],
    ]
    .iter()
    .map(|&[a, b, c, d]| LogOddsRatio::new(TwoByTwo::new(a, b, c, d).unwrap()))
    .collect();
    EffectSet::from_studies(&ors)
        .unwrap()
        .with_labels(["MRC-1 1974", "Pilot", "CDP 1976"])
        .unwrap()
}

#[test]
fn mantel_haenszel_rows_and_the_double_zero_study() {
    let fit = FixedModel::mantel_haenszel().pool(&aspirin()).unwrap();
    let text = fit.to_string();
    assert!(
        text.starts_with("Fixed-effect model (k = 2; Mantel-Haenszel)"),
        "{text}"
    );
    assert!(
        text.contains("Not estimable: Pilot (no events in either arm)"),
        "{text}"
    );
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("MRC-1") || l.starts_with("CDP"))
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    // metafor summary(escalc("OR", ...), transf = exp): MRC-1 0.72 [0.49, 1.06], CDP 0.68 [0.46, 1.01]
    let revman = fit.summary(Style::revman()).to_string();
    assert!(
        revman.contains("0.72 [0.49, 1.06]") && revman.contains("0.68 [0.46, 1.01]"),
        "{revman}"
    );
}

#[test]
fn decimals_and_styles() {
    let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015]).unwrap();
    let fit = RandomModel::default().pool(&set).unwrap();
    let two = format!("{fit:.2}");
    assert!(two.contains("Tau² = 0.14 (SE = 0.16)"), "{two}");
    assert!(two.contains("(P < .01)"), "{two}"); // metafor's rule at 2 decimals
    let huge = format!("{fit:.40}"); // capped at 15 decimals
    assert!(huge.contains("Tau² = 0.140000000000000"), "{huge}");
    let s = Style::metafor().with_p_values(PValueStyle::RevMan);
    assert!(fit.summary(s).to_string().contains("(P = 0.00002)"));
    // default labels
    assert!(two.contains("\nStudy 1 "), "{two}");
}

#[test]
fn one_study_under_a_t_test_says_so() {
    let set = EffectSet::from_estimates(&[0.3], &[0.04]).unwrap();
    let m = RandomModel {
        test: Test::KnappHartung,
        ..RandomModel::default()
    };
    let text = m.pool(&set).unwrap().to_string();
    assert!(text.contains("Note: "), "{text}");
    assert!(
        text.contains("Test for overall effect: Z = 1.5000"),
        "{text}"
    );
    assert!(
        text.contains("Heterogeneity: Tau² = 0.0000; not applicable (one study)"),
        "{text}"
    );
}

#[test]
fn the_model_rule_gives_its_reason() {
    let set = EffectSet::from_estimates(&[0.1, 0.12, 0.11], &[0.01, 0.02, 0.015]).unwrap();
    let sel = ModelRule::default().select(&set).unwrap();
    let text = sel.to_string();
    assert!(
        text.starts_with("Model rule: fixed effect (heterogeneity P = "),
        "{text}"
    );
    assert!(text.contains("not below alpha = 0.1)"), "{text}");
    assert!(text.contains("Not chosen: Random-effects model (k = 3; tau² estimator: DL)"));
    let one = EffectSet::from_estimates(&[0.1], &[0.01]).unwrap();
    let sel = ModelRule::default().select(&one).unwrap();
    assert!(sel
        .to_string()
        .starts_with("Model rule: fixed effect (one study: no heterogeneity test)"));
}
