//! The printed summaries against the text metafor 3.8-1 prints for the same fits of dat.bcg
//! (log risk ratios; `fixtures/metafor/print/*.txt`, written by `capture.R` there). Layouts
//! differ by design, so the test compares numbers: every number metafor prints on the lines
//! checked must appear, with the same digits (4 decimals, metafor's default), in our text.

use metapool::bias::{rank_test, regression_test, trim_and_fill, EggerModel, TrimFillOptions};
use metapool::pool::Test;
use metapool::print::LeaveOneOutTable;
use metapool::sensitivity::{influence, leave_one_out};
use metapool::{
    effect::Effect, effect::EffectSet, effect::LogRiskRatio, effect::Scale, effect::TwoByTwo,
    inference::ConfidenceLevel, pool::FixedModel, pool::MantelHaenszel, pool::Pooler,
    pool::RandomModel, pool::SubgroupAnalysis, pool::SubgroupModel, pool::Tau2Estimator,
};

fn read(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/fixtures/metafor/print/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

struct Bcg {
    labels: Vec<String>,
    alloc: Vec<String>,
    tables: Vec<TwoByTwo>,
    set: EffectSet,
}

fn bcg() -> Bcg {
    let text = read("bcg_inputs.tsv");
    let (mut labels, mut alloc, mut tables, mut y, mut v) =
        (vec![], vec![], vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let n = |i: usize| f[i].parse::<f64>().unwrap();
        labels.push(f[0].to_string());
        alloc.push(f[1].to_string());
        // tpos, tneg, cpos, cneg -> events, total per arm
        tables.push(TwoByTwo::new(n(2), n(2) + n(3), n(4), n(4) + n(5)).unwrap());
        y.push(n(6));
        v.push(n(7));
    }
    let effects = y
        .iter()
        .zip(&v)
        .map(|(&y, &v)| Effect::new(y, v).unwrap())
        .collect();
    let set = EffectSet::from_effects(effects, Scale::Log)
        .unwrap()
        .with_labels(labels.clone())
        .unwrap();
    Bcg {
        labels,
        alloc,
        tables,
        set,
    }
}

/// The numeric tokens of a text: words that parse as numbers once brackets, commas, colons,
/// semicolons and percent signs are stripped; `<.0001` and `< .0001` become `<.0001`.
fn numbers(text: &str) -> Vec<String> {
    let text = text.replace("< .", "<.");
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| "[](),;:%=".contains(c)))
        .filter(|w| *w == "<.0001" || w.parse::<f64>().is_ok())
        .map(str::to_string)
        .collect()
}

/// The numbers on metafor's line that starts with `prefix` (after leading spaces), or on the
/// line after it when `next` is set (the value rows under a header).
fn metafor_line(file: &str, prefix: &str, next: bool) -> Vec<String> {
    let text = read(file);
    let lines: Vec<&str> = text.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.trim_start().starts_with(prefix))
        .unwrap_or_else(|| panic!("{file}: no line starting with {prefix:?}"));
    numbers(lines[i + usize::from(next)])
}

/// Every number of `want` appears in `ours`.
fn assert_shows(what: &str, ours: &str, want: &[String]) {
    let have = numbers(ours);
    assert!(!want.is_empty(), "{what}: nothing to compare");
    for w in want {
        assert!(
            have.contains(w),
            "{what}: metafor's {w} not in our text:\n{ours}"
        );
    }
}

fn fit_text_matches(file: &str, ours: &str) {
    // heterogeneity (tau², its SE, I², H², Q) and the model results row
    for (prefix, next) in [
        ("I^2", false),
        ("H^2", false),
        ("Q(df", false),
        ("estimate", true),
    ] {
        let mut want = metafor_line(file, prefix, next);
        if prefix == "Q(df" {
            want.remove(0); // the df, printed as "df = 12"
        }
        if prefix.starts_with('I') || prefix.starts_with('H') {
            want.retain(|w| w != "2");
        }
        assert_shows(&format!("{file} {prefix}"), ours, &want);
    }
    if read(file).contains("tau^2 (estimated") {
        assert_shows(
            &format!("{file} tau²"),
            ours,
            &metafor_line(file, "tau^2 (", false)[1..],
        );
    }
}

