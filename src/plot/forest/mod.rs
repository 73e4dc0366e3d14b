//! The forest plot in RevMan 5's layout, as a standalone SVG document.
//!
//! ```text
//!                     Experimental   Control            Risk Ratio            Risk Ratio
//! Study or Subgroup   Events  Total  Events  Total  Weight  M-H, Random, 95% CI  M-H, Random, 95% CI
//! <subgroup>
//! Study A                 4    123      11    139    5.0%   0.41 [0.13, 1.26]     ──■──┼
//! ...
//! Subtotal (95% CI)          ...                            ...                    ◆
//! Total events             ...           ...
//! Heterogeneity: Tau² = ..; Chi² = .., df = .. (P = ..); I² = ..%
//! Test for overall effect: Z = .. (P = ..)
//! Total (95% CI)  ...                                                              ◆
//! Test for subgroup differences: Chi² = .., df = .. (P = ..), I² = ..%
//!                                                                    0.1  0.2  0.5  1  2  5  10
//!                                                       Favours [experimental]  Favours [control]
//! ```
//! Squares have an area proportional to the study's weight; confidence intervals beyond the
//! axis end in an arrow; the axis is symmetric about the line of no effect (on the log scale
//! for ratios, with the ticks of [`crate::plot::axis::log_ticks`], the crate's one log-axis rule).

mod layout;
mod marks;
mod options;
mod render;
mod sections;

use crate::effect::{BinaryMeasure, EffectSet, Scale};
use crate::error::{Error, Problem, Result};
use crate::heterogeneity::Heterogeneity;
use crate::pool::{FixedMethod, Model, Pooled};
use crate::print::Style;

pub use options::{ArmData, AxisRange, Favours, PredictionBar};

/// One study: its label, effect and weight in the total (none when not estimable).
#[derive(Debug, Clone, PartialEq)]
struct Study {
    label: String,
    effect: Option<(f64, f64)>,
    weight: Option<f64>,
}

/// A block of rows: an optional subgroup heading, its studies (input positions) and subtotal.
#[derive(Debug, Clone, PartialEq)]
struct Section {
    title: Option<String>,
    members: Vec<usize>,
    subtotal: Option<Pooled>,
}

/// Options of a forest plot (builder methods of [`Forest`]).
#[derive(Debug, Clone, PartialEq)]
struct Options {
    title: Option<String>,
    measure: Option<String>,
    method: Option<String>,
    arms: (String, String),
    favours: Favours,
    label_chars: usize,
    axis_range: AxisRange,
    axis_title: Option<String>,
    prediction: PredictionBar,
    style: Style,
}

/// A forest plot in RevMan 5's layout (see the [module documentation](self)).
///
/// ```
/// use metapool::{effect::EffectSet, effect::LogRiskRatio, pool::MantelHaenszel, effect::TwoByTwo};
/// use metapool::plot::forest::{ArmData, Favours, Forest};
/// let tables = vec![
///     TwoByTwo::new(4.0, 123.0, 11.0, 139.0)?,
///     TwoByTwo::new(6.0, 306.0, 29.0, 303.0)?,
///     TwoByTwo::new(3.0, 231.0, 11.0, 220.0)?,
/// ];
/// let studies: Vec<LogRiskRatio> = tables.iter().map(|&t| LogRiskRatio::new(t)).collect();
/// let set = EffectSet::from_studies(&studies)?;
/// let fit = metapool::pool::RandomModel::default().pool(&set)?;
/// let svg = Forest::new(&set, &fit)
///     .labels(&["Aronson 1948", "Ferguson & Simes 1949", "Rosenthal et al 1960"])?
///     .data(ArmData::Dichotomous(tables))?
///     .measure("Risk Ratio")
///     .favours(Favours::sides("BCG", "control"))
///     .to_svg()?;
/// assert!(svg.contains("Ferguson &amp; Simes 1949"));
/// assert!(svg.contains("IV, Random, 95% CI"));
/// assert_eq!(svg.matches("class=\"diamond\"").count(), 1);
/// assert!(svg.contains("Test for overall effect: Z = "));
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Forest {
    scale: Scale,
    studies: Vec<Study>,
    sections: Vec<Section>,
    total: Pooled,
    subgroup_test: Option<Heterogeneity>,
    data: Option<ArmData>,
    options: Options,
}

