//! `BackendTransport`: the sockets of whichever backend runs the service.

use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::io::{AsyncRead, AsyncWrite};
use ginkgo_core::net::backend::{Handshake, Transport};
use ginkgo_core::net::{Address, LocalAddr, PeerAddr, SocketMode};
use ginkgo_core::{BoxError, Context};

use crate::Backend;

#[cfg(feature = "http")]
mod http;
#[cfg(feature = "http")]
pub use http::BackendHttpIo;

/// The sockets of whichever backend runs the service, chosen when it starts: tokio's
/// (`ginkgo_tokio::Tokio`), async-io's for smol and async-std (`ginkgo_asyncstd::AsyncIo`), or
/// the threads backend's blocking ones (`ginkgo_threads::Threads`). The [`Transport`] of
/// [`StreamServer`](super::StreamServer) and [`StreamClient`](super::StreamClient); its
/// connections are [`BackendStream`]s.
///
/// With the feature `tls`, it speaks TLS when a service's `with_tls` (or `with_tls_settings`,
/// …) gave it a certificate or trusted roots and, for settings, they were set when the service
/// started: over each backend's own TLS (tokio-rustls on tokio, futures-rustls on smol and
/// async-std, rustls' blocking streams on threads), with the same [`BackendStream`]s.
#[derive(Clone, Debug, Default)]
pub struct BackendTransport {
    #[cfg(feature = "tls")]
    tls: Option<ginkgo_core::tls::TlsLayer>,
}

/// A connection over the sockets of the backend running the service, behind the
/// `futures::io::{AsyncRead, AsyncWrite}` traits whatever the backend. A tokio stream is held
/// inline, the others boxed, so that the type is no larger than tokio's `TcpStream`: a server
/// may hold many thousands of idle connections, and tokio is the default backend.
pub struct BackendStream(pub(super) Stream);

pub(super) enum Stream {
    #[cfg(feature = "tokio")]
    Tokio(ginkgo_tokio::FuturesIo<ginkgo_tokio::Stream>),
    #[cfg(any(feature = "smol", feature = "async-std"))]
    AsyncIo(Box<ginkgo_asyncstd::Stream>),
    #[cfg(feature = "threads")]
    Threads(Box<ginkgo_threads::Stream>),
    #[cfg(all(feature = "tokio", feature = "tls"))]
    TokioTls(Box<ginkgo_tokio::FuturesIo<ginkgo_tokio::TlsStream>>),
    #[cfg(all(any(feature = "smol", feature = "async-std"), feature = "tls"))]
    AsyncIoTls(Box<ginkgo_asyncstd::TlsStream>),
    #[cfg(all(feature = "threads", feature = "tls"))]
    ThreadsTls(Box<ginkgo_threads::TlsStream>),
}

/// A listening socket of the backend running the service.
pub struct BackendListener(Listener);

enum Listener {
    #[cfg(feature = "tokio")]
    Tokio(ginkgo_tokio::Listener),
    #[cfg(any(feature = "smol", feature = "async-std"))]
    AsyncIo(ginkgo_asyncstd::Listener),
    #[cfg(feature = "threads")]
    Threads(ginkgo_threads::Listener),
}

/// Whose sockets a backend uses.
#[derive(Clone, Copy)]
pub(super) enum Sockets {
    #[cfg(feature = "tokio")]
    Tokio,
    #[cfg(any(feature = "smol", feature = "async-std"))]
    AsyncIo,
    #[cfg(feature = "threads")]
    Threads,
}

impl Sockets {
    /// The sockets of the backend running `ctx`'s service.
    fn of(ctx: &Context) -> Result<Sockets, NoBackend> {
        let name = ctx.async_manager().map_or("none", |manager| manager.backend());
        match Backend::from_name(name).map_err(|_| NoBackend { name })? {
            #[cfg(feature = "tokio")]
            Backend::Tokio => Ok(Sockets::Tokio),
            #[cfg(feature = "smol")]
            Backend::Smol => Ok(Sockets::AsyncIo),
            #[cfg(feature = "async-std")]
            Backend::AsyncStd => Ok(Sockets::AsyncIo),
            #[cfg(feature = "threads")]
            Backend::Threads => Ok(Sockets::Threads),
        }
    }
}

impl Transport for BackendTransport {
    type Listener = BackendListener;
    type Accepted = BackendStream;
    type Stream = BackendStream;
    type Handshaking = BoxFuture<'static, io::Result<BackendStream>>;

    fn check_backend(&self, ctx: &Context, _service: &'static str) -> Result<(), BoxError> {
        Sockets::of(ctx)?;
        Ok(())
    }

    fn prepare(&self, ctx: &Context) -> Result<(), BoxError> {
        #[cfg(feature = "tls")]
        if let Some(layer) = &self.tls {
            layer.load(ctx).map_err(ginkgo_core::config::ConfigError::unusable)?;
        }
        let _ = ctx;
        Ok(())
    }

    fn reload(&self, ctx: &Context) -> Result<(), BoxError> {
        #[cfg(feature = "tls")]
        if let Some(layer) = &self.tls {
            layer.reload(ctx)?;
        }
        let _ = ctx;
        Ok(())
    }

