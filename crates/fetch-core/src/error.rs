//! One error type for everything a fetch can run into, and the kinds a load
//! report counts.
//!
//! Every variant keeps the lower-level error as its `source`, so printing the
//! chain (`{:#}` with anyhow, or walking [`std::error::Error::source`]) shows
//! the real cause: "could not connect to http://127.0.0.1:1/: tcp connect
//! error: Connection refused (os error 111)".

use std::fmt;
use std::time::Duration;

/// A boxed error from a client library, kept as the source of a [`FetchError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong while fetching one URL.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL does not parse, or names a scheme no client here speaks.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// A client could not be built from its configuration: a `--ca-cert`
    /// whose certificate does not parse, a TLS setup the library refused.
    /// It happens before any request, never as a request's outcome.
    #[error("could not set up the client: {what}")]
    Setup {
        /// What was being set up.
        what: String,
        /// The library's error.
        #[source]
        source: BoxError,
    },
    /// No TCP (or TLS) connection could be made: refused, unreachable, DNS failed.
    #[error("could not connect to {url}")]
    Connect {
        /// The URL being fetched.
        url: String,
        /// The client library's error.
        #[source]
        source: BoxError,
    },
    /// No connection could be made within the connect time limit (a full
    /// listen queue, a host that drops SYNs): the time went to connecting,
    /// not to waiting for an answer.
    #[error("could not connect to {url} within {}", humanize(*.after))]
    ConnectTimeout {
        /// The URL being fetched.
        url: String,
        /// The connect time limit that ran out.
        after: Duration,
    },
    /// No full answer arrived within the time limit.
    #[error("no answer from {url} within {}", humanize(*.after))]
    Timeout {
        /// The URL being fetched.
        url: String,
        /// The time limit that ran out.
        after: Duration,
    },
    /// The server answered with a status other than 2xx.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL being fetched.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The body was longer than the configured limit.
    #[error("the body of {url} is larger than the limit of {limit} bytes")]
    BodyTooLarge {
        /// The URL being fetched.
        url: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body arrived but is not what was expected (not JSON, wrong fields, ...).
    #[error("the body of {url} is not a valid {what}")]
    Decode {
        /// The URL being fetched.
        url: String,
        /// What the body should have been ("User JSON", "HTML page").
        what: &'static str,
        /// The decoder's error.
        #[source]
        source: BoxError,
    },
    /// Redirects that cannot be followed: a loop, more than the most
    /// allowed, or a `Location` that is not a URL this client can fetch.
    #[error("{problem}: {}", chain.join(" -> "))]
    Redirect {
        /// The URL first asked for.
        url: String,
        /// What is wrong ("redirect loop", "more than 10 redirects", ...).
        problem: String,
        /// Every URL on the way, the one asked for first, the one refused last.
        chain: Vec<String>,
    },
    /// The connection failed after it was made: reset, closed early, bad HTTP.
    #[error("the exchange with {url} failed")]
    Transport {
        /// The URL being fetched.
        url: String,
        /// The client library's error.
        #[source]
        source: BoxError,
        /// The connection was found closed or reset before any byte of
        /// the answer came back (and, where the client can tell, it was a
        /// reused one): the server never saw the request through, so an
        /// idempotent request may be sent again ([`FetchError::is_unanswered`]).
        unanswered: bool,
    },
}

impl FetchError {
    /// The kind a load report counts this error as.
    pub fn kind(&self) -> ErrorKind {
        match self {
            FetchError::InvalidUrl { .. } => ErrorKind::InvalidUrl,
            FetchError::Setup { .. } => ErrorKind::Setup,
            FetchError::Connect { .. } => ErrorKind::Connect,
            FetchError::ConnectTimeout { .. } => ErrorKind::ConnectTimeout,
            FetchError::Timeout { .. } => ErrorKind::Timeout,
            FetchError::Status { status, .. } => ErrorKind::Status(*status),
            FetchError::BodyTooLarge { .. } => ErrorKind::BodyTooLarge,
            FetchError::Decode { .. } => ErrorKind::Decode,
            FetchError::Redirect { .. } => ErrorKind::Redirect,
            FetchError::Transport { .. } => ErrorKind::Transport,
        }
    }

    /// A client that could not be built: `what` was being set up.
    pub fn setup(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        FetchError::Setup {
            what: what.into(),
            source: source.into(),
        }
    }

    /// Wraps a client library's error as a connect error.
    pub fn connect(url: &str, source: impl Into<BoxError>) -> Self {
        FetchError::Connect {
            url: url.to_owned(),
            source: source.into(),
        }
    }

    /// Wraps a client library's error as a transport error.
    pub fn transport(url: &str, source: impl Into<BoxError>) -> Self {
        FetchError::Transport {
            url: url.to_owned(),
            source: source.into(),
            unanswered: false,
        }
    }

