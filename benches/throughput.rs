//! Throughput of every runtime + client combination, side by side.
//!
//! Groups are scenarios (`get_user`: `GET /users/{id}` decoded as JSON;
//! `fetch_title`: `GET /pages/{id}` with the title extracted; `post_json`:
//! 4 KiB of JSON `POST`ed to `/echo`, which answers its length), functions
//! are `runtime+client`, parameters are requests in flight (100, 1,000,
//! 10,000; `post_json` 100 and 1,000).
//! Criterion reports requests per second. `get_user` also runs
//! `bare-tokio-hyper`, the bare hyper loop compare measures the engine
//! against, so `tokio+hyper`'s distance from it is kept in the baselines.
//!
//! The fixture server runs as its own process, started once (or give an
//! external one with `FETCH_BENCH_URL=http://host:port`). Runtimes and
//! clients are built, and their pools warmed, before measuring; each
//! measured iteration is a batch of requests through the load engine.
//! The bench raises its soft open-file limit as the CLI does (10,000 in
//! flight is past the usual 1,024), or says why it cannot.
//!
//! A point whose runs fail (an error, a lost request) does not stop the
//! run: it is named (`FAILED ...`) when it happens and again at the end,
//! every later point still runs, and the bench exits non-zero. A point
//! whose warm-up fails is skipped, with the reason.
//!
//! A filter (`cargo bench --bench throughput -- 'get_user/tokio\+hyper/100'`)
//! is read here as criterion reads it ([`BenchFilter`]), so a point it leaves
//! out is not set up or warmed either: one point takes seconds, not the
//! minutes of opening every other pool. `-- --list` names the points and
//! sets none of them up.
//!
//! Run with: `cargo bench --bench throughput`

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_fetch::bench_filter::{BenchFilter, Mode};
use async_fetch::combos::{self, Combo, LocalCombo, Visit};
use async_fetch::compare::ReferenceTool;
use async_fetch::harness::ServerProcess;
use criterion::async_executor::AsyncExecutor;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput};
use fetch_core::{
    ClientConfig, Headers, HttpClient, LoadPlan, LocalHttpClient, Method, Parse, Progress, Report,
    RequestSpec, Runtime, Stop, UrlTemplate, header, run_load,
};

/// Criterion's hook for async benchmarks, implemented once for every
/// [`Runtime`] (criterion 0.8 ships one for tokio and smol's global
/// executor only; this one also covers async-std and the threads baseline,
/// and uses each runtime with the same thread count).
struct Exec<'a, R>(&'a R);

impl<R: Runtime> AsyncExecutor for Exec<'_, R> {
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.0.block_on(future)
    }
}

const IN_FLIGHT: [usize; 3] = [100, 1_000, 10_000];

/// The bare loop `get_user` runs beside its combinations.
const BARE: ReferenceTool = ReferenceTool::BareTokioHyper;

/// Every request's time limit, the engine's and the client's own alike
/// (the threads baseline's ureq enforces its own: 10,000 OS threads on
/// two cores take longer than its default 10 s to all be answered).
const TIMEOUT: Duration = Duration::from_secs(30);

/// The points that failed, each with why: printed at the end.
static FAILURES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Requests per measured iteration: enough that each worker sends several,
/// so opening connections and spawning workers is a small part.
fn batch(in_flight: usize) -> u64 {
    (in_flight as u64 * 2).max(5_000)
}

struct Bench<'g, 'c> {
    group: &'g mut BenchmarkGroup<'c, WallTime>,
    /// The group's name: `get_user`, `fetch_title`, `post_json`.
    scenario: &'static str,
    shape: Shape<'g>,
    filter: &'g BenchFilter,
}

impl Bench<'_, '_> {
    /// Whether criterion runs `combo`'s point here.
    fn selected(&self, combo: Combo) -> bool {
        self.filter
            .includes(self.scenario, &combo.id(), self.shape.in_flight)
    }

    /// Whether `combo`'s point is measured, so warmed first. Not with
    /// `--test` (CI's run: criterion runs each point once and measures
    /// nothing, and that one run opens the connections itself; at 10,000
    /// in flight the warm-up is half of each point's requests and
    /// connections), nor with `--list`.
    fn warmed_first(&self, combo: Combo) -> bool {
        self.filter.mode() == Mode::Measure && self.selected(combo)
    }
}

/// What each request of a scenario is.
#[derive(Clone, Copy)]
struct Shape<'a> {
    url: &'a UrlTemplate,
    parse: Parse,
    request: &'a RequestSpec,
    in_flight: usize,
}

impl Shape<'_> {
    fn plan(&self, requests: u64) -> LoadPlan {
        LoadPlan::new(self.url.clone(), Stop::Requests(requests))
            .concurrency(self.in_flight)
            .timeout(TIMEOUT)
            .parse(self.parse)
            .request(self.request.clone())
    }
}

