//! The measures of the command line, the CSV columns each one reads, and how one CSV row becomes
//! one study of the library.
//!
//! Every measure the contract names has a variant here; [`Measure::check_supported`] is where a
//! measure the library cannot compute yet is turned into a clear error before any input is read
//! (all are wired now). Wiring in a new library measure means: a [`study`] arm
//! and its columns in [`resolve`].

mod study;
pub use study::{any_zero, study, FieldError, Study, StudyOptions, Values};

use clap::ValueEnum;

/// `--measure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Measure {
    /// Mean difference (m1 - m2), columns m1,sd1,n1,m2,sd2,n2.
    #[value(name = "MD")]
    Md,
    /// Standardized mean difference, Hedges' g as metafor computes it (exact J, large-sample
    /// variance), columns m1,sd1,n1,m2,sd2,n2.
    #[value(name = "SMD")]
    Smd,
    /// Standardized mean difference as RevMan 5 computes it, columns m1,sd1,n1,m2,sd2,n2.
    #[value(name = "SMD-REVMAN")]
    SmdRevman,
    /// Pre/post mean change (after - before) of self-controlled studies: columns
    /// m_post,sd_post,m_pre,sd_pre,n, or m1,sd1,n1,m2,sd2,n2 with arm 1 = after, arm 2 = before
    /// and n1 = n2; optional column r (or --r, default 0).
    #[value(name = "PREPOST-MD")]
    PrepostMd,
    /// Odds ratio, columns events1,total1,events2,total2.
    #[value(name = "OR")]
    Or,
    /// Risk ratio, columns events1,total1,events2,total2.
    #[value(name = "RR")]
    Rr,
    /// Risk difference, columns events1,total1,events2,total2.
    #[value(name = "RD")]
    Rd,
    /// Peto odds ratio, columns events1,total1,events2,total2.
    #[value(name = "PETO-OR")]
    PetoOr,
    /// Generic inverse variance: estimate,se or estimate,ci_lower,ci_upper (see --scale).
    #[value(name = "GENERIC")]
    Generic,
    /// Raw proportion, columns events,total.
    #[value(name = "PR")]
    Pr,
    /// Logit proportion, columns events,total.
    #[value(name = "PLO")]
    Plo,
    /// Arcsine square-root proportion, columns events,total.
    #[value(name = "PAS")]
    Pas,
    /// Freeman-Tukey double-arcsine proportion, columns events,total.
    #[value(name = "PFT")]
    Pft,
    // Issue 18: metafor's further measures (escalc's names; see `issue18_study`).
    /// Raw mean change of one group measured twice (m1 - m2), columns m1,sd1,m2,sd2,n and r (or --r).
    #[value(name = "MC")]
    Mc,
    /// Standardized mean change, change-score standardization (metafor SMCC), columns m1,sd1,m2,sd2,n and r (or --r).
    #[value(name = "SMCC")]
    Smcc,
    /// Standardized mean change, raw-score standardization by sd1 (metafor SMCR), columns m1,sd1,m2,n and r (or --r).
    #[value(name = "SMCR")]
    Smcr,
    /// SMCR with Bonett's heteroscedastic variance (metafor SMCRH), columns m1,sd1,m2,sd2,n and r (or --r).
    #[value(name = "SMCRH")]
    Smcrh,
    /// Log ratio of the two means of one group measured twice (metafor ROMC), columns m1,sd1,m2,sd2,n and r (or --r).
    #[value(name = "ROMC")]
    Romc,
    /// Log ratio of means of two groups (metafor ROM), columns m1,sd1,n1,m2,sd2,n2.
    #[value(name = "ROM")]
    Rom,
    /// Log ratio of coefficients of variation (metafor CVR), columns m1,sd1,n1,m2,sd2,n2.
    #[value(name = "CVR")]
    Cvr,
    /// Log ratio of standard deviations (metafor VR), columns sd1,n1,sd2,n2.
    #[value(name = "VR")]
    Vr,
    /// Single-group mean (metafor MN), columns mean,sd,n.
    #[value(name = "MN")]
    Mn,
    /// Single-group log mean (metafor MNLN), columns mean,sd,n.
    #[value(name = "MNLN")]
    Mnln,
    /// Single-group log coefficient of variation (metafor CVLN), columns mean,sd,n.
    #[value(name = "CVLN")]
    Cvln,
    /// Single-group log standard deviation (metafor SDLN), columns sd,n.
    #[value(name = "SDLN")]
    Sdln,
    /// Cronbach's alpha, Hakstian-Whalen transform (metafor AHW), columns alpha,items,n.
    #[value(name = "AHW")]
    Ahw,
    /// Cronbach's alpha, Bonett transform (metafor ABT), columns alpha,items,n.
    #[value(name = "ABT")]
    Abt,
    /// Raw correlation (metafor COR), columns r,n.
    #[value(name = "COR")]
    Cor,
    /// Unbiased (Olkin-Pratt) correlation (metafor UCOR), columns r,n.
    #[value(name = "UCOR")]
    Ucor,
    /// Partial correlation from a t statistic (metafor PCOR), columns t,n,predictors.
    #[value(name = "PCOR")]
    Pcor,
    /// Fisher z of the partial correlation (metafor ZPCOR), columns t,n,predictors.
    #[value(name = "ZPCOR")]
    Zpcor,
    /// Semi-partial correlation (metafor SPCOR), columns t,n,predictors,r2.
    #[value(name = "SPCOR")]
    Spcor,
    /// Arcsine square-root risk difference (metafor AS), columns events1,total1,events2,total2.
    #[value(name = "AS")]
    As,
    /// Phi coefficient of a 2x2 table (metafor PHI), columns events1,total1,events2,total2.
    #[value(name = "PHI")]
    Phi,
    /// Yule's Q (metafor YUQ), columns events1,total1,events2,total2.
    #[value(name = "YUQ")]
    Yuq,
    /// Yule's Y (metafor YUY), columns events1,total1,events2,total2.
    #[value(name = "YUY")]
    Yuy,
    /// Tetrachoric correlation (metafor RTET), columns events1,total1,events2,total2.
    #[value(name = "RTET")]
    Rtet,
    /// Probit difference as an SMD (metafor PBIT), columns events1,total1,events2,total2.
    #[value(name = "PBIT")]
    Pbit,
    /// Log odds ratio as an SMD, normal (metafor OR2DN), columns events1,total1,events2,total2.
    #[value(name = "OR2DN")]
    Or2dn,
    /// Log odds ratio as an SMD, logistic (metafor OR2DL), columns events1,total1,events2,total2.
    #[value(name = "OR2DL")]
    Or2dl,
    /// Incidence rate, columns events,time.
    #[value(name = "IR")]
    Ir,
    /// Log incidence rate, columns events,time.
    #[value(name = "IRLN")]
    Irln,
    /// Square-root incidence rate, columns events,time.
    #[value(name = "IRS")]
    Irs,
    /// Freeman-Tukey incidence rate, columns events,time.
    #[value(name = "IRFT")]
    Irft,
    /// Incidence-rate ratio, columns events1,time1,events2,time2.
    #[value(name = "IRR")]
    Irr,
    /// Incidence-rate difference, columns events1,time1,events2,time2.
    #[value(name = "IRD")]
    Ird,
    /// Difference of square-root incidence rates, columns events1,time1,events2,time2.
    #[value(name = "IRSD")]
    Irsd,
}

