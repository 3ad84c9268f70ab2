//! The registry: every runtime, every client and every combination of the
//! two that async-fetch runs, with what each can and cannot do, written
//! once, as types.
//!
//! Everything that names a runtime or a client reads it from here: each
//! binary's `--client` choices, its dispatch and its refusals (fetch-cli),
//! the runtime and client names the reports print, `cargo bench`'s ids,
//! `scripts/compare`'s rows and the integration tests' loops. A `match`
//! over [`Runtime`] or [`Client`] names every variant (no `_` arm), so a
//! new runtime or client fails to compile until every place that must
//! handle it does.
//!
//! This crate depends on no runtime and no client, so every crate of the
//! workspace can read it; the constructors stay where the types are (the
//! runtime crates, `fetch-clients`), and the root package's `combos`
//! builds each combination in-process.
//!
//! ```
//! use fetch_registry::{COMBINATIONS, Client, Combo, Runtime};
//! let combo = Combo::find("smol+surf").unwrap();
//! assert_eq!(combo.binary(), "fetch-smol");
//! assert!(combo.client.no_tls().is_some());
//! assert!(COMBINATIONS.iter().all(|c| c.runtime.offers(c.client)));
//! assert_eq!(Runtime::Tokio.clients().collect::<Vec<_>>(), [Client::Reqwest, Client::Hyper]);
//! ```
//!
//! # Layout
//!
//! - [`Runtime`] and [`Model`]: the runtimes, their binaries, how each runs its tasks.
//! - [`Client`], [`Tls`] and [`Forced`]: the clients and their capabilities, each missing one with
//!   its reason, and the headers a library sends on its own.
//! - [`Combo`] and [`COMBINATIONS`]: the pairs that exist, in the order tables list them.

use std::fmt;

/// A header a client's library sends on its own ([`Client::forced_headers`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forced {
    /// Its name, lower case.
    pub name: &'static str,
    /// Its value.
    pub value: &'static str,
    /// Sent only on a request without a body (a body has its own
    /// `Content-Length`).
    pub without_body_only: bool,
    /// Why, and whose doing it is.
    pub why: &'static str,
}

/// An async runtime (or the threads baseline), each with a binary of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Runtime {
    /// tokio: a work-stealing pool of worker threads.
    Tokio,
    /// smol: async-executor's shared queue on worker threads.
    Smol,
    /// async-std: discontinued, kept for comparison.
    AsyncStd,
    /// No async runtime: one OS thread per request in flight.
    Threads,
    /// compio: thread-per-core, io_uring.
    Compio,
}

/// How a runtime runs its tasks, which decides what it can be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// Worker threads that poll `Send` tasks, any task on any of them
    /// (`--threads` sets how many): tokio, smol, async-std.
    WorkerPool,
    /// Every task is an OS thread of its own (the threads baseline):
    /// there are no worker threads to set, so `--threads` is refused.
    ThreadPerTask,
    /// One executor per thread that never moves a task (compio): a load
    /// run is `--threads` shards, a runtime and a client each; only the
    /// lessons that need no more than blocking on a future run on it.
    ThreadPerCore,
}