/// `POST` of a 4 KiB JSON body (the `upload` scenario of compare).
fn post_json() -> RequestSpec {
    let mut headers = Headers::new();
    headers.push(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    RequestSpec {
        method: Method::POST,
        headers: Arc::new(headers),
        body: async_fetch::compare::run::json_body(4096).into(),
    }
}

impl Visit for Bench<'_, '_> {
    fn visit<R: Runtime, C: HttpClient>(&mut self, combo: Combo, rt: &R, client: C) {
        let client = Arc::new(client);
        // Warm up outside the measurement: open the pool's connections.
        let shape = self.shape;
        if self.warmed_first(combo) {
            let warm = rt.block_on(run_load(
                rt,
                client.clone(),
                shape.plan(shape.in_flight as u64 * 2),
                Progress::new(),
            ));
            if !warmed(combo, shape.in_flight, &warm) {
                return;
            }
        }
        let id = BenchmarkId::new(combo.id(), shape.in_flight);
        let batch = batch(shape.in_flight);
        self.group.bench_function(id, |b| {
            b.to_async(Exec(rt)).iter_custom(|iters| {
                let plan = shape.plan(iters * batch);
                let client = client.clone();
                async move {
                    let report = run_load(rt, client, plan, Progress::new()).await;
                    checked(combo, shape.in_flight, &report)
                }
            });
        });
    }

    /// A thread-per-core runtime: its shards (a runtime and a client per
    /// worker thread) are started and warmed outside the measurement, as
    /// a Send runtime and its client are; each iteration is a run on them.
    fn visit_local<C: LocalHttpClient>(&mut self, combo: Combo, local: LocalCombo<C>) {
        let shape = self.shape;
        if !self.selected(combo) {
            return;
        }
        let id = BenchmarkId::new(combo.id(), shape.in_flight);
        if self.filter.mode() == Mode::List {
            listed(self.group, id);
            return;
        }
        let shards = match local.shards(shape.in_flight) {
            Ok(shards) => shards,
            Err(e) => {
                failed(
                    combo,
                    shape.in_flight,
                    format!("could not start the shards: {e}"),
                );
                return;
            }
        };
        if self.warmed_first(combo) {
            let warm = shards.run(shape.plan(shape.in_flight as u64 * 2), Progress::new());
            if !warmed(combo, shape.in_flight, &warm) {
                return;
            }
        }
        let batch = batch(shape.in_flight);
        self.group.bench_function(id, |b| {
            b.iter_custom(|iters| {
                let report = shards.run(shape.plan(iters * batch), Progress::new());
                checked(combo, shape.in_flight, &report)
            });
        });
    }
}

/// The bare tokio + hyper loop (`fetch_bare`, compare's `bare-tokio-hyper`)
/// beside `get_user`'s combinations: the same request and decoding with no
/// engine around it, so a harness regression shows in criterion's saved
/// baselines as `tokio+hyper` moving away from it. Its connections are
/// opened and warmed once, as the engine's pool is; each iteration sends a
/// batch of the same size on them.
fn bare_tokio_hyper(
    group: &mut BenchmarkGroup<'_, WallTime>,
    url: &UrlTemplate,
    threads: usize,
    in_flight: usize,
) {
    const NAME: &str = BARE.name();
    let point = || format!("{NAME}/{in_flight}");
    let setup = || -> anyhow::Result<_> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?;
        let warm = fetch_bare::Run::of_requests(url.as_str(), "tokio", in_flight as u64 * 2)?;
        let mut connections = rt.block_on(fetch_bare::on_tokio::Connections::open(
            warm.target(),
            in_flight,
        ))?;
        let tally = rt.block_on(connections.run(&warm))?;
        anyhow::ensure!(
            tally.errors().is_empty(),
            "its warm-up failed: {:?}",
            tally.errors()
        );
        Ok((rt, connections))
    };
    let (rt, mut connections) = match setup() {
        Ok(set) => set,
        Err(e) => {
            record_failure(format!("{}: skipped: {e:#}", point()));
            return;
        }
    };
    let batch = batch(in_flight);
    group.bench_function(BenchmarkId::new(NAME, in_flight), |b| {
        b.iter_custom(|iters| {
            let requests = iters * batch;
            // The batch's URL is parsed before the clock starts.
            let run = fetch_bare::Run::of_requests(url.as_str(), "tokio", requests);
            let started = std::time::Instant::now();
            let tally = run.and_then(|run| rt.block_on(connections.run(&run)));
            let elapsed = started.elapsed();
            match tally {
                Ok(t) if t.errors().is_empty() && t.ok_count() == requests => {}
                Ok(t) => record_failure(format!(
                    "{}: a measured batch failed: {} ok of {requests}, errors {:?}",
                    point(),
                    t.ok_count(),
                    t.errors()
                )),
                Err(e) => record_failure(format!("{}: a measured batch failed: {e:#}", point())),
            }
            elapsed
        });
    });
}

