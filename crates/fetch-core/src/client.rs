//! What an HTTP client must offer: one request sent, its answer read under
//! a body size limit.
//!
//! Each client library (reqwest, hyper, surf, ...) has its own builder, its
//! own error type and its own way of reading a body. The adapters in
//! `fetch-clients` turn each into this one small trait, mapping the library's
//! errors onto [`FetchError`] so a report counts them the same way whatever
//! the client.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;

use crate::{FetchError, Request};

/// An HTTP client that can send a [`Request`].
pub trait HttpClient: Send + Sync + 'static {
    /// A short name for reports: `"reqwest"`, `"hyper"`, ...
    fn name(&self) -> &'static str;

    /// The configuration this client was built with, for reports.
    fn config(&self) -> &ClientConfig;

    /// Sends `request` exactly as it is (its method, headers and body,
    /// with the client's `Host`, `User-Agent` and `Accept` unless the
    /// request sets its own) and reads the whole answer.
    ///
    /// A status other than 2xx is *not* an error here (the caller decides);
    /// a body over [`ClientConfig::max_body`] is [`FetchError::BodyTooLarge`].
    /// A connect that does not finish within
    /// [`ClientConfig::connect_timeout`] is [`FetchError::ConnectTimeout`],
    /// where the library can tell.
    fn send(
        &self,
        request: &Request<'_>,
    ) -> impl Future<Output = Result<Response, FetchError>> + Send;

    /// Sends `request` on a connection opened for it, never a pooled one:
    /// how a request whose reused connection was found closed before any
    /// byte of the answer is sent again (the engine does it once, for
    /// idempotent methods). By default the same as `send`, for a client
    /// whose pool cannot be told (surf): its next connection may be
    /// another one the server closed.
    fn send_fresh(
        &self,
        request: &Request<'_>,
    ) -> impl Future<Output = Result<Response, FetchError>> + Send {
        self.send(request)
    }

    /// `GET url`: the seed's shorthand for [`HttpClient::send`] of
    /// [`Request::get`].
    fn get(&self, url: &str) -> impl Future<Output = Result<Response, FetchError>> + Send {
        async move { self.send(&Request::get(url)).await }
    }

    /// Connections this client has opened so far, or `None` when the
    /// library offers no hook to count them (a report then says so rather
    /// than guess).
    fn connections_opened(&self) -> Option<u64> {
        None
    }
}

/// An HTTP client whose GET blocks the calling thread until the answer is
/// in (ureq). It is not an [`HttpClient`]: blocking inside a future is the
/// seed's "you freeze the entire executor". The one runtime whose tasks
/// may block, the threads baseline (every task an OS thread of its own),
/// turns one into an [`HttpClient`] (`fetch_threads::ThreadsRuntime::client`);
/// no other runtime can, so the compiler keeps it off the executors.
pub trait BlockingHttpClient: Send + Sync + 'static {
    /// A short name for reports: `"ureq"`.
    fn name(&self) -> &'static str;

    /// The configuration this client was built with, for reports.
    fn config(&self) -> &ClientConfig;

    /// Sends `request` and reads the whole answer, blocking this thread;
    /// what [`HttpClient::send`] means, otherwise.
    fn send_blocking(&self, request: &Request<'_>) -> Result<Response, FetchError>;

    /// [`HttpClient::send_fresh`], blocking: by default `send_blocking`.
    fn send_fresh_blocking(&self, request: &Request<'_>) -> Result<Response, FetchError> {
        self.send_blocking(request)
    }

    /// Connections this client has opened so far, when it can tell.
    fn connections_opened(&self) -> Option<u64> {
        None
    }
}

/// The parts of an HTTP answer this project looks at.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `Location` header of a 3xx answer, if any (adapters read it
    /// only for 3xx; [`get_following`](crate::get_following) follows it).
    pub location: Option<String>,
    /// The whole body; empty when the request did not keep it
    /// ([`Request::keep_body`]).
    pub body: Bytes,
    /// Body bytes received, kept or not.
    pub received: u64,
    /// The HTTP version the answer came in.
    pub version: HttpVersion,
}

/// The HTTP version of an answer: what the report's `http_version` is
/// made of, so it names what was spoken, not what was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HttpVersion {
    /// HTTP/1.0 (a server that answers a 1.1 request in 1.0).
    Http10,
    /// HTTP/1.1.
    Http11,
    /// HTTP/2.
    Http2,
}

