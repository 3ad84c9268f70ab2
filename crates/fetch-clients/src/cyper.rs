//! cyper: the HTTP client of compio, hyper (through hyper-util's pool) on
//! compio's thread-per-core runtime.
//!
//! A cyper client, its connections and its futures belong to the thread
//! that made them (they hold `Rc`s of compio's runtime), so it implements
//! [`LocalHttpClient`], not `HttpClient`: a sharded run gives each thread
//! a client of its own ([`fetch_core::run_sharded`]).
//!
//! Its pool is hyper-util's legacy pool, as reqwest's: idle connections
//! are kept without a cap on those open at once, so in a load run the
//! engine's gate caps them (each shard's gate at its share of
//! `--connections`), and each request lets its connection go back to the
//! pool before its worker sends again (`GIVE_BACK_YIELDS`). It has no
//! connect timeout of its own and does not say how many connections it
//! opened; the load engine's per-request timeout bounds every wait, so a
//! connect that hangs ends as a `timeout`, as with surf. TLS is the same
//! rustls configuration as reqwest's and the hyper pool's (`crate::tls`),
//! given to cyper whole. One header differs from every other client's
//! request: built without its decompression features, cyper 0.9 still
//! sends `Accept-Encoding`, empty (identity only, which is what no header
//! means).

use std::sync::Arc;

use fetch_core::{ClientConfig, FetchError, LocalHttpClient, OriginCache, Request, Response};
use futures_lite::StreamExt as _;

use crate::head::{Head, Stage};

/// A [`LocalHttpClient`] backed by `cyper::Client`.
#[derive(Debug)]
pub struct CyperClient {
    client: cyper::Client,
    /// The TLS configuration, kept to build a client for `send_fresh`.
    tls: Arc<rustls::ClientConfig>,
    urls: OriginCache,
    config: ClientConfig,
}

impl CyperClient {
    /// The name reports use.
    pub const NAME: &'static str = fetch_registry::Client::Cyper.name();

    /// Builds the client. Certificate verification stays on for https.
    pub fn new(config: &ClientConfig) -> Result<Self, FetchError> {
        let tls = Arc::new(crate::tls::client_config(config)?);
        Ok(CyperClient {
            client: Self::build(config, tls.clone())?,
            tls,
            urls: OriginCache::default(),
            config: config.clone(),
        })
    }

    /// A cyper client (with a pool of its own) for `config` over `tls`.
    fn build(
        config: &ClientConfig,
        tls: Arc<rustls::ClientConfig>,
    ) -> Result<cyper::Client, FetchError> {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static(ClientConfig::ACCEPT),
        );
        headers.insert(
            http::header::USER_AGENT,
            http::HeaderValue::from_str(&config.user_agent)
                .map_err(|e| FetchError::setup("the User-Agent header", e))?,
        );
        if !config.keep_alive {
            headers.insert(
                http::header::CONNECTION,
                http::HeaderValue::from_static("close"),
            );
        }
        let builder = cyper::Client::builder();
        let builder = if config.http2 {
            builder.http2_prior_knowledge()
        } else {
            builder
        };
        builder
            .use_rustls(tls)
            .default_headers(headers)
            // No proxy, and no redirects: fetch-core follows them, the
            // same way for every client; to cyper a 3xx is an answer.
            .no_proxy()
            .redirect(cyper::redirect::Policy::none())
            .build()
            .map_err(|e| FetchError::setup("the cyper client", e))
    }
}

impl LocalHttpClient for CyperClient {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn config(&self) -> &ClientConfig {
        &self.config
    }

    async fn send(&self, sent: &Request<'_>) -> Result<Response, FetchError> {
        self.send_on(&self.client, sent).await
    }

    /// hyper-util's pool cannot be told to open a connection: a client of
    /// its own, whose pool is empty, opens one, and closes it when dropped
    /// after the answer.
    async fn send_fresh(&self, sent: &Request<'_>) -> Result<Response, FetchError> {
        let fresh = Self::build(&self.config, self.tls.clone())?;
        self.send_on(&fresh, sent).await
    }
}

