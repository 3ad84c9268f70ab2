//! Awaiting one request after another against spawning them all: the same
//! three slow requests, in turn and at once.
//!
//! Run with: `cargo run --example spawn_vs_await`

use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = fetch_server::Server::start(Default::default())?;
    // The server answers this after 300 ms.
    let url = format!("{}/delay/300", server.url());

    let started = Instant::now();
    for _ in 0..3 {
        // Each `.await` finishes before the next request is even built.
        reqwest::get(&url).await?.error_for_status()?;
    }
    println!("awaited in turn: {:>4} ms", started.elapsed().as_millis());

    let started = Instant::now();
    // `tokio::spawn` hands each future to the runtime at once; they wait together.
    let tasks: Vec<_> = (0..3)
        .map(|_| tokio::spawn(reqwest::get(url.clone())))
        .collect();
    for task in tasks {
        task.await??.error_for_status()?;
    }
    println!("spawned at once: {:>4} ms", started.elapsed().as_millis());
    Ok(())
}
