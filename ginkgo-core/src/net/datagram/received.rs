//! `Datagram`: what a datagram server's handler gets; the socket its service shares.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use futures::future::BoxFuture;

use super::DatagramTransport;
use crate::TaskResult;

/// A bound socket and its transport, shared by the tasks of one service (and the datagrams
/// they handle, which reply through it). The socket closes when the last holder drops it.
pub(crate) struct SharedSocket<T: DatagramTransport> {
    pub(crate) transport: Arc<T>,
    pub(crate) socket: T::Socket,
}

impl<T: DatagramTransport> SharedSocket<T> {
    pub(crate) fn new(transport: Arc<T>, socket: T::Socket) -> Arc<Self> {
        Arc::new(SharedSocket { transport, socket })
    }

    pub(crate) async fn recv_from(&self, buffer: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.transport.recv_from(&self.socket, buffer).await
    }

    pub(crate) async fn send_to(&self, datagram: &[u8], peer: SocketAddr) -> io::Result<()> {
        let sent = self.transport.send_to(&self.socket, datagram, peer).await?;
        whole(sent, datagram.len())
    }

    pub(crate) async fn send(&self, datagram: &[u8]) -> io::Result<()> {
        let sent = self.transport.send(&self.socket, datagram).await?;
        whole(sent, datagram.len())
    }

    pub(crate) fn wake_receivers(&self) {
        self.transport.wake_receivers(&self.socket);
    }
}

/// A datagram goes whole or not at all; a system that says otherwise is reported.
fn whole(sent: usize, len: usize) -> io::Result<()> {
    if sent == len {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::WriteZero, format!("sent {sent} of the datagram's {len} bytes")))
    }
}

/// What a datagram server runs on each datagram: `handler(datagram, ctx)`, its future boxed.
pub(crate) type DatagramHandler<T> =
    Arc<dyn Fn(Datagram<T>, crate::Context) -> BoxFuture<'static, TaskResult> + Send + Sync>;

/// `handler` as a [`DatagramHandler`].
pub(crate) fn datagram_handler<T, F, Fut>(handler: F) -> DatagramHandler<T>
where
    T: DatagramTransport,
    F: Fn(Datagram<T>, crate::Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = TaskResult> + Send + 'static,
{
    Arc::new(move |datagram, ctx| Box::pin(handler(datagram, ctx)))
}

/// One datagram, as the handler of a [`DatagramServer`](super::DatagramServer) gets it: its
/// bytes ([`data`](Datagram::data)), who sent it ([`peer_addr`](Datagram::peer_addr)), and
/// the server's socket to answer through ([`reply`](Datagram::reply)).
///
/// The bytes are the handler's own (a copy of the server's receive buffer, exactly as long as
/// the datagram), so a handler may keep them past its end.
pub struct Datagram<T: DatagramTransport> {
    data: Vec<u8>,
    peer: SocketAddr,
    socket: Arc<SharedSocket<T>>,
}

impl<T: DatagramTransport> Datagram<T> {
    pub(crate) fn new(data: Vec<u8>, peer: SocketAddr, socket: Arc<SharedSocket<T>>) -> Self {
        Datagram { data, peer, socket }
    }

    /// The datagram's bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The datagram's bytes, to keep.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// Who sent it: where a reply goes.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// Sends `datagram` back to the sender, from the server's socket (so from the address the
    /// sender wrote to).
    pub async fn reply(&self, datagram: &[u8]) -> io::Result<()> {
        self.socket.send_to(datagram, self.peer).await
    }
}

impl<T: DatagramTransport> fmt::Debug for Datagram<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Datagram").field("peer", &self.peer).field("len", &self.data.len()).finish_non_exhaustive()
    }
}

/// Names a datagram in log lines: `datagram from 10.0.0.7:50123`.
pub(crate) struct DatagramFrom(pub(crate) SocketAddr);

impl fmt::Display for DatagramFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "datagram from {}", self.0)
    }
}
