//! main-task: where `main`'s future runs, and what `#[tokio::main]` really
//! writes.
//!
//! The seed says the attribute "spawns the async block as a task". It does
//! not: it builds a runtime and calls `block_on(body)` on the thread that
//! called `main`. In a process of its own for each number of worker threads
//! (1 and 2: on tokio, its `current_thread` and `multi_thread` flavours),
//! `main`'s future names the thread it runs on and the thread a task it
//! spawned runs on. Then it blocks that thread for 200 ms with
//! `std::thread::sleep` while two 5 ms timers tick, one awaited in `main`'s
//! own future and one in a spawned task: the ticks that came in the 200 ms
//! show which of the two froze. On tokio it prints the attribute's
//! expansion, written by hand as code fetch-tokio compiles and tests
//! against the attribute (`fetch_tokio::expanded`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fetch_core::{HttpClient, Runtime};
use serde_json::{Value, json};

use super::kit::{About, Lesson, Out, child, self_exe, the_step};
use crate::Hooks;
use crate::context::Context;

/// How often both timers tick.
const TICK: Duration = Duration::from_millis(5);
/// How long `main`'s future blocks its thread.
const BLOCK: Duration = Duration::from_millis(200);
/// How long both timers run before and after the block.
const AROUND: Duration = Duration::from_millis(50);

/// The lesson `main-task`.
pub(super) struct MainTask;

impl Lesson for MainTask {
    const ABOUT: &'static About = &About {
        name: "main-task",
        claim: "The attribute macro handles the boilerplate. It creates the runtime, spawns the async block as a task, and blocks the current thread until the task completes.",
        shows: "main's future runs on the main thread under block_on, not as a task; what blocking it freezes",
        thread_per_task_too: false,
        threads_note: Some(
            "measured with 1 and with 2 worker threads, each in a process of its own",
        ),
        in_flight: 16,
        thread_per_core: Some(
            "on compio, main's future and every task of a shard share one thread by design, the case of tokio's current_thread flavour: blocking main's future freezes them all; the lesson measures tokio's two flavours and the #[tokio::main] expansion through the runtime hooks, which compio (no main attribute here) does not implement",
        ),
    };

    fn run<R: Hooks, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value> {
        let rt = ctx.runtime;
        let exe = self_exe()?;
        let mut runs = Vec::new();
        for threads in [1, 2] {
            runs.push(child(
                &exe,
                Some(threads),
                Some(ctx.client.name()),
                Self::ABOUT.name,
                "where",
                "-",
            )?);
        }
        out.say(format!(
            "On {}, main's future names the thread it runs on, and the thread a task it spawned runs on.\n\
             Then it blocks its thread for {} ms (std::thread::sleep) while two {} ms timers tick: one\n\
             awaited in main's own future, one in a spawned task. Each in a process of its own:\n",
            rt.name(),
            BLOCK.as_millis(),
            TICK.as_millis()
        ));
        let expected = BLOCK.as_millis() / TICK.as_millis();
        out.say(format!(
            "  {:<34}{:>14}{:>20}   ticks in the {} ms block (of {expected})",
            "",
            "main's future",
            "a spawned task",
            BLOCK.as_millis()
        ));
        out.say(format!(
            "  {:<34}{:>14}{:>20}   {:>14}{:>16}",
            "", "runs on", "runs on", "main's future", "spawned task"
        ));
        for run in &runs {
            out.say(format!(
                "  {:<34}{:>14}{:>20}   {:>14}{:>16}",
                label(run),
                run["main_future"].as_str().unwrap_or("?"),
                run["spawned_task"].as_str().unwrap_or("?"),
                run["main_ticks_in_block"].as_u64().unwrap_or(0),
                run["task_ticks_in_block"].as_u64().unwrap_or(0),
            ));
        }
        for run in &runs {
            out.say(format!(
                "  longest wait for a {} ms tick, {}: main's future {:.0} ms, the task {:.0} ms",
                TICK.as_millis(),
                label(run),
                run["main_longest_gap_ms"].as_f64().unwrap_or(f64::NAN),
                run["task_longest_gap_ms"].as_f64().unwrap_or(f64::NAN),
            ));
        }
        out.say("");
        let attribute = rt.main_attribute();
        match attribute {
            Ok(attribute) => {
                out.say(format!(
                    "What {} writes (tokio-macros' own expansion, written out by hand; a test in\n\
                     fetch-tokio checks it behaves as the attribute does):\n",
                    attribute.attribute
                ));
                for line in attribute.expansion.lines() {
                    out.say(format!("    {line}"));
                }
                out.say(
                    "\n(#[tokio::main(flavor = \"current_thread\")] writes Builder::new_current_thread() instead.)\n",
                );
            }
            Err(why) => out.say(format!("No attribute to expand on {}: {why}.\n", rt.name())),
        }
        let on_main = runs.iter().all(|run| run["main_future"] == "main");
        out.say(format!(
            "The seed says the attribute \"spawns the async block as a task\". It does not: it calls\n\
             block_on(body), and the thread that called main polls main's future itself, from start to end.\n\
             main's future never runs on a worker ({}). Spawned tasks do run on the\n\
             workers, except in tokio's current_thread flavour, where they take turns with main's future on\n\
             the main thread. What follows: a blocking call in main's future freezes main's own awaits (its\n\
             timer ticked 0 times while blocked) but not tasks on worker threads; where main's thread is the\n\
             only one, it freezes everything. Blocking in main is no safer than blocking in a task.",
            if on_main {
                "\"main\" in every row above"
            } else {
                "yet above it did not run on \"main\": see the rows"
            }
        ));
        Ok(json!({
            "attribute": attribute.ok().map(|a| a.attribute),
            "tick_ms": TICK.as_millis() as u64,
            "block_ms": BLOCK.as_millis() as u64,
            "runs": runs,
        }))
    }

    fn step<R: Hooks, C: HttpClient>(
        ctx: &Context<'_, R, C>,
        step: &str,
        _base: &str,
    ) -> anyhow::Result<Value> {
        the_step(Self::ABOUT.name, step, "where")?;
        let rt = ctx.runtime;
        let seen = rt.block_on(where_things_run(rt));
        let in_block = |ticks: &[Instant]| {
            ticks
                .iter()
                .filter(|&&at| at > seen.block_from && at <= seen.block_to)
                .count()
        };
        Ok(json!({
            "threads": rt.threads(),
            "flavour": rt.flavour(),
            "main_future": seen.main_future,
            "spawned_task": seen.spawned_task,
            "main_ticks_in_block": in_block(&seen.main_ticks),
            "task_ticks_in_block": in_block(&seen.task_ticks),
            "main_longest_gap_ms": longest_gap_ms(&seen.main_ticks),
            "task_longest_gap_ms": longest_gap_ms(&seen.task_ticks),
        }))
    }
}

