//! The command line, as clap derive types. The same for every runtime binary;
//! only the list of clients differs, filled in from [`crate::App`].

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Global options and the command.
#[derive(Debug, Parser)]
#[command(version, propagate_version = true)]
pub(crate) struct Cli {
    /// Worker threads of the async runtime [default: available cores].
    #[arg(long, global = true, value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) threads: Option<u16>,

    /// HTTP client to use; the possible values are the clients this binary offers.
    #[arg(long, global = true)]
    pub(crate) client: Option<String>,

    /// Time limit for each request: "500ms", "10s", "1m".
    #[arg(long, global = true, default_value = "10s", value_parser = parse_duration)]
    pub(crate) timeout: Duration,

    /// Largest response body accepted, in bytes; a longer one is an error.
    #[arg(long, global = true, default_value_t = fetch_core::ClientConfig::DEFAULT_MAX_BODY)]
    pub(crate) max_body: usize,

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
    Lesson {
        /// The lesson to run (its possible values come from the lessons' registry).
        name: Option<String>,
        /// Print the measured numbers as one JSON object.
        #[arg(long)]
        json: bool,
        /// Run one measurement step (used by lessons for their child processes).
        #[arg(long, hide = true, requires = "name")]
        step: Option<String>,
        /// The fixture server a step talks to.
        #[arg(long, hide = true)]
        base: Option<String>,
    },
}

/// Options of `load`.
#[derive(Debug, Args)]
pub(crate) struct LoadArgs {
    /// URL to load; each "{id}" becomes 1, 2, 3, ... [default: the embedded server's /users/{id}].
    #[arg(long)]
    pub(crate) url: Option<String>,

    /// Number of requests [default: 10000 unless -d is given].
    #[arg(short = 'n', long, conflicts_with = "duration", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) requests: Option<u64>,

    /// Run for this long instead of a number of requests: "10s", "1m".
    #[arg(short = 'd', long, value_parser = parse_duration)]
    pub(crate) duration: Option<Duration>,

    /// Requests in flight at once.
    #[arg(short = 'c', long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) concurrency: u32,

    /// Connections per host [default: the concurrency]. Below -c, only this many requests are on the wire at once and the rest queue for a free connection; their wait counts in their latency.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) connections: Option<u32>,

    /// What each request does with the body [default: user on the embedded server, none for a URL you give].
    #[arg(long, value_enum)]
    pub(crate) parse: Option<ParseArg>,

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_zero_is_refused() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1m 30s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("ten seconds").unwrap_err().contains("try"));
    }

    #[test]
    fn clap_definition_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
