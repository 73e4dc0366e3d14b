//! Forest plots in RevMan 5's layout: a Zhou-style subgroup analysis of mean differences
//! (fixtures/cli/zhou_style_proteinuria.csv, random effects within each follow-up time), and
//! Mantel-Haenszel odds ratios of the aspirin trials of Fleiss (1993) with an added double-zero
//! trial (not estimable) and a long trial name (cut).
//!
//! ```sh
//! cargo run --example forest -- /tmp     # writes forest_zhou.svg, forest_or_mh.svg, forest_or_random.svg
//! rsvg-convert -o /tmp/forest_zhou.png /tmp/forest_zhou.svg
//! ```

use metapool::plot::forest::{ArmData, Favours, Forest};
use metapool::pool::PredictionKind;
use metapool::{
    effect::Arm, effect::EffectSet, effect::LogOddsRatio, effect::MeanDifference, effect::TwoByTwo,
    pool::FixedMethod, pool::FixedModel, pool::RandomModel, pool::SubgroupAnalysis,
    pool::SubgroupModel, pool::Tau2Estimator,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));

    // (a) subgroups: mean differences by follow-up time, DL within each subgroup
    let csv = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/cli/zhou_style_proteinuria.csv"
    ))?;
    let (mut names, mut times, mut arms, mut studies) = (vec![], vec![], vec![], vec![]);
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f[i].trim().parse::<f64>();
        let (a, b) = (
            Arm::new(num(2)?, num(3)?, num(4)?)?,
            Arm::new(num(5)?, num(6)?, num(7)?)?,
        );
        names.push(f[0].to_string());
        times.push(f[1].to_string());
        arms.push((a, b));
        studies.push(MeanDifference::new(a, b)?);
    }
    let set = EffectSet::from_studies(&studies)?.with_labels(names)?;
    let model = SubgroupModel::RandomSeparate(Tau2Estimator::DerSimonianLaird);
    let result = SubgroupAnalysis::new(model).pool(&set, &times)?;
    let svg = Forest::subgroups(&set, &times, &result)?
        .data(ArmData::Continuous(arms))?
        .arms("Treatment", "Control")
        .measure("Mean Difference")
        .favours(Favours::sides("[treatment]", "[control]"))
        .title("Change in proteinuria by follow-up time")
        .to_svg()?;
    std::fs::write(out.join("forest_zhou.svg"), svg)?;
    println!("{result:.2}");

    // (b) odds ratios, Mantel-Haenszel, with a double-zero trial
    let rows: [(&str, [f64; 4]); 9] = [
        ("MRC-1 1974", [49.0, 615.0, 67.0, 624.0]),
        ("CDP 1976", [44.0, 758.0, 64.0, 771.0]),
        ("MRC-2 1979", [102.0, 832.0, 126.0, 850.0]),
        ("GASP 1979", [32.0, 317.0, 38.0, 309.0]),
        ("PARIS 1980", [85.0, 810.0, 52.0, 406.0]),
        ("Hypothetical pilot (no deaths)", [0.0, 40.0, 0.0, 38.0]),
        ("AMIS 1980", [246.0, 2267.0, 219.0, 2257.0]),
        (
            "ISIS-2 Second International Study of Infarct Survival 1988",
            [1570.0, 8587.0, 1720.0, 8600.0],
        ),
        ("Small trial with one zero cell", [0.0, 25.0, 3.0, 24.0]),
    ];
    let ors = rows
        .iter()
        .map(|(_, [a, n1, c, n2])| Ok(LogOddsRatio::new(TwoByTwo::new(*a, *n1, *c, *n2)?)))
        .collect::<Result<Vec<_>, metapool::Error>>()?;
    // the set carries the labels and the 2x2 tables (the forest's data columns)
    let set = EffectSet::from_studies(&ors)?.with_labels(rows.iter().map(|r| r.0))?;
    let mh = FixedModel::mantel_haenszel().pool(&set)?;
    println!("{mh}");
    let svg = Forest::new(&set, &mh)
        .arms("Aspirin", "Placebo")
        .measure("Odds Ratio")
        .favours(Favours::sides("aspirin", "placebo"))
        .to_svg()?;
    std::fs::write(out.join("forest_or_mh.svg"), svg)?;

    // the same with RevMan's random-effects model on the tables (tau² from the Q about the
    // Mantel-Haenszel estimate) and its prediction interval
    let random = RandomModel::default().with_q_from(FixedMethod::MantelHaenszel);
    let svg = Forest::new(&set, &random.pool(&set)?)
        .arms("Aspirin", "Placebo")
        .measure("Odds Ratio")
        .method("M-H, Random")
        .prediction(metapool::plot::forest::PredictionBar::Shown(
            PredictionKind::HigginsT,
        ))
        .to_svg()?;
    std::fs::write(out.join("forest_or_random.svg"), svg)?;
    Ok(())
}
