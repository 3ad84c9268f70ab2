//! The open loop (`load --rate`) against a server that stalls for a second
//! in the middle of the run, on every runtime: the stall must show in the
//! latency percentiles as arithmetic predicts, and a closed loop against the
//! same stall must hide it (coordinated omission).
//!
//! The arithmetic: 200 requests/s for 4 s is 800 requests, 200 of them (a
//! quarter) due during a 1 s pause. Each of those waits until the pause
//! ends, so their latencies from the due time spread evenly over 0 to 1 s:
//! the top 10% of all requests are the top 40% of those, so p90 is about
//! 0.6 s, and p99 (the top 4% of them) about 0.96 s. The bounds below are
//! generous: the pause starts when this test says, not to the millisecond.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use async_fetch::combos::{self, Combo, LocalCombo, Visit};
use common::{check_report, finish, spawn};
use fetch_core::pace::PacerKind;
use fetch_core::{ClientConfig, HttpClient, LocalHttpClient};

/// How each runtime's binary should pace an open loop, asked of the
/// runtimes themselves: a task where the runtime lends a pacer timer, a
/// thread of its own elsewhere (and on a thread-per-core runtime's shards).
#[derive(Default)]
struct PacerKinds(BTreeMap<&'static str, PacerKind>);

impl Visit for PacerKinds {
    fn visit<R: fetch_core::Runtime, C: HttpClient>(&mut self, combo: Combo, rt: &R, _: C) {
        let kind = match rt.pacer_timer() {
            Some(_) => PacerKind::Task,
            None => PacerKind::Thread,
        };
        self.0.insert(combo.binary(), kind);
    }

    fn visit_local<C: LocalHttpClient>(&mut self, combo: Combo, _: LocalCombo<C>) {
        self.0.insert(combo.binary(), PacerKind::Thread);
    }
}

/// One combination per runtime (its binary's default client): the runtime
/// is what paces the requests.
fn runtimes() -> impl Iterator<Item = (&'static str, &'static str)> {
    common::Runtime::ALL
        .iter()
        .filter_map(|r| r.combos().next().map(|c| (c.binary(), c.client.name())))
}

/// Runs `bin load ARGS --output json` against a fresh server that pauses
/// for 1 s, 1.5 s after the run starts; returns the report.
fn run_with_a_pause(bin_name: &str, client: &str, args: &[&str]) -> fetch_core::LoadReport {
    let server = common::own_server();
    let url = format!("{}/users/{{id}}", server.url());
    let mut all = vec!["--client", client, "--timeout", "5s", "load", "--url", &url];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--output", "json"]);
    let child = spawn(bin_name, &all);
    std::thread::sleep(Duration::from_millis(1_500));
    server.pause(Duration::from_secs(1));
    let out = finish(child.wait_with_output().expect("wait for the load run")).success();
    check_report(&out.stdout)
}

fn seconds(ms: Option<f64>) -> f64 {
    ms.map_or(f64::NAN, |ms| ms / 1000.0)
}

#[test]
fn the_open_loop_shows_a_stall_that_the_closed_loop_hides() {
    let mut pacers = PacerKinds::default();
    combos::for_each(1, 1, &ClientConfig::default(), &mut pacers).expect("build the runtimes");
    for (bin_name, client) in runtimes() {
        let open = run_with_a_pause(
            bin_name,
            client,
            // The last requests are due just before the end: they finish
            // (--wait-ongoing), so all 800 are counted by their outcome.
            &["--rate", "200", "-d", "4s", "-c", "400", "--wait-ongoing"],
        );
        let what = format!("{bin_name} {client}: {open:?}");
        assert_eq!(open.rate, Some(200.0), "{what}");
        assert_eq!(open.requests, 800, "{what}");
        assert_eq!(open.ok, 800, "{what}");
        let (p90, p99) = (seconds(open.latency_ms.p90), seconds(open.latency_ms.p99));
        assert!((0.4..=0.8).contains(&p90), "p90 {p90} s, {what}");
        assert!((0.8..=1.2).contains(&p99), "p99 {p99} s, {what}");
        // Most requests were not held: the median is the server's speed.
        assert!(seconds(open.latency_ms.p50) < 0.2, "{what}");
        // Service time counts from the send: a held request was sent on
        // time, so its wait is service time too; the requests not held are
        // fast either way.
        let service = open.service_ms.expect("an open loop reports service time");
        assert!(seconds(service.p50) < 0.2, "{what}");
        assert!(
            open.late_starts.is_some() && open.max_start_delay_ms.is_some(),
            "{what}"
        );
        assert!(!open.fell_behind(), "{what}");
        // The pacer says how it ran, as its runtime would run it, and what
        // it cost.
        assert_eq!(
            open.pacer_runs_as,
            pacers.0.get(bin_name).copied(),
            "{what}"
        );
        let pacer = open.pacer_cpu_s.unwrap_or(f64::NAN);
        assert!(pacer > 0.0 && pacer < open.elapsed_s, "{what}");

        let closed = run_with_a_pause(bin_name, client, &["-d", "4s", "-c", "4"]);
        let what = format!("{bin_name} {client}: {closed:?}");
        assert_eq!(closed.rate, None, "{what}");
        assert_eq!(closed.service_ms, None, "{what}");
        assert_eq!((closed.pacer_runs_as, closed.pacer_cpu_s), (None, None));
        // The same pause: four requests waited through it (the max shows
        // it), and thousands of others never saw it, so p99 is fast.
        assert!(seconds(closed.latency_ms.max) > 0.5, "{what}");
        assert!(seconds(closed.latency_ms.p99) < 0.2, "{what}");
    }
}

/// Ctrl-C in an open loop: workers waiting for the pacer and requests in
/// flight alike end at once, and every request is counted.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_an_open_loop_with_every_request_counted() {
    use std::time::Instant;

    for (bin_name, client) in runtimes() {
        let server = common::own_server();
        // 200 a second, each answered after 100 ms: about 20 in flight,
        // and most of the 50 workers idle, waiting for the pacer.
        let url = format!("{}/delay/100", server.url());
        let child = spawn(
            bin_name,
            &[
                "--client", client, "load", "--url", &url, "--rate", "200", "-d", "60s", "-c",
                "50", "--output", "json",
            ],
        );
        let waiting = Instant::now();
        while server.requests_received() < 100 && waiting.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Far below the run's 60 s, the signal stops it.
        let report = common::interrupt(child);
        assert_eq!(report.rate, Some(200.0), "{bin_name}: {report:?}");
        assert!(report.ok > 0, "{bin_name}: {report:?}");
        if !report.thread_per_task {
            assert!(
                report.errors.get("cancelled") > Some(&0),
                "{bin_name}: {report:?}"
            );
        }
    }
}

