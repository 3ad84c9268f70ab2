//! The hyper [`Transport`] on tokio: tokio's TCP, tokio-rustls for https,
//! tokio's timer for the connect timeout, `tokio::spawn` for HTTP/2
//! connection tasks.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use fetch_core::{ClientConfig, FetchError};

use super::pool::{MaybeTls, connect_timed_out, server_name};
use super::{HyperClient, Transport};

impl HyperClient<TokioTransport> {
    /// hyper on tokio: tokio's TCP and timer. Its requests must run on a
    /// tokio runtime. Fails only on a `--ca-cert` that is not one.
    pub fn tokio(config: &ClientConfig) -> Result<Self, FetchError> {
        Self::new(TokioTransport::new(config.connect_timeout), config)
    }
}

/// Opens connections on tokio. Its futures must run inside a tokio
/// runtime (with I/O and time enabled).
#[derive(Debug, Clone)]
pub struct TokioTransport {
    connect_timeout: Duration,
}

impl TokioTransport {
    /// A transport that gives up on a connect (and TLS handshake) after
    /// `connect_timeout`.
    pub fn new(connect_timeout: Duration) -> Self {
        TokioTransport { connect_timeout }
    }
}

impl Transport for TokioTransport {
    type Io = MaybeTls<TokioIo<TcpStream>, TokioIo<tokio_rustls::client::TlsStream<TcpStream>>>;

    async fn dial(
        &self,
        host: &str,
        port: u16,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> io::Result<Self::Io> {
        let connect = async {
            // tokio resolves host names on its blocking pool, so a slow DNS
            // answer does not stall a worker thread.
            let stream = TcpStream::connect((host, port)).await?;
            stream.set_nodelay(true)?;
            let Some(config) = tls else {
                return Ok(MaybeTls::Plain(TokioIo::new(stream)));
            };
            let name = server_name(host)?;
            let connector = tokio_rustls::TlsConnector::from(config.clone());
            let stream = connector.connect(name, stream).await?;
            Ok(MaybeTls::Tls(Box::new(TokioIo::new(stream))))
        };
        tokio::time::timeout(self.connect_timeout, connect)
            .await
            .map_err(|_| connect_timed_out(self.connect_timeout))?
    }

    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()> + Send>>) {
        tokio::spawn(task);
    }
}
