//! tokio's UDP sockets, as the datagram services use them, and the services over them.

use std::io;
use std::net::SocketAddr;

use ginkgo_core::net::backend::{DatagramTransport, WrongBackend, client_bind_address, first_resolved};
use ginkgo_core::{BoxError, Context};
use tokio::net::UdpSocket;

use crate::Tokio;

impl DatagramTransport for Tokio {
    type Socket = UdpSocket;

    fn check_backend(&self, ctx: &Context, service: &'static str) -> Result<(), BoxError> {
        Ok(WrongBackend::check(ctx, "ginkgo_tokio", service, "tokio")?)
    }

    async fn bind(&self, _ctx: &Context, address: &str) -> io::Result<(UdpSocket, SocketAddr)> {
        let socket = UdpSocket::bind(address).await?;
        let local = socket.local_addr()?;
        Ok((socket, local))
    }

    async fn connect(&self, _ctx: &Context, address: &str) -> io::Result<(UdpSocket, SocketAddr, SocketAddr)> {
        let peer = first_resolved(tokio::net::lookup_host(address).await?, address)?;
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

/// A UDP server on tokio's sockets ([`ginkgo_core::net::DatagramServer`] over [`Tokio`]).
///
/// Runs on the tokio backend only; `ginkgo::net::DatagramServer` follows whichever backend runs
/// the tree.
///
/// ```
/// use ginkgo_core::ServiceHandle;
/// use ginkgo_tokio::{DatagramServer, TokioManager};
///
/// let echo = DatagramServer::new("127.0.0.1:0", |datagram, _ctx| async move {
///     datagram.reply(datagram.data()).await?;
///     Ok(())
/// });
/// let server = ServiceHandle::new(echo).with_manager(TokioManager::new());
/// ginkgo_tokio::block_on(async {
///     server.start().await?;
///     let address = server.service().local_addr().expect("bound");
///     let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
///     client.send_to(b"ping", address).await?;
///     let mut answer = [0; 16];
///     let (len, _) = client.recv_from(&mut answer).await?;
///     assert_eq!(&answer[..len], b"ping");
///     server.stop().await?;
///     Ok::<_, Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type DatagramServer = ginkgo_core::net::DatagramServer<Tokio>;

/// A UDP client on tokio's sockets ([`ginkgo_core::net::DatagramClient`] over [`Tokio`]).
pub type DatagramClient = ginkgo_core::net::DatagramClient<Tokio>;

/// A datagram, as the handlers of a [`DatagramServer`] get it.
pub type Datagram = ginkgo_core::net::Datagram<Tokio>;
