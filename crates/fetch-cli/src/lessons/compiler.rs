//! runtime: "Async functions don't run themselves", and what the compiler
//! says to the seed's mistakes. The messages are the pinned outputs of the
//! compile-fail tests in `crates/fetch-compile-errors`, which `cargo test`
//! checks against the toolchain in use, so what this prints is what rustc
//! says, not what a tutorial remembers.

use serde_json::{Value, json};

use fetch_core::HttpClient;

use super::kit::{About, Drive, Lesson, Out, as_printed};
use crate::Hooks;
use crate::context::Context;

/// rustc's warning for a future that is created and dropped (denied in the test).
pub(crate) const UNUSED_FUTURE_STDERR: &str =
    include_str!("../../../fetch-compile-errors/tests/ui/unused_future.stderr");

struct Case {
    title: &'static str,
    seed_says: &'static str,
    source: &'static str,
    stderr: &'static str,
}

const CASES: [Case; 4] = [
    Case {
        title: "async fn main with no runtime",
        seed_says: "E0752",
        source: include_str!("../../../fetch-compile-errors/tests/ui/async_main.rs"),
        stderr: include_str!("../../../fetch-compile-errors/tests/ui/async_main.stderr"),
    },
    Case {
        title: "a non-async fn whose body is an async block",
        seed_says: "E0277",
        source: include_str!("../../../fetch-compile-errors/tests/ui/async_block_in_fn.rs"),
        stderr: include_str!("../../../fetch-compile-errors/tests/ui/async_block_in_fn.stderr"),
    },
    Case {
        title: "an async fn declared to return Result that returns Option",
        seed_says: "E0308",
        source: include_str!("../../../fetch-compile-errors/tests/ui/option_for_result.rs"),
        stderr: include_str!("../../../fetch-compile-errors/tests/ui/option_for_result.stderr"),
    },
    Case {
        title: "an async fn called and its future dropped",
        seed_says: "a warning",
        source: include_str!("../../../fetch-compile-errors/tests/ui/unused_future.rs"),
        stderr: UNUSED_FUTURE_STDERR,
    },
];

/// The first `error[E....]` code in a compiler message, or "no code" for a
/// lint (which has none).
fn error_code(stderr: &str) -> &str {
    stderr
        .find("error[E")
        .and_then(|at| stderr[at + 6..].split(']').next())
        .unwrap_or("no code (a lint)")
}

/// Indents a block of text for printing under a heading.
pub(crate) fn indented(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn run(out: Out) -> Value {
    out.say("An async fn only builds a future; something must poll it. std has no executor, so");
    out.say("`fn main` cannot be async by itself: #[tokio::main] (or smol::block_on, or");
    out.say(
        "async_std::task::block_on) writes the runtime set-up and the blocking wait for you.\n",
    );
    let mut rows = Vec::new();
    for case in &CASES {
        let real = error_code(case.stderr);
        let agrees = real == case.seed_says
            || (case.seed_says == "a warning" && real.starts_with("no code"));
        out.say(format!("== {}", case.title));
        out.say(indented(case.source.trim_end()));
        out.say(format!(
            "  the seed says {}; rustc says {real}{}",
            case.seed_says,
            if agrees {
                ""
            } else {
                "  <-- the seed is wrong here"
            }
        ));
        out.say(indented(as_printed(case.stderr).trim_end()));
        out.say("");
        rows.push(json!({
            "case": case.title,
            "seed_says": case.seed_says,
            "rustc_says": real,
            "seed_is_right": agrees,
        }));
    }
    json!(rows)
}

/// The lesson `runtime`: what rustc says to the seed's mistakes.
pub(super) struct NeedsARuntime;

impl Lesson for NeedsARuntime {
    const ABOUT: &'static About = &About {
        name: "runtime",
        claim: "Async functions don't run themselves. ... the compiler rejects you.",
        shows: "what rustc really says to the seed's four mistakes (pinned by compile-fail tests)",
        thread_per_task_too: true,
        threads_note: None,
        in_flight: 16,
        thread_per_core: None,
    };

    fn run<R: Hooks, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value> {
        Self::run_anywhere(ctx, out)
    }

    fn run_anywhere<D: Drive>(_ctx: &D, out: Out) -> anyhow::Result<Value> {
        Ok(run(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_from_messages() {
        assert_eq!(
            error_code("error[E0752]: `main` function is not allowed to be `async`"),
            "E0752"
        );
        assert_eq!(
            error_code("error: unused implementer of `Future`"),
            "no code (a lint)"
        );
    }
}