impl Measure {
    /// The name as written on the command line and in the output.
    pub fn name(self) -> &'static str {
        match self {
            Measure::Md => "MD",
            Measure::Smd => "SMD",
            Measure::SmdRevman => "SMD-REVMAN",
            Measure::PrepostMd => "PREPOST-MD",
            Measure::Or => "OR",
            Measure::Rr => "RR",
            Measure::Rd => "RD",
            Measure::PetoOr => "PETO-OR",
            Measure::Generic => "GENERIC",
            Measure::Pr => "PR",
            Measure::Plo => "PLO",
            Measure::Ir => "IR",
            Measure::Irln => "IRLN",
            Measure::Irs => "IRS",
            Measure::Irft => "IRFT",
            Measure::Irr => "IRR",
            Measure::Ird => "IRD",
            Measure::Irsd => "IRSD",
            Measure::Pas => "PAS",
            Measure::Pft => "PFT",
            Measure::Mc => "MC",
            Measure::Smcc => "SMCC",
            Measure::Smcr => "SMCR",
            Measure::Smcrh => "SMCRH",
            Measure::Romc => "ROMC",
            Measure::Rom => "ROM",
            Measure::Cvr => "CVR",
            Measure::Vr => "VR",
            Measure::Mn => "MN",
            Measure::Mnln => "MNLN",
            Measure::Cvln => "CVLN",
            Measure::Sdln => "SDLN",
            Measure::Ahw => "AHW",
            Measure::Abt => "ABT",
            Measure::Cor => "COR",
            Measure::Ucor => "UCOR",
            Measure::Pcor => "PCOR",
            Measure::Zpcor => "ZPCOR",
            Measure::Spcor => "SPCOR",
            Measure::As => "AS",
            Measure::Phi => "PHI",
            Measure::Yuq => "YUQ",
            Measure::Yuy => "YUY",
            Measure::Rtet => "RTET",
            Measure::Pbit => "PBIT",
            Measure::Or2dn => "OR2DN",
            Measure::Or2dl => "OR2DL",
        }
    }

    /// A 2x2-table measure (OR, RR, RD, PETO-OR).
    pub fn is_binary(self) -> bool {
        matches!(
            self,
            Measure::Or | Measure::Rr | Measure::Rd | Measure::PetoOr
        )
    }

    /// A single-arm proportion (PR, PLO, PAS, PFT).
    pub fn is_proportion(self) -> bool {
        matches!(
            self,
            Measure::Pr | Measure::Plo | Measure::Pas | Measure::Pft
        )
    }

    /// Errors for a measure the library does not compute yet (none at the moment: RR, RD,
    /// PETO-OR and the proportions came with the library's measures).
    pub fn check_supported(self) -> Result<(), String> {
        Ok(())
    }

    /// How results are shown, given `--scale` for GENERIC.
    pub fn display(self, generic_log: bool) -> Display {
        match self {
            Measure::Or | Measure::Rr | Measure::PetoOr | Measure::Irr | Measure::Irln => {
                Display::Ratio
            }
            Measure::Generic if generic_log => Display::Ratio,
            Measure::Plo | Measure::Pas | Measure::Pft => Display::Proportion,
            Measure::Romc
            | Measure::Rom
            | Measure::Cvr
            | Measure::Vr
            | Measure::Mnln
            | Measure::Cvln
            | Measure::Sdln => Display::Ratio,
            _ => Display::Identity,
        }
    }
}

