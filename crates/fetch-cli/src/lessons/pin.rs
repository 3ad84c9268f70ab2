//! pin: what `Pin` forbids, in rustc's own words (a compile-fail test in
//! `crates/fetch-compile-errors` pins the message), and where this project
//! writes `Pin` by hand, which is where a learner meets it too.

use std::mem::size_of_val;
use std::pin::{Pin, pin};

use fetch_core::HttpClient;
use serde_json::{Value, json};

use super::compiler::indented;
use super::kit::{About, Drive, Lesson, Out, as_printed};
use crate::Hooks;
use crate::context::Context;

const SOURCE: &str = include_str!("../../../fetch-compile-errors/tests/ui/move_pinned_future.rs");
const STDERR: &str =
    include_str!("../../../fetch-compile-errors/tests/ui/move_pinned_future.stderr");

/// The future of the compile-fail test, here where it compiles: it holds a
/// reference into its own state across an `.await`.
async fn page() -> usize {
    let buf = [0u8; 16];
    let first = &buf[0];
    std::future::ready(()).await;
    buf.len() + usize::from(*first)
}

/// Where this project writes `Pin` by hand (a `Pin<..>` type, `pin!`, or
/// `pin_project!`), and why: every source file outside the lessons and
/// their tests that does, as the test `the_list_names_every_place_pin_is_written`
/// checks.
const BY_HAND: [(&str, &str); 18] = [
    (
        "fetch-core/src/runtime.rs  Timeout, Task, block_on, PacerTimer",
        "a timeout written as a struct (pin_project!) so it adds no box, polling its two inner futures through Pin; a join handle's poll; pin! to poll a future on the current thread; a trait object's method (the pacer's sleep) cannot return `impl Future`, so it returns a Pin<Box<dyn Future>>",
    ),
    (
        "fetch-core/src/load.rs  Pacer::start_on",
        "pin! on the pacer task's loop, polled inside poll_fn that times each poll: the task's own CPU in the report",
    ),
    (
        "fetch-core/src/fetch.rs  Within",
        "a request raced against its time limit (pin_project!): the request future is polled again and again, so it must stay put",
    ),
    (
        "fetch-core/src/load/alarm.rs  Limited",
        "a request under one alarm per worker (pin_project!), the same shape as Within",
    ),
    (
        "fetch-core/src/load/cancel.rs  CancelWatch",
        "a hand-written Future that waits for Ctrl-C or the end of a -d run",
    ),
    (
        "fetch-core/src/gate.rs  Enter",
        "a hand-written Future for a place in a queue; it is Unpin (it holds no self-reference), so Pin costs nothing there",
    ),
    (
        "fetch-core/src/local.rs  LocalTask",
        "a task of a thread-per-core runtime, boxed and pinned once at spawn",
    ),
    (
        "fetch-clients/src/hyper/pool.rs  drive",
        "pin!(work) to poll one future and a connection's driver in turns inside poll_fn: a future polled more than once, no Future impl in sight",
    ),
    (
        "fetch-clients/src/hyper/tokio_rt.rs  spawn",
        "hyper hands its background work over as a Pin<Box<dyn Future>>",
    ),
    (
        "fetch-clients/src/hyper/smol_rt.rs  spawn",
        "the same on smol",
    ),
    (
        "fetch-clients/src/hyper/compio_rt.rs  spawn",
        "the same on compio",
    ),
    (
        "fetch-clients/src/reqwest.rs  connector",
        "a tower Service's Future type, boxed and pinned once per connection",
    ),
    (
        "fetch-clients/src/cyper.rs  body",
        "pin! on a body's stream of chunks, to call next() on it",
    ),
    (
        "fetch-tokio/src/lib.rs  TimerFd",
        "the pacer's sleep on tokio's timerfd, boxed and pinned once per wake-up (PacerTimer's Pin<Box<dyn Future>>)",
    ),
    (
        "fetch-threads/src/runtime.rs  Sleep",
        "a hand-written timer future for the threads baseline",
    ),
    (
        "fetch-server/src/counting.rs  Counting",
        "a socket wrapper that counts bytes, forwarding poll_read and poll_write through Pin",
    ),
    (
        "fetch-server/src/shapes.rs  Repeat",
        "a response body written by hand (poll_frame)",
    ),
    (
        "fetch-bare/src/lib.rs  the request loop",
        "pin! on a connection and a request loop polled in turns in one task, as the pool does",
    ),
];

