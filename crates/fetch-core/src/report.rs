//! The result of a load run: counts by outcome, a latency histogram, and the
//! configuration the numbers depend on.
//!
//! The identity `ok + sum(errors) == requests` holds for every report the
//! engine builds; [`Report::is_consistent`] checks it.
//!
//! Two forms: the engine's [`Report`] (with the whole latency histogram),
//! and [`LoadReport`], the one JSON form of it that every binary prints
//! with `--output json` and that `scripts/compare` and the tests read back.
//! [`LoadReport`] is the only definition of those JSON fields.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::ErrorKind;

/// What each request does with the body it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// Runtime name (`tokio`, `smol`, ...).
    pub runtime: &'static str,
    /// Worker threads polling async tasks (for a thread-per-task runtime:
    /// its OS threads).
    pub threads: usize,
    /// Every task is an OS thread of its own ([`crate::Runtime::thread_per_task`]).
    pub thread_per_task: bool,
    /// Client name (`reqwest`, `hyper`, ...).
    pub client: &'static str,
    /// Connection pool size per host.
    pub connections: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The URL template (`{id}` replaced per request), without any
    /// password, or the `--url-file` and how many URLs it held.
    pub url: String,
    /// The method every request sends.
    pub method: String,
    /// The names of the headers every request sets itself (never their
    /// values: they may be secrets).
    pub header_names: Vec<String>,
    /// The size of every request's body, bytes.
    pub body_bytes: u64,
    /// What each request does with its body.
    pub parse: Parse,
    /// Per-request time limit.
    pub timeout: Duration,
    /// Redirects each request follows at most.
    pub max_redirects: u32,
    /// The URL is https.
    pub tls: bool,
    /// HTTP/2 was asked for (`--http2`).
    pub http2: bool,
    /// Connections are kept for the next request (no `--no-keepalive`).
    pub keep_alive: bool,
    /// The load engine's gate capped the requests in the client at
    /// `connections` (HTTP/1 with more requests than connections); `false`
    /// when every request fit, or over HTTP/2, where the client's pool caps
    /// the sockets instead.
    pub gated: bool,
    /// The open loop's rate asked for, requests per second; `None` for a
    /// closed loop.
    pub rate: Option<f64>,
    /// The planned length of a run that stops after a duration (`-d`);
    /// `None` for one that stops after a number of requests.
    pub duration: Option<Duration>,
    /// A `-d` run let the requests in flight at its end finish
    /// (`--wait-ongoing`) instead of cancelling them.
    pub wait_ongoing: bool,
    /// How a sharded run (a thread-per-core runtime) was split; `None`
    /// for a run on one runtime.
    pub shards: Option<ShardSplit>,
}

