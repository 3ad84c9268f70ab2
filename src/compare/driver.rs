//! The compare run: one server process, then wrk, oha and every
//! combination at each concurrency, one after the other; then, in each
//! round, the open-loop sweep: every combination and oha at fixed shares
//! of the fastest closed-loop rate of that round; then the TLS scenarios (https,
//! https with a handshake per request, HTTP/2 over TLS) against a second
//! server process that speaks HTTPS, beside oha and (for HTTP/2) h2load;
//! and the other shapes of work, `upload` (a 4 KiB JSON body `POST`ed to
//! `/echo`) and `download` (a 256 KiB answer), beside oha.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use fetch_core::{LoadReport, ProcessCost};

use super::environment::{Stamp, machine_extras, tool_version};
use super::parse::{ToolResult, parse_bare, parse_gnu_time, parse_h2load, parse_oha, parse_wrk};
use super::placement::{Placement, process_cpus};
use super::render::{Results, render};
use super::run::{
    DOWNLOAD_BYTES, DOWNLOAD_IN_FLIGHT, H2_CONNECTIONS, ReferenceTool, Run, SCALING_IN_FLIGHT,
    SWEEP_IN_FLIGHT, Scenario, Tool, UPLOAD_BYTES, UPLOAD_IN_FLIGHT, json_body, medians,
};
use super::servers::Server;
use crate::combos::Combo;
use crate::harness::{ServerProcess, find_program, workspace_bin};

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Seconds each throughput run lasts, for every tool alike: wrk (`-d`),
    /// oha (`-z`, waiting for requests in flight at the end, as the engine
    /// does) and every combination (`load -d`). Same work for all: the same
    /// time, whatever each tool's rate.
    pub seconds: u64,
    /// Requests in flight, one run each.
    pub concurrency: Vec<usize>,
    /// Worker threads of every async runtime (shards of compio), and of
    /// the reference tools (wrk and h2load `-t`, oha `--worker-threads`).
    pub threads: usize,
    /// Worker threads of the fixture servers this run starts.
    pub server_threads: usize,
    /// Where the servers and the clients run ([`Placement`]).
    pub placement: Placement,
    /// A fixture server started apart (`--server URL`) for the plain-http
    /// scenarios, instead of one this run starts.
    pub server: Option<String>,
    /// An HTTPS fixture server started apart (`--tls-server URL`) for the
    /// TLS scenarios, and the CA file its clients trust (`--ca-cert`).
    pub tls_server: Option<(String, PathBuf)>,
    /// The TLS scenarios to run (of [`Scenario::TLS`]), with
    /// [`Plan::tls_in_flight`] in flight.
    pub tls_scenarios: Vec<Scenario>,
    /// The `scaling` scenario: the closed loop at [`SCALING_IN_FLIGHT`] at
    /// each of these thread counts; empty for none.
    pub sweep_threads: Vec<usize>,
    /// What this run leaves out (`--only`, `--scenarios`, the `--no-*`
    /// flags), one line each, for the page.
    pub left_out: Vec<String>,
    /// Output folder.
    pub out: PathBuf,
    /// Run wrk and oha.
    pub reference: bool,
    /// The bare loops to run (of [`ReferenceTool::BARE`]: hyper on tokio,
    /// smol and compio with no engine around it) in the plain closed-loop
    /// runs, the reference each engine row of the same runtime and client
    /// is divided by.
    pub bare: Vec<ReferenceTool>,
    /// Also run every combination with `.0` requests in flight on `.1`
    /// connections (the rest queue), for goal 5.
    pub queued: Option<(usize, usize)>,
    /// Also run every combination with this many requests in flight on
    /// `/delay/1000`, each on a connection of its own, for its peak memory.
    pub memory: Option<usize>,
    /// Rounds of every run; each tool's median is reported.
    pub repeat: usize,
    /// The combinations to run (every one, unless a test says otherwise).
    pub combinations: Vec<Combo>,
    /// The open-loop sweep: shares of the saturation rate to offer (0.5 is
    /// half); empty for none.
    pub rates: Vec<f64>,
    /// Seconds of each sweep run.
    pub rate_seconds: u64,
    /// Requests in flight in the TLS scenarios ([`Plan::tls_scenarios`]),
    /// for [`Plan::seconds`] each; `None` for none.
    pub tls_in_flight: Option<usize>,
    /// The `upload` scenario, [`Plan::seconds`] each.
    pub upload: bool,
    /// The `download` scenario, [`Plan::seconds`] each.
    pub download: bool,
}

/// The path the `download` scenario asks for: [`DOWNLOAD_BYTES`] bytes.
const DOWNLOAD_PATH: &str = "/bytes/262144";
/// The path the `upload` scenario posts to.
const UPLOAD_PATH: &str = "/echo";

/// The file holding the `upload` scenario's body, in the output folder.
fn upload_file(plan: &Plan) -> PathBuf {
    plan.out.join("upload.json")
}

