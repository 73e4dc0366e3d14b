//! The 2x2-table measures of `metafor_measures2.rs`.

use metapool::effect::{
    ContinuityCorrection, CorrectionRule, EffectSize, PhiVariance, StudyEffect, TableEffect,
    TableMeasure, TwoByTwo,
};
use metapool::Error;
use serde_json::Value;

/// The table measure of escalc's name and `vtype`.
pub fn table_measure(measure: &str, vtype: Option<&str>) -> TableMeasure {
    match measure {
        "AS" => TableMeasure::ArcsineRiskDifference,
        "PHI" if vtype == Some("ST") => TableMeasure::Phi(PhiVariance::Stratified),
        "PHI" => TableMeasure::Phi(PhiVariance::CrossSectional),
        "YUQ" => TableMeasure::YulesQ,
        "YUY" => TableMeasure::YulesY,
        "RTET" => TableMeasure::Tetrachoric,
        "PBIT" => TableMeasure::ProbitDifference,
        "OR2DN" => TableMeasure::OddsRatioAsSmdNormal,
        "OR2DL" => TableMeasure::OddsRatioAsSmdLogistic,
        other => panic!("measure {other} is not wired in the test"),
    }
}

/// Study `i` of `entry` (inputs ai, bi, ci, di; escalc's add/to in `args`).
pub fn effect_of(measure: &str, entry: &Value, i: usize) -> Result<StudyEffect, Error> {
    let x = |name: &str| entry["inputs"][name][i].as_f64().unwrap_or(f64::NAN);
    let table = TwoByTwo::new(x("ai"), x("ai") + x("bi"), x("ci"), x("ci") + x("di"))?;
    let args = &entry["args"];
    let m = table_measure(measure, args["vtype"].as_str());
    let mut e = TableEffect::new(table, m);
    if let Some(add) = args["add"].as_f64() {
        let rule = match args["to"].as_str() {
            _ if add == 0.0 => CorrectionRule::Never,
            Some("all") => CorrectionRule::AllTables,
            _ => CorrectionRule::OnlyZeroCells,
        };
        let value = if add == 0.0 { 0.5 } else { add };
        e = e.with_correction(ContinuityCorrection::new(value, rule)?);
    }
    e.effect()
}
