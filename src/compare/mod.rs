//! The pieces of `scripts/compare`: one run's record, parsers for wrk's and
//! oha's output, the Markdown table and the SVG chart.
//!
//! [`driver`] runs the tools one after the other against one server process;
//! `src/bin/compare.rs` only parses the command line and calls it.

pub mod driver;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

/// What a run measures.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// Requests per second on `GET /users/{id}`.
    #[default]
    Throughput,
    /// Peak memory with every request in flight at once on `/delay/1000`.
    Memory,
}

/// One load run of one tool at one concurrency.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Run {
    /// `wrk`, `oha`, or a combination's id such as `tokio+hyper`.
    pub tool: String,
    /// Whether this is a reference load generator or a combination.
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
    /// Wall time of the load, in seconds.
    pub elapsed_s: f64,
    /// Requests per second.
    pub requests_per_sec: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// The client process's CPU time, user + system, seconds (from GNU time).
    pub cpu_s: f64,
    /// The client process's peak RSS, KiB (from GNU time).
    pub peak_rss_kb: u64,
    /// CPU seconds the server process used during the run.
    #[serde(default)]
    pub server_cpu_s: f64,
    /// The command line that was run.
    pub command: String,
    /// Settings the result depends on (threads, connections, ...).
    pub config: serde_json::Value,
    /// Requests/sec of every repetition this run is the median of.
    #[serde(default)]
    pub samples: Vec<f64>,
}

impl Run {
    /// A plain throughput run: every request in flight on a connection of
    /// its own.
    fn is_plain(&self) -> bool {
        self.scenario == Scenario::Throughput && self.connections == self.concurrency
    }

    /// Peak RSS divided by the requests in flight, KiB.
    pub fn kib_per_request(&self) -> f64 {
        self.peak_rss_kb as f64 / self.concurrency.max(1) as f64
    }

    /// "0", or each error kind with its count.
    fn errors_text(&self) -> String {
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

    /// Client CPU seconds per 10,000 requests.
    pub fn cpu_per_10k(&self) -> f64 {
        self.per_10k(self.cpu_s)
    }

    /// Server CPU seconds per 10,000 requests.
    pub fn server_cpu_per_10k(&self) -> f64 {
        self.per_10k(self.server_cpu_s)
    }

    fn per_10k(&self, seconds: f64) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            seconds * 10_000.0 / self.requests as f64
        }
    }
}

/// CPU time and peak memory of a finished child, from GNU time's
/// `-f "%U %S %M"` output file.
pub fn parse_gnu_time(text: &str) -> anyhow::Result<(f64, u64)> {
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .context("GNU time wrote nothing")?;
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [user, system, rss] = fields[..] else {
        bail!("unexpected GNU time line {line:?}");
    };
    Ok((user.parse::<f64>()? + system.parse::<f64>()?, rss.parse()?))
}

/// What wrk printed, reduced to the numbers the table needs.
#[derive(Debug, Clone, PartialEq)]
pub struct WrkResult {
    /// Requests completed.
    pub requests: u64,
    /// Seconds the run took.
    pub elapsed_s: f64,
    /// Requests per second.
    pub requests_per_sec: f64,
    /// Median latency, ms (needs `--latency`).
    pub p50_ms: f64,
    /// 99th percentile, ms (needs `--latency`).
    pub p99_ms: f64,
    /// Socket errors and non-2xx answers by kind.
    pub errors: BTreeMap<String, u64>,
}

