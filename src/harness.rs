//! Running the workspace's binaries from tests, benches and scripts.
//!
//! # Layout
//! - [`profile_dir`], [`workspace_bin`]: where this build profile's
//!   binaries are, built first (once per process) when cargo runs the caller.
//! - `set_by_cargo_for_a_run`: what of the caller's environment that build
//!   leaves out.
//! - [`find_program`]: a program on `PATH` (or in a tool installer's folder).
//! - [`ServerProcess`]: the fixture server as a process of its own.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

/// The folder of this build profile (`target/debug`, `target/release`):
/// the running executable's folder, or its parent for one in `deps/`.
pub fn profile_dir() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let mut dir = exe
        .parent()
        .ok_or_else(|| std::io::Error::other("the executable has no folder"))?
        .to_owned();
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir.pop();
    }
    Ok(dir)
}

/// The path of workspace binary `name` in this profile.
///
/// `cargo test` and `cargo bench` build only the binaries of the package
/// under test, and these callers run the binaries of other packages. When
/// run by cargo (which sets `CARGO`), the first call asks cargo to build
/// every workspace binary in this profile: a no-op when they are fresh.
pub fn workspace_bin(name: &str) -> std::io::Result<PathBuf> {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let dir = profile_dir()?;
    let built = BUILT.get_or_init(|| {
        let Ok(cargo) = std::env::var("CARGO") else {
            return Ok(()); // not run by cargo: use what is there
        };
        let mut build = Command::new(cargo);
        build.args(["build", "--workspace", "--bins", "--quiet"]);
        // What cargo set for this test or bench is not the user's
        // environment: left in, it reaches the build scripts that watch it
        // (ring's reruns when `CARGO_MANIFEST_DIR` changes), so this build
        // and the user's next one rebuilt ring and everything above it,
        // each undoing the other: minutes on every `cargo bench`.
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(set_by_cargo_for_a_run) {
                build.env_remove(name);
            }
        }
        if dir.file_name().is_some_and(|p| p == "release") {
            build.arg("--release");
        }
        match build.status() {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(format!("building the workspace binaries failed ({status})")),
            Err(e) => Err(format!("could not run cargo: {e}")),
        }
    });
    built.clone().map_err(std::io::Error::other)?;
    let path = dir.join(name);
    if !path.exists() {
        return Err(std::io::Error::other(format!(
            "{} is missing: build it with `cargo build --workspace --bins`",
            path.display()
        )));
    }
    Ok(path)
}

/// Whether cargo sets the environment variable `name` for the test or
/// bench it runs (its package's manifest, name and version, its binaries,
/// its scratch folder), as against the user's own settings (`CARGO_HOME`,
/// `CARGO_TARGET_DIR`, `CARGO_PROFILE_*` and the like), which a build
/// must keep.
fn set_by_cargo_for_a_run(name: &str) -> bool {
    matches!(
        name,
        "CARGO_MANIFEST_DIR"
            | "CARGO_MANIFEST_PATH"
            | "CARGO_CRATE_NAME"
            | "CARGO_BIN_NAME"
            | "CARGO_PRIMARY_PACKAGE"
            | "CARGO_TARGET_TMPDIR"
            | "OUT_DIR"
    ) || name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_BIN_EXE_")
}

/// The program `name` as a file in a folder of `PATH`, or else in one of
/// `also` (folders a tool's installer uses that may not be on `PATH`).
pub fn find_program(name: &str, also: impl IntoIterator<Item = PathBuf>) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(also)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The fixture server running as a process of its own; stopped on drop.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    url: String,
}

impl ServerProcess {
    /// Starts `fetch-server --threads THREADS` on a free port of 127.0.0.1
    /// and waits for its `listening on URL` line.
    pub fn start(threads: usize) -> std::io::Result<Self> {
        Self::start_with(threads, &[])
    }

    /// Like [`ServerProcess::start`], serving HTTPS (ALPN h2 and
    /// http/1.1) with a CA made at start, whose certificate it writes to
    /// `ca` before it says where it listens.
    pub fn start_tls(threads: usize, ca: &std::path::Path) -> std::io::Result<Self> {
        let ca = ca
            .to_str()
            .ok_or_else(|| std::io::Error::other("a CA path that is not UTF-8"))?;
        Self::start_with(threads, &["--tls", "--tls-ca-out", ca])
    }

    fn start_with(threads: usize, more: &[&str]) -> std::io::Result<Self> {
        let mut child = Command::new(workspace_bin("fetch-server")?)
            .args(["--threads", &threads.to_string()])
            .args(more)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            BufReader::new(stdout).read_line(&mut line)?;
        }
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other(format!(
                "fetch-server did not say where it listens (it printed {line:?})"
            )));
        };
        Ok(ServerProcess {
            url: url.to_owned(),
            child,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU seconds (user + system, all threads) the server has used so
    /// far, from `/proc/PID/stat`; `None` where there is no procfs.
    pub fn cpu_seconds(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // Fields after the command name (which may hold spaces) in
        // parentheses; utime and stime are fields 14 and 15 of the line.
        let rest = &stat[stat.rfind(')')? + 1..];
        let mut fields = rest.split_whitespace().skip(11);
        let user: f64 = fields.next()?.parse().ok()?;
        let system: f64 = fields.next()?.parse().ok()?;
        let ticks = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok()??;
        Some((user + system) / ticks as f64)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::set_by_cargo_for_a_run;

    #[test]
    fn a_nested_build_drops_what_cargo_set_for_the_run_and_keeps_the_users_settings() {
        for name in [
            "CARGO_MANIFEST_DIR",
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_BIN_EXE_compare",
            "CARGO_TARGET_TMPDIR",
            "OUT_DIR",
        ] {
            assert!(set_by_cargo_for_a_run(name), "{name}");
        }
        for name in [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_PROFILE_RELEASE_LTO",
            "CARGO_BUILD_JOBS",
            "PATH",
        ] {
            assert!(!set_by_cargo_for_a_run(name), "{name}");
        }
    }
}
