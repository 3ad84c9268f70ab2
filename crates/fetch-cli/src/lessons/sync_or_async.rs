//! sync-or-async: the seed's decision matrix, measured per call. A small
//! computation as a plain fn, as an `async fn` awaited, and as a spawned
//! task; a small file read with `std::fs::read` and with the runtime's own
//! async file API (which hands each read to a blocking thread pool, since
//! Linux files do not wait in an event loop the way sockets do).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use fetch_core::HttpClient;
use serde_json::{Value, json};

use super::kit::{About, Lesson, Out};
use crate::Hooks;
use crate::context::Context;

/// Calls of the computation, plain and awaited.
const CALLS: u32 = 1_000_000;
/// Spawned tasks (each one a task, or on the threads baseline an OS thread).
const SPAWNS: u32 = 20_000;
const THREAD_SPAWNS: u32 = 2_000;
/// Reads of the small file, each way.
const READS: u32 = 2_000;
/// The small file's size.
const FILE_BYTES: usize = 4096;

/// The small computation: 64 rounds of integer arithmetic.
fn compute(x: u64) -> u64 {
    let mut v = x;
    for i in 0..64 {
        v = black_box(v.wrapping_mul(6364136223846793005).wrapping_add(i));
    }
    v
}

/// The same, as an `async fn`: it never waits, so awaiting it is one poll.
async fn compute_async(x: u64) -> u64 {
    compute(x)
}

/// Nanoseconds per call of `n` calls that took `took`.
fn per_call(took: Duration, n: u32) -> f64 {
    took.as_nanos() as f64 / f64::from(n.max(1))
}

/// The lesson `sync-or-async`.
pub(super) struct SyncOrAsync;

impl Lesson for SyncOrAsync {
    const ABOUT: &'static About = &About {
        name: "sync-or-async",
        claim: "Use a synchronous fn when the work is pure computation or fast local I/O. The overhead of async isn't worth it.",
        shows: "the cost per call of a computation and of a small file read, sync against async",
        thread_per_task_too: true,
        threads_note: None,
        in_flight: 16,
        thread_per_core: Some(
            "compio reads files through io_uring itself, not through a blocking pool, so its answer to the file half would differ from tokio's; not run here: the lesson reads through the runtime hooks' file API and spawns through the Send runtime trait, not written for compio",
        ),
    };

    fn run<R: Hooks, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value> {
        let rt = ctx.runtime;
        // The computation, three ways; the plain loop twice, the first to
        // warm the caches and the CPU's clock up.
        let mut sum = 0u64;
        let mut plain = 0.0;
        for _ in 0..2 {
            let started = Instant::now();
            for i in 0..CALLS {
                sum = sum.wrapping_add(compute(u64::from(i)));
            }
            plain = per_call(started.elapsed(), CALLS);
        }
        let awaited = rt.block_on(async {
            let started = Instant::now();
            let mut sum = 0u64;
            for i in 0..CALLS {
                sum = sum.wrapping_add(compute_async(u64::from(i)).await);
            }
            black_box(sum);
            per_call(started.elapsed(), CALLS)
        });
        let spawns = if rt.thread_per_task() {
            THREAD_SPAWNS
        } else {
            SPAWNS
        };
        // Spawned from a task on the runtime, as code inside an async
        // program spawns (from the main thread, each spawn would add a
        // round trip between threads to the figure).
        let runtime = rt.clone();
        let spawned = rt
            .block_on(rt.spawn(async move {
                let started = Instant::now();
                let mut sum = 0u64;
                for i in 0..spawns {
                    let task = runtime.spawn(compute_async(u64::from(i)));
                    sum = sum.wrapping_add(task.await.unwrap_or(0));
                }
                black_box(sum);
                per_call(started.elapsed(), spawns)
            }))
            .map_err(|e| anyhow::anyhow!("the spawning task failed: {e}"))?;
        black_box(sum);
        out.say(format!(
            "A small computation (64 rounds of integer arithmetic), per call, on {}:\n",
            rt.name()
        ));
        out.say(format!("  {:<44}{plain:>12.1} ns   1.0x", "a plain fn"));
        out.say(format!(
            "  {:<44}{awaited:>12.1} ns   {:.1}x",
            "the same as an async fn, awaited",
            awaited / plain
        ));
        let spawn_label = if rt.thread_per_task() {
            "spawned (here: an OS thread each) and awaited"
        } else {
            "spawned as a task and awaited"
        };
        out.say(format!(
            "  {spawn_label:<44}{spawned:>12.1} ns   {:.0}x",
            spawned / plain
        ));

        // The small file, two ways.
        let path = small_file()?;
        let started = Instant::now();
        for _ in 0..READS {
            black_box(std::fs::read(&path).context("reading the small file")?);
        }
        let std_read = per_call(started.elapsed(), READS);
        let api = rt.file_api();
        let async_read = match api {
            Some(_) => Some(rt.block_on(async {
                let started = Instant::now();
                for _ in 0..READS {
                    black_box(
                        rt.read_file(&path)
                            .await
                            .context("reading the small file")?,
                    );
                }
                anyhow::Ok(per_call(started.elapsed(), READS))
            })?),
            None => None,
        };
        let _ = std::fs::remove_file(&path);
        out.say(format!(
            "\nReading a {} KiB file (in the page cache after the first read), per read:\n",
            FILE_BYTES / 1024
        ));
        out.say(format!(
            "  {:<44}{:>12.1} us   1.0x",
            "std::fs::read (blocks the calling thread)",
            std_read / 1000.0
        ));
        match (api, async_read) {
            (Some(api), Some(ns)) => out.say(format!(
                "  {:<44}{:>12.1} us   {:.1}x",
                format!("{api}(..).await"),
                ns / 1000.0,
                ns / std_read
            )),
            _ => out.say(
                "  (the threads baseline has no async file API: each task is a thread, and blocks)",
            ),
        }
        out.say(
            "\nThe seed is right, and the numbers say by how much. An async fn that never waits costs\n\
             about what a plain fn does once the compiler has inlined its one poll; spawning it as a task\n\
             adds an allocation, a queue and a wake-up. Async file APIs do not make a read non-blocking:\n\
             on Linux they send each read to a blocking thread pool and wait for the answer, a round trip\n\
             across threads that costs more than a small read from the page cache. Async pays off where\n\
             the time goes to waiting (the network), not to the work itself.",
        );
        Ok(json!({
            "compute_ns": {"plain": plain, "awaited": awaited, "spawned": spawned},
            "spawned_ratio": spawned / plain,
            "awaited_ratio": awaited / plain,
            "file_bytes": FILE_BYTES,
            "read_us": {"std": std_read / 1000.0, "async": async_read.map(|ns| ns / 1000.0)},
            "file_api": api,
            "read_ratio": async_read.map(|ns| ns / std_read),
        }))
    }
}

/// A file of [`FILE_BYTES`] in the temporary folder, read once so it is
/// in the page cache.
fn small_file() -> anyhow::Result<PathBuf> {
    let path = std::env::temp_dir().join(format!(
        "async-fetch-lesson-sync-or-async-{}.bin",
        std::process::id()
    ));
    std::fs::write(&path, vec![7u8; FILE_BYTES])
        .with_context(|| format!("could not write {}", path.display()))?;
    std::fs::read(&path).with_context(|| format!("could not read {}", path.display()))?;
    Ok(path)
}
