//! The load report, as text for people or as one JSON object for scripts.
//!
//! Both print the configuration beside the numbers: a throughput figure
//! means nothing without the threads, pool size and concurrency it came
//! from. Both are made from the one [`LoadReport`] of fetch-core, so the
//! text and the JSON cannot disagree.

use std::fmt::Write as _;

use fetch_core::LoadReport;
use fetch_core::pace::PacerKind;

/// The report as one line of JSON.
pub fn json(report: &LoadReport) -> String {
    report.to_json()
}

/// A latency for the text report: "n/a" when nothing succeeded.
fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"))
}

/// `value` with at least three significant digits, and no more decimals
/// than that needs: `0.480`, `4.80`, `48.0`, `480`, `48000` (as hyperfine
/// and oha print rates), so no rate, throughput or duration rounds to 0.
fn sig3(value: f64) -> String {
    if !value.is_finite() || value == 0.0 {
        return format!("{value}");
    }
    // Digits before the point, less one: 2 for 480, -1 for 0.48.
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (2 - magnitude).clamp(0, 12) as usize;
    format!("{value:.decimals$}")
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
        "  schedule     open loop: {} requests/sec asked, {} achieved (every outcome)",
        sig3(rate),
        sig3(r.requests_per_sec)
    );
    let late = r.late_starts.unwrap_or(0);
    let _ = writeln!(
        s,
        "               {} sent more than 1 ms after due; the latest {:.3} ms after",
        plural(late, "request", "requests"),
        r.max_start_delay_ms.unwrap_or(0.0)
    );
    if let Some((runs_as, share)) = r.pacer_share() {
        let (how, what) = match runs_as {
            PacerKind::Task => ("a task of the runtime", "inside its polls"),
            PacerKind::Thread => ("a thread of its own", "of CPU"),
        };
        let _ = writeln!(
            s,
            "  pacer        {how}: {} s {what} ({:.1}% of one core)",
            sig3(r.pacer_cpu_s.unwrap_or(0.0)),
            100.0 * share
        );
    }
    if r.fell_behind() {
        let _ = writeln!(
            s,
            "  BEHIND       the run fell {} s behind its schedule, so fewer requests went out than asked",
            sig3(r.behind_s.unwrap_or(0.0))
        );
        let _ = writeln!(s, "               {}", why_behind(r, rate));
    }
}

/// What a run that fell behind shows of why: the requests in flight all
/// busy at the cap (with the service time that kept them busy, so a server
/// that slowed shows), or fewer in flight than the cap (the client itself
/// could not send as fast as asked).
fn why_behind(r: &LoadReport, rate: f64) -> String {
    let service = r.service_ms.as_ref().and_then(|s| s.p50);
    if r.peak_in_flight >= r.concurrency as u64 {
        let most = service
            .filter(|ms| *ms > 0.0)
            .map(|ms| r.concurrency as f64 * 1000.0 / ms);
        match (service, most) {
            (Some(ms), Some(most)) => format!(
                "all {} requests in flight (-c) were busy: at a service time of {} ms (p50), {} \
                 in flight serve at most {}/s of the {}/s asked. Either the server slowed (its \
                 service time grew) or -c is too low for this rate: raise -c, or lower --rate",
                r.concurrency,
                sig3(ms),
                r.concurrency,
                sig3(most),
                sig3(rate)
            ),
            _ => format!(
                "all {} requests in flight (-c) were busy: the server was too slow for this \
                 rate, or -c too low: raise -c, or lower --rate",
                r.concurrency
            ),
        }
    } else {
        format!(
            "at most {} of the {} requests in flight allowed were ever busy at once: the \
             client could not send as fast as asked (its CPU, or its runtime's threads)",
            r.peak_in_flight, r.concurrency
        )
    }
}

/// Bytes in MiB.
fn mib(bytes: f64) -> f64 {
    bytes / (1024.0 * 1024.0)
}

