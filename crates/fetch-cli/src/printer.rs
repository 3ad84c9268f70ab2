//! The load report, as text for people or as one JSON object for scripts.
//!
//! Both print the configuration beside the numbers: a throughput figure
//! means nothing without the threads, pool size and concurrency it came from.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use fetch_core::Report;
use serde::Serialize;

use crate::usage::Usage;

/// Where the server of a run was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerKind {
    /// Started in this process (CPU and memory figures include it).
    Embedded,
    /// Another process or machine.
    External,
}

/// A finished run with what it cost this process.
#[derive(Debug)]
pub struct LoadResult {
    /// The engine's report.
    pub report: Report,
    /// CPU time of the run and peak memory of the process.
    pub usage: Usage,
    /// Where the server was.
    pub server: ServerKind,
}

/// The JSON form. Field names are a contract with scripts (scripts/compare).
#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    runtime: &'a str,
    client: &'a str,
    threads: usize,
    concurrency: usize,
    connections: usize,
    http_version: &'static str,
    url: &'a str,
    parse: fetch_core::Parse,
    timeout_s: f64,
    server: ServerKind,
    requests: u64,
    ok: u64,
    errors: BTreeMap<String, u64>,
    error_samples: BTreeMap<String, &'a str>,
    interrupted: bool,
    elapsed_s: f64,
    requests_per_sec: f64,
    latency_ms: Latency,
    cpu_s: f64,
    peak_rss_kb: u64,
}

#[derive(Debug, Serialize)]
struct Latency {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

/// The report as one line of JSON.
pub fn json(result: &LoadResult) -> String {
    let r = &result.report;
    let c = &r.config;
    let out = JsonReport {
        runtime: c.runtime,
        client: c.client,
        threads: c.threads,
        concurrency: c.concurrency,
        connections: c.connections,
        http_version: "HTTP/1.1",
        url: &c.url,
        parse: c.parse,
        timeout_s: c.timeout.as_secs_f64(),
        server: result.server,
        requests: r.requests,
        ok: r.ok,
        errors: r.errors.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
        error_samples: r
            .error_samples
            .iter()
            .map(|(k, s)| (k.to_string(), s.as_str()))
            .collect(),
        interrupted: r.interrupted,
        elapsed_s: r.elapsed.as_secs_f64(),
        requests_per_sec: r.requests_per_sec(),
        latency_ms: Latency {
            p50: r.latency_ms(0.50),
            p90: r.latency_ms(0.90),
            p99: r.latency_ms(0.99),
            max: r.max_latency_ms(),
        },
        cpu_s: result.usage.cpu_s,
        peak_rss_kb: result.usage.peak_rss_kb,
    };
    // Serializing plain structs and maps with string keys cannot fail.
    serde_json::to_string(&out).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// The report as an aligned text summary.
pub fn text(result: &LoadResult) -> String {
    let r = &result.report;
    let c = &r.config;
    let mut s = String::new();
    let _ = writeln!(s, "Summary");
    if r.interrupted {
        let _ = writeln!(
            s,
            "  INTERRUPTED  partial report: the run was stopped early"
        );
    }
    let _ = writeln!(s, "  requests     {}", r.requests);
    let _ = writeln!(s, "  ok           {}", r.ok);
    let _ = writeln!(s, "  errors       {}", r.error_count());
    let _ = writeln!(s, "  elapsed      {:.3} s", r.elapsed.as_secs_f64());
    let _ = writeln!(s, "  throughput   {:.0} requests/sec", r.requests_per_sec());
    let _ = writeln!(s, "Latency of successful requests (ms)");
    let _ = writeln!(
        s,
        "  p50 {:.3}   p90 {:.3}   p99 {:.3}   max {:.3}",
        r.latency_ms(0.50),
        r.latency_ms(0.90),
        r.latency_ms(0.99),
        r.max_latency_ms()
    );
    if !r.errors.is_empty() {
        let _ = writeln!(s, "Errors by kind (first message of each)");
        for (kind, n) in &r.errors {
            let sample = r.error_samples.get(kind).map_or("", String::as_str);
            let _ = writeln!(s, "  {:<15} {:>8}   {sample}", kind.to_string(), n);
        }
    }
    let _ = writeln!(s, "Configuration");
    let _ = writeln!(
        s,
        "  runtime      {}, {} worker threads",
        c.runtime, c.threads
    );
    let _ = writeln!(
        s,
        "  client       {}, HTTP/1.1, pool of {} connections per host",
        c.client, c.connections
    );
    if c.connections < c.concurrency {
        let _ = writeln!(
            s,
            "  concurrency  {} requests in flight, {} on the wire at once, the rest queued",
            c.concurrency, c.connections
        );
    } else {
        let _ = writeln!(s, "  concurrency  {} requests in flight", c.concurrency);
    }
    let _ = writeln!(s, "  url          {}  (parse: {})", c.url, c.parse);
    let _ = writeln!(
        s,
        "  timeout      {} per request",
        humantime::format_duration(c.timeout)
    );
    let server = match result.server {
        ServerKind::Embedded => "embedded, in this process (the figures below include it)",
        ServerKind::External => "external process",
    };
    let _ = writeln!(s, "  server       {server}");
    let _ = writeln!(s, "Process");
    let per_10k = if r.requests > 0 {
        result.usage.cpu_s * 10_000.0 / r.requests as f64
    } else {
        0.0
    };
    let _ = writeln!(
        s,
        "  cpu          {:.2} s ({per_10k:.3} s per 10k requests)",
        result.usage.cpu_s
    );
    let _ = writeln!(
        s,
        "  peak RSS     {:.1} MB",
        result.usage.peak_rss_kb as f64 / 1024.0
    );
    s
}
