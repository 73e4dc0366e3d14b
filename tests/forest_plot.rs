//! Structural tests of the forest plot's SVG: every label present and escaped, one diamond per
//! pooled result, the log axis symmetric about 1, data columns and totals, validated options.

use metapool::plot::forest::{ArmData, AxisRange, Favours, Forest};
use metapool::{
    effect::Arm, effect::EffectSet, effect::LogOddsRatio, effect::MeanDifference, effect::TwoByTwo,
    pool::MantelHaenszel, pool::RandomModel, pool::SubgroupAnalysis, pool::SubgroupModel,
    pool::Tau2Estimator, Error,
};

/// The aspirin trials of Fleiss (1993) plus a double-zero trial.
fn tables() -> Vec<TwoByTwo> {
    [
        [49.0, 615.0, 67.0, 624.0],
        [44.0, 758.0, 64.0, 771.0],
        [102.0, 832.0, 126.0, 850.0],
        [0.0, 40.0, 0.0, 38.0],
        [32.0, 317.0, 38.0, 309.0],
    ]
    .iter()
    .map(|&[a, b, c, d]| TwoByTwo::new(a, b, c, d).unwrap())
    .collect()
}

const LABELS: [&str; 5] = [
    "MRC-1 <1974>",
    "CDP & \"friends\" 1976",
    "MRC-2 1979",
    "Double zero",
    "GASP 1979 with a very long name that must be cut somewhere",
];

fn or_forest() -> Forest {
    let t = tables();
    let ors: Vec<LogOddsRatio> = t.iter().map(|&x| LogOddsRatio::new(x)).collect();
    let set = EffectSet::from_studies(&ors).unwrap();
    let fit = MantelHaenszel::default().pool(&ors).unwrap();
    Forest::new(&set, &fit)
        .labels(&LABELS)
        .unwrap()
        .data(ArmData::Dichotomous(t))
        .unwrap()
        .measure("Odds Ratio")
}

/// The numbers of `attr="..."` in every element carrying `class="{class}"`.
fn attr_of(svg: &str, class: &str, attr: &str) -> Vec<f64> {
    svg.lines()
        .filter(|l| l.contains(&format!("class=\"{class}\"")))
        .filter_map(|l| {
            let key = format!(" {attr}=\"");
            let start = l.find(&key)? + key.len();
            let end = l[start..].find('"')? + start;
            l[start..end].parse().ok()
        })
        .collect()
}

/// The tick labels, in order (the texts right after each tick line).
fn tick_labels(svg: &str) -> Vec<String> {
    let lines: Vec<&str> = svg.lines().collect();
    lines
        .windows(2)
        .filter(|w| w[0].contains("class=\"tick\""))
        .map(|w| {
            let t = w[1];
            let s = t.find('>').unwrap() + 1;
            let e = t.rfind("</text>").unwrap();
            t[s..e].to_string()
        })
        .collect()
}

#[test]
fn labels_escaped_cut_and_not_estimable() {
    let svg = or_forest().to_svg().unwrap();
    assert!(svg.contains("MRC-1 &lt;1974&gt;"));
    assert!(svg.contains("CDP &amp; &quot;friends&quot; 1976"));
    assert!(svg.contains("MRC-2 1979") && svg.contains("Double zero"));
    assert!(!svg.contains("must be cut somewhere"));
    assert!(svg.contains("GASP 1979 with a very long na…"));
    assert!(svg.contains("Not estimable"));
    assert!(!svg.contains("<1974>"));
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
    // four estimable studies: four squares, one diamond
    assert_eq!(svg.matches("class=\"study\"").count(), 4);
    assert_eq!(svg.matches("class=\"diamond\"").count(), 1);
    for needle in [
        "Odds Ratio",
        "M-H, Fixed, 95% CI",
        "Events",
        "Total events",
        "Total (95% CI)",
        "Heterogeneity: Chi² = ",
        "Test for overall effect: Z = ",
        "Favours [experimental]",
        "Favours [control]",
    ] {
        assert!(svg.contains(needle), "{needle}");
    }
    // per-arm totals over all studies, events too: 615+758+832+40+317, 49+44+102+0+32
    assert!(svg.contains(">2562</text>") && svg.contains(">227</text>"));
}

#[test]
fn ratio_axis_is_symmetric_about_one_in_log_space() {
    for range in [AxisRange::SymmetricAboutNull, AxisRange::Data] {
        let svg = or_forest().axis_range(range).to_svg().unwrap();
        let labels = tick_labels(&svg);
        let ratios: Vec<f64> = labels.iter().map(|l| l.parse().unwrap()).collect();
        assert!(ratios.contains(&1.0), "{labels:?}");
        let xs = attr_of(&svg, "tick", "x1");
        // ticks equally spaced in log space: x proportional to ln(ratio)
        let slope = (xs[1] - xs[0]) / (ratios[1].ln() - ratios[0].ln());
        for (x, r) in xs.iter().zip(&ratios) {
            assert!((x - (xs[0] + slope * (r.ln() - ratios[0].ln()))).abs() < 0.2);
        }
        if range == AxisRange::SymmetricAboutNull {
            for (a, b) in ratios.iter().zip(ratios.iter().rev()) {
                assert!((a.ln() + b.ln()).abs() < 1e-9, "{labels:?}");
            }
            let (l, r) = (
                attr_of(&svg, "axis", "x1")[0],
                attr_of(&svg, "axis", "x2")[0],
            );
            let null = attr_of(&svg, "null", "x1")[0];
            assert!((null - (l + r) / 2.0).abs() < 0.1, "{l} {null} {r}");
        }
    }
}

