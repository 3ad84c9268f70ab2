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
//! With a rate ([`LoadPlan::rate`]) the run is an *open loop*: a pacer task
//! releases request *i* at `start + (i - 1) / rate` (see [`crate::pace`]),
//! the workers (still `concurrency` of them: the cap on requests in
//! flight) take released requests in order, and each request's latency
//! counts from when it was due, its service time from when it was sent.
//!
//! # Layout
//! - [`UrlTemplate`], [`Stop`], [`LoadPlan`]: what to run.
//! - [`Cancel`], [`Progress`]: the live side a Ctrl-C handler and a
//!   progress bar share with a run.
//! - [`LoadState`], [`Recorder`], [`Tally`]: the accounting.
//! - [`run_load`], its workers and, in an open loop, its pacer.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use event_listener::{Event, EventListener};
use hdrhistogram::Histogram;

use crate::gate::Gate;
use crate::pace::{Pacing, TICK};
use crate::report::latency_histogram;
use crate::{
    ClientConfig, ErrorKind, FetchError, HttpClient, HttpVersion, LocalHttpClient, Parse, Report,
    RunConfig, Runtime, Timer, decode_user, get_ok_following, parse_url, title_of, within,
};

/// A URL in which each `{id}` is replaced by the request's number (1, 2, 3, ...).
///
/// ```
/// let t = fetch_core::UrlTemplate::new("http://127.0.0.1:8080/users/{id}").unwrap();
/// let mut url = String::new();
/// t.render(7, &mut url);
/// assert_eq!(url, "http://127.0.0.1:8080/users/7");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTemplate {
    template: String,
    parts: Vec<String>,
}

impl UrlTemplate {
    /// The placeholder replaced per request.
    pub const PLACEHOLDER: &'static str = "{id}";

    /// Splits `template` at each `{id}` and checks that the URL it gives is valid.
    pub fn new(template: &str) -> Result<Self, FetchError> {
        let t = UrlTemplate {
            template: template.to_owned(),
            parts: template
                .split(Self::PLACEHOLDER)
                .map(str::to_owned)
                .collect(),
        };
        let mut first = String::new();
        t.render(1, &mut first);
        parse_url(&first).map_err(|e| match e {
            FetchError::InvalidUrl { reason, .. } => FetchError::InvalidUrl {
                url: template.to_owned(),
                reason,
            },
            other => other,
        })?;
        Ok(t)
    }

    /// Writes the URL of request `id` into `out` (which is cleared first).
    pub fn render(&self, id: u64, out: &mut String) {
        out.clear();
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                let _ = write!(out, "{id}");
            }
            out.push_str(part);
        }
    }

    /// The template as given.
    pub fn as_str(&self) -> &str {
        &self.template
    }
}

/// When a run ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// After this many requests have been started (and answered).
    Requests(u64),
    /// No new request starts after this long; those in flight finish.
    Duration(Duration),
}

/// What to run: build it with [`LoadPlan::new`] and the builder methods,
/// so a new setting is one change here, not one in every caller.
///
/// ```
/// # use std::time::Duration;
/// use fetch_core::{LoadPlan, Parse, Stop, UrlTemplate};
/// let url = UrlTemplate::new("http://127.0.0.1:8080/users/{id}").unwrap();
/// let plan = LoadPlan::new(url, Stop::Requests(1_000))
///     .concurrency(50)
///     .timeout(Duration::from_secs(2))
///     .parse(Parse::User);
/// assert_eq!(plan.concurrency, 50);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadPlan {
    /// The URL of each request.
    pub url: UrlTemplate,
    /// When to stop.
    pub stop: Stop,
    /// Requests in flight at once (worker tasks).
    pub concurrency: usize,
    /// Per-request time limit; a request over it counts as `timeout`.
    pub timeout: Duration,
    /// What each request does with its body.
    pub parse: Parse,
    /// Requests per second for an open loop; `None` for a closed loop.
    pub rate: Option<f64>,
}

impl LoadPlan {
    /// Requests in flight unless [`LoadPlan::concurrency`] says otherwise.
    pub const DEFAULT_CONCURRENCY: usize = 100;
    /// The per-request limit unless [`LoadPlan::timeout`] says otherwise.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// A plan for `url` until `stop`: 100 in flight, a 10 s timeout per
    /// request, bodies only read ([`Parse::None`]). Redirects are followed
    /// as the client's configuration says, as `fetch_title` follows them.
    pub fn new(url: UrlTemplate, stop: Stop) -> Self {
        LoadPlan {
            url,
            stop,
            concurrency: Self::DEFAULT_CONCURRENCY,
            timeout: Self::DEFAULT_TIMEOUT,
            parse: Parse::None,
            rate: None,
        }
    }