    async fn bind(
        &self,
        ctx: &Context,
        address: &Address,
        unix_mode: SocketMode,
    ) -> io::Result<(BackendListener, LocalAddr)> {
        let (listener, local) = match Sockets::of(ctx).map_err(io::Error::other)? {
            #[cfg(feature = "tokio")]
            Sockets::Tokio => {
                let (listener, local) = ginkgo_tokio::Tokio.bind(ctx, address, unix_mode).await?;
                (Listener::Tokio(listener), local)
            }
            #[cfg(any(feature = "smol", feature = "async-std"))]
            Sockets::AsyncIo => {
                let (listener, local) = ginkgo_asyncstd::AsyncIo.bind(ctx, address, unix_mode).await?;
                (Listener::AsyncIo(listener), local)
            }
            #[cfg(feature = "threads")]
            Sockets::Threads => {
                let (listener, local) = ginkgo_threads::Threads.bind(ctx, address, unix_mode).await?;
                (Listener::Threads(listener), local)
            }
        };
        Ok((BackendListener(listener), local))
    }

    async fn accept(&self, listener: &BackendListener) -> io::Result<(BackendStream, PeerAddr)> {
        let (stream, peer) = match &listener.0 {
            #[cfg(feature = "tokio")]
            Listener::Tokio(listener) => {
                let (stream, peer) = ginkgo_tokio::Tokio.accept(listener).await?;
                (Stream::Tokio(ginkgo_tokio::FuturesIo::new(stream)), peer)
            }
            #[cfg(any(feature = "smol", feature = "async-std"))]
            Listener::AsyncIo(listener) => {
                let (stream, peer) = ginkgo_asyncstd::AsyncIo.accept(listener).await?;
                (Stream::AsyncIo(Box::new(stream)), peer)
            }
            #[cfg(feature = "threads")]
            Listener::Threads(listener) => {
                let (stream, peer) = ginkgo_threads::Threads.accept(listener).await?;
                (Stream::Threads(Box::new(stream)), peer)
            }
        };
        Ok((BackendStream(stream), peer))
    }

    fn handshake(&self, accepted: BackendStream, timeout: Duration) -> Handshake<BackendStream, Self::Handshaking> {
        #[cfg(feature = "tls")]
        if let Some(config) = self.tls.as_ref().and_then(ginkgo_core::tls::TlsLayer::server_config) {
            return Handshake::Pending(super::tls::accept(accepted, config, timeout));
        }
        let _ = timeout;
        Handshake::Done(accepted)
    }

    async fn connect(
        &self,
        ctx: &Context,
        address: &Address,
        timeout: Duration,
    ) -> io::Result<(BackendStream, PeerAddr)> {
        let sockets = Sockets::of(ctx).map_err(io::Error::other)?;
        #[cfg(feature = "tls")]
        if let Some(layer) = self.tls.as_ref().filter(|layer| layer.is_on()) {
            return super::tls::connect(sockets, layer, ctx, address, timeout).await;
        }
        let (stream, peer) = match sockets {
            #[cfg(feature = "tokio")]
            Sockets::Tokio => {
                let (stream, peer) = ginkgo_tokio::Tokio.connect(ctx, address, timeout).await?;
                (Stream::Tokio(ginkgo_tokio::FuturesIo::new(stream)), peer)
            }
            #[cfg(any(feature = "smol", feature = "async-std"))]
            Sockets::AsyncIo => {
                let (stream, peer) = ginkgo_asyncstd::AsyncIo.connect(ctx, address, timeout).await?;
                (Stream::AsyncIo(Box::new(stream)), peer)
            }
            #[cfg(feature = "threads")]
            Sockets::Threads => {
                let (stream, peer) = ginkgo_threads::Threads.connect(ctx, address, timeout).await?;
                (Stream::Threads(Box::new(stream)), peer)
            }
        };
        Ok((BackendStream(stream), peer))
    }
}

#[cfg(feature = "tls")]
impl ginkgo_core::tls::WithTls for BackendTransport {
    fn set_tls(&mut self, layer: ginkgo_core::tls::TlsLayer) {
        self.tls = Some(layer);
    }
}

impl BackendStream {
    fn io(self: Pin<&mut Self>) -> Pin<&mut dyn Io> {
        match &mut self.get_mut().0 {
            #[cfg(feature = "tokio")]
            Stream::Tokio(stream) => Pin::new(stream),
            #[cfg(any(feature = "smol", feature = "async-std"))]
            Stream::AsyncIo(stream) => Pin::new(&mut **stream),
            #[cfg(feature = "threads")]
            Stream::Threads(stream) => Pin::new(&mut **stream),
            #[cfg(all(feature = "tokio", feature = "tls"))]
            Stream::TokioTls(stream) => Pin::new(&mut **stream),
            #[cfg(all(any(feature = "smol", feature = "async-std"), feature = "tls"))]
            Stream::AsyncIoTls(stream) => Pin::new(&mut **stream),
            #[cfg(all(feature = "threads", feature = "tls"))]
            Stream::ThreadsTls(stream) => Pin::new(&mut **stream),
        }
    }
}

/// What a connection's bytes go through.
trait Io: AsyncRead + AsyncWrite + Unpin {}

impl<T: AsyncRead + AsyncWrite + Unpin> Io for T {}

impl AsyncRead for BackendStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io().poll_read(cx, buf)
    }
}

impl AsyncWrite for BackendStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io().poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        self.io().poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        self.io().poll_close(cx)
    }
}

impl fmt::Debug for BackendStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendStream").finish_non_exhaustive()
    }
}

impl fmt::Debug for BackendListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendListener").finish_non_exhaustive()
    }
}

/// A service of `ginkgo::net` was started by a manager that is not one of this build's
/// backends.
#[derive(Debug)]
struct NoBackend {
    name: &'static str,
}

impl fmt::Display for NoBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ginkgo::net has no implementation for the async backend `{}`", self.name)
    }
}

impl std::error::Error for NoBackend {}
