//! surf 2 with its h1 client (async-h1 over async-io). **Unmaintained**
//! (RUSTSEC-2025-0036, RUSTSEC-2026-0169): surf has had no release since
//! 2022; it stays because people still compare against it (see deny.toml).
//!
//! **Plain http only.** surf's TLS backend is rustls 0.18 through
//! async-tls, whose handshake calls `complete_io`, which can loop forever on
//! network input (RUSTSEC-2024-0336, never fixed in 0.18). This project
//! builds surf with its `h1-client-no-tls` backend instead, so that code is
//! not in the build, and an https URL is refused with that reason.
//!
//! Not surf's default curl client: that one panics ("Unrecoverable error in
//! select/poll") above about 1,024 open descriptors and hangs at 10,000.
//! The h1 client runs on async-io, the reactor smol and async-std share, so
//! the same client works on both.
//!
//! It has no connect timeout of its own: a connect that hangs (a full listen
//! queue) ends at the load engine's request timeout and counts as
//! `timeout`, not `connect_timeout`. It has no hook to count the
//! connections it opens either; its reports say so.
//!
//! It takes a body that ends before its `Content-Length` as complete; the
//! adapter's [`BodyBuffer`] checks the length and makes that a transport
//! error, as every other client reports it.
//!
//! Its pool is a hard cap: at most [`ClientConfig::connections`] connections
//! per host are open at once, and further requests wait for one to free up.
//!
//! Its pool cannot be told to drop a connection: the pooled connection lives
//! inside the response body and goes back to the pool when the body is
//! dropped, read to its end or not. A connection whose body was refused
//! (over `--max-body`) or failed halfway is then handed to the next request,
//! and async-h1 reads the rest of the old body with `read_until(b'\n')`
//! before its 8 KiB head check: against a 1 GB file that took 1,969 MiB of
//! memory for `-n 4 -c 2`. So such a body is never dropped while its pool
//! is in use: it is kept with its client (a `Generation`), requests from
//! then on go through a new client with a new pool, and when the last
//! request of the old client ends, the old pool is dropped first (its idle
//! connections close) and then the kept bodies (their connections find no
//! pool to go back to, and close).
//!
//! # Layout
//! - [`SurfClient`]: the adapter; `Generation`, a client and the bodies
//!   refused on its connections; `Reading`, a body being read, which keeps
//!   it with its generation unless it was read to the end.
//! - `map_error`: surf's errors as the kinds a report counts.

use std::sync::{Arc, Mutex, RwLock};

use fetch_core::{
    BodyBuffer, ClientConfig, FetchError, HttpClient, OriginCache, Request, Response, header,
};
use futures_lite::AsyncReadExt as _;

/// What an HTTP/1.0 answer gets from surf.
const HTTP_1_0: &str = "surf's HTTP/1 client (async-h1) does not accept HTTP/1.0 responses: \
     the server answered HTTP/1.0 (Unsupported HTTP version)";

/// What surf's connection pool puts before the cause of a failed connect.
const POOL_WORDS: &str = "An error occured while creating a new object: ";

/// Why surf refuses https here.
const NO_TLS: &str = "surf is built here without TLS: its TLS stack (rustls 0.18) can loop \
     forever on network input (RUSTSEC-2024-0336) and no surf release moves off it; \
     for https use reqwest (fetch-tokio --client reqwest)";

/// A [`HttpClient`] backed by `surf::Client` with the h1 client.
#[derive(Debug, Clone)]
pub struct SurfClient {
    /// The client (and its pool) requests go through now.
    current: Arc<RwLock<Arc<Generation>>>,
    /// Sent with every request that does not set its own.
    headers: [(header::HeaderName, String); 2],
    urls: OriginCache,
    config: ClientConfig,
}

impl SurfClient {
    /// The name reports use.
    pub const NAME: &'static str = fetch_registry::Client::Surf.name();

    /// Builds the client (plain http only: see the module docs).
    pub fn new(config: &ClientConfig) -> Self {
        // The same headers as every client: surf adds none of its own
        // (this build has no decompression middleware, so no
        // Accept-Encoding). Per request, not in the Config: a header value
        // there must parse, and these always do, but a constructor that
        // cannot fail is simpler for every caller.
        let headers = [
            (header::USER_AGENT, config.user_agent.clone()),
            (header::ACCEPT, ClientConfig::ACCEPT.to_owned()),
        ];
        SurfClient {
            current: Arc::new(RwLock::new(Arc::new(Generation::new(config)))),
            headers,
            urls: OriginCache::default(),
            config: config.clone(),
        }
    }

