//! The printed summaries of dat.bcg (13 BCG vaccine trials, log risk ratios): a random-effects
//! fit, the model rule's selection, subgroups by allocation, leave-one-out, influence, the bias
//! tests and trim-and-fill, in metafor's style and one in RevMan's.
//!
//! ```sh
//! cargo run --example print
//! ```

use metapool::bias::{rank_test, regression_test, trim_and_fill, EggerModel, TrimFillOptions};
use metapool::print::{LeaveOneOutTable, Style, Summarize};
use metapool::sensitivity::{influence, leave_one_out};
use metapool::{
    effect::Effect, effect::EffectSet, effect::Scale, pool::ModelRule, pool::Pooler,
    pool::RandomModel, pool::SubgroupAnalysis, pool::SubgroupModel,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/metafor/print/bcg_inputs.tsv"
    ))?;
    let (mut labels, mut alloc, mut effects) = (vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        labels.push(f[0].to_string());
        alloc.push(f[1].to_string());
        effects.push(Effect::new(f[6].parse::<f64>()?, f[7].parse::<f64>()?)?);
    }
    let set = EffectSet::from_effects(effects, Scale::Log)?.with_labels(labels)?;
    let dl: Pooler = RandomModel::default().into();
    let fit = RandomModel::default().pool(&set)?;
    println!("{fit}\n");
    println!("{}\n", fit.summary(Style::revman()));
    println!("{}\n", ModelRule::default().select(&set)?);
    let sub = SubgroupAnalysis::new(SubgroupModel::Fixed).pool(&set, &alloc)?;
    println!("{sub}\n");
    println!("{}\n", LeaveOneOutTable::new(&leave_one_out(&dl, &set)?));
    println!("{}\n", influence(&dl, &set)?);
    println!(
        "{}\n",
        regression_test(&set, EggerModel::MetaRegression(dl))?
    );
    println!("{}\n", rank_test(&set)?);
    println!("{}", trim_and_fill(&dl, &set, TrimFillOptions::default())?);
    Ok(())
}