/// The text report of an open loop: the schedule line, latency from the
/// due time and service time, on every combination; and a run that cannot
/// keep its rate (one request in flight at a time, each held 10 ms, asked
/// for 2,000 a second) says it fell behind.
#[test]
fn the_text_report_shows_the_schedule_and_a_run_that_falls_behind() {
    let base = common::server_url();
    let url = format!("{base}/users/{{id}}");
    // A second of schedule: a run is BEHIND when it lags a tenth of its
    // length, so a run of 200 (0.4 s) was after one stall of 40 ms, which
    // a machine busy with the other tests can give it.
    for (bin_name, client) in common::combinations() {
        let out = common::run(
            bin_name,
            &[
                "--client", client, "load", "--url", &url, "--rate", "500", "-n", "500", "-c", "10",
            ],
        )
        .success();
        let what = format!("{bin_name} {client}:\n{}", out.stdout);
        assert!(
            out.stdout
                .contains("  schedule     open loop: 500 requests/sec asked, "),
            "{what}"
        );
        assert!(
            out.stdout
                .contains("Latency from each request's due time (ms)"),
            "{what}"
        );
        assert!(
            out.stdout
                .contains("Service time, from each request's send (ms)"),
            "{what}"
        );
        assert!(!out.stdout.contains("BEHIND"), "{what}");
        assert!(out.stdout.contains("  pacer        a "), "{what}");
    }
    let slow = format!("{base}/delay/10");
    let out = common::run(
        "fetch-tokio",
        &[
            "--client", "hyper", "load", "--url", &slow, "--rate", "2000", "-n", "150", "-c", "1",
        ],
    )
    .success();
    assert!(
        out.stdout.contains("  BEHIND       the run fell "),
        "{}",
        out.stdout
    );
    // It says which limit held: the one request in flight allowed was
    // busy for the server's 10 ms, so 100/s at most of the 2000 asked.
    assert!(
        out.stdout
            .contains("all 1 requests in flight (-c) were busy: at a service time of 1")
            && out.stdout.contains("raise -c, or lower --rate"),
        "{}",
        out.stdout
    );
}