/// How a sharded run split its work: one runtime and one client per
/// thread, each with its share of the requests in flight and of the
/// connections ([`run_sharded`](crate::run_sharded)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSplit {
    /// Shards (OS threads, each with its own runtime and client).
    pub count: usize,
    /// The I/O driver each shard's runtime ran on (`io_uring`, ...).
    pub driver: String,
    /// Requests in flight, per shard.
    pub in_flight: Vec<usize>,
    /// Connections (the shard's own pool and gate), per shard.
    pub connections: Vec<usize>,
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
    /// Latency of successful requests, in microseconds: from each
    /// request's claim in a closed loop, from when it was due in an open
    /// loop (so a wait to be sent is in it).
    pub latency: Histogram<u64>,
    /// Open loop: the time from each successful request's send to its
    /// last byte, in microseconds. `None` in a closed loop, where it is
    /// `latency`.
    pub service: Option<Histogram<u64>>,
    /// Latency of every request that got a final answer, whatever its
    /// status, counted as `latency` is, in microseconds.
    pub answered: Histogram<u64>,
    /// Final answers (after redirects) by status code.
    pub statuses: BTreeMap<u16, u64>,
    /// Body bytes received by the answered requests, every hop.
    pub bytes_received: u64,
    /// The run was stopped before its planned end (Ctrl-C).
    pub interrupted: bool,
    /// The most requests in flight at once: a request counts from its
    /// claim (a wait at the connection gate included) to its recorded
    /// outcome.
    pub peak_in_flight: u64,
    /// How long after the start the run first had that many in flight.
    pub ramp: Duration,
    /// The sum of every request's time from claim to outcome, all outcomes.
    pub busy: Duration,
    /// Redirects followed by the requests that succeeded (each one more
    /// request on the wire, inside its request's latency).
    pub redirects: u64,
    /// Requests sent once more because their connection was found closed
    /// before any byte of the answer (idempotent methods only); each still
    /// counts once, by its final outcome.
    pub retries: u64,
    /// The HTTP versions the successful requests were answered in (bits of
    /// [`HttpVersion::bit`](crate::HttpVersion::bit)).
    pub versions: u8,
    /// Open loop: requests sent more than 1 ms after they were due.
    pub late_starts: u64,
    /// Open loop: the latest a request was sent after it was due.
    pub max_start_delay: Duration,
    /// Open loop: the most the schedule lagged (the latest start, or in a
    /// `-d` run, how overdue the first request never sent was at the end);
    /// `None` in a closed loop.
    pub behind: Option<Duration>,
    /// Connections the client opened during the run; `None` when the
    /// client offers no way to count them.
    pub connections_opened: Option<u64>,
    /// Open loop: how the pacer ran and its own CPU time; `None` in a
    /// closed loop, or when the pacer could not say.
    pub pacer: Option<crate::pace::PacerCost>,
}

impl Report {
    /// Failed requests, all kinds together.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// `ok + errors == requests`: every started request is counted once;
    /// and `sum(statuses) + errors without an answer == requests`: every
    /// answer is counted by its status once.
    pub fn is_consistent(&self) -> bool {
        let unanswered: u64 = self
            .errors
            .iter()
            .filter(|(kind, _)| !kind.has_answer())
            .map(|(_, n)| n)
            .sum();
        self.ok + self.error_count() == self.requests
            && self.statuses.values().sum::<u64>() + unanswered == self.requests
    }

    /// Requests cancelled: in flight when a `-d` run ended or at Ctrl-C.
    pub fn cancelled(&self) -> u64 {
        self.errors.get(&ErrorKind::Cancelled).copied().unwrap_or(0)
    }

    /// Finished requests (ok or not) per second of wall time; cancelled
    /// ones did not finish and are not counted.
    pub fn requests_per_sec(&self) -> f64 {
        self.per_sec(self.requests - self.cancelled())
    }

    /// Successful requests per second of wall time.
    pub fn ok_per_sec(&self) -> f64 {
        self.per_sec(self.ok)
    }

    fn per_sec(&self, n: u64) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { n as f64 / secs } else { 0.0 }
    }

    /// Little's law as a self-check: the requests in flight on average
    /// (the sum of every request's claim-to-outcome time over the elapsed
    /// time) divided by the concurrency asked for. Near 1 when the run kept
    /// `-c` requests in flight throughout; well below, when it did not (a
    /// slow ramp, workers idle) or when a client queues inside itself.
    /// `None` when nothing ran.
    pub fn littles_law(&self) -> Option<f64> {
        let elapsed = self.elapsed.as_secs_f64();
        (elapsed > 0.0 && self.requests > 0)
            .then(|| self.busy.as_secs_f64() / elapsed / self.config.concurrency.max(1) as f64)
    }

    /// The latency percentiles a report prints.
    pub fn percentiles(&self) -> Percentiles {
        Percentiles::of(&self.latency)
    }

    /// Requests asked per second in an open loop.
    pub fn rate(&self) -> Option<f64> {
        self.config.rate
    }
}

/// Whether an open loop that lagged `behind_s` seconds behind its
/// schedule in a run of `elapsed_s` fell behind: by more than a second, or
/// by more than a tenth of the run. `false` for a closed loop (`None`).
pub fn fell_behind(behind_s: Option<f64>, elapsed_s: f64) -> bool {
    behind_s.is_some_and(|behind| behind > 1.0 || behind > elapsed_s / 10.0)
}