impl Runtime {
    /// Every runtime, in the order tables list them.
    pub const ALL: &'static [Runtime] = &[
        Runtime::Tokio,
        Runtime::Smol,
        Runtime::AsyncStd,
        Runtime::Threads,
        Runtime::Compio,
    ];

    /// Its name, as reports print it and ids use it: `"tokio"`, ...
    pub const fn name(self) -> &'static str {
        match self {
            Runtime::Tokio => "tokio",
            Runtime::Smol => "smol",
            Runtime::AsyncStd => "async-std",
            Runtime::Threads => "threads",
            Runtime::Compio => "compio",
        }
    }

    /// The binary that runs it.
    pub const fn binary(self) -> &'static str {
        match self {
            Runtime::Tokio => "fetch-tokio",
            Runtime::Smol => "fetch-smol",
            Runtime::AsyncStd => "fetch-async-std",
            Runtime::Threads => "fetch-threads",
            Runtime::Compio => "fetch-compio",
        }
    }

    /// The first line of its binary's `--help`.
    pub const fn about(self) -> &'static str {
        match self {
            Runtime::Tokio => "async-fetch on tokio: the async fn pattern, measured.",
            Runtime::Smol => "async-fetch on smol: the async fn pattern, measured.",
            Runtime::AsyncStd => "async-fetch on async-std with surf.",
            Runtime::Threads => {
                "async-fetch without async: one OS thread per request in flight, blocking \
                 client ureq. The baseline the async runtimes are measured against."
            }
            Runtime::Compio => {
                "async-fetch on compio (thread-per-core, io_uring): the async fn pattern, measured."
            }
        }
    }

    /// How it runs its tasks.
    pub const fn model(self) -> Model {
        match self {
            Runtime::Tokio | Runtime::Smol | Runtime::AsyncStd => Model::WorkerPool,
            Runtime::Threads => Model::ThreadPerTask,
            Runtime::Compio => Model::ThreadPerCore,
        }
    }

    /// For a legacy stack, the warning its `--help` and tour carry.
    pub const fn legacy(self) -> Option<&'static str> {
        match self {
            Runtime::AsyncStd => Some(
                "LEGACY: async-std is discontinued (RUSTSEC-2025-0052, use smol instead) and \
                 surf is unmaintained (RUSTSEC-2025-0036); both are here only so you can \
                 compare against them.",
            ),
            Runtime::Tokio | Runtime::Smol | Runtime::Threads | Runtime::Compio => None,
        }
    }

    /// Whether `--threads` sets a number of threads (worker threads, or
    /// shards of a thread-per-core runtime).
    pub const fn takes_threads(self) -> bool {
        match self.model() {
            Model::WorkerPool | Model::ThreadPerCore => true,
            Model::ThreadPerTask => false,
        }
    }

    /// Whether dropping a spawned task's handle cancels the task (smol's
    /// and compio's tasks are async-task's, cancelled at their next
    /// `.await`); on tokio and async-std the task goes on, detached, and on
    /// the threads baseline its OS thread runs to its end.
    pub const fn dropping_a_task_cancels_it(self) -> bool {
        match self {
            Runtime::Smol | Runtime::Compio => true,
            Runtime::Tokio | Runtime::AsyncStd | Runtime::Threads => false,
        }
    }

    /// Its combinations, in the order of [`COMBINATIONS`]; the first is
    /// its binary's default client.
    pub fn combos(self) -> impl Iterator<Item = Combo> {
        COMBINATIONS
            .iter()
            .copied()
            .filter(move |c| c.runtime == self)
    }

    /// The clients its binary can drive (some perhaps behind a cargo
    /// feature: [`Combo::feature`]).
    pub fn clients(self) -> impl Iterator<Item = Client> {
        self.combos().map(|c| c.client)
    }

    /// Whether its binary can drive `client`.
    pub fn offers(self, client: Client) -> bool {
        self.clients().any(|c| c == client)
    }

    /// The runtime called `name`.
    pub fn from_name(name: &str) -> Option<Runtime> {
        Runtime::ALL.iter().copied().find(|r| r.name() == name)
    }
}

/// An HTTP client library, adapted in `fetch-clients`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Client {
    /// reqwest 0.13 (hyper-util's pool), on tokio.
    Reqwest,
    /// hyper 1's connections in this project's own pool, on tokio, smol and compio.
    Hyper,
    /// surf 2 (async-h1): unmaintained, kept for comparison.
    Surf,
    /// ureq 3: blocking, for the threads baseline.
    Ureq,
    /// cyper 0.9: compio's hyper-based client, not `Send`.
    Cyper,
}

