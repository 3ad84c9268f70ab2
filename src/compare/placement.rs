//! Where compare's processes run: the fixture servers on one set of CPUs,
//! every client (the combinations, wrk, oha, h2load, the bare loops) on
//! another, so a client that leaves the server more CPU does not win by it.
//!
//! The driver pins its own thread to the server set while it starts the
//! servers, then to the client set for the rest of the run: every process
//! it starts inherits the set of the moment (`sched_setaffinity` is
//! inherited across `fork` and `exec`). Each run then records the CPUs its
//! process reported: a combination's own report (`cpus`, read from its
//! affinity), and for the other tools `/proc/PID/status` of the process
//! the driver started, read while it runs.
//!
//! # Layout
//!
//! - [`Placement`]: the two sets (or none: shared), how they were chosen, and [`Placement::decide`].
//! - [`process_cpus`]: a running process's allowed CPUs, from procfs.

use anyhow::{Context as _, bail};
use fetch_core::CpuList;
use fetch_core::cpus::pin_this_thread;
use serde::{Deserialize, Serialize};

/// The CPUs of the server and of the clients, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// The fixture servers' CPUs; `None` when they share every CPU with
    /// the clients (or run elsewhere).
    pub server_cpus: Option<CpuList>,
    /// Every client process's CPUs; `None` when they share every CPU with
    /// the server.
    pub client_cpus: Option<CpuList>,
    /// The CPUs this process was allowed when the run began.
    pub allowed: CpuList,
    /// How the sets were chosen, in a sentence for the page.
    pub note: String,
}

/// The fewest CPUs at which compare splits them between server and clients
/// unless told.
pub const SPLIT_FROM: usize = 4;

impl Placement {
    /// The placement for `server` and `clients` as given (`--server-cpus`,
    /// `--client-cpus`) out of the `allowed` CPUs; the other set is the rest
    /// of `allowed` when only one is given. With neither, `allowed` is split
    /// in halves from [`SPLIT_FROM`] CPUs up and shared below. `remote`: the
    /// server runs on another machine (`--server`), so it has no set here
    /// and the clients get every CPU unless told.
    pub fn decide(
        server: Option<CpuList>,
        clients: Option<CpuList>,
        remote: bool,
        allowed: CpuList,
    ) -> anyhow::Result<Placement> {
        for (flag, set) in [("--server-cpus", &server), ("--client-cpus", &clients)] {
            if let Some(set) = set
                && let Some(cpu) = set.cpus().iter().find(|c| !allowed.cpus().contains(c))
            {
                bail!("{flag} {set}: CPU {cpu} is not one this process may use ({allowed})");
            }
        }
        let rest = |of: &CpuList, flag: &str| {
            let rest: Vec<usize> = allowed
                .cpus()
                .iter()
                .copied()
                .filter(|c| !of.cpus().contains(c))
                .collect();
            if rest.is_empty() {
                bail!("{flag} {of} leaves no CPU for the other side: give both sets");
            }
            Ok(CpuList::new(rest))
        };
        let (server_cpus, client_cpus, note) = match (remote, server, clients) {
            (true, Some(set), _) => {
                bail!("--server-cpus {set} has no effect with --server: the server runs elsewhere")
            }
            (true, None, clients) => {
                let note = match &clients {
                    Some(set) => format!("the server on another machine; clients on CPUs {set}"),
                    None => format!(
                        "the server on another machine; clients on every CPU here ({allowed})"
                    ),
                };
                (None, clients, note)
            }
            (false, Some(server), Some(clients)) => {
                let note = if server.cpus().iter().any(|c| clients.cpus().contains(c)) {
                    format!(
                        "server on CPUs {server}, clients on CPUs {clients} (as asked; the sets overlap)"
                    )
                } else {
                    format!("server on CPUs {server}, clients on CPUs {clients} (as asked)")
                };
                (Some(server), Some(clients), note)
            }
            (false, Some(server), None) => {
                let clients = rest(&server, "--server-cpus")?;
                let note = format!(
                    "server on CPUs {server} (as asked), clients on the rest, CPUs {clients}"
                );
                (Some(server), Some(clients), note)
            }
            (false, None, Some(clients)) => {
                let server = rest(&clients, "--client-cpus")?;
                let note = format!(
                    "clients on CPUs {clients} (as asked), server on the rest, CPUs {server}"
                );
                (Some(server), Some(clients), note)
            }
            (false, None, None) => match allowed.halves() {
                Some((server, clients)) if allowed.len() >= SPLIT_FROM => {
                    let note = format!(
                        "server on CPUs {server}, clients on CPUs {clients}: the {} CPUs split in \
                         halves (--server-cpus and --client-cpus choose otherwise)",
                        allowed.len()
                    );
                    (Some(server), Some(clients), note)
                }
                _ => {
                    let note = format!(
                        "server and clients share CPUs {allowed}: fewer than {SPLIT_FROM} CPUs, \
                         too few to split (--server-cpus and --client-cpus split them anyway)"
                    );
                    (None, None, note)
                }
            },
        };
        Ok(Placement {
            server_cpus,
            client_cpus,
            allowed,
            note,
        })
    }