    /// Requests in flight at once (at least 1).
    #[must_use]
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// The time limit of each request.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// What each request does with its body.
    #[must_use]
    pub fn parse(mut self, parse: Parse) -> Self {
        self.parse = parse;
        self
    }

    /// Makes the run an open loop at `rate` requests per second, all
    /// workers together: request *i* is due at `start + (i - 1) / rate`,
    /// and its latency counts from then. `concurrency` stays the most
    /// requests in flight; due requests beyond it wait, in order, and the
    /// wait is in their latency. A rate that is not positive and finite
    /// leaves the run a closed loop.
    #[must_use]
    pub fn rate(mut self, rate: f64) -> Self {
        self.rate = (rate.is_finite() && rate > 0.0).then_some(rate);
        self
    }
}

/// A cancel switch shared by the load run and a Ctrl-C handler.
#[derive(Debug, Default)]
pub struct Cancel {
    flag: AtomicBool,
    event: Event,
}

impl Cancel {
    /// Stops the run: no new request starts, and requests in flight are
    /// dropped and counted as `cancelled`.
    pub fn cancel(&self) {
        self.flag.store(true, Relaxed);
        self.event.notify(usize::MAX);
    }

    /// Whether [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Relaxed)
    }

    /// A future that completes on cancel. Take it *before* checking
    /// [`Cancel::is_cancelled`], so no cancel falls between the two.
    pub fn listen(&self) -> EventListener {
        self.event.listen()
    }
}

/// Live counters of a run, cheap to read from another thread (a progress bar).
#[derive(Debug, Default)]
pub struct Progress {
    completed: AtomicU64,
    errors: AtomicU64,
    /// Stops the run early.
    pub cancel: Cancel,
}

impl Progress {
    /// A fresh set of counters, shared.
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Requests finished so far, ok or not.
    pub fn completed(&self) -> u64 {
        self.completed.load(Relaxed)
    }

    /// Requests failed so far.
    pub fn errors(&self) -> u64 {
        self.errors.load(Relaxed)
    }
}

/// The state all workers of one run share.
///
/// Public so that other drivers (the plain-threads baseline) can run their
/// own loop with the same accounting: [`LoadState::claim`] the next request,
/// record it with a [`Recorder`], and build the report with
/// [`LoadState::report`].
#[derive(Debug)]
pub struct LoadState {
    plan: LoadPlan,
    progress: Arc<Progress>,
    next: AtomicU64,
    created_at: Instant,
    start: StartLine,
    shards: Vec<Mutex<Shard>>,
    pacing: Option<Pacing>,
}

/// One lock's worth of latency histograms.
#[derive(Debug)]
struct Shard {
    /// From the claim (closed loop) or from the due time (open loop).
    latency: Histogram<u64>,
    /// From the send; kept in an open loop only.
    service: Option<Histogram<u64>>,
}

/// Past a `-d` open loop's end, requests due this close to the end are
/// still sent (the last ticks' releases); those due earlier and still
/// unsent are a backlog, and are not.
const END_GRACE: Duration = TICK.saturating_mul(10);

/// What an open-loop claim found.
enum Due {
    /// This request is now the caller's.
    Claimed(u64),
    /// Nothing is due yet.
    NotYet,
    /// The run is over.
    Over,
}

/// The start barrier: workers wait here until every one of them exists.
///
/// It opens when the engine says so (after its spawning loop), not when
/// some number of workers has arrived, so a worker that never starts
/// cannot hold the others back. The run's clock starts when it opens.
#[derive(Debug, Default)]
struct StartLine {
    opened_at: OnceLock<Instant>,
    event: Event,
}

impl LoadState {
    /// Starts the clock of a run of `plan`, with `shards` latency histograms
    /// for workers to share (a few per thread keeps locks uncontended).
    pub fn new(plan: LoadPlan, progress: Arc<Progress>, shards: usize) -> Self {
        LoadState {
            progress,
            next: AtomicU64::new(0),
            created_at: Instant::now(),
            start: StartLine::default(),
            shards: (0..shards.max(1))
                .map(|_| {
                    Mutex::new(Shard {
                        latency: latency_histogram(),
                        service: plan.rate.map(|_| latency_histogram()),
                    })
                })
                .collect(),
            pacing: plan.rate.map(Pacing::new),
            plan,
        }
    }

    /// The plan being run.
    pub fn plan(&self) -> &LoadPlan {
        &self.plan
    }

