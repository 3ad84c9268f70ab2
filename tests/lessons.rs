//! Every lesson on every runtime binary: each runs, and what it prints has
//! the shape of the claim it shows (an order of results, never a speed).

mod common;

use common::{binaries, run_with_limit};
use serde_json::Value;
use std::time::Duration;

/// Runs `bin lesson NAME --json` and returns its `results`.
fn lesson(bin: &str, name: &str) -> Value {
    let out = run_with_limit(bin, &["lesson", name, "--json"], Duration::from_secs(120)).success();
    let report = out.json();
    assert_eq!(report["lesson"], name);
    report["results"].clone()
}

fn async_binaries() -> impl Iterator<Item = &'static str> {
    binaries()
        .into_iter()
        .map(|(bin, _)| bin)
        .filter(|bin| *bin != "fetch-threads")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn lesson_lists_the_lessons() {
    for (bin, _) in binaries() {
        let out = common::run(bin, &["lesson"]).success();
        for name in [
            "lazy",
            "state-machine",
            "ten-users",
            "thousands",
            "errors",
            "runtime",
            "spawn",
        ] {
            assert!(
                out.stdout.contains(name),
                "{bin}: {name} missing:\n{}",
                out.stdout
            );
        }
        let executor_lessons =
            out.stdout.contains("  blocking ") && out.stdout.contains("  cpu-work ");
        assert_eq!(
            executor_lessons,
            bin != "fetch-threads",
            "{bin}:\n{}",
            out.stdout
        );
    }
    let out = common::run("fetch-threads", &["lesson", "blocking"]).fails_with(1);
    assert!(out.stderr.contains("fetch-tokio"), "{out:#?}");
    common::run("fetch-tokio", &["lesson", "no-such-lesson"]).fails_with(2);
}

#[test]
fn lazy_nothing_is_sent_before_await_and_nothing_when_dropped() {
    for (bin, _) in binaries() {
        let r = lesson(bin, "lazy");
        assert_eq!(r["block_ran_before_await"], false, "{bin}: {r}");
        assert_eq!(r["block_ran_after_await"], true, "{bin}: {r}");
        assert_eq!(r["requests_after_call"], 0, "{bin}: {r}");
        assert_eq!(r["requests_after_200ms"], 0, "{bin}: {r}");
        assert_eq!(r["requests_after_await"], 1, "{bin}: {r}");
        assert_eq!(r["requests_after_drop"], 1, "{bin}: {r}");
        assert_eq!(r["title"], "Page 1");
    }
}

#[test]
fn state_machine_stores_what_lives_across_an_await() {
    for (bin, _) in binaries() {
        let rows = lesson(bin, "state-machine");
        let size = |label: &str| {
            rows.as_array()
                .unwrap()
                .iter()
                .find(|r| r["future"] == label)
                .map(|r| r["bytes"].as_u64().unwrap())
                .unwrap_or_else(|| panic!("{bin}: no row {label}: {rows}"))
        };
        assert!(
            size("[u8; 4096] held across .await") >= 4096,
            "{bin}: {rows}"
        );
        assert!(
            size("[u8; 4096] dropped before .await") < 4096,
            "{bin}: {rows}"
        );
        assert!(
            size("async fn empty()") < size("a u64 held across .await"),
            "{bin}: {rows}"
        );
    }
}

#[test]
fn ten_users_concurrency_beats_waiting_in_turn() {
    for (bin, _) in binaries() {
        let r = lesson(bin, "ten-users");
        let sequential = f(&r["sequential_ms"]);
        // Ten 200 ms waits in turn take at least 2 s.
        assert!(sequential >= 2000.0, "{bin}: {r}");
        assert!(f(&r["threads_ms"]) < sequential / 2.0, "{bin}: {r}");
        if bin != "fetch-threads" {
            assert!(
                f(&r["one_async_thread_ms"]) < sequential / 2.0,
                "{bin}: {r}"
            );
        }
    }
}

#[test]
fn thousands_ten_thousand_in_flight_on_one_thread() {
    // One binary at a time: each run holds 20,000 sockets.
    for bin in async_binaries() {
        let r = lesson(bin, "thousands");
        let one = &r["one_async_thread"];
        assert_eq!(one["ok"], 10_000, "{bin}: {r}");
        assert_eq!(one["threads"], 1, "{bin}: {r}");
        assert!(f(&one["kb_per_request"]) > 0.0, "{bin}: {r}");
        let os = &r["os_threads"];
        // Where the machine cannot start 10,000 threads, the lesson says so.
        assert!(os["ok"] == 10_000 || os["error"].is_string(), "{bin}: {r}");
    }
}

#[test]
fn blocking_the_executor_delays_other_tasks() {
    for bin in async_binaries() {
        for name in ["blocking", "cpu-work"] {
            let columns = lesson(bin, name);
            let one_thread = &columns[0];
            assert_eq!(one_thread["threads"], 1, "{bin} {name}: {columns}");
            let late = |i: usize| f(&one_thread["variants"][i]["worst_late_ms"]);
            // On one thread, the bad way holds the heartbeat back by most of
            // the 200 ms; the blocking pool does not.
            assert!(late(0) > late(2), "{bin} {name}: {columns}");
            assert!(late(0) >= 100.0, "{bin} {name}: {columns}");
        }
    }
}

#[test]
fn errors_come_back_through_question_marks_with_their_kind() {
    for (bin, _) in binaries() {
        let rows = lesson(bin, "errors");
        let kinds: Vec<&str> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["http_404", "http_500", "decode", "connect"],
            "{bin}: {rows}"
        );
        assert!(
            rows[3]["chain"].as_str().unwrap().contains("refused"),
            "{bin}: {rows}"
        );
    }
}

#[test]
fn runtime_lesson_quotes_the_real_compiler_errors() {
    for (bin, _) in binaries() {
        let rows = lesson(bin, "runtime");
        let codes: Vec<&str> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["rustc_says"].as_str().unwrap())
            .collect();
        assert_eq!(codes[0], "E0752", "{bin}: {rows}");
        assert_eq!(codes[2], "E0308", "{bin}: {rows}");
        assert!(codes[3].starts_with("no code"), "{bin}: {rows}");
    }
}

#[test]
fn spawn_runs_futures_at_the_same_time_await_in_turn() {
    for (bin, _) in binaries() {
        let r = lesson(bin, "spawn");
        assert!(
            f(&r["io_spawned_ms"]) < f(&r["io_awaited_ms"]) / 2.0,
            "{bin}: {r}"
        );
        // Four 100 ms CPU jobs awaited in turn take at least 400 ms.
        assert!(f(&r["cpu_awaited_ms"]) >= 400.0, "{bin}: {r}");
    }
}
