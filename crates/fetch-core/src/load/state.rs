//! What every worker of one run shares: [`LoadState`], the one counter
//! requests are claimed from, the start line, the open loop's schedule,
//! the latency histograms, and the report built from the merged tallies.
//!
//! # Layout
//!
//! - [`LoadState`]: claiming (closed and open loop), the start barrier, the report.
//! - `Shard`: one lock's worth of latency histograms, which recorders flush into.
//! - `StartLine`, `Due`, `first_of`: the barrier, an open-loop claim, waiting on two events.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::Poll;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;
use event_listener::{Event, EventListener};
use hdrhistogram::Histogram;

use super::{Cancel, LoadPlan, Progress, Recorder, Stop, Tally};
use crate::pace::Pacing;
use crate::report::latency_histogram;
use crate::{ErrorKind, Report, RunConfig};

/// The state all workers of one run share.
///
/// Public so that other drivers (the plain-threads baseline) can run their
/// own loop with the same accounting: [`LoadState::claim`] the next request,
/// record it with a [`Recorder`], and build the report with
/// [`LoadState::report`].
#[derive(Debug)]
pub struct LoadState {
    plan: LoadPlan,
    pub(super) progress: Arc<Progress>,
    /// The last request claimed: written by every claim, so alone on its
    /// cache line (as `Progress`'s completed count).
    next: CachePadded<AtomicU64>,
    created_at: Instant,
    start: StartLine,
    pub(super) shards: Vec<Mutex<Shard>>,
    pacing: Option<Pacing>,
}

/// One lock's worth of latency histograms.
#[derive(Debug)]
pub(super) struct Shard {
    /// From the claim (closed loop) or from the due time (open loop).
    pub(super) latency: Histogram<u64>,
    /// From the send; kept in an open loop only.
    pub(super) service: Option<Histogram<u64>>,
    /// Every answered request that failed (a non-2xx, a body that did not
    /// parse), as `latency` counts time; the report adds `latency` to it.
    pub(super) answered: Histogram<u64>,
}

