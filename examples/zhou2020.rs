//! Reproduce Zhou et al. 2020 (Stem Cells International 2020:6518508), Tables 2 and 3, from the
//! fixtures: for every row the model our Q-test rule selects from the printed Q p, the printed
//! estimate (95% CI) and p, a re-pool of single-study rows as one generic inverse-variance study,
//! and whether the printed figures are consistent with each other once rounding is allowed for.
//!
//! Run: `cargo run --example zhou2020`

use metapool::report::{decide_printed, Consistency, Printed, PublishedResult};
use metapool::{
    effect::Generic, effect::Scale, inference::ConfidenceLevel, pool::FixedModel,
    pool::ModelChoice, pool::ModelRule,
};
use serde_json::Value;

fn load(path: &str) -> Value {
    let p = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("reading {p}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {p}: {e}"))
}

fn text<'a>(row: &'a Value, key: &str) -> &'a str {
    row[key].as_str().unwrap_or("")
}

fn published(row: &Value) -> PublishedResult {
    let scale = if text(row, "measure") == "OR" {
        Scale::Log
    } else {
        Scale::Identity
    };
    PublishedResult::parse(
        text(row, "estimate"),
        text(row, "ci_lower"),
        text(row, "ci_upper"),
        text(row, "p"),
        scale,
    )
    .expect("fixture numbers parse")
}

fn verdict(c: &Consistency) -> String {
    if c.consistent {
        "consistent".to_string()
    } else {
        let names: Vec<String> = c
            .figures
            .iter()
            .filter(|f| f.conflicts)
            .map(|f| match f.feasible {
                Some((lo, hi)) => format!("{:?} should be in [{lo:.2}, {hi:.2}]", f.figure),
                None => format!("{:?}", f.figure),
            })
            .collect();
        format!("INCONSISTENT: {}", names.join("; "))
    }
}

/// For a single-study row: the study rebuilt from its printed estimate and CI, pooled alone.
fn recomputed(row: &Value, scale: Scale) -> String {
    if row["k"] != 1 {
        return "-".into();
    }
    let num = |k: &str| text(row, k).parse::<f64>().unwrap();
    let study = match Generic::from_ci(
        num("estimate"),
        num("ci_lower"),
        num("ci_upper"),
        ConfidenceLevel::default(),
        scale,
    ) {
        Ok(s) => s,
        Err(e) => return format!("error: {e}"),
    };
    match FixedModel::default().pool_studies(&[study]) {
        Ok(fit) => {
            let d = fit.display();
            format!(
                "{:.2} ({:.2}, {:.2}) p={}",
                d.estimate,
                d.lower,
                d.upper,
                format_p(fit.p)
            )
        }
        Err(e) => format!("error: {e}"),
    }
}

fn format_p(p: f64) -> String {
    if p < 0.00001 {
        "<0.00001".into()
    } else if p < 0.001 {
        format!("{p:.5}")
    } else {
        format!("{p:.3}")
    }
}

fn choice(c: Option<ModelChoice>) -> &'static str {
    match c {
        Some(ModelChoice::Fixed) => "Fixed",
        Some(ModelChoice::Random) => "Random",
        None => "?",
    }
}

fn print_table(title: &str, rows: &[&Value], rule: &ModelRule) -> (usize, usize) {
    println!("{title}");
    println!(
        "{:<15} {:<10} {:>2} {:>9} {:>7} {:>6} {:<26} {:>9}  {:<32} check",
        "Outcome",
        "Time",
        "k",
        "Q p",
        "printed",
        "rule",
        "Estimate (95% CI)",
        "P",
        "recomputed (k = 1)"
    );
    let (mut agree, mut consistent) = (0, 0);
    for row in rows {
        let q_p = row["q_p"].as_str().map(|t| Printed::parse(t).expect("Q p"));
        let ours = choice(decide_printed(rule, q_p.as_ref()));
        let pubd = published(row);
        let c = pubd.check();
        agree += usize::from(ours == text(row, "model"));
        consistent += usize::from(c.consistent);
        let est = format!(
            "{} ({}, {})",
            text(row, "estimate"),
            text(row, "ci_lower"),
            text(row, "ci_upper")
        );
        println!(
            "{:<15} {:<10} {:>2} {:>9} {:>7} {:>6} {:<26} {:>9}  {:<32} {}",
            text(row, "outcome"),
            text(row, "time"),
            row["k"],
            row["q_p"].as_str().unwrap_or("-"),
            text(row, "model"),
            ours,
            est,
            text(row, "p"),
            recomputed(row, pubd.scale),
            verdict(&c)
        );
    }
    println!(
        "  {} rows: rule agrees with the printed model in {agree}, figures consistent in {consistent}\n",
        rows.len()
    );
    (agree, consistent)
}

fn main() {
    let rule = ModelRule::default();
    let zhou = load("zhou2020/tables.json");
    let rows: Vec<&Value> = zhou["rows"].as_array().expect("rows").iter().collect();
    println!("Zhou et al. 2020, Stem Cells International 2020:6518508");
    println!(
        "Model rule: random effects when the Q-test p < {:.2}, fixed otherwise (RevMan 5.3).",
        rule.alpha()
    );
    println!("WMD rows on the identity scale; the OR row is checked on the log scale.\n");
    let t2: Vec<&Value> = rows.iter().copied().filter(|r| r["table"] == 2).collect();
    let t3: Vec<&Value> = rows.iter().copied().filter(|r| r["table"] == 3).collect();
    print_table(
        "Table 2. MSC vs control in lupus nephritis (RCTs)",
        &t2,
        &rule,
    );
    print_table(
        "Table 3. MSC before vs after (self-controlled series)",
        &t3,
        &rule,
    );

    let variants = load("zhou2020/text_variants.json");
    println!("Where the Results text prints a row differently from the tables:");
    for row in variants["rows"].as_array().expect("rows") {
        println!(
            "  {} {} ({}): {} ({}, {}) p = {} -> {}",
            text(row, "outcome"),
            text(row, "time"),
            text(row, "where"),
            text(row, "estimate"),
            text(row, "ci_lower"),
            text(row, "ci_upper"),
            text(row, "p"),
            verdict(&published(row).check())
        );
    }

    let kusuma = load("kusuma2025/abstract.json");
    println!("\nKusuma & Kurniati 2025 (random-effects SMDs, 9 RCTs, n = 485):");
    for row in kusuma["rows"].as_array().expect("rows") {
        println!(
            "  {:<10} SMD {} ({}, {}) p = {} -> {}",
            text(row, "outcome"),
            text(row, "estimate"),
            text(row, "ci_lower"),
            text(row, "ci_upper"),
            text(row, "p"),
            verdict(&published(row).check())
        );
    }
}
