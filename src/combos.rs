//! Every runtime + client combination: the list, and how to build each one
//! inside this process (for `cargo bench`).

use fetch_async_std::AsyncStdRuntime;
use fetch_clients::cyper::CyperClient;
use fetch_clients::hyper::HyperClient;
use fetch_clients::reqwest::ReqwestClient;
use fetch_clients::surf::SurfClient;
use fetch_clients::ureq::UreqClient;
use fetch_compio::{CompioRuntime, shard_maker};
use fetch_core::{
    ClientConfig, FetchError, HttpClient, LocalHttpClient, LocalRuntime, Runtime, Shards,
};
use fetch_smol::SmolRuntime;
use fetch_threads::ThreadsRuntime;
use fetch_tokio::TokioRuntime;

/// One runtime + client pair and the binary that runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Combo {
    /// Runtime name, as reports print it.
    pub runtime: &'static str,
    /// Client name, as `--client` takes it.
    pub client: &'static str,
    /// The binary that runs it.
    pub binary: &'static str,
    /// Whether its runtime has a pool of worker threads that `--threads`
    /// sets. The threads baseline has none (one OS thread per request in
    /// flight) and refuses the flag.
    pub worker_threads: bool,
    /// Why it cannot speak https, or `None` when it can.
    pub no_tls: Option<&'static str>,
    /// Why it cannot speak HTTP/2, or `None` when it can.
    pub no_http2: Option<&'static str>,
    /// A thread-per-core runtime: its load runs on `--threads` shards, a
    /// runtime and a client each, and only some lessons run on it.
    pub thread_per_core: bool,
    /// Why its client has no connect timeout of its own (a connect that
    /// hangs then ends at the request's time limit, as `timeout`), or
    /// `None` when it has one (`connect_timeout`).
    pub no_connect_timeout: Option<&'static str>,
    /// The `Accept-Encoding` it sends: `None` for no header (every client
    /// but one), `Some("")` for an empty one.
    pub accept_encoding: Option<&'static str>,
}

/// surf's reason for each: its TLS stack is left out, its client is HTTP/1 only.
const SURF_NO_TLS: Option<&str> =
    Some("surf is built without TLS (RUSTSEC-2024-0336 in its rustls 0.18)");
const SURF_NO_H2: Option<&str> = Some("surf's async-h1 speaks HTTP/1.1 only");
const SURF_NO_CONNECT_TIMEOUT: Option<&str> =
    Some("surf 2 sets no connect timeout: the request's time limit ends the wait");
/// cyper's reason: its pool (hyper-util's) is built without one.
const CYPER_NO_CONNECT_TIMEOUT: Option<&str> =
    Some("cyper 0.9 sets no connect timeout: the request's time limit ends the wait");

impl Combo {
    /// `runtime+client`, the id benches and tables use.
    pub fn id(&self) -> String {
        format!("{}+{}", self.runtime, self.client)
    }

    /// `--threads N` for a binary whose runtime takes it; nothing for one
    /// that has no worker threads to set.
    pub fn threads_args(&self, threads: usize) -> Vec<String> {
        if self.worker_threads {
            vec!["--threads".to_owned(), threads.to_string()]
        } else {
            Vec::new()
        }
    }
}

/// Every combination, in the order tables list them.
pub const COMBINATIONS: &[Combo] = &[
    Combo {
        runtime: "tokio",
        client: "reqwest",
        binary: "fetch-tokio",
        worker_threads: true,
        no_tls: None,
        no_http2: None,
        no_connect_timeout: None,
        accept_encoding: None,
        thread_per_core: false,
    },
    Combo {
        runtime: "tokio",
        client: "hyper",
        binary: "fetch-tokio",
        worker_threads: true,
        no_tls: None,
        no_http2: None,
        no_connect_timeout: None,
        accept_encoding: None,
        thread_per_core: false,
    },
    Combo {
        runtime: "smol",
        client: "hyper",
        binary: "fetch-smol",
        worker_threads: true,
        no_tls: None,
        no_http2: None,
        no_connect_timeout: None,
        accept_encoding: None,
        thread_per_core: false,
    },
    Combo {
        runtime: "smol",
        client: "surf",
        binary: "fetch-smol",
        worker_threads: true,
        no_tls: SURF_NO_TLS,
        no_http2: SURF_NO_H2,
        no_connect_timeout: SURF_NO_CONNECT_TIMEOUT,
        accept_encoding: None,
        thread_per_core: false,
    },
    Combo {
        runtime: "async-std",
        client: "surf",
        binary: "fetch-async-std",
        worker_threads: true,
        no_tls: SURF_NO_TLS,
        no_http2: SURF_NO_H2,
        no_connect_timeout: SURF_NO_CONNECT_TIMEOUT,
        accept_encoding: None,
        thread_per_core: false,
    },
    Combo {
        runtime: "threads",
        client: "ureq",
        binary: "fetch-threads",
        worker_threads: false,
        no_tls: None,
        no_http2: Some("ureq 3 speaks HTTP/1.1 only"),
        no_connect_timeout: None,
        accept_encoding: None,
        thread_per_core: false,
    },
    Combo {
        runtime: "compio",
        client: "cyper",
        binary: "fetch-compio",
        worker_threads: true,
        no_tls: None,
        no_http2: None,
        no_connect_timeout: CYPER_NO_CONNECT_TIMEOUT,
        accept_encoding: Some(""),
        thread_per_core: true,
    },
    Combo {
        runtime: "compio",
        client: "hyper",
        binary: "fetch-compio",
        worker_threads: true,
        no_tls: None,
        no_http2: None,
        no_connect_timeout: None,
        accept_encoding: None,
        thread_per_core: true,
    },
];

