//! `Connection`: one TCP connection, whatever the backend.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::io::{AsyncRead, AsyncWrite};

/// What a connection's bytes go through: the backend's stream.
trait Io: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// A TCP connection handed to the handler of a [`StreamServer`](super::StreamServer) or
/// [`StreamClient`](super::StreamClient): the backend's stream behind the
/// `futures::io::{AsyncRead, AsyncWrite}` traits, so that `AsyncReadExt`, `AsyncBufReadExt`
/// (through `futures::io::BufReader`) and `AsyncWriteExt` work on it. Closing it
/// (`AsyncWriteExt::close`) shuts the writing half down; dropping it closes the connection.
pub struct Connection {
    io: Stream,
    peer: SocketAddr,
}

/// The stream: tokio's inline (the common case, and a server may hold thousands of idle
/// connections), any other behind a box.
enum Stream {
    #[cfg(feature = "tokio")]
    Tokio(ginkgo_tokio::FuturesIo<tokio::net::TcpStream>),
    #[cfg(any(feature = "smol", feature = "async-std", feature = "threads"))]
    Other(Box<dyn Io>),
}

impl Connection {
    #[cfg(any(feature = "smol", feature = "async-std", feature = "threads"))]
    pub(crate) fn new(io: impl AsyncRead + AsyncWrite + Send + Unpin + 'static, peer: SocketAddr) -> Self {
        Connection { io: Stream::Other(Box::new(io)), peer }
    }

    #[cfg(feature = "tokio")]
    pub(crate) fn tokio(stream: tokio::net::TcpStream, peer: SocketAddr) -> Self {
        Connection { io: Stream::Tokio(ginkgo_tokio::FuturesIo::new(stream)), peer }
    }

    fn io(self: Pin<&mut Self>) -> Pin<&mut dyn Io> {
        match &mut self.get_mut().io {
            #[cfg(feature = "tokio")]
            Stream::Tokio(stream) => Pin::new(stream),
            #[cfg(any(feature = "smol", feature = "async-std", feature = "threads"))]
            Stream::Other(stream) => Pin::new(&mut **stream),
        }
    }

    /// The address of the other end.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection").field("peer", &self.peer).finish_non_exhaustive()
    }
}

impl AsyncRead for Connection {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io().poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io().poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io().poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io().poll_close(cx)
    }
}

/// A blocking `std::net::TcpStream` behind the async traits, for the threads backend: every
/// call blocks until done, which is right on a thread that serves this one connection.
#[cfg(feature = "threads")]
pub(crate) struct Blocking(pub(crate) std::net::TcpStream);

#[cfg(feature = "threads")]
impl AsyncRead for Blocking {
    fn poll_read(mut self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(io::Read::read(&mut self.0, buf))
    }
}

#[cfg(feature = "threads")]
impl AsyncWrite for Blocking {
    fn poll_write(mut self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(io::Write::write(&mut self.0, buf))
    }

    fn poll_flush(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(io::Write::flush(&mut self.0))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.shutdown(std::net::Shutdown::Write))
    }
}
