//! `Runtime`: whose sockets the stream services use, smol's or async-std's.

use std::io;
use std::net::SocketAddr;

use futures::future::BoxFuture;
use futures::io::{AsyncRead, AsyncWrite};

/// The TCP sockets of one runtime, as [`StreamServer`](crate::StreamServer) and
/// [`StreamClient`](crate::StreamClient) use them: [`Smol`] or [`AsyncStd`].
///
/// Both runtimes drive their sockets from a reactor thread of their own (async-io's), so their
/// servers and clients work under any backend; they are most at home on theirs.
pub trait Runtime: Send + Sync + 'static {
    /// The runtime's name, as the `async` setting spells it.
    const NAME: &'static str;
    /// A listening socket.
    type Listener: Send + Sync + 'static;
    /// A connected socket.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + Sync + 'static;

    /// Listens on `address` (`host:port`).
    fn bind(address: String) -> BoxFuture<'static, io::Result<Self::Listener>>;
    /// The address `listener` is bound to.
    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr>;
    /// Waits for the next connection.
    fn accept(listener: &Self::Listener) -> BoxFuture<'_, io::Result<(Self::Stream, SocketAddr)>>;
    /// Connects to `address` (`host:port`).
    fn connect(address: String) -> BoxFuture<'static, io::Result<Self::Stream>>;
}

/// smol's sockets: `smol::net::TcpStream`.
#[cfg(feature = "smol")]
#[derive(Clone, Copy, Debug)]
pub struct Smol;

#[cfg(feature = "smol")]
impl Runtime for Smol {
    const NAME: &'static str = "smol";
    type Listener = smol::net::TcpListener;
    type Stream = smol::net::TcpStream;

    fn bind(address: String) -> BoxFuture<'static, io::Result<Self::Listener>> {
        Box::pin(async move { smol::net::TcpListener::bind(address.as_str()).await })
    }

    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr> {
        listener.local_addr()
    }

    fn accept(listener: &Self::Listener) -> BoxFuture<'_, io::Result<(Self::Stream, SocketAddr)>> {
        Box::pin(listener.accept())
    }

    fn connect(address: String) -> BoxFuture<'static, io::Result<Self::Stream>> {
        Box::pin(async move { smol::net::TcpStream::connect(address.as_str()).await })
    }
}

/// async-std's sockets: `async_std::net::TcpStream`.
#[cfg(feature = "async-std")]
#[derive(Clone, Copy, Debug)]
pub struct AsyncStd;

#[cfg(feature = "async-std")]
impl Runtime for AsyncStd {
    const NAME: &'static str = "async-std";
    type Listener = async_std::net::TcpListener;
    type Stream = async_std::net::TcpStream;

    fn bind(address: String) -> BoxFuture<'static, io::Result<Self::Listener>> {
        Box::pin(async move { async_std::net::TcpListener::bind(address.as_str()).await })
    }

    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr> {
        listener.local_addr()
    }

    fn accept(listener: &Self::Listener) -> BoxFuture<'_, io::Result<(Self::Stream, SocketAddr)>> {
        Box::pin(listener.accept())
    }

    fn connect(address: String) -> BoxFuture<'static, io::Result<Self::Stream>> {
        Box::pin(async move { async_std::net::TcpStream::connect(address.as_str()).await })
    }
}
