//! The lessons: each claim of the async fn pattern (the seed tutorial),
//! run and measured on the runtime of the binary you call.
//!
//! `fetch-<runtime> lesson` lists them; `lesson NAME` runs one and prints
//! what it measured, `--json` prints the same numbers as one JSON object.
//!
//! Some measurements need a runtime with a particular number of threads,
//! or a process of their own (peak memory is per process). Those *steps*
//! run as a child process of the same binary (`--threads N lesson NAME
//! --step STEP`, hidden from `--help`), which prints one JSON line back.
//! Steps that compare with the one-thread-per-request world run the
//! `fetch-threads` binary the same way.
//!
//! # Layout
//!
//! - `lazy`: futures do nothing until awaited.
//! - `machine`: the state machine, measured with `size_of_val`.
//! - `concurrency`: ten users, ten thousand connections, spawn versus await.
//! - `blocking`: blocking the executor, with sleeps and with CPU work.
//! - `errors`: `?` in async code, and the error kinds it carries.
//! - `compiler`: what rustc really says about the seed's mistakes.

mod blocking;
mod compiler;
mod concurrency;
mod errors;
mod lazy;
mod machine;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fetch_core::{HttpClient, Runtime};
use serde_json::{Value, json};

use crate::commands::Context;

/// A lesson: its name, the seed's claim it shows, one line on what it does.
#[derive(Debug)]
pub(crate) struct Lesson {
    pub(crate) name: &'static str,
    pub(crate) claim: &'static str,
    pub(crate) shows: &'static str,
    /// Whether it means something in the one-thread-per-request baseline.
    pub(crate) threads_too: bool,
}

/// Every lesson, in teaching order.
pub(crate) const LESSONS: &[Lesson] = &[
    Lesson {
        name: "lazy",
        claim: "An async function doesn't run to completion when you call it. ... The Future is lazy.",
        shows: "nothing is sent until .await; a future dropped unawaited never runs",
        threads_too: true,
    },
    Lesson {
        name: "state-machine",
        claim: "The compiler generates a state machine ... It stores local variables in a struct.",
        shows: "the size of futures, and what makes them large",
        threads_too: true,
    },
    Lesson {
        name: "ten-users",
        claim: "If you have ten users waiting, you need ten threads, or one user waits nine times longer.",
        shows: "ten slow requests: one after another, a thread each, concurrently on one thread",
        threads_too: true,
    },
    Lesson {
        name: "thousands",
        claim: "This pattern lets you handle thousands of concurrent connections with a single thread.",
        shows: "10,000 requests in flight on one thread: time and memory, beside 10,000 OS threads",
        threads_too: true,
    },
    Lesson {
        name: "blocking",
        claim: "If you call a synchronous function that blocks the thread ... you freeze the entire executor.",
        shows: "a 10 ms heartbeat beside std::thread::sleep, an async sleep and spawn_blocking",
        threads_too: false,
    },
    Lesson {
        name: "cpu-work",
        claim: "Use spawn_blocking for heavy CPU work that would starve other tasks.",
        shows: "the same heartbeat beside a CPU-heavy loop, inline, cooperative and on the blocking pool",
        threads_too: false,
    },
    Lesson {
        name: "errors",
        claim: "The ? operator works inside async functions just like it does in sync code.",
        shows: "get_user against a 404, a 500, a malformed body and a closed port",
        threads_too: true,
    },
    Lesson {
        name: "runtime",
        claim: "Async functions don't run themselves. ... the compiler rejects you.",
        shows: "what rustc really says to the seed's four mistakes (pinned by compile-fail tests)",
        threads_too: true,
    },
    Lesson {
        name: "spawn",
        claim: "Calling an async fn alone just builds the Future. You must spawn it or await it.",
        shows: "spawned tasks run in parallel on the workers; awaited ones run one after another",
        threads_too: true,
    },
];

/// The lesson names, for the command line's list of possible values.
pub(crate) const NAMES: [&str; 9] = [
    "lazy",
    "state-machine",
    "ten-users",
    "thousands",
    "blocking",
    "cpu-work",
    "errors",
    "runtime",
    "spawn",
];

/// The most requests a lesson has in flight at once, which is also the
/// pool size its client is built with (as for `load`, pool = in flight:
/// surf's pool is a hard cap, and 10,000 requests behind 16 connections
/// would measure the queue, not the runtime).
pub(crate) fn in_flight(name: Option<&str>) -> usize {
    match name {
        Some("thousands") => concurrency::THOUSANDS as usize,
        _ => 16,
    }
}

/// Where a lesson writes its explanation: nowhere in `--json` mode.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Out {
    json: bool,
}

impl Out {
    /// Prints a line of explanation (text mode only).
    pub(crate) fn say(&self, line: impl std::fmt::Display) {
        if !self.json {
            println!("{line}");
        }
    }
}

