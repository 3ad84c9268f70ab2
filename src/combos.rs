//! Every runtime + client combination: the registry's list (re-exported
//! from `fetch-registry`), and how to build each one inside this process
//! (for `cargo bench`).

use fetch_async_std::AsyncStdRuntime;
use fetch_clients::cyper::CyperClient;
use fetch_clients::hyper::HyperClient;
use fetch_clients::reqwest::ReqwestClient;
use fetch_clients::surf::SurfClient;
use fetch_clients::ureq::UreqClient;
use fetch_compio::{CompioRuntime, shard_maker};
use fetch_core::{ClientConfig, FetchError, HttpClient, LocalHttpClient, Sharding, Shards};
use fetch_smol::SmolRuntime;
use fetch_threads::ThreadsRuntime;
use fetch_tokio::TokioRuntime;

pub use fetch_registry::{COMBINATIONS, Client, Combo, Model, Runtime, Tls};

/// Something to do with one combination, given its runtime and client as
/// concrete types (a generic closure, which Rust has no syntax for).
pub trait Visit {
    /// Called once per combination of a Send runtime.
    fn visit<R: fetch_core::Runtime, C: HttpClient>(
        &mut self,
        combo: Combo,
        runtime: &R,
        client: C,
    );

    /// Called once per thread-per-core combination, with a runtime and a
    /// client on this thread and the way to start its shards.
    fn visit_local<C: LocalHttpClient>(&mut self, combo: Combo, local: LocalCombo<C>);
}

/// A thread-per-core combination as a visitor gets it: compio's, the one
/// thread-per-core runtime of the registry.
#[derive(Debug)]
pub struct LocalCombo<C> {
    /// A runtime on this thread.
    pub runtime: CompioRuntime,
    /// A client on this thread, with every connection.
    pub client: C,
    threads: usize,
    config: ClientConfig,
    /// Builds the client of each shard, on its thread.
    new_client: fn(&ClientConfig) -> Result<C, FetchError>,
}

impl<C: LocalHttpClient> LocalCombo<C> {
    /// The combination with `new_client`'s client, on a runtime and with a
    /// client built on this thread.
    fn new(
        os_threads: usize,
        threads: usize,
        config: &ClientConfig,
        new_client: fn(&ClientConfig) -> Result<C, FetchError>,
    ) -> Result<Self, FetchError> {
        Ok(LocalCombo {
            runtime: CompioRuntime::new(os_threads)
                .map_err(|e| FetchError::setup("the compio runtime", e))?,
            client: new_client(config)?,
            threads,
            config: config.clone(),
            new_client,
        })
    }

    /// Starts its shards for runs of `in_flight` requests in flight: one
    /// per worker thread, a runtime and a client each, the connections
    /// split between them.
    pub fn shards(&self, in_flight: usize) -> Result<Shards, FetchError> {
        let sharding = Sharding {
            shards: self.threads,
            connections: self.config.connections,
        };
        Shards::start(
            sharding,
            in_flight,
            shard_maker(&self.config, self.new_client),
        )
    }
}

/// Builds every combination in turn and hands it to `visitor`.
///
/// Async runtimes get `threads` workers; the threads baseline gets
/// `os_threads` (one per request in flight). Every client gets `config`.
pub fn for_each(
    threads: usize,
    os_threads: usize,
    config: &ClientConfig,
    visitor: &mut impl Visit,
) -> Result<(), FetchError> {
    let io = |e: std::io::Error| FetchError::transport("(building a runtime)", e);
    // Each runtime, then each of its clients: every variant named, so a
    // combination the registry adds fails to compile here until it is built.
    let not_built = |combo: Combo| {
        FetchError::setup(
            "the root package's combinations",
            format!("{combo} is not a combination of the registry"),
        )
    };
    for &combo in COMBINATIONS {
        match combo.runtime {
            Runtime::Tokio => {
                let rt = TokioRuntime::new(threads).map_err(io)?;
                match combo.client {
                    Client::Reqwest => visitor.visit(combo, &rt, ReqwestClient::new(config)?),
                    Client::Hyper => visitor.visit(combo, &rt, HyperClient::tokio(config)?),
                    Client::Surf | Client::Ureq | Client::Cyper => return Err(not_built(combo)),
                }
            }
            Runtime::Smol => {
                let rt = SmolRuntime::new(threads).map_err(io)?;
                match combo.client {
                    Client::Hyper => {
                        let client = HyperClient::smol_on(config, rt.executor())?;
                        visitor.visit(combo, &rt, client);
                    }
                    Client::Surf => visitor.visit(combo, &rt, SurfClient::new(config)),
                    Client::Reqwest | Client::Ureq | Client::Cyper => {
                        return Err(not_built(combo));
                    }
                }
            }
            Runtime::AsyncStd => {
                let rt = AsyncStdRuntime::new(threads).map_err(io)?;
                match combo.client {
                    Client::Surf => visitor.visit(combo, &rt, SurfClient::new(config)),
                    Client::Reqwest | Client::Hyper | Client::Ureq | Client::Cyper => {
                        return Err(not_built(combo));
                    }
                }
            }
            Runtime::Threads => {
                let rt = ThreadsRuntime::new(os_threads);
                match combo.client {
                    Client::Ureq => {
                        let client = rt.client(UreqClient::new(config)?);
                        visitor.visit(combo, &rt, client);
                    }
                    Client::Reqwest | Client::Hyper | Client::Surf | Client::Cyper => {
                        return Err(not_built(combo));
                    }
                }
            }
            Runtime::Compio => match combo.client {
                Client::Cyper => {
                    let local = LocalCombo::new(os_threads, threads, config, CyperClient::new)?;
                    visitor.visit_local(combo, local);
                }
                Client::Hyper => {
                    let local = LocalCombo::new(os_threads, threads, config, HyperClient::compio)?;
                    visitor.visit_local(combo, local);
                }
                Client::Reqwest | Client::Surf | Client::Ureq => return Err(not_built(combo)),
            },
        }
    }
    Ok(())
}
