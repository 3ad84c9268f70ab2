//! The load report, as text for people or as one JSON object for scripts.
//!
//! Both print the configuration beside the numbers: a throughput figure
//! means nothing without the threads, pool size and concurrency it came
//! from. Both are made from the one [`LoadReport`] of fetch-core, so the
//! text and the JSON cannot disagree.

use std::fmt::Write as _;

use fetch_core::LoadReport;

/// The report as one line of JSON.
pub fn json(report: &LoadReport) -> String {
    report.to_json()
}

/// A latency for the text report: "n/a" when nothing succeeded.
fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"))
}

/// `1 worker thread`, `2 worker threads`.
fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// One line of percentiles.
fn percentiles(s: &mut String, l: &fetch_core::Percentiles) {
    let _ = writeln!(
        s,
        "  p50 {}   p90 {}   p99 {}   p99.9 {}   max {}",
        ms(l.p50),
        ms(l.p90),
        ms(l.p99),
        ms(l.p99_9),
        ms(l.max)
    );
}

/// An open loop's schedule: asked, achieved, and how well it was kept.
fn schedule(s: &mut String, r: &LoadReport, rate: f64) {
    let _ = writeln!(
        s,
        "  schedule     open loop: {rate:.0} requests/sec asked, {:.0} achieved (every outcome)",
        r.requests_per_sec
    );
    let late = r.late_starts.unwrap_or(0);
    let _ = writeln!(
        s,
        "               {} sent more than 1 ms after due; the latest {:.3} ms after",
        plural(late, "request", "requests"),
        r.max_start_delay_ms.unwrap_or(0.0)
    );
    if r.fell_behind() {
        let behind = r.behind_s.unwrap_or(0.0);
        let _ = writeln!(
            s,
            "  BEHIND       the run fell {behind:.3} s behind its schedule: the client (or -c {}) could \
             not keep up, so fewer requests went out than asked",
            r.concurrency
        );
    }
}

/// Below this many requests, CPU time is shown per request: a figure per
/// 10k requests would be an extrapolation.
const PER_10K_FROM: u64 = 10_000;

