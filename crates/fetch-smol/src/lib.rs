//! The smol runtime behind [`fetch_core::Runtime`].
//!
//! smol is a set of small crates: `async-executor` (the task queue),
//! `async-io` (the reactor: epoll and timers), `blocking` (a thread pool for
//! blocking calls). Unlike tokio it has no fixed "runtime" object: an
//! executor is polled by whichever threads call `executor.run(...)`. smol's
//! global executor starts with a single thread, so this adapter builds its
//! own executor and runs it on exactly the number of threads asked for; a
//! comparison with tokio's N workers is then fair.
//!
//! # Layout
//!
//! - this file: [`SmolRuntime`], the four operations of [`fetch_core::Runtime`] in smol's terms.
//! - `main.rs`: the `fetch-smol` binary: build the runtime, pick the client, hand over to `fetch-cli`.

use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use fetch_core::{Runtime, Task, catch_panics};
use smol::Executor;

/// A smol executor polled by a fixed set of threads.
#[derive(Debug, Clone)]
pub struct SmolRuntime {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    executor: Arc<Executor<'static>>,
    threads: usize,
    /// Closing this channel tells the worker threads to stop.
    stop: async_channel::Sender<()>,
    workers: Vec<JoinHandle<()>>,
}

impl SmolRuntime {
    /// An executor run by exactly `threads` threads.
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let executor = Arc::new(Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let mut workers = Vec::with_capacity(threads);
        for i in 0..threads {
            let executor = executor.clone();
            let stopped = stopped.clone();
            workers.push(
                std::thread::Builder::new()
                    .name(format!("smol-worker-{i}"))
                    // Each thread runs the executor's tasks until the stop
                    // channel closes. `block_on` here is async-io's: while no
                    // task is ready, the thread sleeps in the reactor (epoll)
                    // instead of spinning.
                    .spawn(move || {
                        let _ = smol::block_on(executor.run(stopped.recv()));
                    })?,
            );
        }
        Ok(SmolRuntime {
            inner: Arc::new(Inner {
                executor,
                threads,
                stop,
                workers,
            }),
        })
    }
}

impl SmolRuntime {
    /// The executor this runtime's threads run: where a client's own
    /// background tasks (HTTP/2 connections) belong, so they share these
    /// threads rather than start more.
    pub fn executor(&self) -> Arc<Executor<'static>> {
        self.inner.executor.clone()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop.close();
        let current = std::thread::current().id();
        for worker in self.workers.drain(..) {
            // The last handle may be dropped by a task on a worker thread;
            // that thread cannot wait for itself.
            if worker.thread().id() != current {
                let _ = worker.join();
            }
        }
    }
}

impl Runtime for SmolRuntime {
    fn name(&self) -> &'static str {
        fetch_registry::Runtime::Smol.name()
    }

    fn threads(&self) -> usize {
        self.inner.threads
    }

    fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let task = self.inner.executor.spawn(catch_panics(future));
        Task::new(task)
    }

    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // A smol task whose handle is dropped is cancelled; `detach` lets
        // it run on.
        self.inner.executor.spawn(catch_panics(future)).detach();
    }

    fn spawn_blocking<F, T>(&self, f: F) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // `blocking::unblock` runs `f` on smol's blocking thread pool (up to
        // 500 threads) and returns a future of its result.
        Task::new(blocking::unblock(move || {
            fetch_core::catch_blocking_panics(f)
        }))
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        // An async-io timer: registered with the reactor, no thread sleeps.
        let timer = smol::Timer::after(duration);
        async move {
            timer.await;
        }
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        // The calling thread only polls `future` itself; spawned tasks run
        // on the runtime's own threads, so exactly `threads` threads run tasks.
        smol::block_on(future)
    }
}

impl fetch_cli::Hooks for SmolRuntime {
    fn file_api(&self) -> Option<&'static str> {
        Some("smol::fs::read")
    }

    fn read_file(
        &self,
        path: &std::path::Path,
    ) -> impl Future<Output = std::io::Result<Vec<u8>>> + Send {
        // async-fs runs each call on the `blocking` crate's thread pool.
        smol::fs::read(path.to_owned())
    }

    fn flavour(&self) -> Option<&'static str> {
        None
    }

    fn main_attribute(&self) -> Result<fetch_cli::MainAttribute, &'static str> {
        Err("it has none; main calls smol::block_on itself")
    }
}