    /// Wraps a client library's error that came before any byte of the
    /// answer (while sending, or waiting for the head) as a transport
    /// error; one that says the connection was closed or reset
    /// ([`is_closed_connection`]) is marked [`FetchError::is_unanswered`].
    /// A client that can tell a reused connection from a new one passes
    /// `reused`, and only a reused one is marked; one that cannot passes
    /// `true`.
    pub fn transport_before_answer(url: &str, source: impl Into<BoxError>, reused: bool) -> Self {
        let source = source.into();
        FetchError::Transport {
            url: url.to_owned(),
            unanswered: reused && is_closed_connection(&*source),
            source,
        }
    }

    /// Whether the request failed because its connection was found closed
    /// before any byte of the answer: sending it again on a fresh one is
    /// safe when its method is idempotent (RFC 9110, 9.2.2).
    pub fn is_unanswered(&self) -> bool {
        matches!(
            self,
            FetchError::Transport {
                unanswered: true,
                ..
            }
        )
    }

    /// The message of this error followed by every source, joined by ": ".
    ///
    /// ```
    /// use fetch_core::FetchError;
    /// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    /// let err = FetchError::connect("http://127.0.0.1:1/", io);
    /// assert_eq!(err.chain(), "could not connect to http://127.0.0.1:1/: refused");
    /// ```
    pub fn chain(&self) -> String {
        error_chain(self)
    }
}

/// Formats an error and all of its sources as one line, "outer: inner: root".
///
/// Client libraries often repeat their source's text in their own message; a
/// source whose text is already part of the line is skipped.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}

/// Whether `err`, or any error in its source chain, is a failed connect:
/// an I/O error of a connect kind (refused, unreachable, no address), or,
/// for client libraries that turn their errors into text on the way
/// (surf's pool, ureq's resolver), a message that names one. Client
/// adapters use it to tell [`FetchError::Connect`] from
/// [`FetchError::Transport`].
///
/// ```
/// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// assert!(fetch_core::is_connect_failure(&refused));
/// let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
/// assert!(!fetch_core::is_connect_failure(&reset));
/// ```
pub fn is_connect_failure(err: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind::{
        AddrNotAvailable, ConnectionRefused, HostUnreachable, NetworkUnreachable,
    };
    chain_says(
        err,
        &[
            ConnectionRefused,
            AddrNotAvailable,
            HostUnreachable,
            NetworkUnreachable,
        ],
        &[
            "Connection refused",
            "No route to host",
            "Network is unreachable",
            "failed to lookup address",
            "Name or service not known",
        ],
    )
}

/// Whether `err`, or an error in its source chain, says the connection
/// was closed or reset under the request: an I/O error of such a kind
/// (reset, aborted, broken pipe, end of file) or, for client libraries that
/// turn their errors into text on the way, a message that names one.
/// Client adapters call it (through [`FetchError::transport_before_answer`])
/// only for errors before the answer's first byte.
///
/// ```
/// let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
/// assert!(fetch_core::is_closed_connection(&reset));
/// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// assert!(!fetch_core::is_closed_connection(&refused));
/// ```
pub fn is_closed_connection(err: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    chain_says(
        err,
        &[
            ConnectionReset,
            ConnectionAborted,
            BrokenPipe,
            UnexpectedEof,
        ],
        &[
            "connection closed before message completed",
            "Connection reset by peer",
            "Broken pipe",
            "connection closed",
            "unexpected end of file",
        ],
    )
}

/// Whether `err` or an error in its source chain is an I/O error of one of
/// `kinds`, or has one of `texts` in its message.
fn chain_says(
    err: &(dyn std::error::Error + 'static),
    kinds: &[std::io::ErrorKind],
    texts: &[&str],
) -> bool {
    let mut next = Some(err);
    while let Some(cause) = next {
        let kind = cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind);
        if kind.is_some_and(|kind| kinds.contains(&kind)) {
            return true;
        }
        let text = cause.to_string();
        if texts.iter().any(|t| text.contains(t)) {
            return true;
        }
        next = cause.source();
    }
    false
}

/// The kinds a load report counts. Each request ends as `ok` or as exactly one
/// of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// See [`FetchError::InvalidUrl`].
    InvalidUrl,
    /// See [`FetchError::Setup`].
    Setup,
    /// See [`FetchError::Connect`].
    Connect,
    /// See [`FetchError::ConnectTimeout`].
    ConnectTimeout,
    /// See [`FetchError::Timeout`].
    Timeout,
    /// See [`FetchError::Status`]; counted per status code.
    Status(u16),
    /// See [`FetchError::BodyTooLarge`].
    BodyTooLarge,
    /// See [`FetchError::Decode`].
    Decode,
    /// See [`FetchError::Redirect`].
    Redirect,
    /// See [`FetchError::Transport`].
    Transport,
    /// The request had started when the run was stopped (Ctrl-C).
    Cancelled,
    /// The task running the request panicked; a bug in a client library or here.
    Panicked,
}

