//! A sparse published dataset pooled by GLMM and by the Mantel-Haenszel method side by side.
//!
//! metadat's `dat.nielweise2007` (Niel-Weise et al. 2007; the odds-ratio example of Stijnen,
//! Hamza & Özdemir 2010): 18 trials of anti-infective-treated central venous catheters,
//! catheter-related bloodstream infections, with zero cells in 6 trials and one trial without
//! events in either arm. The GLMMs use the counts as they are (the double-zero trial is dropped,
//! as metafor's `drop00 = TRUE`); the Mantel-Haenszel estimate pools the raw counts, and the
//! inverse-variance analyses need 0.5 added to every cell of a table with a zero cell.
//!
//! Run:  cargo run --release --example glmm_sparse

use metapool::effect::{EffectSet, LogOddsRatio, TwoByTwo};
use metapool::glmm::{Glmm, GlmmData, GlmmModel};
use metapool::pool::{FixedModel, RandomModel};

const NIELWEISE2007: [(&str, u32, u32, u32, u32); 18] = [
    ("Bach 1996", 0, 116, 3, 117),
    ("George 1997", 1, 44, 3, 35),
    ("Maki 1997", 2, 208, 9, 195),
    ("Raad 1997", 0, 130, 7, 136),
    ("Heard 1998", 5, 151, 6, 157),
    ("Collin 1999", 1, 98, 4, 139),
    ("Hannan 1999", 1, 174, 3, 177),
    ("Marik 1999", 1, 74, 2, 39),
    ("Pierce 2000", 1, 97, 19, 103),
    ("Sheng 2000", 1, 113, 2, 122),
    ("Chatzinikolaou 2003", 0, 66, 7, 64),
    ("Corral 2003", 0, 70, 1, 58),
    ("Brun-Buisson 2004", 3, 188, 5, 175),
    ("Leon 2004", 6, 187, 11, 180),
    ("Yucel 2004", 0, 118, 0, 105),
    ("Moretti 2005", 0, 252, 1, 262),
    ("Rupp 2005", 1, 345, 3, 362),
    ("Osma 2006", 4, 64, 1, 69),
];

fn row(name: &str, k: usize, log_or: f64, se: f64, tau2: Option<f64>) {
    let z = 1.959963984540054;
    let tau = tau2.map_or("".to_owned(), |t| format!("{t:.4}"));
    println!(
        "{name:<44} {k:>3}  {:>6.3} [{:.3}, {:.3}]  {:>7}",
        log_or.exp(),
        (log_or - z * se).exp(),
        (log_or + z * se).exp(),
        tau
    );
}

fn main() -> Result<(), metapool::Error> {
    let tables: Vec<TwoByTwo> = NIELWEISE2007
        .iter()
        .map(|&(_, a, n1, c, n2)| TwoByTwo::new(a as f64, n1 as f64, c as f64, n2 as f64))
        .collect::<Result<_, _>>()?;
    println!("dat.nielweise2007: odds ratio of catheter-related bloodstream infection\n");
    println!(
        "{:<44} {:>3}  {:>6} {:>16}  {:>7}",
        "method", "k", "OR", "95% CI", "tau²"
    );
    let data = GlmmData::Tables(tables.clone());
    for model in [
        GlmmModel::UmFs,
        GlmmModel::UmRs,
        GlmmModel::CmEl,
        GlmmModel::CmAl,
    ] {
        for glmm in [Glmm::fixed(model), Glmm::random(model)] {
            let fit = glmm.fit(&data)?;
            let what = format!("GLMM {model} ({:?})", glmm.effects);
            row(&what, fit.k, fit.estimate, fit.se, Some(fit.tau2));
        }
    }
    let set = EffectSet::from_studies(
        &tables
            .iter()
            .map(|&t| LogOddsRatio::new(t))
            .collect::<Vec<_>>(),
    )?;
    let mh = FixedModel::mantel_haenszel().pool(&set)?;
    row(
        "Mantel-Haenszel (raw counts)",
        mh.k,
        mh.estimate,
        mh.se,
        None,
    );
    let iv = FixedModel::default().pool(&set)?;
    row(
        "inverse variance, fixed (0.5 to zero cells)",
        iv.k,
        iv.estimate,
        iv.se,
        None,
    );
    let dl = RandomModel::default().pool(&set)?;
    let tau2 = dl.heterogeneity.tau2;
    row(
        "inverse variance, DL (0.5 to zero cells)",
        dl.k,
        dl.estimate,
        dl.se,
        Some(tau2),
    );
    println!("\n{}", Glmm::random(GlmmModel::CmEl).fit(&data)?);
    Ok(())
}
