//! A pool of hyper connections that caps *open* connections: HTTP/1 ones,
//! each driven by the task of the request using it, or HTTP/2 ones, shared
//! by many requests and driven by a task of their own.
//!
//! hyper-util's pooled client caps only the idle connections it keeps: when
//! every connection is busy it opens another, so 10,000 requests in flight
//! become 10,000 (or, while connects race, more) sockets whatever the pool
//! size. This pool holds at most `max` connections per host open at once;
//! a request that finds them all busy waits until one is handed back.
//!
//! Each connection is one [`hyper::client::conn::http1`] handshake: a
//! [`SendRequest`] handle and a connection future that does the reads and
//! writes. The usual way is to spawn that future as a task of its own; then
//! every response crosses from the connection's task to the request's task
//! (one more wake-up and one more task in memory per connection). Here the
//! request's own task polls the connection future while it waits, so one
//! task per request in flight does everything. A connection resting in the
//! pool is polled by nobody; one the server closed meanwhile is noticed
//! when it is next checked out.
//!
//! HTTP/2 (`ClientConfig::http2`) is the other way round: one connection
//! carries many requests at once, so its reads cannot belong to any one
//! request's task. Each HTTP/2 connection gets a task of its own (spawned
//! by the transport, on the client's runtime), and a request goes on the
//! open connection with the fewest requests in flight. The pool opens
//! another, up to `max`, only when there is none yet or every open one
//! carries [`STREAMS_BEFORE_ANOTHER`] requests (a burst at the start opens
//! up to `max` at once: none is ready yet), so `--connections` caps the
//! sockets while `-c` caps the requests, and requests one after another
//! share one connection.
//!
//! With `keep_alive` off, an HTTP/1 connection is closed after its one
//! request instead of being handed back.
//!
//! # Layout
//! - [`Transport`]: what a runtime supplies: open a TCP connection (with
//!   TLS when asked), and spawn an HTTP/2 connection's task.
//! - [`MaybeTls`]: a plain or a TLS stream, as hyper reads and writes them;
//!   `server_name` and `connect_timed_out`, what every transport's `dial` shares.
//! - [`Pool`]: per host, the idle HTTP/1 connections (or the shared HTTP/2
//!   ones) and the number open.
//! - [`Lease`]: one checked-out connection, with `send` and `frame` that
//!   drive it. `give_back` returns it idle; dropping it closes it. Either
//!   way a waiting request is woken. An HTTP/2 lease is a handle to a
//!   shared connection: giving it back or dropping it leaves it open.
//! - `Slot`: the open-count bookkeeping an HTTP/1 lease carries.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;

use bytes::Bytes;
use event_listener::{Event, EventListener, IntoNotification as _};
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Frame, Incoming};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::client::conn::http2;
use hyper::http::uri::Authority;
use hyper::{Request, Response};

/// How a runtime opens connections and runs the tasks of HTTP/2 ones.
pub trait Transport: Clone + Unpin + Send + Sync + 'static {
    /// A connected stream (TCP, or TLS over TCP) hyper can read and write.
    type Io: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static;

    /// Opens a connection to `host:port`, and with `tls`, does the TLS
    /// handshake on it (the certificate verified for `host`), all within
    /// the transport's connect timeout. `TCP_NODELAY` is set: a request is
    /// one small write.
    fn dial(
        &self,
        host: &str,
        port: u16,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> impl Future<Output = io::Result<Self::Io>> + Send;

    /// Runs `task` (an HTTP/2 connection's reads and writes) on the
    /// runtime's threads until it ends.
    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()> + Send>>);
}

/// A stream that is plain, or TLS over the same kind of plain stream: what
/// a transport's `dial` returns, one type for http and https.
#[derive(Debug)]
pub enum MaybeTls<P, T> {
    /// Plain TCP (`http://`).
    Plain(P),
    /// TLS over TCP (`https://`); boxed: its buffers are large.
    Tls(Box<T>),
}

/// Calls `$call` on the stream inside a pinned [`MaybeTls`], plain or TLS.
macro_rules! on_stream {
    ($this:expr, $io:ident => $call:expr) => {
        match $this.get_mut() {
            MaybeTls::Plain(inner) => {
                let $io = Pin::new(inner);
                $call
            }
            MaybeTls::Tls(inner) => {
                let $io = Pin::new(inner.as_mut());
                $call
            }
        }
    };
}

