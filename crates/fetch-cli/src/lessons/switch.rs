//! switch: what it costs to go from one task to another at an `.await`,
//! against going from one OS thread to another.
//!
//! Two tasks pass a number back and forth over a channel: each hop wakes
//! the other task and parks this one, so the executor switches tasks once
//! per hop. Two OS threads do the same over a std channel, where each hop
//! wakes the other thread and blocks this one in the kernel. The kernel's
//! own count of voluntary context switches (`getrusage`, `ru_nvcsw`) says
//! which of the two involved it. Each measurement runs in a process of its
//! own, so the count is of that measurement alone.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fetch_core::{HttpClient, Runtime};
use nix::sys::resource::{UsageWho, getrusage};
use serde_json::{Value, json};

use super::kit::{About, Lesson, Out, child, self_exe};
use crate::Hooks;
use crate::context::Context;

/// Round trips per measurement: two switches each.
const ROUND_TRIPS: u64 = 100_000;

/// The lesson `switch`.
pub(super) struct Switch;

impl Lesson for Switch {
    const ABOUT: &'static About = &About {
        name: "switch",
        claim: "This context switch is cheap. It involves saving a few registers and jumping to a different stack frame. No kernel involvement.",
        shows: "the cost of switching tasks at an .await, against switching OS threads",
        thread_per_task_too: false,
        threads_note: Some(
            "measured with 1 and with 2 worker threads, each in a process of its own",
        ),
        in_flight: 16,
        thread_per_core: Some(
            "a switch between tasks of one shard never crosses threads, the lesson's one-worker case; not run here: its measurement steps run as child processes with a worker count through the Send runtime trait, not written for compio",
        ),
    };

    fn run<R: Hooks, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value> {
        let exe = self_exe()?;
        let client = Some(ctx.client.name());
        let mut tasks = Vec::new();
        for threads in [1, 2] {
            let mut v = child(&exe, Some(threads), client, "switch", "tasks", "-")?;
            v["threads"] = threads.into();
            tasks.push(v);
        }
        let os = child(&exe, Some(1), client, "switch", "threads", "-")?;
        out.say(format!(
            "Two tasks pass a number back and forth {ROUND_TRIPS} times over a channel on {}; each hop\n\
             wakes the other task and parks this one, one switch. Then two OS threads do the same over\n\
             a std channel. Voluntary context switches are the kernel's count (getrusage) for the process:\n",
            ctx.runtime.name()
        ));
        out.say(format!(
            "  {:<34}{:>16}{:>22}{:>12}",
            "", "ns per switch", "context switches", "per switch"
        ));
        let row = |label: String, v: &Value| {
            format!(
                "  {label:<34}{:>16.0}{:>22}{:>12.3}",
                v["ns_per_switch"].as_f64().unwrap_or(f64::NAN),
                v["voluntary_switches"].as_u64().unwrap_or(0),
                v["per_switch"].as_f64().unwrap_or(f64::NAN),
            )
        };
        for v in &tasks {
            let threads = v["threads"].as_u64().unwrap_or(0);
            let label = format!(
                "two tasks, {} worker thread{}",
                threads,
                if threads == 1 { "" } else { "s" }
            );
            out.say(row(label, v));
        }
        out.say(row("two OS threads, std channel".to_owned(), &os));
        let num = |v: &Value, key: &str| v[key].as_f64().unwrap_or(f64::NAN);
        let (one, two) = (&tasks[0], &tasks[1]);
        out.say("");
        out.say(format!(
            "On one worker a task switch cost {:.0} ns, and the kernel counted {} for all\n\
             {} of them: the switch happened inside the executor, in user space. Between two OS threads a\n\
             hop cost {:.0} ns ({:.1}x) and the kernel counted {:.2} switches per hop: a thread that waits goes\n\
             to sleep in the kernel and is woken by it (std's channel spins a little first, so not every hop\n\
             sleeps). With two workers the two tasks can be on different threads, and a worker with nothing\n\
             to do sleeps in the kernel until it is woken: {:.3} switches per hop.",
            num(one, "ns_per_switch"),
            match one["voluntary_switches"].as_u64().unwrap_or(0) {
                1 => "1 context switch".to_owned(),
                n => format!("{n} context switches"),
            },
            2 * ROUND_TRIPS,
            num(&os, "ns_per_switch"),
            num(&os, "ns_per_switch") / num(one, "ns_per_switch"),
            num(&os, "per_switch"),
            num(two, "per_switch"),
        ));
        out.say(
            "The loose part of the claim: there is no \"different stack frame\" to jump to. A task has no stack\n\
             of its own; between polls its state lives in its future, a struct the compiler built (lesson\n\
             state-machine). Switching means returning from one future's poll and calling the next one's.",
        );
        Ok(json!({"tasks": tasks, "os_threads": os}))
    }

    fn step<R: Hooks, C: HttpClient>(
        ctx: &Context<'_, R, C>,
        step: &str,
        _base: &str,
    ) -> anyhow::Result<Value> {
        let before = voluntary_switches()?;
        let took = match step {
            "tasks" => ctx.runtime.block_on(tasks(ctx.runtime))?,
            "threads" => os_threads()?,
            other => bail!("no step {other:?} in lesson \"switch\""),
        };
        let switches = voluntary_switches()?.saturating_sub(before);
        let hops = (2 * ROUND_TRIPS) as f64;
        Ok(json!({
            "ns_per_switch": took.as_nanos() as f64 / hops,
            "voluntary_switches": switches,
            "per_switch": switches as f64 / hops,
        }))
    }
}

