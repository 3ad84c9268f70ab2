//! Bare reference loops: hyper's HTTP/1 client on one runtime with nothing
//! around it, the instrument the load engine is measured against.
//!
//! A comparison of runtimes is only as sharp as its harness is thin: what
//! the load engine spends per request (its gate, pool, timeouts, redirect
//! handling, accounting) is added to every combination it drives. These
//! loops spend nothing of the kind. Each of `-c` tasks opens one
//! connection (`hyper::client::conn::http1`) and, until the time is up,
//! sends the same request the engine sends (`GET`, the same `Host`,
//! `User-Agent` and `Accept`, `/users/{id}` with a new id each time from
//! one shared counter), reads the body and decodes it as the engine's
//! `--parse user` does ([`fetch_core::decode_user`]). The task drives its
//! own connection while it waits, as the engine's pool does, so there is
//! one task per connection and nothing else.
//!
//! What it keeps is what it must to report: a count of ok answers, errors
//! by kind, and each request's latency (a `Vec<u32>` of microseconds per
//! connection, made into one histogram at the end). It has no per-request
//! timeout: a watchdog ends the whole process with an error when a run
//! outlasts its duration by [`WATCHDOG_GRACE`], so a server that stops
//! answering cannot hang it. It is not a combination (the registry does
//! not list it and `load` does not run it): `scripts/compare` runs it
//! beside wrk and oha, and the engine's rows are divided by it.
//!
//! # Layout
//! - [`Args`]: the command line every bare binary takes.
//! - [`Target`]: the URL, split once into host, port and path around `{id}`.
//! - [`Run`]: what every connection of a run shares; [`Run::connection`],
//!   one connection's loop.
//! - [`on_tokio`]: the tokio loop, shared by its binary and `cargo bench`.
//! - [`Tally`]: what a connection counts; [`BareReport`]: the JSON the
//!   binary prints, which `compare` reads back.
//! - [`main`]: parse, run under the watchdog, print.
//! - `src/bin/`: one binary per runtime (tokio, smol, compio), each only
//!   its runtime's spawning and connecting.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{ACCEPT, HOST, HeaderValue, USER_AGENT};
use serde::{Deserialize, Serialize};

/// How long past its duration a run may go before the watchdog ends it.
pub const WATCHDOG_GRACE: Duration = Duration::from_secs(30);

/// The command line of every bare binary.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    version,
    about = "A bare hyper loop: the reference the load engine is measured against."
)]
pub struct Args {
    /// The URL to ask, `http://` only; `{id}` is replaced by each request's number.
    #[arg(long)]
    pub url: String,
    /// Requests in flight: one connection and one task each.
    #[arg(short = 'c', long, default_value_t = 100)]
    pub concurrency: usize,
    /// How long to send, e.g. `5s`; requests in flight at the end finish.
    #[arg(short = 'd', long, value_parser = humantime::parse_duration, default_value = "5s")]
    pub duration: Duration,
    /// Worker threads (shards, for compio); default: the cores.
    #[arg(long)]
    pub threads: Option<usize>,
}

impl Args {
    /// The threads to run on: `--threads`, or the cores.
    pub fn threads(&self) -> usize {
        self.threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1)
    }
}

/// A URL split once: where to connect, the `Host` header, and the path
/// around `{id}`.
#[derive(Debug, Clone)]
pub struct Target {
    /// Host name or address to connect to.
    pub host: String,
    /// Port to connect to.
    pub port: u16,
    host_header: HeaderValue,
    /// The path before `{id}` (all of it without one).
    before: String,
    /// The path after `{id}`; `None` when the URL has no `{id}`.
    after: Option<String>,
}

