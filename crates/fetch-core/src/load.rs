//! The load engine: N requests (or a duration), C of them in flight at once,
//! on any [`Runtime`] and [`HttpClient`] ([`run_load`]), or sharded over
//! thread-per-core runtimes (`crate::shard`, with the same workers).
//!
//! The shape is "C workers pull from one counter": the engine spawns
//! `concurrency` tasks, and each loops: claim the next request number, build
//! its URL, run it under a timeout, count the outcome. A task waiting for
//! the network costs no thread, so 10,000 workers on two threads are fine.
//!
//! Accounting is per worker, with no lock or channel per request: a
//! [`Recorder`] counts outcomes in plain integers and buffers latencies,
//! flushing them in batches into a few shared histograms. Two relaxed
//! atomics per request feed the progress bar. When the workers end, their
//! tallies are merged into one [`Report`].
//!
//! Requests in flight and connections are two numbers: with more workers
//! than the client has connections, a fair [`Gate`] lets only as many
//! requests into the client as it has connections, and the rest queue.
//!
//! With a rate ([`LoadPlan::rate`]) the run is an *open loop*: a pacer (a
//! task of the runtime on tokio, a thread of its own elsewhere) releases
//! request *i* at `start + (i - 1) / rate` (see [`crate::pace`]),
//! the workers (still `concurrency` of them: the cap on requests in
//! flight) take released requests in order, and each request's latency
//! counts from when it was due, its service time from when it was sent.
//!
//! # Layout
//! - `plan`: [`UrlTemplate`], [`Stop`], [`LoadPlan`]: what to run.
//! - `cancel`: [`Cancel`], [`Progress`]: the live side a Ctrl-C handler and a
//!   progress bar share with a run; the futures that cut a request short.
//! - `state`: [`LoadState`]: what the workers share, claiming, the report.
//! - `record`: [`Recorder`], [`Tally`]: the accounting.
//! - `alarm`: one timer per worker for every request's time limit.
//! - here: [`run_load`], the worker, the pacer, and `Crew`, the spawn, await
//!   and merge that the Send run and each shard of a sharded run share.

mod alarm;
mod cancel;
mod plan;
mod record;
mod state;

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use self::alarm::{Alarm, RunEnded};
use self::cancel::CancelWatch;
pub use self::cancel::{Cancel, Progress};
pub use self::plan::{LoadPlan, Stop, UrlTemplate};
pub use self::record::{Recorder, Tally};
pub use self::state::LoadState;
use crate::fetch::check_status;
use crate::gate::Gate;
use crate::pace::{PacerCost, PacerKind};
use crate::{
    ClientConfig, ErrorKind, FetchError, HttpClient, HttpVersion, JoinError, LocalHttpClient,
    Parse, Report, Request, RunConfig, Runtime, Timeout, Timer, decode_user,
    send_following_counted, title_of,
};

/// Runs `plan` with `client` on `rt` and reports every request's outcome.
///
/// Call it from inside the runtime (`rt.block_on(run_load(...))`). Live
/// counts are readable from `progress` while it runs, and
/// `progress.cancel.cancel()` stops it early.
///
/// When `plan.concurrency` is above the client's
/// [`connections`](crate::ClientConfig::connections), the engine itself
/// lets only that many requests into the client at once; the others queue
/// for a free connection. Not every client library can cap its *open*
/// connections (reqwest's and ureq's pools cap only the idle ones), so
/// without this gate 10,000 requests in flight would open 10,000 sockets
/// whatever `--connections` says. Every client gets the same gate.
pub async fn run_load<R: Runtime, C: HttpClient>(
    rt: &R,
    client: Arc<C>,
    plan: LoadPlan,
    progress: Arc<Progress>,
) -> Report {
    let crew = Crew::new(client, plan.concurrency);
    let config = RunConfig::of(
        &plan,
        Runner {
            runtime: rt.name(),
            threads: rt.threads(),
            thread_per_task: rt.thread_per_task(),
            client: crew.client.name(),
            client_config: crew.client.config(),
            gated: crew.gate.is_some(),
        },
    );
    let state = Arc::new(LoadState::new(
        plan,
        progress,
        histogram_shards(rt.threads()),
    ));
    let count = crew.count_connections();
    // Spawning is what makes the workers run at the same time: each
    // `spawn` hands a future to the runtime, which polls all of them,
    // switching to whichever has data ready.
    let tasks: Vec<_> = (0..crew.workers)
        .map(|i| rt.spawn(crew.worker(rt, &state, i)))
        .collect();
    // An open loop's schedule is kept by a pacer: a task, or a thread.
    let pacer = Pacer::start_on(rt, &state);
    // Every worker exists: let them all go at once. Opening only now, after
    // the spawning loop, means a slow spawner (10,000 OS threads for the
    // threads baseline) cannot leave the first workers running alone, and
    // the clock starts with all of them ready.
    state.open();
    let outcome = crew.gather(count, tasks, pacer).await;
    state.report(outcome.tally, config, outcome.panic, outcome.opened)
}

