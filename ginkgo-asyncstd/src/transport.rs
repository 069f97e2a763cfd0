//! `AsyncIo`: the sockets smol and async-std share, as the network services use them.

use std::future::Ready;
use std::io;
use std::time::Duration;

use async_net::unix::{UnixListener, UnixStream};
use async_net::{TcpListener, TcpStream};
use ginkgo_core::Context;
use ginkgo_core::net::backend::{Handshake, Socket, SocketFile, Transport, listen_std, tcp_peer, unix_peer};
use ginkgo_core::net::{Address, LocalAddr, PeerAddr, SocketMode};

/// The sockets of async-io, the reactor under both smol and async-std (`smol::net` is
/// `async_net`, and async-std's sockets are async-io's too): the [`Transport`] of
/// [`StreamServer`](crate::StreamServer) and [`StreamClient`](crate::StreamClient), one
/// implementation for both runtimes. async-io drives its sockets from a thread of its own, so
/// they work under any backend; they are at home on smol and async-std.
#[derive(Clone, Copy, Debug, Default)]
pub struct AsyncIo;

/// A connection over async-io's sockets, TCP or Unix: it implements `futures::io::AsyncRead`
/// and `AsyncWrite`, the traits of smol's and async-std's streams.
pub type Stream = Socket<TcpStream, UnixStream>;

/// A listening socket of async-io's, TCP or Unix (which removes its file when dropped).
#[derive(Debug)]
pub struct Listener(Socket<TcpListener, (UnixListener, SocketFile)>);

impl Transport for AsyncIo {
    type Listener = Listener;
    type Accepted = Stream;
    type Stream = Stream;
    type Handshaking = Ready<io::Result<Stream>>;

    async fn bind(&self, ctx: &Context, address: &Address, unix_mode: SocketMode) -> io::Result<(Listener, LocalAddr)> {
        let (listener, local) = listen_std(ctx, address, unix_mode, true)?;
        let listener = match listener {
            Socket::Tcp(listener) => Socket::Tcp(TcpListener::try_from(listener)?),
            Socket::Unix((listener, file)) => Socket::Unix((UnixListener::try_from(listener)?, file)),
        };
        Ok((Listener(listener), local))
    }

    async fn accept(&self, listener: &Listener) -> io::Result<(Stream, PeerAddr)> {
        match &listener.0 {
            Socket::Tcp(listener) => {
                let (stream, peer) = listener.accept().await?;
                Ok((Socket::Tcp(stream), PeerAddr::Tcp(peer)))
            }
            Socket::Unix((listener, file)) => {
                let (stream, _unnamed) = listener.accept().await?;
                let peer = unix_peer(file.path(), &stream);
                Ok((Socket::Unix(stream), peer))
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
                Ok((Socket::Tcp(stream), peer))
            }
            Address::Unix(path) => {
                let stream = UnixStream::connect(path).await?;
                let peer = unix_peer(path, &stream);
                Ok((Socket::Unix(stream), peer))
            }
        }
    }
}
