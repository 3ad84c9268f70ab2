//! Where a run's numbers came from: the stamp every `results.json` and
//! `results.md` carries, so a figure can be traced to the code, the
//! toolchain, the crates and the tools that made it.
//!
//! A number without its provenance cannot be checked against another: two
//! runs months apart may differ because a crate moved, the compiler did, or
//! the tree held uncommitted changes. TechEmpower stamps every round with
//! its commit and environment for the same reason.
//!
//! # Layout
//! - [`Stamp`]: the run id and the [`Environment`] of one run, read once
//!   at the start of a run.
//! - [`Environment`]: commit and whether the tree was dirty, the command
//!   line (redacted), rustc, the runtime and client crates' versions, the
//!   reference tools' versions.
//! - [`crate_versions`]: the versions of [`CRATES`] as `Cargo.lock`
//!   resolved them, read from the lock file this binary was built with.
//! - [`machine_extras`]: the machine's memory and whether io_uring works.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};

/// The runtime and client crates whose versions a result depends on.
pub const CRATES: [&str; 11] = [
    "tokio",
    "smol",
    "async-std",
    "compio",
    "reqwest",
    "hyper",
    "hyper-util",
    "surf",
    "ureq",
    "cyper",
    "rustls",
];

/// The lock file this binary was built with: the versions it links are
/// these, whatever the file on disk says by the time it runs.
const CARGO_LOCK: &str = include_str!("../../Cargo.lock");

/// What produced a run, as results.json's `environment` holds it (beside
/// `placement`, which the driver adds).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Environment {
    /// The project's commit (`git rev-parse HEAD`), or `unknown` outside a
    /// git checkout.
    pub commit: String,
    /// Whether the tree had changes not committed (`git status
    /// --porcelain` printed anything): the commit alone does not say what
    /// ran.
    pub dirty: bool,
    /// The command line, secrets redacted.
    pub command: String,
    /// `rustc --version` of the toolchain on the PATH (the one
    /// `scripts/compare` built with just before).
    pub rustc: String,
    /// Each of [`CRATES`] and its version as `Cargo.lock` resolved it.
    pub crates: BTreeMap<String, String>,
    /// wrk, oha and h2load versions, `None` for one not installed.
    pub tools: BTreeMap<String, Option<String>>,
}

/// A run's id and environment.
#[derive(Debug, Clone)]
pub struct Stamp {
    /// `<date>-<short commit>`, e.g. `2026-12-02-8ffa357`: names the run
    /// in results.json, on its page and as its folder under `docs/results/`.
    pub run_id: String,
    /// What produced it.
    pub environment: Environment,
}

impl Stamp {
    /// The stamp of a run started now, from the checkout at `root`, with
    /// `command` (already redacted) and the reference tools found by
    /// `tool_version`.
    pub fn read(
        root: &Path,
        command: String,
        tool_version: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let git = |args: &[&str]| output(Command::new("git").arg("-C").arg(root).args(args));
        let commit = git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".to_owned());
        let dirty = git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
        let date = output(Command::new("date").args(["-u", "+%Y-%m-%d"])).unwrap_or_default();
        let environment = Environment {
            commit,
            dirty,
            command,
            rustc: output(Command::new("rustc").arg("--version"))
                .unwrap_or_else(|| "unknown".to_owned()),
            crates: crate_versions(CARGO_LOCK),
            tools: ["wrk", "oha", "h2load"]
                .into_iter()
                .map(|tool| (tool.to_owned(), tool_version(tool)))
                .collect(),
        };
        Stamp {
            run_id: run_id(&date, &environment.commit),
            environment,
        }
    }
}

/// `<date>-<short commit>`: the commit's first 7 characters.
pub fn run_id(date: &str, commit: &str) -> String {
    let short: String = commit.chars().take(7).collect();
    format!("{date}-{short}")
}