/// Past the end of a `-d` open loop that waits for its requests in flight
/// (`--wait-ongoing`), requests due this close to the end are still sent
/// (the last releases, which the workers take a moment to reach); those
/// due earlier and still unsent are a backlog, and are not.
const END_GRACE: Duration = Duration::from_millis(10);

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
            next: CachePadded::new(AtomicU64::new(0)),
            created_at: Instant::now(),
            start: StartLine::default(),
            shards: (0..shards.max(1))
                .map(|_| {
                    Mutex::new(Shard {
                        latency: latency_histogram(),
                        service: plan.rate.map(|_| latency_histogram()),
                        answered: latency_histogram(),
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

    /// Whether [`LoadState::open`] was called.
    pub fn is_open(&self) -> bool {
        self.start.opened_at.get().is_some()
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

    /// How many requests the open loop's schedule holds: `-n`, or those
    /// due within `-d`.
    pub(super) fn schedule_len(&self, pacing: &Pacing) -> u64 {
        match self.plan.stop {
            Stop::Requests(n) => n,
            Stop::Duration(d) => pacing.due_within(d),
        }
    }

    /// Claims the oldest released request, if there is one; when none is
    /// released and the next is due, releases that one first and claims it.
    fn claim_due(&self, pacing: &Pacing) -> Due {
        let mut next = self.next.load(Relaxed);
        loop {
            if self.progress.cancel.is_cancelled() {
                return Due::Over;
            }
            // The run's clock, read at most once a pass: a `-d` run's check
            // and a worker's own release below both need it.
            let mut now = None;
            let mut elapsed = || *now.get_or_insert_with(|| self.started_at().elapsed());
            match self.plan.stop {
                Stop::Requests(n) if next >= n => return Due::Over,
                // The schedule of a `-d` run holds the requests due before
                // its end. A run that cuts its requests off at the end
                // sends none after it (it would be cut at once). One that
                // waits for them (`--wait-ongoing`) still sends the
                // requests of its last moments, released as they fell due
                // and taken when the runtime got to them; a backlog (a
                // request due well before the end, still unsent) does not
                // go: the run was behind, and `behind_s` says by how much.
                Stop::Duration(d)
                    if elapsed() >= d
                        && (!self.plan.wait_ongoing
                            || d.saturating_sub(pacing.due_offset(next + 1)) > END_GRACE) =>
                {
                    return Due::Over;
                }
                _ => {}
            }
            // `done` before `released`: once done is seen, every release
            // made before it is too.
            let done = pacing.is_done();
            if next >= pacing.released() {
                if done {
                    return Due::Over;
                }
                // A worker awake on the runtime releases the next request
                // itself when it is due and takes it, without waiting for
                // the pacer to wake and then wake a worker (a wake-up each,
                // on a runtime busy with others).
                let due = pacing.due_by(elapsed()).min(self.schedule_len(pacing));
                if due > next {
                    pacing.release_own(next + 1);
                }
                if next >= pacing.released() {
                    return Due::NotYet;
                }
                continue;
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
        Recorder::new(self, worker % self.shards.len())
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
        let mut answered = latency_histogram();
        for shard in &self.shards {
            let shard = shard.lock().unwrap_or_else(|poison| poison.into_inner());
            // The histograms auto-resize, so adding cannot fail.
            let _ = latency.add(&shard.latency);
            // Answered: the failed answers, and every ok request (whose
            // latency is recorded once, in `latency`).
            let _ = answered.add(&shard.answered);
            let _ = answered.add(&shard.latency);
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
            answered,
            statuses: tally.statuses,
            bytes_received: tally.received,
            interrupted,
            peak_in_flight: tally.peak_in_flight,
            ramp: tally.peak_at,
            busy: Duration::from_micros(tally.busy_us),
            redirects: tally.redirects,
            retries: tally.retries,
            versions: tally.versions,
            late_starts: tally.late_starts,
            max_start_delay: tally.max_start_delay,
            behind,
            connections_opened,
            pacer: self.pacing.as_ref().and_then(Pacing::cost),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FetchError, Parse, UrlTemplate};

    fn plan(stop: Stop) -> LoadPlan {
        let url = UrlTemplate::new("http://127.0.0.1:1/users/{id}").unwrap();
        LoadPlan::new(url, stop)
            .concurrency(4)
            .timeout(Duration::from_secs(1))
            .parse(Parse::User)
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
    fn a_worker_takes_a_due_request_without_the_pacer() {
        let claim = |state: &LoadState| match state.claim_due(state.pacing().unwrap()) {
            Due::Claimed(id) => Some(id),
            Due::NotYet => None,
            Due::Over => Some(0),
        };
        // One request every two seconds: the first is due at the start,
        // the second not for a long while.
        let slow = LoadState::new(plan(Stop::Requests(5)).rate(0.5), Progress::new(), 1);
        slow.open();
        assert_eq!(claim(&slow), Some(1));
        assert_eq!(claim(&slow), None, "request 2 is not due yet");
        assert_eq!(slow.pacing().unwrap().released(), 1);
        // A million a second: after a millisecond all three are due, and
        // the schedule ends at three, pacer or not.
        let fast = LoadState::new(plan(Stop::Requests(3)).rate(1e6), Progress::new(), 1);
        fast.open();
        std::thread::sleep(Duration::from_millis(1));
        let ids: Vec<_> = std::iter::from_fn(|| claim(&fast)).take(4).collect();
        assert_eq!(ids, [1, 2, 3, 0]);
        assert_eq!(fast.pacing().unwrap().released(), 3);
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
                let took = Duration::from_micros(id);
                if id.is_multiple_of(10) {
                    let err = FetchError::Status {
                        url: format!("u{id}"),
                        status: 500,
                    };
                    rec.answered(500, 10, took);
                    rec.error(&err, took);
                } else {
                    rec.answered(200, 10, took);
                    rec.ok(took);
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
        assert_eq!(report.answered.len(), 200);
        assert_eq!(report.statuses[&200], 180);
        assert_eq!(report.statuses[&500], 20);
        assert_eq!(report.bytes_received, 2_000);
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
            rec.answered(200, 0, Duration::from_millis(10));
            rec.ok(Duration::from_millis(10));
        }
        // Then one at a time: never more than one again.
        let mut last = state.recorder(0);
        for _ in 0..5 {
            let id = state.claim().unwrap();
            last.claimed(id);
            last.answered(204, 0, Duration::from_millis(2));
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
        rec.answered(200, 0, Duration::from_millis(1));
        rec.ok(Duration::from_millis(1));
        let report = state.report(rec.finish(), config(), Some("boom".into()), None);
        assert_eq!(report.errors[&ErrorKind::Panicked], 9);
        assert_eq!(report.error_samples[&ErrorKind::Panicked], "boom");
        assert!(report.is_consistent());
    }

    fn config() -> RunConfig {
        RunConfig {
            concurrency: 4,
            parse: Parse::User,
            ..RunConfig::sample()
        }
    }
}
