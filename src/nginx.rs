//! A real, stock web server for tests: nginx (Debian's `nginx-light`),
//! started on 127.0.0.1 with a configuration and pages the caller writes.
//!
//! nginx cannot listen on port 0, so [`Nginx::start`] binds port 0 itself,
//! reads the port the kernel gave, closes it, and starts nginx there; if
//! another process took the port in between, nginx fails to bind and the
//! start is tried again on a new port. Everything nginx writes (its
//! configuration, pid, temp folders, access log) lives in a folder of its
//! own under the system temp folder, removed on drop with the process.
//!
//! Where nginx is not installed, [`Nginx::find`] says so and callers skip
//! (a fresh machine running the README's `cargo test`); under CI
//! (`CI=true`) a missing nginx is an error, since `.ci/run` installs it.
//!
//! # Layout
//! - [`Nginx::find`]: the nginx binary, or why there is none.
//! - [`Site`]: the `server { ... }` body and the files to serve.
//! - [`Nginx::start`]: a running nginx; [`Nginx::url`], [`Nginx::access_log`].

use std::io::Read as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::harness::find_program;

/// The access log's format: the fields a test checks, `|`-separated.
pub const LOG_FORMAT: &str = "$status|$request_method|$request_uri|$http_user_agent|$http_accept|\
     $http_accept_encoding|$http_content_length|$http_x_trace|$http_content_type";

/// What nginx serves: the inside of its `server { }` block (after its
/// `listen` and `root`, which [`Nginx::start`] writes), and the files
/// under its root, as (path, bytes).
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// nginx directives: `location`s, `return`s, `default_type`s.
    pub server: String,
    /// Files to write under the root: (relative path, contents).
    pub files: Vec<(String, Vec<u8>)>,
}

/// A running nginx; stopped and its folder removed on drop.
#[derive(Debug)]
pub struct Nginx {
    child: Child,
    dir: PathBuf,
    port: u16,
}

/// Why no nginx can be started here.
#[derive(Debug, thiserror::Error)]
pub enum NginxError {
    /// No nginx binary on this machine.
    #[error("nginx is not installed (Debian: apt-get install nginx-light)")]
    Missing,
    /// nginx was found but did not start.
    #[error("nginx did not start: {0}")]
    Start(String),
}

impl Nginx {
    /// The nginx binary: `$NGINX`, else `nginx` on the PATH or in
    /// `/usr/sbin` (not on a normal user's PATH).
    pub fn find() -> Result<PathBuf, NginxError> {
        if let Some(path) = std::env::var_os("NGINX") {
            return Ok(PathBuf::from(path));
        }
        find_program("nginx", [PathBuf::from("/usr/sbin")]).ok_or(NginxError::Missing)
    }

    /// Starts nginx serving `site` (`site.server` may use `PORT`, which
    /// becomes the port it listens on, for absolute redirects). Retries on
    /// a new port when the one picked was taken meanwhile.
    pub fn start(site: &Site) -> Result<Nginx, NginxError> {
        let binary = Self::find()?;
        let mut last = String::new();
        for _ in 0..5 {
            match Self::start_once(&binary, site) {
                Ok(nginx) => return Ok(nginx),
                Err(e) if e.contains("Address already in use") => last = e,
                Err(e) => return Err(NginxError::Start(e)),
            }
        }
        Err(NginxError::Start(last))
    }

    fn start_once(binary: &Path, site: &Site) -> Result<Nginx, String> {
        static STARTED: AtomicU32 = AtomicU32::new(0);
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let dir = std::env::temp_dir().join(format!(
            "async-fetch-nginx-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        let io = |what: &str, e: std::io::Error| format!("{what} in {}: {e}", dir.display());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("www")).map_err(|e| io("mkdir", e))?;
        for (path, bytes) in &site.files {
            let file = dir.join("www").join(path);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io("mkdir", e))?;
            }
            std::fs::write(&file, bytes).map_err(|e| io("write", e))?;
        }
        let d = dir.display();
        let server = site.server.replace("PORT", &port.to_string());
        // One worker, no master, in the foreground: the test's child is
        // the server. Every path nginx writes is under `dir`.
        let config = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\nevents {{ worker_connections 512; }}\n\
             http {{\n  log_format checks '{LOG_FORMAT}';\n  access_log {d}/access.log checks;\n\
             client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
             server {{\n  listen 127.0.0.1:{port};\n  root {d}/www;\n{server}\n  }}\n}}\n"
        );
        std::fs::write(dir.join("nginx.conf"), config).map_err(|e| io("write", e))?;
        let mut child = Command::new(binary)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        // Ready when it accepts a connection; a failed start exits.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
                let _ = std::fs::remove_dir_all(&dir);
                return Err(format!("nginx exited ({status}): {stderr}{log}"));
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(Nginx { child, dir, port });
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_dir_all(&dir);
                return Err(format!("nginx did not listen on port {port} within 10 s"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The access log so far: one line per request, fields as [`LOG_FORMAT`].
    /// nginx writes each line when the request ends, unbuffered.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
