//! fire-and-forget: what a runtime does with a task nobody awaits.
//!
//! A task counts to ten, 10 ms a step. Spawned and its handle dropped at
//! once, it runs on (tokio, async-std, the threads baseline) or is
//! cancelled (smol); spawned detached (`Runtime::spawn_detached`: smol's
//! `detach()`), it runs on everywhere. Then, in a process of its own, four
//! detached tasks of a hundred steps each are still running when `main`'s
//! future returns: the process ends and so do they, mid-way.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fetch_core::{HttpClient, Runtime};
use serde_json::{Value, json};

use super::kit::{About, Lesson, Out, child, self_exe, the_step};
use crate::Hooks;
use crate::context::Context;

/// Steps of the short task, 10 ms apart.
const STEPS: u64 = 10;
/// How long to wait for the short task to finish before calling it stopped.
const PATIENCE: Duration = Duration::from_secs(1);
/// The tasks alive when `main` returns: how many, of how many steps.
const LONG_TASKS: u64 = 4;
const LONG_STEPS: u64 = 100;
/// How long `main`'s future runs before it returns.
const MAIN_RUNS: Duration = Duration::from_millis(100);

const STEP: Duration = Duration::from_millis(10);

/// The lesson `fire-and-forget`.
pub(super) struct FireAndForget;

impl Lesson for FireAndForget {
    const ABOUT: &'static About = &About {
        name: "fire-and-forget",
        claim: "Use tokio::spawn to fire and forget.",
        shows: "a task whose handle is dropped: detached or cancelled, by runtime; and detached tasks when main returns",
        thread_per_task_too: true,
        threads_note: None,
        in_flight: 16,
        thread_per_core: Some(
            "compio's task handle cancels the task when dropped unless detached (as smol's); not run here: the lesson's steps run through the Send runtime trait (spawn, spawn_detached), not written for compio",
        ),
    };

    fn run<R: Hooks, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value> {
        let rt = ctx.runtime;
        out.say(format!(
            "A task counts to {STEPS}, one step every 10 ms. On {}, spawned two ways:\n",
            rt.name()
        ));
        let dropped = counted(rt, |counter| {
            // The handle is dropped at once: nobody will await it.
            drop(rt.spawn(count(rt.clone(), counter, STEPS)));
        });
        let detached = counted(rt, |counter| {
            rt.spawn_detached(count(rt.clone(), counter, STEPS));
        });
        out.say(format!(
            "  spawn(..), its handle dropped at once      {dropped:>3} of {STEPS} steps done{}",
            if dropped == 0 {
                "   cancelled: dropping the handle cancels the task"
            } else if dropped == STEPS {
                "   it ran on, detached"
            } else {
                ""
            }
        ));
        out.say(format!(
            "  spawn_detached(..) (no handle at all)      {detached:>3} of {STEPS} steps done"
        ));
        out.say("");
        let end = child(
            &self_exe()?,
            (!rt.thread_per_task()).then_some(rt.threads()),
            Some(ctx.client.name()),
            Self::ABOUT.name,
            "main-returns",
            "-",
        )?;
        let total = LONG_TASKS * LONG_STEPS;
        let at_return = end["at_return"].as_u64().unwrap_or(0);
        out.say(format!(
            "Then, in a process of its own, {LONG_TASKS} detached tasks of {LONG_STEPS} steps each (1 s), and main's\n\
             future returns after {} ms: {at_return} of {total} steps were done when it returned. Nothing\n\
             waits for detached tasks: when main returns the process exits and they stop where they are.",
            MAIN_RUNS.as_millis()
        ));
        out.say(
            "\nWhat the seed leaves out: whether a dropped handle detaches the task is the runtime's choice.\n\
             tokio and async-std detach it; smol cancels it (call .detach() to keep it running). And\n\
             \"forget\" means nobody waits: a task still running when main returns is cut off mid-way,\n\
             so work that must finish (a write, a flush) needs its handle awaited before main returns.",
        );
        Ok(json!({
            "steps": STEPS,
            "dropped_handle": dropped,
            "detached": detached,
            "main_returns": end,
        }))
    }

    fn step<R: Hooks, C: HttpClient>(
        ctx: &Context<'_, R, C>,
        step: &str,
        _base: &str,
    ) -> anyhow::Result<Value> {
        the_step(Self::ABOUT.name, step, "main-returns")?;
        let rt = ctx.runtime;
        let counter = Arc::new(AtomicU64::new(0));
        // What `main`'s future does: fire off the tasks, work a while, return.
        rt.block_on(async {
            for _ in 0..LONG_TASKS {
                rt.spawn_detached(count(rt.clone(), counter.clone(), LONG_STEPS));
            }
            rt.sleep(MAIN_RUNS).await;
        });
        // Printed by the caller, then this process exits: the tasks with it.
        Ok(json!({
            "tasks": LONG_TASKS,
            "steps_each": LONG_STEPS,
            "at_return": counter.load(Ordering::SeqCst),
        }))
    }
}

/// Bumps `counter` `steps` times, sleeping 10 ms before each.
async fn count<R: Runtime>(rt: R, counter: Arc<AtomicU64>, steps: u64) {
    for _ in 0..steps {
        rt.sleep(STEP).await;
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

/// Runs `start` with a fresh counter, then waits until the counter reaches
/// [`STEPS`] or [`PATIENCE`] passes, and returns how far it got.
fn counted<R: Runtime>(rt: &R, start: impl FnOnce(Arc<AtomicU64>)) -> u64 {
    let counter = Arc::new(AtomicU64::new(0));
    start(counter.clone());
    let started = Instant::now();
    rt.block_on(async {
        while counter.load(Ordering::SeqCst) < STEPS && started.elapsed() < PATIENCE {
            rt.sleep(STEP).await;
        }
    });
    counter.load(Ordering::SeqCst)
}
