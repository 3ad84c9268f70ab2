//! CPU time and peak memory of this process, from `getrusage(2)`.

use nix::sys::resource::{UsageWho, getrusage};

/// A reading of this process's resource use.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// User plus system CPU time, in seconds, all threads.
    pub cpu_s: f64,
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
            // Linux reports ru_maxrss in KiB.
            peak_rss_kb: u64::try_from(usage.max_rss()).unwrap_or(0),
        }
    }

    /// CPU seconds spent since `earlier`; the peak RSS of now.
    #[must_use]
    pub fn since(self, earlier: Usage) -> Usage {
        Usage {
            cpu_s: (self.cpu_s - earlier.cpu_s).max(0.0),
            peak_rss_kb: self.peak_rss_kb,
        }
    }
}

impl From<Usage> for fetch_core::ProcessCost {
    fn from(u: Usage) -> Self {
        fetch_core::ProcessCost {
            cpu_s: u.cpu_s,
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
}
