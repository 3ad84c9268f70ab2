//! Stopping a run: the [`Cancel`] switch a Ctrl-C handler flips, the live
//! [`Progress`] counters a progress bar reads, and `CancelWatch`, the
//! future a worker runs each request beside (the request, or the cancel).
//!
//! # Layout
//!
//! - [`Cancel`], [`Progress`]: shared between a run and whoever watches it.
//! - `CancelWatch`: ready on a cancel, so a request under it ends as `None`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll, Waker};

use crossbeam_utils::CachePadded;
use event_listener::{Event, EventListener};

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
    /// Written by every request, so on a cache line of its own: the
    /// cancel flag, which every worker reads all the time, is not on it
    /// (no false sharing with a line another core has just written).
    pub(super) completed: CachePadded<AtomicU64>,
    pub(super) errors: AtomicU64,
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

/// A worker's view of the cancel switch.
///
/// The listener holds the waker of the last poll that registered one;
/// a poll with a waker that would wake the same task ([`Waker::will_wake`],
/// a pointer comparison) only reads the flag, so a request costs no trip
/// through the listener's lock. A poll with another waker (a runtime may
/// hand a task a new one) registers that one, so a cancel always wakes
/// whichever waker the task was last polled with.
pub(super) struct CancelWatch<'a> {
    cancel: &'a Cancel,
    listener: EventListener,
    /// The waker the listener has, once it has one.
    registered: Option<Waker>,
}

impl<'a> CancelWatch<'a> {
    /// A watch on `cancel`, listening from now: take it before the first
    /// claim (which checks the flag), so no cancel falls between the two.
    pub(super) fn new(cancel: &'a Cancel) -> Self {
        CancelWatch {
            cancel,
            listener: cancel.listen(),
            registered: None,
        }
    }
}

/// Ready once the run is cancelled: a request runs under it as under a
/// timer (`Timeout::with`), and ends as `None` when it fires first.
impl Future for CancelWatch<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.cancel.is_cancelled() {
            return Poll::Ready(());
        }
        if this
            .registered
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            return Poll::Pending;
        }
        this.registered = Some(cx.waker().clone());
        Pin::new(&mut this.listener).poll(cx)
    }
}
