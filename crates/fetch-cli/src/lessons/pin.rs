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

/// Where this project writes `Pin` by hand, and why.
const BY_HAND: [(&str, &str); 4] = [
    (
        "fetch-core/src/runtime.rs  Timeout",
        "a future written as a struct (pin-project-lite) so a timeout adds no box; it polls its two inner futures through Pin",
    ),
    (
        "fetch-core/src/load.rs     Until",
        "the same for a request raced against Ctrl-C: the request future is polled again and again, so it must stay put",
    ),
    (
        "fetch-core/src/gate.rs     Enter",
        "a hand-written Future for a place in a queue; it is Unpin (it holds no self-reference), so Pin costs nothing there",
    ),
    (
        "fetch-clients/src/hyper/pool.rs  drive",
        "pin!(work) to poll one future and a connection's driver in turns inside poll_fn: a future polled more than once, no Future impl in sight",
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
