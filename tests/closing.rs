//! Servers that close connections: every combination against a raw server
//! that promises keep-alive and closes each connection right after its
//! answer (what a server does when its idle timeout fires just as the next
//! request goes out), against one that says `Connection: close`, and
//! against one that closes connections idle for 100 ms while requests come
//! every 200 ms.
//!
//! A request whose reused connection turns out closed before any byte of
//! the answer is sent once more (idempotent methods only) and counted in
//! `retries`; a `POST` is not, and its failures stay errors.

mod common;

use std::io::{Read as _, Write as _};
use std::time::Duration;

use common::combinations;

/// A server on 127.0.0.1, a thread per connection, that answers each
/// request with `answer`. With `idle` `None` it closes each connection
/// after its first answer, whatever the answer promised; with a time, it
/// keeps the connection for the next request and closes it when none came
/// within that time (an idle timeout, as nginx's `keepalive_timeout`).
/// Returns `http://127.0.0.1:PORT`.
fn closing_server(answer: Vec<u8>, idle: Option<Duration>) -> String {
    common::server_per_connection(move |mut stream| {
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            while let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                request.drain(..end + 4);
                if stream.write_all(&answer).is_err() {
                    return;
                }
                let Some(idle) = idle else { return };
                // The next request must come within `idle`.
                let _ = stream.set_read_timeout(Some(idle));
            }
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
    })
}

