//! [`ThreadsRuntime`]: the "runtime" of the synchronous world, where every
//! task is an OS thread and waiting means blocking that thread.

use std::future::Future;
use std::time::Duration;

use fetch_core::{JoinError, Runtime, Task};

/// Runs every spawned future on a new OS thread of its own.
#[derive(Debug, Clone, Copy)]
pub struct ThreadsRuntime {
    threads: usize,
}

impl ThreadsRuntime {
    /// A runtime expected to run `threads` requests at once, one thread
    /// each (reports print this as its thread count).
    pub fn new(threads: usize) -> Self {
        ThreadsRuntime {
            threads: threads.max(1),
        }
    }
}

/// Runs `f` on a new thread and returns a future of its result.
fn on_new_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Task<T> {
    let (done, result) = async_channel::bounded(1);
    let started = std::thread::Builder::new()
        .name("request-thread".into())
        .spawn(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = done.send_blocking(out);
        });
    Task::new(async move {
        if let Err(e) = started {
            return Err(JoinError(format!("could not start a thread: {e}")));
        }
        match result.recv().await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(panic)) => Err(JoinError::from_panic(panic.as_ref())),
            Err(_) => Err(JoinError("the thread ended without a result".to_owned())),
        }
    })
}

impl Runtime for ThreadsRuntime {
    fn name(&self) -> &'static str {
        "threads"
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // The thread drives the future to completion by itself: each time
        // the future waits, the thread sleeps. With a blocking client it
        // never waits at an `.await`; it blocks inside the call instead.
        on_new_thread(move || futures_lite::future::block_on(future))
    }

    fn spawn_blocking<F, T>(&self, f: F) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        on_new_thread(f)
    }

    // Not `async fn`: that would borrow `self`, and the trait asks for a
    // `'static` future.
    #[allow(clippy::manual_async_fn)]
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        // In this world a sleeping task is a sleeping thread.
        async move { std::thread::sleep(duration) }
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        futures_lite::future::block_on(future)
    }
}
