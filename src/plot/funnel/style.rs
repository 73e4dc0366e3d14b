//! How a funnel plot is drawn: its size, title and tick labels.

/// How the effect axis is labelled.
///
/// ```
/// use metapool::{effect::EffectSet, pool::FixedModel, effect::Scale, effect::Effect};
/// use metapool::plot::{funnel::Funnel, funnel::FunnelStyle, funnel::TickLabels};
/// let e = [(-0.9, 0.3), (-0.2, 0.05), (0.1, 0.2)].map(|(y, v)| Effect::new(y, v).unwrap());
/// let set = EffectSet::from_effects(e.to_vec(), Scale::Log)?;
/// let fit = FixedModel::default().pool(&set)?;
/// let style = FunnelStyle { tick_labels: TickLabels::Display, ..FunnelStyle::default() };
/// let svg = Funnel::new(&set, &fit)?.to_svg(&style)?;
/// assert!(svg.contains(">0.5</text>") && svg.contains(">1</text>")); // round ratios on the log axis
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum TickLabels {
    /// Values on the analysis scale (log ratios for ratio measures), as metafor by default.
    #[default]
    Analysis,
    /// Values on the display scale: for ratio measures, ticks at round ratios (0.5, 1, 2, ...)
    /// placed on the log axis (metafor `atransf = exp`).
    Display,
}

/// Size and labels of a funnel plot.
///
/// ```
/// use metapool::{effect::EffectSet, pool::FixedModel};
/// use metapool::plot::{funnel::Funnel, funnel::FunnelStyle};
/// let set = EffectSet::from_estimates(&[0.9, 0.6, 0.4], &[0.25, 0.12, 0.06])?;
/// let fit = FixedModel::default().pool(&set)?;
/// let style = FunnelStyle { title: Some("Funnel".into()), x_label: "Log odds ratio".into(), ..FunnelStyle::default() };
/// let svg = Funnel::new(&set, &fit)?.to_svg(&style)?;
/// assert!(svg.contains(">Log odds ratio</text>") && svg.contains("<title>Funnel</title>"));
/// let tiny = FunnelStyle { width: 100.0, ..FunnelStyle::default() };
/// assert!(Funnel::new(&set, &fit)?.to_svg(&tiny).is_err()); // below 200 pixels
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FunnelStyle {
    /// Width in pixels (at least 200).
    pub width: f64,
    /// Height in pixels (at least 200).
    pub height: f64,
    /// Title above the plot.
    pub title: Option<String>,
    /// Label of the effect axis.
    pub x_label: String,
    /// How effect-axis ticks are labelled.
    pub tick_labels: TickLabels,
}

impl Default for FunnelStyle {
    /// 640 x 480 pixels, no title, x axis "Effect".
    fn default() -> Self {
        FunnelStyle {
            width: 640.0,
            height: 480.0,
            title: None,
            x_label: "Effect".to_string(),
            tick_labels: TickLabels::Analysis,
        }
    }
}