/// The report as an aligned text summary.
pub fn text(r: &LoadReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Summary");
    if r.interrupted {
        let _ = writeln!(
            s,
            "  INTERRUPTED  partial report: the run was stopped early"
        );
        if r.thread_per_task {
            let _ = writeln!(
                s,
                "               a blocked OS thread cannot be cancelled: the requests in flight \
                 finished (within the timeout) and count by their outcome"
            );
        } else {
            let _ = writeln!(
                s,
                "               the requests in flight were dropped and count as cancelled"
            );
        }
    }
    let _ = writeln!(s, "  requests     {}", r.requests);
    let _ = writeln!(s, "  ok           {}", r.ok);
    let _ = writeln!(s, "  errors       {}", r.error_count());
    if r.redirects > 0 {
        let _ = writeln!(
            s,
            "  redirects    {} followed by ok requests (each one more exchange, in the latency)",
            r.redirects
        );
    }
    let _ = writeln!(s, "  elapsed      {:.3} s", r.elapsed_s);
    let _ = writeln!(
        s,
        "  throughput   {:.0} successful requests/sec",
        r.ok_per_sec
    );
    if r.ok != r.requests {
        let _ = writeln!(
            s,
            "               ({:.0} requests/sec counting every outcome, errors included)",
            r.requests_per_sec
        );
    }
    if let Some(rate) = r.rate {
        schedule(&mut s, r, rate);
    }
    match &r.service_ms {
        None => {
            let _ = writeln!(s, "Latency of successful requests (ms)");
            percentiles(&mut s, &r.latency_ms);
        }
        Some(service) => {
            let _ = writeln!(
                s,
                "Latency from each request's due time (ms): what a user arriving on schedule waits"
            );
            percentiles(&mut s, &r.latency_ms);
            let _ = writeln!(s, "Service time, from each request's send (ms)");
            percentiles(&mut s, service);
        }
    }
    if !r.errors.is_empty() {
        let _ = writeln!(s, "Errors by kind (first message of each)");
        for (kind, n) in &r.errors {
            let sample = r.error_samples.get(kind).map_or("", String::as_str);
            let _ = writeln!(s, "  {kind:<15} {n:>8}   {sample}");
        }
    }
    let _ = writeln!(s, "Configuration");
    match &r.shards {
        // Thread-per-core: a runtime and a client per shard, the work split.
        Some(shards) => {
            let join = |v: &[usize]| {
                v.iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(" + ")
            };
            let _ = writeln!(
                s,
                "  runtime      {} ({}), thread-per-core: {}, each a runtime and a client",
                r.runtime,
                shards.driver,
                plural(shards.count as u64, "shard", "shards")
            );
            let _ = writeln!(
                s,
                "  shards       in flight {}; connections {}",
                join(&shards.in_flight),
                join(&shards.connections)
            );
        }
        None => {
            let _ = writeln!(
                s,
                "  runtime      {}, {}",
                r.runtime,
                plural(r.threads as u64, "worker thread", "worker threads")
            );
        }
    }
    let _ = writeln!(
        s,
        "  client       {}, pool of {} per host",
        r.client,
        plural(r.connections as u64, "connection", "connections")
    );
    let asked = if r.http2 {
        "HTTP/2 asked"
    } else {
        "HTTP/1.1 asked"
    };
    let _ = writeln!(
        s,
        "  protocol     {} answered ({asked}), {}, {}",
        r.http_version,
        if r.tls { "TLS" } else { "no TLS" },
        if r.keepalive {
            "connections kept"
        } else {
            "a new connection per request (--no-keepalive)"
        }
    );
    let opened = match r.connections_opened {
        // With a connection per request, how many were opened per second
        // (with TLS, handshakes per second) is the figure that matters.
        Some(n) if !r.keepalive && r.elapsed_s > 0.0 => format!(
            "{} opened during the run ({:.0} per second{})",
            plural(n, "connection", "connections"),
            n as f64 / r.elapsed_s,
            if r.tls { ", a TLS handshake each" } else { "" }
        ),
        Some(n) => format!(
            "{} opened during the run",
            plural(n, "connection", "connections")
        ),
        None => format!("not counted: {} offers no hook to count them", r.client),
    };
    let _ = writeln!(s, "  connections  {opened}");
    let in_flight = plural(
        r.concurrency as u64,
        "request in flight",
        "requests in flight",
    );
    if r.connections_capped_by == "gate" {
        let _ = writeln!(
            s,
            "  concurrency  {in_flight}, {} on the wire at once, the rest queued",
            r.connections
        );
    } else if r.connections_capped_by == "pool" {
        let _ = writeln!(
            s,
            "  concurrency  {in_flight}, sharing at most {} (the client's pool caps them)",
            plural(r.connections as u64, "connection", "connections")
        );
    } else {
        let _ = writeln!(s, "  concurrency  {in_flight}");
    }
    if r.peak_in_flight < r.concurrency as u64 {
        let _ = writeln!(
            s,
            "               measured: at most {} in flight at once (first reached after {:.3} s)",
            r.peak_in_flight, r.ramp_s
        );
    }
    let planned = match r.duration_s {
        _ if r.interrupted => "stopped early, by Ctrl-C".to_owned(),
        Some(d) => format!(
            "{} (-d), then the requests in flight finish",
            humantime::format_duration(
                std::time::Duration::try_from_secs_f64(d).unwrap_or_default()
            )
        ),
        None => format!("{} (-n)", plural(r.requests, "request", "requests")),
    };
    let _ = writeln!(s, "  run          {planned}");
    let redirects = match r.max_redirects {
        0 => "none followed".to_owned(),
        n => format!("up to {n} followed"),
    };
    let _ = writeln!(
        s,
        "  url          {}  (parse: {}; redirects: {redirects})",
        r.url, r.parse
    );
    let timeout = std::time::Duration::try_from_secs_f64(r.timeout_s).unwrap_or_default();
    let _ = writeln!(
        s,
        "  timeout      {} per request",
        humantime::format_duration(timeout)
    );
    let server = match r.server {
        fetch_core::ServerKind::Embedded => {
            "embedded, in this process (the figures below include it)"
        }
        fetch_core::ServerKind::External => "external process",
    };
    let _ = writeln!(s, "  server       {server}");
    let _ = writeln!(s, "Process");
    let cost = if r.requests >= PER_10K_FROM {
        format!(
            "{:.3} s per 10k requests",
            r.cpu_s * 10_000.0 / r.requests as f64
        )
    } else if r.requests > 0 {
        format!("{:.3} ms per request", r.cpu_s * 1000.0 / r.requests as f64)
    } else {
        "no requests".to_owned()
    };
    let _ = writeln!(
        s,
        "  cpu          {:.2} s user + system ({:.2} user, {:.2} system), all threads ({cost})",
        r.cpu_s,
        r.cpu_s - r.cpu_system_s,
        r.cpu_system_s
    );
    let _ = writeln!(s, "  peak RSS     {:.1} MiB", r.peak_rss_kb as f64 / 1024.0);
    s
}