impl HttpVersion {
    /// Every version, in the order of [`HttpVersion::bit`].
    pub const ALL: [HttpVersion; 3] =
        [HttpVersion::Http10, HttpVersion::Http11, HttpVersion::Http2];

    /// `HTTP/1.0`, `HTTP/1.1`, `HTTP/2`: as the report and curl write them.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpVersion::Http10 => "HTTP/1.0",
            HttpVersion::Http11 => "HTTP/1.1",
            HttpVersion::Http2 => "HTTP/2",
        }
    }

    /// One bit per version, for a set of the versions seen kept in a `u8`.
    pub fn bit(self) -> u8 {
        match self {
            HttpVersion::Http10 => 1,
            HttpVersion::Http11 => 2,
            HttpVersion::Http2 => 4,
        }
    }

    /// What a report says of the versions in `seen` (bits of
    /// [`HttpVersion::bit`]): the one version, `mixed`, or `none` when no
    /// answer came.
    ///
    /// ```
    /// use fetch_core::HttpVersion;
    /// assert_eq!(HttpVersion::describe(HttpVersion::Http2.bit()), "HTTP/2");
    /// assert_eq!(HttpVersion::describe(HttpVersion::Http2.bit() | HttpVersion::Http11.bit()), "mixed");
    /// assert_eq!(HttpVersion::describe(0), "none");
    /// ```
    pub fn describe(seen: u8) -> &'static str {
        let mut found = HttpVersion::ALL.into_iter().filter(|v| seen & v.bit() != 0);
        match (found.next(), found.next()) {
            (None, _) => "none",
            (Some(one), None) => one.as_str(),
            (Some(_), Some(_)) => "mixed",
        }
    }
}

impl std::fmt::Display for HttpVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a client is built. Every client gets the same values (the fairness
/// rule of every comparison here: same connections, time limits, body
/// cap and protocol for all), and reports print them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Connections per host. The load engine lets no more requests than
    /// this into the client at once, so no client opens more; each
    /// adapter also sizes its own pool with it.
    pub connections: usize,
    /// Bodies longer than this many bytes are refused.
    pub max_body: usize,
    /// Time limit for opening a connection (`--connect-timeout`, at most
    /// the request's): a connect over it is a `connect_timeout`, apart from
    /// an answer that is late.
    pub connect_timeout: Duration,
    /// Time limit for a whole request. Async clients leave this to the
    /// caller, which drops the request future when time is up; a blocking
    /// client cannot be interrupted that way and enforces it itself.
    pub request_timeout: Duration,
    /// The `User-Agent` every request sends: [`ClientConfig::user_agent_for`].
    pub user_agent: String,
    /// Redirects a request follows at most (0: none, a 3xx is the answer).
    /// fetch-core follows them, the same way for every client
    /// ([`get_following`](crate::get_following)); the libraries are built
    /// to follow none.
    pub max_redirects: u32,
    /// An extra trusted root for https, PEM (`--ca-cert`), added to the
    /// client's usual roots. Certificates are always verified: there is no
    /// setting to turn that off.
    pub ca_cert: Option<CaCert>,
    /// Ask for HTTP/2 (`--http2`): by ALPN over TLS, with prior knowledge
    /// over plain http. One connection then carries many requests, so the
    /// load engine's gate stands aside and the client's pool caps the
    /// sockets at [`ClientConfig::connections`].
    pub http2: bool,
    /// Keep connections open for the next request (the default); `false`
    /// (`load --no-keepalive`) opens a new one per request, so each request
    /// pays a connect (and with https, a handshake).
    pub keep_alive: bool,
}

/// A trusted root certificate from a file: where it came from (for
/// messages) and its PEM text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCert {
    /// The file it was read from.
    pub path: std::path::PathBuf,
    /// Its contents: one or more PEM `CERTIFICATE` blocks.
    pub pem: std::sync::Arc<[u8]>,
}

impl ClientConfig {
    /// The places of the load engine's connection gate for `concurrency`
    /// requests in flight: one per connection when there are more requests
    /// than connections over HTTP/1 (a request holds its connection to
    /// itself), none when every request fits, and none over HTTP/2, where
    /// requests share connections and the client's pool caps the sockets.
    pub fn gate_places(&self, concurrency: usize) -> Option<usize> {
        (!self.http2 && self.connections < concurrency).then_some(self.connections)
    }