/// The most characters a study label may keep ([`Forest::label_chars`]).
///
/// ```
/// use metapool::{effect::EffectSet, pool::FixedModel, plot::forest::{Forest, MAX_LABEL_CHARS}};
/// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?;
/// let f = Forest::new(&set, &FixedModel::default().pool(&set)?);
/// assert!(f.clone().label_chars(MAX_LABEL_CHARS).is_ok() && f.label_chars(MAX_LABEL_CHARS + 1).is_err());
/// # Ok::<(), metapool::Error>(())
/// ```
pub const MAX_LABEL_CHARS: usize = 120;
/// The fewest characters a study label may be cut to.
///
/// ```
/// use metapool::{effect::EffectSet, pool::FixedModel, plot::forest::{Forest, MIN_LABEL_CHARS}};
/// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?;
/// let f = Forest::new(&set, &FixedModel::default().pool(&set)?);
/// assert!(f.clone().label_chars(MIN_LABEL_CHARS).is_ok() && f.label_chars(MIN_LABEL_CHARS - 1).is_err());
/// # Ok::<(), metapool::Error>(())
/// ```
pub const MIN_LABEL_CHARS: usize = 8;

fn length_error(name: &'static str, expected: usize, got: usize) -> Error {
    Error::InvalidParameter {
        name,
        problem: Problem::LengthMismatch { expected, got },
    }
}

impl Forest {
    /// The studies of `set` with their labels ("Study 1", "Study 2", ... when the set has none)
    /// and their weights in `fit`, and `fit` as the total; the set's 2x2 tables, if it carries
    /// them, as the data columns.
    ///
    /// ```
    /// use metapool::prelude::*;
    /// use metapool::plot::forest::Forest;
    /// let bcg = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619)]
    ///     .map(|(a, b, c, d)| LogRiskRatio::new(TwoByTwo::from_cells(a, b, c, d).unwrap()));
    /// let set = EffectSet::from_studies(&bcg)?;
    /// let svg = Forest::new(&set, &RandomModel::default().pool(&set)?).to_svg()?;
    /// // metafor: Aronson 1948 RR 0.4109 [0.1343, 1.2574]; cumul(...) after four trials 0.2412
    /// // [0.1875, 0.3103], Q = 1.0410 on 3 df (P = 0.7913)
    /// assert!(svg.contains(">Study 1</text>") && svg.contains("0.41 [0.13, 1.26]"));
    /// assert!(svg.contains("0.24 [0.19, 0.31]"));
    /// assert!(svg.contains("Chi² = 1.04, df = 3 (P = 0.79)"));
    /// assert!(svg.contains(">Risk Ratio</text>")); // the measure, from the set's tables
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new(set: &EffectSet, fit: &Pooled) -> Forest {
        let studies = studies_of(set, fit);
        let sections = vec![Section {
            title: None,
            members: (0..set.input_len()).collect(),
            subtotal: None,
        }];
        let mut f = Forest::from_parts(set.scale(), studies, sections, fit.clone());
        f.data = set.tables().map(|t| ArmData::Dichotomous(t.to_vec()));
        f.options.measure = set.measure().map(|m| {
            match (m, fit.model) {
                (_, Model::Fixed(FixedMethod::Peto)) => "Peto Odds Ratio",
                (BinaryMeasure::OddsRatio, _) => "Odds Ratio",
                (BinaryMeasure::RiskRatio, _) => "Risk Ratio",
                (BinaryMeasure::RiskDifference, _) => "Risk Difference",
            }
            .to_string()
        });
        f
    }

    fn from_parts(
        scale: Scale,
        studies: Vec<Study>,
        sections: Vec<Section>,
        total: Pooled,
    ) -> Forest {
        Forest {
            scale,
            studies,
            sections,
            total,
            subgroup_test: None,
            data: None,
            options: Options {
                title: None,
                measure: None,
                method: None,
                arms: ("Experimental".to_string(), "Control".to_string()),
                favours: Favours::default(),
                label_chars: 30,
                axis_range: AxisRange::default(),
                axis_title: None,
                prediction: PredictionBar::default(),
                style: Style::revman(),
            },
        }
    }

    /// Study labels, one per input study in input order.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, plot::forest::Forest};
    /// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?;
    /// let f = Forest::new(&set, &FixedModel::default().pool(&set)?);
    /// assert!(f.clone().labels(&["Ash 2001", "Bell & Co 2004"])?.to_svg()?.contains(">Bell &amp; Co 2004</text>"));
    /// assert!(f.labels(&["only one"]).is_err()); // one label per input study
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn labels<S: AsRef<str>>(mut self, labels: &[S]) -> Result<Forest> {
        if labels.len() != self.studies.len() {
            return Err(length_error("labels", self.studies.len(), labels.len()));
        }
        for (s, l) in self.studies.iter_mut().zip(labels) {
            s.label = l.as_ref().to_string();
        }
        Ok(self)
    }