/// Something to do with one combination, given its runtime and client as
/// concrete types (a generic closure, which Rust has no syntax for).
pub trait Visit {
    /// Called once per combination of a Send runtime.
    fn visit<R: Runtime, C: HttpClient>(&mut self, combo: Combo, runtime: &R, client: C);

    /// Called once per thread-per-core combination, with a runtime and a
    /// client on this thread and the way to start its shards.
    fn visit_local<R: LocalRuntime, C: LocalHttpClient>(
        &mut self,
        combo: Combo,
        local: LocalCombo<R, C>,
    );
}

/// A thread-per-core combination as a visitor gets it.
#[derive(Debug)]
pub struct LocalCombo<R, C> {
    /// A runtime on this thread.
    pub runtime: R,
    /// A client on this thread, with every connection.
    pub client: C,
    threads: usize,
    config: ClientConfig,
    start: fn(usize, usize, &ClientConfig) -> Result<Shards, FetchError>,
}

impl<R, C> LocalCombo<R, C> {
    /// Starts its shards for runs of `in_flight` requests in flight: one
    /// per worker thread, a runtime and a client each, the connections
    /// split between them.
    pub fn shards(&self, in_flight: usize) -> Result<Shards, FetchError> {
        (self.start)(self.threads, in_flight, &self.config)
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
    for &combo in COMBINATIONS {
        match (combo.runtime, combo.client) {
            ("tokio", "reqwest") => {
                let rt = TokioRuntime::new(threads).map_err(io)?;
                visitor.visit(combo, &rt, ReqwestClient::new(config)?);
            }
            ("tokio", "hyper") => {
                let rt = TokioRuntime::new(threads).map_err(io)?;
                let client = HyperClient::tokio(config)?;
                visitor.visit(combo, &rt, client);
            }
            ("smol", "hyper") => {
                let rt = SmolRuntime::new(threads).map_err(io)?;
                let client = HyperClient::smol_on(config, rt.executor())?;
                visitor.visit(combo, &rt, client);
            }
            ("smol", "surf") => {
                let rt = SmolRuntime::new(threads).map_err(io)?;
                visitor.visit(combo, &rt, SurfClient::new(config));
            }
            ("async-std", "surf") => {
                let rt = AsyncStdRuntime::new(threads).map_err(io)?;
                visitor.visit(combo, &rt, SurfClient::new(config));
            }
            ("threads", "ureq") => {
                let rt = ThreadsRuntime::new(os_threads);
                visitor.visit(combo, &rt, UreqClient::new(config)?);
            }
            ("compio", "cyper") => {
                let local = LocalCombo {
                    runtime: CompioRuntime::new(os_threads).map_err(io)?,
                    client: CyperClient::new(config)?,
                    threads,
                    config: config.clone(),
                    start: |threads, in_flight, config| {
                        let make = shard_maker(config, CyperClient::new);
                        Shards::start(threads, in_flight, config.connections, make)
                    },
                };
                visitor.visit_local(combo, local);
            }
            ("compio", "hyper") => {
                let local = LocalCombo {
                    runtime: CompioRuntime::new(os_threads).map_err(io)?,
                    client: HyperClient::compio(config)?,
                    threads,
                    config: config.clone(),
                    start: |threads, in_flight, config| {
                        let make = shard_maker(config, HyperClient::compio);
                        Shards::start(threads, in_flight, config.connections, make)
                    },
                };
                visitor.visit_local(combo, local);
            }
            _ => unreachable!("every combination in COMBINATIONS has a match arm"),
        }
    }
    Ok(())
}
