//! What every command and every lesson runs with: the binary's [`App`],
//! the runtime, the client, the time limit, and the embedded fixture server
//! they start when given no URL. Both `commands` and `lessons` use this module; neither uses the
//! other.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use fetch_server::{Server, ServerConfig};

/// What a runtime binary offers.
#[derive(Debug, Clone, Copy)]
pub struct App {
    /// The binary's name, for `--help`.
    pub binary: &'static str,
    /// The runtime it runs on.
    pub runtime: &'static str,
    /// One line for the top of `--help`.
    pub about: &'static str,
    /// The clients it supports; the first is the default.
    pub clients: &'static [&'static str],
    /// Clients this binary can offer but this build left out, each with
    /// the cargo feature that brings it: `(client, feature)`.
    pub lacking: &'static [(&'static str, &'static str)],
    /// For a legacy stack: the warning that `--help` and the tour carry.
    pub legacy: Option<&'static str>,
    /// Every task is an OS thread of its own (the threads baseline): there
    /// are no worker threads to set, so `--threads` is refused.
    pub thread_per_task: bool,
    /// Clients that speak HTTP/1.1 only, each with why: `--http2` with one
    /// of them is refused with that reason (exit 2).
    pub http1_only: &'static [(&'static str, &'static str)],
}

/// Why `--http2` is refused with surf, for the binaries that offer it.
pub const SURF_HTTP1: &str = "surf's HTTP client (async-h1) speaks HTTP/1.1 only; use fetch-tokio --client reqwest or hyper, or fetch-smol --client hyper";

/// What every command runs with.
#[derive(Debug)]
pub(crate) struct Context<'a, R, C> {
    pub(crate) runtime: &'a R,
    pub(crate) client: Arc<C>,
    pub(crate) timeout: Duration,
    pub(crate) app: App,
}

/// Starts the fixture server in this process, on its own threads.
/// It speaks HTTP/2 (prior knowledge) as well as HTTP/1.1, so `--http2`
/// works on it too.
pub(crate) fn embedded_server() -> anyhow::Result<Server> {
    Server::start(ServerConfig {
        http2: true,
        ..ServerConfig::default()
    })
    .context("could not start the embedded fixture server")
}

/// "tokio, 2 worker threads" or "threads, one OS thread per task": how the
/// runtime runs its tasks, as the tour, reports and lessons say it.
pub(crate) fn runtime_description(runtime: &impl fetch_core::Runtime) -> String {
    if runtime.thread_per_task() {
        format!("{}, one OS thread per task", runtime.name())
    } else if runtime.threads() == 1 {
        format!("{}, 1 worker thread", runtime.name())
    } else {
        format!("{}, {} worker threads", runtime.name(), runtime.threads())
    }
}

/// Milliseconds, for what commands and lessons print.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The number of cores this process may use.
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
