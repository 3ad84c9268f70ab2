//! `fetch-threads`: the synchronous baseline, one OS thread per request in
//! flight with the blocking client ureq.
//!
//! Run with: `cargo run --release -p fetch-threads`

use std::process::ExitCode;

use fetch_cli::{App, Setup};
use fetch_threads::{ThreadsRuntime, UreqClient};

/// What this binary offers: its "runtime" and the clients it can drive.
const APP: App = App {
    binary: "fetch-threads",
    runtime: "threads",
    about: "async-fetch without async: one OS thread per request in flight, blocking \
            client ureq. The baseline the async runtimes are measured against.",
    clients: &["ureq"],
    legacy: None,
    thread_per_task: true,
    lacking: &[],
    http1_only: &[("ureq", "ureq 3 speaks HTTP/1.1 only")],
};

fn main() -> ExitCode {
    let setup = fetch_cli::parse(&APP);
    fetch_cli::exit(run(setup))
}

/// Builds the runtime and the client, then hands over to the shared commands.
fn run(setup: Setup) -> anyhow::Result<ExitCode> {
    // One thread per request in flight: as many threads as the command's
    // concurrency (`--threads` does not apply to this model).
    let runtime = ThreadsRuntime::new(setup.concurrency());
    let client = UreqClient::new(&setup.client_config)?;
    setup.run(&runtime, client)
}
