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
//! On a thread-per-core runtime (compio) the lessons that need only
//! a [`Drive`] (block on a future, a timer, a client) run as everywhere,
//! through `Lesson::run_anywhere`; each other lesson's `About` says what its
//! claim means there and why it does not run.
//!
//! # Layout
//!
//! - `kit`: what a lesson is made of: [`About`], the `Lesson` trait, `Out`, and
//!   (from `drive`) [`Drive`], what every kind of runtime offers a lesson, and the helpers for steps in a child process.
//! - `lazy`: futures do nothing until awaited.
//! - `machine`: the state machine, measured with `size_of_val`.
//! - `concurrency`: ten users, ten thousand connections, spawn versus await.
//! - `blocking`: blocking the executor, with sleeps and with CPU work.
//! - `errors`: `?` in async code, and the error kinds it carries.
//! - `compiler`: what rustc really says about the seed's mistakes.
//! - `switch`: the cost of a switch between tasks, against one between OS threads.
//! - `detach`: fire and forget: a dropped handle, a detached task, and `main` returning.
//! - `pin`: what Pin forbids (rustc's message, pinned), and where Pin is written by hand.
//! - `sync_or_async`: a computation and a file read per call, sync against async.
//! - `main_task`: where `main`'s future runs, and what `#[tokio::main]` writes.
//! - `seed_code`: the seed's own `fetch_title` on trpl, beside this project's.

mod blocking;
mod compiler;
mod concurrency;
mod detach;
mod errors;
mod kit;
mod lazy;
mod machine;
mod main_task;
mod pin;
mod seed_code;
mod switch;
mod sync_or_async;

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use fetch_core::{HttpClient, LocalHttpClient as _, Runtime};
use serde_json::{Value, json};

pub(crate) use self::kit::About;
use self::kit::{Drive, Lesson, Out};
use crate::Hooks;
use crate::args::LessonArgs;
use crate::context::{Context, runtime_description};
use crate::stdout::outln;

/// Something to do with each lesson, given its type: a generic closure,
/// which Rust has no syntax for (as `async_fetch::combos::Visit`).
trait Visit {
    fn visit<L: Lesson>(&mut self);
}

/// The registry: every lesson, in teaching order. Each module exports its
/// own lessons; this is the one place that lists them.
fn each(visitor: &mut impl Visit) {
    visitor.visit::<lazy::Lazy>();
    visitor.visit::<machine::StateMachine>();
    visitor.visit::<concurrency::TenUsers>();
    visitor.visit::<concurrency::Thousands>();
    visitor.visit::<blocking::Blocking>();
    visitor.visit::<blocking::CpuWork>();
    visitor.visit::<errors::Errors>();
    visitor.visit::<compiler::NeedsARuntime>();
    visitor.visit::<concurrency::Spawn>();
    visitor.visit::<switch::Switch>();
    visitor.visit::<sync_or_async::SyncOrAsync>();
    visitor.visit::<detach::FireAndForget>();
    visitor.visit::<main_task::MainTask>();
    visitor.visit::<pin::PinLesson>();
    visitor.visit::<seed_code::SeedCode>();
}

/// Every lesson's [`About`], in teaching order.
pub(crate) fn all() -> Vec<&'static About> {
    struct Collect(Vec<&'static About>);
    impl Visit for Collect {
        fn visit<L: Lesson>(&mut self) {
            self.0.push(L::ABOUT);
        }
    }
    let mut collect = Collect(Vec::new());
    each(&mut collect);
    collect.0
}

/// The lesson called `name`.
pub(crate) fn find(name: &str) -> Option<&'static About> {
    all().into_iter().find(|about| about.name == name)
}

/// The lesson names, for the command line's list of possible values.
pub(crate) fn names() -> Vec<&'static str> {
    all().into_iter().map(|about| about.name).collect()
}

/// `lesson [NAME] [--json]` on a thread-per-core runtime, described by
/// `on`: the lessons that run on one runtime on this thread (through
/// [`Drive`]) run as anywhere; each of the others is listed with what its
/// claim means there and why it does not run, and asking for one says so
/// (exit 1).
pub(crate) fn run_thread_per_core<D: Drive>(
    ctx: &D,
    on: &str,
    LessonArgs { name, json, .. }: LessonArgs,
) -> anyhow::Result<ExitCode> {
    let app = ctx.app();
    let Some(name) = name else {
        list(app.binary(), |a| a.thread_per_core.is_none());
        outln!(
            "\nOn {}, a thread-per-core runtime, these do not run (each with what its claim means here):",
            app.runtime
        );
        for about in all() {
            if let Some(why) = about.thread_per_core {
                outln!("  {:<16} {why}.", about.name);
            }
        }
        outln!("(They run with fetch-tokio, fetch-smol or fetch-async-std.)");
        return Ok(ExitCode::SUCCESS);
    };
    let about = find(&name).with_context(|| format!("no lesson named {name:?}"))?;
    if let Some(why) = about.thread_per_core {
        bail!(
            "the {name} lesson does not run on {} (thread-per-core): {why}; run it with fetch-tokio, \
             fetch-smol or fetch-async-std",
            app.binary()
        );
    }
    let out = Out { json };
    header(out, about, on);
    struct Anywhere<'c, D> {
        ctx: &'c D,
        name: &'static str,
        out: Out,
        result: Option<anyhow::Result<Value>>,
    }
    impl<D: Drive> Visit for Anywhere<'_, D> {
        fn visit<L: Lesson>(&mut self) {
            if L::ABOUT.name == self.name {
                self.result = Some(L::run_anywhere(self.ctx, self.out));
            }
        }
    }
    let mut runner = Anywhere {
        ctx,
        name: about.name,
        out,
        result: None,
    };
    each(&mut runner);
    let results = runner
        .result
        .unwrap_or_else(|| Err(anyhow::anyhow!("no lesson named {name:?}")))?;
    if json {
        report(about, ctx.runtime_name(), 1, ctx.client().name(), results);
    }
    Ok(ExitCode::SUCCESS)
}