    /// The cancel switch of this run.
    pub fn cancel(&self) -> &Cancel {
        &self.progress.cancel
    }

    /// Opens the start barrier: workers waiting in
    /// [`LoadState::wait_for_start`] go, and the run's clock (and a `-d`
    /// deadline) starts now. Opening twice changes nothing.
    pub fn open(&self) {
        let _ = self.start.opened_at.set(Instant::now());
        self.start.event.notify(usize::MAX);
    }

    /// Waits until [`LoadState::open`] is called (or the run is cancelled).
    pub async fn wait_for_start(&self) {
        loop {
            if self.start.opened_at.get().is_some() || self.cancel().is_cancelled() {
                return;
            }
            // Listen first, then check again, so an open between the two
            // is not missed.
            let opened = self.start.event.listen();
            let cancelled = self.cancel().listen();
            if self.start.opened_at.get().is_some() || self.cancel().is_cancelled() {
                return;
            }
            first_of(opened, cancelled).await;
        }
    }

    /// When the run's clock started: when the barrier opened, or, for a
    /// driver that never opens it, when this state was made.
    pub fn started_at(&self) -> Instant {
        self.start
            .opened_at
            .get()
            .copied()
            .unwrap_or(self.created_at)
    }

    /// The number of the next request to send (1, 2, ...), or `None` when
    /// the run is over: all requests claimed, time is up, or cancelled.
    pub fn claim(&self) -> Option<u64> {
        if self.progress.cancel.is_cancelled() {
            return None;
        }
        if let Stop::Duration(d) = self.plan.stop
            && self.started_at().elapsed() >= d
        {
            return None;
        }
        let id = self.next.fetch_add(1, Relaxed) + 1;
        match self.plan.stop {
            Stop::Requests(n) if id > n => None,
            _ => Some(id),
        }
    }

    /// The open loop's schedule; `None` in a closed loop.
    pub fn pacing(&self) -> Option<&Pacing> {
        self.pacing.as_ref()
    }

    /// When request `id` was due, in an open loop.
    pub fn due(&self, id: u64) -> Option<Instant> {
        self.pacing
            .as_ref()
            .map(|p| self.started_at() + p.due_offset(id))
    }

    /// The next request to send: at once in a closed loop
    /// ([`LoadState::claim`]); in an open loop, once it is due (waiting
    /// for the pacer if none is). `None` when the run is over.
    pub async fn next_request(&self) -> Option<u64> {
        let Some(pacing) = &self.pacing else {
            return self.claim();
        };
        loop {
            match self.claim_due(pacing) {
                Due::Claimed(id) => return Some(id),
                Due::Over => return None,
                Due::NotYet => {}
            }
            // Listen, then look again, so a release between the two is
            // not missed.
            let released = pacing.listen();
            match self.claim_due(pacing) {
                Due::Claimed(id) => return Some(id),
                Due::Over => return None,
                Due::NotYet => released.await,
            }
        }
    }

    /// Claims the oldest released request, if there is one.
    fn claim_due(&self, pacing: &Pacing) -> Due {
        let mut next = self.next.load(Relaxed);
        loop {
            if self.progress.cancel.is_cancelled() {
                return Due::Over;
            }
            match self.plan.stop {
                Stop::Requests(n) if next >= n => return Due::Over,
                // The schedule of a `-d` run holds the requests due before
                // its end. The pacer releases the last of them a tick (and
                // a timer's slack) after they were due, and the workers
                // take them when the runtime gets to them, so past the end
                // the requests of its last ticks still go. A backlog (a
                // request due well before the end, still unsent) does not:
                // the run was behind, and `behind_s` says by how much.
                Stop::Duration(d)
                    if self.started_at().elapsed() >= d
                        && d.saturating_sub(pacing.due_offset(next + 1)) > END_GRACE =>
                {
                    return Due::Over;
                }
                _ => {}
            }
            // `done` before `released`: once done is seen, every release
            // made before it is too.
            let done = pacing.is_done();
            if next >= pacing.released() {
                return if done { Due::Over } else { Due::NotYet };
            }
            match self
                .next
                .compare_exchange_weak(next, next + 1, Relaxed, Relaxed)
            {
                Ok(_) => return Due::Claimed(next + 1),
                Err(now) => next = now,
            }
        }
    }

    /// Requests claimed so far.
    pub fn started(&self) -> u64 {
        let claimed = self.next.load(Relaxed);
        match self.plan.stop {
            Stop::Requests(n) => claimed.min(n),
            Stop::Duration(_) => claimed,
        }
    }

