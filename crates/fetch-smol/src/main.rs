//! `fetch-smol`: async-fetch on smol.
//!
//! Run with: `cargo run --release -p fetch-smol` (a guided tour on the
//! embedded fixture server), or `cargo run --release -p fetch-smol -- --help`.

use std::process::ExitCode;

use fetch_cli::{App, Client, Runtime, Setup};
use fetch_clients::hyper::HyperClient;
use fetch_smol::SmolRuntime;

/// What this binary offers: the registry's smol and its clients; surf
/// only when built with the `surf` feature (it is unmaintained).
const APP: App = App::new(Runtime::Smol).with_features(&[
    #[cfg(feature = "surf")]
    "surf",
]);

fn main() -> ExitCode {
    let setup = fetch_cli::parse(&APP);
    fetch_cli::exit(run(setup))
}

/// Builds the runtime and the client, then hands over to the shared commands.
fn run(setup: Setup) -> anyhow::Result<ExitCode> {
    let runtime = SmolRuntime::new(setup.threads)?;
    match setup.client {
        Client::Hyper => {
            let client = HyperClient::smol_on(&setup.client_config, runtime.executor())?;
            setup.run(&runtime, client)
        }
        #[cfg(feature = "surf")]
        Client::Surf => {
            let client = fetch_clients::surf::SurfClient::new(&setup.client_config);
            setup.run(&runtime, client)
        }
        // Without the feature, parsing refused it, naming the feature.
        #[cfg(not(feature = "surf"))]
        Client::Surf => Err(setup.not_offered(Client::Surf)),
        other @ (Client::Reqwest | Client::Ureq | Client::Cyper) => Err(setup.not_offered(other)),
    }
}