/// `lesson [NAME] [--json]`, and the hidden `--step` of child processes.
pub(crate) fn run<R: Hooks, C: HttpClient>(
    ctx: &Context<'_, R, C>,
    LessonArgs {
        name,
        json,
        step,
        base,
    }: LessonArgs,
) -> anyhow::Result<ExitCode> {
    let thread_per_task = ctx.runtime.thread_per_task();
    let Some(name) = name else {
        list(ctx.app.binary(), |a| a.applies_to(ctx.runtime));
        if thread_per_task {
            let executor_only: Vec<_> = all()
                .into_iter()
                .filter(|a| !a.applies_to(ctx.runtime))
                .map(|a| a.name)
                .collect();
            let listed = match executor_only.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
                _ => executor_only.join(""),
            };
            outln!(
                "({listed} are about async executors: run them with fetch-tokio, fetch-smol or fetch-async-std)"
            );
        }
        return Ok(ExitCode::SUCCESS);
    };
    let about = find(&name).with_context(|| format!("no lesson named {name:?}"))?;
    if let Some(step) = step {
        let base = base.context("a lesson step needs --base")?;
        let mut runner = Runner {
            ctx,
            name: about.name,
            what: What::Step { step, base },
            result: None,
        };
        each(&mut runner);
        let value = runner.into_result()?;
        outln!("{value}");
        return Ok(ExitCode::SUCCESS);
    }
    if !about.applies_to(ctx.runtime) {
        bail!(
            "the {name} lesson is about async executors, and {} has none; \
             run it with fetch-tokio, fetch-smol or fetch-async-std",
            ctx.app.binary()
        );
    }
    let out = Out { json };
    header(out, about, &describe(ctx, about));
    let mut runner = Runner {
        ctx,
        name: about.name,
        what: What::Lesson(out),
        result: None,
    };
    each(&mut runner);
    let results = runner.into_result()?;
    if json {
        report(
            about,
            ctx.runtime.name(),
            ctx.runtime.threads(),
            ctx.client.name(),
            results,
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The start of `lesson`'s list: what the lessons are, and each one for
/// which `here` holds, with what it shows.
fn list(binary: &str, here: impl Fn(&About) -> bool) {
    outln!("The async fn pattern, lesson by lesson ({binary} lesson NAME). Each runs one claim of");
    outln!("{SEED}, and shows what is true:");
    for about in all().into_iter().filter(|a| here(a)) {
        outln!("  {:<16} {}", about.name, about.shows);
    }
}

/// What a lesson prints first: its name, the seed's claim, and what it
/// runs `on`.
fn header(out: Out, about: &About, on: &str) {
    out.say(format!(
        "lesson {}: \"{}\"\n  ({SEED})\n  on {on}\n",
        about.name, about.claim
    ));
}

/// `--json`: the lesson's results with what they were measured on, as one
/// JSON object.
fn report(about: &About, runtime: &str, threads: usize, client: &str, results: Value) {
    let report = json!({
        "lesson": about.name,
        "runtime": runtime,
        "threads": threads,
        "client": client,
        "results": results,
    });
    outln!("{report}");
}

/// What a [`Runner`] runs of the lesson it finds.
enum What {
    /// The lesson itself.
    Lesson(Out),
    /// One of its child-process steps.
    Step { step: String, base: String },
}

/// Runs the lesson called `name` when the registry reaches it.
struct Runner<'c, 'a, R, C> {
    ctx: &'c Context<'a, R, C>,
    name: &'static str,
    what: What,
    result: Option<anyhow::Result<Value>>,
}

impl<R: Hooks, C: HttpClient> Visit for Runner<'_, '_, R, C> {
    fn visit<L: Lesson>(&mut self) {
        if L::ABOUT.name != self.name {
            return;
        }
        self.result = Some(match &self.what {
            What::Lesson(out) => L::run(self.ctx, *out),
            What::Step { step, base } => L::step(self.ctx, step, base),
        });
    }
}

impl<R, C> Runner<'_, '_, R, C> {
    fn into_result(self) -> anyhow::Result<Value> {
        self.result
            .unwrap_or_else(|| Err(anyhow::anyhow!("no lesson named {:?}", self.name)))
    }
}

/// "tokio, 2 worker threads, client reqwest", or, for a lesson that
/// measures on thread counts of its own, those instead of `--threads`.
fn describe<R: Runtime, C: HttpClient>(ctx: &Context<'_, R, C>, about: &About) -> String {
    match about.threads_note {
        Some(note) => format!(
            "{}, client {}; {note}",
            ctx.runtime.name(),
            ctx.client.name()
        ),
        None => format!(
            "{}, client {}",
            runtime_description(ctx.runtime),
            ctx.client.name()
        ),
    }
}

/// What "the seed" is, said once where the lessons are listed and at the
/// head of each.
const SEED: &str = "the seed: \"The async function pattern\", the tutorial this project grew from";
