//! `bare-compio-hyper`: the bare reference loop on compio (see the crate
//! docs): `--threads` shards, each a thread with its own compio runtime
//! (io_uring where the kernel allows it) and its share of the `-c` tasks,
//! each on a compio TCP stream behind cyper-core's adapter to hyper.
//!
//! Run with: `cargo run --release -p fetch-bare --bin bare-compio-hyper -- --url http://127.0.0.1:PORT/users/{id}`

use std::process::ExitCode;

use compio::net::TcpStream;
use cyper_core::HyperStream;

fn main() -> ExitCode {
    fetch_bare::main("bare-compio-hyper", "compio", |args, run| {
        let shards = args.threads().min(args.concurrency);
        let threads: Vec<_> = (0..shards)
            .map(|shard| {
                // The tasks split as evenly as they go: the first shards
                // take one more when `-c` does not divide.
                let tasks =
                    args.concurrency / shards + usize::from(shard < args.concurrency % shards);
                let run = run.clone();
                std::thread::spawn(move || -> anyhow::Result<fetch_bare::Tally> {
                    let runtime = compio::runtime::Runtime::new()?;
                    runtime.block_on(async {
                        let handles: Vec<_> = (0..tasks)
                            .map(|_| {
                                let run = run.clone();
                                compio::runtime::spawn(async move {
                                    let (host, port) =
                                        (run.target().host.clone(), run.target().port);
                                    run.connection(|| async {
                                        let stream =
                                            TcpStream::connect((host.as_str(), port)).await?;
                                        stream.set_nodelay(true)?;
                                        Ok(HyperStream::new_plain(stream))
                                    })
                                    .await
                                })
                            })
                            .collect();
                        let mut tally = fetch_bare::Tally::default();
                        for handle in handles {
                            tally.merge(handle.await.map_err(|e| anyhow::anyhow!("{e}"))?);
                        }
                        Ok(tally)
                    })
                })
            })
            .collect();
        let mut tally = fetch_bare::Tally::default();
        for thread in threads {
            let shard = thread
                .join()
                .map_err(|_| anyhow::anyhow!("a shard panicked"))??;
            tally.merge(shard);
        }
        Ok(tally)
    })
}
