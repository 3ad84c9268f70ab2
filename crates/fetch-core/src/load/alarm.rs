//! One timer per worker for the time limit of every request it sends.
//!
//! A timeout per request ([`within`](crate::within)) is a new timer each
//! time: on tokio, an entry put into the timer wheel when the request
//! first waits and taken out when it ends, most often long before the
//! limit. In a load run that is two timer-wheel operations per request for
//! a limit that almost never fires; the profile of tokio + hyper at 100
//! in flight put the timer's share near 0.5 µs of the engine's 27 µs of
//! CPU per request.
//!
//! A worker's requests run one after another, each with the same limit,
//! so their deadlines only move later. The worker keeps one [`Alarm`],
//! armed for some earlier request's deadline. When it rings, the request
//! then in flight looks at its own deadline: past, it has timed out; not
//! yet, the alarm is armed again for it. A request that ends in time
//! costs no timer operation at all; a worker whose requests are fast
//! re-arms its alarm once per limit (say once in 30 s), and a request
//! that hangs is still cut off at its own deadline, as before.
//!
//! # Layout
//! - [`Alarm`]: the worker's timer, made by the run's [`Timer`](crate::Timer);
//!   `Ring`, the waker its sleep holds.
//! - [`Limited`]: a request raced against the alarm for its deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crate::FetchError;

/// A worker's one timer; `make` starts a sleep of a given length.
pub(crate) struct Alarm<S, M> {
    /// The sleep in progress, the waker it holds, and a time before which
    /// it cannot have rung; `None` once it rang (or before the first).
    armed: Option<Armed<S>>,
    make: M,
}

/// An alarm's sleep in progress.
struct Armed<S> {
    sleep: Pin<Box<S>>,
    ring: Arc<Ring>,
    /// Until this time the sleep cannot have rung: a runtime's sleep ends
    /// at or after its deadline, and this is [`EARLY`] before it. Until
    /// then a poll reads the clock and leaves the ring alone: the ring is
    /// an allocation of its own, and with a thousand workers, reading it
    /// on each poll of each request was a cache miss each time.
    quiet_until: Instant,
}

/// How much earlier than asked a runtime's sleep might end, at most: its
/// timer may round to whole milliseconds. Past this margin before the
/// deadline, polls look at the ring again, so a sleep that ended a little
/// early is still heard.
const EARLY: Duration = Duration::from_millis(5);

/// The waker an alarm's sleep holds. Polling a runtime's sleep on every
/// poll of every request cost more than the timer it saved (tokio's
/// `Sleep::poll` registers its waker each time): the sleep is polled
/// only once when armed and then only after it woke the worker.
#[derive(Debug)]
struct Ring {
    rang: AtomicBool,
    worker: Waker,
}

impl Wake for Ring {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.rang.store(true, Ordering::Release);
        self.worker.wake_by_ref();
    }
}

impl<S, M> std::fmt::Debug for Alarm<S, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alarm")
            .field("armed", &self.armed.is_some())
            .finish()
    }
}

impl<S, M> Alarm<S, M>
where
    S: Future<Output = ()>,
    M: Fn(Duration) -> S,
{
    /// An alarm, not yet armed, whose sleeps `make` starts.
    pub(crate) fn new(make: M) -> Self {
        Alarm { armed: None, make }
    }

    /// `request`, failed as [`FetchError::Timeout`] (for `url`, after
    /// `limit`) if it has not ended by `deadline`, or ended as [`RunEnded`]
    /// if the run's end `cut` comes first. Deadlines passed to one alarm
    /// must not go back in time (a worker's do not: each is its request's
    /// start plus the same limit, or the run's one end), and every request
    /// of one alarm must be polled by the same task (a worker's are).
    pub(crate) fn limit<'a, F, T>(
        &'a mut self,
        deadline: Instant,
        cut: Option<Instant>,
        url: &'a str,
        limit: Duration,
        request: F,
    ) -> Limited<'a, F, S, M>
    where
        F: Future<Output = Result<T, FetchError>>,
    {
        Limited {
            request,
            alarm: self,
            deadline,
            cut,
            url,
            limit,
        }
    }

    /// Waits for the alarm; ready when `deadline` has passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>, deadline: Instant) -> Poll<()> {
        loop {
            let (sleep, ring) = match &mut self.armed {
                Some(armed) => {
                    // Nothing to look at until the sleep has woken us.
                    if Instant::now() < armed.quiet_until
                        || !armed.ring.rang.swap(false, Ordering::AcqRel)
                    {
                        return Poll::Pending;
                    }
                    (&mut armed.sleep, &armed.ring)
                }
                None => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Poll::Ready(());
                    }
                    let ring = Arc::new(Ring {
                        rang: AtomicBool::new(false),
                        worker: cx.waker().clone(),
                    });
                    let armed = self.armed.insert(Armed {
                        sleep: Box::pin((self.make)(left)),
                        ring,
                        quiet_until: Instant::now() + left.saturating_sub(EARLY),
                    });
                    (&mut armed.sleep, &armed.ring)
                }
            };
            let waker = Waker::from(ring.clone());
            match sleep.as_mut().poll(&mut Context::from_waker(&waker)) {
                Poll::Pending => return Poll::Pending,
                // It rang (for this deadline, or an earlier request's):
                // the next turn of the loop arms it for what is left.
                Poll::Ready(()) => self.armed = None,
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The future [`Alarm::limit`] returns.
    #[must_use = "futures do nothing unless polled"]
    pub(crate) struct Limited<'a, F, S, M> {
        #[pin]
        request: F,
        alarm: &'a mut Alarm<S, M>,
        deadline: Instant,
        cut: Option<Instant>,
        url: &'a str,
        limit: Duration,
    }
}