/// An open loop's pacer, from its report's `pacer_runs_as` and
/// `pacer_cpu_s` in a run of `elapsed_s`: how it ran and its CPU as a share
/// of one core (0.05: 5% of a core). `None` in a closed loop, when the
/// pacer could not say, or for a run of no length.
pub fn pacer_share(
    runs_as: Option<crate::pace::PacerKind>,
    cpu_s: Option<f64>,
    elapsed_s: f64,
) -> Option<(crate::pace::PacerKind, f64)> {
    let (runs_as, cpu_s) = runs_as.zip(cpu_s)?;
    (elapsed_s > 0.0).then(|| (runs_as, cpu_s / elapsed_s))
}

/// Where the server of a run was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerKind {
    /// Started in the measuring process (its CPU and memory figures include it).
    Embedded,
    /// Another process or machine.
    External,
}

/// What a run cost the process that measured it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcessCost {
    /// User plus system CPU time of the run, seconds, all threads.
    pub cpu_s: f64,
    /// The system (kernel) part of `cpu_s`, seconds.
    pub cpu_system_s: f64,
    /// The process's peak resident set size, KiB.
    pub peak_rss_kb: u64,
}

impl Percentiles {
    /// The percentiles of a histogram of microseconds, in milliseconds;
    /// all `None` when it is empty (a percentile of nothing is not 0).
    pub fn of(h: &Histogram<u64>) -> Self {
        let at = |q: f64| (!h.is_empty()).then(|| h.value_at_quantile(q) as f64 / 1000.0);
        Percentiles {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            p99_9: at(0.999),
            max: (!h.is_empty()).then(|| h.max() as f64 / 1000.0),
        }
    }
}

/// Latency percentiles in milliseconds; each `None` (JSON `null`) when no
/// request succeeded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Median, ms.
    pub p50: Option<f64>,
    /// 90th percentile, ms.
    pub p90: Option<f64>,
    /// 99th percentile, ms.
    pub p99: Option<f64>,
    /// 99.9th percentile, ms.
    pub p99_9: Option<f64>,
    /// The slowest, ms.
    pub max: Option<f64>,
}

