//! Minutes, not seconds: an open loop at a modest rate against the fixture
//! server, long enough to show growth per request. Memory after the first
//! 10 s and at the end within 10% of each other, open file descriptors at
//! the end no more than at the start plus the connections in use (10, for
//! 100 requests in flight at most), every request counted.
//!
//! Kept out of `cargo test`'s default run (`#[ignore]`): `.ci/run` runs it
//! for 30 s on each combination, and by hand it runs for as long as
//! `SOAK_SECONDS` says:
//!
//! ```text
//! SOAK_SECONDS=600 cargo test --release --test soak -- --ignored --nocapture
//! ```

mod common;

use std::time::{Duration, Instant};

/// Requests per second: modest, so the run measures growth, not speed (a
/// debug build of compio + hyper kept 1,845 of 2,000 beside a busy core).
const RATE: &str = "500";
/// Requests in flight at most.
const IN_FLIGHT: u64 = 100;
/// Connections: fewer than the requests in flight, so they are all open
/// early (the gate queues the rest) and a late burst of requests opens no
/// more. With one per request in flight, a stall of the machine 4 minutes
/// into a 10-minute run opened 80 more, and their buffers read as growth.
const CONNECTIONS: u64 = 10;

/// A field of `/proc/PID/status` in KiB (`VmRSS`).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the process runs");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// The process's open file descriptors.
fn open_fds(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("the process runs")
        .count() as u64
}

fn sleep_until(at: Instant) {
    std::thread::sleep(at.saturating_duration_since(Instant::now()));
}

#[test]
#[ignore = "minutes long: .ci/run runs it for 30 s, SOAK_SECONDS sets the length"]
fn an_open_loop_keeps_memory_and_descriptors_flat() {
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30)
        .max(15);
    let server = common::own_server();
    let url = format!("{}/users/{{id}}", server.url());
    let soaked = common::combinations().filter(|(bin, client)| {
        *client == "hyper" && ["fetch-tokio", "fetch-compio"].contains(bin)
    });
    for (bin, client) in soaked {
        let duration = format!("{seconds}s");
        let (in_flight, connections) = (IN_FLIGHT.to_string(), CONNECTIONS.to_string());
        let child = common::spawn(
            bin,
            &[
                "--client",
                client,
                "load",
                "--url",
                &url,
                "--rate",
                RATE,
                "-d",
                &duration,
                "-c",
                &in_flight,
                "--connections",
                &connections,
                "--parse",
                "user",
                "--output",
                "json",
            ],
        );
        let pid = child.id();
        let started = Instant::now();
        sleep_until(started + Duration::from_secs(2));
        let fds_at_start = open_fds(pid);
        sleep_until(started + Duration::from_secs(10));
        let rss_at_10s = status_kib(pid, "VmRSS");
        sleep_until(started + Duration::from_secs(seconds - 1));
        let rss_at_end = status_kib(pid, "VmRSS");
        let fds_at_end = open_fds(pid);
        let out = common::finish(child.wait_with_output().expect("wait for the run")).success();
        let report = common::check_report(&out.stdout);
        let what = format!(
            "{bin} {client}: RSS {rss_at_10s} KiB at 10 s, {rss_at_end} KiB at the end; \
             descriptors {fds_at_start} at 2 s, {fds_at_end} at the end; {report:?}"
        );
        eprintln!("{what}");
        // Every request counted; none failed but the few in flight at the end.
        assert!(report.ok > 0 && report.is_consistent(), "{what}");
        let cancelled = report.cancelled();
        assert!(cancelled <= IN_FLIGHT, "{what}");
        assert_eq!(report.error_count(), cancelled, "{what}");
        assert!(!report.fell_behind(), "{what}");
        // No growth per request.
        assert!(rss_at_end * 10 <= rss_at_10s * 11, "{what}");
        assert!(fds_at_end <= fds_at_start + CONNECTIONS, "{what}");
    }
}
