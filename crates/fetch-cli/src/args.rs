//! The command line, as clap derive types. The same for every runtime binary;
//! only the list of clients differs, filled in from [`crate::App`].

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Global options and the command. The global options carry a heading of
/// their own, so `load --help` lists load's options apart from them.
#[derive(Debug, Parser)]
#[command(version, propagate_version = true)]
pub(crate) struct Cli {
    /// Worker threads of the async runtime [default: available cores].
    #[arg(long, global = true, help_heading = "Global options", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) threads: Option<u16>,

    /// HTTP client to use; the possible values are the clients this binary offers.
    #[arg(long, global = true, help_heading = "Global options")]
    pub(crate) client: Option<String>,

    /// Time limit for each request, from 1ms to 1h: "500ms", "10s", "1m".
    #[arg(long, global = true, help_heading = "Global options", default_value = "10s", value_parser = parse_timeout)]
    pub(crate) timeout: Duration,

    /// Time limit for opening a connection, from 1ms to 1h (no more than --timeout): a connect over it counts as connect_timeout, apart from a late answer.
    #[arg(long, global = true, help_heading = "Global options", default_value = "5s", value_parser = parse_timeout)]
    pub(crate) connect_timeout: Duration,

    /// Largest response body accepted ("64KiB", "10 MiB", "1MB", or bytes); a longer one is an error.
    #[arg(long, global = true, help_heading = "Global options", default_value = "10 MiB", value_parser = parse_size)]
    pub(crate) max_body: usize,

    /// Redirects (301, 302, 303, 307, 308) to follow at most per request, 0 to 100; 0 follows none, and a 3xx then fails as http_3xx.
    #[arg(long, global = true, help_heading = "Global options", default_value_t = fetch_core::MAX_REDIRECTS, value_parser = clap::value_parser!(u32).range(..=100))]
    pub(crate) max_redirects: u32,

    /// Trust this CA certificate (a PEM file) for https, besides the client's usual roots. Certificates are always verified; nothing turns that off.
    #[arg(long, global = true, help_heading = "Global options", value_name = "PATH", value_parser = parse_ca_cert)]
    pub(crate) ca_cert: Option<fetch_core::CaCert>,

    /// Speak HTTP/2: ALPN h2 over https, prior knowledge over http. Requests then share connections: -c caps the requests in flight, --connections the sockets.
    #[arg(long, global = true, help_heading = "Global options")]
    pub(crate) http2: bool,

    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// A short guided run on the embedded server: titles, a user, a load run (the default).
    Tour,
    /// Print each page's <title> (no URL: three pages of the embedded server).
    Title {
        /// Pages to fetch, fetched concurrently.
        urls: Vec<String>,
    },
    /// Fetch a user as JSON from BASE/users/ID.
    User {
        /// The user's id.
        id: u64,
        /// Server to ask [default: the embedded server].
        #[arg(long)]
        base: Option<String>,
    },
    /// Send many requests, many at once, and report throughput, latency and errors.
    Load(LoadArgs),
    /// The lessons of the async fn pattern, measured (no name: list them).
    Lesson(LessonArgs),
}

/// Options of `lesson`.
#[derive(Debug, Args)]
pub(crate) struct LessonArgs {
    /// The lesson to run (its possible values come from the lessons' registry).
    pub(crate) name: Option<String>,
    /// Print the measured numbers as one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
    /// Run one measurement step (used by lessons for their child processes).
    #[arg(long, hide = true, requires = "name")]
    pub(crate) step: Option<String>,
    /// The fixture server a step talks to.
    #[arg(long, hide = true)]
    pub(crate) base: Option<String>,
}

/// Options of `load`.
#[derive(Debug, Args)]
pub(crate) struct LoadArgs {
    /// URL to load; each "{id}" becomes 1, 2, 3, ... [default: the embedded server's /users/{id}].
    #[arg(long)]
    pub(crate) url: Option<String>,

