//! A progress bar for load runs, drawn by a thread of its own from the
//! engine's atomic counters. Off when stdout is not a terminal, so piped
//! output and JSON stay clean.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use fetch_core::{Progress, Stop};
use indicatif::{ProgressBar, ProgressStyle};

/// The drawing thread; stops and clears the bar when dropped.
pub(crate) struct Bar {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Bar {
    /// Starts drawing `progress` if `enabled` and stdout is a terminal.
    pub(crate) fn start(progress: &Arc<Progress>, stop: Stop, enabled: bool) -> Bar {
        let done = Arc::new(AtomicBool::new(false));
        let thread = (enabled && std::io::stdout().is_terminal()).then(|| {
            let progress = progress.clone();
            let done = done.clone();
            std::thread::spawn(move || draw(&progress, stop, &done))
        });
        Bar { done, thread }
    }
}

fn draw(progress: &Progress, stop: Stop, done: &AtomicBool) {
    let bar = match stop {
        Stop::Requests(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template(
                "{bar:40.cyan/blue} {pos}/{len} requests  {per_sec}  {elapsed}  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        Stop::Duration(d) => ProgressBar::new(d.as_millis() as u64).with_style(
            ProgressStyle::with_template("{bar:40.cyan/blue} {elapsed}  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
    };
    let started = std::time::Instant::now();
    while !done.load(Ordering::Relaxed) {
        match stop {
            Stop::Requests(_) => bar.set_position(progress.completed()),
            Stop::Duration(_) => bar.set_position(started.elapsed().as_millis() as u64),
        }
        bar.set_message(format!(
            "{} done, {} errors",
            progress.completed(),
            progress.errors()
        ));
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
