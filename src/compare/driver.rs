//! The compare run: one server process, then wrk, oha and every
//! combination at each concurrency, one after the other.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use fetch_core::LoadReport;

use super::chart::chart;
use super::parse::{ToolResult, parse_gnu_time, parse_oha, parse_wrk};
use super::run::{ClientCost, Run, Scenario, medians};
use super::tables::{PageInfo, page};
use crate::combos::{COMBINATIONS, Combo};
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
#[derive(Debug, Clone, Copy)]
struct Job {
    combo: Combo,
    scenario: Scenario,
    concurrency: usize,
    connections: usize,
    requests: u64,
    path: &'static str,
    parse: &'static str,
}

impl Job {
    /// `requests` decoded `GET /users/{id}`, `concurrency` in flight on
    /// `connections` (below `concurrency`, the rest queue).
    fn throughput(combo: Combo, concurrency: usize, connections: usize, requests: u64) -> Self {
        Job {
            combo,
            scenario: Scenario::Throughput,
            concurrency,
            connections,
            requests,
            path: "/users/{id}",
            parse: "user",
        }
    }

    /// `in_flight` requests to `/delay/1000`, all at once, each on a
    /// connection of its own: the client's peak memory per request.
    fn memory(combo: Combo, in_flight: usize) -> Self {
        Job {
            combo,
            scenario: Scenario::Memory,
            concurrency: in_flight,
            connections: in_flight,
            requests: in_flight as u64,
            path: "/delay/1000",
            parse: "none",
        }
    }
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
    for &c in &plan.concurrency {
        if plan.reference {
            runs.push(with_server_cpu(server, || wrk(plan, server, c))?);
            runs.push(with_server_cpu(server, || oha(plan, server, c))?);
        }
        let jobs = COMBINATIONS
            .iter()
            .map(|&combo| Job::throughput(combo, c, c, plan.requests));
        runs.extend(run_jobs(plan, server, jobs, all_ok)?);
    }
    let mut jobs = Vec::new();
    for &combo in COMBINATIONS {
        if let Some((c, connections)) = plan.queued {
            jobs.push(Job::throughput(combo, c, connections, plan.requests));
        }
        if let Some(c) = plan.memory {
            jobs.push(Job::memory(combo, c));
        }
    }
    runs.extend(run_jobs(plan, server, jobs.into_iter(), all_ok)?);
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

/// Runs `program args` under GNU time; returns stdout, what the process
/// cost, and its exit code.
fn timed(program: &Path, args: &[String]) -> anyhow::Result<(String, ClientCost, i32)> {
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
    let cost = ClientCost {
        cpu_s: cpu,
        peak_rss_kb: rss,
    };
    Ok((stdout, cost, output.status.code().unwrap_or(-1)))
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
    parse: fn(&str) -> anyhow::Result<ToolResult>,
    config: serde_json::Value,
) -> anyhow::Result<Run> {
    let program = find_tool(tool)?;
    eprintln!("  {tool} at {c} in flight");
    let (stdout, cost, _) = timed(&program, &args)?;
    let result = parse(&stdout)?;
    let command = command_line(tool, &args);
    Ok(Run::reference(tool, c, result, command, config, cost))
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
fn run_jobs(
    plan: &Plan,
    server: &ServerProcess,
    jobs: impl Iterator<Item = Job>,
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

fn combination(plan: &Plan, server: &ServerProcess, job: &Job) -> anyhow::Result<Run> {
    let Combo { binary, client, .. } = job.combo;
    let program = workspace_bin(binary)?;
    let args: Vec<String> = [
        "--threads".to_owned(),
        plan.threads.to_string(),
        "--client".to_owned(),
        client.to_owned(),
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
        "  {binary} --client {client} at {} in flight on {} connections, {}",
        job.concurrency, job.connections, job.path
    );
    let (stdout, cost, _) = timed(&program, &args)?;
    let report = LoadReport::from_json(&stdout)
        .with_context(|| format!("{binary} printed no JSON report: {stdout}"))?;
    let command = command_line(binary, &args);
    Ok(Run::combination(report, job.scenario, command, cost))
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

    let info = PageInfo {
        date: machine["date"].as_str().unwrap_or(""),
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        kernel: machine["kernel"].as_str().unwrap_or(""),
        rounds: plan.repeat.max(1),
        threads: plan.threads,
        requests: plan.requests,
        wrk_secs: plan.reference_secs,
        queued: plan.queued.is_some(),
        memory: plan.memory.is_some(),
    };
    let md = page(runs, &info);
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