/// One load run as JSON: what `load --output json` prints, one object per
/// run, and what `scripts/compare` and the tests read back.
///
/// Field names are a contract (`scripts/compare`, the tests and users'
/// scripts read them): add fields freely; when a field changes meaning, bump
/// [`LoadReport::SCHEMA`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// The version of this layout ([`LoadReport::SCHEMA`]).
    pub schema: u32,
    /// Runtime name (`tokio`, `smol`, `async-std`, `compio`, `threads`).
    pub runtime: String,
    /// Client name (`reqwest`, `hyper`, `surf`, `ureq`, `cyper`).
    pub client: String,
    /// OS threads polling async tasks (for `threads`: one per request in flight).
    pub threads: usize,
    /// Every task is an OS thread of its own (the `threads` baseline). A
    /// blocked thread cannot be cancelled: at Ctrl-C its request finishes
    /// (within the timeout) and counts by its outcome, not as `cancelled`.
    pub thread_per_task: bool,
    /// Requests in flight at once (`-c`).
    pub concurrency: usize,
    /// Connections per host (`--connections`).
    pub connections: usize,
    /// The HTTP version the successful requests were answered in:
    /// `HTTP/1.1`, `HTTP/2`, `HTTP/1.0`, `mixed` (more than one), or
    /// `none` (no request succeeded).
    pub http_version: String,
    /// The URL is https: every connection began with a TLS handshake.
    pub tls: bool,
    /// HTTP/2 was asked for (`--http2`); `http_version` says what came.
    pub http2: bool,
    /// Connections were kept for the next request; `false` with
    /// `--no-keepalive` (one connection per request).
    pub keepalive: bool,
    /// What held the client to `connections` sockets: `gate` (the load
    /// engine let no more requests into the client than that, HTTP/1),
    /// `pool` (over HTTP/2 requests share connections: the client's pool
    /// caps the sockets and `concurrency` the requests), or `none` (no
    /// more requests in flight than connections).
    pub connections_capped_by: String,
    /// The URL template (`{id}` replaced per request), without any
    /// password; with `--url-file`, the file and how many URLs it held.
    pub url: String,
    /// The method every request sent (`GET`, `POST`, ...).
    #[serde(default)]
    pub method: String,
    /// The names of the headers every request set itself (`-H`, `-T`,
    /// `-a`), lower case; never their values.
    #[serde(default)]
    pub header_names: Vec<String>,
    /// The size of every request's body, bytes (0: none).
    #[serde(default)]
    pub body_bytes: u64,
    /// What each request did with its body.
    pub parse: Parse,
    /// The per-request time limit, seconds.
    pub timeout_s: f64,
    /// The planned length of a `-d` run, seconds; `null` for a `-n` run.
    pub duration_s: Option<f64>,
    /// A `-d` run let the requests in flight at its end finish
    /// (`--wait-ongoing`); `false`: they were cancelled at the end and
    /// count as `cancelled` (for the threads baseline, which cannot cancel
    /// a blocked call, they finished and count by their outcome).
    #[serde(default)]
    pub wait_ongoing: bool,
    /// Redirects each request follows at most (`--max-redirects`).
    pub max_redirects: u32,
    /// Where the server ran.
    pub server: ServerKind,
    /// Requests started; always `ok + sum(errors)`.
    pub requests: u64,
    /// Requests answered 2xx whose body parsed.
    pub ok: u64,
    /// Redirects followed by the requests counted in `ok`: each is one
    /// more exchange on the wire, inside its request's latency.
    pub redirects: u64,
    /// Failed requests by kind (`timeout`, `connect`, `http_500`, ...).
    pub errors: BTreeMap<String, u64>,
    /// Requests sent again on a fresh connection because a reused one was
    /// found closed before any byte of the answer (idempotent methods
    /// only); each request still counts once in `requests`, by its final
    /// outcome.
    #[serde(default)]
    pub retries: u64,
    /// Final answers (after redirects were followed) by status code,
    /// `{"200": 9990, "404": 10}`: ok ones and `http_NNN` and `decode`
    /// errors alike. `sum(statuses)` plus the errors that got no answer
    /// is `requests`.
    #[serde(default)]
    pub statuses: BTreeMap<String, u64>,
    /// The first message of each error kind, with its cause chain.
    pub error_samples: BTreeMap<String, String>,
    /// The run was stopped early (Ctrl-C); the counts are of what ran.
    pub interrupted: bool,
    /// The most requests in flight at once (from a request's claim, the
    /// wait for a connection included, to its recorded outcome).
    pub peak_in_flight: u64,
    /// Seconds from the start until `peak_in_flight` was first reached.
    pub ramp_s: f64,
    /// Connections the client opened during the run (a server that closes
    /// after every answer shows here as one per request); `null` when the
    /// client library has no hook to count them (surf, ureq).
    pub connections_opened: Option<u64>,
    /// The sum of every request's claim-to-outcome time, divided by
    /// `elapsed_s` and by `concurrency`: near 1 when the run really kept
    /// `concurrency` requests in flight. `null` when nothing ran.
    pub littles_law: Option<f64>,
    /// Wall time from the first request to the last outcome, seconds.
    pub elapsed_s: f64,
    /// Every finished request (ok or error; not `cancelled`, which never
    /// finished) per second of `elapsed_s`.
    pub requests_per_sec: f64,
    /// Successful requests per second of `elapsed_s`.
    pub ok_per_sec: f64,
    /// Latency of successful requests, milliseconds: from each request's
    /// start in a closed loop, from when it was due in an open loop
    /// (`rate` set), which includes any wait to be sent.
    pub latency_ms: Percentiles,
    /// Latency of every answered request, whatever its status, counted
    /// as `latency_ms` is.
    #[serde(default)]
    pub answered_ms: Percentiles,
    /// Body bytes received (every answer, redirects included).
    #[serde(default)]
    pub bytes_received: u64,
    /// `bytes_received` per second of `elapsed_s`.
    #[serde(default)]
    pub bytes_received_per_sec: f64,
    /// Open loop: the rate asked for, requests per second (all workers
    /// together); `null` in a closed loop.
    pub rate: Option<f64>,
    /// Open loop: time from each successful request's send to its last
    /// byte, milliseconds, the same percentiles; `null` in a closed loop.
    pub service_ms: Option<Percentiles>,
    /// Open loop: requests sent more than 1 ms after they were
    /// due; `null` in a closed loop.
    pub late_starts: Option<u64>,
    /// Open loop: the latest a request was sent after it was due, ms.
    pub max_start_delay_ms: Option<f64>,
    /// Open loop: the most the schedule lagged, seconds (the latest start,
    /// or, for a `-d` run that ended with due requests unsent, how overdue
    /// the first of them was); `null` in a closed loop.
    pub behind_s: Option<f64>,
    /// Open loop: how the pacer ran, `thread` (an OS thread of its own) or
    /// `task` (a task of the runtime, on a timer the runtime lends);
    /// `null` in a closed loop (or when the pacer could not say: its
    /// thread did not start).
    #[serde(default)]
    pub pacer_runs_as: Option<crate::pace::PacerKind>,
    /// Open loop: the pacer's own CPU time, seconds: a thread's CPU clock
    /// (user + system), or the time inside a task's polls; part of
    /// `cpu_s`. `null` when `pacer_runs_as` is.
    #[serde(default)]
    pub pacer_cpu_s: Option<f64>,
    /// CPU time (user + system) the process used during the run, seconds.
    pub cpu_s: f64,
    /// The system (kernel) part of `cpu_s`, seconds: where a runtime's
    /// I/O driver (epoll or io_uring) shows.
    #[serde(default)]
    pub cpu_system_s: f64,
    /// The process's peak resident set size, KiB.
    pub peak_rss_kb: u64,
    /// A sharded run (thread-per-core): how requests in flight and
    /// connections were split between the shards; `null` otherwise.
    pub shards: Option<ShardSplit>,
    /// The CPUs the process was allowed to run on, read back from its own
    /// affinity when the report was made (`load --cpus` sets it; without
    /// it, what the process inherited); `null` where it cannot be read.
    #[serde(default)]
    pub cpus: Option<crate::CpuList>,
}