/// `lesson [NAME] [--json]`, and the hidden `--step` of child processes.
pub(crate) fn run<R: Runtime, C: HttpClient>(
    ctx: &Context<'_, R, C>,
    name: Option<String>,
    json: bool,
    step: Option<String>,
    base: Option<String>,
) -> anyhow::Result<ExitCode> {
    let threads_world = ctx.runtime.name() == "threads";
    if let (Some(step), Some(name)) = (&step, &name) {
        let base = base.context("a lesson step needs --base")?;
        let value = run_step(ctx, name, step, &base)?;
        println!("{value}");
        return Ok(ExitCode::SUCCESS);
    }
    let Some(name) = name else {
        println!(
            "The async fn pattern, lesson by lesson ({} lesson NAME):",
            ctx.app.binary
        );
        for lesson in LESSONS.iter().filter(|l| l.threads_too || !threads_world) {
            println!("  {:<14} {}", lesson.name, lesson.shows);
        }
        if threads_world {
            println!(
                "(blocking and cpu-work are about async executors: run them with fetch-tokio, fetch-smol or fetch-async-std)"
            );
        }
        return Ok(ExitCode::SUCCESS);
    };
    let lesson = LESSONS
        .iter()
        .find(|l| l.name == name)
        .with_context(|| format!("no lesson named {name:?}"))?;
    if threads_world && !lesson.threads_too {
        bail!(
            "the {name} lesson is about async executors, and fetch-threads has none; \
             run it with fetch-tokio, fetch-smol or fetch-async-std"
        );
    }
    let out = Out { json };
    out.say(format!(
        "lesson {name} on {}: \"{}\" (the seed)\n",
        describe(ctx),
        lesson.claim
    ));
    let results = match lesson.name {
        "lazy" => lazy::run(ctx, out)?,
        "state-machine" => machine::run(ctx, out)?,
        "ten-users" => concurrency::ten_users(ctx, out)?,
        "thousands" => concurrency::thousands(ctx, out)?,
        "blocking" => blocking::run(ctx, out, blocking::Work::Sleep)?,
        "cpu-work" => blocking::run(ctx, out, blocking::Work::Cpu)?,
        "errors" => errors::run(ctx, out)?,
        "runtime" => compiler::run(out),
        "spawn" => concurrency::spawn(ctx, out)?,
        other => bail!("no lesson named {other:?}"),
    };
    if json {
        let report = json!({
            "lesson": name,
            "runtime": ctx.runtime.name(),
            "threads": ctx.runtime.threads(),
            "client": ctx.client.name(),
            "results": results,
        });
        println!("{report}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The measurement steps that run in a child process.
fn run_step<R: Runtime, C: HttpClient>(
    ctx: &Context<'_, R, C>,
    name: &str,
    step: &str,
    base: &str,
) -> anyhow::Result<Value> {
    match (name, step) {
        ("ten-users", "concurrent") => concurrency::ten_concurrent(ctx, base),
        ("thousands", "run") => concurrency::thousands_step(ctx, base),
        ("blocking", "run") => Ok(blocking::measure(ctx, blocking::Work::Sleep)),
        ("cpu-work", "run") => Ok(blocking::measure(ctx, blocking::Work::Cpu)),
        _ => bail!("no step {step:?} in lesson {name:?}"),
    }
}

/// "tokio (2 worker threads), client reqwest".
fn describe<R: Runtime, C: HttpClient>(ctx: &Context<'_, R, C>) -> String {
    if ctx.runtime.name() == "threads" {
        format!(
            "threads (one OS thread per task), client {}",
            ctx.client.name()
        )
    } else {
        format!(
            "{} ({} worker threads), client {}",
            ctx.runtime.name(),
            ctx.runtime.threads(),
            ctx.client.name()
        )
    }
}

/// This binary, to run a step in a child process.
fn self_exe() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("could not find this program's path")
}

/// The `fetch-threads` binary beside this one, if it was built.
fn threads_exe() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.join("fetch-threads");
    path.is_file().then_some(path)
}

/// Runs `exe --threads N --client C lesson NAME --step STEP --base URL` and
/// parses the JSON line it prints.
fn child(
    exe: &Path,
    threads: usize,
    client: Option<&str>,
    name: &str,
    step: &str,
    base: &str,
) -> anyhow::Result<Value> {
    let mut command = Command::new(exe);
    command.args(["--threads", &threads.to_string()]);
    if let Some(client) = client {
        command.args(["--client", client]);
    }
    let output = command
        .args(["lesson", name, "--step", step, "--base", base])
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not run {}", exe.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "{} --threads {threads} lesson {name} --step {step} failed: {}",
            exe.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).with_context(|| format!("the step printed no JSON: {stdout}"))
}

/// Milliseconds, for tables.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Keeps the CPU busy for `d`: real work, not a sleep.
fn busy(d: Duration) -> u64 {
    let end = Instant::now() + d;
    let mut x = 0u64;
    while Instant::now() < end {
        for i in 0..1_000u64 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
        }
    }
    x
}
