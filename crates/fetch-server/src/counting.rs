//! Connection counts: accepted in all, open now, the most open at once, and
//! by protocol (TLS or not, HTTP/1 or HTTP/2), so tests can check what a
//! client really opened and really spoke, from the server's side.
//!
//! # Layout
//! - [`ConnectionStats`]: the counters, shared; `GET /stats` shows them.
//! - `Counted`: an accepted stream, which takes itself off "open" when dropped.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Connection counts of a server.
#[derive(Debug, Default)]
pub struct ConnectionStats {
    accepted: AtomicU64,
    open: AtomicU64,
    peak_open: AtomicU64,
    tls: AtomicU64,
    http1: AtomicU64,
    http2: AtomicU64,
}

impl ConnectionStats {
    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::SeqCst)
    }

    /// The most connections that were open at the same time.
    pub fn peak_open(&self) -> u64 {
        self.peak_open.load(Ordering::SeqCst)
    }

    /// Connections whose TLS handshake completed.
    pub fn tls(&self) -> u64 {
        self.tls.load(Ordering::SeqCst)
    }

    /// Connections whose first request came in HTTP/1.x.
    pub fn http1(&self) -> u64 {
        self.http1.load(Ordering::SeqCst)
    }

    /// Connections whose first request came in HTTP/2.
    pub fn http2(&self) -> u64 {
        self.http2.load(Ordering::SeqCst)
    }

    /// The counts as `GET /stats` shows them.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "accepted": self.accepted(),
            "open": self.open.load(Ordering::SeqCst),
            "peak_open": self.peak_open(),
            "tls": self.tls(),
            "http1": self.http1(),
            "http2": self.http2(),
        })
    }

    /// Counts a connection accepted; it stays open until the [`Counted`]
    /// wrapping it is dropped.
    pub(crate) fn accept<S>(self: &Arc<Self>, stream: S) -> Counted<S> {
        self.accepted.fetch_add(1, Ordering::SeqCst);
        let open = self.open.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_open.fetch_max(open, Ordering::SeqCst);
        Counted {
            stream,
            stats: self.clone(),
        }
    }

    /// Counts a connection whose TLS handshake completed.
    pub(crate) fn handshake_done(&self) {
        self.tls.fetch_add(1, Ordering::SeqCst);
    }

    /// Counts a connection by the version of its first request.
    pub(crate) fn speaks(&self, version: axum::http::Version) {
        let counter = if version == axum::http::Version::HTTP_2 {
            &self.http2
        } else {
            &self.http1
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

/// An accepted connection, counted as open until dropped.
#[derive(Debug)]
pub(crate) struct Counted<S> {
    stream: S,
    stats: Arc<ConnectionStats>,
}

impl<S> Counted<S> {
    /// The stream inside.
    pub(crate) fn inner(&self) -> &S {
        &self.stream
    }
}

impl<S> Drop for Counted<S> {
    fn drop(&mut self) {
        self.stats.open.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
