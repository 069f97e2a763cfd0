//! TLS for `BackendTransport`: each backend's handshakes, their streams as `BackendStream`s.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use ginkgo_core::Context;
use ginkgo_core::net::backend::Transport;
use ginkgo_core::net::{Address, PeerAddr};
use ginkgo_core::tls::rustls::ServerConfig;
use ginkgo_core::tls::{TlsHandshakes, TlsLayer, TlsTransport};

use super::transport::{BackendStream, Sockets, Stream};

/// The server's handshake on `accepted`, over the TLS of the backend that accepted it.
pub(super) fn accept(
    accepted: BackendStream,
    config: Arc<ServerConfig>,
    timeout: Duration,
) -> BoxFuture<'static, io::Result<BackendStream>> {
    match accepted.0 {
        #[cfg(feature = "tokio")]
        Stream::Tokio(stream) => secured(ginkgo_tokio::Tokio.accept_tls(stream.into_inner(), config, timeout)),
        #[cfg(any(feature = "smol", feature = "async-std"))]
        Stream::AsyncIo(stream) => secured(ginkgo_asyncstd::AsyncIo.accept_tls(*stream, config, timeout)),
        #[cfg(feature = "threads")]
        Stream::Threads(stream) => secured(ginkgo_threads::Threads.accept_tls(*stream, config, timeout)),
        #[allow(unreachable_patterns)]
        _ => Box::pin(std::future::ready(Err(io::Error::other("TLS over a TLS connection")))),
    }
}

/// A connection to `address` with `layer`'s TLS, over the sockets of the backend running `ctx`'s
/// service.
pub(super) async fn connect(
    sockets: Sockets,
    layer: &TlsLayer,
    ctx: &Context,
    address: &Address,
    timeout: Duration,
) -> io::Result<(BackendStream, PeerAddr)> {
    match sockets {
        #[cfg(feature = "tokio")]
        Sockets::Tokio => connect_over(ginkgo_tokio::Tokio, layer, ctx, address, timeout).await,
        #[cfg(any(feature = "smol", feature = "async-std"))]
        Sockets::AsyncIo => connect_over(ginkgo_asyncstd::AsyncIo, layer, ctx, address, timeout).await,
        #[cfg(feature = "threads")]
        Sockets::Threads => connect_over(ginkgo_threads::Threads, layer, ctx, address, timeout).await,
    }
}

async fn connect_over<T>(
    sockets: T,
    layer: &TlsLayer,
    ctx: &Context,
    address: &Address,
    timeout: Duration,
) -> io::Result<(BackendStream, PeerAddr)>
where
    T: TlsHandshakes,
    T::TlsStream: Into<Stream>,
{
    let (stream, peer) = TlsTransport::new(sockets, layer.clone()).connect(ctx, address, timeout).await?;
    Ok((BackendStream(stream.into()), peer))
}

/// `handshake`, whose stream is a `BackendStream`.
fn secured<S: Into<Stream>>(
    handshake: impl Future<Output = io::Result<S>> + Send + 'static,
) -> BoxFuture<'static, io::Result<BackendStream>> {
    Box::pin(async move { Ok(BackendStream(handshake.await?.into())) })
}

#[cfg(feature = "tokio")]
impl From<ginkgo_tokio::TlsStream> for Stream {
    fn from(stream: ginkgo_tokio::TlsStream) -> Stream {
        Stream::TokioTls(Box::new(ginkgo_tokio::FuturesIo::new(stream)))
    }
}

#[cfg(any(feature = "smol", feature = "async-std"))]
impl From<ginkgo_asyncstd::TlsStream> for Stream {
    fn from(stream: ginkgo_asyncstd::TlsStream) -> Stream {
        Stream::AsyncIoTls(Box::new(stream))
    }
}

#[cfg(feature = "threads")]
impl From<ginkgo_threads::TlsStream> for Stream {
    fn from(stream: ginkgo_threads::TlsStream) -> Stream {
        Stream::ThreadsTls(Box::new(stream))
    }
}
