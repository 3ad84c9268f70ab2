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
//! - this file: [`CompioRuntime`]: sleep, spawn on this thread, block on; [`shard_maker`]: a
//!   runtime and a client for one shard (the binary, the benches and compare use it).
//! - `main.rs`: the `fetch-compio` binary: a runtime and a client (cyper, or this project's
//!   hyper pool over compio's sockets) per shard, handed to `fetch-cli`.

use std::future::Future;
use std::time::Duration;

use compio::driver::DriverType;
use fetch_core::{ClientConfig, FetchError, JoinError, LocalRuntime, LocalTask, ShardPlan, Timer};

/// One compio runtime: the executor and I/O driver of the thread that
/// made it.
#[derive(Debug, Clone)]
pub struct CompioRuntime {
    runtime: compio::runtime::Runtime,
}

impl CompioRuntime {
    /// A runtime for this thread, on io_uring where the kernel allows it,
    /// else on epoll, for up to `tasks` tasks that other threads may wake.
    ///
    /// A task woken from another thread (a load run's start line, its
    /// cancel switch, the open loop's pacer on another shard) goes through
    /// a queue of fixed size (compio's `sync_queue_size`, 64 by default).
    /// When it is full, `wake` spins until the runtime's own thread drains
    /// it; if that thread is waiting for a lock the waker's caller holds
    /// (event-listener wakes its listeners under its lock), neither moves:
    /// seen here as a hang at 400 requests in flight on 2 shards. A task
    /// is queued at most once until it runs, so room for every task makes
    /// the queue never full.
    pub fn new(tasks: usize) -> std::io::Result<Self> {
        let runtime = compio::runtime::Runtime::builder()
            .sync_queue_size(tasks.saturating_mul(2).saturating_add(1024))
            .build()?;
        Ok(CompioRuntime { runtime })
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
        fetch_registry::Runtime::Compio.name()
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

/// What builds one shard of a sharded run: a compio runtime and a client
/// (`client`: `CyperClient::new` or `HyperClient::compio`) with the shard's
/// share of `config`'s connections, on the shard's own thread.
pub fn shard_maker<C, F>(
    config: &ClientConfig,
    client: F,
) -> impl Fn(ShardPlan) -> Result<(CompioRuntime, C), FetchError> + Send + Sync + 'static
where
    F: Fn(&ClientConfig) -> Result<C, FetchError> + Send + Sync + 'static,
{
    let config = config.clone();
    move |shard| {
        let runtime = CompioRuntime::new(shard.in_flight)
            .map_err(|e| FetchError::setup("the compio runtime", e))?;
        let mut config = config.clone();
        config.connections = shard.connections;
        // Made on the shard's thread, after its runtime: a client over
        // compio belongs to the thread whose runtime it was made under.
        Ok((runtime, client(&config)?))
    }
}