/// Parses wrk's text output (run with `--latency`).
pub fn parse_wrk(text: &str) -> anyhow::Result<WrkResult> {
    let mut result = WrkResult {
        requests: 0,
        elapsed_s: 0.0,
        requests_per_sec: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        errors: BTreeMap::new(),
    };
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
            result.p50_ms = duration_secs(rest.trim())? * 1000.0;
        } else if let Some(rest) = line.strip_prefix("99%") {
            result.p99_ms = duration_secs(rest.trim())? * 1000.0;
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
pub fn parse_oha(json: &str) -> anyhow::Result<WrkResult> {
    let v: serde_json::Value = serde_json::from_str(json).context("oha's output is not JSON")?;
    let summary = &v["summary"];
    let num = |x: &serde_json::Value| x.as_f64().unwrap_or(0.0);
    let mut errors = BTreeMap::new();
    if let Some(map) = v["errorDistribution"].as_object() {
        for (kind, n) in map {
            errors.insert(kind.clone(), n.as_u64().unwrap_or(0));
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
    let requests = ok + errors.values().sum::<u64>();
    Ok(WrkResult {
        requests,
        elapsed_s: num(&summary["total"]),
        requests_per_sec: num(&summary["requestsPerSec"]),
        p50_ms: num(&v["latencyPercentiles"]["p50"]) * 1000.0,
        p99_ms: num(&v["latencyPercentiles"]["p99"]) * 1000.0,
        errors,
    })
}

/// The Markdown table of every run, grouped by concurrency, each with its
/// ratio to wrk's requests/sec at the same concurrency.
pub fn table(runs: &[Run]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| tool | in flight | connections | requests | requests/sec | ratio to wrk | p50 ms | p99 ms | client CPU s per 10k | server CPU s per 10k | peak RSS MB | errors |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    let runs: Vec<&Run> = runs
        .iter()
        .filter(|r| r.scenario == Scenario::Throughput)
        .collect();
    let mut concurrencies: Vec<usize> = runs.iter().map(|r| r.concurrency).collect();
    concurrencies.sort_unstable();
    concurrencies.dedup();
    for c in concurrencies {
        let wrk = runs
            .iter()
            .find(|r| r.tool == "wrk" && r.concurrency == c)
            .map(|r| r.requests_per_sec);
        for r in runs.iter().filter(|r| r.concurrency == c) {
            let ratio = wrk.filter(|w| *w > 0.0).map_or_else(
                || "-".to_owned(),
                |w| format!("{:.2}x", r.requests_per_sec / w),
            );
            let errors = r.errors_text();
            let name = if r.reference {
                format!("**{}** (reference)", r.tool)
            } else {
                r.tool.clone()
            };
            let _ = writeln!(
                out,
                "| {name} | {c} | {} | {} | {:.0} | {ratio} | {:.2} | {:.2} | {:.3} | {:.3} | {:.1} | {errors} |",
                r.connections,
                r.requests,
                r.requests_per_sec,
                r.p50_ms,
                r.p99_ms,
                r.cpu_per_10k(),
                r.server_cpu_per_10k(),
                r.peak_rss_kb as f64 / 1024.0,
            );
        }
    }
    out
}

/// The fastest combination (not a reference tool) at each concurrency, with
/// its ratio to wrk: `(concurrency, tool, requests/sec, ratio)`.
pub fn fastest(runs: &[Run]) -> Vec<(usize, String, f64, Option<f64>)> {
    let mut concurrencies: Vec<usize> = runs
        .iter()
        .filter(|r| r.is_plain())
        .map(|r| r.concurrency)
        .collect();
    concurrencies.sort_unstable();
    concurrencies.dedup();
    concurrencies
        .into_iter()
        .filter_map(|c| {
            let best = runs
                .iter()
                .filter(|r| !r.reference && r.is_plain() && r.concurrency == c)
                .max_by(|a, b| a.requests_per_sec.total_cmp(&b.requests_per_sec))?;
            let wrk = runs
                .iter()
                .find(|r| r.tool == "wrk" && r.concurrency == c)
                .map(|r| r.requests_per_sec)
                .filter(|w| *w > 0.0);
            Some((
                c,
                best.tool.clone(),
                best.requests_per_sec,
                wrk.map(|w| best.requests_per_sec / w),
            ))
        })
        .collect()
}

/// One run per tool, scenario, requests in flight and connections: the
/// median of its repetitions (by requests/sec; by peak memory for memory
/// runs), with every repetition's requests/sec in `samples`. Keeps the
/// order in which each first appeared.
pub fn medians(runs: Vec<Run>) -> Vec<Run> {
    let mut groups: Vec<Vec<Run>> = Vec::new();
    for run in runs {
        let same = |g: &&mut Vec<Run>| {
            let first = &g[0];
            first.tool == run.tool
                && first.scenario == run.scenario
                && first.concurrency == run.concurrency
                && first.connections == run.connections
        };
        match groups.iter_mut().find(same) {
            Some(group) => group.push(run),
            None => groups.push(vec![run]),
        }
    }
    groups
        .into_iter()
        .filter_map(|mut group| {
            let samples: Vec<f64> = group.iter().map(|r| r.requests_per_sec).collect();
            match group[0].scenario {
                Scenario::Throughput => {
                    group.sort_by(|a, b| a.requests_per_sec.total_cmp(&b.requests_per_sec));
                }
                Scenario::Memory => group.sort_by_key(|r| r.peak_rss_kb),
            }
            let middle = group.len() / 2;
            let mut median = group.into_iter().nth(middle)?;
            median.samples = samples;
            Some(median)
        })
        .collect()
}

/// The targets of the performance goals, printed beside what was measured.
pub mod target {
    /// The fastest combination's requests/sec over oha's, at least.
    pub const VS_OHA: f64 = 1.0;
    /// Its client CPU per request over oha's, at most.
    pub const CPU_VS_OHA: f64 = 1.0;
    /// The fastest combination's requests/sec over wrk's, at least.
    pub const VS_WRK: f64 = 0.85;
    /// Peak RSS per request in flight of the best async combination, KiB.
    pub const KIB_PER_REQUEST: f64 = 10.0;
    /// Throughput with requests queued for connections, over the same
    /// combination's with as many in flight as connections, at least.
    pub const QUEUED_VS_UNQUEUED: f64 = 0.7;
}

fn met(ok: bool) -> &'static str {
    if ok { "yes" } else { "**no**" }
}

fn plain<'a>(runs: &'a [Run], tool: &str, c: usize) -> Option<&'a Run> {
    runs.iter()
        .find(|r| r.tool == tool && r.concurrency == c && r.is_plain())
}

