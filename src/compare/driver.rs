//! The compare run: one server process, then wrk, oha and every
//! combination at each concurrency, one after the other.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use super::{
    Run, Scenario, WrkResult, chart, fastest, headline, medians, memory_table, parse_gnu_time,
    parse_oha, parse_wrk, queued_table, table,
};
use crate::combos::COMBINATIONS;
use crate::harness::{ServerProcess, workspace_bin};

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Requests per combination run (and per oha run).
    pub requests: u64,
    /// Seconds per wrk run (wrk runs for a duration, not a count).
    pub reference_secs: u64,
    /// Requests in flight, one run each.
    pub concurrency: Vec<usize>,
    /// Worker threads of every async runtime and of the server.
    pub threads: usize,
    /// Output folder.
    pub out: PathBuf,
    /// Run wrk and oha.
    pub reference: bool,
    /// Also run every combination with `.0` requests in flight on `.1`
    /// connections (the rest queue), for goal 5.
    pub queued: Option<(usize, usize)>,
    /// Also run every combination with this many requests in flight on
    /// `/delay/1000`, each on a connection of its own, for its peak memory.
    pub memory: Option<usize>,
    /// Rounds of every run; each tool's median is reported.
    pub repeat: usize,
}

/// One combination run.
struct Job<'a> {
    binary: &'a str,
    client: &'a str,
    scenario: Scenario,
    concurrency: usize,
    connections: usize,
    requests: u64,
    path: &'a str,
    parse: &'a str,
}

/// Runs `plan`; `Ok(false)` when some combination run lost or failed
/// requests (the files are written all the same).
pub fn run(plan: &Plan) -> anyhow::Result<bool> {
    std::fs::create_dir_all(&plan.out)
        .with_context(|| format!("could not create {}", plan.out.display()))?;
    let server = ServerProcess::start(plan.threads).context("could not start fetch-server")?;
    eprintln!(
        "fetch-server ({} threads) at {}; {} requests per run; in flight: {:?}",
        plan.threads,
        server.url(),
        plan.requests,
        plan.concurrency
    );
    let mut all_ok = true;
    let mut every = Vec::new();
    // Whole rounds, one after the other: a slow spell on the machine then
    // touches every tool's runs alike instead of one tool's.
    for round in 1..=plan.repeat.max(1) {
        if plan.repeat > 1 {
            eprintln!("round {round} of {}", plan.repeat);
        }
        every.extend(one_round(plan, &server, &mut all_ok)?);
    }
    let runs = medians(every);
    write_results(plan, &runs)?;
    Ok(all_ok)
}

/// Every run of the plan once: wrk, oha and each combination at each
/// concurrency, then the queued and memory runs.
fn one_round(plan: &Plan, server: &ServerProcess, all_ok: &mut bool) -> anyhow::Result<Vec<Run>> {
    let mut runs = Vec::new();
    let mut jobs = Vec::new();
    for &c in &plan.concurrency {
        if plan.reference {
            runs.push(with_server_cpu(server, || wrk(plan, server, c))?);
            runs.push(with_server_cpu(server, || oha(plan, server, c))?);
        }
        for combo in COMBINATIONS {
            jobs.push(Job {
                binary: combo.binary,
                client: combo.client,
                scenario: Scenario::Throughput,
                concurrency: c,
                connections: c,
                requests: plan.requests,
                path: "/users/{id}",
                parse: "user",
            });
        }
        runs.extend(run_jobs(plan, server, jobs.drain(..), all_ok)?);
    }
    for combo in COMBINATIONS {
        if let Some((c, connections)) = plan.queued {
            jobs.push(Job {
                binary: combo.binary,
                client: combo.client,
                scenario: Scenario::Throughput,
                concurrency: c,
                connections,
                requests: plan.requests,
                path: "/users/{id}",
                parse: "user",
            });
        }
        if let Some(c) = plan.memory {
            jobs.push(Job {
                binary: combo.binary,
                client: combo.client,
                scenario: Scenario::Memory,
                concurrency: c,
                connections: c,
                requests: c as u64,
                path: "/delay/1000",
                parse: "none",
            });
        }
    }
    runs.extend(run_jobs(plan, server, jobs.drain(..), all_ok)?);
    Ok(runs)
}

/// Runs `run` and records the server's CPU time during it.
fn with_server_cpu(
    server: &ServerProcess,
    run: impl FnOnce() -> anyhow::Result<Run>,
) -> anyhow::Result<Run> {
    let before = server.cpu_seconds();
    let mut run = run()?;
    if let (Some(before), Some(after)) = (before, server.cpu_seconds()) {
        run.server_cpu_s = after - before;
    }
    Ok(run)
}

