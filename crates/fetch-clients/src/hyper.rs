//! hyper 1: the raw HTTP client most Rust clients are built on (reqwest is).
//!
//! hyper itself only speaks HTTP over a connection it is handed; it does not
//! open sockets, spawn tasks or keep time. This adapter adds the rest: a
//! [`Transport`] from the runtime (open a TCP connection) and a [`Pool`] of
//! HTTP/1 connections that caps how many are *open*, so `--connections`
//! means what it says, and that lets each request's task drive its
//! connection itself (no second task per connection). Giving it tokio's or
//! smol's transport is all it takes to move the same client between
//! runtimes, which makes it the fairest way to compare the runtimes
//! themselves.
//!
//! It speaks `http://` and `https://` (rustls, the same configuration as
//! reqwest's: see `crate::tls`), HTTP/1.1 by default and HTTP/2 when the
//! config asks (see [`pool`] for how the two differ).
//!
//! # Layout
//! - [`HyperClient`]: the [`HttpClient`] over a pool.
//! - [`pool`]: the connection pool and the [`Transport`] trait.
//! - `tokio_rt`, `smol_rt`, `compio_rt`: the three transports, each with
//!   its constructor (`HyperClient::tokio`, `HyperClient::smol`,
//!   `HyperClient::compio`). Adding a runtime to hyper is one more such
//!   file: a [`Transport`] and a constructor.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use fetch_core::{ClientConfig, FetchError, HttpClient, Request, Response, parse_url};
use http_body_util::Full;
use hyper::Uri;
use hyper::header::{ACCEPT, CONNECTION, HOST, HeaderValue, USER_AGENT};

use crate::head::Head;
use hyper::http::uri::{Authority, PathAndQuery, Scheme};

#[cfg(feature = "hyper-compio")]
pub mod compio_rt;
pub mod pool;
#[cfg(feature = "hyper-smol")]
pub mod smol_rt;
#[cfg(feature = "hyper-tokio")]
pub mod tokio_rt;

pub use pool::{Pool, PoolConfig, Transport};

/// A [`HttpClient`] backed by hyper's connections (HTTP/1.1, or HTTP/2
/// when asked), pooled, over transport `T`.
#[derive(Debug)]
pub struct HyperClient<T: Transport> {
    pool: Arc<Pool<T>>,
    origin: Arc<OnceLock<Origin>>,
    /// `User-Agent`, made a header value once.
    user_agent: HeaderValue,
    config: ClientConfig,
}

impl<T: Transport> Clone for HyperClient<T> {
    fn clone(&self) -> Self {
        HyperClient {
            pool: self.pool.clone(),
            origin: self.origin.clone(),
            user_agent: self.user_agent.clone(),
            config: self.config.clone(),
        }
    }
}

impl<T: Transport> HyperClient<T> {
    /// The name reports use.
    pub const NAME: &'static str = fetch_registry::Client::Hyper.name();

    /// A client over `transport` with at most `config.connections`
    /// connections open per host. Fails only on a `--ca-cert` that is not one.
    pub fn new(transport: T, config: &ClientConfig) -> Result<Self, FetchError> {
        // The User-Agent is ASCII (see `ClientConfig::user_agent_for`); a
        // value that is not a valid header falls back to the bare name.
        let user_agent = HeaderValue::from_str(&config.user_agent)
            .unwrap_or_else(|_| HeaderValue::from_static("async-fetch"));
        let pool = PoolConfig {
            max: config.connections,
            tls: Some(Arc::new(crate::tls::client_config(config)?)),
            http2: config.http2,
            keep_alive: config.keep_alive,
        };
        Ok(HyperClient {
            pool: Arc::new(Pool::new(transport, pool)),
            origin: Arc::default(),
            user_agent,
            config: config.clone(),
        })
    }
}

/// Where an `http(s)://` URL points: the pool key, the `Host` header and the
/// request target.
///
/// The authority and the `Host` value are borrowed from the client's
/// [`Origin`] when the URL is under it (every request of a load run): each
/// is shared bytes whose clone and drop are atomic writes to one count that
/// every thread's requests write, so a request makes only the one clone it
/// sends (`Host`).
struct Target<'o> {
    /// `https://`.
    tls: bool,
    authority: Cow<'o, Authority>,
    host: Cow<'o, HeaderValue>,
    path: PathAndQuery,
}

