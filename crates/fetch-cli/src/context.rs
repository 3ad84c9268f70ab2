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
}

/// What every command runs with.
#[derive(Debug)]
pub(crate) struct Context<'a, R, C> {
    pub(crate) runtime: &'a R,
    pub(crate) client: Arc<C>,
    pub(crate) timeout: Duration,
    pub(crate) app: App,
}

/// Starts the fixture server in this process, on its own threads.
pub(crate) fn embedded_server() -> anyhow::Result<Server> {
    Server::start(ServerConfig::default()).context("could not start the embedded fixture server")
}

/// Milliseconds, for what commands and lessons print.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The number of cores this process may use.
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
