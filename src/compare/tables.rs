//! The Markdown: the throughput table, the headline with its targets, the
//! queued, memory and scaling tables, where each process ran, and the page
//! that puts them together.

use std::fmt::Write as _;

use super::environment::{Environment, page_lines};
use super::placement::Placement;
use super::readme::answers_table;
use super::run::{
    DOWNLOAD_BYTES, DOWNLOAD_IN_FLIGHT, H2_CONNECTIONS, LITTLE_TOLERANCE, PEAK_SHARE,
    POOL_TOLERANCE, ReferenceTool, Round, Run, SCALING_IN_FLIGHT, SWEEP_IN_FLIGHT, Scenario,
    Spread, Status, Tool, UPLOAD_BYTES, UPLOAD_IN_FLIGHT,
};
use crate::combos::{Client, Model, Runtime};

/// A latency cell: two decimals, or "-" when no request succeeded.
fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"))
}

/// The cell that stands for a run without numbers, or `None` when it has
/// them.
fn unmeasured(r: &Run) -> Option<String> {
    match &r.status {
        Status::Measured => None,
        Status::Failed(reason) => Some(format!("**failed**: {}", cell(reason))),
        Status::NotSupported(reason) => Some(format!("not supported: {}", cell(reason))),
    }
}

/// Text made safe for one table cell: one line, no column bars.
fn cell(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = line.replace('|', "/");
    if line.chars().count() > 160 {
        format!("{}...", line.chars().take(160).collect::<String>())
    } else {
        line
    }
}

/// A Markdown table that knows its columns: built with their headers,
/// it takes rows of as many cells, and a run without numbers is one row
/// whatever the columns are.
struct Table {
    columns: usize,
    out: String,
}

impl Table {
    /// A table with these column headers.
    fn new(headers: &[&str]) -> Self {
        let mut out = format!("| {} |\n", headers.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(headers.len()));
        Table {
            columns: headers.len(),
            out,
        }
    }

    /// One row: a cell per column (a short row is filled with "-").
    fn row(&mut self, cells: Vec<String>) {
        debug_assert!(cells.len() <= self.columns, "{cells:?}");
        let fill = self.columns.saturating_sub(cells.len());
        let cells: Vec<String> = cells
            .into_iter()
            .chain(std::iter::repeat_n("-".to_owned(), fill))
            .collect();
        let _ = writeln!(self.out, "| {} |", cells.join(" | "));
    }

    /// The row of a run without numbers, the first three columns being
    /// the tool, its requests in flight and its connections: those, why,
    /// and "-" for the rest.
    fn unmeasured(&mut self, name: String, r: &Run, why: String) {
        self.row(vec![
            name,
            r.concurrency.to_string(),
            r.connections.to_string(),
            why,
        ]);
    }

    fn finish(self) -> String {
        self.out
    }
}

/// A figure of `r` as a table shows it: with one round, its value
/// (`digits` decimals); with several, the median of the rounds' values and
/// their range, `68117 (64210–71004)`. "-" when no round has it.
fn figure(r: &Run, value: impl Fn(&Round) -> Option<f64>, digits: usize) -> String {
    let values: Vec<f64> = if r.rounds.is_empty() {
        value(&Round::of(r)).into_iter().collect()
    } else {
        r.rounds.iter().filter_map(&value).collect()
    };
    match Spread::of(&values) {
        None => "-".to_owned(),
        Some(s) if s.n == 1 => format!("{:.digits$}", s.median),
        Some(s) => format!(
            "{:.digits$} ({:.digits$}–{:.digits$})",
            s.median, s.min, s.max
        ),
    }
}

/// A tool's name as its row shows it: bold, and said, for a reference tool.
fn tool_name(tool: Tool) -> String {
    if tool.is_reference() {
        format!("**{tool}** (reference)")
    } else {
        tool.to_string()
    }
}

/// The checks cell: what the run's own measurements say against its
/// claim ("ok" when nothing is off; "-" for the reference tools, which
/// measure neither).
fn checks_text(r: &Run) -> String {
    if r.reference {
        return "-".to_owned();
    }
    let flags = r.checks();
    if flags.is_empty() {
        "ok".to_owned()
    } else {
        format!("**{}**", flags.join("; "))
    }
}

/// What the page says about the run as a whole, beside the tables.
#[derive(Debug, Clone)]
pub struct PageInfo<'a> {
    /// The run's id, the page's first words.
    pub run_id: &'a str,
    /// What produced the run, the page's first lines.
    pub environment: &'a Environment,
    /// "2026-11-27 09:00 UTC".
    pub date: &'a str,
    /// Cores of the machine.
    pub cores: usize,
    /// `uname -sr`.
    pub kernel: &'a str,
    /// Rounds each figure is the median of.
    pub rounds: usize,
    /// Threads of every async runtime and reference tool.
    pub threads: usize,
    /// Threads of the fixture servers this run started.
    pub server_threads: usize,
    /// Where the servers and the clients ran.
    pub placement: &'a Placement,
    /// Why the server's CPU is missing, when it ran apart (`--server`).
    pub remote_server: Option<&'a str>,
    /// CPUs the clients had: a thread count above it oversubscribes them.
    pub client_cpus: usize,
    /// What the run left out, a line each.
    pub left_out: &'a [String],
    /// Seconds every throughput run lasted, for every tool.
    pub seconds: u64,
    /// Whether the queued runs were made.
    pub queued: bool,
    /// Whether the memory runs were made.
    pub memory: bool,
    /// Seconds of each open-loop sweep run; `None` without a sweep.
    pub rate_seconds: Option<u64>,
    /// Requests in flight in the TLS scenarios, when they ran.
    pub tls_in_flight: Option<usize>,
    /// Whether the `upload` or `download` scenario ran.
    pub shapes: bool,
}