impl LoadReport {
    /// The current layout version: 2 since a `-d` run cancels the requests
    /// in flight at its end and `requests_per_sec` leaves cancelled ones out.
    pub const SCHEMA: u32 = 2;

    /// The JSON form of `report`, from a server of `server` kind, with
    /// what the run cost the process.
    pub fn new(report: &Report, server: ServerKind, cost: ProcessCost) -> Self {
        let c = &report.config;
        LoadReport {
            schema: Self::SCHEMA,
            runtime: c.runtime.to_owned(),
            client: c.client.to_owned(),
            threads: c.threads,
            thread_per_task: c.thread_per_task,
            concurrency: c.concurrency,
            connections: c.connections,
            http_version: crate::HttpVersion::describe(report.versions).to_owned(),
            tls: c.tls,
            http2: c.http2,
            keepalive: c.keep_alive,
            connections_capped_by: if c.gated {
                "gate"
            } else if c.http2 {
                "pool"
            } else {
                "none"
            }
            .to_owned(),
            url: c.url.clone(),
            method: c.method.clone(),
            header_names: c.header_names.clone(),
            body_bytes: c.body_bytes,
            parse: c.parse,
            timeout_s: c.timeout.as_secs_f64(),
            duration_s: c.duration.map(|d| d.as_secs_f64()),
            wait_ongoing: c.wait_ongoing,
            max_redirects: c.max_redirects,
            server,
            requests: report.requests,
            ok: report.ok,
            redirects: report.redirects,
            retries: report.retries,
            errors: report
                .errors
                .iter()
                .map(|(k, n)| (k.to_string(), *n))
                .collect(),
            error_samples: report
                .error_samples
                .iter()
                .map(|(k, s)| (k.to_string(), s.clone()))
                .collect(),
            statuses: report
                .statuses
                .iter()
                .map(|(status, n)| (status.to_string(), *n))
                .collect(),
            interrupted: report.interrupted,
            peak_in_flight: report.peak_in_flight,
            ramp_s: report.ramp.as_secs_f64(),
            littles_law: report.littles_law(),
            connections_opened: report.connections_opened,
            elapsed_s: report.elapsed.as_secs_f64(),
            requests_per_sec: report.requests_per_sec(),
            ok_per_sec: report.ok_per_sec(),
            latency_ms: report.percentiles(),
            answered_ms: Percentiles::of(&report.answered),
            bytes_received: report.bytes_received,
            bytes_received_per_sec: report.per_sec(report.bytes_received),
            rate: c.rate,
            service_ms: report.service.as_ref().map(Percentiles::of),
            late_starts: c.rate.map(|_| report.late_starts),
            max_start_delay_ms: c
                .rate
                .map(|_| report.max_start_delay.as_secs_f64() * 1000.0),
            behind_s: report.behind.map(|d| d.as_secs_f64()),
            pacer_runs_as: report.pacer.map(|p| p.runs_as),
            pacer_cpu_s: report.pacer.map(|p| p.cpu.as_secs_f64()),
            cpu_s: cost.cpu_s,
            cpu_system_s: cost.cpu_system_s,
            peak_rss_kb: cost.peak_rss_kb,
            shards: c.shards.clone(),
            cpus: crate::cpus::allowed().ok(),
        }
    }