impl Measure {
    /// The analysis scale's name before any study is read (for a failed analysis).
    pub fn scale_name(self, display: Display) -> &'static str {
        match (self, display) {
            (_, Display::Ratio) => "log",
            (Measure::Plo, _) => "logit",
            (Measure::Pas, _) => "arcsine",
            (Measure::Pft, _) => "freeman-tukey",
            (Measure::Zpcor, _) => "fisher-z",
            _ => "identity",
        }
    }
}

/// How a measure's results are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// As analysed (differences, raw proportions).
    Identity,
    /// Analysed as a log ratio, shown as the ratio (`exp_*` fields, log axis).
    Ratio,
    /// Analysed on a transformed scale (logit, arcsine, Freeman-Tukey), shown as a proportion
    /// (`proportion_*` fields).
    Proportion,
}

/// A numeric input of a study: which CSV column feeds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    M1,
    Sd1,
    N1,
    M2,
    Sd2,
    N2,
    /// The one `n` of a pre/post study.
    N,
    R,
    Events1,
    Total1,
    Events2,
    Total2,
    Estimate,
    Se,
    CiLower,
    CiUpper,
    /// GENERIC: the sampling variance (metafor's `vi`), when there is no `se`.
    Vi,
    /// PCOR, ZPCOR, SPCOR: the t statistic of the coefficient (metafor `ti`).
    T,
    /// PCOR, ZPCOR, SPCOR: the number of predictors (metafor `mi`).
    Predictors,
    /// SPCOR: the model's R² (metafor `r2i`).
    R2,
    /// AHW, ABT: Cronbach's alpha (metafor `ai`).
    Alpha,
    /// AHW, ABT: the number of items (metafor `mi`).
    Items,
}

/// The columns of two arms with a continuous outcome: mean, SD and size of each.
const TWO_ARMS_CONTINUOUS: [(Slot, &str); 6] = [
    (Slot::M1, "m1"),
    (Slot::Sd1, "sd1"),
    (Slot::N1, "n1"),
    (Slot::M2, "m2"),
    (Slot::Sd2, "sd2"),
    (Slot::N2, "n2"),
];

/// Number of slots (the size of a row's value array).
pub const SLOTS: usize = 22;

