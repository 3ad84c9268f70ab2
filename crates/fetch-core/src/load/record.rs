//! Counting outcomes: a [`Recorder`] per worker counts in plain integers
//! and buffers latencies, flushing them in batches into the run's shared
//! histograms; its [`Tally`] is merged into the run's when it ends.
//!
//! # Layout
//!
//! - [`Tally`]: one worker's counts (or, merged, a run's).
//! - [`Recorder`]: what a worker calls for each request.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use super::LoadState;
use crate::pace::LATE;
use crate::{ErrorKind, FetchError, HttpVersion};

/// Outcome counts of one worker (or, merged, of a whole run).
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub(super) ok: u64,
    pub(super) errors: BTreeMap<ErrorKind, u64>,
    pub(super) samples: BTreeMap<ErrorKind, String>,
    /// The most requests in flight this worker saw at one of its claims.
    pub(super) peak_in_flight: u64,
    /// When (since the start) it first saw that many.
    pub(super) peak_at: Duration,
    /// The sum of its requests' times from claim to outcome, µs.
    pub(super) busy_us: u64,
    /// Redirects followed by its requests that succeeded.
    pub(super) redirects: u64,
    /// Open loop: requests sent more than one tick after they were due.
    pub(super) late_starts: u64,
    /// Open loop: the latest a request was sent after it was due.
    pub(super) max_start_delay: Duration,
    /// The HTTP versions its successful requests were answered in
    /// (bits of [`HttpVersion::bit`]).
    pub(super) versions: u8,
    /// Final answers by status code, whatever the outcome.
    pub(super) statuses: BTreeMap<u16, u64>,
    /// Body bytes received by its answered requests.
    pub(super) received: u64,
    /// Requests sent once more because their connection was found closed
    /// before the answer.
    pub(super) retries: u64,
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
        self.received += other.received;
        self.retries += other.retries;
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
        for (kind, sample) in other.samples {
            self.samples.entry(kind).or_insert(sample);
        }
    }

    pub(super) fn count_error(&mut self, kind: ErrorKind, n: u64, sample: String) {
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
    /// Latencies (µs) of requests answered but failed (a non-2xx, a body
    /// that did not parse) not yet in the shared histogram. An ok
    /// request's latency is only in `pending`: the report adds the two.
    pending_answered: Vec<u32>,
    /// The latency of the answer [`Recorder::answered`] just counted,
    /// until its outcome says where it goes.
    answer: Option<u32>,
    /// Answers with the status seen last, not yet in the tally's map: a
    /// run's answers are nearly all of one status, counted here without a
    /// map lookup per request.
    same_status: (u16, u64),
}

impl<'a> Recorder<'a> {
    /// Latencies buffered before one lock of the shared histogram.
    const BATCH: usize = 64;

    /// A recorder for one worker of the run `state`, flushing into its
    /// histograms number `shard`.
    pub(super) fn new(state: &'a LoadState, shard: usize) -> Self {
        Recorder {
            state,
            shard,
            tally: Tally::default(),
            pending: Vec::with_capacity(Self::BATCH),
            pending_answered: Vec::with_capacity(Self::BATCH),
            answer: None,
            same_status: (0, 0),
        }
    }

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
        // Its answer's latency is this `from_due`, kept once, in `pending`.
        self.answer = None;
        self.tally.ok += 1;
        self.tally.busy_us += micros(service);
        self.pending.push((us(from_due), us(service)));
        if self.pending.len() == Self::BATCH {
            self.flush();
        }
        self.state.progress.completed.fetch_add(1, Relaxed);
    }

    /// Counts a final answer with `status` and `received` body bytes,
    /// `latency` after its claim (or its due time): every answered
    /// request, whether it then counts as ok or as an error (a non-2xx, a
    /// body that did not parse). Call before its outcome.
    pub fn answered(&mut self, status: u16, received: u64, latency: Duration) {
        if self.same_status.0 == status {
            self.same_status.1 += 1;
        } else {
            self.count_statuses();
            self.same_status = (status, 1);
        }
        self.tally.received += received;
        // Recorded by its outcome: an ok one's latency is the same value
        // `ok_due` records (the report adds the two histograms), so it is
        // recorded once, not twice; an error's goes to `pending_answered`.
        self.answer = Some(us(latency));
    }

    /// Notes that a request of an open loop was sent `delay` after it was
    /// due: more than [`LATE`] (1 ms) is a late start.
    pub fn sent_after(&mut self, delay: Duration) {
        if delay > LATE {
            self.tally.late_starts += 1;
        }
        self.tally.max_start_delay = self.tally.max_start_delay.max(delay);
    }

    /// Counts `n` sends of one request made again because its connection
    /// was found closed before the answer (whatever its outcome).
    pub fn retried(&mut self, n: u32) {
        self.tally.retries += u64::from(n);
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
        if let Some(answer) = self.answer.take() {
            self.pending_answered.push(answer);
            if self.pending_answered.len() == Self::BATCH {
                self.flush();
            }
        }
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
        for &latency in &self.pending_answered {
            shard.answered.saturating_record(u64::from(latency));
        }
        self.pending.clear();
        self.pending_answered.clear();
    }

    /// Moves the answers of the last status seen into the tally's map.
    fn count_statuses(&mut self) {
        let (status, n) = std::mem::take(&mut self.same_status);
        if n > 0 {
            *self.tally.statuses.entry(status).or_default() += n;
        }
    }

    /// Flushes buffered latencies and hands back the counts.
    pub fn finish(mut self) -> Tally {
        self.flush();
        self.count_statuses();
        std::mem::take(&mut self.tally)
    }
}

/// A duration in whole microseconds, saturating at `u32::MAX` (over an hour).
fn us(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// A duration in whole microseconds, saturating.
fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
