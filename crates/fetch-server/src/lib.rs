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
//! - [`counting`]: the listener that counts connections ([`ConnectionStats`]).
//! - this file: [`Server`], [`ServerConfig`]: binding, the runtime thread, shutdown.

pub mod chaos;
pub mod counting;
pub mod routes;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::watch;

pub use counting::ConnectionStats;
use counting::Counting;

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Tokio worker threads serving requests.
    pub threads: usize,
    /// Serve `/users/{id}` with injected faults instead of the normal routes.
    pub chaos: Option<chaos::ChaosConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            chaos: None,
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
    chaos: Option<Arc<chaos::ChaosStats>>,
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
        let listener =
            listen(config.bind).with_context(|| format!("could not bind {}", config.bind))?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.threads.max(1))
            .thread_name("fetch-server")
            .enable_all()
            .build()
            .context("could not start the server's tokio runtime")?;
        let (shutdown, mut stop) = watch::channel(false);
        let requests = routes::RequestCounter::default();
        let connections = Arc::new(ConnectionStats::default());
        let stats = connections.clone();
        let pause = routes::Pause::default();
        let app = routes::app(requests.clone(), pause.clone());
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
                    if let Some((config, stats)) = chaos {
                        chaos::serve(listener, config, stats, stop).await;
                        return;
                    }
                    let listener = Counting { listener, stats };
                    let mut graceful = stop.clone();
                    let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                        let _ = graceful.wait_for(|stop| *stop).await;
                    });
                    // Graceful shutdown waits for open connections to go
                    // idle; give them a second, then stop regardless.
                    let deadline = async move {
                        let _ = stop.wait_for(|stop| *stop).await;
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    };
                    tokio::select! {
                        _ = serve => {}
                        () = deadline => {}
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(100));
            })
            .context("could not start the server thread")?;
        Ok(Server {
            addr,
            requests,
            connections,
            pause,
            chaos: chaos_stats,
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

    /// Connections accepted so far, and the most open at once (not
    /// counted in chaos mode).
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

    /// `http://127.0.0.1:PORT`, with no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
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
