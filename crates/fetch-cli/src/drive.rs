//! What the commands need of a runtime and a client, however the runtime
//! runs its tasks: [`Drive`].
//!
//! Two kinds of runtime drive the commands. A Send runtime (tokio, smol,
//! async-std, the threads baseline) is one runtime whose tasks may run on
//! any of its worker threads: [`Context`], with one client shared by all.
//! A thread-per-core runtime (compio) runs one executor per thread and
//! never moves a task: [`LocalContext`], with a runtime and a client on
//! this thread for `tour`, `title` and `user`, and a runtime and a client
//! per shard for `load` ([`fetch_core::run_sharded`]). The fetches
//! themselves are the same generic functions for both
//! ([`fetch_page`], [`get_user`], the load engine's worker).
//!
//! # Layout
//!
//! - [`Drive`], and [`Titled`], a title as the commands print it.
//! - [`LocalContext`]: a thread-per-core runtime's context.
//! - the two impls, and [`one_page`], the fetch both run for each title.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fetch_core::{
    FetchError, HttpClient, JoinError, LoadPlan, LocalHttpClient, LocalRuntime, Progress, Report,
    Runtime, ShardPlan, Sharding, Timer, User, fetch_page, get_user, run_load, run_sharded, within,
};

use crate::App;
use crate::context::{Context, runtime_description};

/// A page's title as the commands print it: the title, the redirects
/// followed and where they led (an owned [`fetch_core::Page`]).
#[derive(Debug)]
pub(crate) struct Titled {
    /// The page, or why there is none.
    pub(crate) page: Result<TitledPage, FetchError>,
    /// How long it took.
    pub(crate) took: Duration,
}

/// What `title` prints of a fetched page.
#[derive(Debug)]
pub(crate) struct TitledPage {
    /// Its `<title>`, if it has one.
    pub(crate) title: Option<String>,
    /// Redirects followed to reach it.
    pub(crate) redirects: u32,
    /// Where they led.
    pub(crate) url: String,
}

/// What the commands (`tour`, `title`, `user`, `load`) and the lessons
/// that run on every kind of runtime need of a runtime and a client: one
/// context, whether its runtime is Send or thread-per-core.
pub(crate) trait Drive {
    /// The runtime's timer (its sleep), for `within` and the lessons.
    type Rt: Timer;
    /// The client, Send or not.
    type Client: LocalHttpClient;
    /// The binary's description of itself.
    fn app(&self) -> &App;
    /// The runtime (one on this thread, for a thread-per-core runtime).
    fn rt(&self) -> &Self::Rt;
    /// The client (the one on this thread, for a thread-per-core runtime).
    fn client(&self) -> &Self::Client;
    /// The time limit of each request (`--timeout`).
    fn timeout(&self) -> Duration;
    /// The runtime's name.
    fn runtime_name(&self) -> &'static str;
    /// "tokio, 2 worker threads": how the runtime runs its tasks.
    fn description(&self) -> String;
    /// Runs `future` to completion on this thread.
    fn block_on<F: Future>(&self, future: F) -> F::Output;
    /// The size of the handle a spawn returns, in bytes (the task is
    /// dropped at once).
    fn task_handle_size(&self) -> usize;
    /// Fetches every page's title, all in flight at once, each its own
    /// task; the results in the order given. An error is a task that
    /// failed (panicked).
    fn titles(&self, urls: &[String]) -> anyhow::Result<Vec<Titled>>;
    /// Runs the load engine on `plan`.
    fn load(&self, plan: LoadPlan, progress: Arc<Progress>) -> anyhow::Result<Report>;

    /// `get_user` on `url`, to completion, under the time limit.
    fn user(&self, url: &str) -> Result<User, FetchError> {
        // `block_on` is the bridge from synchronous code into async code:
        // it polls the future until it is done, parking the thread
        // whenever the future waits.
        self.block_on(within(
            self.rt(),
            self.timeout(),
            url,
            get_user(self.client(), url),
        ))
    }
}

/// The fetch behind each title: `fetch_page` under the time limit, timed,
/// its result owned (the page borrows `url`).
async fn one_page<R: Timer, C: LocalHttpClient>(
    rt: R,
    client: Arc<C>,
    url: String,
    limit: Duration,
) -> Titled {
    let started = Instant::now();
    let page = within(&rt, limit, &url, fetch_page(&*client, &url)).await;
    let page = page.map(|p| TitledPage {
        title: p.title,
        redirects: p.redirects,
        url: p.url.into_owned(),
    });
    Titled {
        page,
        took: started.elapsed(),
    }
}

