//! `fetch-compio`: async-fetch on compio, thread-per-core with io_uring.
//!
//! Run with: `cargo run --release -p fetch-compio` (a guided tour on the
//! embedded fixture server), or `cargo run --release -p fetch-compio -- --help`.
//! `load` runs `--threads` shards, each a compio runtime and a client on a
//! thread of its own: cyper (compio's own hyper client) or `--client hyper`
//! (this project's hyper pool, as on tokio and smol, over compio's sockets).

use std::process::ExitCode;

use fetch_cli::{App, Client, Runtime, Setup};
use fetch_clients::cyper::CyperClient;
use fetch_clients::hyper::HyperClient;
use fetch_compio::shard_maker;

/// What this binary offers: the registry's compio and its clients.
const APP: App = App::new(Runtime::Compio);

fn main() -> ExitCode {
    let setup = fetch_cli::parse(&APP);
    fetch_cli::exit(run(setup))
}

/// Hands the shared commands a maker of one runtime and one client per
/// shard, each built on the shard's own thread.
fn run(setup: Setup) -> anyhow::Result<ExitCode> {
    let config = setup.client_config.clone();
    match setup.client {
        Client::Cyper => setup.run_local(shard_maker(&config, CyperClient::new)),
        Client::Hyper => setup.run_local(shard_maker(&config, HyperClient::compio)),
        other @ (Client::Reqwest | Client::Surf | Client::Ureq) => Err(setup.not_offered(other)),
    }
}
