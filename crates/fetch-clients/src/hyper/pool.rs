//! A pool of hyper HTTP/1 connections that caps *open* connections.
//!
//! hyper-util's pooled client caps only the idle connections it keeps: when
//! every connection is busy it opens another, so 10,000 requests in flight
//! become 10,000 (or, while connects race, more) sockets whatever the pool
//! size. This pool holds at most `max` connections per host open at once;
//! a request that finds them all busy waits until one is handed back.
//!
//! Each connection is one [`hyper::client::conn::http1`] handshake: a
//! [`SendRequest`] handle kept in the pool, and a connection future that the
//! runtime runs as a task of its own (it does the reads and writes).
//!
//! # Layout
//! - [`Transport`]: what a runtime supplies: open a TCP connection, spawn a
//!   connection's task.
//! - [`Pool`]: per host, the idle handles and the number open.
//! - [`Lease`]: one checked-out connection. `give_back` returns it idle;
//!   dropping it closes it. Either way a waiting request is woken.
//! - `Slot`: the open-count bookkeeping a lease carries.

use std::future::Future;
use std::io;
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use event_listener::{Event, EventListener, IntoNotification as _};
use http_body_util::Empty;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::http::uri::Authority;

/// How a runtime opens connections and runs them.
pub trait Transport: Send + Sync + 'static {
    /// A connected TCP stream hyper can read and write.
    type Io: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static;

    /// Opens a connection to `host:port`, giving up after the transport's
    /// connect timeout. `TCP_NODELAY` is set: a request is one small write.
    fn dial(&self, host: &str, port: u16) -> impl Future<Output = io::Result<Self::Io>> + Send;

    /// Runs a connection's future as a task on the runtime's threads.
    fn spawn(&self, connection: impl Future<Output = ()> + Send + 'static);
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

/// Idle connections per host plus a count of the open ones.
#[derive(Debug)]
pub struct Pool<T> {
    transport: T,
    max: usize,
    hosts: Mutex<Vec<Host>>,
    freed: Event,
}

/// What [`Pool::claim`] found for a host (by index).
enum Claim {
    Idle(usize, Sender),
    Connect(usize),
    Wait(EventListener),
}

#[derive(Debug)]
struct Host {
    authority: Authority,
    idle: Vec<Sender>,
    open: usize,
}

impl<T: Transport> Pool<T> {
    /// A pool that keeps at most `max` connections per host open.
    pub fn new(transport: T, max: usize) -> Self {
        Pool {
            transport,
            max: max.max(1),
            hosts: Mutex::new(Vec::new()),
            freed: Event::new(),
        }
    }

    fn hosts(&self) -> MutexGuard<'_, Vec<Host>> {
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
                Claim::Idle(host, mut sender) => {
                    let slot = Slot { pool: self, host };
                    // A handle whose connection closed while idle (the
                    // server timed it out) fails here; dropping it and its
                    // slot closes it, and the loop tries the next one.
                    if sender.ready().await.is_ok() {
                        return Ok(Lease { sender, slot });
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
    fn claim(&self, authority: &Authority) -> Claim {
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
        if let Some(sender) = host.idle.pop() {
            Claim::Idle(index, sender)
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
        let (sender, connection) = http1::handshake(io)
            .await
            .map_err(CheckoutError::Handshake)?;
        // The connection's reads and writes happen in this task; its
        // errors reach the request through the `SendRequest` handle.
        self.transport.spawn(async move {
            let _ = connection.await;
        });
        Ok(Lease { sender, slot })
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
    sender: Sender,
    slot: Slot<'a, T>,
}

impl<T: Transport> Lease<'_, T> {
    /// The connection's request handle.
    pub fn sender(&mut self) -> &mut Sender {
        &mut self.sender
    }

    /// Returns the connection to the pool, idle, for the next request.
    /// Call it only after the last response was read to the end.
    pub fn give_back(self) {
        let Lease { sender, slot } = self;
        if sender.is_closed() {
            return; // `slot` drops: one fewer open.
        }
        let pool = slot.pool;
        pool.hosts()[slot.host].idle.push(sender);
        // The connection stays open, so its slot must not be released.
        std::mem::forget(slot);
        pool.freed.notify(1.additional());
    }
}
