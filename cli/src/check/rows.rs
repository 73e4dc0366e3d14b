//! One checked row of `metapool check`, written as JSON or as a table row.

use super::{figure_name, RowCheck, FIGURE_NAMES};
use crate::json::{self, Obj};
use metapool::pool::ModelChoice;
use std::io::{self, Write};

pub(super) fn json_row(b: &mut Vec<u8>, r: &RowCheck) {
    let mut o = Obj::open(b);
    o.str("label", &r.label);
    o.u64("line", r.line);
    let ok = r.consistency.consistent;
    o.key("consistent")
        .extend_from_slice(if ok { b"true" } else { b"false" });
    let figure = |f: &metapool::report::FigureCheck, b: &mut Vec<u8>| {
        let i = FIGURE_NAMES
            .iter()
            .position(|n| *n == figure_name(f.figure))
            .unwrap_or(0);
        let mut o = Obj::open(b);
        o.str("figure", figure_name(f.figure));
        o.str("printed", &r.texts[i]);
        o.f64("printed_lower", f.printed.0);
        o.f64("printed_upper", f.printed.1);
        o.opt_f64("feasible_lower", f.feasible.map(|x| x.0));
        o.opt_f64("feasible_upper", f.feasible.map(|x| x.1));
        o.close();
    };
    let conflicts: Vec<_> = r
        .consistency
        .figures
        .iter()
        .filter(|f| f.conflicts)
        .cloned()
        .collect();
    json::array(o.key("conflicts"), &conflicts, figure);
    json::array(o.key("figures"), &r.consistency.figures, figure);
    match &r.model {
        Some((m, ok, rule)) => {
            o.str("model", m);
            let b = o.key("model_rule_ok");
            match ok {
                Some(true) => b.extend_from_slice(b"true"),
                Some(false) => b.extend_from_slice(b"false"),
                None => json::null(b),
            }
            o.opt_str(
                "rule_model",
                rule.map(|c| match c {
                    ModelChoice::Fixed => "fixed",
                    ModelChoice::Random => "random",
                }),
            );
        }
        None => json::null(o.key("model_rule_ok")),
    }
    match &r.i2 {
        Some(((lo, hi), ok)) => {
            o.key("i2_ok")
                .extend_from_slice(if *ok { b"true" } else { b"false" });
            o.f64("i2_feasible_lower", *lo);
            o.f64("i2_feasible_upper", *hi);
        }
        None => json::null(o.key("i2_ok")),
    }
    o.close();
}

pub(super) fn table_row<W: Write>(out: &mut W, r: &RowCheck) -> io::Result<()> {
    let [e, lo, hi, p] = &r.texts;
    let label: String = r.label.chars().take(44).collect();
    let verdict = if r.consistency.consistent {
        "consistent".to_string()
    } else {
        "INCONSISTENT".to_string()
    };
    writeln!(
        out,
        "{:>5}  {label:<44}  {:>26}  {:>10}  {verdict}",
        r.line,
        format!("{e} [{lo}, {hi}]"),
        format!("p {p}")
    )?;
    for f in r.consistency.figures.iter().filter(|f| f.conflicts) {
        let i = FIGURE_NAMES
            .iter()
            .position(|n| *n == figure_name(f.figure))
            .unwrap_or(0);
        match f.feasible {
            Some((a, b)) => writeln!(
                out,
                "       {} printed {} conflicts: the other figures allow [{}, {}]",
                figure_name(f.figure),
                r.texts[i],
                sig(a),
                sig(b)
            )?,
            None => writeln!(
                out,
                "       {} printed {}: the other figures are inconsistent among themselves",
                figure_name(f.figure),
                r.texts[i]
            )?,
        }
    }
    if let Some((m, ok, rule)) = &r.model {
        let rule = match rule {
            Some(ModelChoice::Fixed) => "fixed",
            Some(ModelChoice::Random) => "random",
            None => "undecided (the printed Q-test p straddles the threshold)",
        };
        match ok {
            Some(true) => {}
            Some(false) => writeln!(
                out,
                "       model {m} does not follow the Q-test rule ({rule})"
            )?,
            None => writeln!(out, "       model {m}: the rule gives {rule}")?,
        }
    }
    if let Some(((lo, hi), ok)) = &r.i2 {
        if !ok {
            writeln!(
                out,
                "       I² disagrees with the printed Q and df: they allow [{lo:.1}%, {hi:.1}%]"
            )?;
        }
    }
    Ok(())
}

/// Six significant digits.
fn sig(x: f64) -> String {
    if x.is_finite() {
        format!("{}", (x * 1e6).round() / 1e6)
    } else {
        format!("{x}")
    }
}
