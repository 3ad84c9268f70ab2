//! Throughput of every runtime + client combination, side by side.
//!
//! Groups are scenarios (`get_user`: `GET /users/{id}` decoded as JSON;
//! `fetch_title`: `GET /pages/{id}` with the title extracted; `post_json`:
//! 4 KiB of JSON `POST`ed to `/echo`, which answers its length), functions
//! are `runtime+client`, parameters are requests in flight (100, 1,000,
//! 10,000; `post_json` 100 and 1,000).
//! Criterion reports requests per second.
//!
//! The fixture server runs as its own process, started once (or give an
//! external one with `FETCH_BENCH_URL=http://host:port`). Runtimes and
//! clients are built, and their pools warmed, before measuring; each
//! measured iteration is a batch of requests through the load engine.
//!
//! Run with: `cargo bench --bench throughput`

use std::sync::Arc;
use std::time::Duration;

use async_fetch::combos::{self, Combo, LocalCombo, Visit};
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

/// Requests per measured iteration: enough that each worker sends several,
/// so opening connections and spawning workers is a small part.
fn batch(in_flight: usize) -> u64 {
    (in_flight as u64 * 2).max(5_000)
}

struct Bench<'g, 'c> {
    group: &'g mut BenchmarkGroup<'c, WallTime>,
    shape: Shape<'g>,
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
            .timeout(Duration::from_secs(30))
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
        let warm = rt.block_on(run_load(
            rt,
            client.clone(),
            shape.plan(shape.in_flight as u64 * 2),
            Progress::new(),
        ));
        checked(combo, &warm);
        let id = BenchmarkId::new(combo.id(), shape.in_flight);
        let batch = batch(shape.in_flight);
        self.group.bench_function(id, |b| {
            b.to_async(Exec(rt)).iter_custom(|iters| {
                let plan = shape.plan(iters * batch);
                let client = client.clone();
                async move { checked(combo, &run_load(rt, client, plan, Progress::new()).await) }
            });
        });
    }

    /// A thread-per-core runtime: its shards (a runtime and a client per
    /// worker thread) are started and warmed outside the measurement, as
    /// a Send runtime and its client are; each iteration is a run on them.
    fn visit_local<C: LocalHttpClient>(&mut self, combo: Combo, local: LocalCombo<C>) {
        let shape = self.shape;
        let shards = local.shards(shape.in_flight).expect("start the shards");
        checked(
            combo,
            &shards.run(shape.plan(shape.in_flight as u64 * 2), Progress::new()),
        );
        let id = BenchmarkId::new(combo.id(), shape.in_flight);
        let batch = batch(shape.in_flight);
        self.group.bench_function(id, |b| {
            b.iter_custom(|iters| {
                checked(
                    combo,
                    &shards.run(shape.plan(iters * batch), Progress::new()),
                )
            });
        });
    }
}

/// A run's time, once it is checked: every request counted, none failed.
fn checked(combo: Combo, report: &Report) -> Duration {
    assert!(
        report.is_consistent() && report.error_count() == 0,
        "{}: {:?}",
        combo.id(),
        report.error_samples
    );
    report.elapsed
}

fn throughput(c: &mut Criterion) {
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
                ..ClientConfig::default()
            };
            let mut bench = Bench {
                group: &mut group,
                shape: Shape {
                    url: &url,
                    parse,
                    request,
                    in_flight,
                },
            };
            combos::for_each(threads, in_flight, &config, &mut bench)
                .expect("build the combinations");
        }
        group.finish();
    }
    drop(server);
}

criterion::criterion_group!(benches, throughput);
criterion::criterion_main!(benches);
