//! `compare`: every combination beside wrk and oha, on one server, in one
//! run; writes `results.json`, `results.md`, `throughput.svg` and
//! `latency.svg`.
//!
//! Run with: `scripts/compare` (which installs wrk, oha and GNU time, and
//! builds everything in release first), or `scripts/compare --quick`.

use std::path::PathBuf;

use async_fetch::combos::COMBINATIONS;
use async_fetch::compare;
use async_fetch::compare::{ReferenceTool, Scenario};
use clap::{CommandFactory as _, Parser};
use fetch_core::CpuList;

/// Runs every runtime + client combination and the reference load
/// generators against one fixture server process, one after the other.
#[derive(Debug, Parser)]
struct Args {
    /// A short run: 2 s per run and one round.
    #[arg(long)]
    quick: bool,
    /// Seconds each throughput run lasts, the same for every tool [default: 5, or 2 with --quick].
    #[arg(short = 'd', long, value_parser = clap::value_parser!(u64).range(1..))]
    seconds: Option<u64>,
    /// Requests in flight, one run each.
    #[arg(
        short = 'c',
        long,
        value_delimiter = ',',
        default_value = "100,1000,10000"
    )]
    concurrency: Vec<usize>,
    /// Worker threads of every async runtime (shards for compio) and of wrk, oha and h2load [default: the clients' CPUs].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Option<u64>,
    /// Worker threads of the fixture servers [default: the server's CPUs].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    server_threads: Option<u64>,
    /// CPUs of the fixture servers (a Linux CPU list: "0-7") [default: the first half from 4 CPUs up, else shared].
    #[arg(long, value_name = "LIST")]
    server_cpus: Option<CpuList>,
    /// CPUs of every client process: the combinations, wrk, oha, h2load, the bare loops [default: the other half from 4 CPUs up, else shared].
    #[arg(long, value_name = "LIST")]
    client_cpus: Option<CpuList>,
    /// The scaling scenario: every combination, wrk and oha at each of these thread counts, 1,000 in flight; writes a scaling table and scaling.svg.
    #[arg(long, value_delimiter = ',', value_name = "COUNTS", value_parser = clap::value_parser!(u64).range(1..=1024))]
    sweep_threads: Vec<u64>,
    /// Load a fixture server started apart (`fetch-server --bind 0.0.0.0:PORT` on another machine) with every plain-http scenario, instead of starting one here.
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// Load an HTTPS fixture server started apart (`fetch-server --tls --tls-name NAME --tls-ca-out ca.pem`) with the TLS scenarios; needs --ca-cert.
    #[arg(long, value_name = "URL", requires = "ca_cert")]
    tls_server: Option<String>,
    /// The CA file of --tls-server (what its --tls-ca-out wrote).
    #[arg(long, value_name = "PATH", requires = "tls_server")]
    ca_cert: Option<PathBuf>,
    /// Only these combinations, by the registry's names: "tokio+hyper,compio+hyper".
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    only: Vec<String>,
    /// Only these scenarios: throughput, queued, memory, rate, https, https_new_connection, h2, upload, download, scaling (with --sweep-threads). The --no-* flags remove one each.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    scenarios: Vec<String>,
    /// Where to write the results.
    #[arg(long, default_value = "target/compare")]
    out: PathBuf,
    /// Skip wrk and oha (for machines without them).
    #[arg(long)]
    no_reference: bool,
    /// Skip the bare reference loops (hyper on tokio, smol and compio with no engine around it).
    #[arg(long)]
    no_bare: bool,
    /// Rounds of every run; each figure is the median [default: 3, or 1 with --quick].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    repeat: Option<u16>,
    /// Skip the runs with 10,000 in flight on 1,000 connections.
    #[arg(long)]
    no_queued: bool,
    /// Skip the memory runs (10,000 in flight on /delay/1000).
    #[arg(long)]
    no_memory: bool,
    /// Skip the open-loop sweep (each combination and oha at shares of the
    /// round's fastest closed-loop rate).
    #[arg(long)]
    no_rate: bool,
    /// Skip the TLS scenarios (https, https with a handshake per request, HTTP/2 over TLS).
    #[arg(long)]
    no_tls: bool,
    /// Skip the upload scenario (4 KiB of JSON POSTed to /echo, 1,000 in flight).
    #[arg(long)]
    no_upload: bool,
    /// Skip the download scenario (GET of 256 KiB, 100 in flight).
    #[arg(long)]
    no_download: bool,
    /// Run nothing: draw results.md and the charts again from DIR/results.json (a committed run, after the page's code changed); every option but --readme is ignored.
    #[arg(long, value_name = "DIR")]
    render: Option<PathBuf>,
    /// With --render: also write the run's results block into this README, between its <!-- results:headline --> lines.
    #[arg(long, value_name = "PATH", requires = "render")]
    readme: Option<PathBuf>,
    /// Requests in flight in each TLS scenario (HTTP/2: streams over 10 connections).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=10_000))]
    tls_in_flight: u64,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if let Some(dir) = &args.render {
        return match render(dir, args.readme.as_deref()) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: {err:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let plan = match plan(args) {
        Ok(plan) => plan,
        Err(PlanError::Usage(message)) => Args::command()
            .error(clap::error::ErrorKind::InvalidValue, message)
            .exit(),
        Err(PlanError::Other(err)) => {
            eprintln!("error: {err:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match compare::driver::run(&plan) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `--render DIR [--readme PATH]`: the page, the charts and the README's
/// block drawn from DIR/results.json.
fn render(dir: &std::path::Path, readme: Option<&std::path::Path>) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let results = compare::render::read(dir)?;
    let written = compare::render::render(&results, dir)?;
    for file in written.files {
        eprintln!("wrote {}", file.display());
    }
    if let Some(path) = readme {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let base = path.parent().unwrap_or(std::path::Path::new(""));
        let page = dir.join("results.md");
        let link = page.strip_prefix(base).unwrap_or(&page);
        let block = compare::readme::block(&results, &link.display().to_string());
        let text = compare::readme::replace_block(&text, &block)
            .with_context(|| format!("in {}", path.display()))?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote the results block of {}", path.display());
    }
    Ok(())
}

/// Why the command line makes no plan: a usage error (exit 2, as clap's)
/// or a failure to read the machine (exit 1).
enum PlanError {
    Usage(String),
    Other(anyhow::Error),
}

/// The plan the command line asks for.
fn plan(a: Args) -> Result<compare::driver::Plan, PlanError> {
    let combinations = if a.only.is_empty() {
        COMBINATIONS.to_vec()
    } else {
        let names = || {
            COMBINATIONS
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        a.only
            .iter()
            .map(|name| {
                COMBINATIONS
                    .iter()
                    .find(|c| c.to_string() == name.trim())
                    .copied()
                    .ok_or_else(|| {
                        PlanError::Usage(format!(
                            "--only {name:?} is not a combination; the combinations are {}",
                            names()
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    for name in &a.scenarios {
        if !Scenario::SELECTABLE.contains(&name.trim()) {
            return Err(PlanError::Usage(format!(
                "--scenarios {name:?} is not a scenario; the scenarios are {}",
                Scenario::SELECTABLE.join(", ")
            )));
        }
    }
    let named = |name: &str| a.scenarios.is_empty() || a.scenarios.iter().any(|s| s.trim() == name);
    if a.scenarios.iter().any(|s| s.trim() == "scaling") && a.sweep_threads.is_empty() {
        return Err(PlanError::Usage(
            "--scenarios scaling needs --sweep-threads COUNTS (for example 1,2,4,8)".to_owned(),
        ));
    }
    // Each scenario runs when --scenarios names it (or is not given) and
    // its --no-* flag is absent: a reason to leave it out, or none.
    let why_out = |name: &str, flag: bool, flag_name: &str| -> Option<String> {
        if !named(name) {
            Some("--scenarios".to_owned())
        } else if flag {
            Some(flag_name.to_owned())
        } else {
            None
        }
    };
    // Scenarios left out, grouped by why: one line per reason.
    let mut scenarios_out: Vec<(String, Vec<String>)> = Vec::new();
    let mut wanted = |name: &str, why: Option<String>| match why {
        Some(why) => {
            match scenarios_out.iter_mut().find(|(w, _)| *w == why) {
                Some((_, names)) => names.push(format!("`{name}`")),
                None => scenarios_out.push((why, vec![format!("`{name}`")])),
            }
            false
        }
        None => true,
    };
    let throughput = wanted("throughput", why_out("throughput", false, ""));
    let queued = wanted("queued", why_out("queued", a.no_queued, "--no-queued"));
    let memory = wanted("memory", why_out("memory", a.no_memory, "--no-memory"));
    let rate = wanted("rate", why_out("rate", a.no_rate, "--no-rate"));
    let mut tls_scenarios = Vec::new();
    for scenario in Scenario::TLS {
        let mut why = why_out(scenario.name(), a.no_tls, "--no-tls");
        if why.is_none() && a.server.is_some() && a.tls_server.is_none() {
            why = Some(
                "--server without --tls-server: it would load a server here while the others load the one apart"
                    .to_owned(),
            );
        }
        if wanted(scenario.name(), why) {
            tls_scenarios.push(scenario);
        }
    }
    let upload = wanted("upload", why_out("upload", a.no_upload, "--no-upload"));
    let download = wanted(
        "download",
        why_out("download", a.no_download, "--no-download"),
    );
    let scaling_why = if a.sweep_threads.is_empty() {
        Some("no --sweep-threads".to_owned())
    } else {
        why_out("scaling", false, "")
    };
    let scaling = wanted("scaling", scaling_why);
    let mut left_out: Vec<String> = scenarios_out
        .into_iter()
        .map(|(why, names)| {
            let noun = if names.len() == 1 {
                "scenario"
            } else {
                "scenarios"
            };
            format!("{noun} {} ({why})", names.join(", "))
        })
        .collect();
    if !a.only.is_empty() {
        let out: Vec<String> = COMBINATIONS
            .iter()
            .filter(|c| !combinations.contains(c))
            .map(ToString::to_string)
            .collect();
        if !out.is_empty() {
            left_out.push(format!("combinations {} (--only)", out.join(", ")));
        }
    }
    if a.no_reference {
        left_out.push("wrk, oha and h2load (--no-reference)".to_owned());
    }
    if a.no_bare {
        left_out.push("the bare loops (--no-bare)".to_owned());
    }
    // A bare loop is the reference of its own combination: with that
    // combination left out (--only), so is it.
    let bare: Vec<ReferenceTool> = ReferenceTool::BARE
        .into_iter()
        .filter(|tool| {
            !a.no_bare
                && tool.bare_of().is_some_and(|(runtime, client)| {
                    combinations
                        .iter()
                        .any(|c| c.runtime == runtime && c.client == client)
                })
        })
        .collect();
    let allowed = fetch_core::cpus::allowed().map_err(|e| {
        PlanError::Other(anyhow::anyhow!("could not read this process's CPUs: {e}"))
    })?;
    let placement = compare::placement::Placement::decide(
        a.server_cpus,
        a.client_cpus,
        a.server.is_some(),
        allowed,
    )
    .map_err(|e| PlanError::Usage(format!("{e:#}")))?;
    let count = |n: Option<u64>, default: usize| n.map_or(default, |n| n as usize);
    Ok(compare::driver::Plan {
        seconds: a.seconds.unwrap_or(if a.quick { 2 } else { 5 }),
        concurrency: if throughput {
            a.concurrency
        } else {
            Vec::new()
        },
        threads: count(a.threads, placement.client_count()),
        server_threads: count(a.server_threads, placement.server_count()),
        placement,
        server: a.server,
        tls_server: a.tls_server.zip(a.ca_cert),
        out: a.out,
        reference: !a.no_reference,
        bare,
        queued: queued.then_some((10_000, 1_000)),
        memory: memory.then_some(10_000),
        repeat: a.repeat.map_or(if a.quick { 1 } else { 3 }, usize::from),
        combinations,
        rates: match (rate, a.quick) {
            (false, _) => Vec::new(),
            (true, true) => vec![0.5, 0.9, 1.1],
            (true, false) => vec![0.25, 0.5, 0.75, 0.9, 1.0, 1.1],
        },
        rate_seconds: if a.quick { 2 } else { 3 },
        tls_in_flight: (!tls_scenarios.is_empty()).then_some(a.tls_in_flight as usize),
        tls_scenarios,
        upload,
        download,
        sweep_threads: if scaling {
            a.sweep_threads.iter().map(|&n| n as usize).collect()
        } else {
            Vec::new()
        },
        left_out,
    })
}
