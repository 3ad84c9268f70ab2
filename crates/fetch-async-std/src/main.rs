//! `fetch-async-std`: async-fetch on async-std with surf.
//!
//! Both are legacy: async-std is discontinued (RUSTSEC-2025-0052) and surf
//! is unmaintained. They are here for comparison only.
//!
//! Run with: `cargo run --release -p fetch-async-std`

use std::process::ExitCode;

use fetch_async_std::AsyncStdRuntime;
use fetch_cli::{App, Setup};
use fetch_clients::surf::SurfClient;

/// What this binary offers: its runtime and the clients it can drive.
const APP: App = App {
    binary: "fetch-async-std",
    runtime: "async-std",
    about: "async-fetch on async-std with surf.",
    clients: &["surf"],
    thread_per_task: false,
    lacking: &[],
    legacy: Some(
        "LEGACY: async-std is discontinued (RUSTSEC-2025-0052, use smol instead) and \
         surf is unmaintained (RUSTSEC-2025-0036); both are here only so you can \
         compare against them.",
    ),
    http1_only: &[("surf", fetch_cli::SURF_HTTP1)],
};

fn main() -> ExitCode {
    let setup = fetch_cli::parse(&APP);
    fetch_cli::exit(run(setup))
}

/// Builds the runtime and the client, then hands over to the shared commands.
fn run(setup: Setup) -> anyhow::Result<ExitCode> {
    let runtime = AsyncStdRuntime::new(setup.threads)?;
    let client = SurfClient::new(&setup.client_config);
    setup.run(&runtime, client)
}
