//! ten-users, thousands, spawn: what concurrency buys, measured.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fetch_core::{
    HttpClient, LoadPlan, Progress, Runtime, Stop, UrlTemplate, get_ok, run_load, within,
};
use serde_json::{Value, json};

use super::kit::{About, CpuJob, Lesson, Out, child, self_exe, the_step, threads_exe};
use crate::Hooks;
use crate::context::ms;
use crate::context::{Context, embedded_server};
use crate::limits;
use crate::usage::Usage;

/// Each of the ten users waits this long for an answer.
const TEN_USERS_DELAY_MS: u64 = 200;

fn ten_users<R: Runtime, C: HttpClient>(
    ctx: &Context<'_, R, C>,
    out: Out,
) -> anyhow::Result<Value> {
    let rt = ctx.runtime;
    let server = embedded_server()?;
    let base = server.url();
    let url = format!("{base}/delay/{TEN_USERS_DELAY_MS}");
    out.say(format!(
        "Ten requests to {url}, each answered after {TEN_USERS_DELAY_MS} ms:\n"
    ));

    // One after another: each `.await` finishes before the next request starts.
    let started = Instant::now();
    rt.block_on(async {
        for _ in 0..10 {
            within(rt, ctx.timeout, &url, get_ok(&*ctx.client, &url)).await?;
        }
        Ok::<_, fetch_core::FetchError>(())
    })?;
    let sequential = ms(started.elapsed());
    let in_turn = if rt.thread_per_task() {
        "one after another on this thread, each call blocking it"
    } else {
        "one after another, awaited in turn"
    };
    let mut rows = vec![(in_turn.to_owned(), sequential)];

    let threads = if let Some(exe) = threads_exe() {
        let v = child(&exe, None, None, "ten-users", "concurrent", &base)?;
        let wall = v["wall_ms"].as_f64().unwrap_or(f64::NAN);
        rows.push((
            "ten OS threads, one per request (fetch-threads)".to_owned(),
            wall,
        ));
        Some(wall)
    } else {
        out.say("(fetch-threads is not built next to this binary: `cargo build --release -p fetch-threads` adds the threads row)");
        None
    };
    let one_thread = if rt.thread_per_task() {
        None
    } else {
        let v = child(
            &self_exe()?,
            Some(1),
            Some(ctx.client.name()),
            "ten-users",
            "concurrent",
            &base,
        )?;
        let wall = v["wall_ms"].as_f64().unwrap_or(f64::NAN);
        rows.push((format!("all ten spawned on ONE {} thread", rt.name()), wall));
        Some(wall)
    };
    let width = rows.iter().map(|(how, _)| how.len()).max().unwrap_or(0);
    for (how, wall) in &rows {
        out.say(format!("  {how:<width$} {wall:>8.1} ms"));
    }
    out.say("\nOne after another, the tenth user waits for the nine before: ten times the delay.");
    // What the rows measured, said as such: "at once" where a way took
    // under half the time in turn, else the time it took.
    let overlapped = |wall: f64| wall < sequential / 2.0;
    match threads {
        Some(wall) if overlapped(wall) => {
            out.say(format!(
                "Ten threads waited in parallel ({wall:.0} ms for all ten)."
            ));
        }
        Some(wall) => out.say(format!(
            "Ten threads did not overlap here ({wall:.0} ms): a busy machine, or a thread limit."
        )),
        None => {}
    }
    match one_thread {
        Some(wall) if overlapped(wall) => {
            out.say(format!(
                "So did ten tasks on a single thread ({wall:.0} ms), because a task waiting at"
            ));
            out.say(".await gives the thread back to the others.");
        }
        Some(wall) => out.say(format!(
            "Ten tasks on one thread took {wall:.0} ms: they did not overlap here."
        )),
        None => out.say(
            "Here every task is an OS thread; an async runtime overlaps the ten on one thread \
             (run this lesson with fetch-tokio or fetch-smol).",
        ),
    }
    Ok(json!({
        "delay_ms": TEN_USERS_DELAY_MS,
        "sequential_ms": sequential,
        "threads_ms": threads,
        "one_async_thread_ms": one_thread,
    }))
}

/// Child step: ten requests, all spawned at once, on this runtime.
fn ten_concurrent<R: Runtime, C: HttpClient>(
    ctx: &Context<'_, R, C>,
    base: &str,
) -> anyhow::Result<Value> {
    let rt = ctx.runtime;
    let url = format!("{base}/delay/{TEN_USERS_DELAY_MS}");
    let started = Instant::now();
    let ok = rt.block_on(async {
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (rt2, client, url, limit) =
                    (rt.clone(), ctx.client.clone(), url.clone(), ctx.timeout);
                rt.spawn(async move {
                    within(&rt2, limit, &url, get_ok(&*client, &url))
                        .await
                        .is_ok()
                })
            })
            .collect();
        let mut ok = 0;
        for task in tasks {
            ok += u32::from(task.await.unwrap_or(false));
        }
        ok
    });
    Ok(json!({"wall_ms": ms(started.elapsed()), "ok": ok}))
}

