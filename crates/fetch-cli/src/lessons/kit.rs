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

use crate::Hooks;
use crate::context::Context;
pub(crate) use crate::drive::Drive;
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
    /// The worker threads it measures with, when not the runtime's own
    /// (`--threads`): said in its header, so the header cannot mislead.
    pub(crate) threads_note: Option<&'static str>,
    /// The most requests it has in flight at once, which is also the pool
    /// size its client is built with (as for `load`, pool = in flight:
    /// surf's pool is a hard cap, and 10,000 requests behind 16
    /// connections would measure the queue, not the runtime).
    pub(crate) in_flight: usize,
    /// On a thread-per-core runtime (compio): `None` when it runs there
    /// (through [`Lesson::run_anywhere`]), else what its claim means there
    /// and why it does not run.
    pub(crate) thread_per_core: Option<&'static str>,
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
    fn run<R: Hooks, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value>;

    /// Runs the lesson with only what every kind of runtime offers (a
    /// [`Drive`]: block on a future, a timer, a client): the lessons whose
    /// [`About::thread_per_core`] is `None` implement it, and their `run`
    /// calls it.
    fn run_anywhere<D: Drive>(_ctx: &D, _out: Out) -> anyhow::Result<Value> {
        bail!(
            "the {} lesson does not run on a thread-per-core runtime",
            Self::ABOUT.name
        )
    }

    /// One measurement step in a child process (`--step STEP`), for the
    /// lessons that need a runtime with other threads or a process of
    /// their own; its numbers come back as one JSON line.
    fn step<R: Hooks, C: HttpClient>(
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

/// A loopback port nobody listens on: bound, read back, let go.
pub(crate) fn closed_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Checks that `step` is `expected`, the one child-process step of
/// `lesson`.
pub(crate) fn the_step(lesson: &str, step: &str, expected: &str) -> anyhow::Result<()> {
    if step == expected {
        Ok(())
    } else {
        bail!("no step {step:?} in lesson {lesson:?}")
    }
}

/// A fixed amount of CPU work: a counted number of rounds of arithmetic
/// the optimizer cannot skip. Not "spin until a deadline": a deadline
/// takes the same wall time however many cores run the jobs, which would
/// show four jobs on two cores finishing as fast as one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuJob {
    /// Rounds of work.
    pub(crate) rounds: u64,
    /// What one job took alone on one core when calibrated.
    pub(crate) alone: Duration,
}

impl CpuJob {
    /// Rounds in one calibration sample.
    const SAMPLE: u64 = 200_000;

    /// The amount of work that takes about `target` on one core of this
    /// machine: the fastest of five short samples (the least disturbed by
    /// anything else running), scaled up.
    pub(crate) fn calibrate(target: Duration) -> CpuJob {
        let fastest = (0..5)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(spin(Self::SAMPLE));
                started.elapsed()
            })
            .min()
            .unwrap_or(Duration::from_millis(1))
            .max(Duration::from_micros(1));
        let rounds = (Self::SAMPLE as f64 * target.as_secs_f64() / fastest.as_secs_f64()) as u64;
        CpuJob {
            rounds: rounds.max(1),
            alone: target,
        }
    }

    /// Does the whole job.
    pub(crate) fn run(self) -> u64 {
        spin(self.rounds)
    }

    /// Does one of `slices` equal parts of the job.
    pub(crate) fn run_slice(self, slices: u64) -> u64 {
        spin(self.rounds / slices.max(1))
    }
}

/// `rounds` rounds of a linear congruential step.
fn spin(rounds: u64) -> u64 {
    let mut x = 0u64;
    for i in 0..rounds {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
    }
    x
}

/// Shown as rustc prints it for you: the compile-fail harness writes the
/// test's folder as `$DIR` and the standard library's as `$RUST`.
pub(crate) fn as_printed(stderr: &str) -> String {
    stderr.replace("$DIR/", "").replace("$RUST/", "library/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cpu_job_is_a_count_of_rounds_and_slices_add_up() {
        let job = CpuJob::calibrate(Duration::from_millis(5));
        assert!(job.rounds >= 1);
        let half = CpuJob {
            rounds: job.rounds / 2,
            ..job
        };
        // The same count of rounds gives the same result, however run.
        assert_eq!(spin(half.rounds), half.run());
        assert_eq!(spin(10), CpuJob { rounds: 40, ..job }.run_slice(4));
    }

    #[test]
    fn harness_folders_are_not_printed() {
        assert_eq!(
            as_printed("found `async` block `{async block@$DIR/tests/ui/a.rs:4:5}`"),
            "found `async` block `{async block@tests/ui/a.rs:4:5}`"
        );
        assert_eq!(
            as_printed("--> $RUST/core/src/pin.rs"),
            "--> library/core/src/pin.rs"
        );
    }
}
