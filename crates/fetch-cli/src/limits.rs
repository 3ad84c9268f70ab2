//! The open-file limit. Every connection is a file descriptor; a load run
//! with 10,000 in flight needs more than the usual soft limit of 1,024.
//! Without this check, clients fail each connect with a message that hides
//! the cause ("client error (Connect)").

use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// How many descriptors a run needs: `at_least` to work at all, and the
/// `wanted` headroom it may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    /// Descriptors the run cannot work without.
    pub at_least: u64,
    /// Descriptors it may use at its peak.
    pub wanted: u64,
}

impl Need {
    /// A need with no headroom beyond it.
    pub fn exactly(n: u64) -> Need {
        Need {
            at_least: n,
            wanted: n,
        }
    }
}

/// The kernel's own ceiling on a process's open files, which even root
/// cannot raise a limit past (`/proc/sys/fs/nr_open`), where it is known.
fn kernel_ceiling() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Makes sure the descriptors can be open at once. When `wanted` is over
/// the soft limit, raises the soft limit to the hard limit (saying so on
/// stderr); when even the hard limit is under `at_least`, refuses, as a
/// usage error (exit code 2), with a message that names the limit and how
/// to raise it, or, past the kernel's own ceiling, that it cannot be.
pub fn ensure_open_files(need: Need, what: &str) -> anyhow::Result<()> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    if need.wanted <= soft {
        return Ok(());
    }
    if need.at_least > hard {
        return Err(refusal(need, what, hard, kernel_ceiling()).into());
    }
    if hard > soft {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard)?;
        eprintln!(
            "note: raised the open-file limit from {soft} to {hard} for {what} (up to {} may be used)",
            need.wanted
        );
    }
    if need.wanted > hard {
        eprintln!(
            "note: {what} may use up to {} open files and the limit is {hard}; if connects fail \
             with \"Too many open files\", raise it (`ulimit -Hn`) or use fewer connections (-c)",
            need.wanted
        );
    }
    Ok(())
}

/// Why `need` cannot be met under a hard limit of `hard`, with what to do.
fn refusal(need: Need, what: &str, hard: u64, ceiling: Option<u64>) -> crate::UsageError {
    let asked = need.at_least;
    let message = match ceiling {
        Some(ceiling) if asked > ceiling => format!(
            "{what} needs about {asked} open files, more than this kernel allows any process \
             ({ceiling}, /proc/sys/fs/nr_open): ask for fewer connections (-c, --connections)"
        ),
        _ => format!(
            "{what} needs about {asked} open files, but this process may open at most {hard} \
             (the hard limit, `ulimit -Hn`). Raise it (as root: `ulimit -Hn {}`, or \
             `nofile` in /etc/security/limits.conf{}) or ask for fewer connections (-c, --connections)",
            need.wanted.min(ceiling.unwrap_or(u64::MAX)).max(asked),
            ceiling.map_or_else(String::new, |c| format!("; this kernel's ceiling is {c}"))
        ),
    };
    crate::UsageError(message)
}

/// Descriptors a load run needs. The engine lets no more requests into
/// the client than it has connections, so at least one per connection in
/// use, the smaller of the two numbers (and one more per connection for the
/// embedded server's side). reqwest's pool (hyper-util's) opens a fresh
/// connection while a request waits for an idle one and keeps both, so a
/// run can hold about twice as many (measured before the gate: 1,212 to
/// 1,588 descriptors for 400 in flight with the embedded server). Plus some
/// to spare.
pub fn needed_for_load(concurrency: usize, connections: usize, embedded_server: bool) -> Need {
    let client = concurrency.min(connections) as u64;
    let sides = if embedded_server { 2 } else { 1 };
    Need {
        at_least: client * sides + 64,
        wanted: 2 * client * sides + 64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_need_past_the_kernel_ceiling_says_it_cannot_be_met() {
        let need = Need {
            at_least: 2_000_000,
            wanted: 4_000_000,
        };
        let past = refusal(need, "this load run", 1024, Some(1_048_576)).0;
        assert!(
            past.contains("more than this kernel allows any process (1048576"),
            "{past}"
        );
        let under = refusal(
            Need {
                at_least: 5000,
                wanted: 9000,
            },
            "this load run",
            1024,
            Some(1_048_576),
        )
        .0;
        assert!(
            under.contains("at most 1024") && under.contains("ulimit -Hn 9000"),
            "{under}"
        );
        assert!(under.contains("ceiling is 1048576"), "{under}");
    }

    #[test]
    fn a_small_need_is_met_without_change() {
        let (soft, _) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        ensure_open_files(Need::exactly(16), "a test").unwrap();
        assert_eq!(getrlimit(Resource::RLIMIT_NOFILE).unwrap().0, soft);
    }

    #[test]
    fn more_than_the_hard_limit_is_refused_with_the_limit_named() {
        let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        if hard == nix::sys::resource::RLIM_INFINITY {
            return;
        }
        let err = ensure_open_files(Need::exactly(hard + 1), "a test")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&hard.to_string()) && err.contains("ulimit -Hn"),
            "{err}"
        );
    }

    #[test]
    fn the_need_counts_both_sides_and_headroom() {
        assert_eq!(
            needed_for_load(1000, 1000, false),
            Need {
                at_least: 1064,
                wanted: 2064
            }
        );
        // Requests beyond the connections queue; they hold no socket.
        assert_eq!(
            needed_for_load(10_000, 1000, false),
            needed_for_load(1000, 1000, false)
        );
        assert_eq!(
            needed_for_load(200, 200, true),
            Need {
                at_least: 464,
                wanted: 864
            }
        );
    }
}
