//! What every command and every lesson runs with: the runtime, the client,
//! the time limit, and the embedded fixture server they start when given
//! no URL. Both `commands` and `lessons` use this module; neither uses the
//! other.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use fetch_server::{Server, ServerConfig};

use crate::App;

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
