//! What every lesson is made of: its [`About`], the [`Lesson`] trait, the
//! [`Out`] it explains through, and the helpers for measurement steps in a
//! child process. The lesson modules use this; the registry in `mod.rs`
//! lists them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fetch_core::{HttpClient, Runtime};
use serde_json::Value;

use crate::context::Context;
use crate::stdout::outln;

/// What a lesson says about itself: listed by `lesson`, checked before it
/// runs. Each lesson module defines its own.
#[derive(Debug)]
pub(crate) struct About {
    /// The name `lesson NAME` takes.
    pub(crate) name: &'static str,
    /// The seed's claim it shows, quoted.
    pub(crate) claim: &'static str,
    /// One line on what it does.
    pub(crate) shows: &'static str,
    /// Whether it means something where every task is an OS thread of its
    /// own (the threads baseline), or only on an async executor.
    pub(crate) thread_per_task_too: bool,
    /// The most requests it has in flight at once, which is also the pool
    /// size its client is built with (as for `load`, pool = in flight:
    /// surf's pool is a hard cap, and 10,000 requests behind 16
    /// connections would measure the queue, not the runtime).
    pub(crate) in_flight: usize,
}

impl About {
    /// Whether the lesson applies to `runtime`.
    pub(crate) fn applies_to(&self, runtime: &impl Runtime) -> bool {
        self.thread_per_task_too || !runtime.thread_per_task()
    }
}

/// A lesson: what it says about itself, and how it runs on any runtime
/// and client.
pub(crate) trait Lesson {
    /// Its name, claim and needs.
    const ABOUT: &'static About;

    /// Runs the lesson, printing its explanation through `out`, and
    /// returns the numbers it measured.
    fn run<R: Runtime, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value>;

    /// One measurement step in a child process (`--step STEP`), for the
    /// lessons that need a runtime with other threads or a process of
    /// their own; its numbers come back as one JSON line.
    fn step<R: Runtime, C: HttpClient>(
        _ctx: &Context<'_, R, C>,
        step: &str,
        _base: &str,
    ) -> anyhow::Result<Value> {
        bail!("no step {step:?} in lesson {:?}", Self::ABOUT.name)
    }
}

/// Where a lesson writes its explanation: nowhere in `--json` mode.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Out {
    /// `--json`: the numbers only, as one JSON object.
    pub(crate) json: bool,
}

impl Out {
    /// Prints a line of explanation (text mode only).
    pub(crate) fn say(&self, line: impl std::fmt::Display) {
        if !self.json {
            outln!("{line}");
        }
    }
}

/// This binary, to run a step in a child process.
pub(crate) fn self_exe() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("could not find this program's path")
}

/// The `fetch-threads` binary beside this one, if it was built.
pub(crate) fn threads_exe() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.join("fetch-threads");
    path.is_file().then_some(path)
}

/// Runs `exe [--threads N] [--client C] lesson NAME --step STEP --base URL`
/// and parses the JSON line it prints.
pub(crate) fn child(
    exe: &Path,
    threads: Option<usize>,
    client: Option<&str>,
    name: &str,
    step: &str,
    base: &str,
) -> anyhow::Result<Value> {
    let mut command = Command::new(exe);
    // `None` for fetch-threads, which has no worker threads to set.
    if let Some(threads) = threads {
        command.args(["--threads", &threads.to_string()]);
    }
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
            "{} ({threads:?} threads) lesson {name} --step {step} failed: {}",
            exe.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).with_context(|| format!("the step printed no JSON: {stdout}"))
}

/// Keeps the CPU busy for `d`: real work, not a sleep.
pub(crate) fn busy(d: Duration) -> u64 {
    let end = Instant::now() + d;
    let mut x = 0u64;
    while Instant::now() < end {
        for i in 0..1_000u64 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
        }
    }
    x
}
