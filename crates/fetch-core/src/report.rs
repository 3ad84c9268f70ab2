//! The result of a load run: counts by outcome, a latency histogram, and the
//! configuration the numbers depend on.
//!
//! The identity `ok + sum(errors) == requests` holds for every report the
//! engine builds; [`Report::is_consistent`] checks it.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::ErrorKind;

/// What each request does with the body it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Parse {
    /// Decode a [`crate::User`] from JSON, as [`crate::get_user`] does.
    User,
    /// Extract the `<title>`, as [`crate::fetch_title`] does.
    Title,
    /// Only read the body.
    None,
}

impl fmt::Display for Parse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Parse::User => "user",
            Parse::Title => "title",
            Parse::None => "none",
        })
    }
}

/// Everything a result depends on, printed beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunConfig {
    /// Runtime name (`tokio`, `smol`, ...).
    pub runtime: &'static str,
    /// Worker threads polling async tasks.
    pub threads: usize,
    /// Client name (`reqwest`, `hyper`, ...).
    pub client: &'static str,
    /// Connection pool size per host.
    pub connections: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The URL template (`{id}` replaced per request).
    pub url: String,
    /// What each request does with its body.
    pub parse: Parse,
    /// Per-request time limit.
    pub timeout: Duration,
}

/// The outcome of a load run.
#[derive(Debug, Clone)]
pub struct Report {
    /// What the run was configured with.
    pub config: RunConfig,
    /// Requests started.
    pub requests: u64,
    /// Requests that finished with a 2xx answer and a body that parsed.
    pub ok: u64,
    /// Failed requests by kind.
    pub errors: BTreeMap<ErrorKind, u64>,
    /// The first error message seen of each kind, with its cause chain.
    pub error_samples: BTreeMap<ErrorKind, String>,
    /// Wall time from the first request to the last answer.
    pub elapsed: Duration,
    /// Latency of successful requests, in microseconds.
    pub latency: Histogram<u64>,
    /// The run was stopped before its planned end (Ctrl-C).
    pub interrupted: bool,
}

impl Report {
    /// Failed requests, all kinds together.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// `ok + errors == requests`: every started request is counted once.
    pub fn is_consistent(&self) -> bool {
        self.ok + self.error_count() == self.requests
    }

    /// Finished requests (ok or not) per second of wall time.
    pub fn requests_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.requests as f64 / secs
        } else {
            0.0
        }
    }

    /// The latency at quantile `q` (0.0 to 1.0) in milliseconds; 0 when no
    /// request succeeded.
    pub fn latency_ms(&self, q: f64) -> f64 {
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }

    /// The slowest successful request in milliseconds.
    pub fn max_latency_ms(&self) -> f64 {
        self.latency.max() as f64 / 1000.0
    }
}

/// A histogram for latencies in microseconds, three significant digits,
/// growing as needed.
pub(crate) fn latency_histogram() -> Histogram<u64> {
    // 1 µs to 1 hour; auto-resize lets a longer value still be recorded.
    let mut h = Histogram::new_with_bounds(1, 3_600_000_000, 3)
        .unwrap_or_else(|_| unreachable!("valid histogram bounds"));
    h.auto(true);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(ok: u64, errors: &[(ErrorKind, u64)], requests: u64) -> Report {
        Report {
            config: RunConfig {
                runtime: "test",
                threads: 1,
                client: "test",
                connections: 1,
                concurrency: 1,
                url: "http://x/".into(),
                parse: Parse::None,
                timeout: Duration::from_secs(1),
            },
            requests,
            ok,
            errors: errors.iter().copied().collect(),
            error_samples: BTreeMap::new(),
            elapsed: Duration::from_secs(2),
            latency: latency_histogram(),
            interrupted: false,
        }
    }

    #[test]
    fn consistency_counts_every_kind() {
        let r = report(
            7,
            &[(ErrorKind::Timeout, 2), (ErrorKind::Status(500), 1)],
            10,
        );
        assert!(r.is_consistent());
        assert_eq!(r.error_count(), 3);
        assert!(!report(7, &[(ErrorKind::Timeout, 2)], 10).is_consistent());
    }

    #[test]
    fn rate_and_percentiles() {
        let mut r = report(10, &[], 10);
        for us in 1..=100u64 {
            r.latency.record(us * 1000).unwrap();
        }
        assert_eq!(r.requests_per_sec(), 5.0);
        assert!(
            (r.latency_ms(0.5) - 50.0).abs() < 0.1,
            "{}",
            r.latency_ms(0.5)
        );
        assert!((r.max_latency_ms() - 100.0).abs() < 0.1);
        // A value past the nominal top still records (auto-resize).
        r.latency.record(7_200_000_000).unwrap();
    }
}
