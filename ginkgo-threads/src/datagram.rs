//! The standard library's blocking UDP sockets, as the datagram services use them, and the
//! services over them.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};

use ginkgo_core::net::backend::{
    DatagramTransport, WrongBackend, client_bind_address, first_resolved, recv_from_blocking, wake_blocked_receivers,
};
use ginkgo_core::{BoxError, Context};

use crate::Threads;

/// Blocking: each call is done when it returns, which is right on the threads backend, where
/// each task (each worker of a server) has a thread of its own. A blocked receive cannot be
/// cancelled: at the stop, [`wake_receivers`](DatagramTransport::wake_receivers) shuts the
/// socket's receiving half down, which ends it.
impl DatagramTransport for Threads {
    type Socket = UdpSocket;

    fn check_backend(&self, ctx: &Context, service: &'static str) -> Result<(), BoxError> {
        Ok(WrongBackend::check(ctx, "ginkgo_threads", service, "threads")?)
    }

    async fn bind(&self, _ctx: &Context, address: &str) -> io::Result<(UdpSocket, SocketAddr)> {
        let socket = UdpSocket::bind(address)?;
        let local = socket.local_addr()?;
        Ok((socket, local))
    }

    async fn connect(&self, _ctx: &Context, address: &str) -> io::Result<(UdpSocket, SocketAddr, SocketAddr)> {
        let peer = first_resolved(address.to_socket_addrs()?, address)?;
        let socket = UdpSocket::bind(client_bind_address(peer))?;
        socket.connect(peer)?;
        let local = socket.local_addr()?;
        Ok((socket, local, peer))
    }

    async fn recv_from(&self, socket: &UdpSocket, buffer: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        recv_from_blocking(socket, buffer)
    }

    async fn send_to(&self, socket: &UdpSocket, datagram: &[u8], peer: SocketAddr) -> io::Result<usize> {
        socket.send_to(datagram, peer)
    }

    async fn send(&self, socket: &UdpSocket, datagram: &[u8]) -> io::Result<usize> {
        socket.send(datagram)
    }

    fn wake_receivers(&self, socket: &UdpSocket) {
        wake_blocked_receivers(socket);
    }
}

/// A UDP server on blocking sockets ([`ginkgo_core::net::DatagramServer`] over [`Threads`]):
/// each worker is a thread.
///
/// ```
/// use ginkgo_core::ServiceHandle;
/// use ginkgo_threads::{DatagramServer, ThreadManager};
///
/// let echo = DatagramServer::new("127.0.0.1:0", |datagram, _ctx| async move {
///     datagram.reply(datagram.data()).await?;
///     Ok(())
/// })
/// .with_max_in_flight(2);
/// let server = ServiceHandle::new(echo).with_manager(ThreadManager::new());
/// ginkgo_threads::block_on(server.start())?;
/// let address = server.service().local_addr().expect("bound");
/// let client = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// client.send_to(b"ping", address)?;
/// let mut answer = [0; 16];
/// let (len, _) = client.recv_from(&mut answer)?;
/// assert_eq!(&answer[..len], b"ping");
/// ginkgo_threads::block_on(server.stop())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type DatagramServer = ginkgo_core::net::DatagramServer<Threads>;

/// A UDP client on blocking sockets ([`ginkgo_core::net::DatagramClient`] over [`Threads`]).
pub type DatagramClient = ginkgo_core::net::DatagramClient<Threads>;

/// A datagram, as the handlers of a [`DatagramServer`] get it.
pub type Datagram = ginkgo_core::net::Datagram<Threads>;