    /// Failed requests, all kinds together.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Requests cancelled: in flight when a `-d` run ended or at Ctrl-C
    /// ([`Report::cancelled`], read back).
    pub fn cancelled(&self) -> u64 {
        self.errors.get(ErrorKind::CANCELLED).copied().unwrap_or(0)
    }

    /// `ok + errors == requests` and `sum(statuses) + errors without an
    /// answer == requests`: [`Report::is_consistent`], read back.
    pub fn is_consistent(&self) -> bool {
        let unanswered: u64 = self
            .errors
            .iter()
            .filter(|(kind, _)| !ErrorKind::name_has_answer(kind))
            .map(|(_, n)| n)
            .sum();
        self.ok + self.error_count() == self.requests
            && self.statuses.values().sum::<u64>() + unanswered == self.requests
    }

    /// Whether an open loop fell behind its schedule by more than a
    /// second, or by more than a tenth of the run's length: fewer requests
    /// went out than asked, and the report must say so.
    pub fn fell_behind(&self) -> bool {
        fell_behind(self.behind_s, self.elapsed_s)
    }

    /// How the open loop's pacer ran and its CPU as a share of one core
    /// (see [`pacer_share`]); `None` in a closed loop.
    pub fn pacer_share(&self) -> Option<(crate::pace::PacerKind, f64)> {
        pacer_share(self.pacer_runs_as, self.pacer_cpu_s, self.elapsed_s)
    }