/// What every request sent: its method, the names of its own headers
/// (never their values) and its body's size.
fn request_line(r: &LoadReport) -> String {
    let headers = match r.header_names.as_slice() {
        [] => "no headers of its own".to_owned(),
        names => format!("headers {} (values not shown)", names.join(", ")),
    };
    let body = match r.body_bytes {
        0 => "no body".to_owned(),
        n => format!("a body of {}", plural(n, "byte", "bytes")),
    };
    format!("{}, {headers}, {body}", r.method)
}

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
    match r.cancelled() {
        cancelled @ 1.. if !r.interrupted && r.duration_s.is_some() => {
            let _ = writeln!(
                s,
                "  errors       {}  ({cancelled} of them cancelled: in flight at the end of the run)",
                r.error_count()
            );
        }
        _ => {
            let _ = writeln!(s, "  errors       {}", r.error_count());
        }
    }
    if !r.statuses.is_empty() {
        let statuses: Vec<String> = r
            .statuses
            .iter()
            .map(|(status, n)| format!("{status}: {n}"))
            .collect();
        let _ = writeln!(
            s,
            "  statuses     {}  (final answers, after redirects)",
            statuses.join(", ")
        );
    }
    if r.retries > 0 {
        let _ = writeln!(
            s,
            "  retries      {} sent again: the connection was found closed before any byte of \
             the answer (idempotent methods only; each request counts once, by its outcome)",
            r.retries
        );
    }
    if r.redirects > 0 {
        let _ = writeln!(
            s,
            "  redirects    {} followed by ok requests (each one more exchange, in the latency)",
            r.redirects
        );
    }
    let _ = writeln!(s, "  elapsed      {} s", sig3(r.elapsed_s));
    let _ = writeln!(
        s,
        "  throughput   {} successful requests/sec",
        sig3(r.ok_per_sec)
    );
    if r.ok != r.requests {
        let _ = writeln!(
            s,
            "               ({} requests/sec counting every finished request, errors included)",
            sig3(r.requests_per_sec)
        );
    }
    if r.bytes_received > 0 {
        let _ = writeln!(
            s,
            "  received     {} MiB of bodies ({} MiB/s)",
            sig3(mib(r.bytes_received as f64)),
            sig3(mib(r.bytes_received_per_sec))
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
    let answered: u64 = r.statuses.values().sum();
    if answered > r.ok {
        let _ = writeln!(s, "Latency of every answered request, any status (ms)");
        percentiles(&mut s, &r.answered_ms);
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
    if let Some(cpus) = &r.cpus {
        let _ = writeln!(
            s,
            "  cpus         {cpus} ({}, read back from the process's affinity)",
            plural(cpus.len() as u64, "CPU", "CPUs")
        );
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
    let connections = if !r.keepalive {
        "a new connection per request (--no-keepalive)"
    } else if r.requests > r.concurrency as u64
        && r.connections_opened.is_some_and(|n| n >= r.requests)
    {
        // Kept on this side, closed on the other: one connection each,
        // where requests could have followed each other on one.
        "connections kept, but the server closed each connection after its answer"
    } else if r.http_version == "HTTP/1.0" {
        "connections kept where the server allows (an HTTP/1.0 server closes each one \
         unless it says keep-alive)"
    } else {
        "connections kept"
    };
    let _ = writeln!(
        s,
        "  protocol     {} answered ({asked}), {}, {connections}",
        r.http_version,
        if r.tls { "TLS" } else { "no TLS" },
    );
    let opened = match r.connections_opened {
        // With a connection per request, how many were opened per second
        // (with TLS, handshakes per second) is the figure that matters.
        Some(n) if !r.keepalive && r.elapsed_s > 0.0 => format!(
            "{} opened during the run ({} per second{})",
            plural(n, "connection", "connections"),
            sig3(n as f64 / r.elapsed_s),
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
            "               measured: at most {} in flight at once (first reached after {} s)",
            r.peak_in_flight,
            sig3(r.ramp_s)
        );
    }
    let planned = match r.duration_s {
        _ if r.interrupted => "stopped early, by Ctrl-C".to_owned(),
        Some(d) => {
            let d = humantime::format_duration(
                std::time::Duration::try_from_secs_f64(d).unwrap_or_default(),
            );
            if r.wait_ongoing {
                format!("{d} (-d), then the requests in flight finished (--wait-ongoing)")
            } else if r.thread_per_task {
                format!(
                    "{d} (-d); a blocked OS thread cannot be cancelled: the requests in \
                     flight at the end finished (within the timeout) and count by their outcome"
                )
            } else {
                format!(
                    "{d} (-d), ending there as wrk's -d: {} in flight then cancelled, \
                     not in requests/sec (--wait-ongoing lets them finish)",
                    plural(r.cancelled(), "request", "requests")
                )
            }
        }
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
    let _ = writeln!(s, "  request      {}", request_line(r));
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
    // One unit, as compare and the docs use: CPU seconds per 10k requests.
    let cost = if r.requests > 0 {
        format!(
            "{} s per 10k requests",
            sig3(r.cpu_s * 10_000.0 / r.requests as f64)
        )
    } else {
        "no requests".to_owned()
    };
    let _ = writeln!(
        s,
        "  cpu          {} s user + system ({} user, {} system), all threads ({cost})",
        sig3(r.cpu_s),
        sig3(r.cpu_s - r.cpu_system_s),
        sig3(r.cpu_system_s)
    );
    let _ = writeln!(s, "  peak RSS     {:.1} MiB", r.peak_rss_kb as f64 / 1024.0);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_three_significant_digits() {
        assert_eq!(sig3(0.48), "0.480");
        assert_eq!(sig3(0.000_123_4), "0.000123");
        assert_eq!(sig3(4.8), "4.80");
        assert_eq!(sig3(48.04), "48.0");
        assert_eq!(sig3(480.4), "480");
        assert_eq!(sig3(123_456.7), "123457");
        assert_eq!(sig3(0.0), "0");
    }
}