#[test]
fn subgroups_have_subtotals_and_the_difference_test() {
    let arms = [
        (2.1, 1.2, 20.0, 2.6, 1.3, 20.0),
        (1.85, 0.95, 35.0, 2.45, 1.1, 33.0),
        (1.6, 1.0, 20.0, 2.5, 1.2, 20.0),
        (1.4, 0.85, 34.0, 2.3, 1.0, 32.0),
        (1.1, 0.7, 47.0, 2.4, 0.85, 44.0),
    ];
    let arms: Vec<(Arm, Arm)> = arms
        .iter()
        .map(|&(m1, s1, n1, m2, s2, n2)| {
            (Arm::new(m1, s1, n1).unwrap(), Arm::new(m2, s2, n2).unwrap())
        })
        .collect();
    let md: Vec<MeanDifference> = arms
        .iter()
        .map(|&(a, b)| MeanDifference::new(a, b).unwrap())
        .collect();
    let set = EffectSet::from_studies(&md).unwrap();
    let groups = ["1 month", "1 month", "3 months", "3 months", "3 months"];
    let model = SubgroupModel::RandomSeparate(Tau2Estimator::DerSimonianLaird);
    let res = SubgroupAnalysis::new(model).pool(&set, &groups).unwrap();
    let labels = ["A", "B", "C", "D", "E"];
    let svg = Forest::subgroups(&set, &groups, &res)
        .unwrap()
        .labels(&labels)
        .unwrap()
        .data(ArmData::Continuous(arms))
        .unwrap()
        .favours(Favours::Hidden)
        .to_svg()
        .unwrap();
    assert_eq!(svg.matches("class=\"diamond\"").count(), 2 + 1);
    assert_eq!(svg.matches("class=\"study\"").count(), 5);
    assert_eq!(svg.matches("Subtotal (95% CI)").count(), 2);
    for needle in [
        ">1 month<",
        ">3 months<",
        "Mean Difference",
        "IV, Random, 95% CI",
        "Test for subgroup differences: Chi² = ",
        ">Mean<",
        ">SD<",
    ] {
        assert!(svg.contains(needle), "{needle}");
    }
    assert!(!svg.contains("Favours"));
    // subtotal weights are the subgroup's share of the total
    let w: f64 = res.overall.weights()[..2].iter().sum();
    assert!(svg.contains(&format!(">{w:.1}%<")));
    // linear axis symmetric about 0
    let xs = attr_of(&svg, "tick", "x1");
    let null = attr_of(&svg, "null", "x1")[0];
    assert!((null - (xs[0] + xs[xs.len() - 1]) / 2.0).abs() < 0.1);
}

#[test]
fn options_are_validated() {
    let set = EffectSet::from_estimates(&[0.1, 0.2], &[0.01, 0.02]).unwrap();
    let fit = RandomModel::default().pool(&set).unwrap();
    let f = Forest::new(&set, &fit);
    assert!(matches!(
        f.clone().labels(&["one"]),
        Err(Error::InvalidParameter { name: "labels", .. })
    ));
    assert!(matches!(
        f.clone().data(ArmData::Dichotomous(tables())),
        Err(Error::InvalidParameter { name: "data", .. })
    ));
    assert!(f.clone().label_chars(3).is_err() && f.clone().label_chars(20).is_ok());
    let groups = ["a"];
    let res = SubgroupAnalysis::new(SubgroupModel::Fixed)
        .pool(&set, &["a", "b"])
        .unwrap();
    assert!(Forest::subgroups(&set, &groups, &res).is_err());
    // default labels
    let svg = f.to_svg().unwrap();
    assert!(svg.contains(">Study 1<") && svg.contains(">Study 2<"));
}

#[test]
fn extreme_values_give_a_finite_plot_or_an_error() {
    for (y, v) in [
        (vec![1e300, -1e300], vec![1e-2, 1e-2]),
        (vec![0.0, 1.0], vec![1e300, 1e300]),
        (vec![0.0, 0.0], vec![1e-300, 1e-300]),
        (vec![700.0, 701.0], vec![1.0, 1.0]),
    ] {
        let set = EffectSet::from_estimates(&y, &v).unwrap();
        let Ok(fit) = RandomModel::default().pool(&set) else {
            continue;
        };
        match Forest::new(&set, &fit).to_svg() {
            Ok(svg) => assert!(!svg.contains("NaN") && !svg.contains("inf"), "{y:?}"),
            Err(e) => assert!(matches!(e, Error::NonFinite { .. }), "{e:?}"),
        }
    }
}

#[test]
fn a_set_of_tables_brings_its_labels_data_and_measure() {
    let ors: Vec<LogOddsRatio> = tables().iter().map(|&t| LogOddsRatio::new(t)).collect();
    let set = EffectSet::from_studies(&ors)
        .unwrap()
        .with_labels(LABELS)
        .unwrap();
    let fit = MantelHaenszel::default().pool(&ors).unwrap();
    let svg = Forest::new(&set, &fit).to_svg().unwrap();
    assert!(svg.contains(">Odds Ratio<") && svg.contains(">M-H, Fixed, 95% CI<"));
    assert!(svg.contains("MRC-1 &lt;1974&gt;") && svg.contains(">Events<"));
    assert!(svg.contains(">2562</text>"));
}
