//! What every command and every lesson runs with: the binary's [`App`],
//! the runtime, the client, the time limit, and the embedded fixture server
//! they start when given no URL. Both `commands` and `lessons` use this module; neither uses the
//! other.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use fetch_registry::{COMBINATIONS, Client, Combo, Runtime};
use fetch_server::{Server, ServerConfig};

/// What a runtime binary offers: its runtime, as the registry describes
/// it, and the cargo features this build was compiled with (a client
/// behind one that is off is refused with the feature to turn on).
#[derive(Debug, Clone, Copy)]
pub struct App {
    /// The runtime it runs on; its binary, clients, `--help` line and
    /// legacy notice are the registry's.
    pub runtime: Runtime,
    /// The features of the registry's combinations ([`Combo::feature`])
    /// this build has.
    pub features: &'static [&'static str],
}

impl App {
    /// The binary of `runtime`, with every client that needs no feature.
    pub const fn new(runtime: Runtime) -> Self {
        App {
            runtime,
            features: &[],
        }
    }

    /// The same, built with `features` (those of its crate that bring a client).
    #[must_use]
    pub const fn with_features(self, features: &'static [&'static str]) -> Self {
        App { features, ..self }
    }

    /// The binary's name.
    pub const fn binary(&self) -> &'static str {
        self.runtime.binary()
    }

    /// For a legacy stack: the warning that `--help` and the tour carry.
    pub const fn legacy(&self) -> Option<&'static str> {
        self.runtime.legacy()
    }

    /// Whether this build has `combo`'s client.
    fn built(&self, combo: &Combo) -> bool {
        combo.feature.is_none_or(|f| self.features.contains(&f))
    }

    /// The clients this build drives; the first is the default.
    pub fn clients(&self) -> Vec<Client> {
        self.runtime
            .combos()
            .filter(|c| self.built(c))
            .map(|c| c.client)
            .collect()
    }

    /// The combinations of this runtime that this build left out, each
    /// with the cargo feature that brings it.
    pub fn lacking(&self) -> impl Iterator<Item = Combo> + '_ {
        self.runtime.combos().filter(|c| !self.built(c))
    }

    /// Every task is an OS thread of its own (the threads baseline): there
    /// are no worker threads to set, so `--threads` is refused.
    pub const fn thread_per_task(&self) -> bool {
        !self.runtime.takes_threads()
    }
}

/// Where a capability is to be had: `fetch-tokio --client reqwest or
/// hyper, fetch-smol --client hyper`, every combination that `has`, by
/// binary, for a refusal to point the right way.
pub(crate) fn combos_that(has: impl Fn(&Combo) -> bool) -> String {
    let mut by_binary: Vec<(&str, Vec<&str>)> = Vec::new();
    for combo in COMBINATIONS.iter().filter(|c| has(c)) {
        match by_binary.iter_mut().find(|(bin, _)| *bin == combo.binary()) {
            Some((_, clients)) => clients.push(combo.client.name()),
            None => by_binary.push((combo.binary(), vec![combo.client.name()])),
        }
    }
    by_binary
        .iter()
        .map(|(bin, clients)| format!("{bin} --client {}", clients.join(" or ")))
        .collect::<Vec<_>>()
        .join(", ")
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
