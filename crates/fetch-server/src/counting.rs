//! A listener that counts connections: accepted in all, open now, and the
//! most open at once, so tests can check what a client really opened.
//!
//! # Layout
//! - [`ConnectionStats`]: the three counters, shared.
//! - `Counting`: the axum listener that keeps them; each accepted stream
//!   is wrapped in a `Counted`, which takes itself off "open" when dropped.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Connection counts of a server.
#[derive(Debug, Default)]
pub struct ConnectionStats {
    accepted: AtomicU64,
    open: AtomicU64,
    peak_open: AtomicU64,
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
}

/// Accepts like a `TcpListener`, counting; sets `TCP_NODELAY` on each
/// connection (small JSON answers go out at once, not held back by
/// Nagle's algorithm).
pub(crate) struct Counting {
    pub(crate) listener: TcpListener,
    pub(crate) stats: Arc<ConnectionStats>,
}

impl axum::serve::Listener for Counting {
    type Io = Counted;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Counted, std::net::SocketAddr) {
        let (stream, addr) = axum::serve::Listener::accept(&mut self.listener).await;
        let _ = stream.set_nodelay(true);
        self.stats.accepted.fetch_add(1, Ordering::SeqCst);
        let open = self.stats.open.fetch_add(1, Ordering::SeqCst) + 1;
        self.stats.peak_open.fetch_max(open, Ordering::SeqCst);
        let stats = self.stats.clone();
        (Counted { stream, stats }, addr)
    }

    fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }
}

/// An accepted connection, counted as open until dropped.
pub(crate) struct Counted {
    stream: TcpStream,
    stats: Arc<ConnectionStats>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.stats.open.fetch_sub(1, Ordering::SeqCst);
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
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