/// One runtime's part of a run: its workers, the client they share and,
/// when the client has fewer connections than workers, the gate in front
/// of it. The Send run ([`run_load`]) has one crew; a sharded run one per
/// shard. Each spawns the crew's workers its own way (`spawn` or
/// `spawn_local`); the rest, the gate, awaiting and merging the workers
/// with their panics, and counting connections, is written here once.
pub(crate) struct Crew<C> {
    /// The client every worker sends through.
    pub(crate) client: Arc<C>,
    /// The gate, when the workers outnumber the connections.
    pub(crate) gate: Option<Arc<Gate>>,
    /// How many workers (requests in flight) it has.
    pub(crate) workers: usize,
}

/// What a crew brings back from a run.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Its workers' merged tallies.
    pub(crate) tally: Tally,
    /// The last panic of one of its tasks, if any.
    pub(crate) panic: Option<String>,
    /// Connections its client opened during the run, when it can tell.
    pub(crate) opened: Option<u64>,
}

/// The connections a client had opened when a run started.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionCount(Option<u64>);

impl<C: LocalHttpClient> Crew<C> {
    /// A crew of `workers` workers (at least 1) on `client`.
    pub(crate) fn new(client: Arc<C>, workers: usize) -> Self {
        let workers = workers.max(1);
        let gate = client
            .config()
            .gate_places(workers)
            .map(|places| Arc::new(Gate::new(places)));
        Crew {
            client,
            gate,
            workers,
        }
    }

    /// Notes the client's connection count before a run.
    pub(crate) fn count_connections(&self) -> ConnectionCount {
        ConnectionCount(self.client.connections_opened())
    }

    /// Worker `index` of the run `state` on `rt`, to be spawned.
    pub(crate) fn worker<R: Timer>(
        &self,
        rt: &R,
        state: &Arc<LoadState>,
        index: usize,
    ) -> impl Future<Output = Tally> + use<R, C> {
        worker(
            rt.clone(),
            self.client.clone(),
            state.clone(),
            index,
            self.gate.clone(),
        )
    }

    /// Awaits every worker task, then the pacer's, merging the workers'
    /// tallies; a task that panicked leaves its panic (its requests count
    /// as panicked in the report), and the others still count.
    pub(crate) async fn gather<T>(
        &self,
        before: ConnectionCount,
        tasks: Vec<T>,
        pacer: Option<Pacer>,
    ) -> Outcome
    where
        T: Future<Output = Result<Tally, JoinError>>,
    {
        let mut outcome = Outcome::default();
        for task in tasks {
            match task.await {
                Ok(tally) => outcome.tally.merge(tally),
                Err(e) => outcome.panic = Some(e.to_string()),
            }
        }
        if let Some(pacer) = pacer
            // The workers are done, so the schedule is over or cancelled;
            // a pacer still sleeping ends within a nap.
            && let Err(e) = pacer.finished().await
        {
            outcome.panic = Some(e.to_string());
        }
        outcome.opened = self
            .client
            .connections_opened()
            .zip(before.0)
            .map(|(after, before)| after.saturating_sub(before));
        outcome
    }
}

