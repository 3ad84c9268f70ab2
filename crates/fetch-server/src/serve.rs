//! The accept loop: each connection counted, optionally put through TLS,
//! and served by hyper's automatic HTTP/1-or-HTTP/2 connection builder.
//!
//! axum's own `serve` speaks plain TCP only; this loop does what it does
//! (one task per connection, the router as the service) plus TLS, and
//! counts each connection by protocol for `GET /stats`.
//!
//! # Layout
//! - [`Protocols`]: what the server offers: TLS or not, HTTP/2 or not.
//! - `serve`: accepts until told to stop.
//! - `connection`: one connection, from the handshake to its end.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_service::Service as _;

use crate::counting::ConnectionStats;

/// A TLS handshake that has not finished by then is dropped, so a client
/// that opens a socket and sends nothing does not hold a task forever.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

/// What the server speaks.
#[derive(Debug, Clone, Default)]
pub struct Protocols {
    /// HTTPS with this configuration (certificate and ALPN); `None`: plain http.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// HTTP/2 on plain http too, with prior knowledge (over TLS, ALPN
    /// decides and `h2` is always offered).
    pub http2: bool,
}

/// Accepts connections on `listener` until `stop` turns true; each is served
/// by a task of its own.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    protocols: Protocols,
    stats: Arc<ConnectionStats>,
    mut stop: watch::Receiver<bool>,
) {
    let acceptor = protocols.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                // An accept error (too many open files, a connection reset
                // before it was taken) concerns that one connection only.
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let stream = stats.accept(stream);
                let (app, stats, acceptor) = (app.clone(), stats.clone(), acceptor.clone());
                let http2 = protocols.http2;
                tokio::spawn(async move {
                    match acceptor {
                        None => connection(stream, app, stats, http2).await,
                        Some(acceptor) => {
                            let handshake = tokio::time::timeout(HANDSHAKE_LIMIT, acceptor.accept(stream));
                            // A failed handshake (a client that does not trust
                            // this CA aborts it) ends the connection.
                            if let Ok(Ok(tls)) = handshake.await {
                                stats.handshake_done();
                                // ALPN decides; hyper's builder reads the
                                // preface and follows.
                                connection(tls, app, stats, true).await;
                            }
                        }
                    }
                });
            }
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// Serves HTTP on one connection until it closes, counting it by the version
/// of its first request.
async fn connection<S>(stream: S, app: Router, stats: Arc<ConnectionStats>, http2: bool)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let counted = Arc::new(AtomicBool::new(false));
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        if !counted.swap(true, Ordering::Relaxed) {
            stats.speaks(request.version());
        }
        // The router is always ready; it answers every request.
        app.clone().call(request)
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    if !http2 {
        builder = builder.http1_only();
    }
    // An error here is the client's (a reset, a malformed request): the
    // connection ends, the server goes on.
    let _ = builder
        .serve_connection(TokioIo::new(stream), service)
        .await;
}
