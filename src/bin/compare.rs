//! `compare`: every combination beside wrk and oha, on one server, in one
//! run; writes `results.json`, `results.md`, `throughput.svg` and
//! `latency.svg`.
//!
//! Run with: `scripts/compare` (which installs wrk, oha and GNU time, and
//! builds everything in release first), or `scripts/compare --quick`.

use std::path::PathBuf;

use async_fetch::compare;
use clap::Parser;

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
    /// Worker threads of every async runtime (and of the server).
    #[arg(long, default_value_t = 2)]
    threads: usize,
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
    /// Skip the open-loop sweep (each combination and oha at shares of wrk's rate).
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
    /// Requests in flight in each TLS scenario (HTTP/2: streams over 10 connections).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=10_000))]
    tls_in_flight: u64,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match async_fetch::compare::driver::run(&args.into()) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

impl From<Args> for compare::driver::Plan {
    fn from(a: Args) -> Self {
        compare::driver::Plan {
            seconds: a.seconds.unwrap_or(if a.quick { 2 } else { 5 }),
            concurrency: a.concurrency,
            threads: a.threads,
            out: a.out,
            reference: !a.no_reference,
            bare: !a.no_bare,
            queued: (!a.no_queued).then_some((10_000, 1_000)),
            memory: (!a.no_memory).then_some(10_000),
            repeat: a.repeat.map_or(if a.quick { 1 } else { 3 }, usize::from),
            combinations: async_fetch::combos::COMBINATIONS.to_vec(),
            rates: match (a.no_rate, a.quick) {
                (true, _) => Vec::new(),
                (false, true) => vec![0.5, 0.9, 1.1],
                (false, false) => vec![0.25, 0.5, 0.75, 0.9, 1.0, 1.1],
            },
            rate_seconds: if a.quick { 2 } else { 3 },
            tls_in_flight: (!a.no_tls).then_some(a.tls_in_flight as usize),
            upload: !a.no_upload,
            download: !a.no_download,
        }
    }
}
