//! `fetch-server`: the fixture server as a process of its own.
//!
//! Run with: `cargo run --release -p fetch-server -- --threads 2`
//! The first line printed is `listening on http://127.0.0.1:PORT`
//! (`https://` with `--tls`; the CA file is written before that line).

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use fetch_server::{Server, ServerConfig};

/// The fixture HTTP server for async-fetch: users, pages, delays, statuses, bytes.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to bind (port 0 picks a free port). Any address but loopback
    /// (`0.0.0.0:PORT`, for a load generator on another machine) makes the
    /// server reachable from the network: it has no authentication, and
    /// `/delay` and `/bytes` let anyone hold its connections or its bandwidth.
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: SocketAddr,
    /// Worker threads serving requests [default: available cores].
    #[arg(long)]
    threads: Option<usize>,
    /// Inject faults into `GET /users/{id}` at these rates, for example
    /// "error=0.05,reset=0.05,stall=0.02,truncate=0.02,garbage=0.02,seed=7,stall_ms=30000".
    /// `GET /stats` then reports what was injected.
    #[arg(long, conflicts_with_all = ["tls", "http2"])]
    chaos: Option<fetch_server::chaos::ChaosConfig>,
    /// Serve HTTPS, with a certificate for localhost and 127.0.0.1 signed by a
    /// CA made at start (ALPN offers h2 and http/1.1). Clients must trust the CA:
    /// write it with --tls-ca-out and pass it to them with --ca-cert.
    #[arg(long)]
    tls: bool,
    /// With --tls: a name (or IP address) the certificate is valid for besides
    /// localhost and 127.0.0.1, the one clients on other machines connect to. Repeatable.
    #[arg(long, value_name = "NAME", requires = "tls")]
    tls_name: Vec<String>,
    /// Write the CA's certificate (PEM) to this file once the server is up.
    #[arg(long, requires = "tls")]
    tls_ca_out: Option<std::path::PathBuf>,
    /// Serve HTTP/2 on plain http too, with prior knowledge (over TLS, ALPN decides).
    #[arg(long)]
    http2: bool,
}

/// Errors go out as the client binaries print them: one line, the whole
/// cause chain, exit code 1 (usage errors: clap's, exit code 2).
fn main() -> ExitCode {
    let args = Args::parse();
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", fetch_core::error_chain(err.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// Serves until Ctrl-C (or SIGTERM).
fn serve(args: Args) -> anyhow::Result<()> {
    let mut config = ServerConfig {
        bind: args.bind,
        chaos: args.chaos,
        tls: args.tls,
        http2: args.http2,
        tls_names: args.tls_name,
        ..ServerConfig::default()
    };
    config.threads = args.threads.unwrap_or(config.threads);
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })?;
    if !config.bind.ip().is_loopback() {
        eprintln!(
            "warning: {} is reachable from the network; the fixture server has no \
             authentication: run it only on a network you trust, for as long as the run lasts",
            config.bind
        );
    }
    let server = Server::start(config)?;
    if let (Some(path), Some(pem)) = (&args.tls_ca_out, server.ca_pem()) {
        std::fs::write(path, pem)
            .with_context(|| format!("could not write the CA certificate to {}", path.display()))?;
    }
    println!("listening on {}", server.url());
    std::io::stdout().flush()?;
    // Wait for Ctrl-C (or SIGTERM), then stop cleanly.
    let _ = stop_rx.recv();
    if let Some(stats) = server.chaos_stats() {
        eprintln!("chaos: injected {}", serde_json::to_string(&stats)?);
    }
    drop(server);
    eprintln!("fetch-server stopped");
    Ok(())
}
