//! `fetch-compio`: async-fetch on compio, thread-per-core with io_uring.
//!
//! Run with: `cargo run --release -p fetch-compio` (a guided tour on the
//! embedded fixture server), or `cargo run --release -p fetch-compio -- --help`.
//! `load` runs `--threads` shards, each a compio runtime and a cyper client
//! on a thread of its own.

use std::process::ExitCode;

use fetch_cli::{App, Setup};

/// What this binary offers: its runtime and the clients it can drive.
const APP: App = App {
    binary: "fetch-compio",
    runtime: "compio",
    about: "async-fetch on compio (thread-per-core, io_uring): the async fn pattern, measured.",
    clients: &["cyper"],
    legacy: None,
    thread_per_task: false,
    lacking: &[],
    http1_only: &[],
};

fn main() -> ExitCode {
    let setup = fetch_cli::parse(&APP);
    fetch_cli::exit(run(setup))
}

/// Hands the shared commands a maker of one runtime and one client per
/// shard, each built on the shard's own thread.
fn run(setup: Setup) -> anyhow::Result<ExitCode> {
    let make = fetch_compio::shard_maker(&setup.client_config);
    setup.run_local(make)
}
