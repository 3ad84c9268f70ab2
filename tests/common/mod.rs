//! Helpers for the integration tests: find the binaries, run them with a
//! time limit, share one fixture server.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use fetch_core::LoadReport;
use fetch_server::{Server, ServerConfig};

#[allow(unused_imports)]
pub use async_fetch::combos::{COMBINATIONS, Client, Combo, Model, Runtime, Tls};

/// Every runtime binary and the clients it offers, from the registry.
pub fn binaries() -> Vec<(&'static str, Vec<&'static str>)> {
    Runtime::ALL
        .iter()
        .map(|r| (r.binary(), r.clients().map(Client::name).collect()))
        .collect()
}

/// The binaries every lesson runs on: those of runtimes that are not
/// thread-per-core, which run only the lessons that need no more than
/// blocking on a future (the others are written against the Send
/// `Runtime`; see `tests/lessons.rs`).
pub fn lesson_binaries() -> Vec<(&'static str, Vec<&'static str>)> {
    Runtime::ALL
        .iter()
        .filter(|r| r.model() != Model::ThreadPerCore)
        .map(|r| (r.binary(), r.clients().map(Client::name).collect()))
        .collect()
}

/// The combination `bin` runs with `--client client`, for its capabilities.
pub fn combo(bin: &str, client: &str) -> Combo {
    COMBINATIONS
        .iter()
        .copied()
        .find(|c| c.binary() == bin && c.client.name() == client)
        .unwrap_or_else(|| panic!("no combination {bin} --client {client}"))
}

/// Every (binary, client) pair of the registry.
pub fn combinations() -> impl Iterator<Item = (&'static str, &'static str)> {
    COMBINATIONS.iter().map(|c| (c.binary(), c.client.name()))
}

/// The (binary, client) pairs of the combinations for which `keep` holds.
pub fn combinations_where(
    keep: impl Fn(&Combo) -> bool,
) -> impl Iterator<Item = (&'static str, &'static str)> {
    COMBINATIONS
        .iter()
        .filter(move |c| keep(c))
        .map(|c| (c.binary(), c.client.name()))
}

/// The runtime `bin` runs.
pub fn runtime(bin: &str) -> Runtime {
    *Runtime::ALL
        .iter()
        .find(|r| r.binary() == bin)
        .unwrap_or_else(|| panic!("no runtime's binary is {bin}"))
}

/// How `bin`'s runtime runs its tasks.
pub fn model(bin: &str) -> Model {
    runtime(bin).model()
}

/// The binaries of the runtimes of `model`.
pub fn binaries_of(model: Model) -> impl Iterator<Item = &'static str> {
    Runtime::ALL
        .iter()
        .filter(move |r| r.model() == model)
        .map(|r| r.binary())
}

/// `--threads N` for `bin` when its runtime takes it (the registry's
/// word), nothing for the threads baseline, which refuses it.
pub fn threads_args(bin: &str, threads: usize) -> Vec<String> {
    COMBINATIONS
        .iter()
        .find(|c| c.binary() == bin)
        .map(|c| c.threads_args(threads))
        .unwrap_or_default()
}

/// One fixture server for the whole test binary, on 127.0.0.1 and a free port.
pub static SERVER: LazyLock<Server> = LazyLock::new(own_server);

/// A fixture server of its own (2 threads, 127.0.0.1, a free port), for a
/// test that reads its counts or pauses it.
pub fn own_server() -> Server {
    Server::start(ServerConfig {
        threads: 2,
        ..ServerConfig::default()
    })
    .expect("start the fixture server")
}

/// `http://127.0.0.1:PORT` of the shared server.
pub fn server_url() -> String {
    SERVER.url()
}

/// A port on 127.0.0.1 where nothing listens.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
    // The listener is dropped here, closing the port.
}

/// The path of a workspace binary, built if needed.
pub fn bin(name: &str) -> PathBuf {
    async_fetch::harness::workspace_bin(name).unwrap()
}

/// A finished run of a binary.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit code 0 and no panic.
    pub fn success(self) -> Self {
        self.no_panic();
        assert_eq!(self.code, Some(0), "expected success:\n{self:#?}");
        self
    }

    /// Asserts a failure with exactly `code`, a message on stderr, no panic.
    pub fn fails_with(self, code: i32) -> Self {
        self.no_panic();
        assert_eq!(self.code, Some(code), "expected exit {code}:\n{self:#?}");
        assert!(
            !self.stderr.trim().is_empty(),
            "no message on stderr:\n{self:#?}"
        );
        self
    }

    pub fn no_panic(&self) {
        for needle in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
            assert!(!self.stderr.contains(needle), "panic:\n{self:#?}");
        }
    }

    /// The stdout parsed as one JSON value.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self:#?}"))
    }
}

/// Runs `bin` with `args`, killing it (and failing the test) after `limit`.
pub fn run_with_limit(bin_name: &str, args: &[&str], limit: Duration) -> Run {
    let mut child = Command::new(bin(bin_name))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{bin_name} {args:?} hung for over {limit:?}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    finish(child.wait_with_output().unwrap())
}

