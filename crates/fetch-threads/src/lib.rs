//! The synchronous baseline: one OS thread per request in flight.
//!
//! This is the world the seed starts from: "If you have ten users waiting,
//! you need ten threads." To compare it fairly, it runs the *same* code as
//! the async runtimes (the same `fetch_title`, `get_user`, load engine and
//! report from `fetch-core`), through a [`Runtime`] whose every task is an OS
//! thread and an [`HttpClient`] whose `get` blocks that thread
//! ([`ThreadsRuntime::client`] makes one of a blocking client). Nothing is
//! copied; only the execution model changes.
//!
//! Blocking inside an `async fn` is exactly the mistake the seed warns
//! about ("you freeze the entire executor"). It is safe *only* here, because
//! each task has a thread of its own, so a blocked task blocks nobody else.
//! [`UreqClient`] is a `BlockingHttpClient`, not an [`HttpClient`], so
//! tokio, smol or async-std cannot be handed it: only this runtime turns it
//! into one.
//!
//! # Layout
//!
//! - [`runtime`]: [`ThreadsRuntime`]: spawn = a new OS thread, block_on = park until done.
//! - `main.rs`: the `fetch-threads` binary.
//!
//! The client, [`UreqClient`] (ureq's blocking agent), lives with the other
//! clients in `fetch-clients` (feature `ureq`); it is re-exported here.

pub mod runtime;

pub use fetch_clients::ureq::UreqClient;
pub use runtime::{OnThreads, ThreadsRuntime};

#[doc(no_inline)]
pub use fetch_core::{HttpClient, Runtime};
