//! Plots as self-contained SVG text (no dependencies, no fonts embedded): the forest plot in
//! RevMan 5's layout, the funnel plot, and the SVG and axis helpers they share.
//!
//! SVG is written by hand: a plot is a few dozen elements, and a plotting crate would add
//! dependencies (and font handling) without doing anything these few lines cannot.

pub mod axis;
pub mod forest;
pub mod funnel;
pub mod svg;
