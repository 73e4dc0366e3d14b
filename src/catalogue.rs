//! # Bad-input catalogue
//!
//! What each kind of bad input gets: a typed [`Error`](crate::Error) naming the study (its
//! 0-based position in the input) and the field, or the parameter — never a panic, and never a
//! result containing a NaN or an infinity. Row `NN` is tested by `rNN_*` in
//! `tests/bad_input.rs`, which asserts the exact error (variant, study, field and problem).
//!
//! Arms, tables and corrections have public fields, so a value can bypass its constructor
//! (a struct literal, or deserialization); the effect sizes re-check their input, so such a
//! value fails the same way when the effects are computed (rows 13, 14, 38).
//!
//! Problems are abbreviated (`NotFinite(NaN)` is `problem: Problem::NotFinite(NaN)`).
//!
//! | # | Bad input | Example | Error |
//! |---|-----------|---------|-------|
//! | 01 | NaN estimate | `EffectSet::from_estimates(&[0.1, NaN, 0.3], ..)`, then pool | `InvalidStudy { study: 1, field: "estimate", problem: NotFinite(NaN) }` |
//! | 02 | +inf estimate | `y = [0.1, 0.2, inf]` | `InvalidStudy { study: 2, field: "estimate", NotFinite(inf) }` |
//! | 03 | -inf estimate | `y = [-inf, 0.2]` | `InvalidStudy { study: 0, field: "estimate", NotFinite(-inf) }` |
//! | 04 | NaN variance | `v = [0.1, NaN]` | `InvalidStudy { study: 1, field: "variance", NotFinite(NaN) }` |
//! | 05 | zero variance | `v = [0, 0.1]` | `InvalidStudy { study: 0, field: "variance", NotPositive(0) }` |
//! | 06 | negative variance | `v = [.., -0.5]` | `InvalidStudy { study: 2, field: "variance", NotPositive(-0.5) }` |
//! | 07 | infinite variance | `v = [inf, 0.1]` | `InvalidStudy { study: 0, field: "variance", NotFinite(inf) }` |
//! | 08 | zero SE | `Effect::from_se(0.1, 0.0)` | `InvalidField { field: "se", NotPositive(0) }` |
//! | 09 | negative SE | `Generic::from_se(0.1, -0.2, ..)` | `InvalidField { field: "se", NotPositive(-0.2) }` |
//! | 10 | SE whose square underflows | `Effect::from_se(0.1, 1e-200)` | `InvalidField { field: "se", DegenerateVariance(0) }` |
//! | 11 | SE whose square overflows | `Effect::from_se(0.1, 1e200)` | `InvalidField { field: "se", DegenerateVariance(inf) }` |
//! | 12 | estimates and variances of different lengths | `from_estimates(&[3 values], &[2 values])` | `InvalidParameter { name: "variances", OutOfRange { lo: 3, hi: 3, got: 2 } }` |
//! | 13 | an `Effect` deserialized with a negative variance | `{"estimate":0.2,"variance":-1.0}` as study 1 of `from_effects` | `InvalidStudy { study: 1, field: "variance", NotPositive(-1) }` |
//! | 14 | SD = 0 | `MeanDifference` study 1, arm 2 `sd = 0` | `InvalidStudy { study: 1, field: "sd2", NotPositive(0) }` |
//! | 15 | SD < 0 | study 0, arm 1 `sd = -1` | `InvalidStudy { study: 0, field: "sd1", NotPositive(-1) }` |
//! | 16 | SD NaN | `Arm::new(1.0, NaN, 10.0)` | `InvalidField { field: "sd", NotFinite(NaN) }` |
//! | 17 | n = 1 where an SD is needed | study 2, arm 1 `n = 1` | `InvalidStudy { study: 2, field: "n1", TooSmall { min: 2, got: 1 } }` |
//! | 18 | n = 0 | `Arm::new(1.0, 1.0, 0.0)` | `InvalidField { field: "n", TooSmall { min: 2, got: 0 } }` |
//! | 19 | non-integer n | study 0, arm 2 `n = 12.5` | `InvalidStudy { study: 0, field: "n2", NotInteger(12.5) }` |
//! | 20 | negative n | `Arm::new(1.0, 1.0, -4.0)` | `InvalidField { field: "n", Negative(-4) }` |
//! | 21 | infinite mean | study 0, arm 1 `mean = inf` | `InvalidStudy { study: 0, field: "m1", NotFinite(inf) }` |
//! | 22 | SMD arm with n = 1 | `StandardizedMeanDifference` study 0, arm 2 `n = 1` | `InvalidStudy { study: 0, field: "n2", TooSmall { min: 2, got: 1 } }` |
//! | 23 | mean difference that overflows | means `1e308` and `-1e308`, study 1 | `InvalidStudy { study: 1, field: "mean difference", NotFinite(inf) }` |
//! | 24 | MD variance that overflows | `sd = 1e200` | `InvalidStudy { study: 0, field: "mean difference", DegenerateVariance(inf) }` |
//! | 25 | MD variance that underflows | both `sd = 1e-200` | `InvalidStudy { study: 0, field: "mean difference", DegenerateVariance(0) }` |
//! | 26 | pre/post correlation outside [-1, 1] | `PrePostMeanDifference::new(d, 1.5)` | `InvalidField { field: "r", OutOfRange { lo: -1, hi: 1, got: 1.5 } }` |
//! | 27 | pre/post r = 1 with equal SDs (v = 0) | `PrePostMeanDifference::new(d, 1.0)` | `InvalidField { field: "r", DegenerateVariance(0) }` |
//! | 28 | events > total | study 1 `events1 = 21, total1 = 20` | `InvalidStudy { study: 1, field: "events1", EventsExceedTotal { events: 21, total: 20 } }` |
//! | 29 | negative count | study 2 `events2 = -1` | `InvalidStudy { study: 2, field: "events2", Negative(-1) }` |
//! | 30 | non-integer count | study 0 `events1 = 3.5` | `InvalidStudy { study: 0, field: "events1", NotInteger(3.5) }` |
//! | 31 | total of 0 | `TwoByTwo::new(0, 0, 7, 21)` | `InvalidField { field: "total1", TooSmall { min: 1, got: 0 } }` |
//! | 32 | NaN count (Mantel-Haenszel) | `MantelHaenszel::pool`, study 1 `total1 = NaN` | `InvalidStudy { study: 1, field: "total1", NotFinite(NaN) }` |
//! | 33 | all studies excluded: double-zero tables | two tables with no events | `AllExcluded { excluded: 2 }` (effect set, Mantel-Haenszel and `select_tables`) |
//! | 34 | all studies excluded: all events in both arms | `10/10` vs `12/12` | `AllExcluded { excluded: 1 }` |
//! | 35 | Mantel-Haenszel OR undefined | every table has `b = 0` (sum b c / N = 0) | `Undefined { what: "Mantel-Haenszel odds ratio", .. }` |
//! | 36 | zero cell with `CorrectionRule::Never` | study 1 `0/10` vs `3/10` | `InvalidStudy { study: 1, field: "events", DegenerateVariance(0) }` |
//! | 37 | continuity correction of 0 or NaN | `ContinuityCorrection::new(0.0, ..)` | `InvalidField { field: "continuity correction", NotPositive(0) }` (`NotFinite(NaN)`) |
//! | 38 | negative correction that bypassed the constructor | struct literal `value: -0.5`, study 1 | `InvalidStudy { study: 1, field: "continuity correction", NotPositive(-0.5) }` |
//! | 39 | empty study list | `from_estimates(&[], &[])`, `from_studies(&[])`, `MantelHaenszel::pool(&[])`, `from_effects(vec![])` | `Empty` |
//! | 40 | CI bounds swapped | `Generic::from_ci(0.5, 0.9, 0.1, ..)` | `InvalidField { field: "ci_lower", CiBoundsSwapped { lower: 0.9, upper: 0.1 } }` |
//! | 41 | CI of zero width | `Generic::from_ci(0.5, 0.5, 0.5, ..)` | `InvalidField { field: "ci_lower", CiBoundsSwapped { .. } }` |
//! | 42 | CI that does not contain the estimate | `Generic::from_ci(1.2, 0.1, 0.9, ..)` | `InvalidField { field: "estimate", CiExcludesEstimate { .. } }` |
//! | 43 | ratio or ratio CI bound <= 0 | `Generic::from_ci(1.2, 0.0, 1.9, .., Scale::Log)` | `InvalidField { field: "ci_lower", RatioNotPositive(0) }` |
//! | 44 | CI width that overflows | `Generic::from_ci(0, -1e308, 1e308, ..)` | `InvalidField { field: "se", NotFinite(inf) }` |
//! | 45 | NaN CI bound | `Generic::from_ci(0.5, NaN, 0.9, ..)` | `InvalidField { field: "ci_lower", NotFinite(NaN) }` |
//! | 46 | confidence level 0 | `ConfidenceLevel::new(0.0)` | `InvalidParameter { name: "level", OutOfRange { lo: 0, hi: 1, got: 0 } }` |
//! | 47 | confidence level 1 | `ConfidenceLevel::new(1.0)` | `InvalidParameter { name: "level", OutOfRange { .., got: 1 } }` |
//! | 48 | confidence level 1.5 | `ConfidenceLevel::new(1.5)` | `InvalidParameter { name: "level", OutOfRange { .., got: 1.5 } }` |
//! | 49 | confidence level NaN | `ConfidenceLevel::new(NaN)` | `InvalidParameter { name: "level", NotFinite(NaN) }` |
//! | 50 | confidence level given in percent, in JSON | `95` | deserialization error carrying `InvalidParameter { name: "level", .. got: 95 }` |
//! | 51 | alpha 0, 1, negative or NaN | `ModelRule::new(0.0)` ... | `InvalidParameter { name: "alpha", OutOfRange { .. } }` (`NotFinite(NaN)`) |
//! | 52 | alpha outside (0, 1) in JSON | a serialized `ModelRule` with `"alpha":10.0` | deserialization error carrying `InvalidParameter { name: "alpha", .. got: 10 }` |
//! | 53 | overflow of the inverse-variance sum | a subnormal variance `1e-320` (1/v = inf) | `NonFinite { what: "inverse-variance sums" }` |
//! | 54 | overflow of the weighted deviations | `y = [1e308, -1e308]` | `NonFinite { what: "inverse-variance sums" }` |
//! | 55 | overflow of the z statistic | `y = 1e300, v = 1e-300` | `NonFinite { what: "z statistic" }` |
//! | 56 | SMD whose mean difference overflows | means `1e308` and `-1e308` | `InvalidStudy { study: 0, field: "standardized mean difference", NotFinite(inf) }` |
//! | 57 | k = 1 with Hartung-Knapp (also ad hoc, t) | `RandomModel::default().with_test(Test::KnappHartung).pool(&one_study)` | `TooFewStudies { method: "a t-based test (k - 1 df)", needed: 2, got: 1 }` |
//! | 58 | non-convergence of Fisher scoring (REML, ML, EB; metafor mode only: the exact default cannot fail) | `Tau2Control::metafor().with_max_iterations(1)` | `NotConverged { method: "Fisher scoring", iterations: 2, last_iterate, last_change }` |
//! | 59 | non-convergence of the Paule-Mandel root search | the same control, `Tau2Estimator::PauleMandel` | `NotConverged { method: "Paule-Mandel root search", iterations: 1, .. }` |
//! | 60 | iteration control out of range | `with_max_iterations(0)`, `with_threshold(-1.0)` / `NaN` | `InvalidParameter { name: "max_iterations", TooSmall { min: 1, got: 0 } }`, `{ name: "threshold", NotPositive(-1) }` (`NotFinite(NaN)`) |
//! | 61 | proportion with events > total | `Proportion { events: 5, total: 3 }` as study 1 | `InvalidStudy { study: 1, field: "events", EventsExceedTotal { events: 5, total: 3 } }` |
//! | 62 | proportion with a total of 0 | `Proportion::new(0.0, 0.0)` | `InvalidField { field: "total", TooSmall { min: 1, got: 0 } }` |
//! | 63 | correlation of ±1 or beyond | `Correlation::new(1.0, 10.0)` | `InvalidField { field: "r", OutOfRange { lo: -1, hi: 1, got: 1 } }` |
//! | 64 | Fisher z with n < 4 | `FisherZ` of `Correlation { r: 0.5, n: 3 }`, study 0 | `InvalidStudy { study: 0, field: "n", TooSmall { min: 4, got: 3 } }` |
//! | 65 | prediction interval of a fixed-effect fit | `fixed.prediction_interval(..)` | `Undefined { what: "prediction interval", .. }` |
//! | 66 | subgroup labels of the wrong length | 2 labels for 5 studies | `InvalidParameter { name: "groups", OutOfRange { .. got: 2 } }` |
//! | 67 | batch layout inconsistent | last offset past the data; columns of different lengths | `InvalidLayout { why, at }` |
//! | 68 | invalid study inside a batch | NaN as study 1 of analysis 1 | by default (`OnFailure::Record`) the row's status `Failed(InvalidStudy)`, NaN results, the error in `failures`; with `OnFailure::Stop`: `InAnalysis { analysis: 1, source: InvalidStudy { study: 1, field: "estimate", NotFinite(NaN) } }` |
//! | 69 | negative tau² for the one-pass accumulator | `InverseVarianceSums::with_tau2(-1.0)` | `InvalidParameter { name: "tau2", Negative(-1) }` |
//! | 70 | risk ratios all excluded; Peto with no tables | double-zero table; `Peto::pool(&[])` | `AllExcluded { excluded: 1 }`; `Empty` |
//! | 71 | paired correlation outside [-1, 1] (issue 18; rows 71-80 are tested in `tests/bad_input_measures.rs`) | `PairedMeans::new(5, 1, 4, 1, 20, 1.5)` | `InvalidField { field: "r", OutOfRange { lo: -1, hi: 1, got: 1.5 } }` |
//! | 72 | change scores without variance (r = 1, equal SDs) | study 1 of `MeanChange` SMCC | `InvalidStudy { study: 1, field: "r", DegenerateVariance(0) }` |
//! | 73 | standardized mean change with n = 2 (escalc: NA) | `MeanChange` SMCR, `n = 2` | `InvalidField { field: "n", TooSmall { min: 3, got: 2 } }` |
//! | 74 | ratio of means that is not positive | `LogRatio` ROM, `m1 = -1, m2 = 2` | `InvalidField { field: "m2", RatioNotPositive(-0.5) }` |
//! | 75 | log mean of a negative mean | `GroupEffect` MNLN, `mean = -1` | `InvalidField { field: "mean", NotPositive(-1) }` |
//! | 76 | Cronbach's alpha of 1 or more | `CronbachAlpha::new(1.1, 5, 30)` | `InvalidField { field: "alpha", OutOfRange { lo: -inf, hi: 1, got: 1.1 } }` |
//! | 77 | unbiased correlation with n = 4 (escalc: NA) | `UnbiasedCorrelation` of `r = 0.3, n = 4` | `InvalidField { field: "n", TooSmall { min: 5, got: 4 } }` |
//! | 78 | partial correlation with n - m - 1 = 0 | `RegressionTest::new(1, 4, 3)` | `InvalidField { field: "n", TooSmall { min: 5, got: 4 } }` |
//! | 79 | semi-partial correlation with R² outside [0, 1] | `SemiPartialCorrelation::new(t, 1.2)` | `InvalidField { field: "r2", OutOfRange { lo: 0, hi: 1, got: 1.2 } }` |
//! | 80 | tetrachoric correlation of a table with a zero cell (on the boundary) | `TableEffect` RTET of `(0, 10, 5, 5)` | `InvalidField { field: "events", DegenerateVariance(0) }` |
//!
//! Overflow is reported, not hidden: a statistic that would be infinite or NaN is returned as
//! [`Error::NonFinite`](crate::Error::NonFinite) naming the quantity (rows 53-55). A p-value
//! that is merely tiny is not an error: it is reported down to the smallest positive `f64`
//! (about 4.9e-324) and is 0 only when it underflows (see [`inference`](crate::inference)).
