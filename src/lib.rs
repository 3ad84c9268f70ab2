//! async-fetch: one async fetch, written once, run on every major runtime and client.
//!
//! This root package is the home of what looks at all of them at once: the
//! cross-runtime integration tests (`tests/`), `cargo bench` (`benches/`) and
//! the `compare` program behind `scripts/compare`. The fetch logic itself
//! lives in `crates/`.
//!
//! # Layout
//!
//! - [`bench_filter`]: which of `cargo bench`'s points criterion will run, known before they are set up.
//! - [`harness`]: find (and build) the workspace's binaries; run the fixture server as a process.
//! - [`nginx`]: a real, stock web server (Debian's nginx) for tests, on a free port.
//! - [`combos`]: every runtime + client combination (the registry's, re-exported), and how to build each in-process.
//! - `src/bin/compare.rs` (with [`compare`]): runs every combination beside wrk and oha, writes table and chart.
//!
//! The crates:
//!
//! - `crates/fetch-registry`: the runtimes, clients and combinations, with their capabilities, as types.
//! - `crates/fetch-core`: the pattern, generic over runtime and client: `fetch_title`, `get_user`, the load engine.
//! - `crates/fetch-clients`: HTTP client adapters (reqwest, hyper, surf, ureq, cyper) behind cargo features.
//! - `crates/fetch-server`: the fixture HTTP server every test, demo and bench talks to.
//! - `crates/fetch-cli`: the command line shared by every runtime binary.
//! - `crates/fetch-tokio`, `fetch-smol`, `fetch-async-std`, `fetch-compio`: a runtime adapter and binary each.
//! - `crates/fetch-threads`: the synchronous baseline, one OS thread per request in flight.

pub mod bench_filter;
pub mod combos;
pub mod compare;
pub mod harness;
pub mod nginx;
