//! The async fn pattern, written once.
//!
//! This crate holds everything a reader should compare across runtimes and
//! clients, and depends on none of them: `cargo tree -p fetch-core` shows no
//! tokio, smol, async-std, reqwest, hyper or surf. The runtime crates
//! (`fetch-tokio`, ...) and client adapters (`fetch-clients`) plug in through
//! two small traits.
//!
//! ```text
//! async fn fetch_title(..)  ->  impl Future  --.await / spawn-->  Runtime polls it
//!                                      \--> HttpClient::get does the I/O
//! ```
//!
//! # Layout
//!
//! - [`runtime`]: the [`Runtime`] trait (spawn, spawn blocking, sleep, block on) and [`timeout`].
//! - [`local`]: [`Timer`], [`LocalHttpClient`] and [`LocalRuntime`]: runtimes and clients whose
//!   futures are not `Send` (thread-per-core), and what the shared code needs of any runtime and client.
//! - [`request`]: the [`Request`] every client sends (method, URL, headers, body), and a URL's
//!   credentials kept out of sight.
//! - [`client`]: the [`HttpClient`] trait, [`Response`], [`ClientConfig`] and URL checks.
//! - [`error`]: [`FetchError`], one enum for every failure, and the [`ErrorKind`]s a report counts.
//! - [`fetch`]: the pattern itself: [`fetch_title`], [`get_user`], [`extract_title`].
//! - [`encoding`]: which encoding a page is in, as a browser decides ([`encoding::decode_html`]).
//! - [`redirect`]: redirects followed the same way for every client ([`get_following`]).
//! - [`load`]: the load engine, [`run_load`]: N requests, C in flight, every outcome counted once.
//! - [`shard`]: [`run_sharded`], the load engine on a thread-per-core runtime: a runtime and a
//!   client per thread, the same workers, one report.
//! - [`gate`]: the fair [`Gate`] that queues requests beyond the connections.
//! - [`pace`]: the open loop's schedule: a request due every 1/rate, released by a pacer (a task or a thread) as it falls due.
//! - [`cpus`]: Linux CPU lists, pinning a process or a shard's thread, and the affinity read back.
//! - [`report`]: the [`Report`] a load run produces, with its [`RunConfig`], and
//!   [`LoadReport`], its one JSON form (printed by every binary, read by compare and the tests).

#![warn(missing_docs)]

pub mod client;
pub mod cpus;
pub mod encoding;
pub mod error;
pub mod fetch;
pub mod gate;
pub mod load;
pub mod local;
pub mod pace;
pub mod redirect;
pub mod report;
pub mod request;
pub mod runtime;
pub mod shard;

pub use client::{
    BlockingHttpClient, BodyBuffer, CaCert, ClientConfig, HttpClient, HttpVersion, OriginCache,
    Response, ShortBody, is_scheme, parse_url,
};
pub use cpus::{CpuList, CpuListError};
pub use error::{
    BoxError, ErrorKind, FetchError, error_chain, is_closed_connection, is_connect_failure,
};
pub use fetch::{
    Page, User, Within, decode_user, extract_title, fetch_page, fetch_title, get_ok,
    get_ok_following, get_user, title_of, within,
};
pub use gate::{Enter, Gate, Pass};
pub use load::{
    Cancel, LoadPlan, LoadState, Progress, Recorder, Stop, Tally, UrlTemplate, run_load,
};
pub use local::{LocalHttpClient, LocalRuntime, LocalTask, Timer};
pub use redirect::{Fetched, MAX_REDIRECTS, get_following, send_following, send_following_counted};
pub use report::{
    LoadReport, Parse, Percentiles, ProcessCost, Report, RunConfig, ServerKind, ShardSplit,
};
pub use request::{
    HeaderName, HeaderValue, Headers, Method, Request, RequestSpec, basic_auth, header, redact_url,
    split_credentials,
};
pub use runtime::{
    JoinError, PacerTimer, Runtime, Task, Timeout, catch_blocking_panics, catch_panics, timeout,
    yield_now,
};
pub use shard::{ShardPlan, Sharding, Shards, run_sharded};