/// The whole `results.md`: the stamp, the answers, the method, every table, and the targets.
pub fn page(runs: &[Run], info: &PageInfo<'_>) -> String {
    let mut md = String::new();
    let date = info.date;
    md.push_str(&page_lines(info.run_id, info.environment));
    // What a reader came for first; the project's own targets at the end.
    let _ = writeln!(md, "\n## Answers ({date})\n");
    md.push_str(&answers_table(runs, info.rounds));
    md.push_str(
        "\nEach answer is the best combination and the runner-up among the runs that passed \
         their own checks with no error; \"beyond noise\" when their ranges do not overlap.\n",
    );
    if info.rounds > 1 {
        let _ = writeln!(
            md,
            "\nEach figure is the median of {} rounds (every tool once per round, one after the \
             other); in the throughput table with its range, (min–max), beside it. Every round's \
             figures are in results.json (`rounds`).",
            info.rounds
        );
    } else {
        md.push_str(
            "\n**One round**: no figure has a measured spread, so no difference on this page can \
             be told from noise (run without `--quick`, or with `--repeat 3`, for that).\n",
        );
    }
    let threads = |n: usize| format!("{n} thread{}", if n == 1 { "" } else { "s" });
    let server = match info.remote_server {
        Some(_) => "fetch-server started apart (`--server`)".to_owned(),
        None => format!(
            "fetch-server, {}, own process",
            threads(info.server_threads)
        ),
    };
    let _ = writeln!(
        md,
        "\nMachine: {} cores, {}, {date}. Server: {server}. \
         Same work for every tool: each throughput run lasts {} s (wrk `-d`, oha `-z`, each \
         combination `load -d`, each cutting off the requests in flight at the end), whatever its \
         rate. Combinations: `GET /users/{{id}}` decoded as JSON, worker {}, connections = \
         in flight unless the table says otherwise. wrk and oha: `GET /users/1`, body not decoded, \
         one connection per request in flight, {} (wrk `-t`, oha `--worker-threads`).\n",
        info.cores,
        info.kernel,
        info.seconds,
        threads(info.threads),
        threads(info.threads),
    );
    md.push_str(&placement_text(runs, info));
    if !info.left_out.is_empty() {
        md.push_str("Left out of this run:\n\n");
        for line in info.left_out {
            let _ = writeln!(md, "- {line}");
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "Checks: each combination measures the requests it really had in flight; a run whose \
         peak stayed under {:.0}% of what was asked is flagged, as is a throughput run whose \
         Little's law ratio (mean requests in flight over those asked for) is off by more than \
         {:.0}%, and a run whose client opened over {:.0}% more connections than its pool \
         (where the client counts them): it did not measure what its row says. \
         Failed requests are counted by kind and kept; a tool that crashed or printed no \
         report is a row that says so.\n",
        PEAK_SHARE * 100.0,
        LITTLE_TOLERANCE * 100.0,
        POOL_TOLERANCE * 100.0,
    );
    md.push_str("## Throughput\n\n");
    md.push_str(&table(runs));
    md.push_str("\nFastest combination at each concurrency:\n\n");
    for Fastest {
        concurrency: c,
        tool,
        requests_per_sec: rps,
        vs_wrk: ratio,
    } in fastest(runs)
    {
        let ratio = ratio.map_or_else(|| "no wrk run".to_owned(), |r| format!("{r:.2}x wrk"));
        let _ = writeln!(
            md,
            "- {c} in flight: {tool}, {rps:.0} requests/sec ({ratio})"
        );
    }
    md.push_str(
        "\n## One client, three runtimes: hyper on tokio, smol and compio\n\n\
         This project's hyper pool is the same code on every runtime (only the transport \
         differs: tokio's sockets, async-io's, compio's on io_uring), so these rows isolate the \
         runtime. compio runs `--threads` shards, a runtime and a pool on each thread, \
         `-c` and `--connections` split between them; tokio and smol run one pool on their \
         worker threads. CPU is the client process's, from GNU time (getrusage), split into \
         user and system time. compio's own client, cyper, follows for reference.\n\n",
    );
    md.push_str(&runtime_table(runs));
    if info.queued {
        md.push_str(
            "\n## More requests in flight than connections\n\n\
             The engine lets as many requests into the client as it has connections; \
             the rest wait in a first-come, first-served queue, and the wait counts in their latency.\n\n",
        );
        md.push_str(&queued_table(runs));
    }
    if info.memory {
        md.push_str(
            "\n## Memory per request in flight\n\n\
             Every request in flight at once on `/delay/1000` (the server answers after 1 s), \
             each on a connection of its own; the client's peak RSS divided by the requests.\n\n",
        );
        md.push_str(&memory_table(runs));
    }
    if let Some(c) = info.tls_in_flight {
        let _ = writeln!(
            md,
            "\n## HTTPS and HTTP/2\n\n\
             A second fetch-server process serves HTTPS (a CA made at start, TLS 1.3, ALPN h2 and \
             http/1.1); every client verifies its certificate against that CA (`--ca-cert`; oha \
             `--cacert`; h2load verifies nothing). {c} requests in flight, {} s each: `https` keeps \
             connections (one per request in flight), `https_new_connection` opens a connection and \
             does a handshake per request (`load --no-keepalive`, oha `--disable-keepalive`), `h2` \
             puts the {c} requests as streams on {} connections (`load --http2 --connections {}`, \
             oha `--http2 -c {} -p {}`, h2load `-c {} -m {}`). \"vs http\" is the same tool's \
             plain-http throughput run at the same in flight, where there is one. \"protocol\" is \
             what the answers came in (from the client's report), not what was asked.\n",
            info.seconds,
            H2_CONNECTIONS.min(c),
            H2_CONNECTIONS.min(c),
            H2_CONNECTIONS.min(c),
            c / H2_CONNECTIONS.min(c).max(1),
            H2_CONNECTIONS.min(c),
            c / H2_CONNECTIONS.min(c).max(1),
        );
        md.push_str(&tls_tables(runs));
    }
    if info.shapes {
        let _ = writeln!(
            md,
            "\n## Other shapes of work: uploads and downloads\n\n\
             The same request from every tool, {} s each, a connection per request in flight. \
             `upload`: {} KiB of JSON `POST`ed to `/echo` (which reads it whole and answers its \
             length and digest, a small answer), {} in flight (`load -m POST --body-file F -T \
             application/json`, oha `-m POST -D F -T application/json`). `download`: `GET \
             /bytes/{}` ({} KiB, streamed by the server), {} in flight, each body read and \
             dropped (`load --parse none`). \"vs oha\" divides by oha's figure of the same \
             scenario in the same rounds.\n",
            info.seconds,
            UPLOAD_BYTES / 1024,
            UPLOAD_IN_FLIGHT,
            DOWNLOAD_BYTES,
            DOWNLOAD_BYTES / 1024,
            DOWNLOAD_IN_FLIGHT,
        );
        md.push_str(&shape_tables(runs));
    }
    if let Some(seconds) = info.rate_seconds {
        let _ = writeln!(
            md,
            "\n## Latency against offered load (open loop)\n\n\
             Each combination (`load --rate R`) and oha (`-q R --latency-correction`) at fixed \
             shares of the fastest rate any tool reached with {SWEEP_IN_FLIGHT} in flight on kept \
             connections in the same round (among the runs that passed their checks), \
             {seconds} s each, at most {SWEEP_IN_FLIGHT} requests in flight. Latency counts from \
             when each request was due, so a request that had to wait (for the server, or for a \
             free slot) carries the wait: no coordinated omission. Each cell: p99 ms from the due \
             time (service-time p99 from the send), and the share of the offered rate achieved \
             when under 99%. Sustainable rate: the highest offered rate whose p99 stayed under \
             {} ms with no error and at least 99% of the rate achieved. latency.svg draws it.\n",
            target::SUSTAINABLE_P99_MS
        );
        md.push_str(&rate_table(runs));
        md.push_str(&pacer_precision(runs));
    }
    if runs.iter().any(|r| r.scenario == Scenario::Scaling) {
        let _ = writeln!(
            md,
            "\n## Scaling with threads\n\n\
             The closed loop at {SCALING_IN_FLIGHT} in flight (a connection each) at each thread \
             count: `--threads n` for each combination (n shards for compio, a runtime and a \
             client per thread), wrk `-t n`, oha `--worker-threads n`; the server's threads stay \
             as they are. Efficiency is rate(n) x first / (n x rate(first)), `first` being the \
             smallest count: 100% is a straight line from it. A count above the clients' {} \
             oversubscribes them: its column says so. scaling.svg draws it.\n",
            if info.client_cpus == 1 {
                "1 CPU".to_owned()
            } else {
                format!("{} CPUs", info.client_cpus)
            }
        );
        md.push_str(&scaling_table(runs, info.client_cpus));
    }
    let _ = writeln!(md, "\n## Targets\n");
    md.push_str(
        "The project's own goals, each beside what this run measured (their numbers are the \
         goals' issue numbers).\n\n",
    );
    md.push_str(&headline(runs));
    md
}

/// Where the processes ran: the placement, then the CPUs the client
/// processes reported (each set with how many runs reported it), and the
/// runs whose CPUs were not the clients' set.
fn placement_text(runs: &[Run], info: &PageInfo<'_>) -> String {
    let p = info.placement;
    let mut out = format!("Placement: {}.", p.note);
    let mut seen: Vec<(String, usize)> = Vec::new();
    let mut unread = 0;
    for r in runs.iter().filter(|r| r.status == Status::Measured) {
        match &r.cpus {
            Some(cpus) => {
                let cpus = cpus.to_string();
                match seen.iter_mut().find(|(set, _)| *set == cpus) {
                    Some((_, n)) => *n += 1,
                    None => seen.push((cpus, 1)),
                }
            }
            None => unread += 1,
        }
    }
    if !seen.is_empty() {
        let sets: Vec<String> = seen
            .iter()
            .map(|(set, n)| format!("CPUs {set} ({n} runs)"))
            .collect();
        let _ = write!(
            out,
            " The client processes reported (each its own affinity, read while it ran): {}.",
            sets.join(", ")
        );
    }
    if unread > 0 {
        let _ = write!(out, " {unread} runs could not be read.");
    }
    let expected = p.client_cpus.as_ref().unwrap_or(&p.allowed).to_string();
    if seen.iter().any(|(set, _)| *set != expected) {
        let _ = write!(
            out,
            " **Some client processes ran on CPUs other than the clients' set ({expected}).**"
        );
    }
    if let Some(why) = info.remote_server {
        let _ = write!(out, " Server CPU columns are empty: {why}.");
    }
    out.push_str("\n\n");
    out
}

/// Each value once, ascending.
fn distinct(values: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut values: Vec<usize> = values.collect();
    values.sort_unstable();
    values.dedup();
    values
}

/// The `scaling` runs: a row per tool, a column per thread count with its
/// requests/sec and efficiency against the tool's first count; counts
/// above `client_cpus` marked oversubscribed.
pub fn scaling_table(runs: &[Run], client_cpus: usize) -> String {
    let scaled: Vec<&Run> = runs
        .iter()
        .filter(|r| r.scenario == Scenario::Scaling)
        .collect();
    let counts = distinct(scaled.iter().filter_map(|r| r.threads));
    let mut tools: Vec<Tool> = Vec::new();
    for r in &scaled {
        if !tools.contains(&r.tool) {
            tools.push(r.tool);
        }
    }
    let headers: Vec<String> = std::iter::once("tool".to_owned())
        .chain(counts.iter().map(|&n| {
            let threads = if n == 1 { "thread" } else { "threads" };
            if n > client_cpus {
                let cpus = if client_cpus == 1 { "CPU" } else { "CPUs" };
                format!("{n} {threads} (oversubscribed: {client_cpus} client {cpus})")
            } else {
                format!("{n} {threads}")
            }
        }))
        .collect();
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut table = Table::new(&header_refs);
    for tool in tools {
        let at = |n: usize| {
            scaled
                .iter()
                .find(|r| r.tool == tool && r.threads == Some(n))
        };
        let first = counts.iter().find_map(|&n| {
            at(n).filter(|r| r.status == Status::Measured && r.requests_per_sec > 0.0)
        });
        let mut cells = vec![tool_name(tool)];
        for &n in &counts {
            cells.push(match at(n) {
                None => "-".to_owned(),
                Some(r) => match unmeasured(r) {
                    Some(why) => why,
                    None => {
                        let efficiency = first
                            .and_then(|f| Some((f.threads?, f.requests_per_sec)))
                            .map(|(n0, rate0)| r.requests_per_sec * n0 as f64 / (n as f64 * rate0));
                        match efficiency {
                            Some(e) => format!("{:.0} ({:.0}%)", r.requests_per_sec, e * 100.0),
                            None => format!("{:.0}", r.requests_per_sec),
                        }
                    }
                },
            });
        }
        table.row(cells);
    }
    table.finish()
}

/// A table per TLS scenario: every tool's throughput, CPU and connections,
/// each beside the same tool's plain-http run at the same in flight.
pub fn tls_tables(runs: &[Run]) -> String {
    let mut out = String::new();
    for scenario in Scenario::TLS {
        let rows: Vec<&Run> = runs.iter().filter(|r| r.scenario == scenario).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n### `{}`\n", scenario.name());
        let mut table = Table::new(&[
            "tool",
            "in flight",
            "connections",
            "requests/sec",
            "vs http",
            "p50 ms",
            "p99 ms",
            "client CPU s per 10k",
            "vs http",
            "connections opened",
            "new connections/sec",
            "protocol",
            "errors",
            "checks",
        ]);
        for r in rows {
            if let Some(why) = unmeasured(r) {
                table.unmeasured(tool_name(r.tool), r, why);
                continue;
            }
            let http = plain(runs, r.tool, r.concurrency);
            let versus = |this: f64, that: Option<f64>| {
                that.filter(|t| *t > 0.0)
                    .map_or_else(|| "-".to_owned(), |t| format!("{:.2}x", this / t))
            };
            let opened = r
                .connections_opened
                .map_or_else(|| "-".to_owned(), |n| n.to_string());
            // Handshakes per second, where each request made one.
            let per_sec = r
                .connections_per_sec()
                .filter(|_| scenario == Scenario::HttpsNewConnection)
                .map_or_else(|| "-".to_owned(), |n| format!("{n:.0}"));
            table.row(vec![
                tool_name(r.tool),
                r.concurrency.to_string(),
                r.connections.to_string(),
                format!("{:.0}", r.requests_per_sec),
                versus(r.requests_per_sec, http.map(|h| h.requests_per_sec)),
                ms(r.p50_ms),
                ms(r.p99_ms),
                format!("{:.3}", r.cpu_per_10k()),
                versus(r.cpu_per_10k(), http.map(Run::cpu_per_10k)),
                opened,
                per_sec,
                r.http_version.as_deref().unwrap_or("-").to_owned(),
                r.errors_text(),
                checks_text(r),
            ]);
        }
        out.push_str(&table.finish());
    }
    out
}

/// A table each for `upload` (requests/sec, CPU per 10k requests) and
/// `download` (MiB/s, CPU per MiB), every tool beside oha's figure.
pub fn shape_tables(runs: &[Run]) -> String {
    let mut out = String::new();
    for scenario in Scenario::SHAPES {
        let rows: Vec<&Run> = runs.iter().filter(|r| r.scenario == scenario).collect();
        if rows.is_empty() {
            continue;
        }
        let oha = rows
            .iter()
            .copied()
            .find(|r| r.tool == Tool::OHA && r.status == Status::Measured);
        let _ = writeln!(out, "\n### `{}`\n", scenario.name());
        let upload = scenario == Scenario::Upload;
        let mut table = Table::new(&[
            "tool",
            "in flight",
            if upload { "requests/sec" } else { "MiB/s" },
            "vs oha",
            "p50 ms",
            "p99 ms",
            if upload {
                "client CPU s per 10k"
            } else {
                "client CPU ms per MiB"
            },
            "errors",
            "checks",
        ]);
        let figure = |r: &Run| shape_figure(scenario, r);
        let cost = |r: &Run| {
            if upload {
                Some(r.cpu_per_10k())
            } else {
                r.cpu_per_mib().map(|s| s * 1000.0)
            }
        };
        for r in rows {
            if let Some(why) = unmeasured(r) {
                table.unmeasured(tool_name(r.tool), r, why);
                continue;
            }
            let versus = match (figure(r), oha.and_then(figure)) {
                (Some(this), Some(that)) if that > 0.0 => format!("{:.2}x", this / that),
                _ => "-".to_owned(),
            };
            let number = |v: Option<f64>, decimals: usize| {
                v.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
            };
            table.row(vec![
                tool_name(r.tool),
                r.concurrency.to_string(),
                number(figure(r), if upload { 0 } else { 1 }),
                versus,
                ms(r.p50_ms),
                ms(r.p99_ms),
                number(cost(r), 3),
                r.errors_text(),
                checks_text(r),
            ]);
        }
        out.push_str(&table.finish());
    }
    out
}

/// The figure a run of an `upload` (requests/sec) or a `download` (MiB/s
/// of bodies; `None` where the tool does not count bytes) is ranked by.
fn shape_figure(scenario: Scenario, r: &Run) -> Option<f64> {
    match scenario {
        Scenario::Upload => Some(r.requests_per_sec),
        _ => r.mib_per_sec(),
    }
}

/// The fastest combination of `upload` (requests/sec) and `download`
/// (MiB/s) against oha's: the headline's rows 8 and 9.
fn shapes_headline(runs: &[Run], out: &mut String) {
    for (row, scenario) in [(8, Scenario::Upload), (9, Scenario::Download)] {
        let measured = |r: &&Run| r.scenario == scenario && r.status == Status::Measured;
        let figure = |r: &Run| shape_figure(scenario, r);
        let unit = if scenario == Scenario::Upload {
            "requests/sec"
        } else {
            "MiB/s"
        };
        let Some(best) = runs
            .iter()
            .filter(measured)
            .filter(|r| !r.reference)
            .max_by(|a, b| {
                figure(a)
                    .unwrap_or(0.0)
                    .total_cmp(&figure(b).unwrap_or(0.0))
            })
        else {
            continue;
        };
        let Some(oha) = runs.iter().filter(measured).find(|r| r.tool == Tool::OHA) else {
            continue;
        };
        let (Some(this), Some(that)) = (figure(best), figure(oha).filter(|v| *v > 0.0)) else {
            continue;
        };
        let _ = writeln!(
            out,
            "| {row}. {}: {unit} vs oha, {} in flight | {} {this:.1} / oha {that:.1} = {:.2}x | for comparison | |",
            scenario.name(),
            best.concurrency,
            best.tool,
            this / that,
        );
    }
}

/// The fastest combination of a TLS scenario against each reference tool
/// that ran it: the headline's rows 7.
fn tls_headline(runs: &[Run], out: &mut String) {
    for scenario in Scenario::TLS {
        let measured = |r: &&Run| r.scenario == scenario && r.status == Status::Measured;
        let Some(best) = runs
            .iter()
            .filter(measured)
            .filter(|r| !r.reference)
            .max_by(|a, b| a.requests_per_sec.total_cmp(&b.requests_per_sec))
        else {
            continue;
        };
        for tool in [Tool::OHA, Tool::H2LOAD] {
            let Some(reference) = runs
                .iter()
                .filter(measured)
                .find(|r| r.tool == tool && r.requests_per_sec > 0.0)
            else {
                continue;
            };
            let _ = writeln!(
                out,
                "| 7. {}: requests/sec vs {tool}, {} in flight | {} {:.0} / {tool} {:.0} = {:.2}x (client CPU s per 10k: {:.3} / {:.3}) | for comparison | |",
                scenario.name(),
                best.concurrency,
                best.tool,
                best.requests_per_sec,
                reference.requests_per_sec,
                best.requests_per_sec / reference.requests_per_sec,
                best.cpu_per_10k(),
                reference.cpu_per_10k(),
            );
        }
    }
}

/// The pacer's precision: each combination's worst start delay at the
/// share of saturation offered nearest 50%, and its p99 beside the
/// service p99 there (the pacer should add no latency of its own at a
/// rate the combination sustains).
fn pacer_precision(runs: &[Run]) -> String {
    let sweep: Vec<&Run> = runs
        .iter()
        .filter(|r| r.scenario == Scenario::Rate && !r.reference && r.status == Status::Measured)
        .collect();
    let Some(share) = sweep
        .iter()
        .filter_map(|r| r.fraction)
        .min_by(|a, b| (a - 0.5).abs().total_cmp(&(b - 0.5).abs()))
    else {
        return String::new();
    };
    let mut out = format!(
        "\nThe pacer at {:.0}% of saturation: worst start delay (ms after due), p99 from the due time against service p99, and the pacer's own CPU:\n\n",
        share * 100.0
    );
    for r in sweep.iter().filter(|r| r.fraction == Some(share)) {
        let cost = r
            .pacer_share()
            .map(|(runs_as, cpu)| {
                format!(
                    "; pacer a {}, {:.1}% of a core",
                    runs_as.name(),
                    cpu * 100.0
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- {}: {} ms; p99 {} ms, service p99 {} ms{cost}",
            r.tool,
            ms(r.max_start_delay_ms),
            ms(r.p99_ms),
            ms(r.service_p99_ms)
        );
    }
    out
}

/// The open-loop sweep: one row per tool, one column per share of the
/// saturation rate.
pub fn rate_table(runs: &[Run]) -> String {
    let rate_runs: Vec<&Run> = runs
        .iter()
        .filter(|r| r.scenario == Scenario::Rate)
        .collect();
    let mut fractions: Vec<f64> = rate_runs.iter().filter_map(|r| r.fraction).collect();
    fractions.sort_by(f64::total_cmp);
    fractions.dedup();
    let mut tools: Vec<Tool> = Vec::new();
    for r in &rate_runs {
        if !tools.contains(&r.tool) {
            tools.push(r.tool);
        }
    }
    let mut out = String::new();
    let header: Vec<String> = fractions
        .iter()
        .map(|f| {
            // Each round offers its own share of its own saturation rate,
            // so the tools' median rounds may differ a little: give the
            // range.
            let rates = rate_runs
                .iter()
                .filter(|r| r.fraction == Some(*f))
                .filter_map(|r| r.rate);
            let (low, high) = rates.fold((f64::INFINITY, 0.0_f64), |(lo, hi), r| {
                (lo.min(r), hi.max(r))
            });
            if low < high {
                format!("{:.0}% ({low:.0}-{high:.0}/s)", f * 100.0)
            } else {
                format!("{:.0}% ({high:.0}/s)", f * 100.0)
            }
        })
        .collect();
    let _ = writeln!(out, "| tool | {} | sustainable rate |", header.join(" | "));
    let _ = writeln!(out, "|---|{}---|", "---|".repeat(fractions.len()));
    for tool in tools {
        let cells: Vec<String> = fractions
            .iter()
            .map(|f| {
                let Some(r) = rate_runs
                    .iter()
                    .find(|r| r.tool == tool && r.fraction == Some(*f))
                else {
                    return "-".to_owned();
                };
                if let Some(why) = unmeasured(r) {
                    return why;
                }
                rate_cell(r)
            })
            .collect();
        let sustainable = sustainable_rate(runs, tool)
            .map_or_else(|| "none measured".to_owned(), |r| format!("{r:.0}/s"));
        let _ = writeln!(
            out,
            "| {} | {} | {sustainable} |",
            tool_name(tool),
            cells.join(" | ")
        );
    }
    out
}

/// One sweep cell: corrected p99, service p99, and what was off.
fn rate_cell(r: &Run) -> String {
    let mut cell = ms(r.p99_ms);
    if let Some(service) = r.service_p99_ms {
        let _ = write!(cell, " ({service:.2})");
    }
    if let Some(share) = r.achieved_share()
        && share < SUSTAINED_SHARE
    {
        let _ = write!(cell, ", {:.0}% sent", share * 100.0);
    }
    if r.error_count() > 0 {
        let _ = write!(cell, ", {} errors", r.error_count());
    }
    let flags = r.checks();
    if !flags.is_empty() {
        let _ = write!(cell, ", **{}**", flags.join("; "));
    }
    cell
}

/// The share of the offered rate a sweep run must achieve to count as
/// sustained.
const SUSTAINED_SHARE: f64 = 0.99;

/// The highest rate `tool` was offered and sustained: p99 from the due
/// time under the target, no error, and at least 99% of the rate achieved.
pub fn sustainable_rate(runs: &[Run], tool: Tool) -> Option<f64> {
    runs.iter()
        .filter(|r| r.tool == tool && r.scenario == Scenario::Rate && r.status == Status::Measured)
        .filter(|r| {
            r.p99_ms.is_some_and(|p99| p99 < target::SUSTAINABLE_P99_MS)
                && r.error_count() == 0
                && r.problem().is_none()
                && r.achieved_share().is_some_and(|s| s >= SUSTAINED_SHARE)
        })
        .filter_map(|r| r.rate)
        .reduce(f64::max)
}

/// The Markdown table of every run, grouped by concurrency, each with its
/// ratio to wrk's requests/sec at the same concurrency.
pub fn table(runs: &[Run]) -> String {
    let mut table = Table::new(&[
        "tool",
        "in flight",
        "connections",
        "requests",
        "requests/sec",
        "ratio to wrk",
        "p50 ms",
        "p99 ms",
        "client CPU s per 10k",
        "server CPU s per 10k",
        "peak RSS MB",
        "errors",
        "checks",
    ]);
    let runs: Vec<&Run> = runs
        .iter()
        .filter(|r| r.scenario == Scenario::Throughput)
        .collect();
    for c in distinct(runs.iter().map(|r| r.concurrency)) {
        let wrk = runs
            .iter()
            .find(|r| r.tool == Tool::WRK && r.concurrency == c)
            .map(|r| r.requests_per_sec);
        for r in runs.iter().filter(|r| r.concurrency == c) {
            if let Some(why) = unmeasured(r) {
                table.unmeasured(tool_name(r.tool), r, why);
                continue;
            }
            let ratio = wrk.filter(|w| *w > 0.0).map_or_else(
                || "-".to_owned(),
                |w| format!("{:.2}x", r.requests_per_sec / w),
            );
            table.row(vec![
                tool_name(r.tool),
                c.to_string(),
                r.connections.to_string(),
                r.requests.to_string(),
                figure(r, |x| Some(x.requests_per_sec), 0),
                ratio,
                figure(r, |x| x.p50_ms, 2),
                figure(r, |x| x.p99_ms, 2),
                figure(r, Round::cpu_per_10k, 3),
                r.server_cpu_per_10k()
                    .map_or_else(|| "-".to_owned(), |s| format!("{s:.3}")),
                figure(r, |x| Some(x.peak_rss_kb as f64 / 1024.0), 1),
                r.errors_text(),
                checks_text(r),
            ]);
        }
    }
    table.finish()
}

/// The client every runtime is measured with in [`runtime_table`].
const SAME_CLIENT: Client = Client::Hyper;
/// The runtime the others are set against there.
const BASE_RUNTIME: Runtime = Runtime::Tokio;

/// One client, each runtime: every `*+hyper` throughput run (this
/// project's pool, so only the runtime differs) beside `tokio+hyper` at
/// the same in flight, with the client's CPU split into user and system
/// time (the system part is where epoll or io_uring shows), its peak RSS,
/// and the memory run's KiB per request in flight. A thread-per-core
/// runtime's own clients (compio+cyper) are listed after, for reference.
pub fn runtime_table(runs: &[Run]) -> String {
    let vs = format!("vs {BASE_RUNTIME}+{SAME_CLIENT}");
    let mut table = Table::new(&[
        "tool",
        "in flight",
        "requests/sec",
        &vs,
        "CPU s per 10k: user",
        "system",
        "system share",
        "peak RSS MB",
        "KiB per request (memory run)",
        "errors",
    ]);
    let same_client = |r: &Run| r.tool.combo().is_some_and(|c| c.client == SAME_CLIENT);
    // A connection per request in flight: the queued runs (fewer
    // connections) have their own table.
    let shown = |r: &&Run| {
        !r.reference
            && r.connections == r.concurrency
            && (same_client(r) || r.tool.has_model(Model::ThreadPerCore))
    };
    let throughput: Vec<&Run> = runs
        .iter()
        .filter(|r| r.scenario == Scenario::Throughput)
        .filter(shown)
        .collect();
    let memory = |tool: Tool| {
        runs.iter()
            .find(|r| r.scenario == Scenario::Memory && r.tool == tool && unmeasured(r).is_none())
            .map(|r| (r.concurrency, r.kib_per_request()))
    };
    let concurrencies = distinct(throughput.iter().map(|r| r.concurrency));
    let base = |r: &Run| {
        r.tool
            .combo()
            .is_some_and(|c| (c.runtime, c.client) == (BASE_RUNTIME, SAME_CLIENT))
    };
    for c in concurrencies {
        let mut rows: Vec<&&Run> = throughput.iter().filter(|r| r.concurrency == c).collect();
        // The same client first, then the others.
        rows.sort_by_key(|r| !same_client(r));
        let base_rps = rows
            .iter()
            .find(|r| base(r) && unmeasured(r).is_none())
            .map(|r| r.requests_per_sec);
        for r in rows {
            if let Some(why) = unmeasured(r) {
                // This table has no connections column: why goes third.
                table.row(vec![r.tool.to_string(), c.to_string(), why]);
                continue;
            }
            let vs = base_rps.filter(|b| *b > 0.0).map_or_else(
                || "-".to_owned(),
                |b| format!("{:.2}x", r.requests_per_sec / b),
            );
            let system = r.per_10k(r.cpu_system_s);
            let user = r.cpu_per_10k() - system;
            let share = if r.cpu_s > 0.0 {
                format!("{:.0}%", 100.0 * r.cpu_system_s / r.cpu_s)
            } else {
                "-".to_owned()
            };
            let memory = memory(r.tool).map_or_else(
                || "-".to_owned(),
                |(n, kib)| format!("{kib:.1} ({n} in flight)"),
            );
            table.row(vec![
                r.tool.to_string(),
                c.to_string(),
                format!("{:.0}", r.requests_per_sec),
                vs,
                format!("{user:.3}"),
                format!("{system:.3}"),
                share,
                format!("{:.1}", r.peak_rss_kb as f64 / 1024.0),
                memory,
                r.errors_text(),
            ]);
        }
    }
    table.finish()
}

/// The fastest combination at one concurrency.
#[derive(Debug, Clone, PartialEq)]
pub struct Fastest {
    /// Requests in flight.
    pub concurrency: usize,
    /// The combination.
    pub tool: Tool,
    /// Its requests/sec.
    pub requests_per_sec: f64,
    /// Its ratio to wrk at the same concurrency, when wrk ran.
    pub vs_wrk: Option<f64>,
}

/// The fastest combination (not a reference tool) at each concurrency, with
/// its ratio to wrk.
pub fn fastest(runs: &[Run]) -> Vec<Fastest> {
    distinct(runs.iter().filter(|r| r.is_plain()).map(|r| r.concurrency))
        .into_iter()
        .filter_map(|c| {
            let best = runs
                .iter()
                .filter(|r| !r.reference && r.is_plain() && r.concurrency == c)
                .max_by(|a, b| a.requests_per_sec.total_cmp(&b.requests_per_sec))?;
            let wrk = runs
                .iter()
                .find(|r| r.tool == Tool::WRK && r.concurrency == c)
                .map(|r| r.requests_per_sec)
                .filter(|w| *w > 0.0);
            Some(Fastest {
                concurrency: c,
                tool: best.tool,
                requests_per_sec: best.requests_per_sec,
                vs_wrk: wrk.map(|w| best.requests_per_sec / w),
            })
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
    /// The p99 (from the due time) under which an open-loop rate counts
    /// as sustained, ms.
    pub const SUSTAINABLE_P99_MS: f64 = 10.0;
    /// tokio + hyper's requests/sec under the engine over the bare loop's
    /// (the median of the per-round ratios), at least.
    pub const ENGINE_VS_BARE: f64 = 0.97;
    /// The same for the hyper pool on the other runtimes, at least.
    pub const ENGINE_VS_BARE_ELSEWHERE: f64 = 0.95;
}

/// What the engine must reach of `bare`'s requests/sec: goal 3.
fn bare_target(bare: ReferenceTool) -> f64 {
    match bare {
        ReferenceTool::BareTokioHyper => target::ENGINE_VS_BARE,
        ReferenceTool::BareSmolHyper | ReferenceTool::BareCompioHyper => {
            target::ENGINE_VS_BARE_ELSEWHERE
        }
        // Not bare loops: nothing divides by them here.
        ReferenceTool::Wrk | ReferenceTool::Oha | ReferenceTool::H2load => 0.0,
    }
}

/// Goal 3, the harness's cost: each bare loop's plain runs beside the
/// engine's run of the same runtime and client at the same in flight;
/// the figure is the median of the per-round ratios (engine over bare,
/// each round's two runs made minutes apart at most), with their range.
fn engine_vs_bare(runs: &[Run], out: &mut String) {
    for tool in ReferenceTool::BARE {
        let Some((runtime, client)) = tool.bare_of() else {
            continue;
        };
        for bare in runs
            .iter()
            .filter(|r| r.tool == Tool::Reference(tool) && r.is_plain())
        {
            let c = bare.concurrency;
            let engine = runs.iter().find(|r| {
                r.tool
                    .combo()
                    .is_some_and(|k| k.runtime == runtime && k.client == client)
                    && r.concurrency == c
                    && r.is_plain()
            });
            let Some((engine, ratio)) = engine.and_then(|e| Some((e, Spread::of_ratios(e, bare)?)))
            else {
                continue;
            };
            let Spread {
                median,
                min,
                max,
                n,
            } = ratio;
            let goal = bare_target(tool);
            let _ = writeln!(
                out,
                "| 3. engine / bare, {c} in flight | {} / {}: {median:.2}x ({min:.2}-{max:.2}, {n} round{}) | >= {goal:.2}x | {} |",
                engine.tool,
                bare.tool,
                if n == 1 { "" } else { "s" },
                met(median >= goal)
            );
        }
    }
}

fn met(ok: bool) -> &'static str {
    if ok { "yes" } else { "**no**" }
}

fn plain(runs: &[Run], tool: Tool, c: usize) -> Option<&Run> {
    runs.iter()
        .find(|r| r.tool == tool && r.concurrency == c && r.is_plain())
}

/// A queued run (more in flight than connections) with the same tool's
/// plain run at as many in flight as the queued run had connections.
fn queued_pairs(runs: &[Run]) -> Vec<(&Run, Option<&Run>)> {
    runs.iter()
        .filter(|r| r.scenario == Scenario::Throughput && r.connections < r.concurrency)
        .map(|q| (q, plain(runs, q.tool, q.connections)))
        .collect()
}

/// The "headline" block: each performance goal, what this run measured
/// for it, the target, and whether it was met.
pub fn headline(runs: &[Run]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| goal | measured | target | met |");
    let _ = writeln!(out, "|---|---|---|---|");
    for Fastest {
        concurrency: c,
        tool,
        requests_per_sec: rps,
        ..
    } in fastest(runs)
    {
        let Some(best) = plain(runs, tool, c) else {
            continue;
        };
        if let Some(oha) = plain(runs, Tool::OHA, c).filter(|o| o.requests_per_sec > 0.0) {
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
        if let Some(wrk) = plain(runs, Tool::WRK, c).filter(|w| w.requests_per_sec > 0.0) {
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
    engine_vs_bare(runs, &mut out);
    let memory = |threads: bool| {
        runs.iter()
            .filter(|r| r.scenario == Scenario::Memory)
            .filter(move |r| r.tool.has_model(Model::ThreadPerTask) == threads)
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
    let mut rate_tools: Vec<Tool> = Vec::new();
    for r in runs.iter().filter(|r| r.scenario == Scenario::Rate) {
        if !rate_tools.contains(&r.tool) {
            rate_tools.push(r.tool);
        }
    }
    for tool in rate_tools {
        let sustained = sustainable_rate(runs, tool).map_or_else(
            || "none of the rates offered".to_owned(),
            |r| format!("{r:.0}/s"),
        );
        let _ = writeln!(
            out,
            "| 6. sustainable rate (open loop, p99 from due time < {:.0} ms, nothing lost, >= 99% sent), {tool} | {sustained} | for comparison | |",
            target::SUSTAINABLE_P99_MS
        );
    }
    tls_headline(runs, &mut out);
    shapes_headline(runs, &mut out);
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
    let mut table = Table::new(&[
        "tool",
        "in flight",
        "connections",
        "requests/sec",
        "p50 ms",
        "p99 ms",
        "same tool, in flight = connections",
        "ratio",
        "errors",
        "checks",
    ]);
    for (q, base) in queued_pairs(runs) {
        if let Some(why) = unmeasured(q) {
            table.unmeasured(q.tool.to_string(), q, why);
            continue;
        }
        let (base_rps, ratio) = base.filter(|b| b.requests_per_sec > 0.0).map_or_else(
            || ("-".to_owned(), "-".to_owned()),
            |b| {
                (
                    format!("{:.0}", b.requests_per_sec),
                    format!("{:.2}x", q.requests_per_sec / b.requests_per_sec),
                )
            },
        );
        table.row(vec![
            q.tool.to_string(),
            q.concurrency.to_string(),
            q.connections.to_string(),
            format!("{:.0}", q.requests_per_sec),
            ms(q.p50_ms),
            ms(q.p99_ms),
            base_rps,
            ratio,
            q.errors_text(),
            checks_text(q),
        ]);
    }
    table.finish()
}

/// Peak memory per request in flight, one row per memory run.
pub fn memory_table(runs: &[Run]) -> String {
    let mut table = Table::new(&[
        "tool",
        "in flight",
        "connections",
        "peak RSS MB",
        "KiB per request",
        "elapsed s",
        "ok",
        "errors",
        "checks",
    ]);
    for r in runs.iter().filter(|r| r.scenario == Scenario::Memory) {
        if let Some(why) = unmeasured(r) {
            table.unmeasured(r.tool.to_string(), r, why);
            continue;
        }
        table.row(vec![
            r.tool.to_string(),
            r.concurrency.to_string(),
            r.connections.to_string(),
            format!("{:.1}", r.peak_rss_kb as f64 / 1024.0),
            format!("{:.1}", r.kib_per_request()),
            format!("{:.2}", r.elapsed_s),
            r.ok.to_string(),
            r.errors_text(),
            checks_text(r),
        ]);
    }
    table.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(tool: &str, c: usize, rps: f64) -> Run {
        Run::sample(tool, c, rps)
    }

    fn tool(name: &str) -> Tool {
        Tool::parse(name).unwrap()
    }

    #[test]
    fn the_runtime_table_sets_each_runtime_against_tokio_with_the_same_client() {
        let mut compio = run("compio+hyper", 100, 25_000.0);
        compio.cpu_system_s = 0.1;
        let mut memory = run("compio+hyper", 10_000, 1.0);
        memory.scenario = Scenario::Memory;
        memory.peak_rss_kb = 200_000;
        let mut queued = run("tokio+hyper", 100, 99_000.0);
        queued.connections = 10;
        let runs = [
            queued,
            run("wrk", 100, 100_000.0),
            run("tokio+reqwest", 100, 10_000.0),
            run("compio+cyper", 100, 20_000.0),
            compio,
            run("tokio+hyper", 100, 50_000.0),
            memory,
        ];
        let t = runtime_table(&runs);
        // 1,000 requests, 0.5 s CPU of which 0.1 system: per 10k, 4.0 user
        // and 1.0 system.
        assert!(
            t.contains("| compio+hyper | 100 | 25000 | 0.50x | 4.000 | 1.000 | 20% | 2.0 | 20.0 (10000 in flight) | 0 |"),
            "{t}"
        );
        assert!(t.contains("| tokio+hyper | 100 | 50000 | 1.00x |"), "{t}");
        // The run on fewer connections than requests in flight is not.
        assert!(!t.contains("99000"), "{t}");
        assert!(t.contains("| compio+cyper | 100 | 20000 | 0.40x |"), "{t}");
        // Another client on another runtime, and the reference tools, are not in it.
        assert!(!t.contains("tokio+reqwest") && !t.contains("wrk"), "{t}");
        // hyper's rows come before cyper's.
        assert!(t.find("compio+hyper") < t.find("compio+cyper"), "{t}");
    }

    #[test]
    fn table_has_ratios_to_wrk_and_fastest_picks_combinations_only() {
        let runs = [
            run("wrk", 100, 100_000.0),
            run("oha", 100, 120_000.0),
            run("tokio+hyper", 100, 50_000.0),
            run("smol+hyper", 100, 40_000.0),
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
            vec![Fastest {
                concurrency: 100,
                tool: tool("tokio+hyper"),
                requests_per_sec: 50_000.0,
                vs_wrk: Some(0.5)
            }]
        );
    }

    #[test]
    fn rows_without_numbers_say_why_and_checks_flag_what_is_off() {
        let mut short = run("threads+ureq", 10_000, 2_000.0);
        short.peak_in_flight = Some(9_000);
        short.littles_law = Some(0.6);
        let runs = [
            run("tokio+hyper", 10_000, 50_000.0),
            Run::failed(
                tool("smol+surf"),
                10_000,
                "printed no report:\nexit | 101".into(),
            ),
            Run::not_supported(tool("async-std+surf"), 10_000, "no HTTP/2".into()),
            short,
        ];
        let t = table(&runs);
        assert!(
            t.contains(
                "| smol+surf | 10000 | 10000 | **failed**: printed no report: exit / 101 | - |"
            ),
            "{t}"
        );
        assert!(
            t.contains("| async-std+surf | 10000 | 10000 | not supported: no HTTP/2 | - |"),
            "{t}"
        );
        assert!(
            t.contains("| **at most 9000 in flight (90%); Little's law 0.60** |"),
            "{t}"
        );
        // Every row has the header's number of cells.
        for line in t.lines() {
            assert_eq!(line.matches('|').count(), 14, "{line}");
        }
        // A failed run is never the fastest.
        assert_eq!(fastest(&runs)[0].tool, tool("tokio+hyper"));
    }

    #[test]
    fn headline_compares_each_goal_with_its_target() {
        let mut oha = run("oha", 1000, 100_000.0);
        oha.cpu_s = 1.0;
        let mut best = run("tokio+hyper", 1000, 110_000.0);
        best.cpu_s = 0.8;
        let mut queued = run("tokio+hyper", 10_000, 60_000.0);
        queued.connections = 1000;
        let mut memory = run("smol+hyper", 10_000, 9_000.0);
        memory.scenario = Scenario::Memory;
        memory.peak_rss_kb = 80_000;
        let mut threads = memory.clone();
        threads.tool = tool("threads+ureq");
        threads.peak_rss_kb = 1_200_000;
        let runs = [
            run("wrk", 1000, 125_000.0),
            oha,
            best,
            run("smol+hyper", 1000, 90_000.0),
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
    fn the_sustainable_rate_is_the_highest_kept_under_target_with_nothing_lost() {
        let swept = |tool: &str, fraction: f64, achieved: f64, p99: f64| {
            let rate = (100_000.0 * fraction).round();
            let mut r = run(tool, 100, rate * achieved);
            r.scenario = Scenario::Rate;
            r.rate = Some(rate);
            r.fraction = Some(fraction);
            r.p99_ms = Some(p99);
            r.service_p99_ms = (tool != "oha").then_some(p99 / 2.0);
            r
        };
        let mut with_errors = swept("tokio+hyper", 0.9, 1.0, 4.0);
        with_errors.ok = 990;
        with_errors.errors.insert("timeout".into(), 10);
        let runs = [
            swept("oha", 0.5, 1.0, 1.0),
            swept("oha", 0.9, 1.0, 9.0),
            swept("oha", 1.1, 0.93, 900.0),
            swept("tokio+hyper", 0.5, 1.0, 2.0),
            with_errors,
            swept("tokio+hyper", 1.1, 0.995, 8.0),
            swept("smol+hyper", 0.5, 0.97, 3.0),
        ];
        assert_eq!(sustainable_rate(&runs, Tool::OHA), Some(90_000.0));
        // 110% kept its p99 under 10 ms and sent 99.5%: the highest.
        assert_eq!(
            sustainable_rate(&runs, tool("tokio+hyper")),
            Some(110_000.0)
        );
        // Only 97% of the rate went out: not sustained.
        assert_eq!(sustainable_rate(&runs, tool("smol+hyper")), None);
        let table = rate_table(&runs);
        assert!(
            table.starts_with(
                "| tool | 50% (50000/s) | 90% (90000/s) | 110% (110000/s) | sustainable rate |"
            ),
            "{table}"
        );
        assert!(
            table.contains("| **oha** (reference) | 1.00 | 9.00 | 900.00, 93% sent | 90000/s |"),
            "{table}"
        );
        assert!(
            table.contains(
                "| tokio+hyper | 2.00 (1.00) | 4.00 (2.00), 10 errors | 8.00 (4.00) | 110000/s |"
            ),
            "{table}"
        );
        assert!(
            table.contains("| smol+hyper | 3.00 (1.50), 97% sent | - | - | none measured |"),
            "{table}"
        );
        let mut slow_start = runs[3].clone();
        slow_start.max_start_delay_ms = Some(1.5);
        let line = "- tokio+hyper: 1.50 ms; p99 2.00 ms, service p99 1.00 ms";
        assert!(pacer_precision(std::slice::from_ref(&slow_start)).contains(&format!("{line}\n")));
        // The pacer's CPU, where the report gives it: 0.05 s of a 2 s run.
        slow_start.elapsed_s = 2.0;
        slow_start.config = serde_json::json!({"pacer_runs_as": "task", "pacer_cpu_s": 0.05});
        assert!(
            pacer_precision(&[slow_start])
                .contains(&format!("{line}; pacer a task, 2.5% of a core\n"))
        );
        let h = headline(&runs);
        assert!(h.contains("sustainable rate (open loop, p99 from due time < 10 ms, nothing lost, >= 99% sent), tokio+hyper | 110000/s |"), "{h}");
    }
}
