//! async-fetch: one async fetch, written once, run on every major runtime and client.
//!
//! This root package holds no logic of its own. It is the home of the
//! cross-runtime integration tests (`tests/`) and of `cargo bench`
//! (`benches/`). The code lives in `crates/`.
//!
//! # Layout
//!
//! - `crates/fetch-core`: the pattern, generic over runtime and client: `fetch_title`, `get_user`, the load engine.
//! - `crates/fetch-clients`: HTTP client adapters (reqwest, ...), one module each, behind cargo features.
//! - `crates/fetch-server`: the fixture HTTP server every test, demo and bench talks to.
//! - `crates/fetch-cli`: the command line shared by every runtime binary: parsing, progress, printers.
//! - `crates/fetch-tokio`: the tokio runtime adapter and the `fetch-tokio` binary.
