//! Ctrl-C. The first press during a load run stops the run: requests in
//! flight are dropped and counted as `cancelled`, and the partial report is
//! printed. A press with no run going, or a second press, exits at once.

use std::sync::{Arc, Mutex, Once};

use fetch_core::Progress;

/// The load run Ctrl-C should stop, if one is going.
static ACTIVE: Mutex<Option<Arc<Progress>>> = Mutex::new(None);

/// Exit code of a process stopped by SIGINT (128 + 2).
pub(crate) const INTERRUPTED: u8 = 130;

/// Installs the handler, once per process.
pub(crate) fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // If the handler cannot be installed, Ctrl-C keeps its default
        // meaning (end the process): nothing to report.
        let _ = ctrlc::set_handler(on_interrupt);
    });
}

fn on_interrupt() {
    let active = ACTIVE.lock().unwrap_or_else(|p| p.into_inner()).clone();
    match active {
        Some(progress) if !progress.cancel.is_cancelled() => {
            eprintln!("\ninterrupted: stopping the run (press Ctrl-C again to quit at once)");
            progress.cancel.cancel();
        }
        _ => std::process::exit(i32::from(INTERRUPTED)),
    }
}

/// While the guard lives, Ctrl-C stops the run behind `progress`.
pub(crate) struct Watch;

impl Watch {
    pub(crate) fn new(progress: &Arc<Progress>) -> Self {
        *ACTIVE.lock().unwrap_or_else(|p| p.into_inner()) = Some(progress.clone());
        Watch
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        *ACTIVE.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
