//! A progress bar for load runs, drawn by a thread of its own from the
//! engine's atomic counters. Off when stdout is not a terminal, so piped
//! output and JSON stay clean.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fetch_core::{Progress, Stop};
use indicatif::{ProgressBar, ProgressStyle};

/// Columns of the bar itself; the counts beside it take the rest of 80.
const BAR_COLUMNS: usize = 24;

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
    let (length, template) = match stop {
        Stop::Requests(n) => (n, format!("{{bar:{BAR_COLUMNS}.cyan/blue}} {{msg}}")),
        Stop::Duration(d) => (
            u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            format!("{{bar:{BAR_COLUMNS}.cyan/blue}} {{msg}}"),
        ),
    };
    let bar = ProgressBar::new(length).with_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    while !done.load(Ordering::Relaxed) {
        let elapsed = started.elapsed();
        let completed = progress.completed();
        bar.set_position(match stop {
            Stop::Requests(_) => completed,
            Stop::Duration(_) => u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        });
        bar.set_message(counts(stop, completed, progress.errors(), elapsed));
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}

/// What stands beside the bar: one counter of finished requests, the rate
/// as a whole number, the errors, and the time (of the total, for `-d`).
fn counts(stop: Stop, completed: u64, errors: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        (completed as f64 / secs) as u64
    } else {
        0
    };
    let errors = match errors {
        0 => String::new(),
        1 => "  1 error".to_owned(),
        n => format!("  {} errors", thousands(n)),
    };
    match stop {
        Stop::Requests(n) => format!(
            "{}/{}  {}/s  {}s{errors}",
            thousands(completed),
            thousands(n),
            thousands(rate),
            elapsed.as_secs()
        ),
        Stop::Duration(d) => format!(
            "{}s of {}s  {} done  {}/s{errors}",
            elapsed.as_secs(),
            d.as_secs(),
            thousands(completed),
            thousands(rate)
        ),
    }
}

/// 1491 as "1,491".
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_491), "1,491");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn the_line_has_one_counter_a_whole_rate_and_fits_80_columns() {
        let line = counts(
            Stop::Requests(3_000),
            2_943,
            0,
            Duration::from_millis(1_974),
        );
        assert_eq!(line, "2,943/3,000  1,490/s  1s");
        // The widest line a run can make, beside the bar and its space.
        let widest = counts(
            Stop::Requests(u64::MAX),
            u64::MAX,
            u64::MAX,
            Duration::from_secs(1),
        );
        let duration = counts(
            Stop::Duration(Duration::from_secs(10)),
            4_400,
            3,
            Duration::from_secs(3),
        );
        assert_eq!(duration, "3s of 10s  4,400 done  1,466/s  3 errors");
        for line in [line, duration] {
            assert!(BAR_COLUMNS + 1 + line.len() <= 80, "{line}");
        }
        // Even at u64::MAX the counts stay on one line (no fit promised).
        assert!(!widest.contains('\n'));
    }
}
