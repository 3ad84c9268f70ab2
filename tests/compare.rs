//! `scripts/compare` keeps going when a combination fails: its row says
//! so, every other row and file is written, and the run reports failure.

use async_fetch::combos::{Client, Combo, Runtime};
use async_fetch::compare::driver::{Plan, run};
use async_fetch::compare::placement::Placement;

/// One round of 1 s runs at 20 in flight of `combinations`, into `out`:
/// no wrk or oha, the bare loops when `bare`, no other scenario.
fn one_second_plan(out: &std::path::Path, bare: bool, combinations: Vec<Combo>) -> Plan {
    let allowed = fetch_core::cpus::allowed().expect("this process's CPUs");
    Plan {
        seconds: 1,
        concurrency: vec![20],
        threads: 2,
        server_threads: 2,
        placement: Placement::decide(None, None, false, allowed).expect("a placement"),
        server: None,
        tls_server: None,
        tls_scenarios: Vec::new(),
        sweep_threads: Vec::new(),
        left_out: Vec::new(),
        out: out.to_owned(),
        reference: false,
        bare,
        tls_in_flight: None,
        queued: None,
        memory: None,
        repeat: 1,
        combinations,
        rates: Vec::new(),
        rate_seconds: 1,
        upload: false,
        download: false,
    }
}

#[test]
fn a_failing_combination_is_a_marked_row_and_everything_else_is_written() {
    let out = std::env::temp_dir().join(format!("compare-crash-{}", std::process::id()));
    let working = Combo::new(Runtime::Tokio, Client::Hyper);
    // fetch-tokio has no ureq client (not a combination of the registry):
    // it exits at once with a usage error and prints no report, as a
    // crashed binary would.
    let broken = Combo::new(Runtime::Tokio, Client::Ureq);
    let plan = one_second_plan(&out, false, vec![broken, working]);
    let all_ok = run(&plan).expect("the comparison itself runs");
    assert!(!all_ok, "a failed combination must fail the comparison");

    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    let row = |tool: &str| {
        md.lines()
            .find(|l| l.starts_with(&format!("| {tool} | 20 |")))
            .unwrap_or_else(|| panic!("no {tool} row:\n{md}"))
            .to_owned()
    };
    assert!(row("tokio+ureq").contains("**failed**"), "{md}");
    assert!(row("tokio+ureq").contains("ureq"), "{md}");
    // The working combination ran after the failure, with numbers.
    let good = row("tokio+hyper");
    assert!(
        !good.contains("failed") && good.ends_with("| 0 | ok |"),
        "{good}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{json:#}");
    assert!(runs[0]["status"]["failed"].is_string(), "{json:#}");
    assert_eq!(runs[1]["status"], "measured", "{json:#}");
    assert!(runs[1]["ok"].as_u64().unwrap() > 0, "{json:#}");
    assert!(out.join("throughput.svg").is_file());
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn the_bare_loops_run_beside_the_engine_and_the_headline_divides_by_them() {
    let out = std::env::temp_dir().join(format!("compare-bare-{}", std::process::id()));
    let plan = one_second_plan(&out, true, vec![Combo::new(Runtime::Tokio, Client::Hyper)]);
    assert!(run(&plan).expect("the comparison runs"), "no run may fail");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let runs = json["runs"].as_array().unwrap();
    for bare in ["bare-tokio-hyper", "bare-smol-hyper", "bare-compio-hyper"] {
        let run = runs
            .iter()
            .find(|r| r["tool"] == bare)
            .unwrap_or_else(|| panic!("no {bare} run: {json:#}"));
        assert_eq!(run["status"], "measured", "{run:#}");
        assert_eq!(run["reference"], true, "{run:#}");
        let (requests, ok) = (
            run["requests"].as_u64().unwrap(),
            run["ok"].as_u64().unwrap(),
        );
        assert!(
            ok > 0 && ok == requests,
            "every request of {bare} decoded: {run:#}"
        );
        assert!(run["p99_ms"].as_f64().unwrap() > 0.0, "{run:#}");
    }
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert!(
        md.contains("| 3. engine / bare, 20 in flight | tokio+hyper / bare-tokio-hyper: "),
        "{md}"
    );
    // Without smol + hyper and compio + hyper runs, their bare loops have
    // no engine row to divide, and the headline says nothing of them.
    assert!(!md.contains("smol+hyper / bare-smol-hyper"), "{md}");
    assert!(
        md.contains("| **bare-compio-hyper** (reference) | 20 |"),
        "{md}"
    );
    std::fs::remove_dir_all(&out).unwrap();
}