impl<P, T> hyper::rt::Read for MaybeTls<P, T>
where
    P: hyper::rt::Read + Unpin,
    T: hyper::rt::Read + Unpin,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        on_stream!(self, io => io.poll_read(cx, buf))
    }
}

impl<P, T> hyper::rt::Write for MaybeTls<P, T>
where
    P: hyper::rt::Write + Unpin,
    T: hyper::rt::Write + Unpin,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        on_stream!(self, io => io.poll_write(cx, buf))
    }

    fn poll_flush(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        on_stream!(self, io => io.poll_flush(cx))
    }

    fn poll_shutdown(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        on_stream!(self, io => io.poll_shutdown(cx))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            MaybeTls::Plain(io) => io.is_write_vectored(),
            MaybeTls::Tls(io) => io.is_write_vectored(),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> std::task::Poll<io::Result<usize>> {
        on_stream!(self, io => io.poll_write_vectored(cx, bufs))
    }
}

/// The error a transport's `dial` gives when its connect timeout ran
/// out: `TimedOut`, which the client reports as a `connect_timeout`.
pub(crate) fn connect_timed_out(limit: std::time::Duration) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("connect timed out after {limit:?}"),
    )
}

/// The name a TLS client checks the server's certificate against: `host`
/// as a DNS name or an IP address.
pub(crate) fn server_name(host: &str) -> io::Result<rustls::pki_types::ServerName<'static>> {
    rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

/// hyper's executor for HTTP/2 connection tasks: the transport's `spawn`.
#[derive(Debug, Clone)]
struct Spawner<T>(T);

impl<T: Transport, F> hyper::rt::Executor<F> for Spawner<T>
where
    F: Future<Output = ()> + Send + 'static,
{
    fn execute(&self, future: F) {
        self.0.spawn(Box::pin(future));
    }
}