    /// The report as one line of JSON.
    pub fn to_json(&self) -> String {
        // Plain structs, numbers and maps with string keys: serializing
        // cannot fail (non-finite floats become null).
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// Reads a report printed by [`LoadReport::to_json`].
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text.trim())
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
impl RunConfig {
    /// A configuration for tests: one thread, one connection, one in
    /// flight, a 1 s timeout, bodies only read.
    pub(crate) fn sample() -> Self {
        RunConfig {
            runtime: "test",
            threads: 1,
            thread_per_task: false,
            client: "test",
            connections: 1,
            concurrency: 1,
            url: "http://x/".into(),
            method: "GET".into(),
            header_names: Vec::new(),
            body_bytes: 0,
            parse: Parse::None,
            timeout: Duration::from_secs(1),
            max_redirects: 10,
            tls: false,
            http2: false,
            keep_alive: true,
            gated: false,
            rate: None,
            duration: None,
            wait_ongoing: false,
            shards: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(ok: u64, errors: &[(ErrorKind, u64)], requests: u64) -> Report {
        // Every ok request and every answered error got an answer.
        let mut statuses = BTreeMap::new();
        for (kind, n) in errors {
            if let ErrorKind::Status(code) = kind {
                *statuses.entry(*code).or_default() += n;
            }
        }
        if ok > 0 {
            statuses.insert(200, ok);
        }
        Report {
            config: RunConfig::sample(),
            requests,
            ok,
            errors: errors.iter().copied().collect(),
            error_samples: BTreeMap::new(),
            elapsed: Duration::from_secs(2),
            latency: latency_histogram(),
            service: None,
            answered: latency_histogram(),
            statuses,
            bytes_received: 0,
            interrupted: false,
            peak_in_flight: 1,
            ramp: Duration::ZERO,
            busy: Duration::from_secs(1),
            redirects: 0,
            retries: 0,
            versions: 0,
            late_starts: 0,
            max_start_delay: Duration::ZERO,
            behind: None,
            connections_opened: None,
            pacer: None,
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
        // An answer not counted by its status breaks the second identity.
        let mut lost = r.clone();
        lost.statuses.insert(200, 6);
        assert!(!lost.is_consistent());
        let json = LoadReport::new(&r, ServerKind::External, ProcessCost::default());
        assert!(json.is_consistent());
        assert_eq!(json.statuses["500"], 1);
    }

    #[test]
    fn rate_and_percentiles() {
        let mut r = report(10, &[], 10);
        for us in 1..=100u64 {
            r.latency.record(us * 1000).unwrap();
        }
        assert_eq!(r.requests_per_sec(), 5.0);
        let p = r.percentiles();
        let p50 = p.p50.unwrap();
        assert!((p50 - 50.0).abs() < 0.1, "{p50}");
        assert!((p.max.unwrap() - 100.0).abs() < 0.1);
        // A value past the nominal top still records (auto-resize).
        r.latency.record(7_200_000_000).unwrap();
    }

    #[test]
    fn no_successes_means_no_percentiles_and_no_ok_rate() {
        let r = report(0, &[(ErrorKind::Timeout, 10)], 10);
        assert_eq!(r.percentiles(), Percentiles::default());
        assert_eq!(r.ok_per_sec(), 0.0);
        assert_eq!(r.requests_per_sec(), 5.0);
        let json = LoadReport::new(&r, ServerKind::External, ProcessCost::default()).to_json();
        assert!(json.contains(r#""p50":null"#), "{json}");
        assert!(json.contains(r#""schema":2"#), "{json}");
    }

    #[test]
    fn the_json_form_reads_back_as_itself() {
        let mut r = report(
            7,
            &[(ErrorKind::Timeout, 2), (ErrorKind::Status(500), 1)],
            10,
        );
        r.latency.record(1500).unwrap();
        r.config.duration = Some(Duration::from_millis(2500));
        let cost = ProcessCost {
            cpu_s: 0.25,
            cpu_system_s: 0.125,
            peak_rss_kb: 1234,
        };
        let out = LoadReport::new(&r, ServerKind::Embedded, cost);
        let back = LoadReport::from_json(&out.to_json()).unwrap();
        assert_eq!(back, out);
        assert_eq!(back.errors["http_500"], 1);
        assert_eq!(back.duration_s, Some(2.5));
        assert_eq!(back.ok_per_sec, 3.5);
        assert!(back.is_consistent());
        assert!((back.latency_ms.p50.unwrap() - 1.5).abs() < 0.01);
    }

    #[test]
    fn a_pacers_share_is_its_cpu_over_the_run() {
        use crate::pace::PacerKind::{Task, Thread};
        assert_eq!(pacer_share(Some(Task), Some(0.2), 4.0), Some((Task, 0.05)));
        assert_eq!(
            pacer_share(Some(Thread), Some(0.0), 2.0),
            Some((Thread, 0.0))
        );
        // A closed loop, a pacer that could not say, a run of no length.
        assert_eq!(pacer_share(None, None, 4.0), None);
        assert_eq!(pacer_share(Some(Thread), None, 4.0), None);
        assert_eq!(pacer_share(Some(Task), Some(0.2), 0.0), None);
    }
}
