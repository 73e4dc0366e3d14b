//! Plots as self-contained SVG text (no dependencies, no fonts embedded): the funnel plot, and
//! the SVG and axis helpers other plots (the command-line tool's forest plot) share with it.
//!
//! SVG is written by hand: a plot is a few dozen elements, and a plotting crate would add
//! dependencies (and font handling) without doing anything these few lines cannot.

pub mod axis;
pub mod funnel;
pub mod svg;

pub use funnel::{Funnel, FunnelPoint, FunnelStyle, TickLabels};