    /// A recorder for one worker; `worker` picks its histogram shard.
    pub fn recorder(&self, worker: usize) -> Recorder<'_> {
        Recorder {
            state: self,
            shard: worker % self.shards.len(),
            tally: Tally::default(),
            pending: Vec::with_capacity(Recorder::BATCH),
        }
    }

    /// Builds the report from the workers' merged tally.
    ///
    /// Requests that were claimed but whose outcome never reached a tally
    /// (their worker panicked) are counted as [`ErrorKind::Panicked`], so
    /// the identity `ok + errors == requests` holds whatever happened.
    ///
    /// `connections_opened` is what the client says it opened during the
    /// run, if it can say.
    pub fn report(
        &self,
        mut tally: Tally,
        config: RunConfig,
        panic: Option<String>,
        connections_opened: Option<u64>,
    ) -> Report {
        let elapsed = self.started_at().elapsed();
        let requests = self.started();
        let counted = tally.ok + tally.errors.values().sum::<u64>();
        if counted < requests {
            tally.count_error(
                ErrorKind::Panicked,
                requests - counted,
                panic.unwrap_or_else(|| "a worker ended without reporting".to_owned()),
            );
        }
        let mut latency = latency_histogram();
        let mut service = self.pacing.as_ref().map(|_| latency_histogram());
        for shard in &self.shards {
            let shard = shard.lock().unwrap_or_else(|poison| poison.into_inner());
            // The histograms auto-resize, so adding cannot fail.
            let _ = latency.add(&shard.latency);
            if let (Some(all), Some(one)) = (service.as_mut(), shard.service.as_ref()) {
                let _ = all.add(one);
            }
        }
        let interrupted = self.progress.cancel.is_cancelled();
        // How far the schedule lagged: the latest start, or, for a `-d`
        // run that ended with due requests never sent, how overdue the
        // first of them was at the end.
        let behind = self.pacing.as_ref().map(|pacing| {
            let unsent = match self.plan.stop {
                Stop::Duration(d) if !interrupted => {
                    d.saturating_sub(pacing.due_offset(requests + 1))
                }
                _ => Duration::ZERO,
            };
            tally.max_start_delay.max(unsent)
        });
        Report {
            config,
            // A panicking worker could in theory have counted more than was
            // claimed; never report fewer requests than outcomes.
            requests: requests.max(counted),
            ok: tally.ok,
            errors: tally.errors,
            error_samples: tally.samples,
            elapsed,
            latency,
            service,
            interrupted,
            peak_in_flight: tally.peak_in_flight,
            ramp: tally.peak_at,
            busy: Duration::from_micros(tally.busy_us),
            redirects: tally.redirects,
            versions: tally.versions,
            late_starts: tally.late_starts,
            max_start_delay: tally.max_start_delay,
            behind,
            connections_opened,
        }
    }
}

/// Outcome counts of one worker (or, merged, of a whole run).
#[derive(Debug, Default, Clone)]
pub struct Tally {
    ok: u64,
    errors: BTreeMap<ErrorKind, u64>,
    samples: BTreeMap<ErrorKind, String>,
    /// The most requests in flight this worker saw at one of its claims.
    peak_in_flight: u64,
    /// When (since the start) it first saw that many.
    peak_at: Duration,
    /// The sum of its requests' times from claim to outcome, µs.
    busy_us: u64,
    /// Redirects followed by its requests that succeeded.
    redirects: u64,
    /// Open loop: requests sent more than one tick after they were due.
    late_starts: u64,
    /// Open loop: the latest a request was sent after it was due.
    max_start_delay: Duration,
    /// The HTTP versions its successful requests were answered in
    /// (bits of [`HttpVersion::bit`]).
    versions: u8,
}

impl Tally {
    /// Adds another worker's counts to these.
    pub fn merge(&mut self, other: Tally) {
        if other.peak_in_flight > self.peak_in_flight
            || (other.peak_in_flight == self.peak_in_flight && other.peak_at < self.peak_at)
        {
            self.peak_in_flight = other.peak_in_flight;
            self.peak_at = other.peak_at;
        }
        self.busy_us += other.busy_us;
        self.redirects += other.redirects;
        self.versions |= other.versions;
        self.late_starts += other.late_starts;
        self.max_start_delay = self.max_start_delay.max(other.max_start_delay);
        self.ok += other.ok;
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
        for (kind, sample) in other.samples {
            self.samples.entry(kind).or_insert(sample);
        }
    }

    fn count_error(&mut self, kind: ErrorKind, n: u64, sample: String) {
        *self.errors.entry(kind).or_default() += n;
        self.samples.entry(kind).or_insert(sample);
    }
}

