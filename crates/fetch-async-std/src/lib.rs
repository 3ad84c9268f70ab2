//! The async-std runtime behind [`fetch_core::Runtime`].
//!
//! **async-std is discontinued** (RUSTSEC-2025-0052; its README says "use
//! smol instead"). It stays here because many people still run it and want
//! to see how it compares; nothing new should start on it.
//!
//! async-std has one global executor (from `async-global-executor`), started
//! the first time a task is spawned, with one thread per core unless the
//! `ASYNC_STD_THREAD_COUNT` variable says otherwise. To give it exactly the
//! thread count every other runtime gets, this adapter configures that
//! global executor before async-std first touches it.
//!
//! # Layout
//!
//! - this file: [`AsyncStdRuntime`], the four operations of [`fetch_core::Runtime`] in async-std's terms.
//! - `main.rs`: the `fetch-async-std` binary: build the runtime, hand over to `fetch-cli` with surf.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use fetch_core::{Runtime, Task, catch_panics};

/// async-std's global executor, pinned to a thread count.
#[derive(Debug, Clone, Copy)]
pub struct AsyncStdRuntime {
    threads: usize,
}

/// The thread count the global executor was started with.
static CONFIGURED: OnceLock<usize> = OnceLock::new();

impl AsyncStdRuntime {
    /// Starts the global executor with exactly `threads` threads. It is
    /// global: a second call with another count is an error.
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let configured = *CONFIGURED.get_or_init(|| {
            async_global_executor::init_with_config(
                async_global_executor::GlobalExecutorConfig::default()
                    .with_min_threads(threads)
                    .with_max_threads(threads)
                    .with_thread_name_fn(|| "async-std-worker".to_owned()),
            );
            threads
        });
        if configured != threads {
            return Err(std::io::Error::other(format!(
                "async-std's global executor already runs {configured} threads; it cannot be given {threads}"
            )));
        }
        Ok(AsyncStdRuntime { threads })
    }
}

impl Runtime for AsyncStdRuntime {
    fn name(&self) -> &'static str {
        fetch_registry::Runtime::AsyncStd.name()
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Task::new(async_std::task::spawn(catch_panics(future)))
    }

    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Dropping async-std's JoinHandle detaches the task.
        drop(async_std::task::spawn(catch_panics(future)));
    }

    fn spawn_blocking<F, T>(&self, f: F) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // async-std hands blocking work to the `blocking` crate's pool, the
        // same one smol uses.
        Task::new(async_std::task::spawn_blocking(move || {
            fetch_core::catch_blocking_panics(f)
        }))
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        async_std::task::sleep(duration)
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        // Polls `future` on the calling thread; spawned tasks run on the
        // global executor's threads.
        async_std::task::block_on(future)
    }
}

impl fetch_cli::Hooks for AsyncStdRuntime {
    fn file_api(&self) -> Option<&'static str> {
        Some("async_std::fs::read")
    }

    fn read_file(
        &self,
        path: &std::path::Path,
    ) -> impl Future<Output = std::io::Result<Vec<u8>>> + Send {
        // async-std's file API runs each call on its blocking pool.
        async_std::fs::read(path.to_owned())
    }

    fn flavour(&self) -> Option<&'static str> {
        None
    }

    fn main_attribute(&self) -> Result<fetch_cli::MainAttribute, &'static str> {
        Err(
            "#[async_std::main] needs async-std's `attributes` feature, which this project leaves off; main calls async_std::task::block_on itself",
        )
    }
}
