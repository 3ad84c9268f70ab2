//! Fault injection: a server that answers `GET /users/{id}` like the
//! fixture server, except that, at chosen rates, it fails on purpose.
//!
//! | fault | what the server does | what a client sees |
//! |---|---|---|
//! | `error` | answers 500 or 503 | an HTTP status error |
//! | `reset` | reads the request, then resets the connection (RST) | a transport error |
//! | `stall` | reads the request, then says nothing for `stall_ms` | a timeout |
//! | `truncate` | sends half of a body whose Content-Length says more, then closes | a transport error |
//! | `garbage` | answers 200 with a body that is not JSON | a decode error |
//!
//! Which request gets which fault depends only on the seed and the user id,
//! so a run is reproducible, and a test can compute what was injected for
//! ids 1..=N without asking ([`ChaosConfig::fault_for`]). The server also
//! counts what it injected: `GET /stats`, [`crate::Server::chaos_stats`],
//! and a summary line when the binary exits.
//!
//! This part talks HTTP/1.1 by hand, on purpose: resetting a connection or
//! cutting a body short are exactly what a well-behaved HTTP library (axum,
//! hyper) will not do for you.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::ConnectionStats;
use crate::counting::Counted;
use crate::routes::{MAX_USER_ID, user_for};

/// What to inject, and how often (each a probability from 0 to 1).
#[derive(Debug, Clone, PartialEq)]
pub struct ChaosConfig {
    /// Answer 500 or 503.
    pub error: f64,
    /// Reset the connection instead of answering.
    pub reset: f64,
    /// Say nothing for `stall_ms`, then close.
    pub stall: f64,
    /// Send a body shorter than its Content-Length.
    pub truncate: f64,
    /// Send a body that is not JSON.
    pub garbage: f64,
    /// How long a stall lasts, in ms; longer than the client's timeout.
    pub stall_ms: u64,
    /// Picks which ids get which fault.
    pub seed: u64,
}

impl Default for ChaosConfig {
    fn default() -> Self {
        ChaosConfig {
            error: 0.0,
            reset: 0.0,
            stall: 0.0,
            truncate: 0.0,
            garbage: 0.0,
            stall_ms: 30_000,
            seed: 0,
        }
    }
}

/// The faults, and `Ok` for a normal answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// A normal answer.
    Ok,
    /// 500 or 503.
    Error(u16),
    /// Connection reset.
    Reset,
    /// No answer.
    Stall,
    /// Short body.
    Truncate,
    /// Not JSON.
    Garbage,
}

impl Fault {
    /// The name `/stats` and the summary use.
    pub fn name(self) -> String {
        match self {
            Fault::Ok => "ok".into(),
            Fault::Error(code) => format!("error_{code}"),
            Fault::Reset => "reset".into(),
            Fault::Stall => "stall".into(),
            Fault::Truncate => "truncate".into(),
            Fault::Garbage => "garbage".into(),
        }
    }
}

impl FromStr for ChaosConfig {
    type Err = String;

    /// Parses `error=0.05,reset=0.05,stall=0.02,truncate=0.02,garbage=0.02,seed=7,stall_ms=5000`.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut c = ChaosConfig::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not KEY=VALUE"))?;
            let rate = |v: &str| -> Result<f64, String> {
                let r: f64 = v
                    .parse()
                    .map_err(|_| format!("{key}: {v:?} is not a number"))?;
                if (0.0..=1.0).contains(&r) {
                    Ok(r)
                } else {
                    Err(format!("{key}: {r} is not a rate from 0 to 1"))
                }
            };
            let int = |v: &str| {
                v.parse::<u64>()
                    .map_err(|_| format!("{key}: {v:?} is not a whole number"))
            };
            match key {
                "error" => c.error = rate(value)?,
                "reset" => c.reset = rate(value)?,
                "stall" => c.stall = rate(value)?,
                "truncate" => c.truncate = rate(value)?,
                "garbage" => c.garbage = rate(value)?,
                "seed" => c.seed = int(value)?,
                "stall_ms" => c.stall_ms = int(value)?,
                other => {
                    return Err(format!(
                        "unknown chaos key {other:?} (error, reset, stall, truncate, garbage, seed, stall_ms)"
                    ));
                }
            }
        }
        let total = c.error + c.reset + c.stall + c.truncate + c.garbage;
        if total > 1.0 {
            return Err(format!("the rates add up to {total}, more than 1"));
        }
        Ok(c)
    }
}

