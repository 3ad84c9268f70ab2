//! `fetch-tokio`: async-fetch on tokio.
//!
//! Run with: `cargo run --release -p fetch-tokio` (a guided tour on the
//! embedded fixture server), or `cargo run --release -p fetch-tokio -- --help`.

use std::process::ExitCode;

use fetch_cli::{App, Setup};
use fetch_clients::hyper::HyperClient;
use fetch_clients::reqwest::ReqwestClient;
use fetch_tokio::TokioRuntime;

/// What this binary offers: its runtime and the clients it can drive.
const APP: App = App {
    binary: "fetch-tokio",
    runtime: "tokio",
    about: "async-fetch on tokio: the async fn pattern, measured.",
    clients: &["reqwest", "hyper"],
    legacy: None,
    thread_per_task: false,
    lacking: &[],
    http1_only: &[],
};

fn main() -> ExitCode {
    let setup = fetch_cli::parse(&APP);
    fetch_cli::exit(run(setup))
}

/// Builds the runtime and the client, then hands over to the shared commands.
fn run(setup: Setup) -> anyhow::Result<ExitCode> {
    let runtime = TokioRuntime::new(setup.threads)?;
    match setup.client {
        "hyper" => {
            let client = HyperClient::tokio(&setup.client_config)?;
            setup.run(&runtime, client)
        }
        _ => {
            let client = ReqwestClient::new(&setup.client_config)?;
            setup.run(&runtime, client)
        }
    }
}
