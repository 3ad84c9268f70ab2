//! `#[tokio::main]`, written out by hand.
//!
//! The attribute turns `async fn main` into a plain `fn main` that builds a
//! runtime and calls `block_on` on the body, on the thread that called
//! `main`. It spawns nothing: the body is not a task, and it never runs on
//! a worker thread. [`by_hand`] is what tokio-macros 2.7 generates for
//! [`with_the_attribute`] (its `entry.rs`, or `cargo expand`), written as
//! code this crate compiles; `tests/main_expanded.rs` runs both and checks
//! they put the body and a spawned task on the same threads. The lesson
//! `main-task` prints [`expansion`], this file's text of [`by_hand`].
//!
//! # Layout
//!
//! - [`Where`], [`where_things_run`]: the body both functions run, which
//!   names the thread it runs on and the thread a task it spawns runs on.
//! - [`with_the_attribute`]: the body under `#[tokio::main]`.
//! - [`by_hand`]: the same, as the attribute expands it.
//! - [`expansion`]: the source of [`by_hand`], for the lesson to print.

/// The thread names seen by `main`'s future and by a task it spawned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Where {
    /// The thread that polled `main`'s own future.
    pub main_future: String,
    /// The thread that polled a task `main`'s future spawned.
    pub spawned_task: String,
}

/// The current thread's name, or `<unnamed>` as the standard library
/// prints a thread without one.
pub fn thread_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unnamed>")
        .to_owned()
}

/// The body of both functions: where it runs, and where a task it spawns
/// runs.
pub async fn where_things_run() -> Where {
    let main_future = thread_name();
    let spawned_task = tokio::spawn(async { thread_name() })
        .await
        .unwrap_or_else(|e| format!("(the task failed: {e})"));
    Where {
        main_future,
        spawned_task,
    }
}

/// [`where_things_run`] under the attribute, as the seed writes `main`.
#[tokio::main]
pub async fn with_the_attribute() -> Where {
    where_things_run().await
}

// expansion: begin
/// What `#[tokio::main]` makes of
/// `async fn with_the_attribute() -> Where { where_things_run().await }`.
pub fn by_hand() -> Where {
    // The body becomes a future. Nothing runs yet: futures are lazy.
    let body = async { where_things_run().await };
    // (tokio checks here, at compile time only, that the body's output
    // is the function's return type.)
    let body = {
        if false {
            let _: &dyn ::core::future::Future<Output = Where> = &body;
        }
        body
    };
    #[allow(
        clippy::expect_used,
        clippy::diverging_sub_expression,
        clippy::needless_return
    )]
    {
        use tokio::runtime::Builder;
        // A runtime with one worker thread per core, then `block_on`:
        // this thread polls `body` itself until it is done. No spawn.
        return Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("Failed building the Runtime")
            .block_on(body);
    }
}
// expansion: end

/// The source of [`by_hand`], as this file has it: the text between the
/// two marker comments around it.
pub fn expansion() -> &'static str {
    const FILE: &str = include_str!("expanded.rs");
    let start = FILE.find(BEGIN).map_or(0, |at| at + BEGIN.len());
    let end = FILE[start..].find(END).map_or(FILE.len(), |at| start + at);
    FILE[start..end].trim_end()
}

const BEGIN: &str = "// expansion: begin\n";
const END: &str = "// expansion: end";
