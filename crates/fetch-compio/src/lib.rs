//! The compio runtime behind [`fetch_core::LocalRuntime`].
//!
//! compio is thread-per-core: each thread runs its own executor and its
//! own I/O driver, and a task never leaves the thread that spawned it, so
//! its futures and sockets need not be `Send`. On Linux its driver submits
//! reads, writes and connects to the kernel through io_uring (a completion
//! queue: the kernel does the I/O and says when it is done), and falls back
//! to epoll (readiness: the kernel says when a socket is ready, and the
//! runtime does the I/O) where io_uring is refused, as some kernels and
//! seccomp profiles do. [`CompioRuntime::driver`] says which one a runtime
//! got; the load report carries it.
//!
//! # Layout
//!
//! - this file: [`CompioRuntime`]: sleep, spawn on this thread, block on.
//! - `main.rs`: the `fetch-compio` binary: a runtime and a cyper client per shard, handed to `fetch-cli`.

use std::future::Future;
use std::time::Duration;

use compio::driver::DriverType;
use fetch_core::{JoinError, LocalRuntime, LocalTask, Timer};

/// One compio runtime: the executor and I/O driver of the thread that
/// made it.
#[derive(Debug, Clone)]
pub struct CompioRuntime {
    runtime: compio::runtime::Runtime,
}

impl CompioRuntime {
    /// A runtime for this thread, on io_uring where the kernel allows it,
    /// else on epoll.
    pub fn new() -> std::io::Result<Self> {
        Ok(CompioRuntime {
            runtime: compio::runtime::Runtime::new()?,
        })
    }
}

impl Timer for CompioRuntime {
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + 'static {
        // compio's timer lives in the runtime that polls this future.
        compio::time::sleep(duration)
    }
}

impl LocalRuntime for CompioRuntime {
    fn name(&self) -> &'static str {
        "compio"
    }

    fn driver(&self) -> &'static str {
        match self.runtime.driver_type() {
            DriverType::IoUring => "io_uring",
            DriverType::Poll => "epoll",
            DriverType::IOCP => "iocp",
        }
    }

    fn spawn_local<F>(&self, future: F) -> LocalTask<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let handle = self.runtime.spawn(future);
        LocalTask::new(async move {
            handle.await.map_err(|e| match e {
                compio::runtime::JoinError::Panicked(payload) => {
                    JoinError::from_panic(payload.as_ref())
                }
                cancelled => JoinError(cancelled.to_string()),
            })
        })
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}