    /// 10 MiB: large enough for any page, small enough that a bad server
    /// cannot exhaust memory.
    pub const DEFAULT_MAX_BODY: usize = 10 * 1024 * 1024;

    /// The `Accept` header every client sends: pages first, then JSON,
    /// then anything. No client asks for compression (none sends
    /// `Accept-Encoding` but cyper, whose empty one means identity only),
    /// so no server compresses: not every client here can decompress, and
    /// the same bytes must cross the wire whichever client is measured.
    pub const ACCEPT: &'static str = "text/html, application/json;q=0.9, */*;q=0.8";

    /// `async-fetch/VERSION (CLIENT; RUNTIME)`: who is asking, in a
    /// server's access log.
    ///
    /// ```
    /// let ua = fetch_core::ClientConfig::user_agent_for("hyper", "smol");
    /// assert_eq!(ua, format!("async-fetch/{} (hyper; smol)", env!("CARGO_PKG_VERSION")));
    /// ```
    pub fn user_agent_for(client: &str, runtime: &str) -> String {
        format!(
            "async-fetch/{} ({client}; {runtime})",
            env!("CARGO_PKG_VERSION")
        )
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connections: 16,
            max_body: Self::DEFAULT_MAX_BODY,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
            user_agent: format!("async-fetch/{}", env!("CARGO_PKG_VERSION")),
            max_redirects: crate::MAX_REDIRECTS,
            ca_cert: None,
            http2: false,
            keep_alive: true,
        }
    }
}

