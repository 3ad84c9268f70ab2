//! `fetch-smol`: async-fetch on smol.
//!
//! Run with: `cargo run --release -p fetch-smol` (a guided tour on the
//! embedded fixture server), or `cargo run --release -p fetch-smol -- --help`.

use std::process::ExitCode;

use fetch_cli::{App, Setup};
use fetch_clients::hyper::HyperClient;
use fetch_smol::SmolRuntime;

/// What this binary offers: its runtime and the clients it can drive.
const APP: App = App {
    binary: "fetch-smol",
    runtime: "smol",
    about: "async-fetch on smol: the async fn pattern, measured.",
    clients: CLIENTS,
    legacy: None,
    thread_per_task: false,
    lacking: LACKING,
    http1_only: &[("surf", fetch_cli::SURF_HTTP1)],
};

/// surf only when built with the `surf` feature (it is unmaintained).
#[cfg(feature = "surf")]
const CLIENTS: &[&str] = &["hyper", "surf"];
#[cfg(not(feature = "surf"))]
const CLIENTS: &[&str] = &["hyper"];
#[cfg(feature = "surf")]
const LACKING: &[(&str, &str)] = &[];
#[cfg(not(feature = "surf"))]
const LACKING: &[(&str, &str)] = &[("surf", "surf")];

fn main() -> ExitCode {
    let setup = fetch_cli::parse(&APP);
    fetch_cli::exit(run(setup))
}

/// Builds the runtime and the client, then hands over to the shared commands.
fn run(setup: Setup) -> anyhow::Result<ExitCode> {
    let runtime = SmolRuntime::new(setup.threads)?;
    #[cfg(feature = "surf")]
    if setup.client == "surf" {
        let client = fetch_clients::surf::SurfClient::new(&setup.client_config);
        return setup.run(&runtime, client);
    }
    let client = HyperClient::smol_on(&setup.client_config, runtime.executor())?;
    setup.run(&runtime, client)
}
