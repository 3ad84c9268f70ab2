//! A pool of hyper HTTP/1 connections that caps *open* connections, each
//! driven by the task of the request using it.
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
//! # Layout
//! - [`Transport`]: what a runtime supplies: open a TCP connection.
//! - [`Pool`]: per host, the idle connections and the number open.
//! - [`Lease`]: one checked-out connection, with `send` and `frame` that
//!   drive it. `give_back` returns it idle; dropping it closes it. Either
//!   way a waiting request is woken.
//! - `Slot`: the open-count bookkeeping a lease carries.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use event_listener::{Event, EventListener, IntoNotification as _};
use http_body_util::{BodyExt as _, Empty};
use hyper::body::{Frame, Incoming};
use hyper::client::conn::TrySendError;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::http::uri::Authority;
use hyper::{Request, Response};

/// How a runtime opens connections.
pub trait Transport: Send + Sync + 'static {
    /// A connected TCP stream hyper can read and write.
    type Io: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static;

    /// Opens a connection to `host:port`, giving up after the transport's
    /// connect timeout. `TCP_NODELAY` is set: a request is one small write.
    fn dial(&self, host: &str, port: u16) -> impl Future<Output = io::Result<Self::Io>> + Send;
}

/// Why no connection could be had.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// The TCP connect failed (refused, unresolvable host, timed out).
    #[error(transparent)]
    Connect(#[from] io::Error),
    /// The connection opened but the HTTP/1 handshake failed.
    #[error("HTTP/1 handshake failed")]
    Handshake(#[source] hyper::Error),
}

type Sender = SendRequest<Empty<Bytes>>;

/// The part of a connection that does its I/O. Boxed once per connection
/// so it can move in and out of the pool while pinned.
type Driver<T> = Pin<Box<http1::Connection<<T as Transport>::Io, Empty<Bytes>>>>;

/// An open connection: the handle requests go in by and its driver.
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
/// the bytes `work` waits for are read in this task. A driver that
/// finishes is not polled again; `work` then sees the connection gone.
async fn drive<T: Transport, F: Future>(
    driver: &mut Driver<T>,
    closed: &mut bool,
    work: F,
) -> F::Output {
    let mut work = pin!(work);
    poll_fn(|cx| {
        if !*closed && driver.as_mut().poll(cx).is_ready() {
            *closed = true;
        }
        work.as_mut().poll(cx)
    })
    .await
}

/// Idle connections per host plus a count of the open ones.
#[derive(Debug)]
pub struct Pool<T: Transport> {
    transport: T,
    max: usize,
    hosts: Mutex<Vec<Host<T>>>,
    freed: Event,
    /// Connections opened (dialled successfully) so far.
    opened: std::sync::atomic::AtomicU64,
}

#[derive(Debug)]
struct Host<T: Transport> {
    authority: Authority,
    idle: Vec<Conn<T>>,
    open: usize,
}

/// What [`Pool::claim`] found for a host (by index).
enum Claim<T: Transport> {
    Idle(usize, Conn<T>),
    Connect(usize),
    Wait(EventListener),
}

impl<T: Transport> Pool<T> {
    /// A pool that keeps at most `max` connections per host open.
    pub fn new(transport: T, max: usize) -> Self {
        Pool {
            transport,
            max: max.max(1),
            hosts: Mutex::new(Vec::new()),
            freed: Event::new(),
            opened: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Connections this pool has opened so far.
    pub fn opened(&self) -> u64 {
        self.opened.load(std::sync::atomic::Ordering::Relaxed)
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
    pub async fn checkout(&self, authority: &Authority) -> Result<Lease<'_, T>, CheckoutError> {
        loop {
            match self.claim(authority) {
                Claim::Idle(host, conn) => {
                    let mut lease = Lease {
                        conn,
                        slot: Slot { pool: self, host },
                    };
                    // A connection the server closed while it sat idle
                    // fails here; dropping the lease closes it and frees
                    // its slot, and the loop tries the next one.
                    let Conn {
                        sender,
                        driver,
                        closed,
                    } = &mut lease.conn;
                    if drive::<T, _>(driver, closed, sender.ready()).await.is_ok() {
                        return Ok(lease);
                    }
                }
                Claim::Connect(host) => {
                    return self.connect(Slot { pool: self, host }, authority).await;
                }
                Claim::Wait(listener) => listener.await,
            }
        }
    }

    /// Under the lock: takes an idle connection, or a slot for a new one,
    /// or else starts listening for the next one handed back (before the
    /// lock is let go, so none is missed).
    fn claim(&self, authority: &Authority) -> Claim<T> {
        let mut hosts = self.hosts();
        let index = match hosts.iter().position(|h| h.authority == *authority) {
            Some(index) => index,
            None => {
                hosts.push(Host {
                    authority: authority.clone(),
                    idle: Vec::new(),
                    open: 0,
                });
                hosts.len() - 1
            }
        };
        let host = &mut hosts[index];
        if let Some(conn) = host.idle.pop() {
            Claim::Idle(index, conn)
        } else if host.open < self.max {
            host.open += 1;
            Claim::Connect(index)
        } else {
            Claim::Wait(self.freed.listen())
        }
    }

    /// Opens a connection in `slot` (already counted as open).
    async fn connect<'a>(
        &'a self,
        slot: Slot<'a, T>,
        authority: &Authority,
    ) -> Result<Lease<'a, T>, CheckoutError> {
        // On an error here, or when the caller's timeout drops this
        // future, dropping `slot` takes the connection off the open count.
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let io = self
            .transport
            .dial(host, authority.port_u16().unwrap_or(80))
            .await?;
        self.opened
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (sender, driver) = http1::handshake(io)
            .await
            .map_err(CheckoutError::Handshake)?;
        Ok(Lease {
            conn: Conn {
                sender,
                driver: Box::pin(driver),
                closed: false,
            },
            slot,
        })
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
/// closes the connection, since it may be mid-response.
#[derive(Debug)]
pub struct Lease<'a, T: Transport> {
    // Declared first so it drops first: the connection closes before its
    // slot is offered to a waiting request.
    conn: Conn<T>,
    slot: Slot<'a, T>,
}

impl<T: Transport> Lease<'_, T> {
    /// Sends `request` and waits for the response head, driving the
    /// connection meanwhile. On a connection that closed before the
    /// request went out, the error gives the request back.
    pub async fn send(
        &mut self,
        request: Request<Empty<Bytes>>,
    ) -> Result<Response<Incoming>, TrySendError<Request<Empty<Bytes>>>> {
        let Conn {
            sender,
            driver,
            closed,
        } = &mut self.conn;
        drive::<T, _>(driver, closed, sender.try_send_request(request)).await
    }

    /// The next frame of `body` (a response of this connection), driving
    /// the connection meanwhile.
    pub async fn frame(
        &mut self,
        body: &mut Incoming,
    ) -> Option<Result<Frame<Bytes>, hyper::Error>> {
        let Conn { driver, closed, .. } = &mut self.conn;
        drive::<T, _>(driver, closed, body.frame()).await
    }

    /// Returns the connection to the pool, idle, for the next request.
    /// Call it only after the last response was read to the end.
    pub fn give_back(self) {
        let Lease { conn, slot } = self;
        if conn.closed || conn.sender.is_closed() {
            return; // `slot` drops: one fewer open.
        }
        let pool = slot.pool;
        pool.hosts()[slot.host].idle.push(conn);
        // The connection stays open, so its slot must not be released.
        std::mem::forget(slot);
        pool.freed.notify(1.additional());
    }
}
