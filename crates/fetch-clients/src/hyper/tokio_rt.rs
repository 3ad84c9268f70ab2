//! The hyper [`Transport`] on tokio: tokio's TCP, tokio's timer for the
//! connect timeout, connection tasks spawned on the runtime that made it.

use std::future::Future;
use std::io;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::runtime::Handle;

use super::Transport;

/// Opens connections on tokio and runs them on its threads.
#[derive(Debug, Clone)]
pub struct TokioTransport {
    runtime: Handle,
    connect_timeout: Duration,
}

impl TokioTransport {
    /// A transport on the runtime this is called from.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime (call it inside `block_on` or with the
    /// runtime entered), as `tokio::spawn` would.
    pub fn current(connect_timeout: Duration) -> Self {
        TokioTransport {
            runtime: Handle::current(),
            connect_timeout,
        }
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

    fn spawn(&self, connection: impl Future<Output = ()> + Send + 'static) {
        // Detached: the task ends when its connection closes.
        drop(self.runtime.spawn(connection));
    }
}
