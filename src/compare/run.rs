//! One run's record, what made it ([`Tool`]), and the median of a run's
//! repetitions.
//!
//! # Layout
//!
//! - [`Scenario`], with the plan constants the scenarios share.
//! - [`ReferenceTool`], [`Tool`]: a reference load generator, or a combination of the registry.
//! - [`Run`], [`Status`]: one run's record and whether it produced numbers.
//! - [`medians`]: one run per tool and shape, from the rounds.

use std::collections::BTreeMap;
use std::fmt;

use fetch_core::{ErrorKind, LoadReport, ProcessCost};
use serde::{Deserialize, Serialize};

use super::parse::ToolResult;
use crate::combos::{Client, Combo, Model, Runtime};

/// The HTTP/2 scenario's connections: its requests in flight are streams
/// spread over this many (1,000 in flight: 100 streams on each).
pub const H2_CONNECTIONS: usize = 10;

/// The sweep's rates are shares of the fastest closed-loop rate with this
/// many in flight, and every sweep run may have this many in flight at most.
pub const SWEEP_IN_FLIGHT: usize = 100;

/// Requests in flight in every `scaling` run (the thread-count sweep).
pub const SCALING_IN_FLIGHT: usize = 1_000;

/// The body every request of the `upload` scenario sends: 4 KiB of JSON.
pub const UPLOAD_BYTES: usize = 4096;
/// Requests in flight in the `upload` scenario.
pub const UPLOAD_IN_FLIGHT: usize = 1_000;
/// The body every answer of the `download` scenario carries: 256 KiB.
pub const DOWNLOAD_BYTES: usize = 256 * 1024;
/// Requests in flight in the `download` scenario.
pub const DOWNLOAD_IN_FLIGHT: usize = 100;

/// Bytes in a MiB.
const MIB: f64 = 1024.0 * 1024.0;

/// A JSON document of exactly `size` bytes (at least 16): what the
/// `upload` scenario sends, the same file for oha and every combination.
///
/// ```
/// let body = async_fetch::compare::run::json_body(4096);
/// assert_eq!(body.len(), 4096);
/// assert!(serde_json::from_slice::<serde_json::Value>(&body).is_ok());
/// ```
pub fn json_body(size: usize) -> Vec<u8> {
    let open = br#"{"items":["#;
    let close = br#""]}"#;
    let mut body = Vec::with_capacity(size);
    body.extend_from_slice(open);
    body.push(b'"');
    let filler = size.saturating_sub(body.len() + close.len());
    body.extend((0..filler).map(|i| b'a' + (i % 26) as u8));
    body.extend_from_slice(close);
    body
}

/// A load generator the combinations are measured beside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceTool {
    /// wrk: HTTP/1.1, kept connections, the closed-loop reference.
    Wrk,
    /// oha: HTTP/1.1 and HTTP/2, TLS, an open loop (`-q`).
    Oha,
    /// h2load (nghttp2): the HTTP/2 reference.
    H2load,
    /// The bare loop on tokio + hyper (`fetch-bare`): what tokio and hyper
    /// cost with no engine around them, the reference of `tokio+hyper`.
    BareTokioHyper,
    /// The bare loop on smol + hyper, the reference of `smol+hyper`.
    BareSmolHyper,
    /// The bare loop on compio + hyper, the reference of `compio+hyper`.
    BareCompioHyper,
}

impl ReferenceTool {
    /// Every reference tool.
    pub const ALL: [ReferenceTool; 6] = [
        ReferenceTool::Wrk,
        ReferenceTool::Oha,
        ReferenceTool::H2load,
        ReferenceTool::BareTokioHyper,
        ReferenceTool::BareSmolHyper,
        ReferenceTool::BareCompioHyper,
    ];

    /// The bare loops, one per runtime the project's hyper pool runs on.
    pub const BARE: [ReferenceTool; 3] = [
        ReferenceTool::BareTokioHyper,
        ReferenceTool::BareSmolHyper,
        ReferenceTool::BareCompioHyper,
    ];