    /// Load the URLs in this file instead, one per line, taken in turn ("{id}" works in each).
    #[arg(long, value_name = "PATH", conflicts_with = "url")]
    pub(crate) url_file: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub(crate) request: crate::request::RequestArgs,

    /// Number of requests [default: 10000 unless -d is given].
    #[arg(short = 'n', long, conflicts_with = "duration", value_parser = parse_requests)]
    pub(crate) requests: Option<u64>,

    /// Run for this long instead of a number of requests: "10s", "1m".
    #[arg(short = 'd', long, value_parser = parse_duration)]
    pub(crate) duration: Option<Duration>,

    /// With -d: let the requests in flight at the end finish (counted by their outcome) instead of cancelling them there, as wrk's -d and oha's -z do.
    #[arg(long, requires = "duration")]
    pub(crate) wait_ongoing: bool,

    /// Requests in flight at once.
    #[arg(short = 'c', long, default_value_t = 100, value_parser = parse_in_flight)]
    pub(crate) concurrency: u32,

    /// Connections per host [default: the concurrency; more than -c is cut to -c]. Below -c, only this many requests are on the wire at once and the rest queue for a free connection; their wait counts in their latency.
    #[arg(long, value_parser = parse_in_flight)]
    pub(crate) connections: Option<u32>,

    /// Open loop: send this many requests per second (all workers together) whatever the answers, and count each request's latency from when it was due, not from when it was sent (no coordinated omission). -c stays the most requests in flight: due requests beyond it wait, in order, and the wait counts.
    #[arg(long, value_parser = parse_rate)]
    pub(crate) rate: Option<f64>,

    /// Open a new connection for every request (and with https, a new TLS handshake), instead of keeping connections for the next one. Not with --http2.
    #[arg(long)]
    pub(crate) no_keepalive: bool,

    /// What each request does with the body [default: user on the embedded server, none for a URL you give].
    #[arg(long, value_enum)]
    pub(crate) parse: Option<ParseArg>,

    /// Run on these CPUs only (a Linux CPU list: "0-3,8"), set before anything else starts, so the default --threads is their number; a thread-per-core runtime puts shard i on the i-th. The report records the CPUs the process was allowed.
    #[arg(long, value_name = "LIST")]
    pub(crate) cpus: Option<fetch_core::CpuList>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub(crate) output: Output,
}

/// `--parse` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ParseArg {
    /// Decode a User from JSON, as get_user does.
    User,
    /// Extract the <title>, as fetch_title does.
    Title,
    /// Only read the body.
    None,
}

impl From<ParseArg> for fetch_core::Parse {
    fn from(p: ParseArg) -> Self {
        match p {
            ParseArg::User => fetch_core::Parse::User,
            ParseArg::Title => fetch_core::Parse::Title,
            ParseArg::None => fetch_core::Parse::None,
        }
    }
}

/// `--output` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// A summary for people.
    Text,
    /// One JSON object, for scripts.
    Json,
}

/// Parses "250ms", "10s", "1m 30s"; refuses zero.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("{e} (try \"500ms\", \"10s\", \"1m\")"))?;
    if d.is_zero() {
        return Err("must be more than zero".to_owned());
    }
    Ok(d)
}

/// The shortest and longest `--timeout`: below a millisecond the timers of
/// the runtimes here cannot honour it (they tick in milliseconds), and a
/// request that may take more than an hour is not a timeout.
pub(crate) const TIMEOUT_RANGE: (Duration, Duration) =
    (Duration::from_millis(1), Duration::from_secs(3600));

/// A duration within [`TIMEOUT_RANGE`].
fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    let (least, most) = TIMEOUT_RANGE;
    if d < least || d > most {
        return Err(format!(
            "must be from {} to {} (the runtimes' timers count whole milliseconds)",
            humantime::format_duration(least),
            humantime::format_duration(most)
        ));
    }
    Ok(d)
}