impl Target {
    /// Reads an `http://host[:port]/path` URL, `{id}` anywhere in its path.
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let Some(rest) = url.strip_prefix("http://") else {
            bail!("a bare loop speaks plain http:// only");
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let probe: hyper::Uri = format!("http://{authority}/")
            .parse()
            .context("the URL's host is not valid")?;
        let host = probe.host().context("the URL has no host")?;
        let (before, after) = match path.split_once("{id}") {
            Some((before, after)) => (before.to_owned(), Some(after.to_owned())),
            None => (path.to_owned(), None),
        };
        Ok(Target {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: probe.port_u16().unwrap_or(80),
            host_header: HeaderValue::from_str(authority).context("the URL's host is not valid")?,
            before: if before.is_empty() {
                "/".to_owned()
            } else {
                before
            },
            after,
        })
    }

    /// Writes request `id`'s path into `out`.
    fn path(&self, id: u64, out: &mut String) {
        out.clear();
        out.push_str(&self.before);
        if let Some(after) = &self.after {
            let _ = write!(out, "{id}");
            out.push_str(after);
        }
    }
}

/// When a run ends.
#[derive(Debug, Clone, Copy)]
enum Until {
    /// No request starts after this instant (the binaries' `-d`).
    Deadline(Instant),
    /// Requests `1..=n` are sent, and no more (a bench's batch).
    Requests(u64),
}

/// What every connection of one run shares.
#[derive(Debug)]
pub struct Run {
    target: Target,
    until: Until,
    /// The last request number handed out: the one shared counter.
    next: AtomicU64,
    user_agent: HeaderValue,
}

impl Run {
    /// A run of `args` on `runtime` (its name, for the `User-Agent`), from now.
    pub fn new(args: &Args, runtime: &str) -> anyhow::Result<Arc<Self>> {
        Self::until(
            &args.url,
            runtime,
            Until::Deadline(Instant::now() + args.duration),
        )
    }

    /// A run that sends `requests` requests to `url` on `runtime`, then ends.
    pub fn of_requests(url: &str, runtime: &str, requests: u64) -> anyhow::Result<Arc<Self>> {
        Self::until(url, runtime, Until::Requests(requests))
    }

    fn until(url: &str, runtime: &str, until: Until) -> anyhow::Result<Arc<Self>> {
        // The engine's hyper sends the same User-Agent, with its own names.
        let user_agent = fetch_core::ClientConfig::user_agent_for("hyper", runtime);
        Ok(Arc::new(Run {
            target: Target::parse(url)?,
            until,
            next: AtomicU64::new(0),
            user_agent: HeaderValue::from_str(&user_agent)?,
        }))
    }

    /// Where to connect.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Whether the run is over before the next request is claimed.
    fn over(&self) -> bool {
        match self.until {
            Until::Deadline(deadline) => Instant::now() >= deadline,
            Until::Requests(n) => self.next.load(Relaxed) >= n,
        }
    }

    /// The next request's number, or `None` when the run is over.
    fn claim(&self) -> Option<u64> {
        match self.until {
            Until::Deadline(deadline) => {
                (Instant::now() < deadline).then(|| self.next.fetch_add(1, Relaxed) + 1)
            }
            Until::Requests(n) => {
                let id = self.next.fetch_add(1, Relaxed) + 1;
                (id <= n).then_some(id)
            }
        }
    }

    /// One task's share of the run: opens a connection with `dial` and
    /// sends on it until the time is up, opening another if the server
    /// closes it; a failed connect ends the task (counted as `connect`).
    pub async fn connection<IO, F, D>(&self, mut dial: D) -> Tally
    where
        IO: hyper::rt::Read + hyper::rt::Write + Unpin,
        F: Future<Output = std::io::Result<IO>>,
        D: FnMut() -> F,
    {
        let mut tally = Tally::default();
        while !self.over() {
            let Ok(io) = dial().await else {
                tally.error("connect");
                break;
            };
            let Ok((mut sender, conn)) = http1::handshake::<_, Empty<Bytes>>(io).await else {
                tally.error("connect");
                break;
            };
            // The request loop and the connection's reads and writes, in
            // this one task: whenever the loop waits, the connection is
            // polled too (after it ends, the loop sees the sender closed).
            let mut conn = pin!(conn);
            let mut conn_done = false;
            let mut work = pin!(self.requests(&mut sender, &mut tally));
            poll_fn(|cx| {
                if !conn_done && conn.as_mut().poll(cx).is_ready() {
                    conn_done = true;
                }
                work.as_mut().poll(cx)
            })
            .await;
        }
        tally
    }

