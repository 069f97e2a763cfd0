//! `DatagramClient`: a UDP socket connected to one server, over any datagram transport.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::channel::oneshot;
use futures::future::{Either, FutureExt, Shared, select};

use super::DatagramTransport;
use super::received::SharedSocket;
use super::server::host_port;
use crate::{BoxError, Context, Readiness, Service, TaskResult, async_trait};

/// A UDP client: a socket connected to one server (`host:port`), for as long as the service
/// runs, through which any task sends datagrams to the server
/// ([`send`](DatagramClient::send)) and receives its answers
/// ([`recv`](DatagramClient::recv)). One implementation for every runtime, over the sockets of
/// a [`DatagramTransport`] `T`: `ginkgo::net::DatagramClient` follows whichever backend runs
/// the tree.
///
/// * **Start** resolves the address, binds a free port of the unspecified address of its
///   family, and connects the socket there (UDP's connect only records the peer: nothing is
///   sent, so a server that is down does not fail the start; sending to it may then fail
///   with `ConnectionRefused`, once the system has heard so). An address that does not
///   resolve fails the start, naming it.
/// * **Receiving** takes only the server's datagrams; a datagram longer than the buffer
///   given to [`recv`](DatagramClient::recv) is cut to its length, as UDP does.
/// * **Stop** closes the socket: a [`recv`](DatagramClient::recv) waiting then fails with
///   `NotConnected`, and so do later calls, until the service starts again (with a new
///   socket).
pub struct DatagramClient<T: DatagramTransport> {
    transport: Arc<T>,
    address: String,
    connected: Arc<Mutex<Option<Connected<T>>>>,
}

/// The socket of a running client, its two ends, and what tells its receivers it stopped.
struct Connected<T: DatagramTransport> {
    socket: Arc<SharedSocket<T>>,
    local: SocketAddr,
    peer: SocketAddr,
    stopped: Shared<oneshot::Receiver<()>>,
}

impl<T: DatagramTransport + Default> DatagramClient<T> {
    /// A client of the server at `address` (`host:port` text, or a `SocketAddr`).
    pub fn new(address: impl ToString) -> Self {
        Self::with_transport(T::default(), address)
    }
}

impl<T: DatagramTransport> DatagramClient<T> {
    /// A client of the server at `address` over `transport`, a transport value of its own.
    pub fn with_transport(transport: T, address: impl ToString) -> Self {
        DatagramClient { transport: Arc::new(transport), address: address.to_string(), connected: Arc::default() }
    }

    /// The address the client was given.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The address of the client's own socket, while it runs.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        lock(&self.connected).as_ref().map(|connected| connected.local)
    }

    /// The server's address, as resolved at the start, while the client runs.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        lock(&self.connected).as_ref().map(|connected| connected.peer)
    }

    /// Sends `datagram` to the server. Fails with `NotConnected` while the client is not
    /// running.
    pub async fn send(&self, datagram: &[u8]) -> io::Result<()> {
        self.socket()?.send(datagram).await
    }

    /// Waits for the next datagram from the server, copies it into `buffer` (cut to its length
    /// if longer), and returns its length. Fails with `NotConnected` while the client is not
    /// running, and when it stops while waiting.
    pub async fn recv(&self, buffer: &mut [u8]) -> io::Result<usize> {
        let (socket, stopped) = lock(&self.connected)
            .as_ref()
            .map(|connected| (connected.socket.clone(), connected.stopped.clone()))
            .ok_or_else(not_running)?;
        match select(std::pin::pin!(socket.recv_from(buffer)), stopped).await {
            Either::Left((Ok((len, _server)), _)) if self.is_running_on(&socket) => Ok(len),
            Either::Left((Err(err), _)) if self.is_running_on(&socket) => Err(err),
            _ => Err(not_running()),
        }
    }

    fn socket(&self) -> io::Result<Arc<SharedSocket<T>>> {
        lock(&self.connected).as_ref().map(|connected| connected.socket.clone()).ok_or_else(not_running)
    }

    /// True while the client runs with `socket` (not stopped, nor started again since).
    fn is_running_on(&self, socket: &Arc<SharedSocket<T>>) -> bool {
        lock(&self.connected).as_ref().is_some_and(|now| Arc::ptr_eq(&now.socket, socket))
    }
}

fn not_running() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the datagram client is not running")
}

#[async_trait]
impl<T: DatagramTransport> Service for DatagramClient<T> {
    fn stop_timeout(&self) -> Duration {
        Duration::from_secs(1)
    }

    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        self.transport.check_backend(ctx, "DatagramClient")?;
        let failed = |err: io::Error| format!("cannot connect a datagram socket to {}: {err}", self.address);
        let host_port = host_port(&self.address).map_err(failed)?;
        let (tell, told) = oneshot::channel();
        let (transport, connected) = (self.transport.clone(), self.connected.clone());
        let _task = ctx.spawn(move |ctx| keep_connected(ctx, transport, host_port, connected, tell));
        match told.await {
            Ok(Ok(())) => Ok(Readiness::Ready),
            Ok(Err(err)) => Err(failed(err).into()),
            Err(oneshot::Canceled) => Err(failed(io::Error::other("the service stopped first")).into()),
        }
    }
}

/// The task of a datagram client: makes its socket (telling the start how it went), keeps it
/// until the service begins to stop, then drops it and wakes those receiving on it.
async fn keep_connected<T: DatagramTransport>(
    ctx: Context,
    transport: Arc<T>,
    host_port: String,
    connected: Arc<Mutex<Option<Connected<T>>>>,
    tell: oneshot::Sender<io::Result<()>>,
) -> TaskResult {
    let (socket, local, peer) = match transport.connect(&ctx, &host_port).await {
        Ok(made) => made,
        Err(err) => {
            let _ = tell.send(Err(err));
            return Ok(());
        }
    };
    log::info!("{}: datagram socket {local} connected to udp {peer}", ctx.path());
    let socket = SharedSocket::new(transport, socket);
    let (stop_receivers, stopped) = oneshot::channel();
    *lock(&connected) = Some(Connected { socket: socket.clone(), local, peer, stopped: stopped.shared() });
    let _ = tell.send(Ok(()));
    ctx.stopping().await;
    lock(&connected).take();
    drop(stop_receivers);
    socket.wake_receivers();
    Ok(())
}

fn lock<V>(mutex: &Mutex<V>) -> MutexGuard<'_, V> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