/// A run's label: its worker threads, and its flavour where the runtime
/// has several.
fn label(run: &Value) -> String {
    let threads = run["threads"].as_u64().unwrap_or(0);
    let workers = format!(
        "{threads} worker thread{}",
        if threads == 1 { "" } else { "s" }
    );
    match run["flavour"].as_str() {
        Some(flavour) => format!("{flavour} ({workers})"),
        None => workers,
    }
}

/// What `main`'s future saw.
struct Seen {
    main_future: String,
    spawned_task: String,
    block_from: Instant,
    block_to: Instant,
    main_ticks: Vec<Instant>,
    task_ticks: Vec<Instant>,
}

/// `main`'s future: where it runs, where a task it spawns runs, and the two
/// timers around a blocking call.
async fn where_things_run<R: Runtime>(rt: &R) -> Seen {
    let main_future = thread_name();
    let spawned_task = rt
        .spawn(async { thread_name() })
        .await
        .unwrap_or_else(|e| format!("(the task failed: {e})"));

    let stop = Arc::new(AtomicBool::new(false));
    let task_ticks = Arc::new(Mutex::new(Vec::new()));
    let task = rt.spawn(tick(rt.clone(), task_ticks.clone(), stop.clone()));
    let main_ticks = Arc::new(Mutex::new(Vec::new()));
    // Two futures in main's own future, polled by its thread in turn: a
    // timer, and the blocking call. `zip` is no spawn: both stay here.
    let ((block_from, block_to), ()) = futures_lite::future::zip(
        async {
            rt.sleep(AROUND).await;
            let from = Instant::now();
            // The mistake: a blocking call in async code.
            std::thread::sleep(BLOCK);
            let to = Instant::now();
            rt.sleep(AROUND).await;
            stop.store(true, Ordering::SeqCst);
            (from, to)
        },
        tick(rt.clone(), main_ticks.clone(), stop.clone()),
    )
    .await;
    let _ = task.await;
    let taken = |ticks: &Mutex<Vec<Instant>>| {
        std::mem::take(
            &mut *ticks
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    };
    Seen {
        main_future,
        spawned_task,
        block_from,
        block_to,
        main_ticks: taken(&main_ticks),
        task_ticks: taken(&task_ticks),
    }
}

/// Awaits a [`TICK`] timer again and again until `stop`, noting when each
/// one fired.
async fn tick<R: Runtime>(rt: R, ticks: Arc<Mutex<Vec<Instant>>>, stop: Arc<AtomicBool>) {
    let started = Instant::now();
    ticks
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(started);
    while !stop.load(Ordering::SeqCst) {
        rt.sleep(TICK).await;
        ticks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(Instant::now());
    }
}

/// The longest time between two ticks, in milliseconds.
fn longest_gap_ms(ticks: &[Instant]) -> f64 {
    ticks
        .windows(2)
        .map(|pair| (pair[1] - pair[0]).as_secs_f64() * 1e3)
        .fold(0.0, f64::max)
}

/// The current thread's name, or `<unnamed>` as the standard library
/// prints a thread without one.
fn thread_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unnamed>")
        .to_owned()
}