    /// Its program's name, as rows and results.json name it.
    pub const fn name(self) -> &'static str {
        match self {
            ReferenceTool::Wrk => "wrk",
            ReferenceTool::Oha => "oha",
            ReferenceTool::H2load => "h2load",
            ReferenceTool::BareTokioHyper => "bare-tokio-hyper",
            ReferenceTool::BareSmolHyper => "bare-smol-hyper",
            ReferenceTool::BareCompioHyper => "bare-compio-hyper",
        }
    }

    /// For a bare loop, the runtime and client of the combination it is
    /// the bare version of (the engine's rows are divided by it); `None`
    /// for wrk, oha and h2load.
    pub const fn bare_of(self) -> Option<(Runtime, Client)> {
        match self {
            ReferenceTool::Wrk | ReferenceTool::Oha | ReferenceTool::H2load => None,
            ReferenceTool::BareTokioHyper => Some((Runtime::Tokio, Client::Hyper)),
            ReferenceTool::BareSmolHyper => Some((Runtime::Smol, Client::Hyper)),
            ReferenceTool::BareCompioHyper => Some((Runtime::Compio, Client::Hyper)),
        }
    }
}

/// What made a run: a reference load generator, or a combination of the
/// registry. In results.json it is one string (`"wrk"`, `"tokio+hyper"`),
/// read back into this type, never split by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Tool {
    /// wrk, oha or h2load.
    Reference(ReferenceTool),
    /// A runtime + client pair.
    Combination(Combo),
}

impl Tool {
    /// wrk.
    pub const WRK: Tool = Tool::Reference(ReferenceTool::Wrk);
    /// oha.
    pub const OHA: Tool = Tool::Reference(ReferenceTool::Oha);
    /// h2load.
    pub const H2LOAD: Tool = Tool::Reference(ReferenceTool::H2load);

    /// Whether it is a reference tool rather than a combination.
    pub fn is_reference(&self) -> bool {
        match self {
            Tool::Reference(_) => true,
            Tool::Combination(_) => false,
        }
    }

    /// The combination, for one.
    pub fn combo(&self) -> Option<Combo> {
        match self {
            Tool::Reference(_) => None,
            Tool::Combination(combo) => Some(*combo),
        }
    }

    /// Whether it is a combination on `runtime`'s model (the threads
    /// baseline: [`Model::ThreadPerTask`]).
    pub fn has_model(&self, model: Model) -> bool {
        self.combo().is_some_and(|c| c.runtime.model() == model)
    }

    /// The tool `name` names: a reference tool's program, or
    /// `runtime+client` by the registry's names (a pair the registry does
    /// not list is still a combination, one its binary will refuse).
    pub fn parse(name: &str) -> Option<Tool> {
        if let Some(tool) = ReferenceTool::ALL.into_iter().find(|t| t.name() == name) {
            return Some(Tool::Reference(tool));
        }
        let (runtime, client) = name.split_once('+')?;
        let (runtime, client) = (Runtime::from_name(runtime)?, Client::from_name(client)?);
        Some(Tool::Combination(
            Combo::find(&Combo::new(runtime, client).id()).unwrap_or(Combo::new(runtime, client)),
        ))
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tool::Reference(tool) => f.write_str(tool.name()),
            Tool::Combination(combo) => write!(f, "{combo}"),
        }
    }
}

impl From<Tool> for String {
    fn from(tool: Tool) -> String {
        tool.to_string()
    }
}

impl TryFrom<String> for Tool {
    type Error = String;

    fn try_from(name: String) -> Result<Tool, String> {
        Tool::parse(&name).ok_or_else(|| format!("{name:?} is no reference tool or combination"))
    }
}

/// What a run measures.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// Requests per second on `GET /users/{id}`.
    #[default]
    Throughput,
    /// Peak memory with every request in flight at once on `/delay/1000`.
    Memory,
    /// An open loop at a fixed rate (`load --rate`, oha `-q`): latency from
    /// each request's due time, against the rate offered.
    Rate,
    /// Throughput over HTTPS, HTTP/1.1, connections kept.
    Https,
    /// Throughput over HTTPS with a new connection (and TLS handshake) per
    /// request (`load --no-keepalive`, oha `--disable-keepalive`).
    HttpsNewConnection,
    /// Throughput over HTTP/2 on TLS: many streams on a few connections
    /// (`load --http2`, oha `--http2 -p`, h2load `-m`).
    H2,
    /// [`UPLOAD_BYTES`] of JSON `POST`ed to `/echo`, whose answer is
    /// small: what writing a request body costs (`load -m POST
    /// --body-file`, oha `-m POST -D`).
    Upload,
    /// `GET /bytes/`[`DOWNLOAD_BYTES`], read and dropped: what reading a
    /// large body costs.
    Download,
    /// The closed loop at [`SCALING_IN_FLIGHT`] in flight at each thread
    /// count of `--sweep-threads` (the run's `threads`): how each runtime
    /// scales with cores.
    Scaling,
}