impl ChaosConfig {
    /// The fault request `id` gets: a pure function of the seed and the id.
    pub fn fault_for(&self, id: u64) -> Fault {
        let h = mix(self.seed ^ mix(id));
        // 53 random bits as a number in [0, 1).
        let x = (h >> 11) as f64 / (1u64 << 53) as f64;
        let mut edge = 0.0;
        for (rate, fault) in [
            (self.error, Fault::Error(if h & 1 == 0 { 500 } else { 503 })),
            (self.reset, Fault::Reset),
            (self.stall, Fault::Stall),
            (self.truncate, Fault::Truncate),
            (self.garbage, Fault::Garbage),
        ] {
            edge += rate;
            if x < edge {
                return fault;
            }
        }
        Fault::Ok
    }
}

/// splitmix64's finaliser: a well-mixed 64-bit hash of `x`.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// What the server injected so far, by fault.
#[derive(Debug, Default)]
pub struct ChaosStats {
    counts: std::sync::Mutex<BTreeMap<Fault, u64>>,
    requests: AtomicU64,
}

impl ChaosStats {
    fn count(&self, fault: Fault) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry(fault).or_default() += 1;
    }

    /// Counts by fault name (`ok`, `error_500`, `reset`, ...).
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.iter().map(|(f, n)| (f.name(), *n)).collect()
    }
}

/// Accepts connections until `stop` turns true.
pub(crate) async fn serve(
    listener: TcpListener,
    config: Arc<ChaosConfig>,
    stats: Arc<ChaosStats>,
    connections: Arc<ConnectionStats>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                // Every chaos connection speaks HTTP/1.1.
                connections.speaks(axum::http::Version::HTTP_11);
                let stream = connections.accept(stream);
                tokio::spawn(connection(stream, config.clone(), stats.clone(), connections.clone()));
            }
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// One keep-alive connection: requests until the client closes or a fault ends it.
async fn connection(
    stream: Counted<TcpStream>,
    config: Arc<ChaosConfig>,
    stats: Arc<ChaosStats>,
    connections: Arc<ConnectionStats>,
) {
    let mut stream = BufReader::new(stream);
    loop {
        let Some(path) = read_request(&mut stream).await else {
            return;
        };
        if path == "/stats" {
            let body = serde_json::json!({
                "faults": stats.snapshot(),
                "connections": connections.to_json(),
            })
            .to_string();
            if write(&mut stream, 200, &body, body.len()).await.is_err() {
                return;
            }
            continue;
        }
        let id = path
            .strip_prefix("/users/")
            .and_then(|id| id.parse::<u64>().ok())
            .filter(|id| (1..=MAX_USER_ID).contains(id));
        let Some(id) = id else {
            let body = r#"{"error":"the chaos server only serves /users/{id} and /stats"}"#;
            if write(&mut stream, 404, body, body.len()).await.is_err() {
                return;
            }
            continue;
        };
        let fault = config.fault_for(id);
        stats.count(fault);
        let user = serde_json::to_string(&user_for(id)).unwrap_or_default();
        let result = match fault {
            Fault::Ok => write(&mut stream, 200, &user, user.len()).await,
            Fault::Error(code) => {
                let body = format!(r#"{{"error":"injected {code}"}}"#);
                write(&mut stream, code, &body, body.len()).await
            }
            Fault::Garbage => {
                let body = "<html>this is not JSON</html>";
                write(&mut stream, 200, body, body.len()).await
            }
            Fault::Truncate => {
                // Announce the whole body, send half, then close.
                let half = &user[..user.len() / 2];
                let _ = write(&mut stream, 200, half, user.len()).await;
                let _ = stream.get_mut().shutdown().await;
                return;
            }
            Fault::Reset => {
                // Linger 0: closing sends RST instead of FIN.
                let _ = socket2::SockRef::from(stream.get_ref().inner())
                    .set_linger(Some(Duration::ZERO));
                return;
            }
            Fault::Stall => {
                tokio::time::sleep(Duration::from_millis(config.stall_ms)).await;
                return;
            }
        };
        if result.is_err() {
            return;
        }
    }
}

/// Reads one request head; returns its path, or `None` at end of stream
/// or on anything that is not a GET.
async fn read_request(stream: &mut BufReader<Counted<TcpStream>>) -> Option<String> {
    let mut line = String::new();
    if stream.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?, parts.next()?.to_owned());
    // Skip the headers, up to the blank line (GETs here carry no body).
    loop {
        let mut header = String::new();
        if stream.read_line(&mut header).await.ok()? == 0 {
            return None;
        }
        if header.trim_end().is_empty() {
            break;
        }
    }
    (method == "GET").then_some(path)
}

