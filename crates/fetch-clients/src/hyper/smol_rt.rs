//! The hyper [`Transport`] on smol: async-io TCP and timer. smol-hyper
//! supplies the adapter from futures-io streams to hyper's I/O traits.

use std::io;
use std::time::Duration;

use smol::net::TcpStream;
use smol_hyper::rt::FuturesIo;

use fetch_core::ClientConfig;

use super::{HyperClient, Transport};

impl HyperClient<SmolTransport> {
    /// hyper on smol: async-io TCP and timer (async-io runs its own reactor
    /// thread, so any executor can poll these requests).
    pub fn smol(config: &ClientConfig) -> Self {
        Self::new(SmolTransport::new(config.connect_timeout), config)
    }
}

/// Opens connections with async-io (smol's reactor).
#[derive(Debug, Clone)]
pub struct SmolTransport {
    connect_timeout: Duration,
}

impl SmolTransport {
    /// A transport that gives up on a connect after `connect_timeout`.
    pub fn new(connect_timeout: Duration) -> Self {
        SmolTransport { connect_timeout }
    }
}

impl Transport for SmolTransport {
    type Io = FuturesIo<TcpStream>;

    async fn dial(&self, host: &str, port: u16) -> io::Result<Self::Io> {
        let limit = self.connect_timeout;
        let connect = async {
            // smol resolves host names on its blocking thread pool, so a
            // slow DNS answer does not stall the executor.
            let stream = TcpStream::connect((host, port)).await?;
            stream.set_nodelay(true)?;
            Ok(FuturesIo::new(stream))
        };
        let give_up = async {
            smol::Timer::after(limit).await;
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("connect timed out after {limit:?}"),
            ))
        };
        smol::future::or(connect, give_up).await
    }
}
