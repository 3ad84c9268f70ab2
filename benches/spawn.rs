//! What a task costs next to an OS thread: spawn and join 10,000 of each.
//!
//! The seed says switching between tasks "is cheap... No kernel
//! involvement". Here is the number: 10,000 tasks spawned and joined on each
//! runtime (through the same `Runtime::spawn` the load engine uses), and
//! 10,000 OS threads spawned and joined. It also prints, once, how large the
//! futures involved are: a `fetch_title` future is a struct holding every
//! local that lives across an `.await`.
//!
//! Run with: `cargo bench --bench spawn`

use std::hint::black_box;
use std::time::Duration;

use async_fetch::combos::{self, Combo, LocalCombo, Visit};
use criterion::{Criterion, SamplingMode, Throughput};
use fetch_core::{ClientConfig, HttpClient, LocalHttpClient, LocalRuntime, Runtime};

const TASKS: u64 = 10_000;

struct Spawn<'a, 'c> {
    group: &'a mut criterion::BenchmarkGroup<'c, criterion::measurement::WallTime>,
    seen: Vec<combos::Runtime>,
}

impl Spawn<'_, '_> {
    /// Whether `runtime` has no benchmark yet: one per runtime, whichever
    /// client comes with it (a group's ids must be unique, and tokio,
    /// smol and compio each come with two clients).
    fn first_time(&mut self, runtime: combos::Runtime) -> bool {
        if self.seen.contains(&runtime) {
            return false;
        }
        self.seen.push(runtime);
        true
    }
}

impl Visit for Spawn<'_, '_> {
    fn visit<R: Runtime, C: HttpClient>(&mut self, combo: Combo, rt: &R, client: C) {
        sizes(combo, &client);
        if !self.first_time(combo.runtime) {
            return;
        }
        // For the threads "runtime" a task is an OS thread: this is the
        // 10,000-threads side of the comparison, through the same code.
        self.group.bench_function(combo.runtime.name(), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|i| rt.spawn(async move { black_box(i) }))
                        .collect();
                    for task in tasks {
                        black_box(task.await.ok());
                    }
                })
            })
        });
    }

    /// A thread-per-core runtime: tasks spawned on one thread, which they
    /// never leave (no queue shared with other threads to go through).
    fn visit_local<C: LocalHttpClient>(&mut self, combo: Combo, local: LocalCombo<C>) {
        sizes(combo, &local.client);
        if !self.first_time(combo.runtime) {
            return;
        }
        let rt = &local.runtime;
        self.group.bench_function(combo.runtime.name(), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|i| rt.spawn_local(async move { black_box(i) }))
                        .collect();
                    for task in tasks {
                        black_box(task.await.ok());
                    }
                })
            })
        });
    }
}

fn spawn(c: &mut Criterion) {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut group = c.benchmark_group("spawn_and_join_10k");
    group
        .throughput(Throughput::Elements(TASKS))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let mut visitor = Spawn {
        group: &mut group,
        seen: Vec::new(),
    };
    combos::for_each(threads, threads, &ClientConfig::default(), &mut visitor)
        .expect("build the combinations");
    group.finish();
}

/// Prints, once per client, how large the pattern's futures are with it.
fn sizes<C: LocalHttpClient>(combo: Combo, client: &C) {
    let url = "http://127.0.0.1:1/pages/1";
    println!(
        "size of a fetch_title future with {:<8} {:>5} bytes; get_user {:>5} bytes",
        combo.client,
        std::mem::size_of_val(&fetch_core::fetch_title(client, url)),
        std::mem::size_of_val(&fetch_core::get_user(client, url)),
    );
}

criterion::criterion_group!(benches, spawn);
criterion::criterion_main!(benches);