impl CyperClient {
    /// Sends `sent` through `client` (the pooled one or a fresh one).
    async fn send_on(
        &self,
        client: &cyper::Client,
        sent: &Request<'_>,
    ) -> Result<Response, FetchError> {
        let url = sent.url;
        let parsed = self.urls.parse(url)?;
        let mut request = client
            .request(sent.method.clone(), parsed.as_str())
            .map_err(|e| map_error(url, e, Stage::Head))?;
        for (name, value) in sent.header_list() {
            request = request
                .header(name, value)
                .map_err(|e| map_error(url, e, Stage::Head))?;
        }
        if !sent.body.is_empty() {
            request = request.body(sent.body.clone());
        }
        // `.await`: compio submits the socket's reads and writes to the
        // kernel (io_uring) and parks this task until they complete.
        let response = request
            .send()
            .await
            .map_err(|e| map_error(url, e, Stage::Head))?;
        let head = Head::of(response.status(), response.version(), response.headers());
        let mut body = head.body(sent, self.config.max_body)?;
        // Chunk by chunk, so a body over the limit is refused before it is
        // all in memory.
        let mut chunks = std::pin::pin!(response.bytes_stream());
        while let Some(chunk) = chunks.next().await {
            body.push_bytes(chunk.map_err(|e| map_error(url, e, Stage::Body))?)?;
        }
        // The connection goes back to the pool in a task of its own once
        // the body is read: let it run before this worker's next request.
        for _ in 0..GIVE_BACK_YIELDS {
            futures_lite::future::yield_now().await;
        }
        head.with_body(body)
    }
}

/// Turns a request lets the runtime take once its body is read, so that
/// its connection is back in the pool before its worker sends again.
/// hyper-util's pool gives an HTTP/1 connection back from a task it spawns
/// when the answer's head arrives, which finishes only after the body is
/// read. A request that comes before it finds no idle connection and
/// starts a connect while it waits; when a given-back connection reaches
/// it first, the connect goes on anyway and its connection joins the pool.
/// Under slow connects (a burst of 10,000, past the server's accept queue,
/// `net.core.somaxconn`, 4,096 by default, waits for the kernel's SYN
/// retry) that doubled the pool. Measured here on a freshly started
/// fixture server, `fetch-compio --client cyper load -c 10000 -n 20000
/// --parse title`: without the turn, 20,000 descriptors (the limit) in 3
/// runs of 3, requests lost to "Too many open files", 2,700 to 3,200/s;
/// with one, 10,011 to 11,203 descriptors and 11,000 to 11,600/s (two
/// turns did no better). The price is paid on a warm server too, where
/// cyper held 10,011 descriptors without the turn: 8 interleaved rounds of
/// `load -d 3s --parse user`, with / without, median 0.945 (0.91 to 1.03)
/// at 100 in flight and 0.951 (0.81 to 1.13) at 1,000, so about 5% of
/// cyper's throughput, for a pool that is the size every other client
/// gets and no requests lost. reqwest has the same pool and is left as it
/// is: on tokio the same turn cost it 12 to 20% at 100 in flight (see
/// docs/benchmarks.md).
const GIVE_BACK_YIELDS: usize = 1;

/// Sorts a cyper error met at `stage` into the kind a report counts.
fn map_error(url: &str, err: cyper::Error, stage: Stage) -> FetchError {
    match err {
        cyper::Error::HyperClient(e) if e.is_connect() => FetchError::connect(url, e),
        cyper::Error::InvalidUrl(_) | cyper::Error::UrlParse(_) | cyper::Error::BadScheme(_) => {
            FetchError::InvalidUrl {
                url: url.to_owned(),
                reason: fetch_core::error_chain(&err),
            }
        }
        other => stage.transport(url, other),
    }
}