/// Counts the outcomes of one worker's requests.
#[derive(Debug)]
pub struct Recorder<'a> {
    state: &'a LoadState,
    shard: usize,
    tally: Tally,
    /// Latencies (µs) not yet in the shared histogram, with service times
    /// in an open loop.
    pending: Vec<(u32, u32)>,
}

impl Recorder<'_> {
    /// Latencies buffered before one lock of the shared histogram.
    const BATCH: usize = 64;

    /// Notes that this worker claimed request `id` (the `id`-th claim of
    /// the run): requests in flight now are those claimed less those whose
    /// outcome is recorded. This reads the shared completed counter but
    /// writes nothing shared; the peak is kept per worker and merged.
    pub fn claimed(&mut self, id: u64) {
        let in_flight = id.saturating_sub(self.state.progress.completed());
        if in_flight > self.tally.peak_in_flight {
            self.tally.peak_in_flight = in_flight;
            self.tally.peak_at = self.state.started_at().elapsed();
        }
    }

    /// Counts a success that took `latency` from its claim.
    pub fn ok(&mut self, latency: Duration) {
        self.ok_due(latency, latency);
    }

    /// Counts a success of an open loop: `from_due` is its latency from
    /// when it was due (its wait to be sent included), `service` from its
    /// send. In a closed loop both are the time from its claim.
    pub fn ok_due(&mut self, from_due: Duration, service: Duration) {
        self.tally.ok += 1;
        self.tally.busy_us += micros(service);
        let us = |d: Duration| u32::try_from(d.as_micros()).unwrap_or(u32::MAX);
        self.pending.push((us(from_due), us(service)));
        if self.pending.len() == Self::BATCH {
            self.flush();
        }
        self.state.progress.completed.fetch_add(1, Relaxed);
    }

    /// Notes that a request of an open loop was sent `delay` after it was
    /// due: more than one tick is a late start.
    pub fn sent_after(&mut self, delay: Duration) {
        if delay > TICK {
            self.tally.late_starts += 1;
        }
        self.tally.max_start_delay = self.tally.max_start_delay.max(delay);
    }

    /// Counts redirects a successful request followed and the HTTP version
    /// of its answer (call with its [`Recorder::ok`]).
    pub fn redirected(&mut self, redirects: u32, version: HttpVersion) {
        self.tally.redirects += u64::from(redirects);
        self.tally.versions |= version.bit();
    }

    /// Counts a failure that came `took` after its claim.
    pub fn error(&mut self, err: &FetchError, took: Duration) {
        self.error_kind(err.kind(), took, || err.chain());
    }

    /// Counts a failure of `kind`, `took` after its claim; `message` is
    /// called only for the first of each kind, to keep a sample for the
    /// report.
    pub fn error_kind(
        &mut self,
        kind: ErrorKind,
        took: Duration,
        message: impl FnOnce() -> String,
    ) {
        self.tally.busy_us += micros(took);
        *self.tally.errors.entry(kind).or_default() += 1;
        self.tally.samples.entry(kind).or_insert_with(message);
        self.state.progress.completed.fetch_add(1, Relaxed);
        self.state.progress.errors.fetch_add(1, Relaxed);
    }

    fn flush(&mut self) {
        let mut h = self.state.shards[self.shard]
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let shard = &mut *h;
        for &(from_due, service) in &self.pending {
            shard.latency.saturating_record(u64::from(from_due));
            if let Some(h) = shard.service.as_mut() {
                h.saturating_record(u64::from(service));
            }
        }
        self.pending.clear();
    }

    /// Flushes buffered latencies and hands back the counts.
    pub fn finish(mut self) -> Tally {
        self.flush();
        std::mem::take(&mut self.tally)
    }
}