/// Writes a JSON answer whose Content-Length is `length` (a lie when it is
/// more than `body.len()`: that is the truncate fault).
async fn write(
    stream: &mut BufReader<Counted<TcpStream>>,
    status: u16,
    body: &str,
    length: usize,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    };
    let answer = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n{body}"
    );
    let stream = stream.get_mut();
    stream.write_all(answer.as_bytes()).await?;
    stream.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_parses_and_refuses_bad_rates() {
        let c: ChaosConfig =
            "error=0.05, reset=0.05,stall=0.02,truncate=0.02,garbage=0.02,seed=7,stall_ms=500"
                .parse()
                .unwrap();
        assert_eq!(c.error, 0.05);
        assert_eq!(c.seed, 7);
        assert_eq!(c.stall_ms, 500);
        assert!("error=2".parse::<ChaosConfig>().is_err());
        assert!("error=0.6,reset=0.6".parse::<ChaosConfig>().is_err());
        assert!(
            "explode=0.1"
                .parse::<ChaosConfig>()
                .unwrap_err()
                .contains("unknown")
        );
    }

    #[test]
    fn faults_follow_the_rates_and_the_seed() {
        let c: ChaosConfig = "error=0.1,reset=0.1,stall=0.05,truncate=0.05,garbage=0.1,seed=3"
            .parse()
            .unwrap();
        let mut counts = BTreeMap::new();
        for id in 1..=100_000 {
            let name = match c.fault_for(id) {
                Fault::Error(_) => "error".to_owned(),
                f => f.name(),
            };
            *counts.entry(name).or_insert(0u64) += 1;
        }
        let near = |name: &str, rate: f64| {
            let n = counts[name] as f64 / 100_000.0;
            assert!((n - rate).abs() < 0.01, "{name}: {n} vs {rate}");
        };
        near("error", 0.1);
        near("reset", 0.1);
        near("stall", 0.05);
        near("truncate", 0.05);
        near("garbage", 0.1);
        near("ok", 0.6);
        // The same seed gives the same faults; another seed others.
        let again: ChaosConfig = "error=0.1,reset=0.1,stall=0.05,truncate=0.05,garbage=0.1,seed=3"
            .parse()
            .unwrap();
        let other: ChaosConfig = "error=0.1,reset=0.1,stall=0.05,truncate=0.05,garbage=0.1,seed=4"
            .parse()
            .unwrap();
        assert!((1..1000).all(|id| c.fault_for(id) == again.fault_for(id)));
        assert!((1..1000).any(|id| c.fault_for(id) != other.fault_for(id)));
    }
}
