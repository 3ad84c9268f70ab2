//! The pieces of `scripts/compare`, one job a file.
//!
//! `src/bin/compare.rs` only parses the command line and calls
//! [`driver::run`].
//!
//! # Layout
//!
//! - [`run`]: [`Run`], one run's record, and [`medians`] of repeated rounds.
//! - [`parse`]: the other tools' output read into numbers: GNU time, wrk, oha.
//! - [`tables`]: the Markdown tables, the headline against its targets, and the whole page.
//! - [`chart`]: the SVG chart.
//! - [`driver`]: the jobs, run one after the other against one server process, and the files written.

pub mod chart;
pub mod driver;
pub mod parse;
pub mod run;
pub mod tables;

pub use run::{Run, Scenario, medians};
