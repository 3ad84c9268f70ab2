//! What an async runtime must offer so the same code runs on any of them.
//!
//! An `async fn` only builds a future; something has to poll it. That
//! something is the runtime (the "executor" plus an I/O and timer reactor).
//! Rust's standard library has none, so every runtime crate brings its own,
//! each with its own `spawn`, `sleep` and `block_on`. This trait names the
//! four operations this project needs, so `fetch-core` can be written once
//! and each runtime crate (`fetch-tokio`, `fetch-smol`, ...) implements them
//! in a few lines.

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

/// An async runtime: the thing that polls futures until they finish.
///
/// Implementations are cheap handles (`Clone`): the load engine gives one to
/// every worker task so each can start timers.
pub trait Runtime: Clone + Send + Sync + 'static {
    /// A short name for reports: `"tokio"`, `"smol"`, ...
    fn name(&self) -> &'static str;

    /// How many OS threads poll async tasks (not counting blocking pools).
    fn threads(&self) -> usize;

    /// Runs `future` as a task of its own, concurrently with the caller.
    ///
    /// Await the returned [`Task`] for its output. Dropping a task without
    /// awaiting it detaches it on some runtimes and cancels it on others, so
    /// the code here always awaits.
    fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Runs blocking code (a blocking syscall, heavy CPU work) on a thread
    /// where it cannot stall the async worker threads.
    fn spawn_blocking<F, T>(&self, f: F) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;

    /// A future that finishes after `duration`, without blocking a thread.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static;

    /// Blocks the calling (non-async) thread until `future` finishes. This is
    /// the bridge from `fn main` into async code, what `#[tokio::main]` writes
    /// for you.
    fn block_on<F: Future>(&self, future: F) -> F::Output;
}

/// A spawned task; a future of the task's output.
#[must_use = "a task should be awaited; dropping it may cancel it"]
pub struct Task<T>(Pin<Box<dyn Future<Output = Result<T, JoinError>> + Send + 'static>>);

impl<T> Task<T> {
    /// Wraps a runtime's own join handle.
    pub fn new(handle: impl Future<Output = Result<T, JoinError>> + Send + 'static) -> Self {
        Task(Box::pin(handle))
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Task")
    }
}

/// A task did not finish normally: it panicked or its runtime shut down.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct JoinError(pub String);

/// Gives the runtime a chance to run other tasks, then continues.
///
/// The future is pending exactly once: it asks to be woken at once and
/// returns to the executor, which runs whatever else is ready before
/// polling this task again. Long CPU work sprinkled with this becomes
/// cooperative.
pub async fn yield_now() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// Turns a panic inside `future` into a [`JoinError`] instead of letting it
/// unwind through the runtime.
///
/// tokio does this for every task already; smol and async-std resume the
/// panic in whoever awaits the task (or abort), so their adapters wrap each
/// spawned future in this to give all runtimes the same behaviour.
pub async fn catch_panics<F: Future>(future: F) -> Result<F::Output, JoinError> {
    let mut future = pin!(future);
    poll_fn(|cx| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(JoinError::from_panic(payload.as_ref()))),
        }
    })
    .await
}

impl JoinError {
    /// A join error that carries a panic's message.
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic with a non-text payload".to_owned());
        JoinError(format!("task panicked: {message}"))
    }
}

/// Runs `future` for at most `limit`; `None` if the time ran out first.
///
/// This is how a timeout works on any runtime: poll the work and a timer
/// together and take whichever finishes first. The loser is dropped, and
/// dropping a future cancels it: an HTTP request dropped here closes its
/// connection.
///
/// ```
/// # use std::time::Duration;
/// # use fetch_core::{Runtime, timeout};
/// # fn demo<R: Runtime>(rt: R) {
/// let out = rt.block_on(timeout(&rt, Duration::from_millis(10), std::future::pending::<()>()));
/// assert_eq!(out, None);
/// # }
/// ```
pub fn timeout<R: Runtime, F: Future>(
    rt: &R,
    limit: Duration,
    future: F,
) -> Timeout<F, impl Future<Output = ()> + Send + 'static> {
    Timeout {
        future,
        timer: rt.sleep(limit),
    }
}

pin_project_lite::pin_project! {
    /// The future [`timeout`] returns: the work and its timer side by side.
    ///
    /// A plain struct rather than an `async fn`, because an `async fn`
    /// taking a future keeps room for it twice (the argument and the
    /// awaited value), and every byte of a request's future is copied when
    /// the request starts.
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct Timeout<F, S> {
        #[pin]
        future: F,
        #[pin]
        timer: S,
    }
}

impl<F: Future, S: Future<Output = ()>> Future for Timeout<F, S> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.future.poll(cx) {
            return Poll::Ready(Some(out));
        }
        match this.timer.poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}