/// How much one job does.
#[derive(Debug, Clone, Copy)]
enum Work {
    /// Sends for this many seconds (`load -d`).
    Seconds(u64),
    /// Sends this many requests (`load -n`).
    Requests(u64),
}

/// One combination run.
#[derive(Debug, Clone, Copy)]
struct Job {
    combo: Combo,
    scenario: Scenario,
    concurrency: usize,
    connections: usize,
    work: Work,
    path: &'static str,
    parse: &'static str,
    /// An open loop's rate, and the share of saturation it is.
    rate: Option<(f64, f64)>,
    /// The client's threads (`--threads`).
    threads: usize,
}

/// The HTTPS server and the CA file its clients trust.
struct Tls<'a> {
    server: &'a Server,
    ca: &'a Path,
}

impl Job {
    /// Decoded `GET /users/{id}` for `seconds`, `concurrency` in flight on
    /// `connections` (below `concurrency`, the rest queue).
    fn throughput(plan: &Plan, combo: Combo, concurrency: usize, connections: usize) -> Self {
        Job {
            combo,
            scenario: Scenario::Throughput,
            concurrency,
            connections,
            work: Work::Seconds(plan.seconds),
            path: "/users/{id}",
            parse: "user",
            rate: None,
            threads: plan.threads,
        }
    }

    /// The `scaling` scenario's run at `threads` threads: the closed loop
    /// at [`SCALING_IN_FLIGHT`].
    fn scaling(plan: &Plan, combo: Combo, threads: usize) -> Self {
        Job {
            scenario: Scenario::Scaling,
            threads,
            ..Job::throughput(plan, combo, SCALING_IN_FLIGHT, SCALING_IN_FLIGHT)
        }
    }

    /// Decoded `GET /users/{id}` at `rate` requests/sec (`fraction` of
    /// saturation) for `seconds`, at most [`SWEEP_IN_FLIGHT`] in flight.
    fn rate(plan: &Plan, combo: Combo, rate: f64, fraction: f64) -> Self {
        Job {
            scenario: Scenario::Rate,
            rate: Some((rate, fraction)),
            work: Work::Seconds(plan.rate_seconds),
            ..Job::throughput(plan, combo, SWEEP_IN_FLIGHT, SWEEP_IN_FLIGHT)
        }
    }

    /// The `upload` or `download` scenario for `seconds`, at its own in
    /// flight, a connection per request.
    fn shape(plan: &Plan, combo: Combo, scenario: Scenario) -> Self {
        let (path, in_flight) = match scenario {
            Scenario::Upload => (UPLOAD_PATH, UPLOAD_IN_FLIGHT),
            _ => (DOWNLOAD_PATH, DOWNLOAD_IN_FLIGHT),
        };
        Job {
            scenario,
            path,
            parse: "none",
            ..Job::throughput(plan, combo, in_flight, in_flight)
        }
    }

    /// `in_flight` requests to `/delay/1000`, all at once, each on a
    /// connection of its own: the client's peak memory per request.
    fn memory(plan: &Plan, combo: Combo, in_flight: usize) -> Self {
        Job {
            scenario: Scenario::Memory,
            work: Work::Requests(in_flight as u64),
            path: "/delay/1000",
            parse: "none",
            ..Job::throughput(plan, combo, in_flight, in_flight)
        }
    }
}

