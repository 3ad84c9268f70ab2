//! The hyper [`Transport`] on tokio: tokio's TCP, tokio's timer for the
//! connect timeout.

use std::io;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use fetch_core::ClientConfig;

use super::{HyperClient, Transport};

impl HyperClient<TokioTransport> {
    /// hyper on tokio: tokio's TCP and timer. Its requests must run on a
    /// tokio runtime.
    pub fn tokio(config: &ClientConfig) -> Self {
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
    /// A transport that gives up on a connect after `connect_timeout`.
    pub fn new(connect_timeout: Duration) -> Self {
        TokioTransport { connect_timeout }
    }
}

impl Transport for TokioTransport {
    type Io = TokioIo<TcpStream>;

    async fn dial(&self, host: &str, port: u16) -> io::Result<Self::Io> {
        // tokio resolves host names on its blocking pool, so a slow DNS
        // answer does not stall a worker thread.
        let connect = TcpStream::connect((host, port));
        let stream = tokio::time::timeout(self.connect_timeout, connect)
            .await
            .map_err(|_| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("connect timed out after {:?}", self.connect_timeout),
                )
            })??;
        stream.set_nodelay(true)?;
        Ok(TokioIo::new(stream))
    }
}
