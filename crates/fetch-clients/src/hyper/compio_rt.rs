//! The hyper [`Transport`] on compio: compio's TCP (io_uring, or epoll as
//! the fallback), compio-tls (rustls) for https, compio's timer for the
//! connect timeout, compio's spawn for HTTP/2 connection tasks.
//!
//! compio is thread-per-core: its sockets and futures belong to the thread
//! whose runtime made them and are not `Send`, while this pool's
//! [`Transport`] asks for `Send` (tokio may move a task between threads).
//! The two meet the way cyper, compio's own hyper client, makes them meet:
//! the stream is cyper-core's `HyperStream` (compio's stream behind
//! hyper's I/O traits, inside a `SendWrapper`), and the connect future is
//! wrapped the same way. A `SendWrapper` is `Send` to the compiler and
//! checks at run time that it is only touched on the thread that made it
//! (it panics otherwise). A client over this transport must therefore stay
//! on the thread of the compio runtime it was made on: a sharded run
//! builds one per shard on the shard's own thread
//! (`fetch_core::Shards::start`), and that is the only way this project
//! uses it.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use compio::net::TcpStream;
use cyper_core::HyperStream;
use send_wrapper::SendWrapper;

use fetch_core::{ClientConfig, FetchError};

use super::pool::{connect_timed_out, server_name};
use super::{HyperClient, Transport};

impl HyperClient<CompioTransport> {
    /// hyper on compio. Its requests must run on the compio runtime of the
    /// thread that calls this, and the client must not leave that thread
    /// (see the module docs). Fails only on a `--ca-cert` that is not one.
    pub fn compio(config: &ClientConfig) -> Result<Self, FetchError> {
        Self::new(CompioTransport::new(config.connect_timeout), config)
    }
}

/// Opens connections on the compio runtime of the calling thread.
#[derive(Debug, Clone)]
pub struct CompioTransport {
    connect_timeout: Duration,
}

impl CompioTransport {
    /// A transport that gives up on a connect (and TLS handshake) after
    /// `connect_timeout`.
    pub fn new(connect_timeout: Duration) -> Self {
        CompioTransport { connect_timeout }
    }
}

impl Transport for CompioTransport {
    /// Plain or TLS; cyper-core's adapter holds either.
    type Io = HyperStream<TcpStream>;

    async fn dial(
        &self,
        host: &str,
        port: u16,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> io::Result<Self::Io> {
        let limit = self.connect_timeout;
        let (host, tls) = (host.to_owned(), tls.cloned());
        let connect = async move {
            // compio resolves host names on its blocking pool.
            let stream = TcpStream::connect((host.as_str(), port)).await?;
            stream.set_nodelay(true)?;
            let Some(config) = tls else {
                return Ok(HyperStream::new_plain(stream));
            };
            // The same check of the name the other transports make.
            server_name(&host)?;
            let connector = compio::tls::TlsConnector::from(config);
            let stream = connector.connect(&host, stream).await?;
            Ok(HyperStream::new_tls(stream))
        };
        let timed = async move {
            compio::time::timeout(limit, connect)
                .await
                .map_err(|_| connect_timed_out(limit))?
        };
        // Polled only on this thread (the module docs say why it must be).
        SendWrapper::new(timed).await
    }

    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()> + Send>>) {
        // On this thread's runtime, like every task of a compio shard.
        compio::runtime::spawn(task).detach();
    }
}
