//! `Transport`: the sockets of one runtime, as the stream servers and clients use them.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use super::{Address, LocalAddr, PeerAddr, SocketMode};
use crate::{BoxError, Context};

/// The sockets of one runtime, as [`StreamServer`](super::StreamServer) and
/// [`StreamClient`](super::StreamClient) use them: how to listen, accept and connect, and what a
/// connection is. The servers and clients are written once, over this trait; each backend crate
/// implements it for its runtime (`ginkgo_tokio::Tokio`, `ginkgo_asyncstd::AsyncIo`,
/// `ginkgo_threads::Threads`), and `ginkgo::net` for whichever backend runs the tree. This is
/// hyper's `rt` shape: a small trait in the library, the runtime's glue beside it.
///
/// Every transport takes both kinds of [`Address`]: TCP (`host:port`) and Unix sockets
/// (`unix:/path`, made with [`listen_unix`](super::backend::listen_unix), which handles the
/// socket's file). Its streams are usually an enum of the two, such as
/// [`Socket`](super::backend::Socket).
///
/// # The life of a connection
///
/// * When a server or client starts, [`prepare`](Transport::prepare) reads what the transport
///   needs from the configuration (a TLS transport loads its certificate: a bad one fails the
///   start); each reload of the service calls [`reload`](Transport::reload).
/// * A server's task [`bind`](Transport::bind)s, then calls [`accept`](Transport::accept) in a
///   loop until its service stops, and drops the listener to close it.
/// * For each connection accepted, [`handshake`](Transport::handshake) is asked, still in the
///   loop, for the stream the handler gets. Plain sockets have it at once
///   ([`Handshake::Done`]). A transport that must talk before the connection is ready (TLS)
///   returns [`Handshake::Pending`]: a future the connection's own task awaits, within the
///   server's handshake timeout, so that a slow or silent client never holds up the accept
///   loop, and holds one of the server's connection slots only that long.
/// * A client's [`connect`](Transport::connect) makes the whole connection, handshake
///   included, within the client's connect timeout (the caller also bounds it).
///
/// # Transports that wrap others, and other servers
///
/// A transport that wraps another keeps the inner transport's `Listener`, takes its `Stream`
/// as its own `Accepted`, and forwards `bind` and `accept`. TLS is that
/// (`ginkgo_core::tls::TlsTransport`, over each runtime's
/// `ginkgo_core::tls::TlsHandshakes`): its `Stream` the TLS stream over the inner one, its
/// `Handshaking` the acceptor's future (tokio-rustls's `Accept`, futures-rustls's), its
/// `connect` the inner one's then the client's handshake; its configuration (certificates) is
/// held by the transport value, which a server or client is given with `with_transport` (or
/// `with_tls`, which sets it on the transport it has).
///
/// Servers other than [`StreamServer`](super::StreamServer) build on the same pieces
/// ([`Listen`](super::backend::Listen),
/// [`accept_until_stopping`](super::backend::accept_until_stopping)), as
/// `ginkgo_tokio::HttpServer` does over `ginkgo_tokio::Tokio`, whose tokio streams hyper drives
/// through `hyper_util::rt::TokioIo`; a transport whose streams implement `futures::io`'s traits
/// needs a small adapter to hyper's `rt::Read` and `rt::Write`.
///
/// # Blocking transports
///
/// A transport may block inside `poll` (the threads backend's does: each of its tasks has a
/// thread of its own). It then has to be woken at the stop itself: the server checks
/// [`Context::is_stopping`] after each `accept`, and drops the connection that woke it.
/// [`check_backend`](Transport::check_backend) keeps such a transport to its backend.
pub trait Transport: Send + Sync + 'static {
    /// A socket listening for connections. Dropping it closes it (and removes a Unix socket's
    /// file).
    type Listener: Send + Sync + 'static;
    /// A connection as `accept` hands it over, before [`handshake`](Transport::handshake).
    type Accepted: Send + 'static;
    /// A connection ready for its handler.
    type Stream: Send + 'static;
    /// The future of a handshake that takes time
    /// ([`std::future::Ready`] for transports that never return [`Handshake::Pending`]).
    type Handshaking: Future<Output = io::Result<Self::Stream>> + Send + 'static;

    /// Fails unless these sockets work under the backend running `ctx`'s service (`service`
    /// names the service, for the error: [`WrongBackend`]). By default they work anywhere.
    fn check_backend(&self, ctx: &Context, service: &'static str) -> Result<(), BoxError> {
        let _ = (ctx, service);
        Ok(())
    }

    /// Reads what the transport needs from `ctx`'s configuration, when its service starts (after
    /// [`check_backend`](Transport::check_backend)); an error fails the start. By default
    /// nothing.
    fn prepare(&self, ctx: &Context) -> Result<(), BoxError> {
        let _ = ctx;
        Ok(())
    }

    /// Reads it again when the service reloads, for the connections made from then on; on error
    /// the transport keeps what it had, and the reload reports the error. By default nothing.
    fn reload(&self, ctx: &Context) -> Result<(), BoxError> {
        let _ = ctx;
        Ok(())
    }

    /// Listens on `address` for `ctx`'s service (a Unix socket's file gets the mode
    /// `unix_mode`); the listener, and where it listens.
    fn bind(
        &self,
        ctx: &Context,
        address: &Address,
        unix_mode: SocketMode,
    ) -> impl Future<Output = io::Result<(Self::Listener, LocalAddr)>> + Send;

    /// Waits for the next connection; it, and who is at the other end.
    fn accept<'a>(
        &'a self,
        listener: &'a Self::Listener,
    ) -> impl Future<Output = io::Result<(Self::Accepted, PeerAddr)>> + Send + 'a;

    /// The stream the handler of a connection just accepted gets: at once, or once a future
    /// the connection's task awaits is done. That future must be done within `timeout`: the
    /// server races it against a timer, but a transport whose handshake blocks (the threads
    /// backend's) bounds it itself.
    fn handshake(&self, accepted: Self::Accepted, timeout: Duration) -> Handshake<Self::Stream, Self::Handshaking>;

    /// Connects to `address` for `ctx`'s service, giving up after `timeout` where the runtime
    /// cannot be raced against a timer; the stream, and who is at the other end. A TCP
    /// connection whose two ends are one socket is refused ([`refuse_self_connection`]).
    fn connect(
        &self,
        ctx: &Context,
        address: &Address,
        timeout: Duration,
    ) -> impl Future<Output = io::Result<(Self::Stream, PeerAddr)>> + Send;
}