    /// Sends on one connection until the run is over or the connection
    /// breaks (counted as `transport`). Whoever calls it drives the
    /// connection: [`Run::connection`] in the same task, a bench in a task
    /// of its own.
    pub async fn requests(&self, sender: &mut SendRequest<Empty<Bytes>>, tally: &mut Tally) {
        let mut path = String::with_capacity(64);
        while let Some(id) = self.claim() {
            self.target.path(id, &mut path);
            let mut request = hyper::Request::new(Empty::<Bytes>::new());
            match hyper::Uri::try_from(path.as_str()) {
                Ok(uri) => *request.uri_mut() = uri,
                Err(_) => {
                    tally.error("invalid_url");
                    return;
                }
            }
            let headers = request.headers_mut();
            headers.insert(HOST, self.target.host_header.clone());
            headers.insert(USER_AGENT, self.user_agent.clone());
            headers.insert(
                ACCEPT,
                HeaderValue::from_static(fetch_core::ClientConfig::ACCEPT),
            );
            let start = Instant::now();
            let answer = async {
                let response = sender.send_request(request).await?;
                let status = response.status();
                let body = response.into_body().collect().await?.to_bytes();
                Ok::<_, hyper::Error>((status, body))
            }
            .await;
            match answer {
                Ok((status, _)) if !status.is_success() => tally.status(status.as_u16()),
                Ok((_, body)) => match fetch_core::decode_user(&path, &body) {
                    Ok(_) => tally.ok(start.elapsed()),
                    Err(_) => tally.error("decode"),
                },
                // The connection broke: the caller opens another.
                Err(_) => {
                    tally.error("transport");
                    return;
                }
            }
        }
    }
}

/// The loop on tokio, which both `bare-tokio-hyper` and `cargo bench`'s
/// `throughput` group run.
pub mod on_tokio {
    use std::sync::Arc;

    use bytes::Bytes;
    use http_body_util::Empty;
    use hyper::client::conn::http1::{self, SendRequest};
    use hyper_util::rt::TokioIo;
    use tokio::net::TcpStream;

    use super::{Run, Tally, Target};

    /// A TCP stream to `target`, Nagle off, as the engine's hyper opens.
    pub async fn connect(target: &Target) -> std::io::Result<TokioIo<TcpStream>> {
        let stream = TcpStream::connect((target.host.as_str(), target.port)).await?;
        stream.set_nodelay(true)?;
        Ok(TokioIo::new(stream))
    }

    /// Connections opened once and used by run after run: what a bench
    /// measures, so that each measured batch, like the engine's on its
    /// warmed pool, opens none. Each connection is driven by a task of its
    /// own; a batch is one task per connection running [`Run::requests`].
    #[derive(Debug)]
    pub struct Connections {
        senders: Vec<SendRequest<Empty<Bytes>>>,
    }

    impl Connections {
        /// Opens `n` connections to `target`.
        pub async fn open(target: &Target, n: usize) -> anyhow::Result<Self> {
            let mut senders = Vec::with_capacity(n);
            for _ in 0..n {
                let (sender, conn) = http1::handshake(connect(target).await?).await?;
                tokio::spawn(conn);
                senders.push(sender);
            }
            Ok(Connections { senders })
        }

