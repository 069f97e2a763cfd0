//! async-io's UDP sockets, as the datagram services use them, and the services over them.

use std::io;
use std::net::SocketAddr;

use async_net::UdpSocket;
use ginkgo_core::Context;
use ginkgo_core::net::backend::{DatagramTransport, client_bind_address, first_resolved};

use crate::AsyncIo;

impl DatagramTransport for AsyncIo {
    type Socket = UdpSocket;

    async fn bind(&self, _ctx: &Context, address: &str) -> io::Result<(UdpSocket, SocketAddr)> {
        let socket = UdpSocket::bind(address).await?;
        let local = socket.local_addr()?;
        Ok((socket, local))
    }

    async fn connect(&self, _ctx: &Context, address: &str) -> io::Result<(UdpSocket, SocketAddr, SocketAddr)> {
        let peer = first_resolved(async_net::resolve(address).await?.into_iter(), address)?;
        let socket = UdpSocket::bind(client_bind_address(peer)).await?;
        socket.connect(peer).await?;
        let local = socket.local_addr()?;
        Ok((socket, local, peer))
    }

    async fn recv_from(&self, socket: &UdpSocket, buffer: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        socket.recv_from(buffer).await
    }

    async fn send_to(&self, socket: &UdpSocket, datagram: &[u8], peer: SocketAddr) -> io::Result<usize> {
        socket.send_to(datagram, peer).await
    }

    async fn send(&self, socket: &UdpSocket, datagram: &[u8]) -> io::Result<usize> {
        socket.send(datagram).await
    }
}

/// A UDP server on the sockets smol and async-std share
/// ([`ginkgo_core::net::DatagramServer`] over [`AsyncIo`]).
///
/// ```
/// use ginkgo_asyncstd::{DatagramServer, SmolManager};
/// use ginkgo_core::ServiceHandle;
///
/// let echo = DatagramServer::new("127.0.0.1:0", |datagram, _ctx| async move {
///     datagram.reply(datagram.data()).await?;
///     Ok(())
/// });
/// let server = ServiceHandle::new(echo).with_manager(SmolManager::new());
/// ginkgo_asyncstd::block_on_smol(async {
///     server.start().await?;
///     let address = server.service().local_addr().expect("bound");
///     let client = smol::net::UdpSocket::bind("127.0.0.1:0").await?;
///     client.send_to(b"ping", address).await?;
///     let mut answer = [0; 16];
///     let (len, _) = client.recv_from(&mut answer).await?;
///     assert_eq!(&answer[..len], b"ping");
///     server.stop().await?;
///     Ok::<_, Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type DatagramServer = ginkgo_core::net::DatagramServer<AsyncIo>;

/// A UDP client on the sockets smol and async-std share
/// ([`ginkgo_core::net::DatagramClient`] over [`AsyncIo`]).
pub type DatagramClient = ginkgo_core::net::DatagramClient<AsyncIo>;

/// A datagram, as the handlers of a [`DatagramServer`] get it.
pub type Datagram = ginkgo_core::net::Datagram<AsyncIo>;
