//! [`UreqClient`]: ureq, a blocking HTTP client, a [`BlockingHttpClient`].
//!
//! https uses ureq's own rustls; `--ca-cert` replaces its roots rather
//! than adding to them (ureq takes either Mozilla's roots or a list of its
//! own), which makes no difference for a local server with its own CA.
//! HTTP/1.1 only: ureq 3 has no HTTP/2.
//!
//! ureq counts no connections for us (its connector hook is in its
//! `unversioned` API), so its reports say the count is not available.
//!
//! Its GET blocks the calling thread, which is exactly the mistake the
//! seed warns about inside an async executor ("you freeze the entire
//! executor"). It is safe only on a runtime that gives every task an OS
//! thread of its own, the `fetch-threads` baseline's `ThreadsRuntime`, where
//! a blocked task blocks nobody else. So it is no `HttpClient`: only
//! `ThreadsRuntime::client` makes one of it, and tokio, smol or async-std
//! cannot be handed it.

use std::io;

use fetch_core::{BlockingHttpClient, ClientConfig, FetchError, OriginCache, Request, Response};

use crate::head::Head;

/// A [`BlockingHttpClient`]: its `get` holds the calling thread until the
/// answer is in. Only the runtime with one OS thread per task
/// (`fetch_threads::ThreadsRuntime::client`) makes an async client of it.
#[derive(Debug, Clone)]
pub struct UreqClient {
    agent: ureq::Agent,
    /// The same agent with no idle pool: each request on a connection of
    /// its own (`send_fresh_blocking`, a retry).
    fresh: ureq::Agent,
    urls: OriginCache,
    config: ClientConfig,
}

impl UreqClient {
    /// The name reports use.
    pub const NAME: &'static str = fetch_registry::Client::Ureq.name();