/// Requests in flight in the thousands lesson.
const THOUSANDS: u64 = 10_000;
/// How long the server holds each of them.
const THOUSANDS_DELAY_MS: u64 = 1_000;

fn thousands<R: Runtime, C: HttpClient>(
    ctx: &Context<'_, R, C>,
    out: Out,
) -> anyhow::Result<Value> {
    // The server in this process holds 10,000 connections open.
    limits::ensure_open_files(
        limits::Need::exactly(THOUSANDS + 256),
        "the thousands lesson's server",
    )?;
    let server = embedded_server()?;
    let base = server.url();
    out.say(format!(
        "{THOUSANDS} requests to /delay/{THOUSANDS_DELAY_MS}, all in flight at once, each in a process of its own:\n"
    ));
    let mut rows = Vec::new();
    let mut results = BTreeMap::new();
    if !ctx.runtime.thread_per_task() {
        let v = child(
            &self_exe()?,
            Some(1),
            Some(ctx.client.name()),
            "thousands",
            "run",
            &base,
        )?;
        rows.push((format!("{}, ONE thread", ctx.runtime.name()), v.clone()));
        results.insert("one_async_thread", v);
    }
    match threads_exe() {
        Some(exe) => match child(&exe, None, None, "thousands", "run", &base) {
            Ok(v) => {
                rows.push((format!("{THOUSANDS} OS threads (fetch-threads)"), v.clone()));
                results.insert("os_threads", v);
            }
            Err(e) => {
                out.say(format!(
                    "  {THOUSANDS} OS threads: could not run on this machine: {e:#}"
                ));
                results.insert("os_threads", json!({"error": format!("{e:#}")}));
            }
        },
        None => out.say("(fetch-threads is not built next to this binary: no OS-threads row)"),
    }
    out.say(format!(
        "  {:<34} {:>9} {:>9} {:>12} {:>14}",
        "how", "wall ms", "ok", "peak RSS MB", "KiB / request"
    ));
    for (how, v) in &rows {
        out.say(format!(
            "  {how:<34} {:>9.0} {:>9} {:>12.1} {:>14.1}",
            v["wall_ms"].as_f64().unwrap_or(f64::NAN),
            v["ok"].as_u64().unwrap_or(0),
            v["peak_rss_kb"].as_f64().unwrap_or(f64::NAN) / 1024.0,
            v["kb_per_request"].as_f64().unwrap_or(f64::NAN),
        ));
    }
    out.say(
        "\nKiB per request = (peak RSS - RSS before the run) / requests in flight: the task, its",
    );
    out.say(
        "future, its socket buffers and the client's connection state; for threads also a stack.",
    );
    out.say("The wall time is the server's delay plus the time to open 10,000 connections.");
    Ok(json!(results))
}

/// Child step: `THOUSANDS` requests in flight at once, measured.
fn thousands_step<R: Runtime, C: HttpClient>(
    ctx: &Context<'_, R, C>,
    base: &str,
) -> anyhow::Result<Value> {
    // Every request opens its own connection here (none is ever idle while
    // another waits), so no headroom is needed: measured to fit in 20,000.
    limits::ensure_open_files(limits::Need::exactly(THOUSANDS + 256), "10,000 connections")?;
    let before = Usage::now();
    let url = UrlTemplate::new(&format!("{base}/delay/{THOUSANDS_DELAY_MS}"))?;
    let plan = LoadPlan::new(url, Stop::Requests(THOUSANDS))
        .concurrency(THOUSANDS as usize)
        .timeout(Duration::from_secs(60));
    let report = ctx.runtime.block_on(run_load(
        ctx.runtime,
        ctx.client.clone(),
        plan,
        Progress::new(),
    ));
    let after = Usage::now();
    let grown = after.peak_rss_kb.saturating_sub(before.peak_rss_kb);
    Ok(json!({
        "wall_ms": ms(report.elapsed),
        "requests": report.requests,
        "ok": report.ok,
        "errors": report.errors.iter().map(|(k, n)| (k.to_string(), *n)).collect::<BTreeMap<_, _>>(),
        "rss_before_kb": before.peak_rss_kb,
        "peak_rss_kb": after.peak_rss_kb,
        "kb_per_request": grown as f64 / THOUSANDS as f64,
        "threads": ctx.runtime.threads(),
    }))
}

