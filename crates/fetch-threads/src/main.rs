//! `fetch-threads`: the synchronous baseline, one OS thread per request in
//! flight with the blocking client ureq.
//!
//! Run with: `cargo run --release -p fetch-threads`

use std::process::ExitCode;

use fetch_cli::{App, Client, Runtime, Setup};
use fetch_threads::{ThreadsRuntime, UreqClient};

/// What this binary offers: the registry's threads baseline and its client.
const APP: App = App::new(Runtime::Threads);

fn main() -> ExitCode {
    let setup = fetch_cli::parse(&APP);
    fetch_cli::exit(run(setup))
}

/// Builds the runtime and the client, then hands over to the shared commands.
fn run(setup: Setup) -> anyhow::Result<ExitCode> {
    // One thread per request in flight: as many threads as the command's
    // concurrency (`--threads` does not apply to this model).
    let runtime = ThreadsRuntime::new(setup.concurrency());
    match setup.client {
        Client::Ureq => {
            let client = runtime.client(UreqClient::new(&setup.client_config)?);
            setup.run(&runtime, client)
        }
        other @ (Client::Reqwest | Client::Hyper | Client::Surf | Client::Cyper) => {
            Err(setup.not_offered(other))
        }
    }
}
