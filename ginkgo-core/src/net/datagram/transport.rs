//! `DatagramTransport`: the datagram sockets of one runtime, as the datagram services use them.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::{BoxError, Context};

/// The UDP sockets of one runtime, as [`DatagramServer`](super::DatagramServer) and
/// [`DatagramClient`](super::DatagramClient) use them: how to bind, receive and send. The
/// services are written once, over this trait; each backend crate implements it for its runtime
/// (`ginkgo_tokio::Tokio`, `ginkgo_asyncstd::AsyncIo`, `ginkgo_threads::Threads`), and
/// `ginkgo::net` for whichever backend runs the tree: the shape of the stream services'
/// [`Transport`](super::super::Transport).
///
/// A socket is shared by the tasks of its service (several receive at once, and handlers
/// reply through it), so every call takes it by reference.
///
/// # Blocking transports
///
/// A transport may block inside `poll` (the threads backend's does). It then has to be woken at
/// the stop itself: the services call [`wake_receivers`](DatagramTransport::wake_receivers) when
/// they begin to stop, and check [`Context::is_stopping`] after each receive.
pub trait DatagramTransport: Send + Sync + 'static {
    /// A bound UDP socket. Dropping it closes it.
    type Socket: Send + Sync + 'static;

    /// Fails unless these sockets work under the backend running `ctx`'s service (`service`
    /// names the service, for the error). By default they work anywhere.
    fn check_backend(&self, ctx: &Context, service: &'static str) -> Result<(), BoxError> {
        let _ = (ctx, service);
        Ok(())
    }

    /// Binds a socket to `address` (`host:port`, the host resolved if it is a name) for `ctx`'s
    /// service; the socket, and the address it is bound to.
    fn bind(&self, ctx: &Context, address: &str)
    -> impl Future<Output = io::Result<(Self::Socket, SocketAddr)>> + Send;

    /// Makes a socket for `ctx`'s service connected to `address` (`host:port`, resolved here):
    /// bound to a free port of the unspecified address of the peer's family, it sends to the
    /// peer with [`send`](DatagramTransport::send) and receives only from it. The socket, and
    /// the addresses of its two ends (local, peer).
    fn connect(
        &self,
        ctx: &Context,
        address: &str,
    ) -> impl Future<Output = io::Result<(Self::Socket, SocketAddr, SocketAddr)>> + Send;

    /// Waits for the next datagram, copies it into `buffer` (cut to its length if longer), and
    /// returns its length and sender.
    fn recv_from<'a>(
        &'a self,
        socket: &'a Self::Socket,
        buffer: &'a mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + Send + 'a;

    /// Sends `datagram` to `peer`.
    fn send_to<'a>(
        &'a self,
        socket: &'a Self::Socket,
        datagram: &'a [u8],
        peer: SocketAddr,
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a;

    /// Sends `datagram` to the peer `socket` is connected to.
    fn send<'a>(
        &'a self,
        socket: &'a Self::Socket,
        datagram: &'a [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a;

    /// Wakes every task blocked receiving on `socket`, which then sees that its service is
    /// stopping. Nothing to do where receiving is cancelled at an await point (the default).
    fn wake_receivers(&self, socket: &Self::Socket) {
        let _ = socket;
    }
}

/// Where a client's datagram socket binds to reach `peer`: a free port of the unspecified
/// address of `peer`'s family.
///
/// ```
/// use ginkgo_core::net::backend::client_bind_address;
///
/// assert_eq!(client_bind_address("10.0.0.7:8125".parse().unwrap()).to_string(), "0.0.0.0:0");
/// assert_eq!(client_bind_address("[::1]:8125".parse().unwrap()).to_string(), "[::]:0");
/// ```
pub fn client_bind_address(peer: SocketAddr) -> SocketAddr {
    let ip = match peer.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    SocketAddr::new(ip, 0)
}

/// The first of the addresses `address` resolved to, or an error naming it if there is none.
pub fn first_resolved(mut resolved: impl Iterator<Item = SocketAddr>, address: &str) -> io::Result<SocketAddr> {
    resolved.next().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{address} resolves to no address")))
}