/// An HTTP/1.1 answer with a user's JSON and, as `connection`, the
/// connection header the server sends.
fn user_answer(connection: &str) -> Vec<u8> {
    let body = r#"{"id":1,"name":"Ann","username":"ann","email":"ann@example.com"}"#;
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: {connection}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Requests of `kind` among a report's errors.
fn got(report: &fetch_core::LoadReport, kind: &str) -> u64 {
    report.errors.get(kind).copied().unwrap_or(0)
}

/// `load --parse user` of `url`/users/{id} with `extra` options (a 5 s
/// time limit): its report, checked as consistent.
fn load(bin: &str, client: &str, url: &str, extra: &[&str]) -> fetch_core::LoadReport {
    let url = format!("{url}/users/{{id}}");
    let mut args = vec![
        "--client",
        client,
        "--timeout",
        "5s",
        "load",
        "--url",
        &url,
        "--parse",
        "user",
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = common::run(bin, &args).success();
    let report = common::check_report(&out.stdout);
    assert!(report.is_consistent(), "{bin} {client}: {report:?}");
    // One line a run, for the record (`--nocapture` shows them).
    eprintln!(
        "{bin} --client {client} {}: {} requests, {} ok, errors {:?}, {} retries",
        extra.join(" "),
        report.requests,
        report.ok,
        report.errors,
        report.retries
    );
    report
}

/// `-n 200 -c IN_FLIGHT` with `method`.
fn requests(method: &'static str, in_flight: &'static str) -> [&'static str; 6] {
    ["-m", method, "-n", "200", "-c", in_flight]
}

#[test]
fn a_request_on_a_connection_the_server_closed_is_sent_once_more() {
    // Before the retry, every combination lost 22 to 96 of these 200 to
    // `transport` errors ("connection reset", "connection closed before
    // message completed").
    let url = closing_server(user_answer("keep-alive"), None);
    let (mut retried, mut posts_failed) = (0, 0);
    for (bin, client) in combinations() {
        // One connection at a time, and eight.
        for in_flight in ["1", "8"] {
            let report = load(bin, client, &url, &requests("GET", in_flight));
            let what = format!("{bin} {client} -c {in_flight}: {report:?}");
            assert_eq!(report.requests, 200, "{what}");
            // The retry goes out on a connection opened for it (the
            // client's `send_fresh`), not the pool's next idle one, which
            // the server may have closed too: before it did, reqwest, ureq
            // and cyper (hyper-util's pool, whose connection tasks on a
            // shard's one thread see the close only after the next request
            // took the connection) still lost 1 to 31 of 200 here. No
            // request waits out its time limit on a connection that ended
            // either (smol + hyper did, before the pool gave up on a
            // connection whose driver had finished).
            assert_eq!(report.ok, 200, "{what}");
            assert!(report.errors.is_empty(), "{what}");
            retried += report.retries;
        }
        // Never a POST: the server may have acted on it. Its failures stay
        // errors, counted.
        let report = load(bin, client, &url, &requests("POST", "8"));
        let what = format!("{bin} {client} POST: {report:?}");
        assert_eq!(report.retries, 0, "{what}");
        assert_eq!(report.ok + got(&report, "transport"), 200, "{what}");
        posts_failed += got(&report, "transport");
    }
    // A client that sees the close before it reuses the connection opens a
    // new one and has nothing to retry (smol + hyper did so for all 200, GET
    // and POST, in one CI run), so no single run must meet the race; but it
    // is there to be lost, and across every combination some GETs were sent
    // again and some POSTs failed.
    assert!(
        retried > 0,
        "no GET was retried: the test never met a close"
    );
    assert!(
        posts_failed > 0,
        "no POST failed: the test never met a close"
    );
}

#[test]
fn connection_close_loses_no_request() {
    // smol + surf and async-std + surf lost 16 to 25 of these to a pool
    // that handed out a connection the server had closed.
    let url = closing_server(user_answer("close"), None);
    for (bin, client) in combinations() {
        let report = load(bin, client, &url, &requests("GET", "8"));
        let what = format!("{bin} {client}: {report:?}");
        assert_eq!(report.requests, 200, "{what}");
        assert_eq!(report.ok, 200, "{what}");
    }
}

#[test]
fn connections_closed_while_idle_lose_no_request() {
    // Idle connections closed after 100 ms; one request every 200 ms, so
    // every request after the first finds its pooled connection closed
    // (long since, unlike the race above: a pool that looks finds out
    // before it sends).
    let url = closing_server(user_answer("keep-alive"), Some(Duration::from_millis(100)));
    for (bin, client) in combinations() {
        let report = load(bin, client, &url, &["--rate", "5", "-d", "2s", "-c", "1"]);
        let what = format!("{bin} {client}: {report:?}");
        assert_eq!(report.requests, 10, "{what}");
        assert_eq!(report.ok, 10, "{what}");
    }
}

/// `fetch-server --threads 1 --bind ADDR` as a process of its own; returns
/// it and the address it listens on (read from its first line).
fn fixture_server(bind: &str) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    let mut server = common::spawn("fetch-server", &["--threads", "1", "--bind", bind]);
    let stdout = server.stdout.take().expect("its stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("its first line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("fetch-server said {line:?}"))
        .to_owned();
    (server, url)
}

#[test]
fn a_server_restarted_during_an_open_loop_run_costs_only_its_outage() {
    for (bin, client) in combinations() {
        let (mut server, url) = fixture_server("127.0.0.1:0");
        let addr = url.trim_start_matches("http://").to_owned();
        let target = format!("{url}/users/{{id}}");
        // 100 requests a second for 3 s, at most 10 in flight.
        let load = common::spawn(
            bin,
            &[
                "--client",
                client,
                "--timeout",
                "2s",
                "load",
                "--url",
                &target,
                "--rate",
                "100",
                "-d",
                "3s",
                "-c",
                "10",
                "--parse",
                "user",
                "--output",
                "json",
            ],
        );
        // Killed a second in, back on the same port half a second later.
        std::thread::sleep(Duration::from_secs(1));
        server.kill().expect("kill fetch-server");
        server.wait().expect("reap fetch-server");
        std::thread::sleep(Duration::from_millis(500));
        let (mut again, _) = fixture_server(&addr);
        let out = common::finish(load.wait_with_output().expect("wait for the load run"));
        let _ = again.kill();
        let _ = again.wait();
        // Every request counted once, by its outcome (check_report checks
        // ok + errors == requests).
        let report = common::check_report(&out.stdout);
        let what = format!("{bin} {client}: {report:?}");
        assert!(report.requests >= 250, "{what}");
        // The outage is named: refused connects, and connections the kill
        // cut (a request in flight then, or sent again on a fresh one while
        // the port was closed). Nothing else.
        assert!(report.error_count() > 0, "{what}");
        assert!(
            report
                .errors
                .keys()
                .all(|k| k == "connect" || k == "transport"),
            "{what}"
        );
        // The run recovered: the second and more after the restart, and the
        // second before the kill, succeeded; only about the half second of
        // the outage (50 requests) failed.
        assert!(report.ok >= report.requests.saturating_sub(100), "{what}");
    }
}
