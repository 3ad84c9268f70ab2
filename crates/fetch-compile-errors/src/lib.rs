//! What rustc says to the seed tutorial's async mistakes, pinned.
//!
//! The seed names compiler errors for three mistakes, and one warning.
//! Each is a file in `tests/ui/` that must fail to compile, beside the
//! exact message rustc gives (`.stderr`); `cargo test` checks them on the
//! toolchain in use, so the `runtime` lesson, which prints these files,
//! never quotes an error the compiler no longer gives.
//!
//! # Layout
//!
//! - `tests/ui/async_main.rs`: `async fn main` with no runtime attribute.
//! - `tests/ui/async_block_in_fn.rs`: a non-async fn whose body is an `async` block.
//! - `tests/ui/option_for_result.rs`: an `async fn` declared to return `Result` that returns `Option`.
//! - `tests/ui/unused_future.rs`: calling an async fn and dropping the future (a warning, denied here).
//! - `tests/ui/move_pinned_future.rs`: moving a self-referential future out of its `Pin` (the `pin` lesson).
//! - `tests/compile_errors.rs`: the trybuild test over them.
