//! [`ThreadsRuntime`]: the "runtime" of the synchronous world, where every
//! task is an OS thread and waiting means blocking that thread.
//!
//! # Layout
//! - [`ThreadsRuntime`]: spawn = a new thread, which drives its future with
//!   `block_on`.
//! - [`OnThreads`]: a blocking client as this runtime's async client (the only way to make one).
//! - `block_on` and `Sleep`: the thread parks while its future waits,
//!   until woken or until the earliest timer it asked for is due; another
//!   executor polling a `Sleep` is woken by a thread of the timer's own.

use std::cell::Cell;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

use fetch_core::{
    BlockingHttpClient, ClientConfig, FetchError, HttpClient, JoinError, Request, Response,
    Runtime, Task, catch_blocking_panics,
};

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

    /// `client`, a blocking one, as an [`HttpClient`] of this runtime: its
    /// GET blocks the task's own thread, and no other task's. This is the
    /// only way a [`BlockingHttpClient`] becomes an [`HttpClient`], so it
    /// cannot be handed to an executor whose threads it would freeze.
    pub fn client<C: BlockingHttpClient>(&self, client: C) -> OnThreads<C> {
        OnThreads(client)
    }
}

/// A [`BlockingHttpClient`] made an [`HttpClient`] by
/// [`ThreadsRuntime::client`], for this runtime's tasks.
#[derive(Debug, Clone)]
pub struct OnThreads<C>(C);

impl<C: BlockingHttpClient> HttpClient for OnThreads<C> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn config(&self) -> &ClientConfig {
        self.0.config()
    }

    /// Blocks the calling thread for the whole request (the task's own).
    /// There is no `.await` inside: this future is ready the first time it
    /// is polled.
    async fn send(&self, request: &Request<'_>) -> Result<Response, FetchError> {
        self.0.send_blocking(request)
    }

    /// The same, on a connection opened for the request.
    async fn send_fresh(&self, request: &Request<'_>) -> Result<Response, FetchError> {
        self.0.send_fresh_blocking(request)
    }

    fn connections_opened(&self) -> Option<u64> {
        self.0.connections_opened()
    }
}

/// Runs `f` on a new thread and returns a future of its result.
fn on_new_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Task<T> {
    let (done, result) = async_channel::bounded(1);
    let started = std::thread::Builder::new()
        .name("request-thread".into())
        .spawn(move || {
            let _ = done.send_blocking(catch_blocking_panics(f));
        });
    Task::new(async move {
        if let Err(e) = started {
            return Err(JoinError(format!("could not start a thread: {e}")));
        }
        result
            .recv()
            .await
            .unwrap_or_else(|_| Err(JoinError("the thread ended without a result".to_owned())))
    })
}

impl Runtime for ThreadsRuntime {
    fn name(&self) -> &'static str {
        fetch_registry::Runtime::Threads.name()
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn thread_per_task(&self) -> bool {
        fetch_registry::Runtime::Threads.model() == fetch_registry::Model::ThreadPerTask
    }

    fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // The thread drives the future to completion by itself: each time
        // the future waits, the thread sleeps. With a blocking client it
        // never waits at an `.await`; it blocks inside the call instead.
        on_new_thread(move || block_on(future))
    }

    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // The thread runs to its end whether or not anyone waits for it.
        drop(self.spawn(future));
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
        // In this world a sleeping task is a sleeping thread: `block_on`
        // parks it until the deadline.
        Sleep {
            deadline: Instant::now() + duration,
            waker: None,
        }
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        block_on(future)
    }
}

thread_local! {
    /// Set while this thread is inside [`block_on`].
    static DRIVING: Cell<bool> = const { Cell::new(false) };
    /// The earliest deadline a [`Sleep`] polled in this round asked for.
    static WAKE_AT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Drives `future` on this thread. While it waits, the thread parks until
/// its waker is called (a request handed a connection, say) or until the
/// earliest [`Sleep`] is due. A blocking client never waits at an `.await`;
/// it blocks inside the call instead.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let outer = DRIVING.replace(true);
    let out = loop {
        WAKE_AT.set(None);
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            break out;
        }
        match WAKE_AT.get() {
            Some(at) => std::thread::park_timeout(at.saturating_duration_since(Instant::now())),
            None => std::thread::park(),
        }
    };
    DRIVING.set(outer);
    out
}

/// A timer of the threads world: ready at `deadline`.
///
/// Polled inside this runtime's [`block_on`], it tells the thread how long
/// to park. Polled by another executor, which cannot know that, it starts
/// a thread of its own that wakes the task at the deadline, and the
/// executor's thread goes on with its other tasks: it never blocks one.
struct Sleep {
    deadline: Instant,
    /// Set once a waker thread is started: the waker it is to call.
    waker: Option<Arc<std::sync::Mutex<Waker>>>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let now = Instant::now();
        if now >= self.deadline {
            return Poll::Ready(());
        }
        if !DRIVING.get() {
            self.wake_from_a_thread(cx.waker());
            return Poll::Pending;
        }
        let at = WAKE_AT
            .get()
            .map_or(self.deadline, |at| at.min(self.deadline));
        WAKE_AT.set(Some(at));
        Poll::Pending
    }
}

impl Sleep {
    /// Has `waker` called at the deadline by a thread of its own (started
    /// once; a later poll only replaces the waker it will call).
    fn wake_from_a_thread(&mut self, waker: &Waker) {
        if let Some(slot) = &self.waker {
            let mut slot = slot.lock().unwrap_or_else(|poison| poison.into_inner());
            slot.clone_from(waker);
            return;
        }
        let slot = Arc::new(std::sync::Mutex::new(waker.clone()));
        self.waker = Some(slot.clone());
        let deadline = self.deadline;
        let started = std::thread::Builder::new()
            .name("sleep-waker".into())
            .spawn(move || {
                std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                slot.lock()
                    .unwrap_or_else(|poison| poison.into_inner())
                    .wake_by_ref();
            });
        if started.is_err() {
            // No thread to be had: wake at once, so the executor polls
            // again (and again) until the deadline, rather than never.
            self.waker = None;
            waker.wake_by_ref();
        }
    }
}

impl fetch_cli::Hooks for ThreadsRuntime {
    fn file_api(&self) -> Option<&'static str> {
        // Every task is an OS thread: a blocking read is the only kind.
        None
    }

    fn read_file(
        &self,
        path: &std::path::Path,
    ) -> impl Future<Output = std::io::Result<Vec<u8>>> + Send {
        std::future::ready(std::fs::read(path))
    }

    fn flavour(&self) -> Option<&'static str> {
        None
    }

    fn main_attribute(&self) -> Result<fetch_cli::MainAttribute, &'static str> {
        Err("there is no executor; main is an ordinary fn and every task is an OS thread")
    }
}
