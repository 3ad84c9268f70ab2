//! `bare-tokio-hyper`: the bare reference loop on tokio (see the crate
//! docs): `-c` tasks on a multi-thread runtime of `--threads` workers,
//! each on a tokio TCP stream of its own.
//!
//! Run with: `cargo run --release -p fetch-bare --bin bare-tokio-hyper -- --url http://127.0.0.1:PORT/users/{id}`

use std::process::ExitCode;

fn main() -> ExitCode {
    fetch_bare::main("bare-tokio-hyper", "tokio", |args, run| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads())
            .enable_all()
            .build()?;
        runtime.block_on(fetch_bare::on_tokio::run(&run, args.concurrency))
    })
}