impl Slot {
    /// Position in a row's value array.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// How a measure's slots are found in the header: `(slot, column name, required)`, tried in
/// order; alternatives are resolved by [`resolve`].
pub struct Binding {
    /// Slot and the CSV column index it reads.
    pub columns: Vec<(Slot, usize)>,
    /// For pre/post studies: whether the `n` column (instead of n1/n2) is used.
    pub prepost_single_n: bool,
    /// For pre/post studies: whether the columns are m_post/m_pre (instead of m1/m2).
    pub prepost_named: bool,
}

/// Find the columns a measure needs. `find` maps a column name to its index. Errors name the
/// missing column(s).
pub fn resolve(measure: Measure, find: &dyn Fn(&str) -> Option<usize>) -> Result<Binding, String> {
    use Slot::*;
    let need = |cols: &[(Slot, &str)]| -> Result<Vec<(Slot, usize)>, String> {
        let mut out = Vec::with_capacity(cols.len());
        let mut missing = Vec::new();
        for &(slot, name) in cols {
            match find(name) {
                Some(i) => out.push((slot, i)),
                None => missing.push(name),
            }
        }
        if missing.is_empty() {
            Ok(out)
        } else {
            Err(format!(
                "missing column{} {} required by --measure {}",
                if missing.len() > 1 { "s" } else { "" },
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                measure.name()
            ))
        }
    };
    let optional = |cols: &mut Vec<(Slot, usize)>, slot: Slot, name: &str| {
        if let Some(i) = find(name) {
            cols.push((slot, i));
        }
    };
    let mut b = Binding {
        columns: Vec::new(),
        prepost_single_n: false,
        prepost_named: false,
    };
    match measure {
        Measure::Md | Measure::Smd | Measure::SmdRevman => {
            b.columns = need(&TWO_ARMS_CONTINUOUS)?;
        }
        Measure::PrepostMd => {
            if find("m_post").is_some() || find("m_pre").is_some() {
                b.prepost_named = true;
                b.prepost_single_n = true;
                b.columns = need(&[
                    (M1, "m_post"),
                    (Sd1, "sd_post"),
                    (M2, "m_pre"),
                    (Sd2, "sd_pre"),
                    (N, "n"),
                ])?;
            } else if find("n").is_some() {
                b.prepost_single_n = true;
                b.columns = need(&[(M1, "m1"), (Sd1, "sd1"), (M2, "m2"), (Sd2, "sd2"), (N, "n")])?;
            } else {
                b.columns = need(&TWO_ARMS_CONTINUOUS)?;
            }
            optional(&mut b.columns, R, "r");
        }
        Measure::Or | Measure::Rr | Measure::Rd | Measure::PetoOr => {
            b.columns = need(&[
                (Events1, "events1"),
                (Total1, "total1"),
                (Events2, "events2"),
                (Total2, "total2"),
            ])?;
        }
        Measure::Generic => {
            b.columns = need(&[(Estimate, "estimate")])?;
            optional(&mut b.columns, Se, "se");
            optional(&mut b.columns, Vi, "vi");
            optional(&mut b.columns, CiLower, "ci_lower");
            optional(&mut b.columns, CiUpper, "ci_upper");
            let has = |s: Slot| b.columns.iter().any(|&(x, _)| x == s);
            let usable = has(Se) || has(Vi) || (has(CiLower) && has(CiUpper));
            if !usable {
                return Err(
                    "--measure GENERIC needs a column `se` (or `vi`), or both `ci_lower` and \
                     `ci_upper`"
                        .to_string(),
                );
            }
        }
        Measure::Pr | Measure::Plo | Measure::Pas | Measure::Pft => {
            b.columns = need(&[(Events1, "events"), (Total1, "total")])?;
        }
        Measure::Ir | Measure::Irln | Measure::Irs | Measure::Irft => {
            b.columns = need(&[(Events1, "events"), (Total1, "time")])?;
        }
        Measure::Irr | Measure::Ird | Measure::Irsd => {
            b.columns = need(&[
                (Events1, "events1"),
                (Total1, "time1"),
                (Events2, "events2"),
                (Total2, "time2"),
            ])?;
        }
        m => b.columns = crate::escalc_measures::columns(m, &need, &optional)?,
    }
    Ok(b)
}

/// The slot a library field name refers to, for naming the CSV column in an error.
pub fn field_slot(field: &str) -> Option<Slot> {
    use Slot::*;
    Some(match field {
        "m1" | "mean_post" => M1,
        "sd1" | "sd_post" => Sd1,
        "n1" => N1,
        "m2" | "mean_pre" => M2,
        "sd2" | "sd_pre" => Sd2,
        "n2" => N2,
        "n" => N,
        "r" => R,
        "events1" | "events" => Events1,
        "total1" | "total" | "time1" | "time" => Total1,
        "events2" => Events2,
        "total2" | "time2" => Total2,
        "estimate" => Estimate,
        "se" => Se,
        "ci_lower" => CiLower,
        "ci_upper" => CiUpper,
        "vi" => Vi,
        "mean" => M1,
        "sd" => Sd1,
        "t" => T,
        "predictors" => Predictors,
        "r2" => R2,
        "alpha" => Alpha,
        "items" => Items,
        _ => return None,
    })
}