fn spawn<R: Runtime, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value> {
    let rt = ctx.runtime;
    // A CPU job is a counted amount of work (about 100 ms alone on one
    // core), not "spin until 100 ms have passed": only counted work shows
    // what more cores really give.
    let job = CpuJob::calibrate(Duration::from_millis(100));
    let jobs = 4;
    // CPU work: awaiting each spawned task before spawning the next runs
    // them one by one; spawning all first lets every worker take one. Three
    // rounds of both, interleaved, and the median of each: the machine is
    // shared, and one slow round should not decide the lesson.
    let mut rounds = Vec::new();
    for _ in 0..3 {
        let before = Usage::now();
        let started = Instant::now();
        rt.block_on(async {
            for _ in 0..jobs {
                let _ = rt.spawn(async move { job.run() }).await;
            }
        });
        let awaited = ms(started.elapsed());
        let awaited_used = Usage::now().since(before).cpu_s * 1000.0;
        let before = Usage::now();
        let started = Instant::now();
        rt.block_on(async {
            let tasks: Vec<_> = (0..jobs)
                .map(|_| rt.spawn(async move { job.run() }))
                .collect();
            for task in tasks {
                let _ = task.await;
            }
        });
        // The CPU time the process used meanwhile: at least the jobs' own
        // work, whatever the wall clock says.
        let used = Usage::now().since(before).cpu_s * 1000.0;
        rounds.push((awaited, ms(started.elapsed()), used, awaited_used));
    }
    let median = |pick: fn(&(f64, f64, f64, f64)) -> f64| {
        let mut values: Vec<f64> = rounds.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let cpu_awaited = median(|r| r.0);
    let cpu_spawned = median(|r| r.1);
    let cpu_used = median(|r| r.2);
    // The same CPU time for the jobs in turn: the work itself, which a
    // busy machine stretches on the wall clock but not here.
    let cpu_awaited_used = median(|r| r.3);

    // Waiting on the network: the same, with ten 100 ms requests.
    let server = embedded_server()?;
    let url = format!("{}/delay/100", server.url());
    let fetch = |rt: R, client: Arc<C>, url: String, limit| async move {
        let _ = within(&rt, limit, &url, get_ok(&*client, &url)).await;
    };
    let started = Instant::now();
    rt.block_on(async {
        for _ in 0..10 {
            fetch(rt.clone(), ctx.client.clone(), url.clone(), ctx.timeout).await;
        }
    });
    let io_awaited = ms(started.elapsed());
    let started = Instant::now();
    rt.block_on(async {
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                rt.spawn(fetch(
                    rt.clone(),
                    ctx.client.clone(),
                    url.clone(),
                    ctx.timeout,
                ))
            })
            .collect();
        for task in tasks {
            let _ = task.await;
        }
    });
    let io_spawned = ms(started.elapsed());

    let cores = crate::context::available_cores();
    let (in_turn, at_once) = if rt.thread_per_task() {
        // Here a spawned task is an OS thread, and awaiting it joins it.
        (
            "each on a new OS thread, joined before the next",
            "each on a new OS thread, all at once",
        )
    } else {
        ("each awaited before the next", "all spawned, then awaited")
    };
    out.say(format!(
        "On {} ({cores} cores here); a CPU job is {} rounds of arithmetic, {:.0} ms alone on one core:\n",
        crate::context::runtime_description(rt),
        job.rounds,
        ms(job.alone)
    ));
    out.say(format!(
        "  {jobs} CPU jobs, {in_turn:<48}{cpu_awaited:>8.1} ms  (median of 3)"
    ));
    out.say(format!(
        "  {jobs} CPU jobs, {at_once:<48}{cpu_spawned:>8.1} ms  (median of 3)"
    ));
    out.say(format!(
        "  10 requests of 100 ms, {in_turn:<37}{io_awaited:>8.1} ms"
    ));
    out.say(format!(
        "  10 requests of 100 ms, {at_once:<37}{io_spawned:>8.1} ms"
    ));
    let speedup = cpu_awaited / cpu_spawned.max(f64::MIN_POSITIVE);
    let most = if rt.thread_per_task() {
        cores
    } else {
        rt.threads().min(cores)
    };
    out.say(format!(
        "\nThe CPU jobs ran {speedup:.1}x faster spawned: about {most}x at most here, one per \
         thread that has a core\n(the process used {cpu_used:.0} ms of CPU for them: the work is \
         the same either way; only how much of it runs at once changes)."
    ));
    out.say("spawn hands a future to the runtime, which starts running it at once, on any worker;");
    out.say(
        "await waits for one thing. Spawn everything first and await afterwards to overlap them.",
    );
    // Said from the two speed-ups measured, not assumed.
    let io_speedup = io_awaited / io_spawned.max(f64::MIN_POSITIVE);
    let holds = if rt.thread_per_task() {
        "a thread that waits holds no core, only its stack and a kernel thread"
    } else {
        "a task that waits holds no core and no thread"
    };
    if io_speedup > 1.5 * speedup {
        out.say(format!(
            "Waiting gained far more than computing ({io_speedup:.1}x against {speedup:.1}x): {holds}."
        ));
    } else {
        out.say(format!(
            "Here waiting gained {io_speedup:.1}x and computing {speedup:.1}x: {holds}, so waits \
             overlap without limit and CPU work only up to the cores."
        ));
    }
    Ok(json!({
        "cpu_job_rounds": job.rounds,
        "cpu_job_alone_ms": ms(job.alone),
        "cpu_jobs": jobs,
        "cpu_awaited_ms": cpu_awaited,
        "cpu_spawned_ms": cpu_spawned,
        "cpu_spawned_process_cpu_ms": cpu_used,
        "cpu_awaited_process_cpu_ms": cpu_awaited_used,
        "cores": cores,
        "io_awaited_ms": io_awaited,
        "io_spawned_ms": io_spawned,
    }))
}