/// A queued run (more in flight than connections) with the same tool's
/// plain run at as many in flight as the queued run had connections.
fn queued_pairs(runs: &[Run]) -> Vec<(&Run, Option<&Run>)> {
    runs.iter()
        .filter(|r| r.scenario == Scenario::Throughput && r.connections < r.concurrency)
        .map(|q| (q, plain(runs, &q.tool, q.connections)))
        .collect()
}

/// The "headline" block: each performance goal, what this run measured
/// for it, the target, and whether it was met.
pub fn headline(runs: &[Run]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| goal | measured | target | met |");
    let _ = writeln!(out, "|---|---|---|---|");
    for (c, tool, rps, _) in fastest(runs) {
        let Some(best) = plain(runs, &tool, c) else {
            continue;
        };
        if let Some(oha) = plain(runs, "oha", c).filter(|o| o.requests_per_sec > 0.0) {
            let ratio = rps / oha.requests_per_sec;
            let _ = writeln!(
                out,
                "| 1. requests/sec vs oha, {c} in flight | {tool} {rps:.0} / oha {:.0} = {ratio:.2}x | >= {:.2}x | {} |",
                oha.requests_per_sec,
                target::VS_OHA,
                met(ratio >= target::VS_OHA)
            );
            if oha.cpu_per_10k() > 0.0 {
                let cpu = best.cpu_per_10k() / oha.cpu_per_10k();
                let _ = writeln!(
                    out,
                    "| 1. client CPU s per 10k requests vs oha, {c} in flight | {tool} {:.3} / oha {:.3} = {cpu:.2}x | <= {:.2}x | {} |",
                    best.cpu_per_10k(),
                    oha.cpu_per_10k(),
                    target::CPU_VS_OHA,
                    met(cpu <= target::CPU_VS_OHA)
                );
            }
        }
        if let Some(wrk) = plain(runs, "wrk", c).filter(|w| w.requests_per_sec > 0.0) {
            let ratio = rps / wrk.requests_per_sec;
            let _ = writeln!(
                out,
                "| 2. requests/sec vs wrk, {c} in flight | {tool} {rps:.0} / wrk {:.0} = {ratio:.2}x | >= {:.2}x | {} |",
                wrk.requests_per_sec,
                target::VS_WRK,
                met(ratio >= target::VS_WRK)
            );
        }
    }
    let memory = |threads: bool| {
        runs.iter()
            .filter(|r| r.scenario == Scenario::Memory)
            .filter(move |r| r.tool.starts_with("threads") == threads)
            .min_by(|a, b| a.kib_per_request().total_cmp(&b.kib_per_request()))
    };
    if let Some(best) = memory(false) {
        let _ = writeln!(
            out,
            "| 4. peak RSS per request, {} in flight on /delay/1000, best async | {} {:.1} MB / {} = {:.1} KiB | <= {:.0} KiB | {} |",
            best.concurrency,
            best.tool,
            best.peak_rss_kb as f64 / 1024.0,
            best.concurrency,
            best.kib_per_request(),
            target::KIB_PER_REQUEST,
            met(best.kib_per_request() <= target::KIB_PER_REQUEST)
        );
    }
    if let Some(threads) = memory(true) {
        let _ = writeln!(
            out,
            "| 4. the same, threads baseline | {} {:.1} MB / {} = {:.1} KiB | for comparison | |",
            threads.tool,
            threads.peak_rss_kb as f64 / 1024.0,
            threads.concurrency,
            threads.kib_per_request(),
        );
    }
    let fastest_queued = queued_pairs(runs)
        .into_iter()
        .filter_map(|(q, base)| Some((q, base?)))
        .filter(|(_, base)| base.requests_per_sec > 0.0)
        .max_by(|a, b| a.0.requests_per_sec.total_cmp(&b.0.requests_per_sec));
    if let Some((q, base)) = fastest_queued {
        let ratio = q.requests_per_sec / base.requests_per_sec;
        let _ = writeln!(
            out,
            "| 5. {} in flight on {} connections vs {} in flight, fastest | {} {:.0} / {:.0} = {ratio:.2}x | >= {:.2}x | {} |",
            q.concurrency,
            q.connections,
            base.concurrency,
            q.tool,
            q.requests_per_sec,
            base.requests_per_sec,
            target::QUEUED_VS_UNQUEUED,
            met(ratio >= target::QUEUED_VS_UNQUEUED)
        );
    }
    out
}