    /// The per-arm data columns (one entry per input study).
    ///
    /// ```
    /// use metapool::prelude::*;
    /// use metapool::plot::forest::{ArmData, Forest};
    /// let tables = vec![TwoByTwo::from_cells(4, 119, 11, 128)?, TwoByTwo::from_cells(6, 300, 29, 274)?];
    /// let set = EffectSet::from_estimates(&[-0.89, -1.59], &[0.33, 0.19])?;
    /// let svg = Forest::new(&set, &FixedModel::default().pool(&set)?).data(ArmData::Dichotomous(tables))?.to_svg()?;
    /// assert!(svg.contains(">Events</text>") && svg.contains(">123</text>") && svg.contains(">306</text>"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn data(mut self, data: ArmData) -> Result<Forest> {
        if data.len() != self.studies.len() {
            return Err(length_error("data", self.studies.len(), data.len()));
        }
        self.data = Some(data);
        Ok(self)
    }

    /// A title above the plot.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, plot::forest::Forest};
    /// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?;
    /// let svg = Forest::new(&set, &FixedModel::default().pool(&set)?).title("Analysis 1.1").to_svg()?;
    /// assert!(svg.contains(">Analysis 1.1</text>"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn title(mut self, title: &str) -> Forest {
        self.options.title = Some(title.to_string());
        self
    }

    /// The name of the measure in the column headers ("Risk Ratio"; default from the set's
    /// 2x2 measure ("Odds Ratio", "Risk Ratio", "Risk Difference", "Peto Odds Ratio"), else
    /// from the scale: "Ratio", "Mean Difference", "Proportion", "Correlation").
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, plot::forest::Forest};
    /// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?;
    /// let f = Forest::new(&set, &FixedModel::default().pool(&set)?);
    /// assert!(f.clone().to_svg()?.contains(">Mean Difference</text>")); // from the identity scale
    /// assert!(f.measure("Std. Mean Difference").to_svg()?.contains(">Std. Mean Difference</text>"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn measure(mut self, name: &str) -> Forest {
        self.options.measure = Some(name.to_string());
        self
    }

    /// The method in the column headers instead of the one derived from the model ("IV,
    /// Fixed", "M-H, Fixed", "Peto, Fixed", "IV, Random"), e.g. "M-H, Random" for RevMan's
    /// random-effects model on 2x2 tables.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, plot::forest::Forest};
    /// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?;
    /// let f = Forest::new(&set, &FixedModel::default().pool(&set)?);
    /// assert!(f.clone().to_svg()?.contains("IV, Fixed, 95% CI"));
    /// assert!(f.method("M-H, Random").to_svg()?.contains("M-H, Random, 95% CI"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn method(mut self, method: &str) -> Forest {
        self.options.method = Some(method.to_string());
        self
    }

    /// The names of the two arms over the data columns (default "Experimental", "Control").
    ///
    /// ```
    /// use metapool::prelude::*;
    /// use metapool::plot::forest::Forest;
    /// let t = [LogRiskRatio::new(TwoByTwo::from_cells(4, 119, 11, 128)?)];
    /// let set = EffectSet::from_studies(&t)?;
    /// let svg = Forest::new(&set, &FixedModel::default().pool(&set)?).arms("BCG", "Control").to_svg()?;
    /// assert!(svg.contains(">BCG</text>") && svg.contains(">Control</text>"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn arms(mut self, experimental: &str, control: &str) -> Forest {
        self.options.arms = (experimental.to_string(), control.to_string());
        self
    }

    /// The labels under the axis.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, plot::forest::{Favours, Forest}};
    /// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?;
    /// let svg = Forest::new(&set, &FixedModel::default().pool(&set)?).favours(Favours::sides("A", "B")).to_svg()?;
    /// assert!(svg.contains(">Favours A</text>") && svg.contains(">Favours B</text>"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn favours(mut self, favours: Favours) -> Forest {
        self.options.favours = favours;
        self
    }

    /// The range of the effect axis.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, plot::forest::{AxisRange, Forest}};
    /// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?;
    /// let f = Forest::new(&set, &FixedModel::default().pool(&set)?);
    /// // the data range leaves out the symmetric axis's negative half
    /// assert!(f.clone().to_svg()?.contains(">-0.4</text>"));
    /// assert!(!f.axis_range(AxisRange::Data).to_svg()?.contains(">-0.4</text>"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn axis_range(mut self, range: AxisRange) -> Forest {
        self.options.axis_range = range;
        self
    }

    /// A caption under the axis (none by default, as RevMan).
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, plot::forest::Forest};
    /// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?;
    /// let svg = Forest::new(&set, &FixedModel::default().pool(&set)?).axis_title("Mean difference (mmHg)").to_svg()?;
    /// assert!(svg.contains(">Mean difference (mmHg)</text>"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn axis_title(mut self, title: &str) -> Forest {
        self.options.axis_title = Some(title.to_string());
        self
    }

    /// Whether and how the prediction interval of a random-effects total is drawn.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, pool::PredictionKind, plot::forest::{Forest, PredictionBar}};
    /// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.02])?;
    /// // a fixed-effect total has no prediction interval: nothing is drawn
    /// let svg = Forest::new(&set, &FixedModel::default().pool(&set)?)
    ///     .prediction(PredictionBar::Shown(PredictionKind::HigginsT)).to_svg()?;
    /// assert!(!svg.contains("Prediction interval"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn prediction(mut self, bar: PredictionBar) -> Forest {
        self.options.prediction = bar;
        self
    }

    /// The number style of the texts (default [`Style::revman`]: 2 decimals, RevMan p-values).
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, plot::forest::Forest, print::Style};
    /// let set = EffectSet::from_estimates(&[0.1, 0.3], &[0.01, 0.04])?;
    /// let svg = Forest::new(&set, &FixedModel::default().pool(&set)?).style(Style::metafor()).to_svg()?;
    /// // w = 100, 25: mu = (10 + 7.5) / 125 = 0.14, 4 decimals
    /// assert!(svg.contains(">0.1400 ["));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn style(mut self, style: Style) -> Forest {
        self.options.style = style;
        self
    }

    /// Cut study labels to `chars` characters (an ellipsis marks the cut); between
    /// [`MIN_LABEL_CHARS`] and [`MAX_LABEL_CHARS`], default 30.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::FixedModel, plot::forest::Forest};
    /// let set = EffectSet::from_estimates(&[0.1], &[0.01])?.with_labels(["Frimodt-Moller et al 1973"])?;
    /// let svg = Forest::new(&set, &FixedModel::default().pool(&set)?).label_chars(10)?.to_svg()?;
    /// assert!(svg.contains(">Frimodt-M…</text>"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn label_chars(mut self, chars: usize) -> Result<Forest> {
        if !(MIN_LABEL_CHARS..=MAX_LABEL_CHARS).contains(&chars) {
            return Err(Error::InvalidParameter {
                name: "label_chars",
                problem: Problem::OutOfRange {
                    lo: MIN_LABEL_CHARS as f64 - 1.0,
                    hi: MAX_LABEL_CHARS as f64 + 1.0,
                    got: chars as f64,
                },
            });
        }
        self.options.label_chars = chars;
        Ok(self)
    }

    /// Render as a standalone SVG document. Errors with [`Error::NonFinite`] when the data
    /// span more than an axis can show.
    ///
    /// ```
    /// use metapool::{effect::EffectSet, pool::RandomModel, plot::forest::Forest};
    /// let set = EffectSet::from_estimates(&[0.1, 0.9, 0.4], &[0.01, 0.02, 0.015])?;
    /// let svg = Forest::new(&set, &RandomModel::default().pool(&set)?).to_svg()?;
    /// // metafor rma(yi, vi, method = "DL"): tau² 0.1400, Q(df = 2) = 21.3846, z = 2.0160, p = 0.0438
    /// assert!(svg.contains("Heterogeneity: Tau² = 0.14; Chi² = 21.38, df = 2 (P = 0.00002); I² = 91%"));
    /// assert!(svg.contains("Test for overall effect: Z = 2.02 (P = 0.044)"));
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn to_svg(&self) -> Result<String> {
        render::render(self)
    }
}

/// Every input study of `set` with its label, its effect (as `fit` shows it, else the set's)
/// and its weight in `fit` (by input position).
fn studies_of(set: &EffectSet, fit: &Pooled) -> Vec<Study> {
    let mut studies: Vec<Study> = (0..set.input_len())
        .map(|i| Study {
            label: set
                .label(i)
                .map_or_else(|| format!("Study {}", i + 1), str::to_string),
            effect: None,
            weight: None,
        })
        .collect();
    for (e, &i) in set.effects().iter().zip(set.included()) {
        if let Some(s) = studies.get_mut(i) {
            s.effect = Some((e.estimate(), e.variance()));
        }
    }
    for p in &fit.studies {
        if let Some(s) = studies.get_mut(p.position) {
            s.weight = Some(p.weight);
            if let Some(e) = p.effect {
                s.effect = Some((e.estimate(), e.variance()));
            }
        }
    }
    studies
}