/// A size in bytes: "65536", "64KiB", "10 MiB", "1MB" (KB, MB are powers
/// of 1,000; KiB, MiB of 1,024).
fn parse_size(s: &str) -> Result<usize, String> {
    let size: bytesize::ByteSize = s
        .parse()
        .map_err(|_| "not a size (try \"64KiB\", \"10 MiB\", \"1048576\")".to_owned())?;
    if size.as_u64() == 0 {
        return Err("must be more than zero".to_owned());
    }
    usize::try_from(size.as_u64()).map_err(|_| "too large for this machine".to_owned())
}

/// The most requests in flight (and connections) a run may ask for.
pub(crate) const MOST_IN_FLIGHT: u32 = 1_000_000;

/// A whole number from `1` to `most`, with one message for every count.
fn count(s: &str, most: u64) -> Result<u64, String> {
    let range = || format!("must be a whole number from 1 to {most}");
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=most).contains(&n) => Ok(n),
        _ => Err(range()),
    }
}

/// `-n`: requests in a run.
fn parse_requests(s: &str) -> Result<u64, String> {
    count(s, u64::from(u32::MAX) * 1000)
}

/// `-c`, `--connections`.
fn parse_in_flight(s: &str) -> Result<u32, String> {
    count(s, u64::from(MOST_IN_FLIGHT)).map(|n| n as u32)
}

/// The highest `--rate`: ten million requests a second is beyond any
/// machine this runs on, and keeps the schedule's arithmetic exact.
const MOST_RATE: f64 = 10_000_000.0;

/// `--rate`: requests per second, a positive number (fractions allowed:
/// "0.5" is one every two seconds).
fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(rate) if rate > 0.0 && rate <= MOST_RATE => Ok(rate),
        _ => Err(format!(
            "{s:?} is not a rate: requests per second, a number above 0 and at most {MOST_RATE:.0}"
        )),
    }
}

/// `--ca-cert`: reads the file now, so a wrong path is a usage error, and
/// checks that it holds a PEM certificate (the client parses it in full).
fn parse_ca_cert(path: &str) -> Result<fetch_core::CaCert, String> {
    let pem = std::fs::read(path).map_err(|e| format!("could not read {path}: {e}"))?;
    if !pem
        .windows(b"-----BEGIN CERTIFICATE-----".len())
        .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        return Err(format!(
            "{path} holds no PEM certificate (no \"-----BEGIN CERTIFICATE-----\" line)"
        ));
    }
    Ok(fetch_core::CaCert {
        path: path.into(),
        pem: pem.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_positive_numbers() {
        assert_eq!(parse_rate("5000"), Ok(5000.0));
        assert_eq!(parse_rate("0.5"), Ok(0.5));
        for bad in ["0", "-3", "NaN", "inf", "fast", "20000000"] {
            assert!(parse_rate(bad).unwrap_err().contains("not a rate"), "{bad}");
        }
    }

    #[test]
    fn durations_parse_and_zero_is_refused() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1m 30s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("ten seconds").unwrap_err().contains("try"));
    }

    #[test]
    fn timeouts_are_from_a_millisecond_to_an_hour() {
        assert_eq!(parse_timeout("1ms"), Ok(Duration::from_millis(1)));
        assert_eq!(parse_timeout("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_timeout("1ns").unwrap_err().contains("from 1ms to 1h"));
        assert!(parse_timeout("999us").is_err());
        assert!(parse_timeout("2h").is_err());
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("10 MiB"), Ok(10 << 20));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("1MB"), Ok(1_000_000));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
    }

    #[test]
    fn counts_share_one_range_message() {
        for bad in ["0", "-5", "1.5", "many"] {
            assert_eq!(
                parse_in_flight(bad).unwrap_err(),
                "must be a whole number from 1 to 1000000"
            );
            assert!(
                parse_requests(bad)
                    .unwrap_err()
                    .starts_with("must be a whole number from 1 to ")
            );
        }
        assert_eq!(parse_in_flight("1000000"), Ok(1_000_000));
        assert!(parse_in_flight("1000001").is_err());
    }

    #[test]
    fn clap_definition_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
