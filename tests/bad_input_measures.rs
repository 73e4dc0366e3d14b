//! Rows 71-80 of the bad-input catalogue (`metapool::catalogue`): the effect sizes of issue 18.
//! Each test asserts the exact typed error (compared through `Debug`).

use metapool::effect::*;
use metapool::{Error, Problem};

#[track_caller]
fn expect_err<T: std::fmt::Debug>(result: metapool::Result<T>, expected: Error) {
    match result {
        Ok(v) => panic!("expected {expected:?}, got Ok({v:?})"),
        Err(e) => assert_eq!(format!("{e:?}"), format!("{expected:?}")),
    }
}

fn field(field: &'static str, problem: Problem) -> Error {
    Error::InvalidField { field, problem }
}

fn paired() -> PairedMeans {
    PairedMeans::new(5.0, 1.0, 4.0, 1.0, 20.0, 0.5).unwrap()
}

#[test]
fn r71_paired_correlation_out_of_range() {
    expect_err(
        PairedMeans::new(5.0, 1.0, 4.0, 1.0, 20.0, 1.5),
        field(
            "r",
            Problem::OutOfRange {
                lo: -1.0,
                hi: 1.0,
                got: 1.5,
            },
        ),
    );
}

#[test]
fn r72_change_scores_without_variance() {
    let studies = [paired(), PairedMeans { r: 1.0, ..paired() }]
        .map(|p| MeanChange::new(p, ChangeMeasure::StandardizedByChangeScore));
    expect_err(
        EffectSet::from_studies(&studies),
        Error::InvalidStudy {
            study: 1,
            field: "r",
            problem: Problem::DegenerateVariance(0.0),
        },
    );
}

#[test]
fn r73_standardized_change_with_two_participants() {
    let p = PairedMeans { n: 2.0, ..paired() };
    expect_err(
        MeanChange::new(p, ChangeMeasure::StandardizedByRawScore).effect(),
        field("n", Problem::TooSmall { min: 3.0, got: 2.0 }),
    );
}

#[test]
fn r74_ratio_of_means_not_positive() {
    let (a, b) = (
        Arm::new(-1.0, 1.0, 10.0).unwrap(),
        Arm::new(2.0, 1.0, 10.0).unwrap(),
    );
    expect_err(
        LogRatio::new(a, b, RatioMeasure::Means).effect(),
        field("m2", Problem::RatioNotPositive(-0.5)),
    );
}

#[test]
fn r75_log_mean_of_a_negative_mean() {
    let g = GroupSummary::new(-1.0, 1.0, 10.0).unwrap();
    expect_err(
        GroupEffect::new(g, GroupMeasure::LogMean).effect(),
        field("mean", Problem::NotPositive(-1.0)),
    );
}

#[test]
fn r76_alpha_of_one_or_more() {
    expect_err(
        CronbachAlpha::new(1.1, 5.0, 30.0),
        field(
            "alpha",
            Problem::OutOfRange {
                lo: f64::NEG_INFINITY,
                hi: 1.0,
                got: 1.1,
            },
        ),
    );
}

#[test]
fn r77_unbiased_correlation_with_four_participants() {
    let c = Correlation::new(0.3, 4.0).unwrap();
    expect_err(
        UnbiasedCorrelation::new(c).effect(),
        field("n", Problem::TooSmall { min: 5.0, got: 4.0 }),
    );
}

#[test]
fn r78_partial_correlation_without_residual_df() {
    expect_err(
        RegressionTest::new(1.0, 4.0, 3.0),
        field("n", Problem::TooSmall { min: 5.0, got: 4.0 }),
    );
}

#[test]
fn r79_semi_partial_r2_out_of_range() {
    let t = RegressionTest::new(1.0, 40.0, 3.0).unwrap();
    expect_err(
        SemiPartialCorrelation::new(t, 1.2),
        field(
            "r2",
            Problem::OutOfRange {
                lo: 0.0,
                hi: 1.0,
                got: 1.2,
            },
        ),
    );
}

#[test]
fn r80_tetrachoric_of_a_table_with_a_zero_cell() {
    let t = TwoByTwo::from_cells(0, 10, 5, 5).unwrap();
    expect_err(
        TableEffect::new(t, TableMeasure::Tetrachoric).effect(),
        field("events", Problem::DegenerateVariance(0.0)),
    );
}
