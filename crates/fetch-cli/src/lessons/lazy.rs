//! lazy: an async fn returns a future, and a future does nothing until it
//! is polled. The fixture server counts the requests it receives, so the
//! lesson can show exactly when the request goes out.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fetch_core::{HttpClient, Timer as _, fetch_title, within};
use serde_json::{Value, json};

use super::compiler;
use super::kit::{About, Drive, Lesson, Out, as_printed};
use crate::Hooks;
use crate::context::ms;
use crate::context::{Context, embedded_server};

/// The lesson `lazy`.
pub(super) struct Lazy;

impl Lesson for Lazy {
    const ABOUT: &'static About = &About {
        name: "lazy",
        claim: "An async function doesn't run to completion when you call it. ... The Future is lazy.",
        shows: "nothing is sent until .await; a future dropped unawaited never runs",
        thread_per_task_too: true,
        threads_note: None,
        in_flight: 16,
        thread_per_core: None,
    };

    fn run<R: Hooks, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value> {
        Self::run_anywhere(ctx, out)
    }

    fn run_anywhere<D: Drive>(ctx: &D, out: Out) -> anyhow::Result<Value> {
        let rt = ctx.rt();
        let server = embedded_server()?;
        let url = format!("{}/pages/1", server.url());
        let start = Instant::now();
        // One row of the timeline: when, what happened, and the server's
        // count, in columns that line up whatever the step says.
        let row = |what: &str, received: u64| {
            format!(
                "   {:>7.1} ms  {what:<48} requests received: {received}",
                ms(start.elapsed())
            )
        };

        // 1. An async block is a future too. Creating it runs none of its body.
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let future = async move {
            flag.store(true, Ordering::SeqCst);
            42
        };
        let ran_before_await = ran.load(Ordering::SeqCst);
        let value = ctx.block_on(future);
        let ran_after_await = ran.load(Ordering::SeqCst);
        out.say("1. An async block whose body sets a flag:");
        out.say(format!(
            "   flag after creating the future: {ran_before_await}"
        ));
        out.say(format!(
            "   flag after awaiting it (it returned {value}): {ran_after_await}\n"
        ));

        // 2. The same with a real request, watched from the server's side.
        out.say("2. fetch_title, with the fixture server counting the requests it receives:");
        out.say(row("before anything", server.requests_received()));
        // Calling the async fn builds the state machine; it sends nothing.
        let future = fetch_title(ctx.client(), &url);
        let after_call = server.requests_received();
        out.say(row("called fetch_title(..), got a future.", after_call));
        ctx.block_on(rt.sleep(Duration::from_millis(200)));
        let after_wait = server.requests_received();
        out.say(row("waited 200 ms without awaiting it.", after_wait));
        // `.await` (here: block_on) polls it; only now does the request go out.
        let title = ctx.block_on(within(rt, ctx.timeout(), &url, future))?;
        let after_await = server.requests_received();
        let awaited = format!("awaited it: title {:?}.", title.as_deref().unwrap_or(""));
        out.say(row(&awaited, after_await) + "\n");

        // 3. A future dropped without being awaited never runs at all.
        out.say("3. A second fetch_title future, dropped without being awaited:");
        let never = fetch_title(ctx.client(), &url);
        drop(never);
        ctx.block_on(rt.sleep(Duration::from_millis(100)));
        let after_drop = server.requests_received();
        out.say(row("dropped it, waited 100 ms.", after_drop) + "\n");

        out.say(
        "So: calling an async fn only builds the future (the \"ticket\"); the work happens when",
    );
        out.say(
            "something polls it. Forget the .await and nothing happens, which is why rustc warns.",
        );
        out.say(
        "Its lint, unused_must_use, is a warning by default; the compile-fail test that pins this\n\
         message denies it (#![deny(unused_must_use)]), so rustc prints it as an error:\n",
    );
        out.say(compiler::indented(&as_printed(
            compiler::UNUSED_FUTURE_STDERR,
        )));
        Ok(json!({
            "block_ran_before_await": ran_before_await,
            "block_ran_after_await": ran_after_await,
            "requests_after_call": after_call,
            "requests_after_200ms": after_wait,
            "requests_after_await": after_await,
            "requests_after_drop": after_drop,
            "title": title,
        }))
    }
}