/// Who ran a load, for its [`RunConfig`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Runner<'a> {
    /// The runtime's name.
    pub(crate) runtime: &'static str,
    /// Its threads (or shards).
    pub(crate) threads: usize,
    /// Whether every task is an OS thread of its own.
    pub(crate) thread_per_task: bool,
    /// The client's name.
    pub(crate) client: &'static str,
    /// What the client was built with.
    pub(crate) client_config: &'a ClientConfig,
    /// Whether the engine's gate caps the requests in the client.
    pub(crate) gated: bool,
}

/// Latency histogram shards for a run on `threads` threads: a few per
/// thread keep their locks uncontended; each is ~190 KB, so a runtime with
/// thousands of threads shares 16.
pub(crate) fn histogram_shards(threads: usize) -> usize {
    (threads * 4).clamp(1, 16)
}

impl RunConfig {
    /// The configuration of a run of `plan` by `runner`.
    pub(crate) fn of(plan: &LoadPlan, runner: Runner<'_>) -> Self {
        RunConfig {
            runtime: runner.runtime,
            threads: runner.threads,
            thread_per_task: runner.thread_per_task,
            client: runner.client,
            connections: runner.client_config.connections,
            concurrency: plan.concurrency,
            url: plan.url.as_str().to_owned(),
            method: plan.request.method.to_string(),
            header_names: plan.request.headers.names(),
            body_bytes: plan.request.body.len() as u64,
            parse: plan.parse,
            timeout: plan.timeout,
            max_redirects: runner.client_config.max_redirects,
            tls: crate::is_scheme(&plan.url.first(), "https"),
            http2: runner.client_config.http2,
            keep_alive: runner.client_config.keep_alive,
            gated: runner.gated,
            rate: plan.rate,
            duration: match plan.stop {
                Stop::Duration(d) => Some(d),
                Stop::Requests(_) => None,
            },
            wait_ongoing: plan.wait_ongoing,
            shards: None,
        }
    }
}

/// One worker: claims requests until the run is over.
///
/// Written against [`Timer`] and [`LocalHttpClient`], so the same worker
/// runs as a task of a Send runtime ([`run_load`]) and on a thread-per-core
/// runtime's shard ([`run_sharded`](crate::run_sharded)). With a `gate`,
/// each request first waits for one of its places.
async fn worker<R: Timer, C: LocalHttpClient>(
    rt: R,
    client: Arc<C>,
    state: Arc<LoadState>,
    index: usize,
    gate: Option<Arc<Gate>>,
) -> Tally {
    let mut recorder = state.recorder(index);
    let mut url = String::new();
    let mut cancelled = CancelWatch::new(state.cancel());
    // One timer for every request's limit (see `alarm`).
    let mut alarm = Alarm::new(|limit| rt.sleep(limit));
    let plan = state.plan();
    state.wait_for_start().await;
    // A `-d` run's end, when the requests in flight then are cut off.
    let cut = plan.cut_at(state.started_at());
    let spec = &plan.request;
    // Bodies only read are counted, not kept: a large one takes no memory.
    let keep_body = plan.parse != Parse::None;
    while let Some(id) = state.next_request().await {
        let start = Instant::now();
        let due = state.due(id);
        if let Some(due) = due {
            recorder.sent_after(start.saturating_duration_since(due));
        }
        recorder.claimed(id);
        let authorization = plan.url.render(id, &mut url).cloned();
        let sent = Request {
            method: spec.method.clone(),
            url: &url,
            headers: &spec.headers,
            authorization,
            body: spec.body.clone(),
            keep_body,
        };
        let mut retries = 0;
        let request = alarm.limit(
            start + plan.timeout,
            cut,
            &url,
            plan.timeout,
            request(&*client, &sent, plan, gate.as_deref(), &mut retries),
        );
        // The request, or a cancel: whichever comes first (`None`).
        let outcome = Timeout::with(request, &mut cancelled).await;
        recorder.retried(retries);
        match outcome {
            Some(Ok(Ok((answer, verdict)))) => {
                let service = start.elapsed();
                let from_due = due.map_or(service, |due| due.elapsed());
                recorder.answered(answer.status, answer.received, from_due);
                match verdict {
                    Ok(()) => {
                        recorder.ok_due(from_due, service);
                        recorder.redirected(answer.redirects, answer.version);
                    }
                    Err(err) => recorder.error(&err, service),
                }
            }
            // A request that fails once the run has ended (its `-d`
            // deadline passed, or it was stopped) was in flight at the
            // end and likely failed because of it: cutting the other
            // requests off can break a connection they share (seen with
            // HTTP/2 on smol at 1,000 in flight on 10 connections: a few
            // dozen "broken pipe" just after the deadline). It counts as
            // cancelled, with what it failed with, not as an error of the
            // server. Only this error path reads the clock.
            Some(Ok(Err(err))) if ended(&state, cut) => {
                recorder.error_kind(ErrorKind::Cancelled, start.elapsed(), || {
                    format!(
                        "{url} was in flight when the run ended, and then failed: {}",
                        err.chain()
                    )
                });
                break;
            }
            Some(Ok(Err(err))) => recorder.error(&err, start.elapsed()),
            Some(Err(RunEnded)) => {
                recorder.error_kind(ErrorKind::Cancelled, start.elapsed(), || {
                    format!("{url} was in flight at the end of the run (-d)")
                });
                break;
            }
            None => {
                recorder.error_kind(ErrorKind::Cancelled, start.elapsed(), || {
                    format!("{url} was in flight when the run was stopped")
                });
                break;
            }
        }
    }
    recorder.finish()
}

