//! The tokio runtime behind [`fetch_core::Runtime`].
//!
//! tokio is a work-stealing multi-threaded executor with its own I/O reactor
//! (epoll on Linux) and timer wheel. Every piece of async code that uses a
//! tokio type (a `TcpStream`, `tokio::time::sleep`, reqwest) must be polled
//! on a tokio runtime, which is why reqwest is tokio's client here.
//!
//! # Layout
//!
//! - this file: [`TokioRuntime`], the four operations of [`fetch_core::Runtime`] in tokio's terms,
//!   and `TimerFd`, the timer the open loop's pacer runs on (Linux).
//! - `expanded`: `#[tokio::main]` written out by hand, as the lesson `main-task` shows it.
//! - `main.rs`: the `fetch-tokio` binary: build the runtime, pick the client, hand over to `fetch-cli`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fetch_core::{JoinError, Runtime, Task};

pub mod expanded;

/// A tokio runtime with a known number of worker threads.
#[derive(Debug, Clone)]
pub struct TokioRuntime {
    runtime: Arc<tokio::runtime::Runtime>,
    threads: usize,
}

impl TokioRuntime {
    /// A runtime whose tasks run on exactly `threads` threads.
    ///
    /// tokio's default is one worker per core; it is set explicitly so every
    /// runtime in a comparison gets the same number. One thread means
    /// tokio's current-thread flavour, where every task runs on the thread
    /// that calls [`Runtime::block_on`] (what `#[tokio::main(flavor =
    /// "current_thread")]` builds).
    pub fn new(threads: usize) -> std::io::Result<Self> {
        if threads <= 1 {
            return Self::current_thread();
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("tokio-worker")
            .enable_all()
            .build()?;
        Ok(TokioRuntime {
            runtime: Arc::new(runtime),
            threads,
        })
    }

    /// A single-threaded runtime: every task is polled on the thread that
    /// calls [`Runtime::block_on`].
    pub fn current_thread() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(TokioRuntime {
            runtime: Arc::new(runtime),
            threads: 1,
        })
    }
}

fn join_error(e: tokio::task::JoinError) -> JoinError {
    JoinError(e.to_string())
}

impl Runtime for TokioRuntime {
    fn name(&self) -> &'static str {
        fetch_registry::Runtime::Tokio.name()
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = self.runtime.spawn(future);
        Task::new(async move { handle.await.map_err(join_error) })
    }

    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Dropping tokio's JoinHandle detaches the task.
        drop(self.runtime.spawn(future));
    }

    fn spawn_blocking<F, T>(&self, f: F) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // tokio keeps a separate, growing pool of threads for blocking work
        // (up to 512 by default), apart from the async workers.
        let handle = self.runtime.spawn_blocking(f);
        Task::new(async move { handle.await.map_err(join_error) })
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        // A tokio timer must be created inside the runtime's context; enter
        // it so this works from any thread.
        let _context = self.runtime.enter();
        tokio::time::sleep(duration)
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    #[cfg(target_os = "linux")]
    fn pacer_timer(&self) -> Option<Box<dyn fetch_core::PacerTimer>> {
        // Registered with this runtime's reactor, so made inside it.
        let _context = self.runtime.enter();
        let delay = tokio_timerfd::Delay::new(std::time::Instant::now()).ok()?;
        Some(Box::new(TimerFd(delay)))
    }
}

/// The open loop's pacer timer on tokio: one timerfd, armed again for each
/// wake-up. It goes off within microseconds of its time (no timer slack
/// applies to it), and its wake-up is the reactor's: the runtime thread
/// waiting in `epoll_wait` runs the pacer and then the workers it releases.
#[cfg(target_os = "linux")]
struct TimerFd(tokio_timerfd::Delay);

#[cfg(target_os = "linux")]
impl fetch_core::PacerTimer for TimerFd {
    fn sleep_until(
        &mut self,
        at: std::time::Instant,
    ) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            self.0.reset(at);
            // A read that fails (never seen) falls back on tokio's timer
            // for this wake-up: a millisecond coarser, never early.
            if (&mut self.0).await.is_err() {
                tokio::time::sleep_until(at.into()).await;
            }
        })
    }
}

impl fetch_cli::Hooks for TokioRuntime {
    fn file_api(&self) -> Option<&'static str> {
        Some("tokio::fs::read")
    }

    fn read_file(
        &self,
        path: &std::path::Path,
    ) -> impl Future<Output = std::io::Result<Vec<u8>>> + Send {
        // tokio's file API runs each call on its blocking pool.
        tokio::fs::read(path.to_owned())
    }

    fn flavour(&self) -> Option<&'static str> {
        // `new` builds the current-thread flavour for one thread.
        Some(if self.threads <= 1 {
            "current_thread"
        } else {
            "multi_thread"
        })
    }

    fn main_attribute(&self) -> Result<fetch_cli::MainAttribute, &'static str> {
        Ok(fetch_cli::MainAttribute {
            attribute: "#[tokio::main]",
            expansion: expanded::expansion(),
        })
    }
}