/// How a client speaks https.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// With the project's one rustls configuration (Mozilla's roots plus
    /// `--ca-cert`, ALPN as `--http2` says), built before any request: a
    /// bad `--ca-cert` fails at start.
    Shared,
    /// With its own rustls setup, which differs as said.
    Own(&'static str),
    /// Not at all, for this reason.
    None(&'static str),
}

impl Client {
    /// Every client.
    pub const ALL: &'static [Client] = &[
        Client::Reqwest,
        Client::Hyper,
        Client::Surf,
        Client::Ureq,
        Client::Cyper,
    ];

    /// Its name, as `--client` takes it and reports print it.
    pub const fn name(self) -> &'static str {
        match self {
            Client::Reqwest => "reqwest",
            Client::Hyper => "hyper",
            Client::Surf => "surf",
            Client::Ureq => "ureq",
            Client::Cyper => "cyper",
        }
    }

    /// The client called `name`.
    pub fn from_name(name: &str) -> Option<Client> {
        Client::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// Whether its calls block the calling thread (it can run only where
    /// every task is a thread: the threads baseline).
    pub const fn blocking(self) -> bool {
        match self {
            Client::Ureq => true,
            Client::Reqwest | Client::Hyper | Client::Surf | Client::Cyper => false,
        }
    }

    /// How it speaks https.
    pub const fn tls(self) -> Tls {
        match self {
            Client::Reqwest | Client::Hyper | Client::Cyper => Tls::Shared,
            Client::Ureq => Tls::Own(
                "ureq's API takes a fixed root list, so with --ca-cert it trusts that CA only",
            ),
            Client::Surf => {
                Tls::None("surf is built without TLS (RUSTSEC-2024-0336 in its rustls 0.18)")
            }
        }
    }

    /// Why it cannot speak https, or `None` when it can.
    pub const fn no_tls(self) -> Option<&'static str> {
        match self.tls() {
            Tls::None(why) => Some(why),
            Tls::Shared | Tls::Own(_) => None,
        }
    }

    /// Why it cannot speak HTTP/2, or `None` when it can.
    pub const fn no_http2(self) -> Option<&'static str> {
        match self {
            Client::Surf => Some("surf's HTTP client (async-h1) speaks HTTP/1.1 only"),
            Client::Ureq => Some("ureq 3 speaks HTTP/1.1 only"),
            Client::Reqwest | Client::Hyper | Client::Cyper => None,
        }
    }

    /// Why it cannot read an HTTP/1.0 answer, or `None` when it can.
    pub const fn no_http1_0(self) -> Option<&'static str> {
        match self {
            Client::Surf => Some("surf's async-h1 does not accept HTTP/1.0 responses"),
            Client::Reqwest | Client::Hyper | Client::Ureq | Client::Cyper => None,
        }
    }

    /// Why it has no connect timeout of its own (a connect that hangs then
    /// ends at the request's time limit, as `timeout`), or `None` when it
    /// has one (a hung connect is `connect_timeout`).
    pub const fn no_connect_timeout(self) -> Option<&'static str> {
        match self {
            Client::Surf => {
                Some("surf 2 sets no connect timeout: the request's time limit ends the wait")
            }
            Client::Cyper => {
                Some("cyper 0.9 sets no connect timeout: the request's time limit ends the wait")
            }
            Client::Reqwest | Client::Hyper | Client::Ureq => None,
        }
    }

    /// The headers its library sends whatever it is asked, that no
    /// adapter-side setting takes out: beside the `Host`, `User-Agent`,
    /// `Accept` and the request's own headers every client sends, and a
    /// `Content-Length` for a body. Empty for reqwest, hyper and ureq,
    /// which send exactly what they are asked.
    pub const fn forced_headers(self) -> &'static [Forced] {
        match self {
            Client::Cyper => &[
                Forced {
                    name: "accept-encoding",
                    value: "",
                    without_body_only: false,
                    why: "cyper 0.9, built without its decompression features, joins an empty                           list of encodings (empty means identity only, as no header does)",
                },
                Forced {
                    name: "content-length",
                    value: "0",
                    without_body_only: true,
                    why: "cyper 0.9's Body never reports its end, so hyper writes its exact size, 0,                           on a request without a body",
                },
            ],
            Client::Surf => &[
                Forced {
                    name: "connection",
                    value: "keep-alive",
                    without_body_only: false,
                    why: "async-h1 writes Connection: keep-alive on every request",
                },
                Forced {
                    name: "content-length",
                    value: "0",
                    without_body_only: true,
                    why: "async-h1 sizes a request without a body as 0 and writes it",
                },
            ],
            Client::Reqwest | Client::Hyper | Client::Ureq => &[],
        }
    }

    /// The `Accept-Encoding` it sends: `None` for no header (every client
    /// but cyper), `Some("")` for an empty one (see [`Client::forced_headers`]).
    pub fn accept_encoding(self) -> Option<&'static str> {
        self.forced_headers()
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case("accept-encoding"))
            .map(|f| f.value)
    }

    /// Whether it can say how many connections it opened (a load report's
    /// `connections_opened`): the hyper pool counts its dials, reqwest its
    /// connector's; the others offer no hook.
    pub const fn counts_connections(self) -> bool {
        match self {
            Client::Reqwest | Client::Hyper => true,
            Client::Surf | Client::Ureq | Client::Cyper => false,
        }
    }

    /// Why its pool may hand out again a connection whose request was
    /// cancelled (timed out), so the next request on it can wait for the
    /// stalled answer; `None` when it never does.
    pub const fn reuses_cancelled_connections(self) -> Option<&'static str> {
        match self {
            Client::Surf => Some(
                "surf's pool (deadpool inside async-h1's body) takes back a connection whose \
                 request was dropped mid-answer",
            ),
            Client::Reqwest | Client::Hyper | Client::Ureq | Client::Cyper => None,
        }
    }
}

