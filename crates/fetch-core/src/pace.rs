//! The open loop's schedule: request *i* is due at `start + (i - 1) / rate`.
//!
//! A closed loop (each worker sends, waits for the answer, sends again)
//! stops sending while the server stalls, so a one-second stall shows as
//! one slow request per worker, not as the thousands of users who would
//! have arrived meanwhile ("coordinated omission"). An open loop keeps the
//! schedule whatever the server does, and measures each request from when
//! it was *due*: a request that had to wait (for the server, or for a free
//! slot under `-c`) carries that wait in its latency.
//!
//! The pacer (`load::Pacer`: a task of the runtime where it lends a
//! precise timer, tokio's timerfd; a thread of its own elsewhere) sleeps
//! until the next request is due and releases every request due by then:
//! at a low rate one wake-up per request, at a high one several requests
//! per wake-up.
//! Releasing `k` requests wakes `k` idle workers (one each); a worker
//! that finishes a request claims the next due one without waiting, and
//! releases it itself when it is due and the pacer has not got to it yet
//! ([`Pacing::release_own`]). Due requests are claimed in order, so when
//! every worker is busy they queue, oldest first.
//!
//! # Layout
//! - [`LATE`]: the bound on a start that is on time.
//! - [`Pacing`]: the schedule and what has been released of it, shared by the
//!   pacer (`load::Pacer`) and the workers (`LoadState::claim_due`).
//! - [`fine_timer_slack`]: the pacer thread's 1 µs timer slack.
//! - [`PacerCost`], [`PacerKind`], [`thread_cpu_time`]: what the pacer
//!   cost its process, which the report shows (`pacer_runs_as`,
//!   `pacer_cpu_s`).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use event_listener::{Event, EventListener, IntoNotification as _};

/// A request sent more than this after it was due counts as a late start.
pub const LATE: Duration = Duration::from_millis(1);

/// Asks the kernel to wake the calling thread within 1 µs of the time its
/// sleeps end, not within the default 50 µs of timer slack; elsewhere
/// than Linux, does nothing. A refusal (never seen) leaves the default:
/// the pacer is then up to 50 µs later, and the report shows it.
pub fn fine_timer_slack() {
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_timerslack(1_000);
}

/// The calling thread's CPU time so far (user and system); `None` where
/// it cannot be read (elsewhere than Linux).
pub fn thread_cpu_time() -> Option<Duration> {
    #[cfg(target_os = "linux")]
    return nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
        .ok()
        .map(Duration::from);
    #[cfg(not(target_os = "linux"))]
    None
}

/// How an open loop's pacer ran: `thread` or `task` in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PacerKind {
    /// An OS thread of its own.
    Thread,
    /// A task of the run's runtime, on a timer the runtime lent.
    Task,
}

impl PacerKind {
    /// `thread` or `task`: the report's word for it.
    pub fn name(self) -> &'static str {
        match self {
            PacerKind::Thread => "thread",
            PacerKind::Task => "task",
        }
    }
}

/// What the pacer cost its process: the pacer is the load generator's
/// own overhead in an open loop, taken from the cores the client (and,
/// on one machine, the server) runs on, so the report shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacerCost {
    /// How it ran.
    pub runs_as: PacerKind,
    /// A thread's CPU clock (user and system, its sleeps and wake-ups
    /// included) when it ended; for a task, the time spent inside its
    /// polls (the runtime's work to wake it is in the process's CPU
    /// only).
    pub cpu: Duration,
}

/// The schedule of an open-loop run, and how much of it is released.
#[derive(Debug)]
pub struct Pacing {
    rate: f64,
    /// Requests `1..=released` are due and may be claimed.
    released: AtomicU64,
    /// Nothing more will be released: the schedule is done, or the run
    /// was cancelled.
    done: AtomicBool,
    /// Idle workers wait here for a release.
    event: Event,
    /// The run waits here for `done`.
    done_event: Event,
    /// What the pacer cost, once it ended.
    cost: OnceLock<PacerCost>,
}

impl Pacing {
    /// A schedule of `rate` requests per second (positive and finite;
    /// [`crate::LoadPlan::rate`] checks).
    pub fn new(rate: f64) -> Self {
        Pacing {
            rate,
            released: AtomicU64::new(0),
            done: AtomicBool::new(false),
            event: Event::new(),
            done_event: Event::new(),
            cost: OnceLock::new(),
        }
    }

    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// How long after the start request `id` (from 1) is due.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let pacing = fetch_core::pace::Pacing::new(200.0);
    /// assert_eq!(pacing.due_offset(1), Duration::ZERO);
    /// assert_eq!(pacing.due_offset(201), Duration::from_secs(1));
    /// assert_eq!(pacing.due_by(Duration::from_millis(1_002)), 201);
    /// ```
    pub fn due_offset(&self, id: u64) -> Duration {
        Duration::from_secs_f64(id.saturating_sub(1) as f64 / self.rate)
    }

    /// How many requests are due `elapsed` after the start (request 1 is
    /// due at once).
    pub fn due_by(&self, elapsed: Duration) -> u64 {
        (elapsed.as_secs_f64() * self.rate).floor() as u64 + 1
    }

    /// How many requests are due before `length` has passed: the whole
    /// schedule of a run of that length.
    pub fn due_within(&self, length: Duration) -> u64 {
        (length.as_secs_f64() * self.rate).ceil().max(1.0) as u64
    }

    /// Requests released so far (read after [`Pacing::is_done`] to see the
    /// final count).
    pub fn released(&self) -> u64 {
        self.released.load(Ordering::Acquire)
    }

    /// Whether nothing more will be released.
    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// A listener for the next release. Take it *before* checking
    /// [`Pacing::released`] again, so no release falls between the two.
    pub fn listen(&self) -> EventListener {
        self.event.listen()
    }

    /// Releases requests up to `due`, waking one idle worker for each
    /// request newly released.
    pub fn release(&self, due: u64) {
        let before = self.released.fetch_max(due, Ordering::AcqRel);
        if due > before {
            let more = usize::try_from(due - before).unwrap_or(usize::MAX);
            self.event.notify(more.additional());
        }
    }

    /// Releases request `id`, due, for the worker that will take it: no
    /// idle worker is woken (the others due by now are left to the pacer
    /// or to other workers as they come back).
    pub fn release_own(&self, id: u64) {
        self.released.fetch_max(id, Ordering::AcqRel);
    }

    /// A listener for the end of the schedule. Take it *before* checking
    /// [`Pacing::is_done`] again.
    pub fn listen_done(&self) -> EventListener {
        self.done_event.listen()
    }

    /// Notes what the pacer cost (the first note stands).
    pub fn set_cost(&self, cost: PacerCost) {
        let _ = self.cost.set(cost);
    }

    /// What the pacer cost, once it has ended and said so.
    pub fn cost(&self) -> Option<PacerCost> {
        self.cost.get().copied()
    }

    /// Ends the schedule: waiting workers wake and find nothing more.
    pub fn finish(&self) {
        self.done.store(true, Ordering::Release);
        self.event.notify(usize::MAX);
        self.done_event.notify(usize::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::PacerKind;

    #[test]
    fn a_pacer_kind_is_written_as_its_name() {
        for kind in [PacerKind::Thread, PacerKind::Task] {
            let json = serde_json::to_value(kind).ok();
            assert_eq!(json.as_ref().and_then(|v| v.as_str()), Some(kind.name()));
        }
    }
}
