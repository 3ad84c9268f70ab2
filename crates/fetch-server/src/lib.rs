//! The fixture HTTP server every test, demo and benchmark talks to.
//!
//! It is an axum app on a tokio runtime of its own, on threads of its own,
//! so it never shares an executor with the client being measured. Start it
//! in-process with [`Server::start`] (it stops when the handle is dropped),
//! or as a separate process with the `fetch-server` binary.
//!
//! ```
//! let server = fetch_server::Server::start(fetch_server::ServerConfig::default()).unwrap();
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! ```
//!
//! # Layout
//!
//! - [`routes`]: the routes and what each answers.
//! - [`chaos`]: the fault-injecting mode: resets, stalls, short bodies, garbage, 5xx at chosen rates.
//! - [`counting`]: connection counts, by protocol too ([`ConnectionStats`]).
//! - [`shapes`]: uploads (`/echo`), streamed downloads (`/bytes`), the request log (`/inspect`), redirects.
//! - [`serve`]: the accept loop: TLS or not, HTTP/1 or HTTP/2 ([`serve::Protocols`]).
//! - [`tls`]: the CA made at start and the certificate it signs.
//! - this file: [`Server`], [`ServerConfig`]: binding, the runtime thread, shutdown.

pub mod chaos;
pub mod counting;
pub mod routes;
pub mod serve;
pub mod shapes;
pub mod tls;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::watch;

pub use counting::ConnectionStats;

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Tokio worker threads serving requests.
    pub threads: usize,
    /// Serve `/users/{id}` with injected faults instead of the normal routes
    /// (plain HTTP/1.1 only: the faults are written by hand).
    pub chaos: Option<chaos::ChaosConfig>,
    /// Serve HTTPS with a certificate from a CA made at start
    /// ([`Server::ca_pem`]); ALPN offers `h2` and `http/1.1`.
    pub tls: bool,
    /// Serve HTTP/2 on plain http too (prior knowledge).
    pub http2: bool,
    /// Names (or addresses) the TLS certificate is valid for besides
    /// `localhost` and `127.0.0.1`: the name clients on other machines use.
    pub tls_names: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            chaos: None,
            tls: false,
            http2: false,
            tls_names: Vec::new(),
        }
    }
}

/// A running server. Dropping it shuts the server down and waits for its
/// thread to end.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    requests: routes::RequestCounter,
    connections: Arc<ConnectionStats>,
    pause: routes::Pause,
    inspected: shapes::Log,
    chaos: Option<Arc<chaos::ChaosStats>>,
    ca_pem: Option<String>,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `config.bind` and starts serving on a new thread.
    ///
    /// Binding happens here, on the caller's thread, so a taken port is an
    /// error returned now, and the address (with the real port) is known
    /// before this returns.
    pub fn start(config: ServerConfig) -> anyhow::Result<Server> {
        if config.chaos.is_some() && (config.tls || config.http2) {
            anyhow::bail!(
                "--chaos writes its answers by hand over plain HTTP/1.1; it cannot be combined with --tls or --http2"
            );
        }
        let authority = config
            .tls
            .then(|| tls::Authority::generate(&[b"h2", b"http/1.1"], &config.tls_names))
            .transpose()?;
        let ca_pem = authority.as_ref().map(|a| a.ca_pem.clone());
        let protocols = serve::Protocols {
            tls: authority.map(|a| a.config),
            http2: config.http2,
        };
        let listener =
            listen(config.bind).with_context(|| format!("could not bind {}", config.bind))?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.threads.max(1))
            .thread_name("fetch-server")
            .enable_all()
            .build()
            .context("could not start the server's tokio runtime")?;
        let (shutdown, stop) = watch::channel(false);
        let requests = routes::RequestCounter::default();
        let connections = Arc::new(ConnectionStats::default());
        let stats = connections.clone();
        let pause = routes::Pause::default();
        let inspected = shapes::Log::default();
        let app = routes::app(
            requests.clone(),
            pause.clone(),
            connections.clone(),
            inspected.clone(),
        );
        let chaos = config
            .chaos
            .map(|c| (Arc::new(c), Arc::new(chaos::ChaosStats::default())));
        let chaos_stats = chaos.as_ref().map(|(_, stats)| stats.clone());
        let thread = std::thread::Builder::new()
            .name("fetch-server-main".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    if let Some((config, chaos_stats)) = chaos {
                        chaos::serve(listener, config, chaos_stats, stats, stop).await;
                        return;
                    }
                    serve::serve(listener, app, protocols, stats, stop).await;
                });
                // Connections still open are closed here.
                runtime.shutdown_timeout(Duration::from_millis(100));
            })
            .context("could not start the server thread")?;
        Ok(Server {
            addr,
            requests,
            connections,
            pause,
            inspected,
            chaos: chaos_stats,
            ca_pem,
            shutdown,
            thread: Some(thread),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests received so far (counted as they arrive, before routing).
    pub fn requests_received(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Connections accepted so far, the most open at once, and how many
    /// spoke TLS, HTTP/1 and HTTP/2.
    pub fn connections(&self) -> &ConnectionStats {
        &self.connections
    }

    /// What a chaos server injected so far, by fault; `None` for a normal server.
    pub fn chaos_stats(&self) -> Option<std::collections::BTreeMap<String, u64>> {
        self.chaos.as_ref().map(|stats| stats.snapshot())
    }

    /// Holds every answer for `length` from now (`POST /pause/{ms}` from
    /// outside): a stalled server, for tests of what a load run sees.
    /// Not in `--chaos` mode, which answers by hand.
    pub fn pause(&self, length: std::time::Duration) {
        self.pause.start(length);
    }

    /// The requests to `/inspect/...` received so far (the last
    /// [`shapes::KEPT`]), oldest first: what each client really sent.
    pub fn inspected(&self) -> Vec<shapes::Inspected> {
        let log = self.inspected.lock().unwrap_or_else(|p| p.into_inner());
        log.iter().cloned().collect()
    }

    /// `http://127.0.0.1:PORT` (`https://` with TLS), with no trailing slash.
    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The PEM certificate of the CA made at start, with TLS on: what a
    /// client must trust (`--ca-cert`) to talk to this server.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }
}

/// How many connections may wait to be accepted. `std`'s `bind` listens
/// with 128: a client opening 1,000 connections at once then overflows the
/// queue, the kernel drops the extra SYNs, and those clients retry after a
/// second, which shows up as one-second latencies that are the server's
/// fault. The kernel caps this at `net.core.somaxconn` (4096 by default).
const BACKLOG: i32 = 65_535;

/// A non-blocking listening socket on `addr` with a deep accept queue.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
