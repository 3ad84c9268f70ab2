//! `bare-smol-hyper`: the bare reference loop on smol (see the crate
//! docs): `-c` tasks on one executor run by `--threads` threads, each on
//! an async-io TCP stream of its own.
//!
//! Run with: `cargo run --release -p fetch-bare --bin bare-smol-hyper -- --url http://127.0.0.1:PORT/users/{id}`

use std::process::ExitCode;
use std::sync::Arc;

use smol::net::TcpStream;
use smol_hyper::rt::FuturesIo;

fn main() -> ExitCode {
    fetch_bare::main("bare-smol-hyper", "smol", |args, run| {
        let executor = Arc::new(smol::Executor::new());
        // Exactly `--threads` threads run the executor, as fetch-smol's do;
        // they stop when `stop` is dropped.
        let (stop, stopped) = smol::channel::bounded::<()>(1);
        let threads: Vec<_> = (0..args.threads())
            .map(|_| {
                let (executor, stopped) = (executor.clone(), stopped.clone());
                std::thread::spawn(move || smol::block_on(executor.run(stopped.recv())))
            })
            .collect();
        let tasks: Vec<_> = (0..args.concurrency)
            .map(|_| {
                let run = run.clone();
                executor.spawn(async move {
                    let (host, port) = (run.target().host.clone(), run.target().port);
                    run.connection(|| async {
                        let stream = TcpStream::connect((host.as_str(), port)).await?;
                        stream.set_nodelay(true)?;
                        Ok(FuturesIo::new(stream))
                    })
                    .await
                })
            })
            .collect();
        let tally = smol::block_on(async {
            let mut tally = fetch_bare::Tally::default();
            for task in tasks {
                tally.merge(task.await);
            }
            tally
        });
        drop(stop);
        for thread in threads {
            let _ = thread.join();
        }
        Ok(tally)
    })
}
