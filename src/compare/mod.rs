//! The pieces of `scripts/compare`, one job a file.
//!
//! `src/bin/compare.rs` only parses the command line and calls
//! [`driver::run`].
//!
//! # Layout
//!
//! - [`run`]: [`Run`], one run's record, the [`Tool`] that made it (a reference tool or a
//!   combination of the registry), the scenarios and their constants, and [`medians`] of rounds.
//! - [`parse`]: the other tools' output read into numbers: GNU time, wrk, oha.
//! - [`tables`]: the Markdown tables (each knows its columns), the headline against its targets,
//!   and the whole page.
//! - [`chart`]: the SVG chart.
//! - [`driver`]: the jobs, run one after the other against one server process, and the files
//!   written. It uses `run`, `parse`, `tables` and `chart`; none of them uses it.

pub mod chart;
pub mod driver;
pub mod parse;
pub mod run;
pub mod tables;

pub use run::{ReferenceTool, Run, Scenario, Tool, medians};
