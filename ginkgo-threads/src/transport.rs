//! `Threads`: the standard library's blocking sockets, as the network services use them.

use std::future::Ready;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::unix::net::{UnixListener, UnixStream};
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures::io::{AsyncRead, AsyncWrite};
use ginkgo_core::net::backend::{
    Handshake, Socket, SocketFile, Transport, WrongBackend, listen_std, tcp_peer, unix_peer,
};
use ginkgo_core::net::{Address, LocalAddr, PeerAddr, SocketMode};
use ginkgo_core::{BoxError, Context};

use crate::connections::{Connections, Registered, StdSocket};

/// How long the stop may take to connect to its own listener, to wake the blocked `accept`.
const WAKE_TIMEOUT: Duration = Duration::from_millis(500);

/// The standard library's sockets, which block: the [`Transport`] of
/// [`StreamServer`](crate::StreamServer) and [`StreamClient`](crate::StreamClient) on the
/// threads backend, where each task, and so each connection, has a thread of its own.
///
/// What blocking changes, and how it is dealt with here rather than in the services (which are
/// the same as the async backends'):
///
/// * A blocked `accept` cannot be cancelled: when the service begins to stop, a watch task
///   wakes it by connecting to the listener (the server closes that connection unserved).
/// * A handler blocked reading or writing cannot be cancelled either: every connection is
///   recorded (a copy of its socket, which takes a second file descriptor) and, at
///   `stop_timeout`, shut down, so that the blocked call returns an error or end of file. A
///   connection accepted when that second descriptor is not to be had waits, and the server
///   pauses as after a failed `accept`.
/// * A client's attempt to connect is not interrupted by the stop: it ends within its connect
///   timeout.
///
/// These sockets run on the threads backend only (a service using them fails its start
/// elsewhere with [`WrongBackend`]): on an async runtime they would block its workers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Threads;

/// A connection over a blocking socket, TCP or Unix. It implements `std::io::Read` and
/// `Write`, and `futures::io::AsyncRead` and `AsyncWrite` by blocking (each call is done when
/// it returns), which is right on a thread that serves this one connection.
/// [`poll_close`](AsyncWrite::poll_close) shuts the writing half down.
pub struct Stream {
    socket: StdSocket,
    _registered: Registered,
}

/// A listening blocking socket, TCP or Unix (which removes its file when dropped), with the
/// connections it accepted.
pub struct Listener {
    socket: Socket<TcpListener, (UnixListener, SocketFile)>,
    connections: Connections,
    /// A connection accepted that could not be recorded yet (no descriptor for its copy).
    waiting: Mutex<Option<(StdSocket, PeerAddr)>>,
}

impl Transport for Threads {
    type Listener = Listener;
    type Accepted = Stream;
    type Stream = Stream;
    type Handshaking = Ready<io::Result<Stream>>;

    fn check_backend(&self, ctx: &Context, service: &'static str) -> Result<(), BoxError> {
        Ok(WrongBackend::check(ctx, "ginkgo_threads", service, "threads")?)
    }

    async fn bind(&self, ctx: &Context, address: &Address, unix_mode: SocketMode) -> io::Result<(Listener, LocalAddr)> {
        let (socket, local) = listen_std(ctx, address, unix_mode, false)?;
        let connections = Connections::default();
        let (path, knock_on) = (ctx.path(), local.clone());
        connections.watch_listener(ctx, move || wake(&path, &knock_on));
        Ok((Listener { socket, connections, waiting: Mutex::new(None) }, local))
    }

    async fn accept(&self, listener: &Listener) -> io::Result<(Stream, PeerAddr)> {
        let waiting = listener.waiting().take();
        let (socket, peer) = match waiting {
            Some(accepted) => accepted,
            None => listener.accept()?,
        };
        match listener.connections.register(&socket) {
            Ok(registered) => Ok((Stream { socket, _registered: registered }, peer)),
            Err(err) => {
                *listener.waiting() = Some((socket, peer));
                Err(err)
            }
        }
    }

