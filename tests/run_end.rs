//! A request that fails once the run has ended counts as `cancelled`, not
//! as an error of the server: stopped (Ctrl-C) or past a `-d` deadline, the
//! run's end is what broke it (cutting the other requests off can break a
//! connection they share). Driven by the engine itself on tokio, with a
//! client of the test's own whose every request fails only after the end,
//! so the order of the two events is not left to a real server.

#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fetch_core::{
    ClientConfig, ErrorKind, FetchError, HttpClient, LoadPlan, Progress, Request, Response,
    Runtime, Stop, UrlTemplate,
};
use fetch_tokio::TokioRuntime;

/// How a request of [`FailsAtTheEnd`] ends.
#[derive(Clone, Copy)]
enum Ending {
    /// It waits for the run to be stopped, then fails.
    WhenStopped,
    /// It blocks its thread past the run's deadline, then fails: the
    /// failure is the first thing the engine hears of it after the end.
    After(Duration),
}

/// A client whose requests never succeed, and fail only after the end.
struct FailsAtTheEnd {
    config: ClientConfig,
    progress: Arc<Progress>,
    ending: Ending,
}

impl HttpClient for FailsAtTheEnd {
    fn name(&self) -> &'static str {
        "fails-at-the-end"
    }

    fn config(&self) -> &ClientConfig {
        &self.config
    }

    fn send(
        &self,
        request: &Request<'_>,
    ) -> impl Future<Output = Result<Response, FetchError>> + Send {
        let url = request.url.to_owned();
        let (progress, ending) = (self.progress.clone(), self.ending);
        async move {
            match ending {
                Ending::WhenStopped => {
                    while !progress.cancel.is_cancelled() {
                        progress.cancel.listen().await;
                    }
                }
                Ending::After(wait) => std::thread::sleep(wait),
            }
            Err(FetchError::transport(&url, "broken pipe"))
        }
    }
}

/// Runs `stop` with `ending`, stopping the run after `stop_after` if given.
fn run(stop: Stop, ending: Ending, stop_after: Option<Duration>) -> fetch_core::Report {
    let rt = TokioRuntime::new(2).unwrap();
    let progress = Progress::new();
    let client = Arc::new(FailsAtTheEnd {
        config: ClientConfig::default(),
        progress: progress.clone(),
        ending,
    });
    let url = UrlTemplate::new("http://127.0.0.1:9/users/{id}").unwrap();
    let plan = LoadPlan::new(url, stop).concurrency(4);
    if let Some(after) = stop_after {
        let progress = progress.clone();
        std::thread::spawn(move || {
            std::thread::sleep(after);
            progress.cancel.cancel();
        });
    }
    let started = Instant::now();
    let report = rt.block_on(fetch_core::run_load(&rt, client, plan, progress));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{}",
        brief(&report)
    );
    report
}

/// What a failed assertion shows of `report` (its histograms are long).
fn brief(report: &fetch_core::Report) -> String {
    format!(
        "requests {}, ok {}, errors {:?}, samples {:?}, interrupted {}",
        report.requests, report.ok, report.errors, report.error_samples, report.interrupted
    )
}

/// Every request started is counted once, and all of them as cancelled.
fn all_cancelled(report: &fetch_core::Report) {
    let counted: u64 = report.ok + report.errors.values().sum::<u64>();
    assert_eq!(counted, report.requests, "{}", brief(report));
    assert_eq!(report.ok, 0, "{}", brief(report));
    assert!(report.requests > 0, "{}", brief(report));
    let cancelled = report.errors.get(&ErrorKind::Cancelled).copied();
    assert_eq!(cancelled, Some(report.requests), "{}", brief(report));
    let sample = &report.error_samples[&ErrorKind::Cancelled];
    assert!(sample.contains("broken pipe"), "{sample}");
}

#[test]
fn a_request_that_fails_after_a_stop_counts_as_cancelled() {
    let stop = Stop::Requests(1_000);
    let report = run(stop, Ending::WhenStopped, Some(Duration::from_millis(200)));
    assert!(report.interrupted, "{}", brief(&report));
    all_cancelled(&report);
}

#[test]
fn a_request_that_fails_after_the_deadline_counts_as_cancelled() {
    let stop = Stop::Duration(Duration::from_millis(100));
    let report = run(stop, Ending::After(Duration::from_millis(300)), None);
    all_cancelled(&report);
}