#[test]
fn pooled_summaries_show_metafor_numbers() {
    let b = bcg();
    let level = ConfidenceLevel::default();
    let fe = FixedModel::default().pool(&b.set).unwrap();
    fit_text_matches("bcg_rr_fe.txt", &format!("{fe}"));
    let dl = RandomModel::default().pool(&b.set).unwrap();
    fit_text_matches("bcg_rr_dl.txt", &format!("{dl}"));
    let reml = RandomModel::new(Tau2Estimator::RestrictedMaximumLikelihood, level);
    fit_text_matches("bcg_rr_reml.txt", &reml.pool(&b.set).unwrap().to_string());
    let mut knha = reml;
    knha.test = Test::KnappHartung;
    let text = knha.pool(&b.set).unwrap().to_string();
    fit_text_matches("bcg_rr_reml_knha.txt", &text);
    assert!(text.contains("t = -3.9522, df = 12 (P = 0.0019)"), "{text}");
    // back-transformed pooled row: metafor predict(dl, transf = exp) gives 0.4896 [0.3449, 0.6950]
    assert!(dl.to_string().contains("0.4896 [0.3449, 0.6950]"), "{dl}");
}

#[test]
fn mantel_haenszel_summary_shows_metafor_numbers() {
    let b = bcg();
    let rr: Vec<LogRiskRatio> = b.tables.iter().map(|&t| LogRiskRatio::new(t)).collect();
    let mh = MantelHaenszel::default().pool(&rr).unwrap();
    let text = mh.to_string();
    let file = "bcg_rr_mh.txt";
    let mut q = metafor_line(file, "Q(df", false);
    q.remove(0);
    assert_shows("MH Q", &text, &q);
    assert_shows("MH log scale", &text, &metafor_line(file, "estimate", true));
    let rr_scale = read(file);
    let rr_scale = rr_scale.split("(RR scale)").nth(1).unwrap();
    let row = rr_scale.lines().nth(3).unwrap();
    assert_shows("MH RR scale", &text, &numbers(row));
    assert!(text.starts_with("Fixed-effect model (k = 13; Mantel-Haenszel)"));
}

#[test]
fn sensitivity_tables_show_metafor_numbers() {
    let b = bcg();
    let dl: Pooler = RandomModel::default().into();
    let loo = leave_one_out(&dl, &b.set).unwrap();
    let ours = LeaveOneOutTable::new(&loo).to_string();
    let ours_rows: Vec<&str> = ours.lines().skip(3).collect();
    for (o, l) in ours_rows.iter().zip(&b.labels) {
        assert!(o.starts_with(&format!("Omitting {l}")), "{o}");
    }
    let theirs = read("bcg_rr_dl_leave1out.txt");
    let theirs_rows: Vec<&str> = theirs.lines().skip(2).take(13).collect();
    assert_eq!(ours_rows.len(), 13);
    for (i, (o, t)) in ours_rows.iter().zip(&theirs_rows).enumerate() {
        let label = &b.labels[i];
        // columns: estimate zval pval ci.lb ci.ub Q Qp tau2 I2 H2; p-values that round to
        // 0.0001 or 0.0000 in metafor's data frame print as "< .0001" in ours (print.rma's rule)
        let want: Vec<String> = numbers(t.trim_start_matches(label.as_str()))
            .into_iter()
            .enumerate()
            .map(|(j, w)| match j {
                2 | 6 if w.parse::<f64>().unwrap() <= 1e-4 => "<.0001".to_string(),
                _ => w,
            })
            .collect();
        assert_eq!(want.len(), 9, "{t}");
        assert_shows(&format!("leave-one-out row {i}"), o, &want);
    }
    let inf = influence(&dl, &b.set).unwrap();
    let ours = inf.to_string();
    let ours_rows: Vec<&str> = ours.lines().skip(3).collect();
    let theirs = read("bcg_rr_dl_influence.txt");
    let theirs_rows: Vec<&str> = theirs.lines().skip(2).take(13).collect();
    for (i, (o, t)) in ours_rows.iter().zip(&theirs_rows).enumerate() {
        let want = numbers(t.trim_start_matches(b.labels[i].as_str()));
        assert_eq!(want.len(), 9);
        assert!(o.starts_with(b.labels[i].as_str()), "{o}");
        assert_shows(&format!("influence row {i}"), o, &want);
    }
}

