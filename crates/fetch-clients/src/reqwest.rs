//! reqwest: the idiomatic tokio client. Needs a tokio runtime to run on.
//!
//! reqwest pools connections per host. Its *idle* pool is unbounded by
//! default; here it is set to [`ClientConfig::connections`] like every other
//! client's pool. reqwest has no cap on connections *open at once*: with
//! more requests in flight than the pool holds, it opens more and closes the
//! extras when they fall idle. In a load run the engine's gate lets no more
//! requests in than there are connections, which caps them.
//!
//! Its TLS is the same rustls configuration the hyper pool uses
//! (`crate::tls`: the same roots, `--ca-cert` added, the same ALPN), given
//! to reqwest whole. With HTTP/2 (`ClientConfig::http2`) it speaks HTTP/2
//! only (prior knowledge over http, ALPN `h2` over TLS) and, as hyper-util's
//! pool does, puts every request to a host on one connection.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use fetch_core::{ClientConfig, FetchError, HttpClient, OriginCache, Request, Response};

use crate::head::{Head, Stage};

/// A [`HttpClient`] backed by `reqwest::Client`.
#[derive(Debug, Clone)]
pub struct ReqwestClient {
    client: reqwest::Client,
    /// The same client with no idle pool: each request on a connection of
    /// its own, closed after it (`send_fresh`, a retry).
    fresh: reqwest::Client,
    /// Connections opened, counted by a connector layer.
    opened: Arc<AtomicU64>,
    urls: OriginCache,
    config: ClientConfig,
}

impl ReqwestClient {
    /// The name reports use.
    pub const NAME: &'static str = fetch_registry::Client::Reqwest.name();

    /// Builds the client. Certificate verification stays on for https.
    pub fn new(config: &ClientConfig) -> Result<Self, FetchError> {
        let opened = Arc::new(AtomicU64::new(0));
        let idle = if config.keep_alive {
            config.connections
        } else {
            0
        };
        Ok(ReqwestClient {
            client: Self::build(config, &opened, idle)?,
            fresh: Self::build(config, &opened, 0)?,
            opened,
            urls: OriginCache::default(),
            config: config.clone(),
        })
    }

    /// A reqwest client for `config` keeping up to `idle` connections per
    /// host, counting each connection it opens into `opened`.
    fn build(
        config: &ClientConfig,
        opened: &Arc<AtomicU64>,
        idle: usize,
    ) -> Result<reqwest::Client, FetchError> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static(ClientConfig::ACCEPT),
        );
        if !config.keep_alive {
            // Asks the server to close after answering; the idle pool of
            // 0 below makes reqwest close its side too.
            headers.insert(
                reqwest::header::CONNECTION,
                reqwest::header::HeaderValue::from_static("close"),
            );
        }
        let builder = reqwest::Client::builder();
        let builder = if config.http2 {
            builder.http2_prior_knowledge()
        } else {
            builder.http1_only()
        };
        builder
            .tls_backend_preconfigured(crate::tls::client_config(config)?)
            // The same headers as every client (reqwest is built without
            // its decompression features, so it sends no Accept-Encoding).
            .user_agent(config.user_agent.as_str())
            .default_headers(headers)
            .pool_max_idle_per_host(idle)
            .connect_timeout(config.connect_timeout)
            // Counts each connection the connector opens.
            .connector_layer(CountConnections(opened.clone()))
            .tcp_nodelay(true)
            // No client here goes through a proxy; without this reqwest
            // matches every request against the proxy environment.
            .no_proxy()
            // Redirects are followed by fetch-core, the same way for every
            // client; to reqwest a 3xx is an answer like any other.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FetchError::setup("the reqwest client", e))
    }
}

impl HttpClient for ReqwestClient {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn config(&self) -> &ClientConfig {
        &self.config
    }

    fn connections_opened(&self) -> Option<u64> {
        Some(self.opened.load(Ordering::Relaxed))
    }

    async fn send(&self, sent: &Request<'_>) -> Result<Response, FetchError> {
        self.send_on(&self.client, sent).await
    }

    /// On the client without an idle pool: a new connection.
    async fn send_fresh(&self, sent: &Request<'_>) -> Result<Response, FetchError> {
        self.send_on(&self.fresh, sent).await
    }
}

impl ReqwestClient {
    /// Sends `sent` through `client` (the pooled one or the fresh one).
    async fn send_on(
        &self,
        client: &reqwest::Client,
        sent: &Request<'_>,
    ) -> Result<Response, FetchError> {
        let url = sent.url;
        let parsed = self.urls.parse(url)?;
        // The request's own headers go on top of the client's defaults
        // (reqwest adds a default only where the request has none).
        let mut request = client.request(sent.method.clone(), parsed);
        for (name, value) in sent.header_list() {
            request = request.header(name, value);
        }
        if !sent.body.is_empty() {
            request = request.body(sent.body.clone());
        }
        // `.await`: the request is written and the headers read while this
        // task is parked; the thread runs other tasks meanwhile.
        let mut response = request
            .send()
            .await
            .map_err(|e| self.map_error(url, e, Stage::Head))?;
        let head = Head::of(response.status(), response.version(), response.headers());
        let mut body = head.body(sent, self.config.max_body)?;
        // Read chunk by chunk so a body over the limit is refused before it
        // is all in memory.
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.map_error(url, e, Stage::Body))?
        {
            body.push_bytes(chunk)?;
        }
        head.with_body(body)
    }
}

impl ReqwestClient {
    /// Sorts a reqwest error met at `stage` into the kind a report counts.
    fn map_error(&self, url: &str, err: reqwest::Error, stage: Stage) -> FetchError {
        if err.is_timeout() {
            // Only the connect timeout is set on the client (the request
            // timeout is the load engine's, the same for every client), so
            // a timeout reqwest reports is a connect that took too long.
            FetchError::ConnectTimeout {
                url: url.to_owned(),
                after: self.config.connect_timeout,
            }
        } else if err.is_connect() {
            FetchError::connect(url, err)
        } else if err.is_builder() {
            FetchError::InvalidUrl {
                url: url.to_owned(),
                reason: fetch_core::error_chain(&err),
            }
        } else {
            stage.transport(url, err)
        }
    }
}

/// A connector layer that counts the connections reqwest opens: each call
/// of the connector service that succeeds is one new connection.
#[derive(Debug, Clone)]
struct CountConnections(Arc<AtomicU64>);

impl<S> tower_layer::Layer<S> for CountConnections {
    type Service = Counted<S>;

    fn layer(&self, inner: S) -> Counted<S> {
        Counted {
            inner,
            opened: self.0.clone(),
        }
    }
}

/// The connector service inside [`CountConnections`].
#[derive(Debug, Clone)]
struct Counted<S> {
    inner: S,
    opened: Arc<AtomicU64>,
}

impl<S, R> tower_service::Service<R> for Counted<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    // Boxed once per connection, not per request.
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let connecting = self.inner.call(request);
        let opened = self.opened.clone();
        Box::pin(async move {
            let connection = connecting.await?;
            opened.fetch_add(1, Ordering::Relaxed);
            Ok(connection)
        })
    }
}