impl<'o> Target<'o> {
    /// Parses `url` straight into hyper's [`Uri`], the cheap path taken
    /// for every request of a load run; anything unusual goes through the
    /// `url` crate, which normalizes it or names what is wrong.
    fn parse(url: &str) -> Result<Self, FetchError> {
        let invalid = |reason: String| FetchError::InvalidUrl {
            url: url.to_owned(),
            reason,
        };
        let uri = match url.parse::<Uri>() {
            Ok(uri)
                if matches!(uri.scheme_str(), Some("http" | "https"))
                    && uri.host().is_some_and(|h| !h.is_empty()) =>
            {
                uri
            }
            _ => parse_url(url)?
                .as_str()
                .parse::<Uri>()
                .map_err(|e| invalid(e.to_string()))?,
        };
        let tls = uri.scheme_str() == Some("https");
        let parts = uri.into_parts();
        let authority = parts
            .authority
            .ok_or_else(|| invalid("no host".to_owned()))?;
        // `Host` is the authority without any `user:password@`.
        let host = match authority.as_str().rsplit_once('@') {
            None => HeaderValue::from_str(authority.as_str()),
            Some((_, host)) => HeaderValue::from_str(host),
        }
        .map_err(|e| invalid(e.to_string()))?;
        let path = parts
            .path_and_query
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        Ok(Target {
            tls,
            authority: Cow::Owned(authority),
            host: Cow::Owned(host),
            path,
        })
    }

    /// Like [`Target::parse`], but a URL under `origin` (the first one
    /// this client saw) only has its path parsed: a load run sends every
    /// request to one origin.
    fn parse_under(url: &str, origin: &'o OnceLock<Origin>) -> Result<Self, FetchError> {
        if let Some(o) = origin.get()
            && let Some(rest) = url.strip_prefix(o.prefix.as_str())
            && (rest.is_empty() || rest.starts_with('/'))
        {
            let path = match rest {
                "" => Ok(PathAndQuery::from_static("/")),
                rest => rest.parse::<PathAndQuery>(),
            };
            if let Ok(path) = path {
                return Ok(Target {
                    tls: o.tls,
                    authority: Cow::Borrowed(&o.authority),
                    host: Cow::Borrowed(&o.host),
                    path,
                });
            }
        }
        let target = Self::parse(url)?;
        origin.get_or_init(|| Origin {
            prefix: format!(
                "{}://{}",
                if target.tls { "https" } else { "http" },
                target.authority
            ),
            tls: target.tls,
            authority: target.authority.as_ref().clone(),
            host: target.host.as_ref().clone(),
        });
        Ok(target)
    }

    /// `sent` as hyper sends it to this target: its method, headers and
    /// body, with the `Host`, `User-Agent` and `Accept` every client sends
    /// unless `sent` sets its own, built field by field (the builder's
    /// checks and moves cost more than the request needs). No
    /// `Accept-Encoding`: hyper does not decompress. hyper writes a
    /// `Content-Length` for a body and none for an empty one. Over HTTP/2
    /// the target is the whole URI (its `:scheme` and `:authority` stand
    /// for `Host`); without keep-alive, `Connection: close` asks the server
    /// to close after answering.
    ///
    /// The path moves into the request (the target keeps where to
    /// connect): cloning it, a `Bytes` made for this request, cost an
    /// allocation of its shared form each time.
    fn request(
        &mut self,
        sent: &Request<'_>,
        user_agent: &HeaderValue,
        http2: bool,
        keep_alive: bool,
    ) -> hyper::Request<Full<Bytes>> {
        let mut request = hyper::Request::new(Full::new(sent.body.clone()));
        let path = std::mem::replace(&mut self.path, PathAndQuery::from_static("/"));
        *request.method_mut() = sent.method.clone();
        if http2 {
            let mut parts = hyper::http::uri::Parts::default();
            parts.scheme = Some(if self.tls {
                Scheme::HTTPS
            } else {
                Scheme::HTTP
            });
            parts.authority = Some(self.authority.as_ref().clone());
            parts.path_and_query = Some(path);
            // Scheme, authority and path, each valid already: this cannot fail.
            *request.uri_mut() = Uri::from_parts(parts).unwrap_or_default();
            *request.version_mut() = hyper::Version::HTTP_2;
        } else {
            *request.uri_mut() = Uri::from(path);
            let headers = request.headers_mut();
            if !sent.sets(&HOST) {
                headers.insert(HOST, self.host.as_ref().clone());
            }
            if !keep_alive {
                headers.insert(CONNECTION, HeaderValue::from_static("close"));
            }
        }
        let headers = request.headers_mut();
        if !sent.sets(&USER_AGENT) {
            headers.insert(USER_AGENT, user_agent.clone());
        }
        if !sent.sets(&ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static(ClientConfig::ACCEPT));
        }
        for (name, value) in sent.header_list() {
            headers.append(name.clone(), value.clone());
        }
        request
    }
}