impl Scenario {
    /// The TLS scenarios, in the order the page shows them.
    pub const TLS: [Scenario; 3] = [Scenario::Https, Scenario::HttpsNewConnection, Scenario::H2];

    /// The other shapes of work, in the order the page shows them.
    pub const SHAPES: [Scenario; 2] = [Scenario::Upload, Scenario::Download];

    /// Its name in results.json.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Throughput => "throughput",
            Scenario::Memory => "memory",
            Scenario::Rate => "rate",
            Scenario::Https => "https",
            Scenario::HttpsNewConnection => "https_new_connection",
            Scenario::H2 => "h2",
            Scenario::Upload => "upload",
            Scenario::Download => "download",
            Scenario::Scaling => "scaling",
        }
    }

    /// What `--scenarios` may name, in the order a round runs them: the
    /// scenarios' names, and `queued` for the throughput runs with more
    /// requests in flight than connections (which carry `throughput`).
    pub const SELECTABLE: [&'static str; 10] = [
        "throughput",
        "queued",
        "memory",
        "rate",
        "https",
        "https_new_connection",
        "h2",
        "upload",
        "download",
        "scaling",
    ];
}

/// Whether a run produced numbers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It ran and reported.
    #[default]
    Measured,
    /// It crashed, exited without a report, or could not start: why.
    Failed(String),
    /// The combination cannot run this scenario at all: why.
    NotSupported(String),
}

/// A run is flagged when fewer than this share of the requests in flight
/// asked for were ever in flight at once.
pub const PEAK_SHARE: f64 = 0.95;
/// A closed-loop run is flagged when Little's law (mean requests in flight
/// over those asked for) is off by more than this.
pub const LITTLE_TOLERANCE: f64 = 0.2;
/// A run whose client opened more than this share over its connections
/// (`--connections`, the pool every tool is given) is flagged: it did not
/// run on the pool its row says. Connections a client opens again after
/// the server closed one count too; the fixture server closes none.
pub const POOL_TOLERANCE: f64 = 0.05;

/// One load run of one tool at one concurrency.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Run {
    /// `wrk`, `oha`, or a combination such as `tokio+hyper`.
    pub tool: Tool,
    /// Whether this is a reference load generator (`tool` says so too;
    /// kept in results.json for its readers).
    pub reference: bool,
    /// What the run measures.
    #[serde(default)]
    pub scenario: Scenario,
    /// Requests in flight.
    pub concurrency: usize,
    /// Connections (below `concurrency`, the other requests queue).
    pub connections: usize,
    /// Requests sent.
    pub requests: u64,
    /// Requests answered 2xx (and decoded, for combinations).
    pub ok: u64,
    /// Failed requests by kind.
    pub errors: BTreeMap<String, u64>,
    /// Requests in flight when the run's time was up, cut off there (the
    /// engine's `cancelled`, oha's "aborted due to deadline"; wrk does not
    /// count them): neither ok nor errors, and not in `requests_per_sec`.
    #[serde(default)]
    pub cancelled: u64,
    /// Wall time of the load, in seconds.
    pub elapsed_s: f64,
    /// Requests per second.
    pub requests_per_sec: f64,
    /// Median latency of successful requests, ms; `None` when none succeeded.
    pub p50_ms: Option<f64>,
    /// 99th percentile latency of successful requests, ms; `None` when none succeeded.
    pub p99_ms: Option<f64>,
    /// The client process's CPU time, user + system, seconds (from GNU time).
    pub cpu_s: f64,
    /// The system (kernel) part of `cpu_s`, seconds.
    #[serde(default)]
    pub cpu_system_s: f64,
    /// The client process's peak RSS, KiB (from GNU time).
    pub peak_rss_kb: u64,
    /// CPU seconds the server process used during the run; `None` when
    /// it cannot be read (a server started apart: `--server`).
    #[serde(default)]
    pub server_cpu_s: Option<f64>,
    /// The command line that was run.
    pub command: String,
    /// Settings the result depends on: a combination's whole
    /// [`LoadReport`]; a reference tool's threads and connections.
    pub config: serde_json::Value,
    /// Requests/sec of every repetition this run is the median of.
    #[serde(default)]
    pub samples: Vec<f64>,
    /// Every repetition this run is the median of, in the order they ran:
    /// the spread of each figure, not only of requests/sec.
    #[serde(default)]
    pub rounds: Vec<Round>,
    /// Whether it produced numbers.
    #[serde(default)]
    pub status: Status,
    /// The most requests in flight at once, as the combination measured
    /// it; `None` for the reference tools, which do not say.
    #[serde(default)]
    pub peak_in_flight: Option<u64>,
    /// The report's Little's-law ratio (see `fetch_core::LoadReport`).
    #[serde(default)]
    pub littles_law: Option<f64>,
    /// A rate run's offered rate, requests per second.
    #[serde(default)]
    pub rate: Option<f64>,
    /// A rate run's offered rate as a share of the round's saturation
    /// rate (wrk's requests/sec at the same in flight): 0.5 is 50%.
    #[serde(default)]
    pub fraction: Option<f64>,
    /// A rate run's 99th percentile of service time (from the send), ms;
    /// `p99_ms` is then from each request's due time.
    #[serde(default)]
    pub service_p99_ms: Option<f64>,
    /// A rate run's latest start after a request was due, ms.
    #[serde(default)]
    pub max_start_delay_ms: Option<f64>,
    /// A rate run's lag behind its schedule, seconds (see `LoadReport`).
    #[serde(default)]
    pub behind_s: Option<f64>,
    /// The HTTP version a combination's answers came in (`LoadReport`'s
    /// `http_version`); `None` for the reference tools.
    #[serde(default)]
    pub http_version: Option<String>,
    /// Connections a combination's client opened; `None` when it cannot
    /// count them, and for the reference tools.
    #[serde(default)]
    pub connections_opened: Option<u64>,
    /// Body bytes received (a combination's `bytes_received`, oha's
    /// `totalData`); `None` where the tool does not say.
    #[serde(default)]
    pub bytes_received: Option<u64>,
    /// The CPUs the client process was allowed: a combination's own
    /// report (read from its affinity), or for another tool what
    /// `/proc/PID/status` said of the process compare started, while it
    /// ran; `None` where neither could be read.
    #[serde(default)]
    pub cpus: Option<fetch_core::CpuList>,
    /// A `scaling` run's thread count (the client's `--threads`, wrk's and
    /// h2load's `-t`, oha's `--worker-threads`); `None` in other scenarios.
    #[serde(default)]
    pub threads: Option<usize>,
}