/// Why no connection could be had.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// The TCP connect failed (refused, unresolvable host, timed out).
    #[error(transparent)]
    Connect(#[from] io::Error),
    /// The connection opened but the HTTP handshake failed (for HTTP/2:
    /// the server did not answer the preface with its settings).
    #[error("{0} handshake failed")]
    Handshake(&'static str, #[source] hyper::Error),
}

type Sender = SendRequest<Full<Bytes>>;
type Sender2 = http2::SendRequest<Full<Bytes>>;

/// HTTP/2: requests in flight on every open connection before the pool
/// opens another (while under `max`). Servers commonly allow 100 to 250
/// streams per connection (hyper 200, nginx 128); at 100 a connection
/// stays under that.
pub const STREAMS_BEFORE_ANOTHER: usize = 100;

/// An open HTTP/2 connection and the requests in flight on it.
#[derive(Debug, Clone)]
struct Shared {
    sender: Sender2,
    streams: Arc<AtomicUsize>,
}

/// One request's place on a shared HTTP/2 connection; leaving it (the
/// lease dropped) takes the request off the connection's count.
#[derive(Debug)]
struct Stream(Arc<AtomicUsize>);

impl Stream {
    fn on(shared: &Shared) -> Self {
        shared.streams.fetch_add(1, Relaxed);
        Stream(shared.streams.clone())
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

/// The part of a connection that does its I/O. Boxed once per connection
/// so it can move in and out of the pool while pinned.
type Driver<T> = Pin<Box<http1::Connection<<T as Transport>::Io, Full<Bytes>>>>;

/// An open HTTP/1 connection: the handle requests go in by and its driver.
struct Conn<T: Transport> {
    sender: Sender,
    driver: Driver<T>,
    /// The driver finished: the connection is closed (or broken).
    closed: bool,
}

impl<T: Transport> std::fmt::Debug for Conn<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("closed", &self.closed)
            .finish()
    }
}

/// Polls `work` and, whenever it is not done, the connection's driver, so
/// the bytes `work` waits for are read in this task, and then `work` once
/// more in the same poll. `work` comes first: what it waits for is often
/// there already (a body the driver read with the head, a connection
/// ready again), and then the driver is not polled at all; and a request
/// `work` has just queued goes out in the same poll, not after the task
/// has been woken and run again. A driver that
/// finishes is not polled again; `None` when it has finished and `work`
/// is still waiting: everything `work` waits for comes through the
/// driver, so it would wait forever. (hyper's dispatcher lives on inside
/// the finished driver, so a `ready()` on a connection that ended while
/// it sat idle, the server having closed it, did not fail: it waited for
/// the request's whole time limit, now and then, on smol.)
async fn drive<T: Transport, F: Future>(
    driver: &mut Driver<T>,
    closed: &mut bool,
    work: F,
) -> Option<F::Output> {
    let mut work = pin!(work);
    poll_fn(|cx| {
        if let Poll::Ready(out) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        if *closed {
            return Poll::Ready(None);
        }
        if driver.as_mut().poll(cx).is_ready() {
            *closed = true;
        }
        match work.as_mut().poll(cx) {
            Poll::Ready(out) => Poll::Ready(Some(out)),
            Poll::Pending if *closed => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// One checkout counted in [`Pool`]'s `waiting` while it listens.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

/// Whether `a` and `b` name the same host and port. `Authority`'s own `==`
/// ignores case byte by byte (about 280 instructions per request for
/// `127.0.0.1:PORT`, measured with cachegrind); the same text, the common
/// case, is one `memcmp`.
fn same_authority(a: &Authority, b: &Authority) -> bool {
    a.as_str() == b.as_str() || a == b
}

/// The connection ended (its driver finished) while a request on it still
/// waited: an end of file before the answer, as far as the request knows.
fn ended() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the connection ended before the answer",
    )
}

/// Why [`Lease::send`] failed.
#[derive(Debug)]
pub enum SendError {
    /// hyper's error (see [`SendError::is_unsent`]).
    Hyper(hyper::Error),
    /// The connection ended with the request still waiting.
    Ended,
}

impl SendError {
    /// Whether the request was never written to the connection (so it
    /// may go on another): hyper reports exactly those as canceled (the
    /// connection closed or was not ready with the request still queued).
    pub fn is_unsent(&self) -> bool {
        match self {
            SendError::Hyper(err) => err.is_canceled(),
            SendError::Ended => false,
        }
    }

    /// The error, as a client adapter reports it.
    pub fn into_error(self) -> fetch_core::BoxError {
        match self {
            SendError::Hyper(err) => err.into(),
            SendError::Ended => ended().into(),
        }
    }
}

/// Idle connections per host plus a count of the open ones.
#[derive(Debug)]
pub struct Pool<T: Transport> {
    transport: T,
    max: usize,
    /// For `https://` hosts; `None`: this pool speaks plain http only.
    tls: Option<Arc<rustls::ClientConfig>>,
    /// Speak HTTP/2 (shared connections) instead of HTTP/1.
    http2: bool,
    /// Hand a connection back after its request (`false`: close it).
    keep_alive: bool,
    hosts: Mutex<Vec<Host<T>>>,
    freed: Event,
    /// Checkouts listening on `freed`: counted up under the `hosts` lock
    /// as one starts to wait, down when it stops (woken, or dropped).
    /// A connection handed back wakes a waiter only when there is one:
    /// `Event::notify` costs a fence and the event's own lock each time
    /// (about 90 instructions per request, by cachegrind, with nobody to
    /// wake at all when every worker has a connection of its own).
    waiting: AtomicUsize,
    /// Connections opened (dialled successfully) so far.
    opened: AtomicU64,
}

#[derive(Debug)]
struct Host<T: Transport> {
    /// `https://` (not `http://`) at `authority`.
    tls: bool,
    authority: Authority,
    idle: Vec<Conn<T>>,
    /// HTTP/2: the open connections every request shares.
    shared: Vec<Shared>,
    open: usize,
}

/// What [`Pool::claim`] found for a host (by index).
enum Claim<T: Transport> {
    Idle(usize, Conn<T>),
    Shared(Sender2, Stream),
    Connect(usize),
    /// A slot for a new connection, made by closing this idle one (a fresh
    /// checkout at the limit).
    Instead(usize, Conn<T>),
    Wait(EventListener),
}

/// How a pool is set up: what [`Pool::new`] takes besides the transport.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// At most this many connections per host open at once.
    pub max: usize,
    /// TLS for `https://` hosts; `None`: plain http only.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Speak HTTP/2 (prior knowledge over http, ALPN `h2` over TLS).
    pub http2: bool,
    /// Keep HTTP/1 connections for the next request.
    pub keep_alive: bool,
}

impl<T: Transport> Pool<T> {
    /// A pool that keeps at most `config.max` connections per host open.
    pub fn new(transport: T, config: PoolConfig) -> Self {
        Pool {
            transport,
            max: config.max.max(1),
            tls: config.tls,
            http2: config.http2,
            keep_alive: config.keep_alive,
            hosts: Mutex::new(Vec::new()),
            freed: Event::new(),
            waiting: AtomicUsize::new(0),
            opened: AtomicU64::new(0),
        }
    }

    /// Connections this pool has opened so far.
    pub fn opened(&self) -> u64 {
        self.opened.load(Relaxed)
    }

    fn hosts(&self) -> MutexGuard<'_, Vec<Host<T>>> {
        // The lock guards plain counters and handles; a panic elsewhere
        // cannot leave them half-updated.
        self.hosts
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// A connection to `authority` that is ready to send: an idle one, a
    /// new one while fewer than `max` are open, or else the next one handed
    /// back. The wait has no limit of its own; the caller's timeout covers
    /// it, as it covers the rest of the request.
    ///
    /// With `fresh`, never an idle HTTP/1 connection: a new one, in a free
    /// slot or in the slot of an idle one it closes (a request sent again
    /// because its connection was found closed: the other idle ones may be
    /// closed too).
    pub async fn checkout(
        &self,
        tls: bool,
        authority: &Authority,
        fresh: bool,
    ) -> Result<Lease<'_, T>, CheckoutError> {
        loop {
            match self.claim(tls, authority, fresh && !self.http2) {
                Claim::Idle(host, mut conn) => {
                    // A connection the server closed while it sat idle
                    // fails here when its driver has seen the close, or
                    // else reports the request unsent (see
                    // `HyperClient::send`): the driver is not polled
                    // first, since a kept connection is nearly always
                    // ready (measured at 100 in flight: 2.4 polls of the
                    // driver per request this way, 3.3 polling it first).
                    // Dropping the lease closes it and frees its slot,
                    // and the loop tries the next one.
                    let Conn {
                        sender,
                        driver,
                        closed,
                    } = &mut conn;
                    let ready = drive::<T, _>(driver, closed, sender.ready()).await;
                    let ready = ready.is_some_and(|ready| ready.is_ok());
                    let lease = Lease(Kind::Http1 {
                        conn,
                        slot: Slot { pool: self, host },
                        reused: true,
                    });
                    if ready {
                        return Ok(lease);
                    }
                }
                Claim::Shared(sender, stream) => {
                    return Ok(Lease(Kind::Http2 {
                        sender,
                        _stream: stream,
                    }));
                }
                // Opening a connection (a dial, maybe a TLS handshake,
                // then hyper's) is a future far larger than the rest of a
                // checkout, and a keep-alive run opens one per connection,
                // not per request: boxed, it takes heap once per
                // connection instead of making every request's future
                // (and every worker's, a thousand of them in memory at
                // once) carry its space.
                Claim::Instead(host, idle) => {
                    drop(idle);
                    return Box::pin(self.connect(Slot { pool: self, host }, tls, authority)).await;
                }
                Claim::Connect(host) => {
                    let slot = Slot { pool: self, host };
                    return if self.http2 {
                        Box::pin(self.connect2(slot, tls, authority)).await
                    } else {
                        Box::pin(self.connect(slot, tls, authority)).await
                    };
                }
                Claim::Wait(listener) => {
                    let _waiting = Waiting(&self.waiting);
                    listener.await;
                }
            }
        }
    }

    /// Under the lock: takes an idle connection (unless `fresh`), or a slot
    /// for a new one, or else starts listening for the next one handed back
    /// (before the lock is let go, so none is missed).
    fn claim(&self, tls: bool, authority: &Authority, fresh: bool) -> Claim<T> {
        let mut hosts = self.hosts();
        let index = match hosts
            .iter()
            .position(|h| h.tls == tls && same_authority(&h.authority, authority))
        {
            Some(index) => index,
            None => {
                hosts.push(Host {
                    tls,
                    authority: authority.clone(),
                    idle: Vec::new(),
                    shared: Vec::new(),
                    open: 0,
                });
                hosts.len() - 1
            }
        };
        let host = &mut hosts[index];
        // HTTP/2 connections that ended (their task is over) leave.
        let before = host.shared.len();
        host.shared.retain(|shared| !shared.sender.is_closed());
        host.open -= before - host.shared.len();
        let streams = |shared: &Shared| shared.streams.load(Relaxed);
        let least = (0..host.shared.len()).min_by_key(|&i| streams(&host.shared[i]));
        let busy = least.is_none_or(|i| streams(&host.shared[i]) >= STREAMS_BEFORE_ANOTHER);
        if fresh {
            if host.open < self.max {
                host.open += 1;
                Claim::Connect(index)
            } else if let Some(conn) = host.idle.pop() {
                // Its slot (counted in `open`) goes to the new one.
                Claim::Instead(index, conn)
            } else {
                self.wait()
            }
        } else if let Some(conn) = host.idle.pop() {
            Claim::Idle(index, conn)
        } else if host.open < self.max && busy {
            host.open += 1;
            Claim::Connect(index)
        } else if let Some(i) = least {
            let shared = &host.shared[i];
            Claim::Shared(shared.sender.clone(), Stream::on(shared))
        } else {
            self.wait()
        }
    }

    /// A listener for the next connection handed back, counted in
    /// `waiting` (called under the `hosts` lock).
    fn wait(&self) -> Claim<T> {
        self.waiting.fetch_add(1, Relaxed);
        Claim::Wait(self.freed.listen())
    }

    /// Opens a TCP (and with `tls`, TLS) connection to `authority`.
    async fn dial(&self, tls: bool, authority: &Authority) -> Result<T::Io, CheckoutError> {
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let config = if tls {
            // The client refuses https:// before it gets here when it has
            // no TLS; this is the same refusal, kept for other callers.
            let config = self.tls.as_ref().ok_or_else(|| {
                io::Error::new(io::ErrorKind::Unsupported, "this pool has no TLS")
            })?;
            Some(config)
        } else {
            None
        };
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let io = self.transport.dial(host, port, config).await?;
        self.opened.fetch_add(1, Relaxed);
        Ok(io)
    }

    /// Opens an HTTP/2 connection in `slot`, starts its task, and shares it.
    async fn connect2<'a>(
        &'a self,
        slot: Slot<'a, T>,
        tls: bool,
        authority: &Authority,
    ) -> Result<Lease<'a, T>, CheckoutError> {
        let io = self.dial(tls, authority).await?;
        let (sender, connection) = http2::handshake(Spawner(self.transport.clone()), io)
            .await
            .map_err(|e| CheckoutError::Handshake("HTTP/2", e))?;
        self.transport.spawn(Box::pin(async move {
            // It ends when the server closes it or every sender is gone;
            // an error ends it the same way, and the requests on it see it.
            let _ = connection.await;
        }));
        let pool = slot.pool;
        let shared = Shared {
            sender: sender.clone(),
            streams: Arc::default(),
        };
        let stream = Stream::on(&shared);
        pool.hosts()[slot.host].shared.push(shared);
        // It stays open (counted) until a claim finds it closed.
        std::mem::forget(slot);
        pool.freed.notify(usize::MAX.additional());
        Ok(Lease(Kind::Http2 {
            sender,
            _stream: stream,
        }))
    }

    /// Opens a connection in `slot` (already counted as open).
    async fn connect<'a>(
        &'a self,
        slot: Slot<'a, T>,
        tls: bool,
        authority: &Authority,
    ) -> Result<Lease<'a, T>, CheckoutError> {
        // On an error here, or when the caller's timeout drops this
        // future, dropping `slot` takes the connection off the open count.
        let io = self.dial(tls, authority).await?;
        let (sender, driver) = http1::handshake(io)
            .await
            .map_err(|e| CheckoutError::Handshake("HTTP/1", e))?;
        Ok(Lease(Kind::Http1 {
            conn: Conn {
                sender,
                driver: Box::pin(driver),
                closed: false,
            },
            slot,
            reused: false,
        }))
    }
}

