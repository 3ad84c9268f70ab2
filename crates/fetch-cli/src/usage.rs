//! CPU time and peak memory of this process: CPU from `getrusage(2)`, the
//! peak resident set from `/proc/self/status` (`VmHWM`).
//!
//! Why not `ru_maxrss` for the peak: it survives `execve`, so a process
//! started by `cargo run` (which execs the binary in place of cargo's own
//! process) would report cargo's peak, 80 to 190 MB, not its own. Linux
//! starts `VmHWM` afresh at exec, with the new program's memory.

use nix::sys::resource::{UsageWho, getrusage};

/// A reading of this process's resource use.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// User plus system CPU time, in seconds, all threads.
    pub cpu_s: f64,
    /// The system part of `cpu_s`.
    pub cpu_system_s: f64,
    /// Peak resident set size so far, in KiB.
    pub peak_rss_kb: u64,
}

impl Usage {
    /// Reads the current values (zeros if the call fails).
    pub fn now() -> Usage {
        let Ok(usage) = getrusage(UsageWho::RUSAGE_SELF) else {
            return Usage::default();
        };
        let secs = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
        Usage {
            cpu_s: secs(usage.user_time()) + secs(usage.system_time()),
            cpu_system_s: secs(usage.system_time()),
            // ru_maxrss (KiB on Linux) only where /proc is missing.
            peak_rss_kb: own_peak_rss_kb()
                .unwrap_or_else(|| u64::try_from(usage.max_rss()).unwrap_or(0)),
        }
    }

    /// CPU seconds spent since `earlier`; the peak RSS of now.
    #[must_use]
    pub fn since(self, earlier: Usage) -> Usage {
        Usage {
            cpu_s: (self.cpu_s - earlier.cpu_s).max(0.0),
            cpu_system_s: (self.cpu_system_s - earlier.cpu_system_s).max(0.0),
            peak_rss_kb: self.peak_rss_kb,
        }
    }
}

/// This process's own peak resident set, KiB: `VmHWM` in
/// `/proc/self/status`, which `execve` resets.
fn own_peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    hwm_kb(&status)
}

/// The `VmHWM:` value of a `/proc/PID/status` text, KiB.
fn hwm_kb(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl From<Usage> for fetch_core::ProcessCost {
    fn from(u: Usage) -> Self {
        fetch_core::ProcessCost {
            cpu_s: u.cpu_s,
            cpu_system_s: u.cpu_system_s,
            peak_rss_kb: u.peak_rss_kb,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_grows_with_work() {
        let before = Usage::now();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        std::hint::black_box(x);
        let used = Usage::now().since(before);
        assert!(used.cpu_s > 0.0);
        assert!(used.peak_rss_kb > 0);
    }

    #[test]
    fn the_peak_is_read_from_vm_hwm() {
        let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t    1234 kB\nVmRSS:\t  1000 kB\n";
        assert_eq!(hwm_kb(status), Some(1234));
        assert_eq!(hwm_kb("Name:\tx\n"), None);
    }
}