/// `errors` without the requests cut off at the run's end (`cancelled`),
/// which compare counts apart.
fn without_cancelled(errors: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    errors
        .iter()
        .filter(|(kind, _)| kind.as_str() != ErrorKind::CANCELLED)
        .map(|(kind, n)| (kind.clone(), *n))
        .collect()
}

impl Run {
    /// A run of `combo`, from the report its binary printed.
    pub fn combination(
        combo: Combo,
        report: LoadReport,
        scenario: Scenario,
        command: String,
        cost: ProcessCost,
    ) -> Run {
        Run {
            tool: Tool::Combination(combo),
            reference: false,
            scenario,
            concurrency: report.concurrency,
            connections: report.connections,
            requests: report.requests,
            ok: report.ok,
            cancelled: report.cancelled(),
            errors: without_cancelled(&report.errors),
            elapsed_s: report.elapsed_s,
            requests_per_sec: report.requests_per_sec,
            p50_ms: report.latency_ms.p50,
            p99_ms: report.latency_ms.p99,
            cpu_s: cost.cpu_s,
            cpu_system_s: cost.cpu_system_s,
            peak_rss_kb: cost.peak_rss_kb,
            server_cpu_s: None,
            command,
            peak_in_flight: Some(report.peak_in_flight),
            littles_law: report.littles_law,
            rate: report.rate,
            fraction: None,
            service_p99_ms: report.service_ms.and_then(|s| s.p99),
            max_start_delay_ms: report.max_start_delay_ms,
            behind_s: report.behind_s,
            http_version: Some(report.http_version.clone()),
            connections_opened: report.connections_opened,
            bytes_received: Some(report.bytes_received),
            cpus: report.cpus.clone(),
            threads: None,
            config: serde_json::to_value(&report).unwrap_or_default(),
            samples: Vec::new(),
            rounds: Vec::new(),
            status: Status::Measured,
        }
    }

    /// A run that produced no numbers: `tool` crashed, printed no report,
    /// or could not be started, at `concurrency` in flight.
    pub fn failed(tool: Tool, concurrency: usize, reason: String) -> Run {
        Run {
            status: Status::Failed(reason),
            ..Run::empty(tool, concurrency)
        }
    }

    /// A scenario `tool` cannot run at all.
    pub fn not_supported(tool: Tool, concurrency: usize, reason: String) -> Run {
        Run {
            status: Status::NotSupported(reason),
            ..Run::empty(tool, concurrency)
        }
    }