#[test]
fn bias_tests_show_metafor_numbers() {
    let b = bcg();
    let dl: Pooler = RandomModel::default().into();
    let reg = regression_test(&b.set, EggerModel::MetaRegression(dl)).unwrap();
    let text = reg.to_string();
    let file = "bcg_rr_dl_regtest.txt";
    assert_shows(
        "regtest",
        &text,
        &metafor_line(file, "Test for Funnel", false),
    );
    assert_shows(
        "regtest limit",
        &text,
        &metafor_line(file, "Limit Estimate", false)[1..],
    );
    assert!(text.contains("mixed-effects meta-regression model"));
    let lm = EggerModel::Classical(ConfidenceLevel::default());
    let text = regression_test(&b.set, lm).unwrap().to_string();
    let file = "bcg_rr_dl_regtest_lm.txt";
    assert_shows(
        "regtest lm",
        &text,
        &metafor_line(file, "Test for Funnel", false),
    );
    assert_shows(
        "regtest lm limit",
        &text,
        &metafor_line(file, "Limit Estimate", false)[1..],
    );
    let text = rank_test(&b.set).unwrap().to_string();
    assert_shows(
        "ranktest",
        &text,
        &metafor_line("bcg_rr_dl_ranktest.txt", "Kendall", false),
    );
    for (file, pooler) in [
        ("bcg_rr_dl_trimfill.txt", dl),
        ("bcg_rr_fe_trimfill.txt", FixedModel::default().into()),
    ] {
        let tf = trim_and_fill(&pooler, &b.set, TrimFillOptions::default()).unwrap();
        let text = tf.to_string();
        assert_shows(file, &text, &metafor_line(file, "Estimated number", false));
        fit_text_matches(file, &text);
    }
}

#[test]
fn subgroup_summary_shows_metafor_numbers() {
    let b = bcg();
    let res = SubgroupAnalysis::new(SubgroupModel::Fixed)
        .pool(&b.set, &b.alloc)
        .unwrap();
    let text = res.to_string();
    // the test for subgroup differences is the moderator model's QM, the residual QE
    let mut qm = metafor_line("bcg_rr_fe_subgroups_test.txt", "QM(df", false);
    qm.remove(0);
    assert_shows("QM", &text, &qm);
    let mut qe = metafor_line("bcg_rr_fe_subgroups_test.txt", "QE(df", false);
    qe.remove(0);
    assert_shows("QE", &text, &qe);
    assert!(
        text.contains("Chi² = 19.8654, df = 2 (P < .0001)"),
        "{text}"
    );
    for g in ["alternate", "random", "systematic"] {
        let file = format!("bcg_rr_fe_subgroup_{g}.txt");
        let section = text.split(&format!("\n{g}\n")).nth(1).unwrap();
        let end = section.find("Test for overall effect").unwrap();
        let section = &section[..end + section[end..].find('\n').unwrap()];
        // every study of the subgroup is listed by name
        for (i, a) in b.alloc.iter().enumerate() {
            assert_eq!(
                section.contains(b.labels[i].as_str()),
                a == g,
                "{g}: {}",
                b.labels[i]
            );
        }
        let mut want = metafor_line(&file, "Q(df", false);
        want.remove(0);
        // the estimate row: z and p; the CI is shown back-transformed, so check its exp
        let row = metafor_line(&file, "estimate", true);
        want.push(row[2].clone());
        assert_shows(&file, section, &want);
    }
}

#[test]
fn study_rows_show_metafor_numbers() {
    // metafor: summary(escalc(...), transf = exp) and weights(rma(..., method = "DL"))
    let b = bcg();
    let dl = RandomModel::default().pool(&b.set).unwrap();
    let ours = dl.to_string();
    let theirs = read("bcg_rr_dl_studies.tsv");
    for (line, label) in theirs.lines().zip(&b.labels) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f[0], label);
        let row = ours
            .lines()
            .find(|l| l.starts_with(label.as_str()))
            .unwrap_or_else(|| panic!("no row for {label}:\n{ours}"));
        let want = format!("{} [{}, {}]", f[1], f[2], f[3]);
        assert!(row.contains(&want), "{row} / {want}");
        assert!(row.ends_with(&format!("{}%", f[4])), "{row} / {}", f[4]);
    }
    let total = ours
        .lines()
        .find(|l| l.starts_with("Total (95% CI)"))
        .unwrap();
    assert!(
        total.contains(" 0.4896 [0.3449, 0.6950] ") && total.ends_with(" 100.00%"),
        "{total}"
    );
}
