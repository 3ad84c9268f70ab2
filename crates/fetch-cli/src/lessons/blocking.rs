//! blocking and cpu-work: a heartbeat task asks to wake every 10 ms while
//! another task does 200 ms of blocking work in three ways. How late the
//! heartbeat gets shows whether the executor was frozen.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fetch_core::{HttpClient, Runtime, yield_now};
use serde_json::{Value, json};

use super::kit::{About, CpuJob, Lesson, Out, child, self_exe, the_step};
use crate::Hooks;
use crate::context::Context;
use crate::context::ms;

/// What the other task does for 200 ms.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Work {
    /// Wait: `std::thread::sleep`, or its async and blocking-pool fixes.
    Sleep,
    /// Compute: a busy loop, or its cooperative and blocking-pool fixes.
    Cpu,
}

const BEAT: Duration = Duration::from_millis(10);
const WORK: Duration = Duration::from_millis(200);

/// The three ways, labelled as the table prints them.
fn variants(work: Work) -> [(&'static str, Way); 3] {
    match work {
        Work::Sleep => [
            ("BAD   std::thread::sleep(200ms) in a task", Way::Inline),
            ("GOOD  sleep(200ms).await", Way::Async),
            ("GOOD  spawn_blocking(|| thread::sleep(200ms))", Way::Pool),
        ],
        Work::Cpu => [
            ("BAD   a 200 ms CPU job in a task", Way::Inline),
            (
                "OK    the job in 200 slices, yield_now() between",
                Way::Async,
            ),
            ("GOOD  spawn_blocking(|| the job)", Way::Pool),
        ],
    }
}

#[derive(Debug, Clone, Copy)]
enum Way {
    /// On the async worker, blocking it: the mistake.
    Inline,
    /// The async way: an async sleep, or CPU work that yields.
    Async,
    /// On the runtime's blocking thread pool.
    Pool,
}

/// Runs lesson `name` on `work`: its measurement in a child process per
/// thread count, then the table.
fn run<R: Runtime, C: HttpClient>(
    ctx: &Context<'_, R, C>,
    out: Out,
    work: Work,
    name: &str,
) -> anyhow::Result<Value> {
    let many = crate::context::available_cores().max(2);
    let mut columns = Vec::new();
    for threads in [1, many] {
        let v = child(
            &self_exe()?,
            Some(threads),
            Some(ctx.client.name()),
            name,
            "run",
            "-",
        )?;
        columns.push((threads, v));
    }
    let what = match work {
        Work::Sleep => "sleeps 200 ms",
        Work::Cpu => "does a CPU job of a fixed size (200 ms alone on one core)",
    };
    out.say(format!(
        "A heartbeat task sleeps 10 ms at a time; another task {what}. Worst lateness of a beat on {},\n\
         each cell the median of {RUNS} runs, each column a process with that many worker threads:\n",
        ctx.runtime.name()
    ));
    let header: String = columns
        .iter()
        .map(|(t, _)| {
            format!(
                "{:>16}",
                format!("{t} thread{}", if *t == 1 { "" } else { "s" })
            )
        })
        .collect();
    out.say(format!("  {:<48}{header}", "the other task does"));
    for (i, (label, _)) in variants(work).iter().enumerate() {
        let cells: String = columns
            .iter()
            .map(|(_, v)| {
                format!(
                    "{:>13.1} ms",
                    v["variants"][i]["worst_late_ms"]
                        .as_f64()
                        .unwrap_or(f64::NAN)
                )
            })
            .collect();
        out.say(format!("  {label:<48}{cells}"));
    }
    out.say("");
    match work {
        Work::Sleep => {
            out.say("std::thread::sleep stops the OS thread, and with it every task that thread was polling:");
            // The BAD row on one worker, as measured: said, not assumed.
            let one_worker = columns
                .first()
                .and_then(|(_, v)| v["variants"][0]["worst_late_ms"].as_f64())
                .unwrap_or(f64::NAN);
            out.say(format!(
                "on one worker the heartbeat's worst beat came {one_worker:.0} ms late. \
                 sleep(..).await parks only the task."
            ));
            out.say("spawn_blocking moves the blocking call to a separate pool of threads, so the workers stay free.");
        }
        Work::Cpu => {
            out.say("A CPU job never reaches an .await, so the executor cannot switch away from it: on one");
            out.say("worker nothing else runs until it ends. Yielding between slices lets other tasks in (at");
            out.say("the cost of the job's own latency); spawn_blocking takes it off the workers altogether.");
            out.say("Why yielding is only OK: a task that yields is ready again at once, so a lone worker never");
            out.say("goes idle, and a runtime that looks at its timers only when idle or every so many polls");
            out.say("(tokio: every 61 polls, its event_interval; here one poll per slice) wakes the heartbeat");
            out.say("late. A runtime whose timers live on a reactor thread of their own (smol's and async-std's");
            out.say("async-io) can wake it sooner. The 1-thread column shows which is which.");
        }
    }
    out.say("With several workers the others keep running, so the damage depends on where the heartbeat");
    out.say("was queued: that is where runtimes differ (work stealing, LIFO slots, how they pick a worker).");
    Ok(json!(
        columns
            .iter()
            .map(|(threads, v)| json!({"threads": threads, "variants": v["variants"]}))
            .collect::<Vec<_>>()
    ))
}

/// Runs of each way; each cell is their median, so one disturbed run (the
/// machine is shared) cannot swap two rows.
const RUNS: usize = 3;

/// Child step: each way, with the heartbeat running beside it, [`RUNS`]
/// times; the median worst lateness of each.
fn measure<R: Runtime, C: HttpClient>(ctx: &Context<'_, R, C>, work: Work) -> Value {
    let rt = ctx.runtime;
    // The job's size is counted in rounds of work, calibrated once here.
    let job = CpuJob::calibrate(WORK);
    let rows: Vec<Value> = variants(work)
        .iter()
        .map(|(label, way)| {
            let mut runs: Vec<Beside> = (0..RUNS)
                .map(|_| rt.block_on(beside_heartbeat(rt, work, *way, job)))
                .collect();
            runs.sort_by_key(|run| run.worst_late);
            let median = runs[RUNS / 2];
            let all: Vec<f64> = runs.iter().map(|run| ms(run.worst_late)).collect();
            json!({
                "variant": label,
                "worst_late_ms": ms(median.worst_late),
                "beats": median.beats,
                "job_ms": ms(median.job),
                "runs_ms": all,
            })
        })
        .collect();
    json!({"threads": rt.threads(), "cpu_job_rounds": job.rounds, "variants": rows})
}

/// One run of one way beside the heartbeat.
#[derive(Debug, Clone, Copy)]
struct Beside {
    /// The heartbeat's worst lateness.
    worst_late: Duration,
    /// Beats it managed.
    beats: u32,
    /// The work's own wall time, from its first instruction to its last:
    /// the most it can hold the heartbeat back. A shared machine stretches
    /// it, and a calibration disturbed by other work shortens it, so the
    /// lateness is judged against this, not against the 200 ms asked for.
    job: Duration,
}

/// Runs the heartbeat, then the work; returns the worst lateness and how
/// long the work itself took.
async fn beside_heartbeat<R: Runtime>(rt: &R, work: Work, way: Way, job: CpuJob) -> Beside {
    let stop = Arc::new(AtomicBool::new(false));
    let heartbeat = rt.spawn(heartbeat(rt.clone(), stop.clone()));
    // Let it settle into its rhythm first.
    rt.sleep(Duration::from_millis(50)).await;
    let rt2 = rt.clone();
    let job = match way {
        // BAD: blocking code inside an async task holds the worker thread.
        Way::Inline => rt.spawn(async move { timed(|| block(work, job)) }),
        Way::Async => rt.spawn(async move {
            let started = Instant::now();
            match work {
                // GOOD: an async sleep; the task waits, the thread does not.
                Work::Sleep => rt2.sleep(WORK).await,
                // Cooperative: the same job in slices of about 1 ms,
                // yielding between them.
                Work::Cpu => {
                    let slices = WORK.as_millis() as u64;
                    for _ in 0..slices {
                        std::hint::black_box(job.run_slice(slices));
                        yield_now().await;
                    }
                }
            }
            started.elapsed()
        }),
        // GOOD: the blocking call runs on the blocking pool; this task
        // awaits its result without holding a worker.
        Way::Pool => rt.spawn(async move {
            rt2.spawn_blocking(move || timed(|| block(work, job)))
                .await
                .unwrap_or(Duration::ZERO)
        }),
    };
    let job = job.await.unwrap_or(Duration::ZERO);
    rt.sleep(Duration::from_millis(50)).await;
    stop.store(true, Ordering::Relaxed);
    let (worst_late, beats) = heartbeat.await.unwrap_or((Duration::MAX, 0));
    Beside {
        worst_late,
        beats,
        job,
    }
}

/// The work done the blocking way: a thread sleep or the whole CPU job.
fn block(work: Work, job: CpuJob) {
    match work {
        Work::Sleep => std::thread::sleep(WORK),
        Work::Cpu => {
            std::hint::black_box(job.run());
        }
    }
}

/// How long `f` took.
fn timed(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

/// Sleeps `BEAT` at a time until told to stop; returns the worst lateness.
async fn heartbeat<R: Runtime>(rt: R, stop: Arc<AtomicBool>) -> (Duration, u32) {
    let mut worst = Duration::ZERO;
    let mut beats = 0;
    while !stop.load(Ordering::Relaxed) {
        let asked = Instant::now();
        rt.sleep(BEAT).await;
        worst = worst.max(asked.elapsed().saturating_sub(BEAT));
        beats += 1;
    }
    (worst, beats)
}

/// The thread counts both lessons measure, whatever `--threads` says.
const MEASURED_ON: &str = "measured with 1 worker thread and with one per core (at least 2), each in a process of its own";

/// `blocking` (a blocking sleep inside a task) and `cpu-work` (a CPU job
/// inside a task), each beside the heartbeat with its fixes: one lesson,
/// told apart by the work.
pub(super) struct Heartbeat<const CPU: bool>;

/// The lesson `blocking`.
pub(super) type Blocking = Heartbeat<false>;
/// The lesson `cpu-work`.
pub(super) type CpuWork = Heartbeat<true>;

const BLOCKING: About = About {
    name: "blocking",
    claim: "If you call a synchronous function that blocks the thread ... you freeze the entire executor.",
    shows: "a 10 ms heartbeat beside std::thread::sleep, an async sleep and spawn_blocking",
    thread_per_task_too: false,
    in_flight: 16,
    thread_per_core: Some(
        "a blocked thread is a blocked shard: every task on it stops and no other thread takes them over (a thread-per-core runtime steals nothing), as on tokio's current_thread; compio's spawn_blocking sends the closure to a pool of threads beside the shard and wakes the shard with the result, the one way to block there without stopping it. Not run here: the lesson measures through the Send runtimes' hooks (spawn_blocking, the worker count), not written for compio",
    ),
    threads_note: Some(MEASURED_ON),
};

const CPU_WORK: About = About {
    name: "cpu-work",
    claim: "Use spawn_blocking for heavy CPU work that would starve other tasks.",
    shows: "the same heartbeat beside a CPU job, inline, cooperative and on the blocking pool",
    thread_per_task_too: false,
    in_flight: 16,
    thread_per_core: Some(
        "CPU work inline stops the shard it runs on, the whole of it; yielding between slices lets the shard's other tasks in, and the blocking pool takes the work off the shard's thread. Not run here, for the reason the blocking lesson gives",
    ),
    threads_note: Some(MEASURED_ON),
};

impl<const CPU: bool> Heartbeat<CPU> {
    const WORK: Work = if CPU { Work::Cpu } else { Work::Sleep };
}

impl<const CPU: bool> Lesson for Heartbeat<CPU> {
    const ABOUT: &'static About = if CPU { &CPU_WORK } else { &BLOCKING };

    fn run<R: Hooks, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value> {
        run(ctx, out, Self::WORK, Self::ABOUT.name)
    }

    fn step<R: Hooks, C: HttpClient>(
        ctx: &Context<'_, R, C>,
        step: &str,
        _base: &str,
    ) -> anyhow::Result<Value> {
        the_step(Self::ABOUT.name, step, "run")?;
        Ok(measure(ctx, Self::WORK))
    }
}
