//! `Tokio`: tokio's TCP and Unix sockets, as the network services use them.

use std::future::Ready;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use ginkgo_core::net::backend::{
    Handshake, Socket, SocketFile, Transport, WrongBackend, listen_std, tcp_peer, unix_peer,
};
use ginkgo_core::net::{Address, LocalAddr, PeerAddr, SocketMode};
use ginkgo_core::{BoxError, Context};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

/// tokio's sockets: the [`Transport`] of [`StreamServer`](crate::StreamServer),
/// [`StreamClient`](crate::StreamClient) and [`HttpServer`](crate::HttpServer). They need
/// tokio's reactor: a service using them fails its start on another backend
/// ([`WrongBackend`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Tokio;

/// A connection over tokio's sockets, TCP or Unix: it implements tokio's `AsyncRead` and
/// `AsyncWrite`, as the streams it holds do. A Unix stream is boxed, so that the type is no
/// larger than a `TcpStream`: a server may hold many thousands of idle connections.
#[derive(Debug)]
pub enum Stream {
    /// A TCP connection.
    Tcp(TcpStream),
    /// A Unix socket connection.
    Unix(Box<UnixStream>),
}

/// A listening socket of tokio's, TCP or Unix (which removes its file when dropped).
#[derive(Debug)]
pub struct Listener(Socket<TcpListener, (UnixListener, SocketFile)>);

impl Transport for Tokio {
    type Listener = Listener;
    type Accepted = Stream;
    type Stream = Stream;
    type Handshaking = Ready<io::Result<Stream>>;

    fn check_backend(&self, ctx: &Context, service: &'static str) -> Result<(), BoxError> {
        Ok(WrongBackend::check(ctx, "ginkgo_tokio", service, "tokio")?)
    }

    async fn bind(&self, ctx: &Context, address: &Address, unix_mode: SocketMode) -> io::Result<(Listener, LocalAddr)> {
        let (listener, local) = listen_std(ctx, address, unix_mode, true)?;
        let listener = match listener {
            Socket::Tcp(listener) => Socket::Tcp(TcpListener::from_std(listener)?),
            Socket::Unix((listener, file)) => Socket::Unix((UnixListener::from_std(listener)?, file)),
        };
        Ok((Listener(listener), local))
    }

    async fn accept(&self, listener: &Listener) -> io::Result<(Stream, PeerAddr)> {
        match &listener.0 {
            Socket::Tcp(listener) => {
                let (stream, peer) = listener.accept().await?;
                Ok((Stream::Tcp(stream), PeerAddr::Tcp(peer)))
            }
            Socket::Unix((listener, file)) => {
                let (stream, _unnamed) = listener.accept().await?;
                let peer = unix_peer(file.path(), &stream);
                Ok((Stream::Unix(Box::new(stream)), peer))
            }
        }
    }

    fn handshake(&self, accepted: Stream, _timeout: Duration) -> Handshake<Stream, Self::Handshaking> {
        Handshake::Done(accepted)
    }

    async fn connect(&self, _ctx: &Context, address: &Address, _timeout: Duration) -> io::Result<(Stream, PeerAddr)> {
        match address {
            Address::Tcp(host_port) => {
                let stream = TcpStream::connect(host_port.as_str()).await?;
                let peer = tcp_peer(stream.local_addr(), stream.peer_addr())?;
                Ok((Stream::Tcp(stream), peer))
            }
            Address::Unix(path) => {
                let stream = UnixStream::connect(path).await?;
                let peer = unix_peer(path, &stream);
                Ok((Stream::Unix(Box::new(stream)), peer))
            }
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Unix(unix) => Pin::new(&mut **unix).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Unix(unix) => Pin::new(&mut **unix).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Stream::Unix(unix) => Pin::new(&mut **unix).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Tcp(tcp) => tcp.is_write_vectored(),
            Stream::Unix(unix) => unix.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Unix(unix) => Pin::new(&mut **unix).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Unix(unix) => Pin::new(&mut **unix).poll_shutdown(cx),
        }
    }
}