/// Waits until either listener fires.
async fn first_of(mut a: EventListener, mut b: EventListener) {
    std::future::poll_fn(|cx| {
        if Pin::new(&mut a).poll(cx).is_ready() || Pin::new(&mut b).poll(cx).is_ready() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// How many whole ticks fit in `elapsed`.
fn whole_ticks(elapsed: Duration) -> u32 {
    u32::try_from(elapsed.as_nanos() / TICK.as_nanos()).unwrap_or(u32::MAX)
}

/// A duration in whole microseconds, saturating.
fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

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
    let gate = client
        .config()
        .gate_places(plan.concurrency)
        .map(|places| Arc::new(Gate::new(places)));
    let config = RunConfig::of(
        &plan,
        (rt.name(), rt.threads(), rt.thread_per_task()),
        (client.name(), client.config()),
        gate.is_some(),
    );
    let workers = plan.concurrency.max(1);
    let opened_before = client.connections_opened();
    let state = Arc::new(LoadState::new(
        plan,
        progress,
        histogram_shards(rt.threads()),
    ));
    // Spawning is what makes the workers run at the same time: each
    // `spawn` hands a future to the runtime, which polls all of them,
    // switching to whichever has data ready.
    let tasks: Vec<_> = (0..workers)
        .map(|i| {
            rt.spawn(worker(
                rt.clone(),
                client.clone(),
                state.clone(),
                i,
                gate.clone(),
            ))
        })
        .collect();
    // An open loop's schedule is kept by one more task.
    let pacer = state
        .pacing()
        .is_some()
        .then(|| rt.spawn(pace(rt.clone(), state.clone())));
    // Every worker exists: let them all go at once. Opening only now, after
    // the spawning loop, means a slow spawner (10,000 OS threads for the
    // threads baseline) cannot leave the first workers running alone, and
    // the clock starts with all of them ready.
    state.open();
    let mut total = Tally::default();
    let mut panic = None;
    for task in tasks {
        match task.await {
            Ok(tally) => total.merge(tally),
            Err(e) => panic = Some(e.to_string()),
        }
    }
    if let Some(pacer) = pacer {
        // The workers are done, so the schedule is over or cancelled; a
        // pacer still sleeping ends within a tick.
        if let Err(e) = pacer.await {
            panic = Some(e.to_string());
        }
    }
    let opened = client
        .connections_opened()
        .zip(opened_before)
        .map(|(after, before)| after.saturating_sub(before));
    state.report(total, config, panic, opened)
}

/// Latency histogram shards for a run on `threads` threads: a few per
/// thread keep their locks uncontended; each is ~190 KB, so a runtime with
/// thousands of threads shares 16.
pub(crate) fn histogram_shards(threads: usize) -> usize {
    (threads * 4).clamp(1, 16)
}

impl RunConfig {
    /// The configuration of a run of `plan` on a runtime (name, threads,
    /// thread per task) with a client (name, configuration); `gated` when
    /// the engine's gate caps the requests in the client.
    pub(crate) fn of(
        plan: &LoadPlan,
        (runtime, threads, thread_per_task): (&'static str, usize, bool),
        (client, client_config): (&'static str, &ClientConfig),
        gated: bool,
    ) -> Self {
        RunConfig {
            runtime,
            threads,
            thread_per_task,
            client,
            connections: client_config.connections,
            concurrency: plan.concurrency,
            url: plan.url.as_str().to_owned(),
            parse: plan.parse,
            timeout: plan.timeout,
            max_redirects: client_config.max_redirects,
            tls: plan.url.as_str().starts_with("https:"),
            http2: client_config.http2,
            keep_alive: client_config.keep_alive,
            gated,
            rate: plan.rate,
            duration: match plan.stop {
                Stop::Duration(d) => Some(d),
                Stop::Requests(_) => None,
            },
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
pub(crate) async fn worker<R: Timer, C: LocalHttpClient>(
    rt: R,
    client: Arc<C>,
    state: Arc<LoadState>,
    index: usize,
    gate: Option<Arc<Gate>>,
) -> Tally {
    let mut recorder = state.recorder(index);
    let mut url = String::new();
    // Listen before the first claim (which checks the flag), so a cancel
    // between the two is not missed.
    let mut cancelled = CancelWatch {
        cancel: state.cancel(),
        listener: state.cancel().listen(),
        armed: false,
    };
    let plan = state.plan();
    state.wait_for_start().await;
    while let Some(id) = state.next_request().await {
        let start = Instant::now();
        let due = state.due(id);
        if let Some(due) = due {
            recorder.sent_after(start.saturating_duration_since(due));
        }
        recorder.claimed(id);
        plan.url.render(id, &mut url);
        let request = within(
            &rt,
            plan.timeout,
            &url,
            request(&*client, &url, plan, gate.as_deref()),
        );
        let until = Until {
            work: request,
            cancelled: &mut cancelled,
        };
        match until.await {
            Some(Ok((redirects, version))) => {
                let service = start.elapsed();
                recorder.ok_due(due.map_or(service, |due| due.elapsed()), service);
                recorder.redirected(redirects, version);
            }
            Some(Err(err)) => recorder.error(&err, start.elapsed()),
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

/// The open loop's pacer: once per [`TICK`], releases every request due by
/// then, until the schedule is over or the run is cancelled.
///
/// It sleeps on the run's own runtime (its timer, its threads), like
/// every other task of the run. A pacer that wakes late releases late, and
/// the requests it held count their delay in their latency and as late
/// starts: nothing is hidden, the report shows what the pacer managed.
pub(crate) async fn pace<R: Timer>(rt: R, state: Arc<LoadState>) {
    let Some(pacing) = state.pacing() else {
        return;
    };
    state.wait_for_start().await;
    let start = state.started_at();
    let last = match state.plan().stop {
        Stop::Requests(n) => n,
        Stop::Duration(d) => pacing.due_within(d),
    };
    // Wake-ups aim at whole ticks from the start, so a late wake-up does
    // not push every later one back.
    let mut ticks: u32 = 0;
    loop {
        if state.cancel().is_cancelled() {
            break;
        }
        let elapsed = start.elapsed();
        let due = pacing.due_by(elapsed).min(last);
        pacing.release(due);
        if due >= last {
            break;
        }
        ticks = ticks.saturating_add(1).max(whole_ticks(elapsed));
        let next = TICK.saturating_mul(ticks);
        rt.sleep(next.saturating_sub(start.elapsed())).await;
    }
    pacing.finish();
}

/// One request, doing with the body what the plan's `parse` says:
/// exactly what [`get_user`](crate::get_user) and
/// [`fetch_title`](crate::fetch_title) do (follow redirects, check the
/// status, decode), so a load run measures the pattern. Returns the
/// redirects it followed and the HTTP version of the last answer.
///
/// With a `gate`, the request first waits for one of its permits: a
/// connection of its own, kept for every hop of its redirects. The wait
/// counts in the request's time and its timeout, as a wait for a pooled
/// connection does in any client.
async fn request<C: LocalHttpClient>(
    client: &C,
    url: &str,
    plan: &LoadPlan,
    gate: Option<&Gate>,
) -> Result<(u32, HttpVersion), FetchError> {
    let _connection = match gate {
        Some(gate) => Some(gate.enter().await),
        None => None,
    };
    let fetched = get_ok_following(client, url).await?;
    match plan.parse {
        Parse::User => drop(decode_user(&fetched.url, &fetched.response.body)?),
        Parse::Title => drop(title_of(&fetched.response)),
        Parse::None => {}
    }
    Ok((fetched.redirects, fetched.response.version))
}

pin_project_lite::pin_project! {
    /// Polls `work` until it finishes (`Some`) or `cancelled` fires
    /// (`None`). A struct, not an `async fn`, for the reason given at
    /// [`Timeout`](crate::Timeout).
    struct Until<'a, 'c, F> {
        #[pin]
        work: F,
        cancelled: &'a mut CancelWatch<'c>,
    }
}

/// A worker's view of the cancel switch.
///
/// The listener is polled once, which leaves this task's waker with it;
/// after that a poll only reads the flag. A worker's task keeps one waker
/// for its whole life on every runtime here, so the waker given once is
/// the one a cancel must wake, and every request skips the listener's lock.
struct CancelWatch<'a> {
    cancel: &'a Cancel,
    listener: EventListener,
    armed: bool,
}

impl CancelWatch<'_> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.cancel.is_cancelled() {
            return Poll::Ready(());
        }
        if !self.armed {
            self.armed = true;
            return Pin::new(&mut self.listener).poll(cx);
        }
        Poll::Pending
    }
}

impl<F: Future> Future for Until<'_, '_, F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.work.poll(cx) {
            return Poll::Ready(Some(out));
        }
        match this.cancelled.poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(stop: Stop) -> LoadPlan {
        let url = UrlTemplate::new("http://127.0.0.1:1/users/{id}").unwrap();
        LoadPlan::new(url, stop)
            .concurrency(4)
            .timeout(Duration::from_secs(1))
            .parse(Parse::User)
    }

    #[test]
    fn template_replaces_every_placeholder() {
        let t = UrlTemplate::new("http://h/{id}/x/{id}").unwrap();
        let mut s = String::from("leftover");
        t.render(12, &mut s);
        assert_eq!(s, "http://h/12/x/12");
        let plain = UrlTemplate::new("http://h/users/1").unwrap();
        plain.render(99, &mut s);
        assert_eq!(s, "http://h/users/1");
    }

    #[test]
    fn template_refuses_an_invalid_url() {
        let err = UrlTemplate::new("localhost:8080/{id}").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidUrl);
        assert!(err.to_string().contains("localhost:8080/{id}"));
    }

    #[test]
    fn claims_stop_at_the_request_count() {
        let state = LoadState::new(plan(Stop::Requests(3)), Progress::new(), 2);
        let ids: Vec<_> = std::iter::from_fn(|| state.claim()).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert_eq!(state.claim(), None);
        assert_eq!(state.started(), 3);
    }

    #[test]
    fn claims_stop_on_cancel() {
        let progress = Progress::new();
        let state = LoadState::new(plan(Stop::Requests(100)), progress.clone(), 2);
        assert_eq!(state.claim(), Some(1));
        progress.cancel.cancel();
        assert_eq!(state.claim(), None);
        assert_eq!(state.started(), 1);
    }

    #[test]
    fn claims_stop_at_the_deadline() {
        let state = LoadState::new(plan(Stop::Duration(Duration::ZERO)), Progress::new(), 1);
        assert_eq!(state.claim(), None);
        assert_eq!(state.started(), 0);
    }

    #[test]
    fn recorders_merge_into_a_consistent_report() {
        let progress = Progress::new();
        let state = LoadState::new(plan(Stop::Requests(200)), progress.clone(), 3);
        let mut total = Tally::default();
        for w in 0..4 {
            let mut rec = state.recorder(w);
            for _ in 0..50 {
                let id = state.claim().unwrap();
                rec.claimed(id);
                if id.is_multiple_of(10) {
                    let err = FetchError::Status {
                        url: format!("u{id}"),
                        status: 500,
                    };
                    rec.error(&err, Duration::from_micros(id));
                } else {
                    rec.ok(Duration::from_micros(id));
                }
            }
            total.merge(rec.finish());
        }
        let report = state.report(total, config(), None, None);
        assert_eq!(report.requests, 200);
        assert_eq!(report.ok, 180);
        assert_eq!(report.errors[&ErrorKind::Status(500)], 20);
        assert_eq!(
            report.error_samples[&ErrorKind::Status(500)],
            "u10 answered HTTP 500"
        );
        assert_eq!(report.latency.len(), 180);
        assert!(report.is_consistent());
        assert_eq!(progress.completed(), 200);
        assert_eq!(progress.errors(), 20);
    }

    #[test]
    fn requests_in_flight_peak_where_claims_outrun_outcomes() {
        let state = LoadState::new(plan(Stop::Requests(10)), Progress::new(), 1);
        state.open();
        let mut recorders: Vec<_> = (0..3).map(|w| state.recorder(w)).collect();
        // Three claims before any outcome: three in flight at the third.
        for rec in &mut recorders {
            let id = state.claim().unwrap();
            rec.claimed(id);
        }
        for rec in &mut recorders {
            rec.ok(Duration::from_millis(10));
        }
        // Then one at a time: never more than one again.
        let mut last = state.recorder(0);
        for _ in 0..5 {
            let id = state.claim().unwrap();
            last.claimed(id);
            last.ok(Duration::from_millis(2));
        }
        let mut total = last.finish();
        for rec in recorders {
            total.merge(rec.finish());
        }
        let report = state.report(total, config(), None, None);
        assert_eq!(report.peak_in_flight, 3);
        assert!(report.ramp <= report.elapsed);
        assert_eq!(report.busy, Duration::from_millis(40));
        assert!(report.is_consistent());
    }

    #[test]
    fn the_clock_starts_when_the_barrier_opens() {
        let state = LoadState::new(
            plan(Stop::Duration(Duration::from_millis(50))),
            Progress::new(),
            1,
        );
        std::thread::sleep(Duration::from_millis(80));
        // Not opened yet: the deadline counts from creation.
        assert_eq!(state.claim(), None);
        state.open();
        // Opened now: 50 ms from here.
        assert_eq!(state.claim(), Some(1));
    }

    #[test]
    fn unreported_requests_count_as_panicked() {
        let state = LoadState::new(plan(Stop::Requests(10)), Progress::new(), 1);
        for _ in 0..10 {
            state.claim();
        }
        let mut rec = state.recorder(0);
        rec.ok(Duration::from_millis(1));
        let report = state.report(rec.finish(), config(), Some("boom".into()), None);
        assert_eq!(report.errors[&ErrorKind::Panicked], 9);
        assert_eq!(report.error_samples[&ErrorKind::Panicked], "boom");
        assert!(report.is_consistent());
    }

    fn config() -> RunConfig {
        RunConfig {
            runtime: "test",
            threads: 1,
            thread_per_task: false,
            client: "test",
            connections: 1,
            concurrency: 4,
            url: String::new(),
            parse: Parse::User,
            timeout: Duration::from_secs(1),
            max_redirects: 10,
            tls: false,
            http2: false,
            keep_alive: true,
            gated: false,
            rate: None,
            duration: None,
            shards: None,
        }
    }
}