    fn empty(tool: Tool, concurrency: usize) -> Run {
        Run {
            tool,
            reference: tool.is_reference(),
            scenario: Scenario::Throughput,
            concurrency,
            connections: concurrency,
            requests: 0,
            ok: 0,
            errors: BTreeMap::new(),
            cancelled: 0,
            elapsed_s: 0.0,
            requests_per_sec: 0.0,
            p50_ms: None,
            p99_ms: None,
            cpu_s: 0.0,
            cpu_system_s: 0.0,
            peak_rss_kb: 0,
            server_cpu_s: None,
            command: String::new(),
            config: serde_json::Value::Null,
            samples: Vec::new(),
            rounds: Vec::new(),
            status: Status::Measured,
            peak_in_flight: None,
            littles_law: None,
            rate: None,
            fraction: None,
            service_p99_ms: None,
            max_start_delay_ms: None,
            behind_s: None,
            http_version: None,
            connections_opened: None,
            bytes_received: None,
            cpus: None,
            threads: None,
        }
    }

    /// What makes this run fail the comparison, if anything: it produced
    /// no numbers, it lost requests (`ok + errors != requests`), or not one
    /// request succeeded. Failed requests alone are measurements.
    pub fn problem(&self) -> Option<String> {
        match &self.status {
            Status::Failed(reason) => return Some(format!("no report: {reason}")),
            Status::NotSupported(_) => return None,
            Status::Measured => {}
        }
        if self.ok + self.error_count() + self.cancelled != self.requests {
            return Some(format!(
                "lost requests: ok {} + errors {} + cancelled at the end {} != requests {}",
                self.ok,
                self.error_count(),
                self.cancelled,
                self.requests
            ));
        }
        if self.ok == 0 {
            return Some("no request succeeded".to_owned());
        }
        None
    }

    /// What the tool's own measurements say against its claim: fewer
    /// requests in flight than asked for, (in a closed-loop throughput
    /// run) Little's law off by more than [`LITTLE_TOLERANCE`], or more
    /// connections opened than its pool by more than [`POOL_TOLERANCE`]
    /// (where the client counts them and its connections are kept). Empty
    /// when the run measured what it says, or cannot tell (reference
    /// tools).
    pub fn checks(&self) -> Vec<String> {
        let mut flags = Vec::new();
        // An open loop keeps only as many in flight as its rate needs: its
        // `-c` is a cap, not a target. What it claims is its rate.
        if self.scenario == Scenario::Rate {
            if let Some(behind) = self.behind_s
                && fetch_core::report::fell_behind(self.behind_s, self.elapsed_s)
            {
                flags.push(format!("fell {behind:.2} s behind its schedule"));
            }
            return flags;
        }
        if let Some(peak) = self.peak_in_flight
            && (peak as f64) < PEAK_SHARE * self.concurrency as f64
        {
            flags.push(format!(
                "at most {peak} in flight ({:.0}%)",
                100.0 * peak as f64 / self.concurrency.max(1) as f64
            ));
        }
        if self.scenario == Scenario::Throughput
            && let Some(ratio) = self.littles_law
            && (ratio - 1.0).abs() > LITTLE_TOLERANCE
        {
            flags.push(format!("Little's law {ratio:.2}"));
        }
        if self.scenario != Scenario::HttpsNewConnection
            && let Some(opened) = self.connections_opened
            && opened as f64 > (1.0 + POOL_TOLERANCE) * self.connections as f64
        {
            flags.push(format!(
                "opened {opened} connections for {} ({:.2}x)",
                self.connections,
                opened as f64 / self.connections.max(1) as f64
            ));
        }
        flags
    }

    /// A reference tool's run (wrk, oha) at `concurrency`, one connection
    /// per request in flight, from what its parser read.
    pub fn reference(
        tool: ReferenceTool,
        concurrency: usize,
        result: ToolResult,
        command: String,
        config: serde_json::Value,
        cost: ProcessCost,
    ) -> Run {
        let errors: u64 = result.errors.values().sum();
        // What a reference tool does not measure stays as `empty` has it.
        Run {
            reference: true,
            requests: result.requests,
            ok: result
                .requests
                .saturating_sub(errors)
                .saturating_sub(result.cancelled),
            errors: result.errors,
            cancelled: result.cancelled,
            elapsed_s: result.elapsed_s,
            requests_per_sec: result.requests_per_sec,
            p50_ms: result.p50_ms,
            p99_ms: result.p99_ms,
            cpu_s: cost.cpu_s,
            cpu_system_s: cost.cpu_system_s,
            peak_rss_kb: cost.peak_rss_kb,
            bytes_received: result.bytes_received,
            command,
            config,
            ..Run::empty(Tool::Reference(tool), concurrency)
        }
    }