/// The stream of a connection just accepted: ready now, or once the handshake's future is done.
#[derive(Debug)]
pub enum Handshake<S, F> {
    /// Ready now (plain sockets).
    Done(S),
    /// Ready once `F` is done, in the connection's own task.
    Pending(F),
}

/// A TCP connection whose two ends are one socket is not a connection to a server: it happens
/// when a client connects to a port of its own host that nothing listens on, and the system
/// picks that very port for the client's end (TCP's simultaneous open). The client would talk
/// to itself. Fails with `ConnectionRefused` when `local` and `peer` are equal.
///
/// ```
/// use ginkgo_core::net::backend::refuse_self_connection;
///
/// let port_46000 = "127.0.0.1:46000".parse().unwrap();
/// let err = refuse_self_connection(port_46000, port_46000).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
/// assert_eq!(err.to_string(), "connected to itself on 127.0.0.1:46000: nothing listens there");
/// assert!(refuse_self_connection("127.0.0.1:50123".parse().unwrap(), port_46000).is_ok());
/// ```
pub fn refuse_self_connection(local: SocketAddr, peer: SocketAddr) -> io::Result<()> {
    if local != peer {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::ConnectionRefused,
        format!("connected to itself on {peer}: nothing listens there"),
    ))
}

/// The peer of a TCP connection a client just made, whose ends have the addresses `local` and
/// `peer`; a connection to itself is refused ([`refuse_self_connection`]).
pub fn tcp_peer(local: io::Result<SocketAddr>, peer: io::Result<SocketAddr>) -> io::Result<PeerAddr> {
    let peer = peer?;
    refuse_self_connection(local?, peer)?;
    Ok(PeerAddr::Tcp(peer))
}

/// A service was started under a backend its sockets do not work under: tokio's need tokio's
/// reactor, the threads backend's block.
///
/// ```
/// use ginkgo_core::net::backend::WrongBackend;
///
/// let err = WrongBackend::new("ginkgo_tokio", "StreamServer", "tokio", "smol");
/// assert_eq!(err.to_string(), "ginkgo_tokio::StreamServer runs only on the tokio backend, not on `smol`");
/// assert_eq!(err.backend(), "smol");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrongBackend {
    krate: &'static str,
    service: &'static str,
    needs: &'static str,
    backend: &'static str,
}

impl WrongBackend {
    /// `service` of the crate `krate`, which `needs` its backend, was started under `backend`.
    pub fn new(krate: &'static str, service: &'static str, needs: &'static str, backend: &'static str) -> Self {
        WrongBackend { krate, service, needs, backend }
    }

    /// Fails unless `ctx`'s service runs on the backend `needs`.
    pub fn check(ctx: &Context, krate: &'static str, service: &'static str, needs: &'static str) -> Result<(), Self> {
        let backend = ctx.async_manager().map_or("none", |manager| manager.backend());
        if backend == needs { Ok(()) } else { Err(WrongBackend::new(krate, service, needs, backend)) }
    }

    /// The backend the service was started under.
    pub fn backend(&self) -> &'static str {
        self.backend
    }
}

impl fmt::Display for WrongBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{} runs only on the {} backend, not on `{}`", self.krate, self.service, self.needs, self.backend)
    }
}

impl std::error::Error for WrongBackend {}
