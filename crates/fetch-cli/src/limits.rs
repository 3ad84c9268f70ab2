//! The open-file limit. Every connection is a file descriptor; a load run
//! with 10,000 in flight needs more than the usual soft limit of 1,024.
//! Without this check, clients fail each connect with a message that hides
//! the cause ("client error (Connect)").

use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// Makes sure `needed` descriptors can be open at once: raises the soft
/// limit up to the hard limit when that is enough (saying so on stderr),
/// and refuses with a clear message when even the hard limit is too low.
pub(crate) fn ensure_open_files(needed: u64, what: &str) -> anyhow::Result<()> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    if needed <= soft {
        return Ok(());
    }
    if needed > hard {
        anyhow::bail!(
            "{what} needs about {needed} open files, but this process may open at most {hard} \
             (the hard limit, `ulimit -Hn`). Raise it (as root: `ulimit -Hn {needed}`, or \
             `nofile` in /etc/security/limits.conf) or ask for fewer connections (-c, --connections)"
        );
    }
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard)?;
    eprintln!(
        "note: raised the open-file limit from {soft} to {hard} for {what} ({needed} needed)"
    );
    Ok(())
}

/// Descriptors a load run needs: one per connection, more for the
/// embedded server's side of each, and some to spare.
pub(crate) fn needed_for_load(
    concurrency: usize,
    connections: usize,
    embedded_server: bool,
) -> u64 {
    let client = concurrency.max(connections) as u64;
    let server = if embedded_server { client } else { 0 };
    client + server + 64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_need_is_met_without_change() {
        let (soft, _) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        ensure_open_files(16, "a test").unwrap();
        assert_eq!(getrlimit(Resource::RLIMIT_NOFILE).unwrap().0, soft);
    }

    #[test]
    fn more_than_the_hard_limit_is_refused_with_the_limit_named() {
        let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        if hard == nix::sys::resource::RLIM_INFINITY {
            return;
        }
        let err = ensure_open_files(hard + 1, "a test")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&hard.to_string()) && err.contains("ulimit -Hn"),
            "{err}"
        );
    }

    #[test]
    fn the_embedded_server_doubles_the_need() {
        assert_eq!(needed_for_load(1000, 10, false), 1064);
        assert_eq!(needed_for_load(1000, 10, true), 2064);
    }
}
