//! The page and the charts drawn from a `results.json`, by a run as it
//! ends and by `compare --render DIR` at any time after, without running
//! anything: a committed run's page can be drawn again when the page's code
//! changes, and what the docs show is always what its data says.
//!
//! # Layout
//! - [`Results`]: the parts of results.json the page is drawn from.
//! - [`render`]: writes results.md and the charts beside it.
//! - [`read`]: a results.json read from a folder.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

use super::chart::{chart, latency_chart, scaling_chart};
use super::environment::Environment;
use super::placement::Placement;
use super::run::{Run, SCALING_IN_FLIGHT};
use super::servers::REMOTE_CPU;
use super::tables::{PageInfo, page};

/// A results.json as the page reads it (its other fields are for other
/// readers).
#[derive(Debug, Clone, Deserialize)]
pub struct Results {
    /// `<date>-<short commit>`.
    pub run_id: String,
    /// The machine.
    pub machine: Machine,
    /// What produced the run, and where its processes ran.
    pub environment: Stamped,
    /// What was run.
    pub plan: PlanFacts,
    /// Every run, each the median of its rounds.
    pub runs: Vec<Run>,
}

/// results.json's `machine`, as far as the page shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct Machine {
    /// CPUs the run was allowed.
    pub cores: usize,
    /// `uname -sr`.
    pub kernel: String,
    /// `2026-12-02 21:40 UTC`.
    pub date: String,
}

/// results.json's `environment`: the stamp and the placement.
#[derive(Debug, Clone, Deserialize)]
pub struct Stamped {
    /// Commit, rustc, crates, tools, the command.
    #[serde(flatten)]
    pub stamp: Environment,
    /// Where the servers and the clients ran.
    pub placement: Placement,
}

/// results.json's `plan`, as far as the page shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct PlanFacts {
    /// Seconds of every throughput run.
    pub seconds: u64,
    /// Threads of every runtime and reference tool.
    pub threads: usize,
    /// The fixture servers' threads; `None` for a server started apart.
    pub server_threads: Option<usize>,
    /// The queued runs' in flight and connections, when they ran.
    pub queued: Option<(usize, usize)>,
    /// The memory runs' in flight, when they ran.
    pub memory_in_flight: Option<usize>,
    /// Rounds.
    pub repeat: usize,
    /// The open-loop sweep's shares of the saturation rate.
    #[serde(default)]
    pub rate_fractions: Vec<f64>,
    /// Seconds of each sweep run.
    pub rate_seconds: u64,
    /// In flight in the TLS scenarios.
    pub tls_in_flight: Option<usize>,
    /// The TLS scenarios run.
    #[serde(default)]
    pub tls_scenarios: Vec<String>,
    /// The thread counts of the `scaling` scenario.
    #[serde(default)]
    pub sweep_threads: Vec<usize>,
    /// What the run left out.
    #[serde(default)]
    pub left_out: Vec<String>,
    /// The `upload` scenario, when it ran.
    pub upload: Option<serde_json::Value>,
    /// The `download` scenario, when it ran.
    pub download: Option<serde_json::Value>,
}

/// What [`render`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// results.md's text.
    pub page: String,
    /// results.md and each chart.
    pub files: Vec<PathBuf>,
}

/// The results.json in `dir`.
pub fn read(dir: &Path) -> anyhow::Result<Results> {
    let path = dir.join("results.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a results.json of this version of compare",
            path.display()
        )
    })
}

/// Writes `results`' page (results.md) and charts into `out`.
pub fn render(results: &Results, out: &Path) -> anyhow::Result<Written> {
    let plan = &results.plan;
    let placement = &results.environment.placement;
    let info = PageInfo {
        run_id: &results.run_id,
        environment: &results.environment.stamp,
        date: &results.machine.date,
        cores: results.machine.cores,
        kernel: &results.machine.kernel,
        rounds: plan.repeat.max(1),
        threads: plan.threads,
        server_threads: plan.server_threads.unwrap_or(0),
        placement,
        remote_server: plan.server_threads.is_none().then_some(REMOTE_CPU),
        client_cpus: placement.client_count(),
        left_out: &plan.left_out,
        seconds: plan.seconds,
        queued: plan.queued.is_some(),
        memory: plan.memory_in_flight.is_some(),
        rate_seconds: (!plan.rate_fractions.is_empty()).then_some(plan.rate_seconds),
        tls_in_flight: plan
            .tls_in_flight
            .filter(|_| !plan.tls_scenarios.is_empty()),
        shapes: plan.upload.is_some() || plan.download.is_some(),
    };
    let runs = &results.runs;
    let md = page(runs, &info);
    let md_path = out.join("results.md");
    std::fs::write(&md_path, &md).with_context(|| format!("writing {}", md_path.display()))?;
    let mut files = vec![md_path];

    // Each chart's title names the run, its rounds and its scenario.
    let rounds = match info.rounds {
        1 => "1 round, no spread".to_owned(),
        n => format!("median of {n} rounds"),
    };
    let titled = |what: &str| format!("{what} · run {} · {rounds}", results.run_id);
    let svg_path = out.join("throughput.svg");
    chart(
        runs,
        &titled("Requests/sec against requests in flight (closed loop, kept connections, http)"),
        &svg_path,
    )?;
    files.push(svg_path);
    if !plan.rate_fractions.is_empty() {
        let latency_path = out.join("latency.svg");
        latency_chart(
            runs,
            &titled("p99 from the due time against the rate offered (open loop, http)"),
            &latency_path,
        )?;
        files.push(latency_path);
    }
    if !plan.sweep_threads.is_empty() {
        let scaling_path = out.join("scaling.svg");
        scaling_chart(
            runs,
            &titled(&format!(
                "Requests/sec against threads ({SCALING_IN_FLIGHT} in flight, closed loop)"
            )),
            &scaling_path,
        )?;
        files.push(scaling_path);
    }
    Ok(Written { page: md, files })
}
