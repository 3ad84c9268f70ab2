//! hyper 1: the raw HTTP client most Rust clients are built on (reqwest is).
//!
//! hyper itself only speaks HTTP over a connection it is handed; it does not
//! open sockets, spawn tasks or keep time. hyper-util's pooled client adds a
//! connection pool and asks for three things from the runtime: a *connector*
//! (how to open a TCP connection), an *executor* (how to spawn the task that
//! drives each connection) and a *timer* (to expire idle connections).
//! Giving it tokio's or smol's versions is all it takes to move the same
//! client between runtimes, which makes it the fairest way to compare the
//! runtimes themselves.
//!
//! This adapter speaks plain `http://` only; for `https://` use reqwest or
//! surf, which bring TLS.

use bytes::Bytes;
use fetch_core::{BodyBuffer, ClientConfig, FetchError, HttpClient, Response, parse_url};
use http_body_util::{BodyExt as _, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::Connect;

#[cfg(feature = "hyper-smol")]
pub mod smol_rt;

/// A [`HttpClient`] backed by hyper-util's pooled client over connector `C`.
#[derive(Debug, Clone)]
pub struct HyperClient<C> {
    client: Client<C, Empty<Bytes>>,
    config: ClientConfig,
}

impl<C> HyperClient<C> {
    /// The name reports use.
    pub const NAME: &'static str = "hyper";
}

#[cfg(feature = "hyper-tokio")]
impl HyperClient<hyper_util::client::legacy::connect::HttpConnector> {
    /// hyper on tokio: tokio's TCP connector, executor and timer. Call it
    /// from inside a tokio runtime or with one entered.
    pub fn tokio(config: &ClientConfig) -> Self {
        use hyper_util::client::legacy::connect::HttpConnector;
        use hyper_util::rt::{TokioExecutor, TokioTimer};

        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(config.connect_timeout));
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(config.connections)
            .pool_timer(TokioTimer::new())
            .build(connector);
        HyperClient {
            client,
            config: config.clone(),
        }
    }
}

#[cfg(feature = "hyper-smol")]
impl HyperClient<smol_rt::SmolConnector> {
    /// hyper on smol: an async-io TCP connector, and connection tasks
    /// spawned on `executor` (the runtime's own, so they run on its threads).
    pub fn smol(config: &ClientConfig, executor: std::sync::Arc<smol::Executor<'static>>) -> Self {
        use smol_hyper::rt::{SmolExecutor, SmolTimer};

        let connector = smol_rt::SmolConnector::new(config.connect_timeout);
        let client = Client::builder(SmolExecutor::new(executor))
            .pool_max_idle_per_host(config.connections)
            .pool_timer(SmolTimer::new())
            .build(connector);
        HyperClient {
            client,
            config: config.clone(),
        }
    }
}

impl<C> HttpClient for HyperClient<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn config(&self) -> &ClientConfig {
        &self.config
    }

    async fn get(&self, url: &str) -> Result<Response, FetchError> {
        let parsed = parse_url(url)?;
        if parsed.scheme() == "https" {
            return Err(FetchError::InvalidUrl {
                url: url.to_owned(),
                reason: "the hyper client here speaks plain http only; use --client reqwest or surf for https".to_owned(),
            });
        }
        let uri: hyper::Uri =
            parsed
                .as_str()
                .parse()
                .map_err(|e: hyper::http::uri::InvalidUri| FetchError::InvalidUrl {
                    url: url.to_owned(),
                    reason: e.to_string(),
                })?;
        let request =
            hyper::Request::get(uri)
                .body(Empty::new())
                .map_err(|e| FetchError::InvalidUrl {
                    url: url.to_owned(),
                    reason: e.to_string(),
                })?;
        // `.await`: a pooled connection is checked out (or opened), the
        // request written and the head read, all while this task is parked.
        let response = self.client.request(request).await.map_err(|e| {
            if e.is_connect() {
                FetchError::connect(url, e)
            } else {
                FetchError::transport(url, e)
            }
        })?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let length = response
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok());
        let mut body = BodyBuffer::new(url, self.config.max_body, length)?;
        let mut incoming = response.into_body();
        // The body arrives in frames; each `.await` waits for the next one.
        while let Some(frame) = incoming.frame().await {
            let frame = frame.map_err(|e| FetchError::transport(url, e))?;
            if let Ok(data) = frame.into_data() {
                body.push(&data)?;
            }
        }
        Ok(Response {
            status,
            content_type,
            body: body.finish(),
        })
    }
}