        /// Sends `run`'s requests on these connections, all at once, until
        /// it is over; a connection that broke during it is dropped (its
        /// request counted as `transport`), and the next run has one less.
        pub async fn run(&mut self, run: &Arc<Run>) -> anyhow::Result<Tally> {
            let tasks: Vec<_> = self
                .senders
                .drain(..)
                .map(|mut sender| {
                    let run = run.clone();
                    tokio::spawn(async move {
                        let mut tally = Tally::default();
                        run.requests(&mut sender, &mut tally).await;
                        (sender, tally)
                    })
                })
                .collect();
            let mut tally = Tally::default();
            for task in tasks {
                let (sender, part) = task.await?;
                tally.merge(part);
                if !sender.is_closed() {
                    self.senders.push(sender);
                }
            }
            Ok(tally)
        }
    }

    /// `concurrency` tasks of [`Run::connection`] on the current tokio
    /// runtime, their tallies merged.
    pub async fn run(run: &Arc<Run>, concurrency: usize) -> anyhow::Result<Tally> {
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| {
                let run = run.clone();
                tokio::spawn(async move { run.connection(|| connect(run.target())).await })
            })
            .collect();
        let mut tally = Tally::default();
        for task in tasks {
            tally.merge(task.await?);
        }
        Ok(tally)
    }
}

/// What one connection (or, merged, a run) counted.
#[derive(Debug, Default)]
pub struct Tally {
    ok: u64,
    errors: BTreeMap<String, u64>,
    /// Latency of each ok request, µs.
    latencies_us: Vec<u32>,
}

impl Tally {
    /// Requests that got a 2xx whose body decoded.
    pub fn ok_count(&self) -> u64 {
        self.ok
    }

    /// Failed requests by kind.
    pub fn errors(&self) -> &BTreeMap<String, u64> {
        &self.errors
    }

    fn ok(&mut self, latency: Duration) {
        self.ok += 1;
        self.latencies_us
            .push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
    }

    fn error(&mut self, kind: &str) {
        *self.errors.entry(kind.to_owned()).or_default() += 1;
    }

    fn status(&mut self, status: u16) {
        self.error(&format!("http_{status}"));
    }

    /// Adds another connection's counts to these.
    pub fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
        self.latencies_us.extend(other.latencies_us);
    }
}

/// What a bare binary prints: one JSON object, read back by `compare`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BareReport {
    /// `bare-tokio-hyper`, `bare-smol-hyper` or `bare-compio-hyper`.
    pub tool: String,
    /// Worker threads (shards, for compio).
    pub threads: usize,
    /// Requests in flight, one connection each.
    pub concurrency: usize,
    /// The URL asked.
    pub url: String,
    /// Requests sent: ok plus errors.
    pub requests: u64,
    /// 2xx answers whose body decoded.
    pub ok: u64,
    /// Failed requests by kind (`connect`, `transport`, `decode`, `http_NNN`).
    pub errors: BTreeMap<String, u64>,
    /// From the first connect to the last answer, seconds.
    pub elapsed_s: f64,
    /// `requests / elapsed_s`.
    pub requests_per_sec: f64,
    /// Median latency of ok requests, ms.
    pub p50_ms: Option<f64>,
    /// 99th percentile latency of ok requests, ms.
    pub p99_ms: Option<f64>,
}

impl BareReport {
    /// The report of a run of `tool` that counted `tally` in `elapsed`.
    pub fn new(tool: &str, args: &Args, tally: Tally, elapsed: Duration) -> Self {
        let requests = tally.ok + tally.errors.values().sum::<u64>();
        // 1 µs to an hour, fixed: `Histogram::new`'s tiny starting range
        // made `saturating_record` clamp every value to 2 µs.
        let mut histogram =
            hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).ok();
        if let Some(h) = &mut histogram {
            for us in &tally.latencies_us {
                h.saturating_record(u64::from(*us).max(1));
            }
        }
        let quantile = |q: f64| {
            histogram
                .as_ref()
                .filter(|h| !h.is_empty())
                .map(|h| h.value_at_quantile(q) as f64 / 1000.0)
        };
        let elapsed_s = elapsed.as_secs_f64();
        BareReport {
            tool: tool.to_owned(),
            threads: args.threads(),
            concurrency: args.concurrency,
            url: args.url.clone(),
            requests,
            ok: tally.ok,
            errors: tally.errors,
            elapsed_s,
            requests_per_sec: if elapsed_s > 0.0 {
                requests as f64 / elapsed_s
            } else {
                0.0
            },
            p50_ms: quantile(0.5),
            p99_ms: quantile(0.99),
        }
    }
}