/// The process's voluntary context switches so far (all its threads).
fn voluntary_switches() -> anyhow::Result<u64> {
    let usage = getrusage(UsageWho::RUSAGE_SELF).context("getrusage failed")?;
    Ok(u64::try_from(usage.voluntary_context_switches()).unwrap_or(0))
}

/// Two spawned tasks ping-pong [`ROUND_TRIPS`] times; the time it took.
async fn tasks<R: Runtime>(rt: &R) -> anyhow::Result<Duration> {
    let (ping_tx, ping_rx) = async_channel::bounded::<u64>(1);
    let (pong_tx, pong_rx) = async_channel::bounded::<u64>(1);
    let echo = rt.spawn(async move {
        // Each `.await` here parks this task until the other one sends.
        while let Ok(n) = ping_rx.recv().await {
            if pong_tx.send(n).await.is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let pinger = rt.spawn(async move {
        for n in 0..ROUND_TRIPS {
            ping_tx.send(n).await.ok()?;
            pong_rx.recv().await.ok()?;
        }
        Some(Instant::now())
    });
    let finished = pinger
        .await
        .map_err(|e| anyhow::anyhow!("the ping task failed: {e}"))?
        .context("the echo task stopped early")?;
    // The pinger is done and its sender dropped: the echo task ends.
    let _ = echo.await;
    Ok(finished - started)
}

/// Two OS threads ping-pong [`ROUND_TRIPS`] times over std channels.
fn os_threads() -> anyhow::Result<Duration> {
    let (ping_tx, ping_rx) = mpsc::channel::<u64>();
    let (pong_tx, pong_rx) = mpsc::channel::<u64>();
    let echo = std::thread::spawn(move || {
        // `recv` blocks this thread in the kernel until the other sends.
        while let Ok(n) = ping_rx.recv() {
            if pong_tx.send(n).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    for n in 0..ROUND_TRIPS {
        ping_tx.send(n).context("the echo thread stopped")?;
        pong_rx.recv().context("the echo thread stopped")?;
    }
    let took = started.elapsed();
    drop(ping_tx);
    echo.join()
        .map_err(|_| anyhow::anyhow!("the echo thread panicked"))?;
    Ok(took)
}
