//! Runtimes and clients whose futures stay on one thread.
//!
//! Thread-per-core runtimes (compio, monoio) run one executor per thread
//! and never move a task: their futures, sockets and clients are not
//! `Send`, so they cannot implement [`Runtime`] or [`HttpClient`], whose
//! tasks may go to any worker. Three traits let them in without a second
//! copy of anything:
//!
//! - [`Timer`] and [`LocalHttpClient`] are what the shared code needs of a
//!   runtime and a client when it spawns nothing: a sleep, and a request sent.
//!   `fetch_title`, `get_user`, the redirects, [`within`](crate::within)
//!   and the load engine's worker are written against them. Every
//!   [`Runtime`] is a [`Timer`] and every [`HttpClient`] a
//!   [`LocalHttpClient`] (blanket impls below), and the compiler still
//!   sees their futures as `Send`, so the Send runtimes run the same code
//!   as before.
//! - [`LocalRuntime`] adds what the sharded load run needs of a
//!   thread-per-core runtime: spawn on this thread, block on.
//!
//! [`run_sharded`](crate::run_sharded) runs a load on `--threads` OS
//! threads, each with its own [`LocalRuntime`] and its own client.
//!
//! A type that is both (every Send runtime and client) has two methods
//! called `sleep` or `get`; with both traits imported, calling one on a
//! concrete type is ambiguous. Import the one the code is about.
//!
//! # Layout
//!
//! - [`Timer`], [`LocalHttpClient`]: the shared code's needs, with their blanket impls.
//! - [`LocalRuntime`], [`LocalTask`]: a runtime whose tasks stay on their thread.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::{ClientConfig, FetchError, HttpClient, JoinError, Request, Response, Runtime};

/// A runtime's timer: all that [`within`](crate::within) and the load
/// engine's pacer need of a runtime.
pub trait Timer: Clone + 'static {
    /// A future that completes after `duration`, on this runtime's timer.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + 'static;
}

impl<R: Runtime> Timer for R {
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + 'static {
        Runtime::sleep(self, duration)
    }
}

/// An HTTP client whose futures may stay on their thread: what
/// `fetch_title`, `get_user` and the load engine's worker need of a client.
/// See [`HttpClient`] for what each method means.
pub trait LocalHttpClient: 'static {
    /// A short name for reports (`cyper`, `hyper`, ...).
    fn name(&self) -> &'static str;

    /// The configuration this client was built with.
    fn config(&self) -> &ClientConfig;

    /// Sends `request` and reads the whole answer.
    fn send(&self, request: &Request<'_>) -> impl Future<Output = Result<Response, FetchError>>;

    /// Sends `request` on a connection opened for it: see
    /// [`HttpClient::send_fresh`]. By default the same as `send`.
    fn send_fresh(
        &self,
        request: &Request<'_>,
    ) -> impl Future<Output = Result<Response, FetchError>> {
        self.send(request)
    }

    /// `GET url`: [`LocalHttpClient::send`] of [`Request::get`].
    fn get(&self, url: &str) -> impl Future<Output = Result<Response, FetchError>> {
        async move { self.send(&Request::get(url)).await }
    }

    /// Connections this client has opened so far, when it can tell.
    fn connections_opened(&self) -> Option<u64> {
        None
    }
}

impl<C: HttpClient> LocalHttpClient for C {
    fn name(&self) -> &'static str {
        HttpClient::name(self)
    }

    fn config(&self) -> &ClientConfig {
        HttpClient::config(self)
    }

    fn send(&self, request: &Request<'_>) -> impl Future<Output = Result<Response, FetchError>> {
        HttpClient::send(self, request)
    }

    fn send_fresh(
        &self,
        request: &Request<'_>,
    ) -> impl Future<Output = Result<Response, FetchError>> {
        HttpClient::send_fresh(self, request)
    }

    fn connections_opened(&self) -> Option<u64> {
        HttpClient::connections_opened(self)
    }
}

/// A runtime whose tasks stay on the thread that spawned them: one of a
/// thread-per-core runtime's per-thread executors.
pub trait LocalRuntime: Timer {
    /// The runtime's name for reports (`compio`, ...).
    fn name(&self) -> &'static str;

    /// The I/O driver it runs on (`io_uring`, `epoll`, ...), for the report.
    fn driver(&self) -> &'static str;

    /// Runs `future` as a task on this thread's executor.
    fn spawn_local<F>(&self, future: F) -> LocalTask<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static;

    /// Runs `future` to completion on this thread, with this runtime's
    /// executor and I/O driver.
    fn block_on<F: Future>(&self, future: F) -> F::Output;
}

/// A task spawned on a [`LocalRuntime`]; awaiting it gives the task's
/// output, or the panic that ended it.
#[must_use = "a task should be awaited; dropping it may cancel it"]
pub struct LocalTask<T>(Pin<Box<dyn Future<Output = Result<T, JoinError>> + 'static>>);

impl<T> LocalTask<T> {
    /// Wraps a runtime's own handle, converted to [`JoinError`] on failure.
    pub fn new(handle: impl Future<Output = Result<T, JoinError>> + 'static) -> Self {
        LocalTask(Box::pin(handle))
    }
}

impl<T> Future for LocalTask<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl<T> fmt::Debug for LocalTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LocalTask")
    }
}