/// The scheme and authority most requests of a client share, parsed once.
#[derive(Debug)]
struct Origin {
    /// `http://` or `https://` and the authority, as a URL under it starts.
    prefix: String,
    tls: bool,
    authority: Authority,
    host: HeaderValue,
}

impl<T: Transport> HttpClient for HyperClient<T> {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn config(&self) -> &ClientConfig {
        &self.config
    }

    fn connections_opened(&self) -> Option<u64> {
        Some(self.pool.opened())
    }

    async fn send(&self, sent: &Request<'_>) -> Result<Response, FetchError> {
        self.send_checked_out(sent, false).await
    }

    /// On a connection the pool opens for it (not an idle one).
    async fn send_fresh(&self, sent: &Request<'_>) -> Result<Response, FetchError> {
        self.send_checked_out(sent, true).await
    }
}

impl<T: Transport> HyperClient<T> {
    /// Sends `sent` on a connection from the pool: any (an idle one first),
    /// or with `fresh` a new one.
    async fn send_checked_out(
        &self,
        sent: &Request<'_>,
        fresh: bool,
    ) -> Result<Response, FetchError> {
        let url = sent.url;
        let mut target = Target::parse_under(url, &self.origin)?;
        let (http2, keep_alive) = (self.config.http2, self.config.keep_alive);
        let mut request = target.request(sent, &self.user_agent, http2, keep_alive);
        let mut retried = false;
        // `.await`: a pooled connection is checked out (or opened, or
        // waited for), the request written and the head read, all while
        // this task is parked.
        let (mut lease, response) = loop {
            let mut lease = self
                .pool
                .checkout(target.tls, &target.authority, fresh)
                .await
                .map_err(|e| match e {
                    // The transport's own connect limit ran out.
                    pool::CheckoutError::Connect(io)
                        if io.kind() == std::io::ErrorKind::TimedOut =>
                    {
                        FetchError::ConnectTimeout {
                            url: url.to_owned(),
                            after: self.config.connect_timeout,
                        }
                    }
                    other => FetchError::connect(url, other),
                })?;
            match lease.send(request).await {
                Ok(response) => break (lease, response),
                Err(err) => {
                    // The connection closed before the request went out
                    // (the server ended an idle connection: the pool
                    // does not look before it lends one, and this is
                    // where it shows): nothing was sent, so trying another
                    // is safe. Each stale idle one found is dropped, so
                    // this goes through them and then opens a new one. A
                    // new connection that failed so gets one more try.
                    let again = err.is_unsent()
                        && (lease.is_reused() || !std::mem::replace(&mut retried, true));
                    if again {
                        // hyper's `try_send_request` would hand the request
                        // back, but its answer channel then carries room
                        // for a whole request on every request (350 more
                        // instructions each, by cachegrind): building it
                        // again on this rare path is cheaper.
                        request = Target::parse_under(url, &self.origin)?.request(
                            sent,
                            &self.user_agent,
                            http2,
                            keep_alive,
                        );
                        continue;
                    }
                    // Sent, and the connection found closed before the
                    // answer: the engine sends it once more if it may.
                    let reused = lease.is_reused();
                    return Err(FetchError::transport_before_answer(
                        url,
                        err.into_error(),
                        reused,
                    ));
                }
            }
        };
        let head = Head::of(response.status(), response.version(), response.headers());
        let reusable = keeps_alive(response.version(), response.headers());
        let mut body = head.body(sent, self.config.max_body)?;
        let mut incoming = response.into_body();
        // The body arrives in frames; each `.await` waits for the next one.
        // On an error the lease is dropped, which closes the connection.
        while let Some(frame) = lease.frame(&mut incoming).await {
            let frame = frame.map_err(|e| FetchError::transport(url, e))?;
            if let Ok(data) = frame.into_data() {
                body.push_bytes(data)?;
            }
        }
        // Read to the end: the connection can carry the next request,
        // unless the server said it would close it.
        if reusable {
            lease.give_back();
        }
        head.with_body(body)
    }
}