    /// How many CPUs the clients have: the default of `--threads`.
    pub fn client_count(&self) -> usize {
        self.client_cpus.as_ref().unwrap_or(&self.allowed).len()
    }

    /// How many CPUs the server has: the default of `--server-threads`.
    pub fn server_count(&self) -> usize {
        self.server_cpus.as_ref().unwrap_or(&self.allowed).len()
    }

    /// Pins the calling thread to the server's CPUs (or every allowed one):
    /// call it before starting a server process.
    pub fn enter_server(&self) -> anyhow::Result<()> {
        pin_this_thread(self.server_cpus.as_ref().unwrap_or(&self.allowed))
            .context("could not pin to the server's CPUs")
    }

    /// Pins the calling thread to the clients' CPUs (or every allowed
    /// one): call it before starting client processes.
    pub fn enter_clients(&self) -> anyhow::Result<()> {
        pin_this_thread(self.client_cpus.as_ref().unwrap_or(&self.allowed))
            .context("could not pin to the clients' CPUs")
    }
}

/// The CPUs process `pid` may run on, from its `Cpus_allowed_list` in
/// `/proc/PID/status`; `None` when it cannot be read (gone, or no procfs).
pub fn process_cpus(pid: u32) -> Option<CpuList> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
        .and_then(|list| list.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(text: &str) -> CpuList {
        text.parse().unwrap()
    }

    #[test]
    fn four_or_more_cpus_split_in_halves_and_fewer_are_shared() {
        let p = Placement::decide(None, None, false, list("0-7")).unwrap();
        assert_eq!(p.server_cpus, Some(list("0-3")));
        assert_eq!(p.client_cpus, Some(list("4-7")));
        assert_eq!((p.server_count(), p.client_count()), (4, 4));
        assert!(p.note.contains("split in halves"), "{}", p.note);
        let p = Placement::decide(None, None, false, list("0-1")).unwrap();
        assert_eq!((&p.server_cpus, &p.client_cpus), (&None, &None));
        assert_eq!((p.server_count(), p.client_count()), (2, 2));
        assert!(p.note.contains("share CPUs 0-1"), "{}", p.note);
    }

    #[test]
    fn one_set_given_leaves_the_rest_to_the_other() {
        let p = Placement::decide(Some(list("0")), None, false, list("0-3")).unwrap();
        assert_eq!(p.client_cpus, Some(list("1-3")));
        let p = Placement::decide(None, Some(list("2-3")), false, list("0-3")).unwrap();
        assert_eq!(p.server_cpus, Some(list("0-1")));
        let err = Placement::decide(None, Some(list("0-1")), false, list("0-1")).unwrap_err();
        assert!(err.to_string().contains("leaves no CPU"), "{err}");
    }

    #[test]
    fn a_cpu_not_allowed_and_a_server_set_for_a_remote_server_are_refused() {
        let err = Placement::decide(Some(list("9")), None, false, list("0-1")).unwrap_err();
        assert!(err.to_string().contains("CPU 9 is not one"), "{err}");
        let err = Placement::decide(Some(list("0")), None, true, list("0-1")).unwrap_err();
        assert!(err.to_string().contains("--server"), "{err}");
        let p = Placement::decide(None, None, true, list("0-7")).unwrap();
        assert_eq!(
            (&p.server_cpus, &p.client_cpus, p.client_count()),
            (&None, &None, 8)
        );
    }

    #[test]
    fn a_child_process_reports_the_set_it_inherited() {
        let all = fetch_core::cpus::allowed().unwrap();
        let first = CpuList::new(vec![all.cpus()[0]]);
        let expected = first.clone();
        let cpus = std::thread::spawn(move || {
            pin_this_thread(&first).unwrap();
            let mut child = std::process::Command::new("sleep")
                .arg("1")
                .spawn()
                .unwrap();
            let cpus = process_cpus(child.id());
            let _ = child.kill();
            let _ = child.wait();
            cpus
        })
        .join()
        .unwrap();
        assert_eq!(cpus, Some(expected));
    }
}
