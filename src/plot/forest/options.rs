//! What a forest plot shows besides the fit: the per-arm data columns, the labels under the
//! axis, the axis range and the prediction-interval bar.

use crate::effect::{Arm, TwoByTwo};
use crate::pool::PredictionKind;

/// The per-arm data columns of a forest plot, one entry per input study (included or not), in
/// input order.
///
/// ```
/// use metapool::prelude::*;
/// use metapool::plot::forest::{ArmData, Forest};
/// let arms = vec![(Arm::new(10.0, 2.0, 20.0)?, Arm::new(12.0, 3.0, 25.0)?)];
/// let studies = [MeanDifference::new(arms[0].0, arms[0].1)?];
/// let set = EffectSet::from_studies(&studies)?;
/// let svg = Forest::new(&set, &FixedModel::default().pool(&set)?).data(ArmData::Continuous(arms))?.to_svg()?;
/// // RevMan's continuous columns; MD -2.00 with v = 4/20 + 9/25: CI -2 -/+ 1.96 sqrt(0.56)
/// assert!(svg.contains(">Mean</text>") && svg.contains(">SD</text>"));
/// assert!(svg.contains("-2.00 [-3.47, -0.53]"));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ArmData {
    /// Events and totals per arm (RevMan "Events", "Total").
    Dichotomous(Vec<TwoByTwo>),
    /// Mean, SD and total per arm (RevMan "Mean", "SD", "Total"): (experimental, control).
    Continuous(Vec<(Arm, Arm)>),
}

impl ArmData {
    pub(super) fn len(&self) -> usize {
        match self {
            ArmData::Dichotomous(t) => t.len(),
            ArmData::Continuous(a) => a.len(),
        }
    }
}

/// The labels under the axis, either side of the line of no effect.
///
/// ```
/// use metapool::{effect::EffectSet, pool::FixedModel};
/// use metapool::plot::forest::{Favours, Forest};
/// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?;
/// let fit = FixedModel::default().pool(&set)?;
/// let svg = Forest::new(&set, &fit).favours(Favours::Hidden).to_svg()?;
/// assert!(!svg.contains("Favours"));
/// assert!(Forest::new(&set, &fit).to_svg()?.contains("Favours [experimental]")); // RevMan's default
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Favours {
    /// Left and right labels (RevMan: "Favours \[experimental\]", "Favours \[control\]").
    Labels {
        /// Under the left half of the axis.
        left: String,
        /// Under the right half.
        right: String,
    },
    /// No labels.
    Hidden,
}

impl Favours {
    /// "Favours `left`" and "Favours `right`".
    ///
    /// ```
    /// use metapool::plot::forest::Favours;
    /// assert_eq!(Favours::sides("BCG", "control"),
    ///     Favours::Labels { left: "Favours BCG".into(), right: "Favours control".into() });
    /// ```
    pub fn sides(left: &str, right: &str) -> Favours {
        Favours::Labels {
            left: format!("Favours {left}"),
            right: format!("Favours {right}"),
        }
    }
}

impl Default for Favours {
    /// RevMan's "Favours \[experimental\]" / "Favours \[control\]".
    fn default() -> Self {
        Favours::sides("[experimental]", "[control]")
    }
}

/// The range of the effect axis.
///
/// ```
/// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
/// # use metapool::prelude::*;
/// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
/// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
/// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
/// #     (27, 16886, 29, 17825)]
/// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
/// # let set = EffectSet::from_studies(&bcg)?;
/// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
/// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
/// use metapool::plot::forest::{AxisRange, Forest};
/// let fit = Pooler::default().pool(&set)?;
/// // symmetric about 1 on the log scale: the ticks of 1/x and x both appear
/// let svg = Forest::new(&set, &fit).axis_range(AxisRange::SymmetricAboutNull).to_svg()?;
/// assert!(svg.contains(">0.1</text>") && svg.contains(">10</text>"));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AxisRange {
    /// Symmetric about the line of no effect (about 1 on the log scale for ratios), as RevMan
    /// draws it; for proportions, which have no line of no effect, the data range.
    #[default]
    SymmetricAboutNull,
    /// The range of the data (point estimates and pooled intervals, study intervals up to
    /// twice that width; longer ones end in an arrow).
    Data,
    /// Proportions: the data range within [0, 1], no line of no effect (the automatic choice
    /// for logit, arcsine and Freeman-Tukey scales; use it for raw proportions).
    Proportion,
}

/// Whether the prediction interval of a random-effects total is drawn (a grey bar below it).
///
/// ```
/// // `set`: metafor's dat.bcg (13 BCG vaccine trials) as log risk ratios
/// # use metapool::prelude::*;
/// # let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
/// #     (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
/// #     (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
/// #     (27, 16886, 29, 17825)]
/// #     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
/// # let set = EffectSet::from_studies(&bcg)?;
/// # let alloc = ["random", "random", "random", "random", "alternate", "alternate", "random",
/// #     "random", "random", "systematic", "systematic", "systematic", "systematic"];
/// use metapool::plot::forest::{Forest, PredictionBar};
/// use metapool::pool::PredictionKind;
/// let fit = Pooler::default().pool(&set)?;
/// let svg = Forest::new(&set, &fit).prediction(PredictionBar::Shown(PredictionKind::Metafor)).to_svg()?;
/// // metafor predict(rma(yi, vi, method = "DL"), transf = exp): pi 0.16 to 1.54 (exp(-1.8582), exp(0.4299))
/// assert!(svg.contains("Prediction interval") && svg.contains("[0.16, 1.54]"));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PredictionBar {
    /// Not drawn (RevMan 5).
    #[default]
    Hidden,
    /// Drawn, with this kind of interval.
    Shown(PredictionKind),
}