    /// A plain throughput run: every request in flight on a connection of
    /// its own.
    pub(crate) fn is_plain(&self) -> bool {
        self.status == Status::Measured
            && self.scenario == Scenario::Throughput
            && self.connections == self.concurrency
    }

    /// A rate run's achieved requests/sec over its offered rate.
    pub fn achieved_share(&self) -> Option<f64> {
        self.rate
            .filter(|rate| *rate > 0.0)
            .map(|rate| self.requests_per_sec / rate)
    }

    /// Body bytes received per second, MiB; `None` where the tool does
    /// not count them.
    pub fn mib_per_sec(&self) -> Option<f64> {
        let bytes = self.bytes_received?;
        (self.elapsed_s > 0.0).then(|| bytes as f64 / MIB / self.elapsed_s)
    }

    /// Client CPU seconds per MiB of body received.
    pub fn cpu_per_mib(&self) -> Option<f64> {
        let bytes = self.bytes_received.filter(|b| *b > 0)?;
        Some(self.cpu_s / (bytes as f64 / MIB))
    }

    /// Peak RSS divided by the requests in flight, KiB.
    pub fn kib_per_request(&self) -> f64 {
        self.peak_rss_kb as f64 / self.concurrency.max(1) as f64
    }

    /// "0", or each error kind with its count.
    pub(crate) fn errors_text(&self) -> String {
        if self.errors.is_empty() {
            return "0".to_owned();
        }
        self.errors
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Failed requests, all kinds.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// New connections per second: a `--no-keepalive` run's handshakes
    /// per second, when the client counts its connections.
    pub fn connections_per_sec(&self) -> Option<f64> {
        self.connections_opened
            .filter(|_| self.elapsed_s > 0.0)
            .map(|n| n as f64 / self.elapsed_s)
    }

    /// Client CPU seconds per 10,000 requests.
    pub fn cpu_per_10k(&self) -> f64 {
        self.per_10k(self.cpu_s)
    }

    /// An open-loop combination's pacer, from its report: how it ran
    /// (`thread` or `task`) and its CPU as a share of one core over the
    /// run; `None` for the reference tools, a closed loop, or a report
    /// from before the pacer said.
    pub fn pacer_share(&self) -> Option<(fetch_core::pace::PacerKind, f64)> {
        let runs_as = serde_json::from_value(self.config.get("pacer_runs_as")?.clone()).ok();
        let cpu_s = self
            .config
            .get("pacer_cpu_s")
            .and_then(serde_json::Value::as_f64);
        fetch_core::report::pacer_share(runs_as, cpu_s, self.elapsed_s)
    }

    /// Server CPU seconds per 10,000 requests; `None` when the server's
    /// CPU time could not be read.
    pub fn server_cpu_per_10k(&self) -> Option<f64> {
        self.server_cpu_s.map(|s| self.per_10k(s))
    }

    pub(crate) fn per_10k(&self, seconds: f64) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            seconds * 10_000.0 / self.requests as f64
        }
    }
}

/// The median of some values with their range: how a figure measured in
/// several rounds is told.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The middle value (the mean of the two middle ones for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// How many values.
    pub n: usize,
}

impl Spread {
    /// The spread of `values`; `None` when there are none (or a NaN).
    ///
    /// ```
    /// let s = async_fetch::compare::run::Spread::of(&[3.0, 1.0, 2.0]).unwrap();
    /// assert_eq!((s.median, s.min, s.max, s.n), (2.0, 1.0, 3.0, 3));
    /// ```
    pub fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() || values.iter().any(|v| v.is_nan()) {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Spread {
            median,
            min: sorted[0],
            max: sorted[n - 1],
            n,
        })
    }

    /// The ratio of `top` to `bottom` round by round (the rounds' requests/sec
    /// of two tools, in the same order), told as a spread. A run kept
    /// without its rounds counts as one round.
    pub fn of_ratios(top: &Run, bottom: &Run) -> Option<Spread> {
        let rounds = |r: &Run| {
            if r.samples.is_empty() {
                vec![r.requests_per_sec]
            } else {
                r.samples.clone()
            }
        };
        let ratios: Vec<f64> = rounds(top)
            .into_iter()
            .zip(rounds(bottom))
            .filter(|(_, b)| *b > 0.0)
            .map(|(t, b)| t / b)
            .collect();
        Spread::of(&ratios)
    }
}