/// The runs with requests queued for connections, each beside the same
/// combination with as many in flight as it has connections.
pub fn queued_table(runs: &[Run]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| tool | in flight | connections | requests/sec | p50 ms | p99 ms | same tool, in flight = connections | ratio | errors |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    for (q, base) in queued_pairs(runs) {
        let (base_rps, ratio) = base.filter(|b| b.requests_per_sec > 0.0).map_or_else(
            || ("-".to_owned(), "-".to_owned()),
            |b| {
                (
                    format!("{:.0}", b.requests_per_sec),
                    format!("{:.2}x", q.requests_per_sec / b.requests_per_sec),
                )
            },
        );
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {base_rps} | {ratio} | {} |",
            q.tool,
            q.concurrency,
            q.connections,
            q.requests_per_sec,
            q.p50_ms,
            q.p99_ms,
            q.errors_text()
        );
    }
    out
}

/// Peak memory per request in flight, one row per memory run.
pub fn memory_table(runs: &[Run]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| tool | in flight | connections | peak RSS MB | KiB per request | elapsed s | ok | errors |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for r in runs.iter().filter(|r| r.scenario == Scenario::Memory) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1} | {:.1} | {:.2} | {} | {} |",
            r.tool,
            r.concurrency,
            r.connections,
            r.peak_rss_kb as f64 / 1024.0,
            r.kib_per_request(),
            r.elapsed_s,
            r.ok,
            r.errors_text()
        );
    }
    out
}