/// Whether the run is over for the requests still in flight: stopped
/// (Ctrl-C, or a caller's cancel), or past its `-d` deadline `cut`.
fn ended(state: &LoadState, cut: Option<Instant>) -> bool {
    state.cancel().is_cancelled() || cut.is_some_and(|cut| Instant::now() >= cut)
}

/// The open loop's pacer: sleeps until the next request is due and
/// releases every request due by then, until the schedule is over or the
/// run is cancelled.
///
/// It needs a timer precise to microseconds: tokio's counts in whole
/// milliseconds, so a pacer on it released each request up to a
/// millisecond after it was due, and that wait was in every open-loop
/// latency. Where the runtime lends one ([`Runtime::pacer_timer`]: tokio,
/// a timerfd in its reactor) the pacer is a task of the run's runtime;
/// elsewhere (smol, async-std, thread-per-core shards, the threads
/// baseline) it is an OS thread of its own, sleeping on the kernel's
/// high-resolution timer with 1 µs of timer slack (Linux gives a thread
/// 50 µs by default).
///
/// Each wake-up costs a context switch, some 20 to 50 µs of CPU on the
/// 2-core VMs this is measured on, and at low rates the pacer wakes once
/// per request. A thread then wakes twice per request: itself, then the
/// runtime thread it hands the request to. A task wakes once: the timer
/// wakes the runtime thread that runs the pacer, and the worker it
/// releases runs there next. On tokio at 2,000/s that took a quarter off
/// the client's CPU (docs/load.md); on smol the task cost more than the
/// thread (its timers are served by whichever thread drives async-io's
/// reactor, and the release had more threads to wake), and so did
/// async-std's (async-io too): both keep the thread. At high rates the
/// pacer wakes at most once in [`PACER_MIN_NAP`] and releases several per
/// wake-up. A pacer that wakes late releases late, and the requests it
/// held count their delay in their latency and as late starts: nothing is
/// hidden, the report shows what it managed.
pub(crate) enum Pacer {
    /// A thread of its own (or why it could not start), pacing `state`.
    Thread {
        thread: std::io::Result<std::thread::JoinHandle<()>>,
        state: Arc<LoadState>,
    },
    /// A task of the run's runtime.
    Task(crate::Task<()>),
}