    fn handshake(&self, accepted: Stream, _timeout: Duration) -> Handshake<Stream, Self::Handshaking> {
        Handshake::Done(accepted)
    }

    async fn connect(&self, ctx: &Context, address: &Address, timeout: Duration) -> io::Result<(Stream, PeerAddr)> {
        let (socket, peer) = match address {
            Address::Tcp(host_port) => {
                let stream = connect_tcp(host_port, timeout)?;
                let peer = tcp_peer(stream.local_addr(), stream.peer_addr())?;
                (Socket::Tcp(stream), peer)
            }
            Address::Unix(path) => {
                let stream = UnixStream::connect(path)?;
                let peer = unix_peer(path, &stream);
                (Socket::Unix(stream), peer)
            }
        };
        let connections = Connections::default();
        let registered = connections.register(&socket)?;
        connections.watch_connection(ctx);
        Ok((Stream { socket, _registered: registered }, peer))
    }
}

impl Stream {
    /// Sets how long each read and each write may block (`None`: as long as it takes).
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn set_timeouts(&self, timeout: Option<Duration>) -> io::Result<()> {
        match &self.socket {
            Socket::Tcp(tcp) => tcp.set_read_timeout(timeout).and_then(|()| tcp.set_write_timeout(timeout)),
            Socket::Unix(unix) => unix.set_read_timeout(timeout).and_then(|()| unix.set_write_timeout(timeout)),
        }
    }

    /// Shuts the writing half down: the other end reads to its end.
    pub(crate) fn shutdown_write(&self) -> io::Result<()> {
        match &self.socket {
            Socket::Tcp(tcp) => tcp.shutdown(Shutdown::Write),
            Socket::Unix(unix) => unix.shutdown(Shutdown::Write),
        }
    }
}

impl Listener {
    fn accept(&self) -> io::Result<(StdSocket, PeerAddr)> {
        match &self.socket {
            Socket::Tcp(listener) => {
                let (stream, peer) = listener.accept()?;
                Ok((Socket::Tcp(stream), PeerAddr::Tcp(peer)))
            }
            Socket::Unix((listener, file)) => {
                let (stream, _unnamed) = listener.accept()?;
                let peer = unix_peer(file.path(), &stream);
                Ok((Socket::Unix(stream), peer))
            }
        }
    }

    fn waiting(&self) -> MutexGuard<'_, Option<(StdSocket, PeerAddr)>> {
        self.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream").field("socket", &self.socket).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener").field("socket", &self.socket).finish_non_exhaustive()
    }
}

/// Connects to the first address `host_port` resolves to that answers within `timeout`.
fn connect_tcp(host_port: &str, timeout: Duration) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{host_port} resolves to no address"));
    for resolved in host_port.to_socket_addrs()? {
        match TcpStream::connect_timeout(&resolved, timeout) {
            Ok(stream) => return Ok(stream),
            Err(err) => last = err,
        }
    }
    Err(last)
}

/// Wakes an `accept` blocked on the listener at `local` by connecting to it.
fn wake(path: &str, local: &LocalAddr) {
    let knocked = match local {
        LocalAddr::Tcp(address) => TcpStream::connect_timeout(&reachable(*address), WAKE_TIMEOUT).map(drop),
        LocalAddr::Unix(socket) => UnixStream::connect(socket).map(drop),
    };
    if let Err(err) = knocked {
        log::warn!("{path}: could not wake the listener on {local}: {err}; it closes at the next connection");
    }
}

/// Where a client reaches a listener bound to `local` (the unspecified address: loopback).
fn reachable(local: SocketAddr) -> SocketAddr {
    let ip = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, local.port())
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.socket.read(buf)
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.socket.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.socket.flush()
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(self.get_mut().read(buf))
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(self.get_mut().write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().flush())
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown_write())
    }
}