/// Runs `program args` under GNU time; returns stdout and (CPU s, peak KiB).
fn timed(program: &Path, args: &[String]) -> anyhow::Result<(String, f64, u64, i32)> {
    let time_file = std::env::temp_dir().join(format!("compare-time-{}", std::process::id()));
    let output = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%U %S %M")
        .arg("-o")
        .arg(&time_file)
        .arg(program)
        .args(args)
        .output()
        .context("could not run /usr/bin/time (install GNU time: apt-get install time)")?;
    let time_text = std::fs::read_to_string(&time_file).unwrap_or_default();
    let _ = std::fs::remove_file(&time_file);
    let (cpu, rss) =
        parse_gnu_time(&time_text).with_context(|| format!("measuring {}", program.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if stdout.trim().is_empty() {
        bail!(
            "{} printed nothing; stderr: {}",
            program.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok((stdout, cpu, rss, output.status.code().unwrap_or(-1)))
}

fn command_line(program: &str, args: &[String]) -> String {
    std::iter::once(program.to_owned())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn find_tool(name: &str) -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let home_cargo = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin"));
    std::env::split_paths(&path)
        .chain(home_cargo)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .with_context(|| format!("{name} is not installed (scripts/compare installs it)"))
}

/// Runs a reference tool (wrk or oha) against `/users/1` and records it;
/// `parse` reads the tool's output.
fn reference(
    tool: &str,
    args: Vec<String>,
    c: usize,
    parse: fn(&str) -> anyhow::Result<WrkResult>,
    config: serde_json::Value,
) -> anyhow::Result<Run> {
    let program = find_tool(tool)?;
    eprintln!("  {tool} at {c} in flight");
    let (stdout, cpu_s, peak_rss_kb, _) = timed(&program, &args)?;
    let r = parse(&stdout)?;
    let errors: u64 = r.errors.values().sum();
    Ok(Run {
        tool: tool.to_owned(),
        reference: true,
        scenario: Scenario::Throughput,
        concurrency: c,
        connections: c,
        requests: r.requests,
        ok: r.requests.saturating_sub(errors),
        errors: r.errors,
        elapsed_s: r.elapsed_s,
        requests_per_sec: r.requests_per_sec,
        p50_ms: r.p50_ms,
        p99_ms: r.p99_ms,
        cpu_s,
        peak_rss_kb,
        server_cpu_s: 0.0,
        command: command_line(tool, &args),
        config,
        samples: Vec::new(),
    })
}

fn wrk(plan: &Plan, server: &ServerProcess, c: usize) -> anyhow::Result<Run> {
    let args = vec![
        "-t2".to_owned(),
        format!("-c{c}"),
        format!("-d{}s", plan.reference_secs),
        "--latency".to_owned(),
        format!("{}/users/1", server.url()),
    ];
    let config =
        serde_json::json!({"threads": 2, "connections": c, "parse": "none", "url": "/users/1"});
    reference("wrk", args, c, parse_wrk, config)
}

fn oha(plan: &Plan, server: &ServerProcess, c: usize) -> anyhow::Result<Run> {
    let args = vec![
        "--no-tui".to_owned(),
        "--output-format".to_owned(),
        "json".to_owned(),
        "-n".to_owned(),
        plan.requests.to_string(),
        "-c".to_owned(),
        c.to_string(),
        format!("{}/users/1", server.url()),
    ];
    let config = serde_json::json!({"connections": c, "parse": "none", "url": "/users/1"});
    reference("oha", args, c, parse_oha, config)
}

/// Runs `jobs` one after the other; a run that lost or failed requests
/// clears `all_ok`.
fn run_jobs<'a>(
    plan: &Plan,
    server: &ServerProcess,
    jobs: impl Iterator<Item = Job<'a>>,
    all_ok: &mut bool,
) -> anyhow::Result<Vec<Run>> {
    let mut runs = Vec::new();
    for job in jobs {
        let run = with_server_cpu(server, || combination(plan, server, &job))?;
        if run.ok != run.requests || run.error_count() > 0 {
            eprintln!(
                "  {} at {} in flight: {} of {} ok, errors {:?}",
                run.tool, run.concurrency, run.ok, run.requests, run.errors
            );
            *all_ok = false;
        }
        runs.push(run);
    }
    Ok(runs)
}

fn combination(plan: &Plan, server: &ServerProcess, job: &Job<'_>) -> anyhow::Result<Run> {
    let program = workspace_bin(job.binary)?;
    let args: Vec<String> = [
        "--threads".to_owned(),
        plan.threads.to_string(),
        "--client".to_owned(),
        job.client.to_owned(),
        "load".to_owned(),
        "--url".to_owned(),
        format!("{}{}", server.url(), job.path),
        "-n".to_owned(),
        job.requests.to_string(),
        "-c".to_owned(),
        job.concurrency.to_string(),
        "--connections".to_owned(),
        job.connections.to_string(),
        "--parse".to_owned(),
        job.parse.to_owned(),
        "--output".to_owned(),
        "json".to_owned(),
    ]
    .into();
    eprintln!(
        "  {} --client {} at {} in flight on {} connections, {}",
        job.binary, job.client, job.concurrency, job.connections, job.path
    );
    let (stdout, cpu_s, peak_rss_kb, _) = timed(&program, &args)?;
    let report: serde_json::Value = serde_json::from_str(stdout.trim())
        .with_context(|| format!("{} printed no JSON report: {stdout}", job.binary))?;
    let num = |v: &serde_json::Value| v.as_f64().unwrap_or(0.0);
    let errors = report["errors"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    Ok(Run {
        tool: format!(
            "{}+{}",
            report["runtime"].as_str().unwrap_or(job.binary),
            job.client
        ),
        reference: false,
        scenario: job.scenario,
        concurrency: job.concurrency,
        connections: job.connections,
        requests: report["requests"].as_u64().unwrap_or(0),
        ok: report["ok"].as_u64().unwrap_or(0),
        errors,
        elapsed_s: num(&report["elapsed_s"]),
        requests_per_sec: num(&report["requests_per_sec"]),
        p50_ms: num(&report["latency_ms"]["p50"]),
        p99_ms: num(&report["latency_ms"]["p99"]),
        cpu_s,
        peak_rss_kb,
        server_cpu_s: 0.0,
        command: command_line(job.binary, &args),
        config: report,
        samples: Vec::new(),
    })
}

/// The machine the numbers came from: cores, kernel, date.
fn machine() -> serde_json::Value {
    let output = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    serde_json::json!({
        "cores": std::thread::available_parallelism().map_or(1, usize::from),
        "kernel": output("uname", &["-sr"]),
        "cpu": output("sh", &["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]),
        "date": output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
    })
}

fn write_results(plan: &Plan, runs: &[Run]) -> anyhow::Result<()> {
    let machine = machine();
    let json = serde_json::json!({
        "machine": machine,
        "plan": {
            "requests": plan.requests,
            "wrk_seconds": plan.reference_secs,
            "concurrency": plan.concurrency,
            "threads": plan.threads,
            "server_threads": plan.threads,
            "queued": plan.queued,
            "memory_in_flight": plan.memory,
            "repeat": plan.repeat,
        },
        "runs": runs,
    });
    let json_path = plan.out.join("results.json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&json)?)?;

    let mut md = String::new();
    let date = machine["date"].as_str().unwrap_or("");
    md.push_str(&format!("## Headline ({date})\n\n"));
    md.push_str(&headline(runs));
    md.push_str(&format!(
        "\nEach figure is the median of {} rounds (every tool once per round, one after the other); \
         each round's requests/sec are in results.json (`samples`).\n",
        plan.repeat.max(1)
    ));
    md.push_str(&format!(
        "\nMachine: {} cores, {}, {date}. Server: fetch-server, {} threads, own process. \
         Combinations: {} requests per run, `GET /users/{{id}}` decoded as JSON, {} worker threads, \
         connections = in flight unless the table says otherwise. wrk: {} s per run; oha: {} requests; \
         both `GET /users/1`, body not decoded, one connection per request in flight.\n\n",
        machine["cores"],
        machine["kernel"].as_str().unwrap_or(""),
        plan.threads,
        plan.requests,
        plan.threads,
        plan.reference_secs,
        plan.requests,
    ));
    md.push_str("## Throughput\n\n");
    md.push_str(&table(runs));
    md.push_str("\nFastest combination at each concurrency:\n\n");
    for (c, tool, rps, ratio) in fastest(runs) {
        let ratio = ratio.map_or_else(|| "no wrk run".to_owned(), |r| format!("{r:.2}x wrk"));
        md.push_str(&format!(
            "- {c} in flight: {tool}, {rps:.0} requests/sec ({ratio})\n"
        ));
    }
    if plan.queued.is_some() {
        md.push_str(
            "\n## More requests in flight than connections\n\n\
             The engine lets as many requests into the client as it has connections; \
             the rest wait in a first-come, first-served queue, and the wait counts in their latency.\n\n",
        );
        md.push_str(&queued_table(runs));
    }
    if plan.memory.is_some() {
        md.push_str(
            "\n## Memory per request in flight\n\n\
             Every request in flight at once on `/delay/1000` (the server answers after 1 s), \
             each on a connection of its own; the client's peak RSS divided by the requests.\n\n",
        );
        md.push_str(&memory_table(runs));
    }
    let md_path = plan.out.join("results.md");
    std::fs::write(&md_path, &md)?;

    let svg_path = plan.out.join("throughput.svg");
    chart(
        runs,
        "Requests per second against requests in flight",
        &svg_path,
    )?;
    println!("{md}");
    eprintln!(
        "wrote {}, {} and {}",
        json_path.display(),
        md_path.display(),
        svg_path.display()
    );
    Ok(())
}
