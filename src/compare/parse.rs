//! Parsers of the other tools' output: GNU time, wrk, oha, h2load and the
//! bare loops.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};
use fetch_core::ProcessCost;

/// CPU time (user + system, and system alone) and peak memory of a
/// finished child, from GNU time's `-f "%U %S %M"` output file.
pub fn parse_gnu_time(text: &str) -> anyhow::Result<ProcessCost> {
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .context("GNU time wrote nothing")?;
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [user, system, rss] = fields[..] else {
        bail!("unexpected GNU time line {line:?}");
    };
    let (user, system) = (user.parse::<f64>()?, system.parse::<f64>()?);
    Ok(ProcessCost {
        cpu_s: user + system,
        cpu_system_s: system,
        peak_rss_kb: rss.parse()?,
    })
}

/// What wrk, oha or h2load printed, reduced to the numbers the table needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolResult {
    /// Requests completed.
    pub requests: u64,
    /// Seconds the run took.
    pub elapsed_s: f64,
    /// Requests per second.
    pub requests_per_sec: f64,
    /// Median latency, ms (wrk needs `--latency`); `None` from h2load,
    /// which prints no percentiles.
    pub p50_ms: Option<f64>,
    /// 99th percentile, ms; `None` from h2load.
    pub p99_ms: Option<f64>,
    /// Socket errors and non-2xx answers by kind.
    pub errors: BTreeMap<String, u64>,
    /// Requests in flight when the time was up, cut off there (oha's
    /// "aborted due to deadline"); not in `errors`.
    pub cancelled: u64,
    /// Body bytes received, where the tool says (oha's `totalData`).
    pub bytes_received: Option<u64>,
}

/// Parses a bare loop's JSON report ([`fetch_bare::BareReport`]).
pub fn parse_bare(text: &str) -> anyhow::Result<ToolResult> {
    let report: fetch_bare::BareReport =
        serde_json::from_str(text).context("a bare loop printed no JSON report")?;
    Ok(ToolResult {
        requests: report.requests,
        elapsed_s: report.elapsed_s,
        requests_per_sec: report.requests_per_sec,
        p50_ms: report.p50_ms,
        p99_ms: report.p99_ms,
        errors: report.errors,
        cancelled: 0,
        bytes_received: None,
    })
}

/// Parses wrk's text output (run with `--latency`).
pub fn parse_wrk(text: &str) -> anyhow::Result<ToolResult> {
    let mut result = ToolResult::default();
    let mut seen_rate = false;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Requests/sec:") {
            result.requests_per_sec = rest.trim().parse()?;
            seen_rate = true;
        } else if line.contains(" requests in ") {
            // "902669 requests in 10.09s, 137.74MB read"
            let mut words = line.split_whitespace();
            result.requests = words.next().context("no request count")?.parse()?;
            let elapsed = words.nth(2).context("no duration")?.trim_end_matches(',');
            result.elapsed_s = duration_secs(elapsed)?;
        } else if let Some(rest) = line.strip_prefix("50%") {
            result.p50_ms = Some(duration_secs(rest.trim())? * 1000.0);
        } else if let Some(rest) = line.strip_prefix("99%") {
            result.p99_ms = Some(duration_secs(rest.trim())? * 1000.0);
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            // "Socket errors: connect 0, read 12, write 0, timeout 3"
            for part in rest.split(',') {
                let mut kv = part.split_whitespace();
                if let (Some(kind), Some(n)) = (kv.next(), kv.next()) {
                    let n: u64 = n.parse()?;
                    if n > 0 {
                        result.errors.insert(kind.to_owned(), n);
                    }
                }
            }
        } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            result
                .errors
                .insert("non_2xx".to_owned(), rest.trim().parse()?);
        }
    }
    if !seen_rate {
        bail!("wrk printed no Requests/sec line:\n{text}");
    }
    Ok(result)
}

/// "1.23ms", "450.00us", "2.01s", "1.5m" in seconds.
fn duration_secs(text: &str) -> anyhow::Result<f64> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .with_context(|| format!("bad duration {text:?}"))?;
    let scale = match unit {
        "us" => 1e-6,
        "ms" => 1e-3,
        "s" | "" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        other => bail!("unknown unit {other:?} in {text:?}"),
    };
    Ok(number * scale)
}

