//! The hyper [`Transport`] on smol: async-io TCP and timer, connection
//! tasks spawned on the runtime's own executor. smol-hyper supplies the
//! adapter from futures-io streams to hyper's I/O traits.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use smol::net::TcpStream;
use smol_hyper::rt::FuturesIo;

use super::Transport;

/// Opens connections with async-io and runs them on a smol executor.
#[derive(Debug, Clone)]
pub struct SmolTransport {
    executor: Arc<smol::Executor<'static>>,
    connect_timeout: Duration,
}

impl SmolTransport {
    /// A transport whose connection tasks run on `executor`.
    pub fn new(executor: Arc<smol::Executor<'static>>, connect_timeout: Duration) -> Self {
        SmolTransport {
            executor,
            connect_timeout,
        }
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

    fn spawn(&self, connection: impl Future<Output = ()> + Send + 'static) {
        // Detached: the task ends when its connection closes.
        self.executor.spawn(connection).detach();
    }
}
