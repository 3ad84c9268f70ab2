//! The hyper [`Transport`] on smol: async-io TCP and timer, futures-rustls
//! for https. smol-hyper supplies the adapter from futures-io streams to
//! hyper's I/O traits. HTTP/2 connection tasks go to the executor the
//! client was given.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use smol::net::TcpStream;
use smol_hyper::rt::FuturesIo;

use fetch_core::{ClientConfig, FetchError};

use super::pool::{MaybeTls, connect_timed_out, server_name};
use super::{HyperClient, Transport};

impl HyperClient<SmolTransport> {
    /// hyper on smol: async-io TCP and timer (async-io runs its own reactor
    /// thread, so any executor can poll these requests). HTTP/2 connection
    /// tasks go to smol's global executor; a runtime with an executor of
    /// its own uses [`HyperClient::smol_on`]. Fails only on a `--ca-cert`
    /// that is not one.
    pub fn smol(config: &ClientConfig) -> Result<Self, FetchError> {
        Self::new(SmolTransport::new(config.connect_timeout, None), config)
    }

    /// Like [`HyperClient::smol`], with HTTP/2 connection tasks on
    /// `executor`: the one the requests run on, so they share its threads.
    pub fn smol_on(
        config: &ClientConfig,
        executor: Arc<smol::Executor<'static>>,
    ) -> Result<Self, FetchError> {
        Self::new(
            SmolTransport::new(config.connect_timeout, Some(executor)),
            config,
        )
    }
}

/// Opens connections with async-io (smol's reactor).
#[derive(Debug, Clone)]
pub struct SmolTransport {
    connect_timeout: Duration,
    /// Where HTTP/2 connection tasks run; `None`: smol's global executor.
    executor: Option<Arc<smol::Executor<'static>>>,
}

impl SmolTransport {
    /// A transport that gives up on a connect (and TLS handshake) after
    /// `connect_timeout`, and spawns on `executor` (or smol's global one).
    pub fn new(connect_timeout: Duration, executor: Option<Arc<smol::Executor<'static>>>) -> Self {
        SmolTransport {
            connect_timeout,
            executor,
        }
    }
}

impl Transport for SmolTransport {
    type Io =
        MaybeTls<FuturesIo<TcpStream>, FuturesIo<futures_rustls::client::TlsStream<TcpStream>>>;

    async fn dial(
        &self,
        host: &str,
        port: u16,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> io::Result<Self::Io> {
        let limit = self.connect_timeout;
        let connect = async {
            // smol resolves host names on its blocking thread pool, so a
            // slow DNS answer does not stall the executor.
            let stream = TcpStream::connect((host, port)).await?;
            stream.set_nodelay(true)?;
            let Some(config) = tls else {
                return Ok(MaybeTls::Plain(FuturesIo::new(stream)));
            };
            let name = server_name(host)?;
            let connector = futures_rustls::TlsConnector::from(config.clone());
            let stream = connector.connect(name, stream).await?;
            Ok(MaybeTls::Tls(Box::new(FuturesIo::new(stream))))
        };
        let give_up = async {
            smol::Timer::after(limit).await;
            Err(connect_timed_out(limit))
        };
        smol::future::or(connect, give_up).await
    }

    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()> + Send>>) {
        match &self.executor {
            Some(executor) => executor.spawn(task).detach(),
            None => smol::spawn(task).detach(),
        }
    }
}