/// Runs `plan` and writes every file. `Ok(false)` when some run makes the
/// comparison untrustworthy (see [`Run::problem`]: a lost request, a run
/// with no successful request, a tool that crashed or printed no report);
/// every other row and table is written all the same. Failed requests
/// alone are measurements, not failures.
pub fn run(plan: &Plan) -> anyhow::Result<bool> {
    std::fs::create_dir_all(&plan.out)
        .with_context(|| format!("could not create {}", plan.out.display()))?;
    if plan.upload {
        let file = upload_file(plan);
        std::fs::write(&file, json_body(UPLOAD_BYTES))
            .with_context(|| format!("could not write {}", file.display()))?;
    }
    // What produced this run, read before anything runs (a tree edited
    // while it runs is still the tree it started from).
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stamp = Stamp::read(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        command_line("compare", &args),
        |tool| tool_version(&find_tool(tool).ok()?, tool),
    );
    eprintln!("run {}", stamp.run_id);
    // The servers start on their CPUs, and everything after on the
    // clients' (inherited by every process started from this thread).
    let pinned = Pinned::enter_server(&plan.placement)?;
    let server = match &plan.server {
        Some(url) => Server::remote(url, None)?,
        None => Server::Local(
            ServerProcess::start(plan.server_threads).context("could not start fetch-server")?,
        ),
    };
    let generated_ca = plan.out.join("ca.pem");
    let tls_server = match (&plan.tls_server, plan.tls_in_flight) {
        (_, None) => None,
        (Some((url, ca)), Some(_)) => Some((Server::remote(url, Some(ca))?, ca.clone())),
        (None, Some(_)) => Some((
            Server::Local(
                ServerProcess::start_tls(plan.server_threads, &generated_ca)
                    .context("could not start fetch-server --tls")?,
            ),
            generated_ca,
        )),
    };
    pinned.enter_clients()?;
    let tls = tls_server.as_ref().map(|(server, ca)| Tls {
        server,
        ca: ca.as_path(),
    });
    let servers = serde_json::json!({
        "http": server.describe(),
        "tls": tls_server.as_ref().map(|(s, _)| s.describe()),
    });
    eprintln!(
        "fetch-server at {}{}; {}; {} s per run; in flight: {:?}; client threads {}",
        server.url(),
        match &server {
            Server::Local(_) => format!(" ({} threads)", plan.server_threads),
            Server::Remote { .. } => " (started apart)".to_owned(),
        },
        plan.placement.note,
        plan.seconds,
        plan.concurrency,
        plan.threads,
    );
    let mut every = Vec::new();
    // Whole rounds, one after the other: a slow spell on the machine then
    // touches every tool's runs alike instead of one tool's.
    for round in 1..=plan.repeat.max(1) {
        if plan.repeat > 1 {
            eprintln!("round {round} of {}", plan.repeat);
        }
        every.extend(one_round(plan, &server));
        if let (Some(tls), Some(c)) = (&tls, plan.tls_in_flight) {
            every.extend(tls_round(plan, tls, c));
        }
        every.extend(shapes_round(plan, &server));
        every.extend(scaling_round(plan, &server));
    }
    let runs = medians(every);
    write_results(plan, &runs, &servers, &stamp)?;
    let problems: Vec<String> = runs
        .iter()
        .filter_map(|r| Some(format!("{} ({}): {}", r.tool, r.concurrency, r.problem()?)))
        .collect();
    for problem in &problems {
        eprintln!("compare: {problem}");
    }
    Ok(problems.is_empty())
}

/// Every run of the plan once: wrk, oha and each combination at each
/// concurrency, then the queued and memory runs. A tool that fails is a
/// row that says so; the round goes on.
fn one_round(plan: &Plan, server: &Server) -> Vec<Run> {
    let mut runs = Vec::new();
    for &c in &plan.concurrency {
        if plan.reference {
            runs.push(with_server_cpu(server, Tool::WRK, c, || {
                wrk(plan, server, c, plan.threads)
            }));
            runs.push(with_server_cpu(server, Tool::OHA, c, || {
                oha(Oha::closed(plan, server.url(), c))
            }));
        }
        for &tool in &plan.bare {
            runs.push(with_server_cpu(server, Tool::Reference(tool), c, || {
                bare(plan, server, tool, c)
            }));
        }
        let jobs = plan
            .combinations
            .iter()
            .map(|&combo| Job::throughput(plan, combo, c, c));
        runs.extend(run_jobs(plan, server, jobs, None));
    }
    let mut jobs = Vec::new();
    for &combo in &plan.combinations {
        if let Some((c, connections)) = plan.queued {
            jobs.push(Job::throughput(plan, combo, c, connections));
        }
        if let Some(c) = plan.memory {
            jobs.push(Job::memory(plan, combo, c));
        }
    }
    runs.extend(run_jobs(plan, server, jobs.into_iter(), None));
    let sweep = sweep(plan, server, &runs);
    runs.extend(sweep);
    runs
}

/// The open-loop sweep of one round: oha and every combination at each of
/// the plan's shares of the saturation rate, the fastest closed-loop rate
/// any tool (reference, bare loop or combination) reached with
/// [`SWEEP_IN_FLIGHT`] in flight on plain http in this round's `runs`,
/// among the runs that passed their own checks (wrk is run now if the
/// round has no such run).
fn sweep(plan: &Plan, server: &Server, runs: &[Run]) -> Vec<Run> {
    let mut out = Vec::new();
    if plan.rates.is_empty() {
        return out;
    }
    let fastest = |runs: &[Run]| {
        runs.iter()
            .filter(|r| {
                r.concurrency == SWEEP_IN_FLIGHT
                    && r.is_plain()
                    && r.requests_per_sec > 0.0
                    && r.checks().is_empty()
            })
            .map(|r| r.requests_per_sec)
            .reduce(f64::max)
    };
    let mut saturation = fastest(runs);
    if saturation.is_none() && plan.reference {
        let run = with_server_cpu(server, Tool::WRK, SWEEP_IN_FLIGHT, || {
            wrk(plan, server, SWEEP_IN_FLIGHT, plan.threads)
        });
        saturation = fastest(std::slice::from_ref(&run));
        out.push(run);
    }
    let Some(saturation) = saturation else {
        eprintln!("  no saturation rate at {SWEEP_IN_FLIGHT} in flight this round: no sweep");
        return out;
    };
    eprintln!(
        "  open-loop sweep from {saturation:.0} requests/sec (saturation at {SWEEP_IN_FLIGHT} in flight)"
    );
    for &fraction in &plan.rates {
        // Whole requests per second: the same number for every tool.
        let rate = (saturation * fraction).round().max(1.0);
        if plan.reference {
            let mut run = with_server_cpu(server, Tool::OHA, SWEEP_IN_FLIGHT, || {
                oha(Oha {
                    rate: Some(rate),
                    seconds: plan.rate_seconds,
                    ..Oha::closed(plan, server.url(), SWEEP_IN_FLIGHT)
                })
            });
            run.scenario = Scenario::Rate;
            run.rate = Some(rate);
            run.fraction = Some(fraction);
            out.push(run);
        }
        let jobs = plan
            .combinations
            .iter()
            .map(|&combo| Job::rate(plan, combo, rate, fraction));
        out.extend(run_jobs(plan, server, jobs, None));
    }
    out
}

