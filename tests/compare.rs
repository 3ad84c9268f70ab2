//! `scripts/compare` keeps going when a combination fails: its row says
//! so, every other row and file is written, and the run reports failure.

use async_fetch::combos::{Client, Combo, Runtime};
use async_fetch::compare::ReferenceTool;
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
        bare: if bare {
            ReferenceTool::BARE.to_vec()
        } else {
            Vec::new()
        },
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

    let json = results(&out);
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
    // The three bare loops, whatever the combinations.
    let plan = one_second_plan(&out, true, vec![Combo::new(Runtime::Tokio, Client::Hyper)]);
    assert!(run(&plan).expect("the comparison runs"), "no run may fail");
    let json = results(&out);
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

#[test]
fn every_result_is_stamped_with_what_made_it_and_keeps_each_round() {
    let out = std::env::temp_dir().join(format!("compare-stamp-{}", std::process::id()));
    let plan = Plan {
        repeat: 2,
        ..one_second_plan(&out, false, vec![Combo::new(Runtime::Tokio, Client::Hyper)])
    };
    assert!(run(&plan).expect("the comparison runs"), "no run may fail");
    let json = results(&out);
    let env = &json["environment"];
    let commit = env["commit"].as_str().unwrap();
    assert!(
        commit == "unknown"
            || (commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{env:#}"
    );
    // `<date>-<short commit>`, the date the run started (YYYY-MM-DD).
    let run_id = json["run_id"].as_str().unwrap();
    let (date, short) = run_id.split_at(10);
    assert!(
        date.chars().filter(|c| *c == '-').count() == 2
            && date.chars().all(|c| c == '-' || c.is_ascii_digit()),
        "{run_id}"
    );
    assert_eq!(short, format!("-{}", &commit[..7]), "{run_id}");
    assert!(env["dirty"].is_boolean(), "{env:#}");
    assert!(
        env["rustc"].as_str().unwrap().starts_with("rustc "),
        "{env:#}"
    );
    assert!(env["command"].is_string(), "{env:#}");
    for name in async_fetch::compare::environment::CRATES {
        assert!(env["crates"][name].is_string(), "{name}: {env:#}");
    }
    for tool in ["wrk", "oha", "h2load"] {
        let version = &env["tools"][tool];
        assert!(version.is_null() || version.is_string(), "{tool}: {env:#}");
    }
    assert!(
        json["machine"]["memory_mib"].as_u64().unwrap() > 0,
        "{json:#}"
    );
    assert!(json["machine"]["io_uring"].is_boolean(), "{json:#}");
    // Each round's figures, not only the median round's.
    let run = &json["runs"][0];
    let rounds = run["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 2, "{run:#}");
    for (round, sample) in rounds.iter().zip(run["samples"].as_array().unwrap()) {
        assert_eq!(&round["requests_per_sec"], sample, "{run:#}");
        assert!(round["p99_ms"].as_f64().unwrap() > 0.0, "{run:#}");
        assert!(round["peak_rss_kb"].as_u64().unwrap() > 0, "{run:#}");
    }
    // The page opens with the stamp, and a figure of two rounds has its range.
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert!(
        md.starts_with(&format!("Run `{run_id}`: commit `{commit}`")),
        "{md}"
    );
    let row = md
        .lines()
        .find(|l| l.starts_with("| tokio+hyper | 20 |"))
        .unwrap_or_else(|| panic!("no row:\n{md}"));
    assert!(row.contains('–'), "a range in {row}");
    // `--render` draws the same page again from results.json alone.
    std::fs::remove_file(out.join("results.md")).unwrap();
    std::fs::remove_file(out.join("throughput.svg")).unwrap();
    let rendered = std::process::Command::new(env!("CARGO_BIN_EXE_compare"))
        .arg("--render")
        .arg(&out)
        .output()
        .unwrap();
    assert!(rendered.status.success(), "{rendered:?}");
    assert_eq!(std::fs::read_to_string(out.join("results.md")).unwrap(), md);
    assert!(out.join("throughput.svg").is_file());
    std::fs::remove_dir_all(&out).unwrap();
}

fn results(out: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("results.json")).expect("results.json");
    serde_json::from_str(&text).expect("results.json is JSON")
}

#[test]
fn the_server_and_the_clients_run_on_cpus_of_their_own() {
    let allowed = fetch_core::cpus::allowed().expect("this process's CPUs");
    if allowed.len() < 2 {
        eprintln!("skipped: pinning apart needs 2 CPUs, this process has {allowed}");
        return;
    }
    let (server_cpu, client_cpu) = (allowed.cpus()[0], allowed.cpus()[1]);
    let cpu = |n: usize| n.to_string().parse().unwrap();
    let out = std::env::temp_dir().join(format!("compare-pinned-{}", std::process::id()));
    let combos = vec![
        Combo::new(Runtime::Tokio, Client::Hyper),
        Combo::new(Runtime::Compio, Client::Hyper),
    ];
    let placement = Placement::decide(
        Some(cpu(server_cpu)),
        Some(cpu(client_cpu)),
        false,
        allowed.clone(),
    )
    .unwrap();
    let plan = Plan {
        placement,
        threads: 1,
        server_threads: 1,
        bare: vec![
            ReferenceTool::BareTokioHyper,
            ReferenceTool::BareCompioHyper,
        ],
        ..one_second_plan(&out, false, combos)
    };
    assert!(run(&plan).expect("the comparison runs"), "no run may fail");
    let json = results(&out);
    let placement = &json["environment"]["placement"];
    // The server's process, read back from procfs, is on its CPU alone.
    assert_eq!(
        placement["servers"]["http"]["cpus"],
        serde_json::json!([server_cpu]),
        "{placement:#}"
    );
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(
        runs.len(),
        4,
        "2 combinations and their 2 bare loops: {json:#}"
    );
    for r in runs {
        // Every client process reported the clients' CPU: the combinations
        // from their own affinity, the bare loops from procfs.
        assert_eq!(r["cpus"], serde_json::json!([client_cpu]), "{r:#}");
    }
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert!(
        md.contains(&format!(
            "server on CPUs {server_cpu}, clients on CPUs {client_cpu} (as asked)"
        )),
        "{md}"
    );
    assert!(!md.contains("other than the clients' set"), "{md}");
    std::fs::remove_dir_all(&out).unwrap();
    // The pinning was this thread's for the run only.
    assert_eq!(fetch_core::cpus::allowed().unwrap(), allowed);
}

#[test]
fn the_thread_sweep_runs_each_count_and_marks_the_oversubscribed_ones() {
    let out = std::env::temp_dir().join(format!("compare-sweep-{}", std::process::id()));
    let mut plan = one_second_plan(
        &out,
        false,
        vec![
            Combo::new(Runtime::Tokio, Client::Hyper),
            Combo::new(Runtime::Threads, Client::Ureq),
        ],
    );
    let over = plan.placement.client_count() + 1;
    plan.concurrency = Vec::new();
    plan.sweep_threads = vec![1, over];
    assert!(run(&plan).expect("the comparison runs"), "no run may fail");
    let json = results(&out);
    let runs = json["runs"].as_array().unwrap();
    for threads in [1, over] {
        let tokio = runs
            .iter()
            .find(|r| r["tool"] == "tokio+hyper" && r["threads"] == threads)
            .unwrap_or_else(|| panic!("no tokio+hyper run at {threads}: {json:#}"));
        assert_eq!(tokio["scenario"], "scaling", "{tokio:#}");
        assert_eq!(tokio["concurrency"], 1000, "{tokio:#}");
        // The combination really ran with that many worker threads.
        assert_eq!(tokio["config"]["threads"], threads, "{tokio:#}");
        assert!(tokio["ok"].as_u64().unwrap() > 0, "{tokio:#}");
        let baseline = runs
            .iter()
            .find(|r| r["tool"] == "threads+ureq" && r["threads"] == threads)
            .unwrap_or_else(|| panic!("no threads+ureq row at {threads}: {json:#}"));
        assert!(
            baseline["status"]["not_supported"].is_string(),
            "{baseline:#}"
        );
    }
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert!(md.contains("## Scaling with threads"), "{md}");
    assert!(
        md.contains(&format!("{over} threads (oversubscribed")),
        "{md}"
    );
    let row = md
        .lines()
        .find(|l| l.starts_with("| tokio+hyper |"))
        .unwrap_or_else(|| panic!("no tokio+hyper row:\n{md}"));
    assert!(
        row.contains("(100%)"),
        "the first count is its own reference: {row}"
    );
    assert!(out.join("scaling.svg").is_file());
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn servers_started_apart_are_loaded_once_their_version_is_checked() {
    use async_fetch::harness::ServerProcess;
    let out = std::env::temp_dir().join(format!("compare-apart-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    // Started apart from the driver, as a user would on another machine.
    let http = ServerProcess::start(1).expect("fetch-server");
    let ca = out.join("apart-ca.pem");
    let https = ServerProcess::start_tls(1, &ca).expect("fetch-server --tls");
    let mut plan = one_second_plan(&out, false, vec![Combo::new(Runtime::Tokio, Client::Hyper)]);
    plan.server = Some(http.url().to_owned());
    plan.tls_server = Some((https.url().to_owned(), ca.clone()));
    plan.tls_scenarios = vec![async_fetch::compare::Scenario::Https];
    plan.tls_in_flight = Some(20);
    plan.placement = Placement::decide(None, None, true, plan.placement.allowed.clone()).unwrap();
    assert!(run(&plan).expect("the comparison runs"), "no run may fail");
    let json = results(&out);
    let servers = &json["environment"]["placement"]["servers"];
    assert_eq!(servers["http"]["url"], http.url(), "{servers:#}");
    assert_eq!(servers["tls"]["url"], https.url(), "{servers:#}");
    assert_eq!(servers["http"]["version"], env!("CARGO_PKG_VERSION"));
    let runs = json["runs"].as_array().unwrap();
    for scenario in ["throughput", "https"] {
        let r = runs
            .iter()
            .find(|r| r["scenario"] == scenario)
            .unwrap_or_else(|| panic!("no {scenario} run: {json:#}"));
        assert!(r["ok"].as_u64().unwrap() > 0, "{r:#}");
        assert!(
            r["config"]["url"]
                .as_str()
                .unwrap()
                .starts_with(if scenario == "https" {
                    https.url()
                } else {
                    http.url()
                })
        );
        // The server's CPU cannot be read from here: empty, not zero.
        assert!(r["server_cpu_s"].is_null(), "{r:#}");
    }
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert!(md.contains("Server CPU columns are empty"), "{md}");

    // Anything but a fixture server of this version is refused, saying so.
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let other_url = format!("http://{}", other.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read as _, Write as _};
        for mut stream in other.incoming().flatten() {
            let mut buf = [0; 1024];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot here\n",
            );
        }
    });
    plan.server = Some(other_url.clone());
    plan.tls_server = None;
    plan.tls_in_flight = None;
    let err = run(&plan).expect_err("not a fixture server");
    let err = format!("{err:#}");
    assert!(
        err.contains(&other_url) && err.contains("not a fixture server of this version"),
        "{err}"
    );
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn only_and_scenarios_run_a_subset_and_the_page_says_what_was_left_out() {
    let compare = env!("CARGO_BIN_EXE_compare");
    let out = std::env::temp_dir().join(format!("compare-only-{}", std::process::id()));
    let status = std::process::Command::new(compare)
        .args([
            "--only",
            "tokio+hyper,compio+hyper",
            "--scenarios",
            "throughput",
        ])
        .args([
            "-c",
            "20",
            "-d",
            "1",
            "--repeat",
            "1",
            "--no-reference",
            "--no-bare",
        ])
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run compare");
    assert!(status.success());
    let json = results(&out);
    let mut tools: Vec<&str> = json["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tool"].as_str().unwrap())
        .collect();
    tools.sort_unstable();
    assert_eq!(tools, ["compio+hyper", "tokio+hyper"], "{json:#}");
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert!(md.contains("Left out of this run:"), "{md}");
    assert!(
        md.contains("- scenarios `queued`, `memory`, `rate`, `https`, `https_new_connection`, `h2`, `upload`, `download` (--scenarios)"),
        "{md}"
    );
    assert!(
        md.contains("scenario `scaling` (no --sweep-threads)"),
        "{md}"
    );
    assert!(
        md.contains("tokio+reqwest") && md.contains("(--only)"),
        "{md}"
    );
    std::fs::remove_dir_all(&out).unwrap();

    // An unknown name is a usage error that lists the valid ones.
    let usage_error = |args: &[&str]| {
        let out = std::process::Command::new(compare)
            .args(args)
            .output()
            .expect("run compare");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let stderr = usage_error(&["--only", "tokio+curl"]);
    assert!(
        stderr.contains("\"tokio+curl\" is not a combination"),
        "{stderr}"
    );
    assert!(stderr.contains("compio+cyper"), "{stderr}");
    let stderr = usage_error(&["--scenarios", "throughput,speed"]);
    assert!(stderr.contains("\"speed\" is not a scenario"), "{stderr}");
    assert!(stderr.contains("https_new_connection"), "{stderr}");
}
