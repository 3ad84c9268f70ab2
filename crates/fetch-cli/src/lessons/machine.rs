//! state-machine: an async fn compiles to a struct that holds every local
//! variable alive across an `.await`, plus which `.await` it is paused at.
//! `size_of_val` on a future shows the size of that struct.

use std::hint::black_box;
use std::mem::size_of_val;

use fetch_core::{HttpClient, LocalHttpClient as _, fetch_title, get_user, yield_now};
use serde_json::{Value, json};

use super::kit::{About, Drive, Lesson, Out};
use crate::Hooks;
use crate::context::Context;

/// Nothing to remember: just which state it is in.
async fn empty() {}

/// One `u64` lives across the `.await`.
async fn small_local() {
    let n = black_box(7u64);
    yield_now().await;
    black_box(n);
}

/// A 4 KiB buffer lives across the `.await`: it must be stored in the future.
async fn big_across_await() {
    let buf = black_box([1u8; 4096]);
    yield_now().await;
    black_box(&buf);
}

/// The same buffer, dropped before the `.await`: it can live on the stack.
async fn big_before_await() {
    {
        let buf = black_box([1u8; 4096]);
        black_box(&buf);
    }
    yield_now().await;
}

/// The lesson `state-machine`.
pub(super) struct StateMachine;

impl Lesson for StateMachine {
    const ABOUT: &'static About = &About {
        name: "state-machine",
        claim: "The compiler generates a state machine ... It stores local variables in a struct.",
        shows: "the size of futures, and what makes them large",
        thread_per_task_too: true,
        threads_note: None,
        in_flight: 16,
        thread_per_core: None,
    };

    fn run<R: Hooks, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value> {
        Self::run_anywhere(ctx, out)
    }

    fn run_anywhere<D: Drive>(ctx: &D, out: Out) -> anyhow::Result<Value> {
        let url = "http://127.0.0.1:1/pages/1";
        let client = ctx.client();
        let task = ctx.task_handle_size();
        let rows = [
            (
                "async fn empty()",
                size_of_val(&empty()),
                "only its state: not started or done",
            ),
            (
                "a u64 held across .await",
                size_of_val(&small_local()),
                "the u64 is a field of the struct",
            ),
            (
                "[u8; 4096] held across .await",
                size_of_val(&big_across_await()),
                "the whole buffer is stored in the future",
            ),
            (
                "[u8; 4096] dropped before .await",
                size_of_val(&big_before_await()),
                "not alive at the .await: not stored",
            ),
            (
                "fetch_title(&client, url)",
                size_of_val(&fetch_title(client, url)),
                "the client's own request future is inside",
            ),
            (
                "get_user(&client, url)",
                size_of_val(&get_user(client, url)),
                "ditto, plus the decode step's state",
            ),
            (
                "a spawned Task<T>",
                task,
                "a boxed pointer: spawn moved the future to the heap",
            ),
        ];
        out.say("Sizes of futures, in bytes (size_of_val on the future an async fn returns):\n");
        for (what, size, why) in &rows {
            out.say(format!("  {what:<34} {size:>6}   {why}"));
        }
        out.say(format!(
            "\nThe client here is {}. Each .await point is a state of the machine; each local that",
            ctx.client().name()
        ));
        out.say(
        "lives across one is a field. Large futures are copied when moved, so spawn (which boxes",
    );
        out.say("the future once) or Box::pin are the usual cure for a very large one.\n");
        out.say("The seed says \"When you yield, the struct is stored on the heap.\" Not by itself: a future");
        out.say(
        "is a plain value, wherever its owner keeps it (these were measured on the stack). It goes",
    );
        out.say(format!(
            "to the heap only when something boxes it, as spawn does: see the {task}-byte Task above."
        ));
        Ok(json!(
            rows.iter()
                .map(|(what, size, _)| json!({"future": what, "bytes": size}))
                .collect::<Vec<_>>()
        ))
    }
}