/// Whether the server means to keep an HTTP/1 connection open after this
/// answer: HTTP/1.1 unless it says `Connection: close`, HTTP/1.0 only when
/// it says `Connection: keep-alive`. (HTTP/2: always; the pool keeps those
/// its own way.) A connection the server is closing is closed here rather
/// than handed back: the next request would find it gone, at best after a
/// wasted try, at worst only when the runtime next reads it.
fn keeps_alive(version: hyper::Version, headers: &hyper::HeaderMap) -> bool {
    let says = |token: &str| {
        headers
            .get_all(CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    match version {
        hyper::Version::HTTP_10 | hyper::Version::HTTP_09 => says("keep-alive"),
        hyper::Version::HTTP_11 => !says("close"),
        _ => true,
    }
}

#[cfg(all(test, feature = "hyper-tokio"))]
// `#[tokio::test]` hides the test attribute from clippy's unwrap allowance.
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    use super::*;

    /// A server on a free port that answers `ok` to every request and
    /// counts the connections it accepts. With `keep_alive`, a connection
    /// serves request after request (each answer 5 ms late); without, it
    /// is closed after its first answer (which still announces keep-alive),
    /// so every pooled connection goes stale. The second counter counts
    /// the connections the server has closed.
    async fn ok_server(keep_alive: bool) -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let (count, count_closed) = (accepted.clone(), closed.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let count_closed = count_closed.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = socket.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        if keep_alive {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if socket.write_all(reply).await.is_err() || !keep_alive {
                            break;
                        }
                    }
                    drop(socket);
                    count_closed.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        (url, accepted, closed)
    }

    #[test]
    fn a_connection_is_kept_only_when_the_answer_says_so() {
        use hyper::Version;
        let with = |value: &str| {
            let mut headers = hyper::HeaderMap::new();
            headers.insert(CONNECTION, HeaderValue::from_str(value).unwrap());
            headers
        };
        let none = hyper::HeaderMap::new();
        assert!(keeps_alive(Version::HTTP_11, &none));
        assert!(!keeps_alive(Version::HTTP_11, &with("close")));
        assert!(!keeps_alive(Version::HTTP_11, &with("Upgrade, Close")));
        assert!(!keeps_alive(Version::HTTP_10, &none));
        assert!(keeps_alive(Version::HTTP_10, &with("Keep-Alive")));
        assert!(keeps_alive(Version::HTTP_2, &none));
    }

    #[test]
    fn urls_under_the_cached_origin_parse_like_any_other() {
        let origin = OnceLock::new();
        for url in [
            "http://127.0.0.1:8080/users/1",
            "http://127.0.0.1:8080/users/2?x=1&y=2",
            "http://127.0.0.1:8080",
            "http://other:9/a",
            "http://127.0.0.1:8080/with space",
            "http://u:p@127.0.0.1:8080/private",
        ] {
            let slow = Target::parse(url).unwrap();
            let fast = Target::parse_under(url, &origin).unwrap();
            assert_eq!(fast.authority, slow.authority, "{url}");
            assert_eq!(fast.host, slow.host, "{url}");
            assert_eq!(fast.path, slow.path, "{url}");
        }
        // The first origin seen is the one cached.
        assert_eq!(origin.get().unwrap().prefix, "http://127.0.0.1:8080");
        assert_eq!(
            *Target::parse("http://u:p@127.0.0.1:8080/").unwrap().host,
            "127.0.0.1:8080"
        );
        // An https URL under another scheme's origin is parsed apart.
        let tls = Target::parse_under("https://127.0.0.1:8080/x", &origin).unwrap();
        assert!(tls.tls);
        assert!(
            !Target::parse_under("http://127.0.0.1:8080/x", &origin)
                .unwrap()
                .tls
        );
    }

    #[tokio::test]
    async fn a_connection_closed_while_idle_is_replaced_not_reported() {
        let (url, accepted, closed) = ok_server(false).await;
        let config = ClientConfig {
            connections: 1,
            ..ClientConfig::default()
        };
        let client = HyperClient::tokio(&config).unwrap();
        for i in 1..=3 {
            let response = client.get(&url).await.unwrap();
            assert_eq!(&response.body[..], b"ok");
            // Wait (however long a busy machine takes) until the server has
            // closed this connection, so the next checkout finds it stale.
            while closed.load(Ordering::SeqCst) < i {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn requests_beyond_the_cap_wait_for_a_connection() {
        let (url, accepted, _) = ok_server(true).await;
        let config = ClientConfig {
            connections: 2,
            ..ClientConfig::default()
        };
        let client = Arc::new(HyperClient::tokio(&config).unwrap());
        let requests: Vec<_> = (0..20)
            .map(|_| {
                let (client, url) = (client.clone(), url.clone());
                tokio::spawn(async move { client.get(&url).await.map(|r| r.status) })
            })
            .collect();
        for request in requests {
            assert_eq!(request.await.unwrap().unwrap(), 200);
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }
}
