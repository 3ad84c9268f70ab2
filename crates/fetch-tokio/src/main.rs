//! `fetch-tokio`: async-fetch on tokio.
//!
//! Run with: `cargo run --release -p fetch-tokio` (a guided tour on the
//! embedded fixture server), or `cargo run --release -p fetch-tokio -- --help`.

use std::process::ExitCode;

use fetch_cli::{App, Client, Runtime, Setup};
use fetch_clients::hyper::HyperClient;
use fetch_clients::reqwest::ReqwestClient;
use fetch_tokio::TokioRuntime;

/// What this binary offers: the registry's tokio and its clients.
const APP: App = App::new(Runtime::Tokio);

fn main() -> ExitCode {
    let setup = fetch_cli::parse(&APP);
    fetch_cli::exit(run(setup))
}

/// Builds the runtime and the client asked for, then hands over to the
/// shared commands. The `match` names every client: one the registry adds
/// fails to compile here until it is built or refused.
fn run(setup: Setup) -> anyhow::Result<ExitCode> {
    let runtime = TokioRuntime::new(setup.threads)?;
    match setup.client {
        Client::Reqwest => {
            let client = ReqwestClient::new(&setup.client_config)?;
            setup.run(&runtime, client)
        }
        Client::Hyper => {
            let client = HyperClient::tokio(&setup.client_config)?;
            setup.run(&runtime, client)
        }
        other @ (Client::Surf | Client::Ureq | Client::Cyper) => Err(setup.not_offered(other)),
    }
}
