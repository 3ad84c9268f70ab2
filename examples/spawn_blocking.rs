//! A blocking call inside a task freezes the executor; `spawn_blocking` moves
//! it to a thread of its own. A heartbeat task counts what still runs.
//!
//! Run with: `cargo run --example spawn_blocking`

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::Duration;

// One worker thread, so a blocked worker is a frozen executor.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), tokio::task::JoinError> {
    let beats = Arc::new(AtomicU32::new(0));
    let counter = beats.clone();
    // The heartbeat: a task that beats every 10 ms while it gets to run.
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(10)).await;
            counter.fetch_add(1, Relaxed);
        }
    });
    // An async sleep is an .await point: the heartbeat runs meanwhile.
    tokio::time::sleep(Duration::from_millis(50)).await;

    // BAD: 200 ms of blocking in this task holds the only worker thread.
    let before = beats.load(Relaxed);
    std::thread::sleep(Duration::from_millis(200));
    let bad = beats.load(Relaxed) - before;
    println!("std::thread::sleep(200ms) in the task: {bad:>2} beats");

    // GOOD: the same call on tokio's blocking pool; this task awaits it.
    let before = beats.load(Relaxed);
    tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(200))).await?;
    let good = beats.load(Relaxed) - before;
    println!("spawn_blocking(|| sleep(200ms)).await: {good:>2} beats (about 20 expected)");
    Ok(())
}