/// The lesson `ten-users`: ten slow requests, three ways.
pub(super) struct TenUsers;

impl Lesson for TenUsers {
    const ABOUT: &'static About = &About {
        name: "ten-users",
        claim: "If you have ten users waiting, you need ten threads, or one user waits nine times longer.",
        shows: "ten slow requests: one after another, a thread each, concurrently on one thread",
        thread_per_task_too: true,
        threads_note: Some(
            "one after another in this process; at once on ten OS threads and, on an async \
             runtime, on ONE worker thread, each in a process of its own",
        ),
        in_flight: 16,
        thread_per_core: Some(
            "ten requests at once on one thread is how every shard of a thread-per-core runtime works (the load command shows it: each shard's share of the requests in flight on one thread); not run here: the lesson spawns through the Send runtime trait and compares against the threads baseline in child processes, not written for compio",
        ),
    };

    fn run<R: Hooks, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value> {
        ten_users(ctx, out)
    }

    fn step<R: Hooks, C: HttpClient>(
        ctx: &Context<'_, R, C>,
        step: &str,
        base: &str,
    ) -> anyhow::Result<Value> {
        the_step(Self::ABOUT.name, step, "concurrent")?;
        ten_concurrent(ctx, base)
    }
}

/// The lesson `thousands`: 10,000 requests in flight on one thread.
pub(super) struct Thousands;

impl Lesson for Thousands {
    const ABOUT: &'static About = &About {
        name: "thousands",
        claim: "This pattern lets you handle thousands of concurrent connections with a single thread.",
        shows: "10,000 requests in flight on one thread: time and memory, beside 10,000 OS threads",
        thread_per_task_too: true,
        threads_note: Some(
            "measured on ONE worker thread and on 10,000 OS threads, each in a process of its own",
        ),
        in_flight: THOUSANDS as usize,
        thread_per_core: Some(
            "10,000 requests in flight on one thread is one shard's work (with `fetch-server` started in another terminal, `fetch-compio --threads 1 load --url http://127.0.0.1:PORT/users/{id} -c 10000` runs it within a 20,000 open-file limit and reports time and memory; with the embedded server the process holds both ends of every connection and needs twice that); not run here: the lesson's memory steps run as child processes through the Send runtime trait, not written for compio",
        ),
    };

    fn run<R: Hooks, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value> {
        thousands(ctx, out)
    }

    fn step<R: Hooks, C: HttpClient>(
        ctx: &Context<'_, R, C>,
        step: &str,
        base: &str,
    ) -> anyhow::Result<Value> {
        the_step(Self::ABOUT.name, step, "run")?;
        thousands_step(ctx, base)
    }
}

/// The lesson `spawn`: spawned tasks against awaited ones.
pub(super) struct Spawn;

impl Lesson for Spawn {
    const ABOUT: &'static About = &About {
        name: "spawn",
        claim: "Calling an async fn alone just builds the Future. You must spawn it or await it.",
        shows: "spawned tasks run in parallel on the workers; awaited ones run one after another",
        thread_per_task_too: true,
        threads_note: None,
        in_flight: 16,
        thread_per_core: Some(
            "on a thread-per-core runtime a spawned task never leaves its shard's thread, so spawning runs tasks concurrently but not in parallel: parallelism comes from the shards, one per thread, as the load command runs them; the lesson's measurement (spawned against awaited work spread over the workers) has no workers to spread over",
        ),
    };

    fn run<R: Hooks, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value> {
        spawn(ctx, out)
    }
}