/// Draws requests/sec against requests in flight (log scale), one line per
/// tool; the reference tools dashed.
pub fn chart(runs: &[Run], title: &str, path: &Path) -> anyhow::Result<()> {
    use plotters::prelude::*;

    let runs: Vec<Run> = runs.iter().filter(|r| r.is_plain()).cloned().collect();

    let mut tools: Vec<&str> = Vec::new();
    for r in &runs {
        if !tools.contains(&r.tool.as_str()) {
            tools.push(&r.tool);
        }
    }
    let max_rps = runs.iter().map(|r| r.requests_per_sec).fold(1.0, f64::max) * 1.1;
    let min_c = runs.iter().map(|r| r.concurrency).min().unwrap_or(1).max(1) as f64;
    let max_c = runs
        .iter()
        .map(|r| r.concurrency)
        .max()
        .unwrap_or(10)
        .max(2) as f64;

    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(20)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d((min_c * 0.8..max_c * 1.25).log_scale(), 0.0..max_rps)?;
    chart
        .configure_mesh()
        .x_desc("requests in flight")
        .y_desc("requests per second")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{:.0}k", y / 1000.0))
        .draw()?;
    for (i, tool) in tools.iter().enumerate() {
        let mut points: Vec<(f64, f64)> = runs
            .iter()
            .filter(|r| r.tool == *tool)
            .map(|r| (r.concurrency as f64, r.requests_per_sec))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let reference = runs.iter().any(|r| r.tool == *tool && r.reference);
        let color = Palette99::pick(i).to_rgba();
        let style = ShapeStyle::from(&color).stroke_width(if reference { 1 } else { 2 });
        if reference {
            chart
                .draw_series(DashedLineSeries::new(points.clone(), 6, 4, style))?
                .label(format!("{tool} (reference)"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        } else {
            chart
                .draw_series(LineSeries::new(points.clone(), style))?
                .label(tool.to_string())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
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
        assert!((r.p50_ms - 9.77).abs() < 1e-9);
        assert!((r.p99_ms - 48.10).abs() < 1e-9);
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
            "errorDistribution":{"connection reset":6}}"#;
        let r = parse_oha(json).unwrap();
        assert_eq!(r.requests, 100_000);
        assert!((r.p50_ms - 10.0).abs() < 1e-9);
        assert_eq!(r.errors["non_2xx"], 4);
        assert_eq!(r.errors["connection reset"], 6);
    }

    #[test]
    fn gnu_time_parses() {
        assert_eq!(parse_gnu_time("1.50 0.25 70136\n").unwrap(), (1.75, 70136));
        assert!(parse_gnu_time("Command exited with non-zero status 1\n1.0 2.0\n").is_err());
    }

    fn run(tool: &str, reference: bool, c: usize, rps: f64) -> Run {
        Run {
            tool: tool.into(),
            reference,
            scenario: Scenario::Throughput,
            concurrency: c,
            connections: c,
            requests: 1000,
            ok: 1000,
            errors: BTreeMap::new(),
            elapsed_s: 1.0,
            requests_per_sec: rps,
            p50_ms: 1.0,
            p99_ms: 2.0,
            cpu_s: 0.5,
            peak_rss_kb: 2048,
            server_cpu_s: 0.25,
            command: String::new(),
            config: serde_json::Value::Null,
            samples: Vec::new(),
        }
    }

    #[test]
    fn table_has_ratios_to_wrk_and_fastest_picks_combinations_only() {
        let runs = [
            run("wrk", true, 100, 100_000.0),
            run("oha", true, 100, 120_000.0),
            run("tokio+hyper", false, 100, 50_000.0),
            run("smol+hyper", false, 100, 40_000.0),
        ];
        let t = table(&runs);
        assert!(
            t.contains("| tokio+hyper | 100 | 100 | 1000 | 50000 | 0.50x |"),
            "{t}"
        );
        assert!(
            t.contains("| **wrk** (reference) | 100 | 100 | 1000 | 100000 | 1.00x |"),
            "{t}"
        );
        assert!(t.contains("| 5.000 | 2.500 | 2.0 | 0 |"), "{t}");
        let best = fastest(&runs);
        assert_eq!(
            best,
            vec![(100, "tokio+hyper".to_owned(), 50_000.0, Some(0.5))]
        );
    }

    #[test]
    fn headline_compares_each_goal_with_its_target() {
        let mut oha = run("oha", true, 1000, 100_000.0);
        oha.cpu_s = 1.0;
        let mut best = run("tokio+hyper", false, 1000, 110_000.0);
        best.cpu_s = 0.8;
        let mut queued = run("tokio+hyper", false, 10_000, 60_000.0);
        queued.connections = 1000;
        let mut memory = run("smol+hyper", false, 10_000, 9_000.0);
        memory.scenario = Scenario::Memory;
        memory.peak_rss_kb = 80_000;
        let mut threads = memory.clone();
        threads.tool = "threads+ureq".into();
        threads.peak_rss_kb = 1_200_000;
        let runs = [
            run("wrk", true, 1000, 125_000.0),
            oha,
            best,
            run("smol+hyper", false, 1000, 90_000.0),
            queued,
            memory,
            threads,
        ];
        let h = headline(&runs);
        assert!(
            h.contains("| 1. requests/sec vs oha, 1000 in flight | tokio+hyper 110000 / oha 100000 = 1.10x | >= 1.00x | yes |"),
            "{h}"
        );
        assert!(
            h.contains("tokio+hyper 8.000 / oha 10.000 = 0.80x | <= 1.00x | yes |"),
            "{h}"
        );
        assert!(
            h.contains("tokio+hyper 110000 / wrk 125000 = 0.88x | >= 0.85x | yes |"),
            "{h}"
        );
        assert!(
            h.contains("smol+hyper 78.1 MB / 10000 = 8.0 KiB | <= 10 KiB | yes |"),
            "{h}"
        );
        assert!(
            h.contains("threads+ureq 1171.9 MB / 10000 = 120.0 KiB | for comparison"),
            "{h}"
        );
        assert!(
            h.contains("| 5. 10000 in flight on 1000 connections vs 1000 in flight, fastest | tokio+hyper 60000 / 110000 = 0.55x | >= 0.70x | **no** |"),
            "{h}"
        );
        // Queued and memory runs stay out of the throughput table's ranking.
        assert_eq!(fastest(&runs).len(), 1);
        assert!(queued_table(&runs).contains("| tokio+hyper | 10000 | 1000 | 60000 |"));
        assert!(memory_table(&runs).contains("| smol+hyper | 10000 | 10000 | 78.1 | 8.0 |"));
    }

    #[test]
    fn medians_pick_the_middle_repetition_of_each_run() {
        let mut memory = run("tokio+hyper", false, 10_000, 1.0);
        memory.scenario = Scenario::Memory;
        let with_rss = |kb| {
            let mut m = memory.clone();
            m.peak_rss_kb = kb;
            m
        };
        let runs = vec![
            run("wrk", true, 100, 90.0),
            run("tokio+hyper", false, 100, 50.0),
            with_rss(300),
            run("wrk", true, 100, 110.0),
            run("tokio+hyper", false, 100, 70.0),
            with_rss(100),
            run("wrk", true, 100, 100.0),
            run("tokio+hyper", false, 100, 60.0),
            with_rss(200),
        ];
        let m = medians(runs);
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].tool.as_str(), m[0].requests_per_sec), ("wrk", 100.0));
        assert_eq!(m[0].samples, [90.0, 110.0, 100.0]);
        assert_eq!(m[1].requests_per_sec, 60.0);
        assert_eq!(m[2].peak_rss_kb, 200);
    }

    #[test]
    fn chart_renders_an_svg() {
        let runs = [
            run("wrk", true, 100, 100_000.0),
            run("wrk", true, 1000, 90_000.0),
            run("tokio+hyper", false, 100, 50_000.0),
            run("tokio+hyper", false, 1000, 60_000.0),
        ];
        let dir = std::env::temp_dir().join(format!("compare-chart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.svg");
        chart(&runs, "test", &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..100.min(svg.len())]);
        assert!(svg.contains("tokio+hyper") && svg.contains("wrk (reference)"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