/// One connection counted as open for a host. Dropping it takes the
/// connection off the count and wakes a request waiting for one.
#[derive(Debug)]
struct Slot<'a, T: Transport> {
    pool: &'a Pool<T>,
    host: usize,
}

impl<T: Transport> Drop for Slot<'_, T> {
    fn drop(&mut self) {
        self.pool.hosts()[self.host].open -= 1;
        self.pool.freed.notify(1.additional());
    }
}

/// A checked-out connection. [`Lease::give_back`] returns it to the pool;
/// dropping it instead (an error, a timeout, a body not read to the end)
/// closes an HTTP/1 connection, since it may be mid-response. An HTTP/2
/// lease is a handle to a shared connection, which stays open either way
/// (dropping a response mid-body resets that one stream).
#[derive(Debug)]
pub struct Lease<'a, T: Transport>(Kind<'a, T>);

#[derive(Debug)]
enum Kind<'a, T: Transport> {
    /// An HTTP/1 connection, this request's alone.
    Http1 {
        // Declared first so it drops first: the connection closes before
        // its slot is offered to a waiting request.
        conn: Conn<T>,
        slot: Slot<'a, T>,
        /// It carried an earlier request (it was idle in the pool), so
        /// the server may have closed it since.
        reused: bool,
    },
    /// A handle to a shared HTTP/2 connection, and this request's place
    /// in its count.
    Http2 { sender: Sender2, _stream: Stream },
}