/// A bare binary's `main`: parses the command line, runs `run` (the
/// runtime's part: spawn `-c` tasks of [`Run::connection`], merge their
/// tallies) on a thread of its own under the watchdog, and prints the
/// report as JSON. Exit 1 with the cause on a setup error or a run that
/// outlasted its duration by [`WATCHDOG_GRACE`].
pub fn main<F>(tool: &'static str, runtime: &'static str, run: F) -> ExitCode
where
    F: FnOnce(&Args, Arc<Run>) -> anyhow::Result<Tally> + Send + 'static,
{
    let args = <Args as clap::Parser>::parse();
    match watched(tool, runtime, args, run) {
        Ok(report) => match serde_json::to_string_pretty(&report) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{tool}: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("{tool}: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn watched<F>(
    tool: &'static str,
    runtime: &'static str,
    args: Args,
    run: F,
) -> anyhow::Result<BareReport>
where
    F: FnOnce(&Args, Arc<Run>) -> anyhow::Result<Tally> + Send + 'static,
{
    if args.concurrency == 0 {
        bail!("-c must be at least 1");
    }
    let limit = args.duration + WATCHDOG_GRACE;
    let (done, finished) = std::sync::mpsc::channel();
    let shared = Run::new(&args, runtime)?;
    let started = Instant::now();
    let worker_args = args.clone();
    std::thread::Builder::new()
        .name(format!("{tool}-main"))
        .spawn(move || {
            let tally = run(&worker_args, shared);
            let _ = done.send((tally, started.elapsed()));
        })
        .context("could not start the run's thread")?;
    match finished.recv_timeout(limit) {
        Ok((tally, elapsed)) => Ok(BareReport::new(tool, &args, tally?, elapsed)),
        Err(_) => bail!(
            "the run did not end within {:?} of its {:?}: the server stopped answering",
            WATCHDOG_GRACE,
            args.duration
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_target_splits_around_its_id() {
        let t = Target::parse("http://127.0.0.1:8080/users/{id}?x=1").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 8080));
        let mut path = String::new();
        t.path(42, &mut path);
        assert_eq!(path, "/users/42?x=1");
        let t = Target::parse("http://localhost").unwrap();
        t.path(1, &mut path);
        assert_eq!((path.as_str(), t.port), ("/", 80));
        assert!(Target::parse("https://x/").is_err());
        assert!(Target::parse("http:///x").is_err());
    }

    #[test]
    fn a_report_counts_every_request_once() {
        let mut a = Tally::default();
        a.ok(Duration::from_micros(100));
        a.ok(Duration::from_micros(300));
        let mut b = Tally::default();
        b.error("transport");
        b.status(404);
        a.merge(b);
        let args = <Args as clap::Parser>::parse_from(["bare", "--url", "http://h/"]);
        let r = BareReport::new("bare-tokio-hyper", &args, a, Duration::from_secs(2));
        assert_eq!((r.requests, r.ok), (4, 2));
        assert_eq!(r.errors["http_404"], 1);
        assert_eq!(r.requests_per_sec, 2.0);
        assert!(r.p50_ms.unwrap() >= 0.1 && r.p99_ms.unwrap() <= 0.31);
        // Milliseconds and more are kept as they are, not clamped.
        let mut slow = Tally::default();
        for ms in [2, 2, 2, 40] {
            slow.ok(Duration::from_millis(ms));
        }
        let r = BareReport::new("bare-tokio-hyper", &args, slow, Duration::from_secs(1));
        assert!((r.p50_ms.unwrap() - 2.0).abs() < 0.01, "{r:?}");
        assert!((r.p99_ms.unwrap() - 40.0).abs() < 0.1, "{r:?}");
    }
}