/// The longest the pacer sleeps at once, so a cancel is seen soon at any rate.
const PACER_NAP: Duration = Duration::from_millis(5);

/// The shortest: the pacer wakes at most once in this long, and then
/// releases every request due by then. Each wake-up costs its thread some
/// 20 to 50 µs of CPU on the 2-core VMs this is measured on, so waking for
/// every due time took a third to a half of a core at half saturation
/// (33,000 to 70,000/s), from the cores the server and the client share,
/// and that contention was the p99 (tens of milliseconds). Up to 4,000/s
/// the requests are this far apart or more and nothing changes; above, a
/// request no worker came back for in time (see `LoadState::claim_due`)
/// waits for the next wake-up, up to this long. Measured in
/// docs/load.md: 250 µs kept the p50 gap within 80 µs at 10,000/s and at
/// half saturation, and cut the p99 gap there to about a millisecond.
const PACER_MIN_NAP: Duration = Duration::from_micros(250);

impl Pacer {
    /// Starts the pacer of the open-loop run `state` on `rt`: a task when
    /// `rt` lends a [`PacerTimer`](crate::PacerTimer), a thread otherwise;
    /// `None` for a closed loop.
    pub(crate) fn start_on<R: Runtime>(rt: &R, state: &Arc<LoadState>) -> Option<Self> {
        state.pacing()?;
        let Some(mut timer) = rt.pacer_timer() else {
            return Self::start(state);
        };
        let shared = state.clone();
        let task = rt.spawn(async move {
            if let Some(pacing) = shared.pacing() {
                // However the task ends (a panic too), idle workers wake
                // and find nothing more.
                let _finish = Finish(pacing);
                let mut pace = pin!(async {
                    shared.wait_for_start().await;
                    let (start, last) = (shared.started_at(), shared.schedule_len(pacing));
                    while let Some(at) = release_due(&shared, pacing, start, last) {
                        timer.sleep_until(at).await;
                    }
                });
                // A task has no CPU clock of its own: its cost is the time
                // inside its polls, timed around each.
                let mut polling = Duration::ZERO;
                poll_fn(|cx| {
                    let began = Instant::now();
                    let poll = pace.as_mut().poll(cx);
                    polling += began.elapsed();
                    poll
                })
                .await;
                pacing.set_cost(PacerCost {
                    runs_as: PacerKind::Task,
                    cpu: polling,
                });
            }
        });
        Some(Pacer::Task(task))
    }

    /// Starts the pacer of the open-loop run `state` as a thread of its
    /// own; `None` for a closed loop. A thread that cannot start ends the
    /// schedule at once (nothing is sent) and [`Pacer::finished`] says why.
    pub(crate) fn start(state: &Arc<LoadState>) -> Option<Self> {
        let pacing = state.pacing()?;
        let shared = state.clone();
        let thread = std::thread::Builder::new()
            .name("fetch-pacer".into())
            .spawn(move || {
                if let Some(pacing) = shared.pacing() {
                    // However the loop ends (a panic too), idle workers
                    // wake and find nothing more.
                    let _finish = Finish(pacing);
                    pace(&shared, pacing);
                    if let Some(cpu) = crate::pace::thread_cpu_time() {
                        pacing.set_cost(PacerCost {
                            runs_as: PacerKind::Thread,
                            cpu,
                        });
                    }
                }
            });
        if thread.is_err() {
            pacing.finish();
        }
        Some(Pacer::Thread {
            thread,
            state: state.clone(),
        })
    }

