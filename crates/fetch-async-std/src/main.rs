//! `fetch-async-std`: async-fetch on async-std with surf.
//!
//! Both are legacy: async-std is discontinued (RUSTSEC-2025-0052) and surf
//! is unmaintained. They are here for comparison only.
//!
//! Run with: `cargo run --release -p fetch-async-std`

use std::process::ExitCode;

use fetch_async_std::AsyncStdRuntime;
use fetch_cli::{App, Client, Runtime, Setup};
use fetch_clients::surf::SurfClient;

/// What this binary offers: the registry's async-std and its client.
const APP: App = App::new(Runtime::AsyncStd);

fn main() -> ExitCode {
    let setup = fetch_cli::parse(&APP);
    fetch_cli::exit(run(setup))
}

/// Builds the runtime and the client, then hands over to the shared commands.
fn run(setup: Setup) -> anyhow::Result<ExitCode> {
    let runtime = AsyncStdRuntime::new(setup.threads)?;
    match setup.client {
        Client::Surf => {
            let client = SurfClient::new(&setup.client_config);
            setup.run(&runtime, client)
        }
        other @ (Client::Reqwest | Client::Hyper | Client::Ureq | Client::Cyper) => {
            Err(setup.not_offered(other))
        }
    }
}
