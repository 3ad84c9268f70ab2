//! The fixture servers a compare run loads: a process it starts itself, or
//! one a user started on another machine (`--server URL`, `--tls-server
//! URL --ca-cert PATH`), which must be a fixture server of the same
//! version (`GET /version`), or the comparison would load something else.
//!
//! # Layout
//!
//! - [`Server`]: a local process (whose CPU time is read per run) or a remote URL (whose is not).
//! - [`Server::remote`]: the version check.
//! - [`Server::settle`]: wait until the server is quiet before a run.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use fetch_core::{BlockingHttpClient as _, CaCert, ClientConfig, Request};

use crate::harness::ServerProcess;

/// A fixture server compare loads.
#[derive(Debug)]
pub enum Server {
    /// A `fetch-server` process this run started (and stops on drop).
    Local(ServerProcess),
    /// One started apart, maybe on another machine: its base URL and the
    /// version it reported.
    Remote {
        /// `http://HOST:PORT` (no trailing slash).
        url: String,
        /// What its `GET /version` said.
        version: String,
    },
}

/// The `name` a fixture server gives in `GET /version` (the tests check
/// it against a real one).
pub const SERVER_NAME: &str = "fetch-server";

/// Why a remote server's CPU time is missing from every row.
pub const REMOTE_CPU: &str =
    "the server runs apart from this run (--server): its CPU time cannot be read from here";

impl Server {
    /// Checks that `url` answers `GET /version` as a fixture server of this
    /// build's version (over https trusting `ca`, if given) and returns it.
    pub fn remote(url: &str, ca: Option<&Path>) -> anyhow::Result<Server> {
        let url = url.trim_end_matches('/');
        let ca_cert = ca
            .map(|path| {
                let pem = std::fs::read(path)
                    .with_context(|| format!("could not read the CA file {}", path.display()))?;
                anyhow::Ok(CaCert {
                    path: path.to_owned(),
                    pem: pem.into(),
                })
            })
            .transpose()?;
        let config = ClientConfig {
            ca_cert,
            connections: 1,
            connect_timeout: std::time::Duration::from_secs(5),
            request_timeout: std::time::Duration::from_secs(10),
            ..ClientConfig::default()
        };
        let client = fetch_clients::ureq::UreqClient::new(&config)?;
        let version_url = format!("{url}/version");
        let answer = client
            .send_blocking(&Request::get(&version_url))
            .with_context(|| format!("{url} did not answer GET /version"))?;
        let not_ours = || {
            format!(
                "{url} is not a fixture server of this version: GET /version answered {} {:?} \
                 (start one with `fetch-server --bind 0.0.0.0:PORT` from the same commit)",
                answer.status,
                String::from_utf8_lossy(&answer.body[..answer.body.len().min(200)])
            )
        };
        if answer.status != 200 {
            bail!(not_ours());
        }
        let said: serde_json::Value =
            serde_json::from_slice(&answer.body).with_context(not_ours)?;
        let ours = env!("CARGO_PKG_VERSION");
        if said["name"] != SERVER_NAME {
            bail!(not_ours());
        }
        let Some(version) = said["version"].as_str() else {
            bail!(not_ours());
        };
        if version != ours {
            bail!(
                "{url} is fetch-server {version}, this compare is {ours}: run the same version on both sides"
            );
        }
        Ok(Server::Remote {
            url: url.to_owned(),
            version: version.to_owned(),
        })
    }

    /// Its base URL.
    pub fn url(&self) -> &str {
        match self {
            Server::Local(process) => process.url(),
            Server::Remote { url, .. } => url,
        }
    }

    /// CPU seconds the server has used so far; `None` for a remote one.
    pub fn cpu_seconds(&self) -> Option<f64> {
        match self {
            Server::Local(process) => process.cpu_seconds(),
            Server::Remote { .. } => None,
        }
    }

    /// Waits until the server has gone quiet (under one clock tick of CPU,
    /// 10 ms, over [`QUIET`]), at most [`SETTLE_AT_MOST`]; returns the time
    /// waited. A run that starts while the server is still closing the last
    /// run's connections pays for them: measured, oha's first open-loop run
    /// after the 10,000-connection memory runs had a p99 of 15.8 ms at
    /// 40,000/s, and 2.3 ms five seconds later. A remote server cannot be
    /// watched: no wait.
    pub fn settle(&self) -> Duration {
        settle_with(|| self.cpu_seconds(), std::thread::sleep)
    }

    /// What results.json records of it: where, and (local) the CPUs its
    /// process reported or (remote) the version it reported.
    pub fn describe(&self) -> serde_json::Value {
        match self {
            Server::Local(process) => serde_json::json!({
                "url": process.url(),
                "started_by": "compare",
                "cpus": super::placement::process_cpus(process.pid()),
            }),
            Server::Remote { url, version } => serde_json::json!({
                "url": fetch_core::redact_url(url),
                "started_by": "the user (--server / --tls-server)",
                "version": version,
                "cpu": REMOTE_CPU,
            }),
        }
    }
}

/// The span over which a server must use under a tick of CPU to be quiet.
pub const QUIET: Duration = Duration::from_millis(200);
/// The longest [`Server::settle`] waits: a server busy for longer (another
/// load on it) is loaded anyway.
pub const SETTLE_AT_MOST: Duration = Duration::from_secs(5);

/// [`Server::settle`] with the CPU reading and the nap given.
fn settle_with(mut cpu: impl FnMut() -> Option<f64>, mut nap: impl FnMut(Duration)) -> Duration {
    let mut waited = Duration::ZERO;
    let Some(mut before) = cpu() else {
        return waited;
    };
    while waited < SETTLE_AT_MOST {
        nap(QUIET);
        waited += QUIET;
        let Some(now) = cpu() else { break };
        // procfs counts CPU in ticks of 10 ms: a quiet span reads no tick.
        if now - before < 0.005 {
            break;
        }
        before = now;
    }
    waited
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CPU reading that grows by `busy` seconds for each of its first
    /// `spans` naps, then stays.
    fn server(busy: f64, spans: u32) -> (impl FnMut() -> Option<f64>, impl FnMut(Duration)) {
        let naps = std::rc::Rc::new(std::cell::Cell::new(0u32));
        let seen = naps.clone();
        let cpu = move || Some(busy * f64::from(seen.get().min(spans)));
        let nap = move |_| naps.set(naps.get() + 1);
        (cpu, nap)
    }

    #[test]
    fn a_quiet_server_is_loaded_after_one_quiet_span() {
        let (cpu, nap) = server(0.0, 0);
        assert_eq!(settle_with(cpu, nap), QUIET);
    }

    #[test]
    fn a_busy_server_is_waited_for_until_it_goes_quiet() {
        let (cpu, nap) = server(0.05, 3);
        assert_eq!(settle_with(cpu, nap), QUIET * 4);
    }

    #[test]
    fn a_server_busy_for_ever_is_loaded_after_the_longest_wait() {
        let (cpu, nap) = server(0.05, u32::MAX);
        assert_eq!(settle_with(cpu, nap), SETTLE_AT_MOST);
    }

    #[test]
    fn a_server_whose_cpu_cannot_be_read_is_not_waited_for() {
        assert_eq!(settle_with(|| None, |_| panic!("no nap")), Duration::ZERO);
    }
}