/// The TLS scenarios of one round, `c` requests in flight each: oha, then
/// h2load for HTTP/2, then every combination that can (a row saying why
/// for one that cannot), against the HTTPS server.
fn tls_round(plan: &Plan, tls: &Tls<'_>, c: usize) -> Vec<Run> {
    let mut runs = Vec::new();
    let ca = tls.ca.display().to_string();
    for &scenario in &plan.tls_scenarios {
        eprintln!("  scenario {}", scenario.name());
        let connections = if scenario == Scenario::H2 {
            H2_CONNECTIONS.min(c)
        } else {
            c
        };
        // Every row of the scenario: its name, requests in flight and sockets.
        let placed = |run: Run| Run {
            scenario,
            concurrency: c,
            connections,
            ..run
        };
        if plan.reference {
            let mut extra = vec!["--cacert".to_owned(), ca.clone()];
            let oha_c = match scenario {
                Scenario::H2 => {
                    // c connections x p streams = requests in flight.
                    extra.extend([
                        "--http2".to_owned(),
                        "-p".to_owned(),
                        (c / connections).to_string(),
                    ]);
                    connections
                }
                Scenario::HttpsNewConnection => {
                    extra.push("--disable-keepalive".to_owned());
                    c
                }
                _ => c,
            };
            let run = with_server_cpu(tls.server, Tool::OHA, c, || {
                oha(Oha {
                    connections: oha_c,
                    extra,
                    ..Oha::closed(plan, tls.server.url(), c)
                })
            });
            runs.push(placed(run));
            if scenario == Scenario::H2 {
                let run = with_server_cpu(tls.server, Tool::H2LOAD, c, || {
                    h2load(plan, tls.server.url(), connections, c / connections)
                });
                runs.push(placed(run));
            }
        }
        let mut jobs = Vec::new();
        for &combo in &plan.combinations {
            let why = match scenario {
                Scenario::H2 => combo.client.no_tls().or(combo.client.no_http2()),
                _ => combo.client.no_tls(),
            };
            if let Some(why) = why {
                runs.push(placed(Run::not_supported(
                    Tool::Combination(combo),
                    c,
                    why.to_owned(),
                )));
                continue;
            }
            jobs.push(Job {
                scenario,
                ..Job::throughput(plan, combo, c, connections)
            });
        }
        runs.extend(run_jobs(plan, tls.server, jobs.into_iter(), Some(tls.ca)));
    }
    runs
}

/// The `upload` and `download` scenarios of one round, as the plan asks:
/// oha, then every combination, the same request from each.
fn shapes_round(plan: &Plan, server: &Server) -> Vec<Run> {
    let mut runs = Vec::new();
    let body = upload_file(plan).display().to_string();
    for (scenario, wanted) in [
        (Scenario::Upload, plan.upload),
        (Scenario::Download, plan.download),
    ] {
        if !wanted {
            continue;
        }
        eprintln!("  scenario {}", scenario.name());
        let job = |combo| Job::shape(plan, combo, scenario);
        if let (true, Some(&first)) = (plan.reference, plan.combinations.first()) {
            let Job {
                path, concurrency, ..
            } = job(first);
            let extra = match scenario {
                Scenario::Upload => ["-m", "POST", "-D", &body, "-T", "application/json"]
                    .map(str::to_owned)
                    .to_vec(),
                _ => Vec::new(),
            };
            let mut run = with_server_cpu(server, Tool::OHA, concurrency, || {
                oha(Oha {
                    path,
                    extra,
                    ..Oha::closed(plan, server.url(), concurrency)
                })
            });
            run.scenario = scenario;
            runs.push(run);
        }
        let jobs = plan.combinations.iter().map(|&combo| job(combo));
        runs.extend(run_jobs(plan, server, jobs, None));
    }
    runs
}