/// A request cut off by the end of a `-d` run (its deadline), not by its
/// own time limit: it counts as `cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RunEnded;

impl<F, T, S, M> Future for Limited<'_, F, S, M>
where
    F: Future<Output = Result<T, FetchError>>,
    S: Future<Output = ()>,
    M: Fn(Duration) -> S,
{
    type Output = Result<Result<T, FetchError>, RunEnded>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // A request that ended is handed on as it ended, even past the
        // cut: the worker decides what a failure after the run's end means.
        if let Poll::Ready(out) = this.request.poll(cx) {
            return Poll::Ready(Ok(out));
        }
        let cut = this.cut.filter(|cut| cut <= this.deadline);
        this.alarm
            .poll_deadline(cx, cut.unwrap_or(*this.deadline))
            .map(|()| match cut {
                Some(_) => Err(RunEnded),
                None => Ok(Err(FetchError::Timeout {
                    url: (*this.url).to_owned(),
                    after: *this.limit,
                })),
            })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    /// A timer driven by hand: its sleeps note when they are due and
    /// their waker; [`Clock::tick`] wakes those whose time has come.
    #[derive(Default)]
    struct Clock {
        waiting: RefCell<Vec<(Instant, Waker)>>,
        made: Cell<u32>,
    }

    impl Clock {
        fn sleep(self: &Rc<Self>, d: Duration) -> Pin<Box<dyn Future<Output = ()>>> {
            self.made.set(self.made.get() + 1);
            let (clock, at) = (self.clone(), Instant::now() + d);
            Box::pin(std::future::poll_fn(move |cx| {
                if Instant::now() >= at {
                    return Poll::Ready(());
                }
                clock.waiting.borrow_mut().push((at, cx.waker().clone()));
                Poll::Pending
            }))
        }

        fn tick(&self) {
            let now = Instant::now();
            self.waiting.borrow_mut().retain(|(at, waker)| {
                let due = *at <= now;
                if due {
                    waker.wake_by_ref();
                }
                !due
            });
        }
    }

    fn poll_once<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(Waker::noop()))
    }

    /// A request that waits once, then answers.
    fn quick() -> impl Future<Output = Result<u8, FetchError>> {
        let mut waited = false;
        std::future::poll_fn(move |_| {
            if std::mem::replace(&mut waited, true) {
                Poll::Ready(Ok(7))
            } else {
                Poll::Pending
            }
        })
    }

    fn wait_until(t: Instant) {
        std::thread::sleep(t.saturating_duration_since(Instant::now()));
    }

    #[test]
    fn requests_that_end_in_time_share_one_sleep() {
        let clock = Rc::new(Clock::default());
        let mut alarm = Alarm::new(|d| clock.sleep(d));
        let limit = Duration::from_secs(30);
        for _ in 0..3 {
            let mut limited =
                std::pin::pin!(alarm.limit(Instant::now() + limit, None, "u", limit, quick()));
            assert!(poll_once(limited.as_mut()).is_pending());
            assert!(matches!(
                poll_once(limited.as_mut()),
                Poll::Ready(Ok(Ok(7)))
            ));
        }
        assert_eq!(clock.made.get(), 1);
    }

    #[test]
    fn an_alarm_armed_for_an_earlier_request_is_armed_again_and_cuts_a_hung_one_at_its_deadline() {
        let clock = Rc::new(Clock::default());
        let mut alarm = Alarm::new(|d| clock.sleep(d));
        let limit = Duration::from_millis(400);
        let t0 = Instant::now();
        // Request A ends in time: the alarm stays armed for t0 + 400 ms.
        let mut a = std::pin::pin!(alarm.limit(t0 + limit, None, "a", limit, quick()));
        assert!(poll_once(a.as_mut()).is_pending());
        assert!(poll_once(a.as_mut()).is_ready());
        // Request B, sent 200 ms later, never answers: its deadline is
        // about t0 + 600 ms.
        wait_until(t0 + Duration::from_millis(200));
        let hung = std::future::pending::<Result<u8, FetchError>>();
        let mut b = std::pin::pin!(alarm.limit(Instant::now() + limit, None, "b", limit, hung));
        assert!(poll_once(b.as_mut()).is_pending());
        // Past A's deadline, before B's: the alarm rings (for A), is armed
        // again for B, and B goes on.
        wait_until(t0 + Duration::from_millis(450));
        clock.tick();
        assert!(poll_once(b.as_mut()).is_pending());
        assert_eq!(clock.made.get(), 2, "armed again for B's deadline");
        // Until the alarm rings again, B is not cut off, however often
        // it is polled.
        assert!(poll_once(b.as_mut()).is_pending());
        // Past B's deadline: it rings, and B has timed out after its limit.
        wait_until(t0 + Duration::from_millis(650));
        clock.tick();
        match poll_once(b.as_mut()) {
            Poll::Ready(Ok(Err(FetchError::Timeout { url, after }))) => {
                assert_eq!((url.as_str(), after), ("b", limit));
            }
            other => panic!("expected b's timeout, got {other:?}"),
        }
    }

    #[test]
    fn the_runs_end_cuts_a_request_off_as_ended_not_timed_out() {
        let clock = Rc::new(Clock::default());
        let mut alarm = Alarm::new(|d| clock.sleep(d));
        let limit = Duration::from_secs(30);
        let t0 = Instant::now();
        let end = t0 + Duration::from_millis(100);
        // A request that ends before the run's end is its own.
        let mut a = std::pin::pin!(alarm.limit(t0 + limit, Some(end), "a", limit, quick()));
        assert!(poll_once(a.as_mut()).is_pending());
        assert!(matches!(poll_once(a.as_mut()), Poll::Ready(Ok(Ok(7)))));
        // One still in flight at the end is cut off there, long before
        // its own limit.
        let hung = std::future::pending::<Result<u8, FetchError>>();
        let mut b = std::pin::pin!(alarm.limit(t0 + limit, Some(end), "b", limit, hung));
        assert!(poll_once(b.as_mut()).is_pending());
        wait_until(end + Duration::from_millis(10));
        clock.tick();
        assert!(matches!(poll_once(b.as_mut()), Poll::Ready(Err(RunEnded))));
        // A request that fails, even just after the end, is handed on as
        // it failed: what that means is the worker's to say.
        let end = Instant::now() + Duration::from_millis(50);
        let mut failed = false;
        let failing = std::future::poll_fn(move |_| {
            if std::mem::replace(&mut failed, true) {
                Poll::Ready(Err::<u8, _>(FetchError::InvalidUrl {
                    url: "d".into(),
                    reason: "x".into(),
                }))
            } else {
                Poll::Pending
            }
        });
        // An alarm of its own: this one's deadlines do not follow the others'.
        let mut own = Alarm::new(|d| clock.sleep(d));
        let mut d = std::pin::pin!(own.limit(t0 + limit, Some(end), "d", limit, failing));
        assert!(poll_once(d.as_mut()).is_pending());
        wait_until(end + Duration::from_millis(10));
        assert!(matches!(
            poll_once(d.as_mut()),
            Poll::Ready(Ok(Err(FetchError::InvalidUrl { .. })))
        ));
        // A run's end past the request's limit leaves the limit to act.
        let late_end = Some(Instant::now() + limit * 2);
        let hung = std::future::pending::<Result<u8, FetchError>>();
        let short = Duration::from_millis(20);
        let mut c = std::pin::pin!(alarm.limit(Instant::now() + short, late_end, "c", short, hung));
        assert!(poll_once(c.as_mut()).is_pending());
        wait_until(Instant::now() + short + Duration::from_millis(10));
        clock.tick();
        assert!(matches!(
            poll_once(c.as_mut()),
            Poll::Ready(Ok(Err(FetchError::Timeout { .. })))
        ));
    }
}