/// One round of a run: the figures a table shows, kept for every round so
/// each median can be shown with its range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Round {
    /// Requests sent.
    pub requests: u64,
    /// Requests per second.
    pub requests_per_sec: f64,
    /// Median latency, ms (from the due time in a rate run).
    pub p50_ms: Option<f64>,
    /// 99th percentile latency, ms.
    pub p99_ms: Option<f64>,
    /// The client process's CPU time, seconds.
    pub cpu_s: f64,
    /// The client process's peak RSS, KiB.
    pub peak_rss_kb: u64,
}

impl Round {
    /// Client CPU seconds per 10,000 requests; `None` without requests.
    pub fn cpu_per_10k(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.cpu_s / self.requests as f64 * 10_000.0)
    }

    /// The figures of `run`.
    pub fn of(run: &Run) -> Self {
        Round {
            requests: run.requests,
            requests_per_sec: run.requests_per_sec,
            p50_ms: run.p50_ms,
            p99_ms: run.p99_ms,
            cpu_s: run.cpu_s,
            peak_rss_kb: run.peak_rss_kb,
        }
    }
}

/// One run per tool, scenario, requests in flight and connections: the
/// median of its repetitions (by requests/sec; by peak memory for memory
/// runs), with every repetition's requests/sec in `samples` and its
/// figures in `rounds`. Keeps the order in which each first appeared.
pub fn medians(runs: Vec<Run>) -> Vec<Run> {
    let mut groups: Vec<Vec<Run>> = Vec::new();
    for run in runs {
        let same = |g: &&mut Vec<Run>| {
            let first = &g[0];
            first.tool == run.tool
                && first.scenario == run.scenario
                && first.concurrency == run.concurrency
                && first.connections == run.connections
                && first.fraction == run.fraction
                && first.threads == run.threads
        };
        match groups.iter_mut().find(same) {
            Some(group) => group.push(run),
            None => groups.push(vec![run]),
        }
    }
    groups
        .into_iter()
        .filter_map(|mut group| {
            // A round without numbers is reported as such, not hidden
            // behind the others' median.
            if let Some(i) = group.iter().position(|r| r.status != Status::Measured) {
                return Some(group.swap_remove(i));
            }
            let samples: Vec<f64> = group.iter().map(|r| r.requests_per_sec).collect();
            let rounds: Vec<Round> = group.iter().map(Round::of).collect();
            match group[0].scenario {
                Scenario::Throughput
                | Scenario::Https
                | Scenario::HttpsNewConnection
                | Scenario::H2
                | Scenario::Upload
                | Scenario::Download
                | Scenario::Scaling => {
                    group.sort_by(|a, b| a.requests_per_sec.total_cmp(&b.requests_per_sec));
                }
                // The median latency: what the curve is drawn from.
                Scenario::Rate => group.sort_by(|a, b| {
                    let p99 = |r: &Run| r.p99_ms.unwrap_or(f64::INFINITY);
                    p99(a).total_cmp(&p99(b))
                }),
                Scenario::Memory => group.sort_by_key(|r| r.peak_rss_kb),
            }
            let middle = group.len() / 2;
            let mut median = group.into_iter().nth(middle)?;
            median.samples = samples;
            median.rounds = rounds;
            Some(median)
        })
        .collect()
}