/// Awaits each task in order, after all were spawned.
async fn awaited<T: Future<Output = Result<Titled, JoinError>>>(
    tasks: Vec<T>,
) -> anyhow::Result<Vec<Titled>> {
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(
            task.await
                .map_err(|e| anyhow::anyhow!("a title task failed: {e}"))?,
        );
    }
    Ok(results)
}

impl<R: Runtime, C: HttpClient> Drive for Context<'_, R, C> {
    type Rt = R;
    type Client = C;

    fn app(&self) -> &App {
        &self.app
    }

    fn rt(&self) -> &R {
        self.runtime
    }

    fn client(&self) -> &C {
        &self.client
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    fn runtime_name(&self) -> &'static str {
        Runtime::name(self.runtime)
    }

    fn description(&self) -> String {
        runtime_description(self.runtime)
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        Runtime::block_on(self.runtime, future)
    }

    fn task_handle_size(&self) -> usize {
        size_of_val(&self.runtime.spawn(async {}))
    }

    fn titles(&self, urls: &[String]) -> anyhow::Result<Vec<Titled>> {
        self.runtime.block_on(async {
            // Spawn first, await after: all requests are in flight
            // together. Awaiting each right after spawning it would run
            // them one by one.
            let tasks: Vec<_> = urls
                .iter()
                .map(|url| {
                    let (rt, client) = (self.runtime.clone(), self.client.clone());
                    self.runtime
                        .spawn(one_page(rt, client, url.clone(), self.timeout))
                })
                .collect();
            awaited(tasks).await
        })
    }

    fn load(&self, plan: LoadPlan, progress: Arc<Progress>) -> anyhow::Result<Report> {
        Ok(self
            .runtime
            .block_on(run_load(self.runtime, self.client.clone(), plan, progress)))
    }
}

/// What the commands run with on a thread-per-core runtime: a runtime and
/// a client on this thread, and `make` to build one of each per shard.
pub(crate) struct LocalContext<R, C, M> {
    pub(crate) runtime: R,
    pub(crate) client: Arc<C>,
    pub(crate) make: Arc<M>,
    /// Shards for `load`: `--threads`.
    pub(crate) threads: usize,
    pub(crate) timeout: Duration,
    pub(crate) app: App,
}

impl<R, C, M> Drive for LocalContext<R, C, M>
where
    R: LocalRuntime,
    C: LocalHttpClient,
    M: Fn(ShardPlan) -> Result<(R, C), FetchError> + Send + Sync + 'static,
{
    type Rt = R;
    type Client = C;

    fn app(&self) -> &App {
        &self.app
    }

    fn rt(&self) -> &R {
        &self.runtime
    }

    fn client(&self) -> &C {
        &self.client
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    fn runtime_name(&self) -> &'static str {
        self.runtime.name()
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    fn task_handle_size(&self) -> usize {
        size_of_val(&self.runtime.spawn_local(async {}))
    }

    fn description(&self) -> String {
        format!(
            "{} ({}), thread-per-core: {} shard{}, each a runtime and a client on its own thread",
            self.runtime.name(),
            self.runtime.driver(),
            self.threads,
            if self.threads == 1 { "" } else { "s" }
        )
    }

    fn titles(&self, urls: &[String]) -> anyhow::Result<Vec<Titled>> {
        let rt = &self.runtime;
        rt.block_on(async {
            // The same as on a Send runtime, with tasks that stay on this
            // thread: spawn them all, then await them in order.
            let tasks: Vec<_> = urls
                .iter()
                .map(|url| {
                    rt.spawn_local(one_page(
                        rt.clone(),
                        self.client.clone(),
                        url.clone(),
                        self.timeout,
                    ))
                })
                .collect();
            awaited(tasks).await
        })
    }

    fn load(&self, plan: LoadPlan, progress: Arc<Progress>) -> anyhow::Result<Report> {
        let sharding = Sharding {
            shards: self.threads,
            connections: self.client.config().connections,
        };
        let make = self.make.clone();
        Ok(run_sharded(
            sharding,
            move |shard| make(shard),
            plan,
            progress,
        )?)
    }
}