/// The lesson `pin`.
pub(super) struct PinLesson;

impl Lesson for PinLesson {
    const ABOUT: &'static About = &About {
        name: "pin",
        claim: "You only need to worry about Pin if you are implementing Future yourself.",
        shows: "what Pin forbids (rustc's message, pinned), and where Pin is written by hand",
        thread_per_task_too: true,
        threads_note: None,
        in_flight: 16,
        thread_per_core: None,
    };

    fn run<R: Hooks, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value> {
        Self::run_anywhere(ctx, out)
    }

    fn run_anywhere<D: Drive>(ctx: &D, out: Out) -> anyhow::Result<Value> {
        out.say(
            "An async fn that keeps a reference into its own locals across an .await builds a future\n\
             that points into itself. Polled once, it must never move again, or the reference would\n\
             dangle. Pin is that promise, and the compiler holds you to it:\n",
        );
        out.say(indented(SOURCE.trim_end()));
        out.say("");
        out.say(indented(as_printed(STDERR).trim_end()));
        out.say("");
        // The same future, where it compiles: pinned, then polled through the Pin.
        let future = page();
        let unpinned = size_of_val(&future);
        let boxed: Pin<Box<_>> = Box::pin(future);
        let boxed_size = size_of_val(&boxed);
        let on_stack = pin!(page());
        let stack_size = size_of_val(&on_stack);
        let output = ctx.block_on(async { boxed.await + on_stack.await });
        out.say(format!(
            "The same page() where it compiles: the future is {unpinned} bytes; Box::pin puts it on the heap\n\
             behind a pointer of {boxed_size} bytes, pin!(..) keeps it on the stack behind a Pin<&mut _> of {stack_size}.\n\
             Awaited through their Pins on {}: {output} (16 + 16). Neither can be moved out again.\n",
            ctx.runtime_name()
        ));
        out.say(
            "The seed is right that async fn handles Pin for you while you only write .await. You meet it\n\
             anyway as soon as you keep a future to poll it more than once: select! in a loop, a future\n\
             stored in a struct, a combinator. In this project Pin is written by hand here:",
        );
        for (place, why) in BY_HAND {
            out.say(format!("  {place}\n      {why}"));
        }
        Ok(json!({
            "rustc_says": STDERR.lines().next().unwrap_or_default(),
            "future_bytes": unpinned,
            "pin_box_bytes": boxed_size,
            "pin_stack_bytes": stack_size,
            "output": output,
            "written_by_hand": BY_HAND.iter().map(|(place, _)| *place).collect::<Vec<_>>(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::BY_HAND;
    use std::collections::BTreeSet;
    use std::path::Path;

    /// Every `.rs` file under `dir`.
    fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn the_list_names_every_place_pin_is_written() {
        let crates = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("crates/");
        let mut files = Vec::new();
        for krate in std::fs::read_dir(crates).expect("crates/").flatten() {
            let src = krate.path().join("src");
            if src.is_dir() {
                sources(&src, &mut files);
            }
        }
        let mut found = BTreeSet::new();
        for file in files {
            let relative = file.strip_prefix(crates).expect("under crates/");
            let relative = relative.to_string_lossy().replace('\\', "/");
            if relative.contains("/lessons/") {
                continue;
            }
            let text = std::fs::read_to_string(&file).expect("a source file");
            // What the program runs, not its unit tests.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            if ["Pin<", "pin!(", "pin_project!"]
                .iter()
                .any(|p| code.contains(p))
            {
                found.insert(relative);
            }
        }
        let listed: BTreeSet<String> = BY_HAND
            .iter()
            .map(|(place, _)| {
                place
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        assert!(found.len() > 10, "the scan found only {found:?}");
        assert_eq!(
            found, listed,
            "the pin lesson's list and the places the code writes Pin differ"
        );
    }
}