    /// Builds the agent, with its pool and time limits from `config`.
    /// Fails only on a `--ca-cert` that holds no certificate.
    pub fn new(config: &ClientConfig) -> Result<Self, FetchError> {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(ca) = &config.ca_cert {
            let roots: Vec<_> = ureq::tls::parse_pem(&ca.pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                    _ => None,
                })
                .collect();
            if roots.is_empty() {
                return Err(FetchError::InvalidUrl {
                    url: ca.path.display().to_string(),
                    reason:
                        "not a CA certificate to trust (--ca-cert): no PEM CERTIFICATE block in it"
                            .to_owned(),
                });
            }
            tls = tls.root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(roots)));
        }
        let idle = if config.keep_alive {
            config.connections
        } else {
            0
        };
        let tls = tls.build();
        Ok(UreqClient {
            agent: Self::agent(config, tls.clone(), idle),
            fresh: Self::agent(config, tls, 0),
            urls: OriginCache::default(),
            config: config.clone(),
        })
    }

    /// An agent for `config` with `tls`, keeping up to `idle` connections.
    fn agent(config: &ClientConfig, tls: ureq::tls::TlsConfig, idle: usize) -> ureq::Agent {
        ureq::Agent::config_builder()
            .tls_config(tls)
            // A blocked thread cannot be interrupted by dropping a future,
            // so the whole-request limit is ureq's own job here.
            .timeout_global(Some(config.request_timeout))
            .timeout_connect(Some(config.connect_timeout))
            .max_idle_connections(idle)
            .max_idle_connections_per_host(idle)
            .http_status_as_error(false)
            // Any method the user asks for (`-m PROPFIND`), as every client.
            .allow_non_standard_methods(true)
            // Redirects are followed by fetch-core, the same way for every
            // client.
            .max_redirects(0)
            // The same headers as every client; no Accept-Encoding (this
            // build of ureq has no decompression anyway).
            .user_agent(config.user_agent.as_str())
            .accept(ClientConfig::ACCEPT)
            .accept_encoding("")
            .build()
            .into()
    }

    /// One request on this thread through `agent` (the pooled one or the
    /// fresh one): the whole request, then the whole body.
    fn send(&self, agent: &ureq::Agent, sent: &Request<'_>) -> Result<Response, FetchError> {
        let url = sent.url;
        let parsed = self.urls.parse(url)?;
        let mut request = ureq::http::Request::builder()
            .method(sent.method.clone())
            .uri(parsed.as_str());
        for (name, value) in sent.header_list() {
            request = request.header(name, value);
        }
        let invalid = |e: ureq::http::Error| FetchError::InvalidUrl {
            url: url.to_owned(),
            reason: e.to_string(),
        };
        // No body is `()`, which ureq sends without a Content-Length; a
        // body, with one.
        let answer = if sent.body.is_empty() {
            agent.run(request.body(()).map_err(invalid)?)
        } else {
            agent.run(request.body(&sent.body[..]).map_err(invalid)?)
        };
        let mut response = answer.map_err(|e| self.map_error(url, e))?;
        let head = Head::of(response.status(), response.version(), response.headers());
        let mut body = head.body(sent, self.config.max_body)?;
        let mut reader = response.body_mut().as_reader();
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            let n = match io::Read::read(&mut reader, &mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    return Err(self.timeout(url));
                }
                Err(e) => return Err(FetchError::transport(url, e)),
            };
            body.push(&chunk[..n])?;
        }
        head.with_body(body)
    }

    fn timeout(&self, url: &str) -> FetchError {
        FetchError::Timeout {
            url: url.to_owned(),
            after: self.config.request_timeout,
        }
    }

    /// Sorts a ureq error into the kind a report counts.
    fn map_error(&self, url: &str, err: ureq::Error) -> FetchError {
        use ureq::Error as E;
        match err {
            E::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
                FetchError::ConnectTimeout {
                    url: url.to_owned(),
                    after: self.config.connect_timeout,
                }
            }
            E::Timeout(_) => self.timeout(url),
            E::HostNotFound | E::ConnectionFailed => FetchError::connect(url, err),
            // A name that does not resolve comes back as a plain I/O error,
            // which `is_connect_failure` knows by its text.
            E::Io(ref io) if fetch_core::is_connect_failure(io) => FetchError::connect(url, err),
            E::Io(ref io) if io.kind() == io::ErrorKind::TimedOut => self.timeout(url),
            // A TLS handshake that failed (a certificate not trusted, a name
            // not in it) is a failed connect, as every other client says:
            // rustls's error, as ureq's own variant or inside an I/O error.
            E::Rustls(_) => FetchError::connect(url, err),
            E::Io(ref io)
                if io
                    .get_ref()
                    .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) =>
            {
                FetchError::connect(url, err)
            }
            E::BadUri(reason) => FetchError::InvalidUrl {
                url: url.to_owned(),
                reason,
            },
            E::BodyExceedsLimit(_) => FetchError::BodyTooLarge {
                url: url.to_owned(),
                limit: self.config.max_body,
            },
            // ureq cannot say whether the connection was a reused one.
            // Its error names no source, so an I/O error inside it is
            // handed on as itself: its kind is how a connection the
            // server closed (`UnexpectedEof`, ureq's "Peer disconnected"
            // when a reused connection ends before the answer) is known,
            // and the request is sent once more rather than lost.
            E::Io(io) => FetchError::transport_before_answer(url, io, true),
            other => FetchError::transport_before_answer(url, other, true),
        }
    }
}

impl BlockingHttpClient for UreqClient {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Blocks the calling thread for the whole request.
    fn send_blocking(&self, request: &Request<'_>) -> Result<Response, FetchError> {
        self.send(&self.agent, request)
    }

    /// On the agent without an idle pool: a new connection.
    fn send_fresh_blocking(&self, request: &Request<'_>) -> Result<Response, FetchError> {
        self.send(&self.fresh, request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_that_ended_before_the_answer_is_sent_again() {
        let Ok(client) = UreqClient::new(&ClientConfig::default()) else {
            panic!("a client with the default configuration");
        };
        let url = "http://127.0.0.1:1/users/1";
        // What ureq returns when a reused connection ends before the head.
        let ended = io::Error::new(io::ErrorKind::UnexpectedEof, "Peer disconnected");
        let err = client.map_error(url, ureq::Error::Io(ended));
        assert!(err.is_unanswered(), "{err:?}");
        assert_eq!(err.kind(), fetch_core::ErrorKind::Transport);
        // Any other I/O error is a transport error, and not sent again.
        let other = io::Error::other("something else");
        let err = client.map_error(url, ureq::Error::Io(other));
        assert!(!err.is_unanswered(), "{err:?}");
    }
}