    /// Waits, without blocking the runtime, until the pacer ends (within
    /// [`PACER_NAP`] of the schedule's end or a cancel); its panic, if it
    /// had one.
    pub(crate) async fn finished(self) -> Result<(), JoinError> {
        let (thread, state) = match self {
            Pacer::Task(task) => {
                return task
                    .await
                    .map_err(|e| JoinError(format!("the open loop's pacer panicked: {e}")));
            }
            Pacer::Thread { thread, state } => (thread, state),
        };
        if let Some(pacing) = state.pacing() {
            while !pacing.is_done() {
                let done = pacing.listen_done();
                if pacing.is_done() {
                    break;
                }
                done.await;
            }
        }
        // `done` is set by the thread's last act: joining takes no time.
        match thread {
            Ok(thread) => thread
                .join()
                .map_err(|_| JoinError("the open loop's pacer panicked".into())),
            Err(e) => Err(JoinError(format!(
                "could not start the open loop's pacer thread: {e}"
            ))),
        }
    }
}

/// Ends a schedule when dropped.
struct Finish<'a>(&'a crate::pace::Pacing);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// The pacer thread's loop.
fn pace(state: &LoadState, pacing: &crate::pace::Pacing) {
    crate::pace::fine_timer_slack();
    while !state.is_open() {
        if state.cancel().is_cancelled() {
            return;
        }
        std::thread::sleep(Duration::from_micros(100));
    }
    let (start, last) = (state.started_at(), state.schedule_len(pacing));
    while let Some(at) = release_due(state, pacing, start, last) {
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
    }
}

/// One wake-up of the pacer of a run that started at `start` and sends
/// `last` requests: releases every request due by now; when to wake next,
/// or `None` once the schedule is over or the run is cancelled.
fn release_due(
    state: &LoadState,
    pacing: &crate::pace::Pacing,
    start: Instant,
    last: u64,
) -> Option<Instant> {
    if state.cancel().is_cancelled() {
        return None;
    }
    let due = pacing.due_by(start.elapsed()).min(last);
    pacing.release(due);
    if due >= last {
        return None;
    }
    // Until the next request is due, but not sooner than the shortest nap
    // (nor later than the longest, to look at the cancel); workers may
    // have released some of those due by now themselves.
    let now = start.elapsed();
    let next = pacing.due_offset(due.max(pacing.released()) + 1);
    Some(start + now + next.saturating_sub(now).clamp(PACER_MIN_NAP, PACER_NAP))
}

/// What came back for a request that got a final answer.
#[derive(Debug, Clone, Copy)]
struct Answer {
    /// The final answer's status, after redirects.
    status: u16,
    /// Redirects followed to get it.
    redirects: u32,
    /// The HTTP version it came in.
    version: HttpVersion,
    /// Body bytes received, every hop.
    received: u64,
}

/// One request, doing with the body what the plan's `parse` says:
/// exactly what [`get_user`](crate::get_user) and
/// [`fetch_title`](crate::fetch_title) do (follow redirects, check the
/// status, decode), so a load run measures the pattern. Returns the
/// final answer, and whether the request succeeded (a 2xx whose body
/// parsed): a non-2xx answer is still an answer, counted by its status.
///
/// With a `gate`, the request first waits for one of its permits: a
/// connection of its own, kept for every hop of its redirects. The wait
/// counts in the request's time and its timeout, as a wait for a pooled
/// connection does in any client. A hop sent once more because its
/// connection was found closed (see [`send_following_counted`]) stays
/// inside the same permit and time limit, is added to `retries`, and the
/// request's latency still counts from its first send.
async fn request<C: LocalHttpClient>(
    client: &C,
    sent: &Request<'_>,
    plan: &LoadPlan,
    gate: Option<&Gate>,
    retries: &mut u32,
) -> Result<(Answer, Result<(), FetchError>), FetchError> {
    let _connection = match gate {
        Some(gate) => Some(gate.enter().await),
        None => None,
    };
    let fetched = send_following_counted(client, sent, retries).await?;
    let answer = Answer {
        status: fetched.response.status,
        redirects: fetched.redirects,
        version: fetched.response.version,
        received: fetched.received,
    };
    let verdict = check_status(&fetched).and_then(|()| match plan.parse {
        Parse::User => decode_user(&fetched.url, &fetched.response.body).map(drop),
        Parse::Title => {
            drop(title_of(&fetched.response));
            Ok(())
        }
        Parse::None => Ok(()),
    });
    Ok((answer, verdict))
}