/// Parses oha's `--output-format json` output.
pub fn parse_oha(json: &str) -> anyhow::Result<ToolResult> {
    let v: serde_json::Value = serde_json::from_str(json).context("oha's output is not JSON")?;
    let summary = &v["summary"];
    let num = |x: &serde_json::Value| x.as_f64().unwrap_or(0.0);
    let mut errors = BTreeMap::new();
    let mut cancelled = 0;
    if let Some(map) = v["errorDistribution"].as_object() {
        for (kind, n) in map {
            let n = n.as_u64().unwrap_or(0);
            // At `-z`'s end oha cuts off the requests in flight, as the
            // engine's `-d` does: counted apart, not as errors.
            if kind.contains("aborted due to deadline") {
                cancelled += n;
            } else {
                errors.insert(kind.clone(), n);
            }
        }
    }
    let mut non_2xx = 0;
    let mut ok = 0;
    if let Some(map) = v["statusCodeDistribution"].as_object() {
        for (code, n) in map {
            let n = n.as_u64().unwrap_or(0);
            if code.starts_with('2') {
                ok += n;
            } else {
                non_2xx += n;
            }
        }
    }
    if non_2xx > 0 {
        errors.insert("non_2xx".to_owned(), non_2xx);
    }
    let requests = ok + errors.values().sum::<u64>() + cancelled;
    let elapsed_s = num(&summary["total"]);
    // oha's `requestsPerSec` counts the requests it aborted at the deadline
    // (measured with oha 1.16: 10 aborted in 1.0 s read 9.98/s); the
    // engine's leaves them out, so leave them out here too.
    let requests_per_sec = if elapsed_s > 0.0 && cancelled > 0 {
        (requests - cancelled) as f64 / elapsed_s
    } else {
        num(&summary["requestsPerSec"])
    };
    Ok(ToolResult {
        requests,
        cancelled,
        elapsed_s,
        requests_per_sec,
        p50_ms: v["latencyPercentiles"]["p50"].as_f64().map(|s| s * 1000.0),
        p99_ms: v["latencyPercentiles"]["p99"].as_f64().map(|s| s * 1000.0),
        errors,
        bytes_received: summary["totalData"].as_u64(),
    })
}