/// Registers point `id` for `--list`, which only names it: criterion
/// never calls the function, so nothing is set up for it.
fn listed(group: &mut BenchmarkGroup<'_, WallTime>, id: BenchmarkId) {
    group.bench_function(id, |_| {});
}

/// What is wrong with a run, if anything: a lost request or a failed one.
fn fault(report: &Report) -> Option<String> {
    if !report.is_consistent() {
        return Some(format!(
            "requests lost: {} counted of {}",
            report.ok + report.error_count(),
            report.requests
        ));
    }
    (report.error_count() > 0).then(|| {
        format!(
            "{} of {} requests failed: {:?}",
            report.error_count(),
            report.requests,
            report.error_samples
        )
    })
}

/// Notes that `combo` at `in_flight` failed, and why.
fn failed(combo: Combo, in_flight: usize, why: String) {
    record_failure(format!("{}/{in_flight}: {why}", combo.id()));
}

/// Names a failed point now, and keeps it for the end.
fn record_failure(line: String) {
    eprintln!("FAILED {line}");
    FAILURES
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
        .push(line);
}

/// Whether a warm-up run went through; a point whose warm-up failed is
/// skipped (named, with the reason), not measured.
fn warmed(combo: Combo, in_flight: usize, report: &Report) -> bool {
    match fault(report) {
        None => true,
        Some(why) => {
            failed(
                combo,
                in_flight,
                format!("skipped, its warm-up failed: {why}"),
            );
            false
        }
    }
}

/// A measured run's time. A run with a fault is named (criterion cannot
/// drop a sample), and the bench ends non-zero, so its figure is not taken
/// for a good one.
fn checked(combo: Combo, in_flight: usize, report: &Report) -> Duration {
    if let Some(why) = fault(report) {
        failed(combo, in_flight, format!("a measured batch failed: {why}"));
    }
    report.elapsed
}

fn throughput(c: &mut Criterion) {
    let most = IN_FLIGHT.iter().copied().max().unwrap_or(1);
    if let Err(e) = fetch_cli::limits::ensure_open_files(
        fetch_cli::limits::needed_for_load(most, most, false),
        "the bench's largest point",
    ) {
        eprintln!("error: {e:#}");
        std::process::exit(2);
    }
    let (server, base) = match std::env::var("FETCH_BENCH_URL") {
        Ok(url) => (None, url.trim_end_matches('/').to_owned()),
        Err(_) => {
            let server = ServerProcess::start(2).expect("start fetch-server");
            let url = server.url().to_owned();
            (Some(server), url)
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    eprintln!(
        "server {base} ({}); every async runtime on {threads} worker threads; pool = requests in flight",
        if server.is_some() {
            "fetch-server process, 2 threads"
        } else {
            "FETCH_BENCH_URL"
        }
    );
    let filter = BenchFilter::from_args(std::env::args().skip(1));
    let get = RequestSpec::default();
    let post = post_json();
    for (scenario, path, parse, request, in_flights) in [
        ("get_user", "/users/{id}", Parse::User, &get, &IN_FLIGHT[..]),
        (
            "fetch_title",
            "/pages/{id}",
            Parse::Title,
            &get,
            &IN_FLIGHT[..],
        ),
        ("post_json", "/echo", Parse::None, &post, &IN_FLIGHT[..2]),
    ] {
        let url = UrlTemplate::new(&format!("{base}{path}")).expect("valid URL");
        let mut group = c.benchmark_group(scenario);
        // Each iteration is a whole batch of requests: flat sampling with
        // few samples keeps the whole `cargo bench` within minutes.
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        for &in_flight in in_flights {
            group.throughput(Throughput::Elements(batch(in_flight)));
            let config = ClientConfig {
                connections: in_flight,
                request_timeout: TIMEOUT,
                ..ClientConfig::default()
            };
            let mut bench = Bench {
                group: &mut group,
                scenario,
                filter: &filter,
                shape: Shape {
                    url: &url,
                    parse,
                    request,
                    in_flight,
                },
            };
            combos::for_each(threads, in_flight, &config, &mut bench)
                .expect("build the combinations");
            if scenario == "get_user" && filter.includes(scenario, BARE.name(), in_flight) {
                if filter.mode() == Mode::List {
                    listed(&mut group, BenchmarkId::new(BARE.name(), in_flight));
                } else {
                    bare_tokio_hyper(&mut group, &url, threads, in_flight);
                }
            }
        }
        group.finish();
    }
    drop(server);
}

criterion::criterion_group!(benches, throughput);

/// criterion's `criterion_main!`, and then every failed point named, and
/// a non-zero exit if there was one.
fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let failures = FAILURES.lock().unwrap_or_else(|poison| poison.into_inner());
    if !failures.is_empty() {
        eprintln!(
            "{} benchmark point(s) failed; their figures are not valid:",
            failures.len()
        );
        for failure in failures.iter() {
            eprintln!("  {failure}");
        }
        std::process::exit(1);
    }
}