impl<T: Transport> Lease<'_, T> {
    /// Sends `request` and waits for the response head, driving an HTTP/1
    /// connection meanwhile. On a connection that closed before the
    /// request went out, the error says so ([`SendError::is_unsent`]).
    pub async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, SendError> {
        match &mut self.0 {
            Kind::Http1 { conn, .. } => {
                let Conn {
                    sender,
                    driver,
                    closed,
                } = conn;
                drive::<T, _>(driver, closed, sender.send_request(request))
                    .await
                    .ok_or(SendError::Ended)?
                    .map_err(SendError::Hyper)
            }
            Kind::Http2 { sender, .. } => {
                sender.send_request(request).await.map_err(SendError::Hyper)
            }
        }
    }

    /// The next frame of `body` (a response of this connection), driving
    /// an HTTP/1 connection meanwhile.
    pub async fn frame(
        &mut self,
        body: &mut Incoming,
    ) -> Option<Result<Frame<Bytes>, fetch_core::BoxError>> {
        let frame = match &mut self.0 {
            Kind::Http1 { conn, .. } => {
                let Conn { driver, closed, .. } = conn;
                match drive::<T, _>(driver, closed, body.frame()).await {
                    Some(frame) => frame,
                    None => return Some(Err(ended().into())),
                }
            }
            Kind::Http2 { .. } => body.frame().await,
        };
        frame.map(|frame| frame.map_err(Into::into))
    }

    /// Whether this HTTP/1 connection carried an earlier request: one the
    /// server may have closed meanwhile. A new connection, or a shared
    /// HTTP/2 one, is not.
    pub fn is_reused(&self) -> bool {
        matches!(self.0, Kind::Http1 { reused: true, .. })
    }

    /// Whether requests on this connection need an absolute URI (HTTP/2's
    /// `:scheme` and `:authority`) rather than a path and a `Host` header.
    pub fn is_http2(&self) -> bool {
        matches!(self.0, Kind::Http2 { .. })
    }

    /// Returns an HTTP/1 connection to the pool, idle, for the next
    /// request (or, with keep-alive off, closes it). Call it only after
    /// the last response was read to the end.
    pub fn give_back(self) {
        let Kind::Http1 { conn, slot, .. } = self.0 else {
            return;
        };
        if conn.closed || conn.sender.is_closed() || !slot.pool.keep_alive {
            return; // `slot` drops: one fewer open.
        }
        let pool = slot.pool;
        let mut hosts = pool.hosts();
        hosts[slot.host].idle.push(conn);
        // Read under the lock: a checkout that found no idle connection
        // counted itself in before the lock was let go, and one that comes
        // after this finds the connection just pushed.
        let anyone_waiting = pool.waiting.load(Relaxed) > 0;
        drop(hosts);
        // The connection stays open, so its slot must not be released.
        std::mem::forget(slot);
        if anyone_waiting {
            pool.freed.notify(1.additional());
        }
    }
}