/// Whether `url` starts with `scheme` and `://`, in any case, as URL
/// schemes are compared: `is_scheme("HTTPS://x/", "https")`.
///
/// ```
/// assert!(fetch_core::is_scheme("HTTPS://127.0.0.1/", "https"));
/// assert!(!fetch_core::is_scheme("http://127.0.0.1/", "https"));
/// ```
pub fn is_scheme(url: &str, scheme: &str) -> bool {
    url.get(..scheme.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
        && url[scheme.len()..].starts_with("://")
}

/// Parses `url` and checks that it is `http` or `https` with a host.
///
/// ```
/// assert!(fetch_core::parse_url("http://127.0.0.1:8080/users/1").is_ok());
/// let err = fetch_core::parse_url("ftp://example.com/").unwrap_err();
/// assert!(err.to_string().contains("unsupported scheme"));
/// ```
pub fn parse_url(url: &str) -> Result<url::Url, FetchError> {
    let invalid = |reason: String| FetchError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let parsed = url::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    match parsed.scheme() {
        "http" | "https" => {}
        other => {
            return Err(invalid(format!(
                "unsupported scheme {other:?} (use http or https)"
            )));
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host".to_owned()));
    }
    Ok(parsed)
}

/// Parses URLs with [`parse_url`], cheaply when they share one origin.
///
/// A load run sends every request to one origin, and parsing a URL's host
/// is most of the cost of parsing it (the `url` crate runs every host name,
/// `127.0.0.1` included, through IDNA). The first URL is parsed in full and
/// kept; a later one that starts with the same `scheme://host:port` text,
/// followed by a path, gets only its path and query set on a copy of it.
/// Anything else is parsed in full.
///
/// ```
/// let urls = fetch_core::OriginCache::default();
/// let a = urls.parse("http://127.0.0.1:8080/users/1").unwrap();
/// let b = urls.parse("http://127.0.0.1:8080/users/2?x=1").unwrap();
/// assert_eq!(b.as_str(), "http://127.0.0.1:8080/users/2?x=1");
/// assert_eq!(a.host(), b.host());
/// ```
#[derive(Debug, Default, Clone)]
pub struct OriginCache {
    first: std::sync::OnceLock<(String, url::Url)>,
}

impl OriginCache {
    /// The parsed `url`, or the error [`parse_url`] gives.
    pub fn parse(&self, url: &str) -> Result<url::Url, FetchError> {
        if let Some((origin, base)) = self.first.get()
            && let Some(rest) = url.strip_prefix(origin.as_str())
            && rest.starts_with('/')
            && !rest.contains('#')
        {
            let (path, query) = match rest.split_once('?') {
                Some((path, query)) => (path, Some(query)),
                None => (rest, None),
            };
            let mut parsed = base.clone();
            parsed.set_path(path);
            parsed.set_query(query);
            return Ok(parsed);
        }
        let parsed = parse_url(url)?;
        self.first
            .get_or_init(|| (parsed.origin().ascii_serialization(), parsed.clone()));
        Ok(parsed)
    }
}

/// The checks every adapter needs while it reads a body in chunks: the
/// size limit, and a body that ends before the length its `Content-Length`
/// announced (a connection closed early), which [`BodyBuffer::finish`]
/// refuses as a transport error whether or not the library noticed.
///
/// ```
/// let mut body = fetch_core::BodyBuffer::new("http://x/", 4, None).unwrap();
/// body.push(b"abc").unwrap();
/// assert!(body.push(b"de").is_err());
/// let mut short = fetch_core::BodyBuffer::new("http://x/", 100, Some(10)).unwrap();
/// short.push(b"abc").unwrap();
/// assert!(short.finish().is_err());
/// ```
#[derive(Debug)]
pub struct BodyBuffer<'a> {
    url: &'a str,
    limit: usize,
    /// Keep the bytes; `false` counts them only.
    keep: bool,
    /// The `Content-Length`, when there was one.
    announced: Option<usize>,
    len: usize,
    /// A body that arrived as one shared chunk is kept as it is, not copied.
    whole: Option<Bytes>,
    buf: Vec<u8>,
}

impl<'a> BodyBuffer<'a> {
    /// A buffer for the body of `url`; fails at once when the announced
    /// `Content-Length` is over `limit`.
    pub fn new(
        url: &'a str,
        limit: usize,
        content_length: Option<u64>,
    ) -> Result<Self, FetchError> {
        if content_length.is_some_and(|announced| announced > limit as u64) {
            return Err(FetchError::BodyTooLarge {
                url: url.to_owned(),
                limit,
            });
        }
        Ok(BodyBuffer {
            url,
            limit,
            keep: true,
            // Within the limit, so it fits a usize.
            announced: content_length.map(|n| n as usize),
            len: 0,
            whole: None,
            buf: Vec::new(),
        })
    }

    /// A buffer for the answer to `request`: [`BodyBuffer::new`], that
    /// keeps nothing when the request does not keep its body, and expects
    /// none after a `HEAD` whatever its `Content-Length` says.
    pub fn for_request(
        request: &Request<'a>,
        limit: usize,
        content_length: Option<u64>,
    ) -> Result<Self, FetchError> {
        let announced = content_length.filter(|_| !request.answer_has_no_body());
        let mut body = Self::new(request.url, limit, announced)?;
        body.keep = request.keep_body;
        Ok(body)
    }

    fn grow(&mut self, more: usize) -> Result<(), FetchError> {
        if self.len + more > self.limit {
            return Err(FetchError::BodyTooLarge {
                url: self.url.to_owned(),
                limit: self.limit,
            });
        }
        self.len += more;
        Ok(())
    }

    /// Appends a chunk; fails when the body grows over the limit.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), FetchError> {
        self.grow(chunk.len())?;
        if !self.keep {
            return Ok(());
        }
        if self.buf.is_empty() {
            // Pre-size for the announced length (it is within the limit).
            self.buf.reserve(self.announced.unwrap_or(0).max(self.len));
            if let Some(whole) = self.whole.take() {
                self.buf.extend_from_slice(&whole);
            }
        }
        self.buf.extend_from_slice(chunk);
        Ok(())
    }

    /// Appends a chunk the client already holds as [`Bytes`]: a body that
    /// is a single chunk (most small answers) is kept without a copy.
    pub fn push_bytes(&mut self, chunk: Bytes) -> Result<(), FetchError> {
        if self.len == 0 && self.whole.is_none() && self.keep {
            self.grow(chunk.len())?;
            self.whole = Some(chunk);
            return Ok(());
        }
        self.push(&chunk)
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.len as u64
    }

    /// The whole body (empty when not kept), once the library says it has
    /// ended; an error when fewer bytes came than the `Content-Length`
    /// announced.
    pub fn finish(self) -> Result<Bytes, FetchError> {
        if let Some(announced) = self.announced
            && self.len < announced
        {
            return Err(FetchError::transport(
                self.url,
                ShortBody {
                    got: self.len,
                    announced,
                },
            ));
        }
        Ok(match self.whole {
            Some(whole) => whole,
            None => Bytes::from(self.buf),
        })
    }
}