    /// The generation requests go through now.
    fn generation(&self) -> Arc<Generation> {
        self.current
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    /// Keeps `body`, whose connection cannot be reused, with `generation`,
    /// and makes the requests from now on go through a new client, if
    /// `generation` is still the current one.
    fn retire(&self, generation: &Arc<Generation>, body: surf::Body) {
        generation
            .retired
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .push(body);
        let mut current = self
            .current
            .write()
            .unwrap_or_else(|poison| poison.into_inner());
        if Arc::ptr_eq(&current, generation) {
            *current = Arc::new(Generation::new(&self.config));
        }
    }
}

/// One surf client, with its pool, and the bodies refused on its
/// connections. Dropped when the last request through it ends: the client
/// (and with it the pool and its idle connections) first, then the bodies,
/// whose connections then have no pool to go back to and close.
#[derive(Debug)]
struct Generation {
    client: surf::Client,
    retired: Mutex<Vec<surf::Body>>,
}

impl Generation {
    fn new(config: &ClientConfig) -> Self {
        let client: surf::Client = surf::Config::new()
            .set_max_connections_per_host(config.connections)
            .set_tcp_no_delay(true)
            // `load --no-keepalive`: a connection per request.
            .set_http_keep_alive(config.keep_alive)
            // The load engine applies the same per-request timeout to every
            // client; surf's own (60 s by default) is turned off.
            .set_timeout(None)
            .try_into()
            .unwrap_or_else(|never: std::convert::Infallible| match never {});
        Generation {
            client,
            retired: Mutex::new(Vec::new()),
        }
    }
}

/// A response body being read. Read to its end, its connection goes back
/// to the pool clean; dropped before that (refused, failed, or the request
/// cut off by its time limit), it is kept with its generation instead
/// (`SurfClient::retire`).
struct Reading<'a> {
    body: Option<surf::Body>,
    client: &'a SurfClient,
    generation: Arc<Generation>,
}

impl Reading<'_> {
    /// Reads the next bytes into `chunk`; 0 at the end.
    async fn read(&mut self, chunk: &mut [u8]) -> std::io::Result<usize> {
        match &mut self.body {
            Some(body) => body.read(chunk).await,
            None => Ok(0),
        }
    }

    /// The body was read to its end: its connection may go back.
    fn finished(mut self) {
        drop(self.body.take());
    }
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        if let Some(body) = self.body.take() {
            self.client.retire(&self.generation, body);
        }
    }
}

impl HttpClient for SurfClient {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn config(&self) -> &ClientConfig {
        &self.config
    }

    async fn send(&self, sent: &Request<'_>) -> Result<Response, FetchError> {
        let url = sent.url;
        let parsed = self.urls.parse(url)?;
        if parsed.scheme() == "https" {
            return Err(FetchError::InvalidUrl {
                url: url.to_owned(),
                reason: NO_TLS.to_owned(),
            });
        }
        let method: surf::http::Method =
            sent.method
                .as_str()
                .parse()
                .map_err(|_| FetchError::InvalidUrl {
                    url: url.to_owned(),
                    reason: format!("surf cannot send the method {}", sent.method),
                })?;
        let mut request = surf::RequestBuilder::new(method, parsed);
        for (name, value) in &self.headers {
            if !sent.sets(name) {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        for (name, value) in sent.header_list() {
            // Header values were checked as visible ASCII when they were
            // given, so they are text.
            let value = value.to_str().unwrap_or_default();
            request = request.header(name.as_str(), value);
        }
        if !sent.body.is_empty() {
            request = request.body_bytes(&sent.body[..]);
        }
        let generation = self.generation();
        let mut response = generation
            .client
            .send(request)
            .await
            .map_err(|e| map_error(url, e))?;
        let status = u16::from(response.status());
        let content_type = response.content_type().map(|m| m.to_string());
        let location = if response.status().is_redirection() {
            response.header("Location").map(|v| v.last().to_string())
        } else {
            None
        };
        let length = response.len().map(|n| n as u64);
        let mut reader = Reading {
            body: Some(response.take_body()),
            client: self,
            generation,
        };
        let mut body = BodyBuffer::for_request(sent, self.config.max_body, length)?;
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            let n = reader
                .read(&mut chunk)
                .await
                .map_err(|e| FetchError::transport(url, e))?;
            if n == 0 {
                break;
            }
            body.push(&chunk[..n])?;
        }
        reader.finished();
        // surf takes a body that ends before its Content-Length as whole;
        // `finish` does not.
        let received = body.received();
        Ok(Response {
            status,
            content_type,
            location,
            body: body.finish()?,
            received,
            // async-h1 takes HTTP/1.1 answers only.
            version: fetch_core::HttpVersion::Http11,
        })
    }
}

/// surf wraps everything in one error type, and its connection pool turns a
/// failed connect into text ("An error occured while creating a new object:
/// Connection refused (os error 111)"), which
/// [`is_connect_failure`](fetch_core::is_connect_failure) recognises.
fn map_error(url: &str, err: surf::Error) -> FetchError {
    let inner = err.into_inner();
    if inner.to_string().contains("Unsupported HTTP version") {
        // async-h1 accepts only HTTP/1.1 answers; say which, and why.
        return FetchError::transport(url, HTTP_1_0.to_owned());
    }
    let connect = fetch_core::is_connect_failure(inner.as_ref());
    // surf's pool (deadpool) turns a failed connect into its own words and
    // the cause's text ("An error occured while creating a new object:
    // Connection refused (os error 111)"): lead with the cause.
    let text = inner.to_string();
    let source: Box<dyn std::error::Error + Send + Sync> = match text.strip_prefix(POOL_WORDS) {
        Some(cause) if connect => cause.to_owned().into(),
        _ => inner.into(),
    };
    if connect {
        FetchError::connect(url, source)
    } else {
        // Met before the body (surf's `send` ends with the head); surf
        // cannot say whether the connection was a reused one.
        FetchError::transport_before_answer(url, source, true)
    }
}
