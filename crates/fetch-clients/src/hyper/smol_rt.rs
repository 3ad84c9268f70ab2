//! What hyper-util's pooled client needs from smol that smol-hyper does not
//! provide: a connector that opens TCP connections with async-io, and a
//! connection type hyper-util can ask for connection info.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use smol::net::TcpStream;
use smol_hyper::rt::FuturesIo;

/// Opens plain TCP connections on smol's reactor, as hyper-util's
/// `HttpConnector` does on tokio's.
#[derive(Debug, Clone)]
pub struct SmolConnector {
    connect_timeout: Duration,
}

impl SmolConnector {
    /// A connector that gives up on a connection after `connect_timeout`.
    pub fn new(connect_timeout: Duration) -> Self {
        SmolConnector { connect_timeout }
    }
}

/// A TCP connection hyper can read and write.
#[derive(Debug)]
pub struct SmolStream(FuturesIo<TcpStream>);

impl tower_service::Service<Uri> for SmolConnector {
    type Response = SmolStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<SmolStream>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let limit = self.connect_timeout;
        Box::pin(async move {
            let host = uri
                .host()
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "URL has no host"))?
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let port = uri.port_u16().unwrap_or(80);
            let connect = async {
                // smol resolves host names on its blocking thread pool, so
                // a slow DNS answer does not stall the executor.
                let stream = TcpStream::connect((host.as_str(), port)).await?;
                stream.set_nodelay(true)?;
                Ok(SmolStream(FuturesIo::new(stream)))
            };
            let give_up = async {
                smol::Timer::after(limit).await;
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("connect timed out after {limit:?}"),
                ))
            };
            smol::future::or(connect, give_up).await
        })
    }
}

impl Connection for SmolStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for SmolStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for SmolStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
