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
//! - [`chart`]: the SVG charts.
//! - [`placement`]: the server's CPUs and the clients' ([`placement::Placement`]), and a process's
//!   CPUs read back.
//! - [`environment`]: the run's id and what produced it (commit, rustc, crates, tools).
//! - [`readme`]: the README's results block, drawn from a committed run's results.json.
//! - [`render`]: the page and charts drawn from a results.json (as a run ends, or `--render`).
//! - [`servers`]: the fixture servers loaded: started here, or apart (`--server`), version-checked.
//! - [`driver`]: the jobs, run one after the other against one server process, and the files
//!   written. It uses the others; none of them uses it.

pub mod chart;
pub mod driver;
pub mod environment;
pub mod parse;
pub mod placement;
pub mod readme;
pub mod render;
pub mod run;
pub mod servers;
pub mod tables;

pub use run::{ReferenceTool, Run, Scenario, Tool, medians};