/// The `scaling` scenario of one round: at each of the plan's thread
/// counts, wrk (`-t n`), oha (`--worker-threads n`) and every combination
/// with worker threads (`--threads n`; shards for compio) at
/// [`SCALING_IN_FLIGHT`] in flight. The threads baseline has no thread
/// count to set (a thread per request in flight): its row says so.
fn scaling_round(plan: &Plan, server: &Server) -> Vec<Run> {
    let mut runs = Vec::new();
    let c = SCALING_IN_FLIGHT;
    for &n in &plan.sweep_threads {
        eprintln!(
            "  scenario scaling, {n} thread{}",
            if n == 1 { "" } else { "s" }
        );
        let at_n = |mut run: Run| {
            run.scenario = Scenario::Scaling;
            run.threads = Some(n);
            run
        };
        if plan.reference {
            runs.push(at_n(with_server_cpu(server, Tool::WRK, c, || {
                wrk(plan, server, c, n)
            })));
            runs.push(at_n(with_server_cpu(server, Tool::OHA, c, || {
                oha(Oha {
                    threads: n,
                    ..Oha::closed(plan, server.url(), c)
                })
            })));
        }
        let mut jobs = Vec::new();
        for &combo in &plan.combinations {
            if combo.worker_threads() {
                jobs.push(Job::scaling(plan, combo, n));
            } else {
                runs.push(at_n(Run::not_supported(
                    Tool::Combination(combo),
                    c,
                    "one OS thread per request in flight: no thread count to sweep".to_owned(),
                )));
            }
        }
        runs.extend(run_jobs(plan, server, jobs.into_iter(), None));
    }
    runs
}

/// The calling thread pinned to the server's CPUs, then the clients'; on
/// drop, back to every CPU it was allowed (a test's thread goes on).
struct Pinned<'a> {
    placement: &'a Placement,
}

impl<'a> Pinned<'a> {
    fn enter_server(placement: &'a Placement) -> anyhow::Result<Self> {
        placement.enter_server()?;
        Ok(Pinned { placement })
    }

    fn enter_clients(&self) -> anyhow::Result<()> {
        self.placement.enter_clients()
    }
}

impl Drop for Pinned<'_> {
    fn drop(&mut self) {
        let _ = fetch_core::cpus::pin_this_thread(&self.placement.allowed);
    }
}

/// Runs `run` once the server has gone quiet ([`Server::settle`]) and
/// records the server's CPU time during it; a run that could not be made
/// becomes a row that says why (`tool` at `c` in flight).
fn with_server_cpu(
    server: &Server,
    tool: Tool,
    c: usize,
    run: impl FnOnce() -> anyhow::Result<Run>,
) -> Run {
    let waited = server.settle();
    if waited > super::servers::QUIET {
        eprintln!(
            "  waited {:.1} s for the server to go quiet before {tool} at {c} in flight",
            waited.as_secs_f64()
        );
    }
    let before = server.cpu_seconds();
    let mut run = match run() {
        Ok(run) => run,
        Err(err) => {
            eprintln!("  {tool} at {c} in flight FAILED: {err:#}");
            return Run::failed(tool, c, format!("{err:#}"));
        }
    };
    if let (Some(before), Some(after)) = (before, server.cpu_seconds()) {
        run.server_cpu_s = Some(after - before);
    }
    run
}

/// What a timed process printed and cost.
struct Timed {
    stdout: String,
    cost: ProcessCost,
    /// The CPUs the process was allowed, read from procfs while it ran
    /// (GNU time's process, whose child inherits them).
    cpus: Option<fetch_core::CpuList>,
}