/// Runs `bin` with `args` and a one-minute limit.
pub fn run(bin_name: &str, args: &[&str]) -> Run {
    run_with_limit(bin_name, args, Duration::from_secs(60))
}

pub fn finish(out: Output) -> Run {
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Reads a load report through the one report type (every field there,
/// of the right type), and checks its accounting identity.
pub fn check_report(stdout: &str) -> LoadReport {
    let report = LoadReport::from_json(stdout)
        .unwrap_or_else(|e| panic!("not a load report ({e}):\n{stdout}"));
    assert_eq!(report.schema, LoadReport::SCHEMA, "{report:?}");
    assert!(
        report.is_consistent(),
        "ok + errors != requests in {report:?}"
    );
    // A percentile of no samples is absent, never 0.
    let latency = &report.latency_ms;
    for q in [
        latency.p50,
        latency.p90,
        latency.p99,
        latency.p99_9,
        latency.max,
    ] {
        assert_eq!(q.is_some(), report.ok > 0, "{report:?}");
    }
    report
}

/// The value a text report prints after `label` ("ok           20000"
/// gives "20000"), whatever the column spacing.
pub fn text_field<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next() == Some(label))
            .then(|| words.next())
            .flatten()
    })
}

/// Error counts by kind, to compare with a report's `errors`.
pub fn kinds(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
}

/// Runs `load ARGS --output json` with `client` on `bin`, expecting exit
/// `code`; checks the report's fields and identity and returns it.
pub fn load_json(bin_name: &str, client: &str, args: &[&str], code: i32) -> (Run, LoadReport) {
    let mut all = vec!["--client", client, "load"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--output", "json"]);
    let out = run(bin_name, &all);
    let out = if code == 0 {
        out.success()
    } else {
        out.fails_with(code)
    };
    let report = check_report(&out.stdout);
    (out, report)
}

/// [`load_json`] of one request to `url` (`-n 1 -c 1`), with `extra`
/// options, expecting success.
pub fn load_once(bin_name: &str, client: &str, url: &str, extra: &[&str]) -> (Run, LoadReport) {
    let mut args = vec!["--url", url, "-n", "1", "-c", "1"];
    args.extend_from_slice(extra);
    load_json(bin_name, client, &args, 0)
}

/// Runs `bin args`, reads the first line of its stdout, then closes the
/// pipe (as `| head -1` does) and waits, at most `limit`, for it to end.
/// Returns the first line and the finished run (stdout is gone).
pub fn run_closing_stdout_after_one_line(
    bin_name: &str,
    args: &[&str],
    limit: Duration,
) -> (String, Run) {
    use std::io::BufRead as _;
    let mut child = Command::new(bin(bin_name))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    {
        let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
        reader.read_line(&mut first).unwrap();
        // The reader drops here: the pipe's read end is closed.
    }
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{bin_name} {args:?} did not end within {limit:?} after its reader went away");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (first, finish(child.wait_with_output().unwrap()))
}

/// A server on 127.0.0.1 that reads each request and answers it with
/// `answer`, byte for byte, then closes the connection: for what a stock
/// server will not send (an HTTP/1.0 answer, a body cut short). Returns
/// `http://127.0.0.1:PORT`.
pub fn raw_server(answer: Vec<u8>) -> String {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(&answer);
        }
    });
    url
}

/// A server on 127.0.0.1 that runs `serve` on each connection, in a thread
/// of its own: for what a stock server will not do (close kept connections,
/// send forever). Returns `http://127.0.0.1:PORT`.
pub fn server_per_connection(
    serve: impl Fn(std::net::TcpStream) + Send + Sync + 'static,
) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    let serve = std::sync::Arc::new(serve);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let serve = serve.clone();
            std::thread::spawn(move || serve(stream));
        }
    });
    url
}

/// Starts `bin args`, stdout and stderr piped, for a test that acts on the
/// process while it runs.
pub fn spawn(bin_name: &str, args: &[&str]) -> Child {
    Command::new(bin(bin_name))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin_name}: {e}"))
}

/// Sends Ctrl-C (SIGINT) to a running `load --output json` and waits for
/// it: it must end within 20 s (a margin for a busy machine, not a speed
/// check), without a panic, with exit code 130 and a partial report, which
/// is returned, checked as [`check_report`] checks it.
#[cfg(unix)]
pub fn interrupt(child: Child) -> LoadReport {
    let sent = Instant::now();
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("send SIGINT");
    let out = finish(child.wait_with_output().expect("wait for the load run"));
    assert!(
        sent.elapsed() < Duration::from_secs(20),
        "took {:?}",
        sent.elapsed()
    );
    out.no_panic();
    assert_eq!(out.code, Some(130), "{out:#?}");
    let report = check_report(&out.stdout);
    assert!(report.interrupted, "{report:?}");
    report
}