impl ErrorKind {
    /// How reports write [`ErrorKind::Cancelled`]: the key of requests cut
    /// off at a `-d` run's end or by Ctrl-C in a report's `errors`.
    pub const CANCELLED: &'static str = "cancelled";

    /// Whether a request that failed this way got a final answer (a
    /// status other than 2xx, or a body that did not parse): such a
    /// request is counted in the report's `statuses` too.
    pub fn has_answer(&self) -> bool {
        match self {
            ErrorKind::Status(_) | ErrorKind::Decode => true,
            ErrorKind::InvalidUrl
            | ErrorKind::Setup
            | ErrorKind::Connect
            | ErrorKind::ConnectTimeout
            | ErrorKind::Timeout
            | ErrorKind::BodyTooLarge
            | ErrorKind::Redirect
            | ErrorKind::Transport
            | ErrorKind::Cancelled
            | ErrorKind::Panicked => false,
        }
    }

    /// [`ErrorKind::has_answer`] of a kind written as a report writes it
    /// (`http_404`, `decode`, `timeout`, ...).
    pub fn name_has_answer(name: &str) -> bool {
        name == "decode"
            || name
                .strip_prefix("http_")
                .is_some_and(|code| code.parse::<u16>().is_ok())
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::InvalidUrl => f.write_str("invalid_url"),
            ErrorKind::Setup => f.write_str("setup"),
            ErrorKind::Connect => f.write_str("connect"),
            ErrorKind::ConnectTimeout => f.write_str("connect_timeout"),
            ErrorKind::Timeout => f.write_str("timeout"),
            ErrorKind::Status(code) => write!(f, "http_{code}"),
            ErrorKind::BodyTooLarge => f.write_str("body_too_large"),
            ErrorKind::Decode => f.write_str("decode"),
            ErrorKind::Redirect => f.write_str("redirect"),
            ErrorKind::Transport => f.write_str("transport"),
            ErrorKind::Cancelled => f.write_str(Self::CANCELLED),
            ErrorKind::Panicked => f.write_str("panicked"),
        }
    }
}

/// "250ms", "10s", "1.5s": short, for messages.
pub(crate) fn humanize(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.3}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_and_its_name_agree_on_whether_an_answer_came() {
        for kind in [
            ErrorKind::InvalidUrl,
            ErrorKind::Setup,
            ErrorKind::Connect,
            ErrorKind::ConnectTimeout,
            ErrorKind::Timeout,
            ErrorKind::Status(404),
            ErrorKind::BodyTooLarge,
            ErrorKind::Decode,
            ErrorKind::Redirect,
            ErrorKind::Transport,
            ErrorKind::Cancelled,
            ErrorKind::Panicked,
        ] {
            assert_eq!(
                kind.has_answer(),
                ErrorKind::name_has_answer(&kind.to_string()),
                "{kind}"
            );
        }
    }

    #[test]
    fn kinds_have_stable_names() {
        let names: Vec<String> = [
            ErrorKind::InvalidUrl,
            ErrorKind::Connect,
            ErrorKind::Timeout,
            ErrorKind::Status(503),
            ErrorKind::BodyTooLarge,
            ErrorKind::Decode,
            ErrorKind::Redirect,
            ErrorKind::ConnectTimeout,
            ErrorKind::Transport,
            ErrorKind::Cancelled,
            ErrorKind::Panicked,
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            names,
            [
                "invalid_url",
                "connect",
                "timeout",
                "http_503",
                "body_too_large",
                "decode",
                "redirect",
                "connect_timeout",
                "transport",
                "cancelled",
                "panicked"
            ]
        );
    }

    #[test]
    fn chain_walks_sources_and_skips_repeats() {
        #[derive(Debug, thiserror::Error)]
        #[error("client error (Connect): refused")]
        struct Repeating(#[source] std::io::Error);
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let err = FetchError::connect("http://x/", Repeating(io));
        assert_eq!(
            err.chain(),
            "could not connect to http://x/: client error (Connect): refused"
        );
        assert_eq!(err.kind(), ErrorKind::Connect);
    }

    #[test]
    fn timeout_message_names_the_limit() {
        let err = FetchError::Timeout {
            url: "http://x/".into(),
            after: Duration::from_millis(250),
        };
        assert_eq!(err.to_string(), "no answer from http://x/ within 250ms");
    }
}