/// Runs `program args` under GNU time; returns what it printed and cost.
fn timed(program: &Path, args: &[String]) -> anyhow::Result<Timed> {
    // One file per run: two compares in one process (tests do that) must
    // not read each other's.
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let time_file = std::env::temp_dir().join(format!("compare-time-{}-{run}", std::process::id()));
    let child = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%U %S %M")
        .arg("-o")
        .arg(&time_file)
        .arg(program)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("could not run /usr/bin/time (install GNU time: apt-get install time)")?;
    let cpus = process_cpus(child.id());
    let output = child
        .wait_with_output()
        .with_context(|| format!("waiting for {}", program.display()))?;
    let time_text = std::fs::read_to_string(&time_file).unwrap_or_default();
    let _ = std::fs::remove_file(&time_file);
    // What the client process cost, from GNU time.
    let cost =
        parse_gnu_time(&time_text).with_context(|| format!("measuring {}", program.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if stdout.trim().is_empty() {
        bail!(
            "{} printed nothing; stderr: {}",
            program.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(Timed { stdout, cost, cpus })
}

/// The command line as results.json records it, secrets redacted: the
/// value of every header (`-H Name: ***`), a `-a` credential, and any
/// URL's password.
fn command_line(program: &str, args: &[String]) -> String {
    let mut out = vec![program.to_owned()];
    let mut secret_next: Option<&str> = None;
    for arg in args {
        let shown = match secret_next.take() {
            Some("-H" | "--header") => match arg.split_once(':') {
                Some((name, _)) => format!("{name}: ***"),
                None => "***".to_owned(),
            },
            Some(_) => "***".to_owned(),
            None => fetch_core::redact_url(arg).into_owned(),
        };
        if matches!(arg.as_str(), "-H" | "--header" | "-a" | "--basic-auth") {
            secret_next = Some(arg.as_str());
        }
        out.push(shown);
    }
    out.join(" ")
}

fn find_tool(name: &str) -> anyhow::Result<PathBuf> {
    let home_cargo = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin"));
    find_program(name, home_cargo)
        .with_context(|| format!("{name} is not installed (scripts/compare installs it)"))
}

/// Runs a reference tool and records it: the program at `program`, or
/// else the installed wrk, oha or h2load; `parse` reads its output.
fn reference(
    program: Option<&Path>,
    tool: ReferenceTool,
    args: Vec<String>,
    c: usize,
    parse: fn(&str) -> anyhow::Result<ToolResult>,
    config: serde_json::Value,
) -> anyhow::Result<Run> {
    let installed;
    let program = match program {
        Some(program) => program,
        None => {
            installed = find_tool(tool.name())?;
            &installed
        }
    };
    eprintln!("  {} at {c} in flight", tool.name());
    let Timed { stdout, cost, cpus } = timed(program, &args)?;
    let result = parse(&stdout)?;
    let command = command_line(tool.name(), &args);
    Ok(Run {
        cpus,
        ..Run::reference(tool, c, result, command, config, cost)
    })
}

/// wrk at `c` in flight (a connection each) on `threads` threads (`-t`;
/// wrk needs a connection per thread at least, so never more than `c`).
fn wrk(plan: &Plan, server: &Server, c: usize, threads: usize) -> anyhow::Result<Run> {
    let threads = threads.clamp(1, c.max(1));
    let args = vec![
        format!("-t{threads}"),
        format!("-c{c}"),
        format!("-d{}s", plan.seconds),
        "--latency".to_owned(),
        format!("{}/users/1", server.url()),
    ];
    let config = serde_json::json!({
        "threads": threads, "connections": c, "parse": "none", "url": "/users/1",
    });
    reference(None, ReferenceTool::Wrk, args, c, parse_wrk, config)
}

/// A bare loop (`tool`, one of [`ReferenceTool::BARE`], a binary of this
/// workspace) at `c` in flight for the plan's seconds: the same request
/// and decoding as the combinations' throughput runs (`GET /users/{id}`,
/// `--parse user`), on the same threads.
fn bare(plan: &Plan, server: &Server, tool: ReferenceTool, c: usize) -> anyhow::Result<Run> {
    let program = workspace_bin(tool.name())?;
    let args = vec![
        "--url".to_owned(),
        format!("{}/users/{{id}}", server.url()),
        "-c".to_owned(),
        c.to_string(),
        "-d".to_owned(),
        format!("{}s", plan.seconds),
        "--threads".to_owned(),
        plan.threads.to_string(),
    ];
    let config = serde_json::json!({
        "threads": plan.threads, "connections": c, "parse": "user", "url": "/users/{id}",
    });
    reference(Some(&program), tool, args, c, parse_bare, config)
}

/// One oha run: against `base`'s `path` (`/users/1`) for `seconds`, on
/// `connections` connections with `in_flight` requests in flight (the same
/// but over HTTP/2, where `extra` sets streams per connection); a closed
/// loop, or with `rate` its open loop (`-q`, with `--latency-correction`:
/// latency from each request's due time); `extra` options (TLS, HTTP/2) go
/// before the URL; on `threads` worker threads (`--worker-threads`).
struct Oha<'a> {
    base: &'a str,
    path: &'a str,
    seconds: u64,
    connections: usize,
    in_flight: usize,
    rate: Option<f64>,
    extra: Vec<String>,
    threads: usize,
}

impl<'a> Oha<'a> {
    /// A closed loop of the plan's seconds and threads, with a connection
    /// per request in flight.
    fn closed(plan: &Plan, base: &'a str, in_flight: usize) -> Self {
        Oha {
            base,
            path: "/users/1",
            seconds: plan.seconds,
            connections: in_flight,
            in_flight,
            rate: None,
            extra: Vec::new(),
            threads: plan.threads,
        }
    }
}

fn oha(run: Oha<'_>) -> anyhow::Result<Run> {
    let Oha {
        base,
        path,
        seconds,
        connections: c,
        in_flight,
        rate,
        extra,
        threads,
    } = run;
    let mut args = vec![
        "--no-tui".to_owned(),
        "--worker-threads".to_owned(),
        threads.to_string(),
        "--output-format".to_owned(),
        "json".to_owned(),
        "-z".to_owned(),
        format!("{seconds}s"),
        // At the deadline oha cuts off the requests in flight ("aborted due
        // to deadline"), as the engine's -d and wrk's do: the same work.
    ];
    let mut config = serde_json::json!({
        "threads": threads, "connections": c, "parse": "none", "url": path,
    });
    if let Some(rate) = rate {
        args.extend([
            "-q".to_owned(),
            format!("{rate:.0}"),
            "--latency-correction".to_owned(),
        ]);
        config["rate"] = rate.into();
    }
    if !extra.is_empty() {
        config["options"] = extra.join(" ").into();
    }
    args.extend(extra);
    args.extend(["-c".to_owned(), c.to_string(), format!("{base}{path}")]);
    reference(None, ReferenceTool::Oha, args, in_flight, parse_oha, config)
}

/// h2load against `base` for the plan's seconds: `connections` HTTP/2
/// connections with `streams` requests in flight on each, on the plan's
/// threads (never more than connections: h2load needs one per thread).
/// It does not verify the server's certificate (it has no option to).
fn h2load(plan: &Plan, base: &str, connections: usize, streams: usize) -> anyhow::Result<Run> {
    let (seconds, threads) = (plan.seconds, plan.threads.clamp(1, connections.max(1)));
    let args = vec![
        "-t".to_owned(),
        threads.to_string(),
        "-c".to_owned(),
        connections.to_string(),
        "-m".to_owned(),
        streams.to_string(),
        "-D".to_owned(),
        seconds.to_string(),
        format!("{base}/users/1"),
    ];
    let config = serde_json::json!({
        "threads": threads, "connections": connections, "streams_per_connection": streams,
        "parse": "none", "url": "/users/1", "verifies_certificate": false,
    });
    reference(
        None,
        ReferenceTool::H2load,
        args,
        connections * streams,
        parse_h2load,
        config,
    )
}

/// Runs `jobs` one after the other; a job that fails is a row that says so.
/// With `ca`, the server speaks HTTPS and the clients trust that CA.
fn run_jobs(
    plan: &Plan,
    server: &Server,
    jobs: impl Iterator<Item = Job>,
    ca: Option<&Path>,
) -> Vec<Run> {
    let mut runs = Vec::new();
    for job in jobs {
        let tool = Tool::Combination(job.combo);
        let mut run = with_server_cpu(server, tool, job.concurrency, || {
            combination(plan, server, &job, ca)
        });
        run.scenario = job.scenario;
        run.connections = job.connections;
        if job.scenario == Scenario::Scaling {
            run.threads = Some(job.threads);
        }
        if let Some((rate, fraction)) = job.rate {
            run.rate = Some(rate);
            run.fraction = Some(fraction);
        }
        if run.error_count() > 0 {
            eprintln!(
                "  {} at {} in flight: {} of {} ok, errors {:?}",
                run.tool, run.concurrency, run.ok, run.requests, run.errors
            );
        }
        runs.push(run);
    }
    runs
}

fn combination(plan: &Plan, server: &Server, job: &Job, ca: Option<&Path>) -> anyhow::Result<Run> {
    let (binary, client) = (job.combo.binary(), job.combo.client.name());
    let program = workspace_bin(binary)?;
    let mut args = job.combo.threads_args(job.threads);
    if let Some(ca) = ca {
        args.extend(["--ca-cert".to_owned(), ca.display().to_string()]);
    }
    if job.scenario == Scenario::H2 {
        args.push("--http2".to_owned());
    }
    args.extend(
        [
            "--client",
            client,
            "load",
            "--url",
            &format!("{}{}", server.url(), job.path),
            "-c",
            &job.concurrency.to_string(),
            "--connections",
            &job.connections.to_string(),
            "--parse",
            job.parse,
            "--output",
            "json",
        ]
        .map(str::to_owned),
    );
    match job.work {
        Work::Seconds(s) => args.extend(["-d".to_owned(), format!("{s}s")]),
        Work::Requests(n) => args.extend(["-n".to_owned(), n.to_string()]),
    }
    if let Some((rate, _)) = job.rate {
        args.extend(["--rate".to_owned(), format!("{rate:.0}")]);
    }
    match job.scenario {
        Scenario::HttpsNewConnection => args.push("--no-keepalive".to_owned()),
        Scenario::Upload => args.extend(
            [
                "-m",
                "POST",
                "--body-file",
                &upload_file(plan).display().to_string(),
                "-T",
                "application/json",
            ]
            .map(str::to_owned),
        ),
        // The body is 256 KiB, over no limit; --max-body says so.
        Scenario::Download => args.extend(["--max-body".to_owned(), "1MiB".to_owned()]),
        Scenario::Throughput
        | Scenario::Memory
        | Scenario::Rate
        | Scenario::Https
        | Scenario::H2
        | Scenario::Scaling => {}
    }
    let pace = job
        .rate
        .map_or_else(String::new, |(rate, _)| format!(" at {rate:.0}/s"));
    eprintln!(
        "  {binary} --client {client} at {} in flight on {} connections, {} {}{pace}",
        job.concurrency,
        job.connections,
        job.scenario.name(),
        job.path
    );
    let Timed { stdout, cost, .. } = timed(&program, &args)?;
    let report = LoadReport::from_json(&stdout)
        .with_context(|| format!("{binary} printed no JSON report: {stdout}"))?;
    if (report.runtime.as_str(), report.client.as_str())
        != (job.combo.runtime.name(), job.combo.client.name())
    {
        bail!(
            "{binary} --client {client} reported a run of {}+{}",
            report.runtime,
            report.client
        );
    }
    let command = command_line(binary, &args);
    Ok(Run::combination(
        job.combo,
        report,
        job.scenario,
        command,
        cost,
    ))
}

/// The machine the numbers came from: cores, kernel, cpu, date, memory and
/// whether io_uring works (see [`machine_extras`]).
/// `cores`: the CPUs the run was allowed before it pinned anything (this
/// thread is pinned to the clients' set by now).
fn machine(cores: usize) -> serde_json::Value {
    let (memory_mib, io_uring) = machine_extras();
    let output = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    serde_json::json!({
        "cores": cores,
        "kernel": output("uname", &["-sr"]),
        "cpu": output("sh", &["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]),
        "date": output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        "memory_mib": memory_mib,
        "io_uring": io_uring,
    })
}

fn write_results(
    plan: &Plan,
    runs: &[Run],
    servers: &serde_json::Value,
    stamp: &Stamp,
) -> anyhow::Result<()> {
    let machine = machine(plan.placement.allowed.len());
    let env = &stamp.environment;
    let json = serde_json::json!({
        "run_id": stamp.run_id,
        "machine": machine,
        "environment": {
            "commit": env.commit,
            "dirty": env.dirty,
            "command": env.command,
            "rustc": env.rustc,
            "crates": env.crates,
            "tools": env.tools,
            "placement": {
                "server_cpus": plan.placement.server_cpus,
                "client_cpus": plan.placement.client_cpus,
                "allowed": plan.placement.allowed,
                "note": plan.placement.note,
                "servers": servers,
            },
        },
        "plan": {
            "seconds": plan.seconds,
            "concurrency": plan.concurrency,
            "threads": plan.threads,
            "server_threads": (plan.server.is_none()).then_some(plan.server_threads),
            "bare": plan.bare.iter().map(|t| t.name()).collect::<Vec<_>>(),
            "queued": plan.queued,
            "memory_in_flight": plan.memory,
            "repeat": plan.repeat,
            "rate_fractions": plan.rates,
            "rate_seconds": plan.rate_seconds,
            "rate_in_flight": SWEEP_IN_FLIGHT,
            "tls_in_flight": plan.tls_in_flight,
            "tls_scenarios": plan.tls_scenarios.iter().map(|s| s.name()).collect::<Vec<_>>(),
            "sweep_threads": plan.sweep_threads,
            "scaling_in_flight": (!plan.sweep_threads.is_empty()).then_some(SCALING_IN_FLIGHT),
            "combinations": plan.combinations.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "left_out": plan.left_out,
            "h2_connections": H2_CONNECTIONS,
            "upload": plan.upload.then_some(serde_json::json!({
                "path": UPLOAD_PATH, "body_bytes": UPLOAD_BYTES, "in_flight": UPLOAD_IN_FLIGHT,
            })),
            "download": plan.download.then_some(serde_json::json!({
                "path": DOWNLOAD_PATH, "body_bytes": DOWNLOAD_BYTES, "in_flight": DOWNLOAD_IN_FLIGHT,
            })),
        },
        "runs": runs,
    });
    let json_path = plan.out.join("results.json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&json)?)?;
    // The page is drawn from what was written, as `compare --render` draws
    // it again later: the two cannot differ.
    let results: Results =
        serde_json::from_value(json).context("reading back the results just written")?;
    let written = render(&results, &plan.out)?;
    println!("{}", written.page);
    eprintln!(
        "wrote {}, {}",
        json_path.display(),
        written
            .files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_command_lines_hold_no_secret() {
        let args: Vec<String> = [
            "load",
            "--url",
            "http://ann:pw-1@127.0.0.1:9/x",
            "-H",
            "X-Api-Key: key-2",
            "-a",
            "bob:pw-3",
            "--header",
            "novalue-4",
            "-c",
            "10",
        ]
        .map(str::to_owned)
        .to_vec();
        let line = command_line("fetch-tokio", &args);
        assert_eq!(
            line,
            "fetch-tokio load --url http://ann:***@127.0.0.1:9/x -H X-Api-Key: *** -a *** --header *** -c 10"
        );
    }

    #[test]
    fn the_download_path_asks_for_the_download_size() {
        assert_eq!(DOWNLOAD_PATH, format!("/bytes/{DOWNLOAD_BYTES}"));
    }
}
