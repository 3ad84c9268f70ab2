//! Every runtime + client combination: the list, and how to build each one
//! inside this process (for `cargo bench`).

use fetch_async_std::AsyncStdRuntime;
use fetch_clients::hyper::HyperClient;
use fetch_clients::reqwest::ReqwestClient;
use fetch_clients::surf::SurfClient;
use fetch_clients::ureq::UreqClient;
use fetch_core::{ClientConfig, FetchError, HttpClient, Runtime};
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
}

/// surf's reason for each: its TLS stack is left out, its client is HTTP/1 only.
const SURF_NO_TLS: Option<&str> =
    Some("surf is built without TLS (RUSTSEC-2024-0336 in its rustls 0.18)");
const SURF_NO_H2: Option<&str> = Some("surf's async-h1 speaks HTTP/1.1 only");

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
    },
    Combo {
        runtime: "tokio",
        client: "hyper",
        binary: "fetch-tokio",
        worker_threads: true,
        no_tls: None,
        no_http2: None,
    },
    Combo {
        runtime: "smol",
        client: "hyper",
        binary: "fetch-smol",
        worker_threads: true,
        no_tls: None,
        no_http2: None,
    },
    Combo {
        runtime: "smol",
        client: "surf",
        binary: "fetch-smol",
        worker_threads: true,
        no_tls: SURF_NO_TLS,
        no_http2: SURF_NO_H2,
    },
    Combo {
        runtime: "async-std",
        client: "surf",
        binary: "fetch-async-std",
        worker_threads: true,
        no_tls: SURF_NO_TLS,
        no_http2: SURF_NO_H2,
    },
    Combo {
        runtime: "threads",
        client: "ureq",
        binary: "fetch-threads",
        worker_threads: false,
        no_tls: None,
        no_http2: Some("ureq 3 speaks HTTP/1.1 only"),
    },
];

/// Something to do with one combination, given its runtime and client as
/// concrete types (a generic closure, which Rust has no syntax for).
pub trait Visit {
    /// Called once per combination.
    fn visit<R: Runtime, C: HttpClient>(&mut self, combo: Combo, runtime: &R, client: C);
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
            _ => unreachable!("every combination in COMBINATIONS has a match arm"),
        }
    }
    Ok(())
}
