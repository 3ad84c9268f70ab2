//! What an async runtime must offer so the same code runs on any of them.
//!
//! An `async fn` only builds a future; something has to poll it. That
//! something is the runtime (the "executor" plus an I/O and timer reactor).
//! Rust's standard library has none, so every runtime crate brings its own,
//! each with its own `spawn`, `sleep` and `block_on`. This trait names the
//! four operations this project needs, so `fetch-core` can be written once
//! and each runtime crate (`fetch-tokio`, `fetch-smol`, ...) implements them
//! in a few lines.
//!
//! # Layout
//! - [`Runtime`]: the operations; [`PacerTimer`], the precise timer a
//!   runtime may lend the open loop's pacer.
//! - [`Task`], [`JoinError`]: a spawned task and how it failed;
//!   [`catch_panics`], [`catch_blocking_panics`] keep a panic in its task.
//! - [`timeout`], [`Timeout`], [`yield_now`]: written once over any runtime.

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::Timer;

/// An async runtime: the thing that polls futures until they finish.
///
/// Implementations are cheap handles (`Clone`): the load engine gives one to
/// every worker task so each can start timers.
///
/// # What the engine relies on
///
/// An implementation must keep these, or the load engine and the lessons
/// measure the wrong thing:
///
/// - **Wakers, as `Future` says.** A task that returns `Pending` is woken
///   through the waker of its latest poll. The engine asks no more: its
///   cancel watch compares each poll's waker with the one it registered
///   (`Waker::will_wake`) and registers the new one when they differ, so
///   a runtime that hands a task a new waker now and then is woken on a
///   Ctrl-C too (tokio, smol, async-std and the threads runtime keep one
///   waker per task, and the comparison is then all it costs).
/// - **`Send` futures.** [`Runtime::spawn`] takes `Send + 'static`
///   futures, because a work-stealing runtime may move a task between
///   threads at any `.await`. [`Runtime::sleep`] returns a `Send` future
///   so a request's timeout can live inside a spawned task. Futures given
///   to [`Runtime::block_on`] need not be `Send`: they stay on the calling
///   thread. (Thread-per-core runtimes, whose futures are not `Send`, need
///   another trait: [`LocalRuntime`](crate::LocalRuntime).)
/// - **Spawned tasks run without being awaited.** A task makes progress
///   as soon as it is spawned, on the runtime's threads; awaiting the
///   [`Task`] only collects its output. The engine spawns all workers
///   first and awaits them after.
/// - **Panics stay in their task.** A panicking task ends with a
///   [`JoinError`] from its [`Task`], not by unwinding through the runtime
///   or aborting the process (see [`catch_panics`]).
/// - **Dropping a [`Task`] differs by runtime**, so the code here never
///   relies on it: on tokio and async-std the task goes on, detached; on
///   smol it is cancelled at its next `.await`; on the threads runtime the
///   OS thread runs to its end. Every task here is awaited, except by
///   [`Runtime::spawn_detached`], which says so in its name (the
///   `fire-and-forget` lesson shows both).
pub trait Runtime: Clone + Send + Sync + 'static {
    /// A short name for reports: `"tokio"`, `"smol"`, ...
    fn name(&self) -> &'static str;

    /// How many OS threads poll async tasks (not counting blocking pools).
    fn threads(&self) -> usize;

    /// Whether every task is an OS thread of its own (the threads
    /// baseline) rather than a future polled by a few worker threads.
    /// There, blocking a task blocks nobody else, so the lessons about
    /// freezing an executor do not apply, and the thread count follows
    /// the requests in flight instead of `--threads`.
    fn thread_per_task(&self) -> bool {
        false
    }

    /// Runs `future` as a task of its own, concurrently with the caller.
    ///
    /// Await the returned [`Task`] for its output. Dropping a task without
    /// awaiting it detaches it on some runtimes and cancels it on others, so
    /// the code here always awaits.
    fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Fire and forget: runs `future` as a task of its own with no handle
    /// to await, on every runtime alike (smol's `detach()`, a dropped join
    /// handle on tokio and async-std). It runs until it ends or the runtime
    /// stops, whichever comes first: nobody waits for it.
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static;

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

    /// A timer the open loop's pacer can wait on as a task of this
    /// runtime, or `None` (the default): the pacer is then a thread of its
    /// own. Only a timer precise to microseconds will do ([`Runtime::sleep`]
    /// on tokio counts whole milliseconds), and only where the task
    /// measured cheaper than the thread: on tokio, a timerfd in its reactor
    /// wakes the thread that sends, where a pacer thread had to wake first
    /// and then wake it (see `load::Pacer`).
    fn pacer_timer(&self) -> Option<Box<dyn PacerTimer>> {
        None
    }
}

/// A timer precise to microseconds on which the open loop's pacer runs as
/// a task of its runtime ([`Runtime::pacer_timer`]).
pub trait PacerTimer: Send + 'static {
    /// Waits until `at`; at once if it has passed.
    fn sleep_until(&mut self, at: Instant) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
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

/// Runs blocking `f`, turning a panic into a [`JoinError`]: the closure a
/// runtime adapter hands its blocking pool (smol's and async-std's pools,
/// and the threads baseline, would otherwise resume the panic in whoever
/// awaits, or abort).
pub fn catch_blocking_panics<T>(f: impl FnOnce() -> T) -> Result<T, JoinError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|panic| JoinError::from_panic(panic.as_ref()))
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
pub fn timeout<R: Timer, F: Future>(
    rt: &R,
    limit: Duration,
    future: F,
) -> Timeout<F, impl Future<Output = ()> + 'static> {
    Timeout::with(future, rt.sleep(limit))
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

impl<F, S> Timeout<F, S> {
    /// `future`, or `None` once `stop` is ready first: a timer, or any
    /// other future that ends a wait (the load engine's cancel watch).
    pub fn with(future: F, stop: S) -> Self {
        Timeout {
            future,
            timer: stop,
        }
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
