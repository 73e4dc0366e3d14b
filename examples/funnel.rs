//! Funnel plots with trim-and-fill for dat.bcg (log risk ratios) and dat.hackshaw1998 (log odds
//! ratios), read from the committed metafor fixture.
//!
//! ```sh
//! cargo run --example funnel -- /tmp    # writes funnel_bcg.svg, funnel_hackshaw.svg, funnel_generated.svg
//! ```

use metapool::bias::{regression_test, trim_and_fill, EggerModel, TrimFillOptions};
use metapool::plot::{funnel::Funnel, funnel::FunnelStyle, funnel::TickLabels};
use metapool::{
    effect::Effect, effect::EffectSet, effect::Scale, pool::FixedModel, pool::Pooler,
    pool::RandomModel, pool::Tau2Estimator,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).unwrap_or_else(|| ".".to_string());
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/metafor/sensitivity.json"
    ))?;
    let fx: serde_json::Value = serde_json::from_str(&text)?;
    let cases: [(&str, &str, &str, Pooler); 2] = [
        (
            "bcg_logrr",
            "BCG vaccine trials (dat.bcg), fixed effect",
            "Risk ratio (log scale)",
            FixedModel::default().into(),
        ),
        (
            "hackshaw1998",
            "Passive smoking and lung cancer (dat.hackshaw1998), DL",
            "Odds ratio (log scale)",
            RandomModel::default().into(),
        ),
    ];
    for (name, title, x_label, pooler) in cases {
        let d = fx["datasets"]
            .as_array()
            .and_then(|a| a.iter().find(|d| d["name"] == name))
            .ok_or("dataset missing")?;
        let col = |k: &str| -> Vec<f64> {
            d[k].as_array()
                .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
                .unwrap_or_default()
        };
        let effects = col("yi")
            .into_iter()
            .zip(col("vi"))
            .map(|(y, v)| Effect::new(y, v))
            .collect::<Result<Vec<_>, _>>()?;
        let set = EffectSet::from_effects(effects, Scale::Log)?;
        let fit = pooler.pool(&set)?;
        let egger = regression_test(&set, EggerModel::MetaRegression(pooler))?;
        let tf = trim_and_fill(&pooler, &set, TrimFillOptions::default())?;
        println!(
            "{name}: k = {}, pooled {:.4}; Egger z = {:.3}, p = {:.4}; trim-and-fill: {} filled on the {:?}, adjusted {:.4} ({:.4}, {:.4})",
            set.len(),
            fit.estimate,
            egger.statistic,
            egger.p,
            tf.k0,
            tf.side,
            tf.fit.estimate,
            tf.fit.ci_lower,
            tf.fit.ci_upper
        );
        let style = FunnelStyle {
            title: Some(title.to_string()),
            x_label: x_label.to_string(),
            tick_labels: TickLabels::Display,
            ..FunnelStyle::default()
        };
        let svg = Funnel::trim_and_fill(&set, &tf)?.to_svg(&style)?;
        let short = name.split('_').next().unwrap_or(name);
        let path = format!("{out}/funnel_{}.svg", short.trim_end_matches("1998"));
        std::fs::write(&path, svg)?;
        println!("wrote {path}");
    }

    // a plain funnel plot (no trim-and-fill) on the identity scale, REML random effects
    let d = fx["datasets"]
        .as_array()
        .and_then(|a| a.iter().find(|d| d["name"] == "gen_hetero_k25_seed703"))
        .ok_or("dataset missing")?;
    let col = |k: &str| -> Vec<f64> {
        d[k].as_array()
            .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
            .unwrap_or_default()
    };
    let set = EffectSet::from_estimates(&col("yi"), &col("vi"))?;
    let reml = RandomModel::default().with_estimator(Tau2Estimator::RestrictedMaximumLikelihood);
    let fit = reml.pool(&set)?;
    let style = FunnelStyle {
        title: Some("Generated data (k = 25), REML".to_string()),
        x_label: "Mean difference".to_string(),
        ..FunnelStyle::default()
    };
    let path = format!("{out}/funnel_generated.svg");
    std::fs::write(&path, Funnel::new(&set, &fit)?.to_svg(&style)?)?;
    println!("wrote {path}");
    Ok(())
}