/// A command's standard output, trimmed, when it ran and succeeded.
fn output(command: &mut Command) -> Option<String> {
    let out = command.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The version a reference tool prints of itself: `wrk -v` (which exits 1
/// after printing it), `oha --version`, `h2load --version`; its first line,
/// e.g. `wrk 4.1.0 [epoll] Copyright (C) 2012 Will Glozer` gives
/// `4.1.0 [epoll]`. `None` when it cannot be run.
pub fn tool_version(program: &Path, tool: &str) -> Option<String> {
    let flag = if tool == "wrk" { "-v" } else { "--version" };
    let out = Command::new(program).arg(flag).output().ok()?;
    // wrk prints to stdout and exits 1: read whatever it printed.
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    version_line(tool, &text)
}

/// The version in a tool's `--version` text (see [`tool_version`]).
pub fn version_line(tool: &str, text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let line = line.strip_prefix(tool).unwrap_or(line).trim();
    let line = line.split(" Copyright").next().unwrap_or(line).trim();
    (!line.is_empty()).then(|| line.to_owned())
}

/// The version of each of [`CRATES`] in the lock file `lock` (every
/// version, comma-separated, when the lock resolves a crate twice).
pub fn crate_versions(lock: &str) -> BTreeMap<String, String> {
    #[derive(Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Package>,
    }
    #[derive(Deserialize)]
    struct Package {
        name: String,
        version: String,
    }
    let packages = toml::from_str::<Lock>(lock)
        .map(|l| l.package)
        .unwrap_or_default();
    let mut versions: BTreeMap<String, String> = BTreeMap::new();
    for package in packages {
        if CRATES.contains(&package.name.as_str()) {
            versions
                .entry(package.name)
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&package.version);
                })
                .or_insert(package.version);
        }
    }
    versions
}

/// What `results.json`'s `machine` gains beside cores, kernel, cpu and
/// date: `memory_mib` (MemTotal of /proc/meminfo) and `io_uring` (whether
/// compio's runtime got io_uring here rather than falling back to epoll:
/// its rows mean something else without it).
pub fn machine_extras() -> (Option<u64>, bool) {
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| mem_total_mib(&text));
    let io_uring = fetch_compio::CompioRuntime::new(1)
        .is_ok_and(|rt| fetch_core::LocalRuntime::driver(&rt) == "io_uring");
    (memory, io_uring)
}

/// `MemTotal` of a /proc/meminfo text, in MiB.
fn mem_total_mib(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// The lines results.md opens with: the run id and what produced it.
pub fn page_lines(run_id: &str, env: &Environment) -> String {
    let crates: Vec<String> = env
        .crates
        .iter()
        .map(|(name, version)| format!("{name} {version}"))
        .collect();
    let tools: Vec<String> = env
        .tools
        .iter()
        .map(|(name, version)| match version {
            Some(v) => format!("{name} {v}"),
            None => format!("{name} (not installed)"),
        })
        .collect();
    let dirty = if env.dirty {
        " **with uncommitted changes**"
    } else {
        ""
    };
    format!(
        "Run `{run_id}`: commit `{}`{dirty}; {}; `{}`.\n\
         Crates: {}. Tools: {}.\n",
        env.commit,
        env.rustc,
        env.command,
        crates.join(", "),
        tools.join(", "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_this_binary_was_built_with_names_every_crate() {
        let versions = crate_versions(CARGO_LOCK);
        for name in CRATES {
            let version = versions.get(name).map(String::as_str).unwrap_or("");
            assert!(
                version.chars().next().is_some_and(|c| c.is_ascii_digit()),
                "{name}: {version:?}"
            );
        }
    }

    #[test]
    fn a_crate_resolved_twice_lists_both_versions() {
        let lock = r#"
version = 4
[[package]]
name = "hyper"
version = "0.14.32"
[[package]]
name = "hyper"
version = "1.8.1"
[[package]]
name = "serde"
version = "1.0.0"
"#;
        let versions = crate_versions(lock);
        assert_eq!(versions.get("hyper").unwrap(), "0.14.32, 1.8.1");
        assert!(!versions.contains_key("serde"));
    }

    #[test]
    fn tool_versions_are_read_from_their_first_line() {
        assert_eq!(
            version_line(
                "wrk",
                "wrk 4.1.0 [epoll] Copyright (C) 2012 Will Glozer\nUsage: wrk <options> <url>\n"
            )
            .as_deref(),
            Some("4.1.0 [epoll]")
        );
        assert_eq!(
            version_line("oha", "oha 1.16.0\n").as_deref(),
            Some("1.16.0")
        );
        assert_eq!(
            version_line("h2load", "h2load nghttp2/1.64.0\n").as_deref(),
            Some("nghttp2/1.64.0")
        );
        assert_eq!(version_line("oha", "\n"), None);
    }

    #[test]
    fn the_run_id_is_the_date_and_the_short_commit() {
        assert_eq!(
            run_id("2026-12-02", "8ffa357d0c1e2b3a4f5e6d7c8b9a0f1e2d3c4b5a"),
            "2026-12-02-8ffa357"
        );
        assert_eq!(run_id("2026-12-02", "unknown"), "2026-12-02-unknown");
    }

    #[test]
    fn memory_is_read_from_meminfo() {
        let meminfo = "MemTotal:        8152892 kB\nMemFree:  1 kB\n";
        assert_eq!(mem_total_mib(meminfo), Some(7961));
        assert_eq!(mem_total_mib("nothing"), None);
    }
}