#[cfg(test)]
impl Run {
    /// A plain throughput run for tests: 1,000 requests, all ok.
    pub(crate) fn sample(tool: &str, c: usize, rps: f64) -> Run {
        Run {
            requests: 1000,
            ok: 1000,
            elapsed_s: 1.0,
            requests_per_sec: rps,
            p50_ms: Some(1.0),
            p99_ms: Some(2.0),
            cpu_s: 0.5,
            cpu_system_s: 0.25,
            peak_rss_kb: 2048,
            server_cpu_s: Some(0.25),
            ..Run::empty(Tool::parse(tool).expect("a tool's name"), c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str) -> Tool {
        Tool::parse(name).unwrap()
    }

    #[test]
    fn a_tool_is_read_back_from_its_name() {
        for name in [
            "wrk",
            "oha",
            "h2load",
            "bare-tokio-hyper",
            "bare-compio-hyper",
            "tokio+hyper",
            "smol+surf",
            "tokio+ureq",
        ] {
            assert_eq!(tool(name).to_string(), name);
        }
        assert_eq!(
            Tool::parse("smol+surf")
                .and_then(|t| t.combo())
                .and_then(|c| c.feature),
            Some("surf")
        );
        assert!(tool("oha").is_reference() && !tool("compio+cyper").is_reference());
        assert_eq!(Tool::parse("bare"), None);
        assert_eq!(Tool::parse("tokio+curl"), None);
        let json = serde_json::to_string(&tool("compio+hyper")).unwrap();
        assert_eq!(json, "\"compio+hyper\"");
        assert_eq!(
            serde_json::from_str::<Tool>(&json).unwrap(),
            tool("compio+hyper")
        );
    }

    fn run(tool: &str, c: usize, rps: f64) -> Run {
        Run::sample(tool, c, rps)
    }

    #[test]
    fn problems_are_lost_requests_no_success_or_no_report_never_errors_alone() {
        let mut with_errors = run("tokio+hyper", 100, 10.0);
        with_errors.ok = 900;
        with_errors.errors.insert("timeout".into(), 100);
        assert_eq!(with_errors.problem(), None);
        let mut lost = with_errors.clone();
        lost.requests = 1001;
        assert!(lost.problem().unwrap().contains("lost requests"));
        let mut none_ok = with_errors.clone();
        none_ok.ok = 0;
        none_ok.errors.insert("timeout".into(), 1000);
        assert_eq!(none_ok.problem().as_deref(), Some("no request succeeded"));
        let crashed = Run::failed(tool("smol+surf"), 100, "exit 101".into());
        assert!(crashed.problem().unwrap().contains("exit 101"));
        let unsupported = Run::not_supported(tool("smol+surf"), 100, "no HTTP/2".into());
        assert_eq!(unsupported.problem(), None);
    }

    #[test]
    fn checks_flag_a_short_peak_and_littles_law_off_by_a_fifth() {
        let mut r = run("threads+ureq", 10_000, 10.0);
        r.peak_in_flight = Some(10_000);
        r.littles_law = Some(0.95);
        assert!(r.checks().is_empty(), "{:?}", r.checks());
        r.peak_in_flight = Some(9_000);
        r.littles_law = Some(0.68);
        assert_eq!(
            r.checks(),
            ["at most 9000 in flight (90%)", "Little's law 0.68"]
        );
        // Reference tools say nothing about either: nothing to flag.
        assert!(run("wrk", 100, 1.0).checks().is_empty());
    }

    #[test]
    fn checks_flag_more_connections_than_the_pool_where_they_are_kept() {
        let mut r = run("tokio+reqwest", 10_000, 10.0);
        r.connections_opened = Some(10_400);
        assert!(r.checks().is_empty(), "{:?}", r.checks());
        r.connections_opened = Some(16_878);
        assert_eq!(r.checks(), ["opened 16878 connections for 10000 (1.69x)"]);
        // A new connection per request is what that scenario measures.
        r.scenario = Scenario::HttpsNewConnection;
        assert!(r.checks().is_empty(), "{:?}", r.checks());
    }

    #[test]
    fn a_failed_round_is_the_result_of_its_group() {
        let runs = vec![
            run("smol+surf", 100, 50.0),
            Run::failed(tool("smol+surf"), 100, "printed no report".into()),
            run("smol+surf", 100, 70.0),
        ];
        let m = medians(runs);
        assert_eq!(m.len(), 1);
        assert!(matches!(m[0].status, Status::Failed(_)));
    }

    #[test]
    fn medians_pick_the_middle_repetition_of_each_run() {
        let mut memory = run("tokio+hyper", 10_000, 1.0);
        memory.scenario = Scenario::Memory;
        let with_rss = |kb| {
            let mut m = memory.clone();
            m.peak_rss_kb = kb;
            m
        };
        let runs = vec![
            run("wrk", 100, 90.0),
            run("tokio+hyper", 100, 50.0),
            with_rss(300),
            run("wrk", 100, 110.0),
            run("tokio+hyper", 100, 70.0),
            with_rss(100),
            run("wrk", 100, 100.0),
            run("tokio+hyper", 100, 60.0),
            with_rss(200),
        ];
        let m = medians(runs);
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].tool, m[0].requests_per_sec), (Tool::WRK, 100.0));
        assert_eq!(m[0].samples, [90.0, 110.0, 100.0]);
        assert_eq!(m[1].requests_per_sec, 60.0);
        assert_eq!(m[2].peak_rss_kb, 200);
        // Every round's figures are kept, in the order they ran.
        let rss: Vec<u64> = m[2].rounds.iter().map(|r| r.peak_rss_kb).collect();
        assert_eq!(rss, [300, 100, 200]);
        let rps: Vec<f64> = m[1].rounds.iter().map(|r| r.requests_per_sec).collect();
        assert_eq!(rps, [50.0, 70.0, 60.0]);
    }
}