/// A runtime + client pair that exists: its binary runs it with
/// `--client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Combo {
    /// The runtime.
    pub runtime: Runtime,
    /// The client.
    pub client: Client,
    /// The cargo feature of the runtime's crate that brings the client,
    /// when a build can leave it out (surf on fetch-smol: unmaintained).
    pub feature: Option<&'static str>,
}

/// Every combination, in the order tables list them; a runtime's first is
/// its binary's default client.
pub const COMBINATIONS: &[Combo] = &[
    Combo::new(Runtime::Tokio, Client::Reqwest),
    Combo::new(Runtime::Tokio, Client::Hyper),
    Combo::new(Runtime::Smol, Client::Hyper),
    Combo {
        feature: Some("surf"),
        ..Combo::new(Runtime::Smol, Client::Surf)
    },
    Combo::new(Runtime::AsyncStd, Client::Surf),
    Combo::new(Runtime::Threads, Client::Ureq),
    Combo::new(Runtime::Compio, Client::Cyper),
    Combo::new(Runtime::Compio, Client::Hyper),
];

impl Combo {
    /// `runtime` with `client`, built in by default. (That the pair
    /// exists is [`COMBINATIONS`]' to say: a pair not listed there is
    /// refused by the runtime's binary.)
    pub const fn new(runtime: Runtime, client: Client) -> Self {
        Combo {
            runtime,
            client,
            feature: None,
        }
    }

    /// `runtime+client`, the id benches, tables and `--only` use.
    pub fn id(&self) -> String {
        format!("{}+{}", self.runtime.name(), self.client.name())
    }

    /// The combination whose id is `id` (`"tokio+hyper"`).
    pub fn find(id: &str) -> Option<Combo> {
        COMBINATIONS.iter().copied().find(|c| c.id() == id)
    }

    /// The binary that runs it.
    pub const fn binary(&self) -> &'static str {
        self.runtime.binary()
    }

    /// Whether its runtime has threads that `--threads` sets (worker
    /// threads or shards). The threads baseline has none (one OS thread
    /// per request in flight) and refuses the flag.
    pub const fn worker_threads(&self) -> bool {
        self.runtime.takes_threads()
    }

    /// Whether its runtime is thread-per-core: its load runs on
    /// `--threads` shards, a runtime and a client each, and only some
    /// lessons run on it.
    pub const fn thread_per_core(&self) -> bool {
        matches!(self.runtime.model(), Model::ThreadPerCore)
    }

    /// `--threads N` for a binary whose runtime takes it; nothing for one
    /// that has no threads to set.
    pub fn threads_args(&self, threads: usize) -> Vec<String> {
        if self.worker_threads() {
            vec!["--threads".to_owned(), threads.to_string()]
        } else {
            Vec::new()
        }
    }

    /// `--client NAME`, the arguments that choose its client on its binary.
    pub fn client_args(&self) -> [&'static str; 2] {
        ["--client", self.client.name()]
    }
}

impl fmt::Display for Combo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}+{}", self.runtime.name(), self.client.name())
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_combination_is_listed_once_and_ids_round_trip() {
        for (i, combo) in COMBINATIONS.iter().enumerate() {
            assert_eq!(Combo::find(&combo.id()), Some(*combo));
            assert!(
                COMBINATIONS[..i].iter().all(|c| c.id() != combo.id()),
                "{combo} twice"
            );
        }
        assert_eq!(Combo::find("tokio+ureq"), None);
    }

    #[test]
    fn every_runtime_has_a_client_and_names_round_trip() {
        for &runtime in Runtime::ALL {
            assert!(runtime.clients().next().is_some(), "{runtime}");
            assert_eq!(Runtime::from_name(runtime.name()), Some(runtime));
            assert_eq!(runtime.binary(), format!("fetch-{}", runtime.name()));
        }
        for &client in Client::ALL {
            assert_eq!(Client::from_name(client.name()), Some(client));
            assert!(
                COMBINATIONS.iter().any(|c| c.client == client),
                "{client} is in no combination"
            );
        }
    }

    #[test]
    fn a_blocking_client_pairs_only_with_a_thread_per_task_runtime() {
        for combo in COMBINATIONS {
            assert_eq!(
                combo.client.blocking(),
                combo.runtime.model() == Model::ThreadPerTask,
                "{combo}"
            );
        }
    }

    #[test]
    fn a_client_without_tls_or_http2_says_why() {
        assert!(
            Client::Surf
                .no_tls()
                .is_some_and(|why| why.contains("RUSTSEC"))
        );
        assert_eq!(Client::Hyper.no_tls(), None);
        assert!(Client::Ureq.no_http2().is_some());
        assert_eq!(Client::Ureq.no_tls(), None);
    }
}