/// A body that ended before its `Content-Length`.
#[derive(Debug, thiserror::Error)]
#[error("the body ended after {got} of the {announced} bytes its Content-Length announced")]
pub struct ShortBody {
    /// Bytes that arrived.
    pub got: usize,
    /// Bytes the header announced.
    pub announced: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_url_refuses_what_no_client_can_fetch() {
        for bad in ["not a url", "ftp://example.com/", "http://", "/users/1", ""] {
            let err = parse_url(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidUrl, "{bad}");
        }
        assert!(parse_url("https://example.com/x?y=1").is_ok());
    }

    #[test]
    fn the_origin_cache_parses_like_parse_url() {
        let cache = OriginCache::default();
        for url in [
            "http://127.0.0.1:8080/users/1",
            "http://127.0.0.1:8080/users/2?x=1&y=%20",
            "http://127.0.0.1:8080/a/../b/./c",
            "http://127.0.0.1:8080/with space/é",
            "http://127.0.0.1:8080/frag#ment",
            "http://127.0.0.1:8080",
            "http://127.0.0.1:80/default-port",
            "http://other:9/a",
            "https://127.0.0.1:8080/tls",
        ] {
            assert_eq!(cache.parse(url).unwrap(), parse_url(url).unwrap(), "{url}");
        }
        assert!(cache.parse("http://127.0.0.1:8080x/").is_err());
        assert_eq!(cache.first.get().unwrap().0, "http://127.0.0.1:8080");
    }

    #[test]
    fn body_buffer_checks_announced_and_actual_length() {
        assert!(BodyBuffer::new("u", 10, Some(11)).is_err());
        let mut body = BodyBuffer::new("u", 10, Some(10)).unwrap();
        body.push(b"0123456789").unwrap();
        assert_eq!(
            body.push(b"x").unwrap_err().kind(),
            crate::ErrorKind::BodyTooLarge
        );
        assert_eq!(&body.finish().unwrap()[..], b"0123456789");
        let mut short = BodyBuffer::new("u", 10, Some(10)).unwrap();
        short.push(b"01234").unwrap();
        let err = short.finish().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Transport);
        assert_eq!(
            err.chain(),
            "the exchange with u failed: the body ended after 5 of the 10 bytes its Content-Length announced"
        );
    }

    #[test]
    fn a_body_not_kept_is_counted_and_still_limited() {
        let mut request = Request::get("u");
        request.keep_body = false;
        let mut body = BodyBuffer::for_request(&request, 10, Some(8)).unwrap();
        body.push(b"0123").unwrap();
        body.push_bytes(Bytes::from_static(b"4567")).unwrap();
        assert_eq!(body.received(), 8);
        assert!(
            body.buf.capacity() == 0 && body.whole.is_none(),
            "nothing kept"
        );
        assert!(body.push(b"890").is_err(), "the limit holds");
        request.method = crate::Method::HEAD;
        let head = BodyBuffer::for_request(&request, 10, Some(1_000)).unwrap();
        assert!(head.finish().unwrap().is_empty(), "no body after HEAD");
    }

    #[test]
    fn body_buffer_keeps_a_single_chunk_and_joins_several() {
        let one = Bytes::from_static(b"whole");
        let mut body = BodyBuffer::new("u", 10, Some(5)).unwrap();
        body.push_bytes(one.clone()).unwrap();
        let kept = body.finish().unwrap();
        assert_eq!(kept, one);
        assert_eq!(kept.as_ptr(), one.as_ptr(), "no copy");

        let mut body = BodyBuffer::new("u", 10, None).unwrap();
        body.push_bytes(Bytes::from_static(b"ab")).unwrap();
        body.push(b"cd").unwrap();
        body.push_bytes(Bytes::from_static(b"ef")).unwrap();
        assert_eq!(
            body.push_bytes(Bytes::from_static(b"ghijk"))
                .unwrap_err()
                .kind(),
            crate::ErrorKind::BodyTooLarge
        );
        assert_eq!(&body.finish().unwrap()[..], b"abcdef");
    }
}
