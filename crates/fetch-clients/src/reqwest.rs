//! reqwest: the idiomatic tokio client. Needs a tokio runtime to run on.
//!
//! reqwest pools connections per host. Its *idle* pool is unbounded by
//! default; here it is set to [`ClientConfig::connections`] like every other
//! client's pool. reqwest has no cap on connections *open at once*: with
//! more requests in flight than the pool holds, it opens more and closes the
//! extras when they fall idle. In a load run the engine's gate lets no more
//! requests in than there are connections, which caps them.

use fetch_core::{BodyBuffer, ClientConfig, FetchError, HttpClient, OriginCache, Response};

/// A [`HttpClient`] backed by `reqwest::Client`.
#[derive(Debug, Clone)]
pub struct ReqwestClient {
    client: reqwest::Client,
    urls: OriginCache,
    config: ClientConfig,
}

impl ReqwestClient {
    /// The name reports use.
    pub const NAME: &'static str = "reqwest";

    /// Builds the client. Certificate verification stays on for https.
    pub fn new(config: &ClientConfig) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .http1_only()
            .pool_max_idle_per_host(config.connections)
            .connect_timeout(config.connect_timeout)
            .tcp_nodelay(true)
            // No client here goes through a proxy; without this reqwest
            // matches every request against the proxy environment.
            .no_proxy()
            // No redirects followed silently; a 3xx is an answer like any other.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FetchError::connect("(building the reqwest client)", e))?;
        Ok(ReqwestClient {
            client,
            urls: OriginCache::default(),
            config: config.clone(),
        })
    }
}

impl HttpClient for ReqwestClient {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn config(&self) -> &ClientConfig {
        &self.config
    }

    async fn get(&self, url: &str) -> Result<Response, FetchError> {
        let parsed = self.urls.parse(url)?;
        // `.await`: the request is written and the headers read while this
        // task is parked; the thread runs other tasks meanwhile.
        let mut response = self
            .client
            .get(parsed)
            .send()
            .await
            .map_err(|e| self.map_error(url, e))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = BodyBuffer::new(url, self.config.max_body, response.content_length())?;
        // Read chunk by chunk so a body over the limit is refused before it
        // is all in memory.
        while let Some(chunk) = response.chunk().await.map_err(|e| self.map_error(url, e))? {
            body.push_bytes(chunk)?;
        }
        Ok(Response {
            status,
            content_type,
            body: body.finish(),
        })
    }
}

impl ReqwestClient {
    /// Sorts a reqwest error into the kind a report counts.
    fn map_error(&self, url: &str, err: reqwest::Error) -> FetchError {
        if err.is_timeout() {
            // Only the connect timeout is set on the client; the request
            // timeout is the load engine's, the same for every client.
            FetchError::Timeout {
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
            FetchError::transport(url, err)
        }
    }
}