/// Parses h2load's text output (run with `-D`): requests done, the rate,
/// and failures by kind. h2load prints the mean and spread of latency, not
/// percentiles, so those stay `None`.
pub fn parse_h2load(text: &str) -> anyhow::Result<ToolResult> {
    let mut result = ToolResult::default();
    let mut seen = (false, false);
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("finished in ") {
            // "finished in 3.00s, 29498.33 req/s, 2.19MB/s"
            let mut parts = rest.split(',').map(str::trim);
            result.elapsed_s = duration_secs(parts.next().context("no duration")?)?;
            let rate = parts.next().context("no rate")?;
            result.requests_per_sec = rate
                .strip_suffix(" req/s")
                .with_context(|| format!("unexpected rate {rate:?}"))?
                .parse()?;
            seen.0 = true;
        } else if let Some(rest) = line.strip_prefix("requests: ") {
            // "88495 total, 89495 started, 88495 done, 88495 succeeded,
            //  0 failed, 0 errored, 0 timeout": a request still in flight
            // at the end is started, not done, and counted in neither.
            for part in rest.split(',').map(str::trim) {
                let Some((n, what)) = part.split_once(' ') else {
                    continue;
                };
                let n: u64 = n.parse()?;
                match what {
                    "done" => result.requests = n,
                    "errored" | "timeout" if n > 0 => {
                        result.errors.insert(what.to_owned(), n);
                    }
                    _ => {}
                }
            }
            seen.1 = true;
        } else if let Some(rest) = line.strip_prefix("status codes: ") {
            // "88495 2xx, 0 3xx, 0 4xx, 0 5xx": a done request that failed
            // is one of these or errored.
            let non_2xx: u64 = rest
                .split(',')
                .filter_map(|part| part.trim().split_once(' '))
                .filter(|(_, class)| *class != "2xx")
                .map(|(n, _)| n.parse::<u64>())
                .sum::<Result<u64, _>>()?;
            if non_2xx > 0 {
                result.errors.insert("non_2xx".to_owned(), non_2xx);
            }
        }
    }
    if !(seen.0 && seen.1) {
        bail!("h2load printed no \"finished in\" and \"requests:\" lines:\n{text}");
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK: &str = "Running 10s test @ http://127.0.0.1:45875/users/1
  2 threads and 1000 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    11.81ms    9.95ms 229.92ms   80.54%
    Req/Sec    42.61k     5.01k   55.12k    70.00%
  Latency Distribution
     50%    9.77ms
     75%   14.20ms
     90%   20.31ms
     99%   48.10ms
  848712 requests in 10.02s, 129.50MB read
  Socket errors: connect 0, read 12, write 0, timeout 3
  Non-2xx or 3xx responses: 5
Requests/sec:  84742.67
Transfer/sec:     12.93MB
";

    #[test]
    fn wrk_output_parses() {
        let r = parse_wrk(WRK).unwrap();
        assert_eq!(r.requests, 848_712);
        assert!((r.elapsed_s - 10.02).abs() < 1e-9);
        assert!((r.requests_per_sec - 84_742.67).abs() < 1e-6);
        assert!((r.p50_ms.unwrap() - 9.77).abs() < 1e-9);
        assert!((r.p99_ms.unwrap() - 48.10).abs() < 1e-9);
        assert_eq!(r.errors["read"], 12);
        assert_eq!(r.errors["timeout"], 3);
        assert_eq!(r.errors["non_2xx"], 5);
        assert!(!r.errors.contains_key("connect"));
    }

    #[test]
    fn wrk_without_a_rate_is_an_error() {
        assert!(parse_wrk("unable to connect to 127.0.0.1:1 Connection refused").is_err());
    }

    #[test]
    fn durations_in_every_unit() {
        assert!((duration_secs("450.00us").unwrap() - 0.00045).abs() < 1e-12);
        assert!((duration_secs("2.01s").unwrap() - 2.01).abs() < 1e-12);
        assert!((duration_secs("1.50m").unwrap() - 90.0).abs() < 1e-9);
        assert!(duration_secs("3parsecs").is_err());
    }

    #[test]
    fn oha_json_parses() {
        let json = r#"{"summary":{"successRate":1.0,"total":2.0,"requestsPerSec":50000.0},
            "latencyPercentiles":{"p50":0.01,"p99":0.05},
            "statusCodeDistribution":{"200":99990,"503":4},
            "errorDistribution":{"connection reset":6,"aborted due to deadline":100}}"#;
        let r = parse_oha(json).unwrap();
        assert_eq!(r.requests, 100_100);
        assert_eq!(r.cancelled, 100);
        // Its own rate counted the aborted ones: 100,000 finished in 2 s.
        assert!((r.requests_per_sec - 50_000.0).abs() < 1e-6);
        assert!(!r.errors.contains_key("aborted due to deadline"));
        assert!((r.p50_ms.unwrap() - 10.0).abs() < 1e-9);
        assert_eq!(r.errors["non_2xx"], 4);
        assert_eq!(r.errors["connection reset"], 6);
    }

    #[test]
    fn h2load_output_parses() {
        let text = "TLS Protocol: TLSv1.3
Application protocol: h2

finished in 3.00s, 29498.33 req/s, 2.19MB/s
requests: 88495 total, 89495 started, 88495 done, 88490 succeeded, 5 failed, 2 errored, 1 timeout
status codes: 88490 2xx, 0 3xx, 3 4xx, 0 5xx
traffic: 6.58MB (6904200) total, 692.38KB (709000) headers (space savings 90.79%), 4.39MB (4601740) data
                     min         max         mean         sd        +/- sd
time for request:      256us    107.21ms     33.50ms     15.16ms    68.80%
";
        let r = parse_h2load(text).unwrap();
        assert_eq!(r.requests, 88_495);
        assert!((r.elapsed_s - 3.0).abs() < 1e-9);
        assert!((r.requests_per_sec - 29_498.33).abs() < 1e-6);
        assert_eq!((r.p50_ms, r.p99_ms), (None, None));
        assert_eq!(r.errors["non_2xx"], 3);
        assert_eq!(r.errors["errored"], 2);
        assert_eq!(r.errors["timeout"], 1);
        assert!(parse_h2load("connect failed").is_err());
    }

    #[test]
    fn gnu_time_parses() {
        assert_eq!(
            parse_gnu_time("1.50 0.25 70136\n").unwrap(),
            ProcessCost {
                cpu_s: 1.75,
                cpu_system_s: 0.25,
                peak_rss_kb: 70136
            }
        );
        assert!(parse_gnu_time("Command exited with non-zero status 1\n1.0 2.0\n").is_err());
    }
}
