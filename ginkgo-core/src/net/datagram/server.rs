//! `DatagramServer`: a server handing each UDP datagram to a handler, over any datagram
//! transport.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures::channel::oneshot;

use super::received::{DatagramFrom, DatagramHandler, SharedSocket, datagram_handler};
use super::{Datagram, DatagramTransport};
use crate::net::supervise::run_handler;
use crate::net::{ACCEPT_PAUSES, Address, ListenError, LogEvery, REPORT_INTERVAL};
use crate::{BoxError, Context, Gauge, Readiness, Service, TaskResult, async_trait};

/// The largest payload of a UDP datagram over IPv4 (65,535 less the IP and UDP headers).
pub const MAX_UDP_PAYLOAD: usize = 65_507;

/// How many datagrams a server handles at once unless told otherwise.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 16;

/// A UDP server: binds an address and runs `handler(datagram, ctx)` for each datagram it
/// receives, as tasks of this service. One implementation for every runtime, over the sockets
/// of a [`DatagramTransport`] `T`: `ginkgo::net::DatagramServer` follows whichever backend runs
/// the tree, and each backend crate names its own (`ginkgo_tokio::DatagramServer`, …).
///
/// * **Addresses**: `host:port`. Unix datagram sockets (`unix:`) are not supported: the
///   start fails saying so.
/// * **Start** binds: an address in use, or one that cannot be bound, fails the start with a
///   [`ListenError`] naming it. Port 0 picks a free port;
///   [`local_addr`](DatagramServer::local_addr) tells which.
/// * **Datagrams** are received by a fixed number of workers, tasks of this service, each with
///   one buffer of [`max_datagram_size`](DatagramServer::with_max_datagram_size) bytes: each
///   receives a datagram, runs the handler on it to its end, and receives the next. So at most
///   [`max_in_flight`](DatagramServer::with_max_in_flight) handlers run at once (16 by
///   default; 1 handles datagrams one at a time, in the order they came), and the memory a
///   server holds is bounded whatever the traffic: while every worker is busy nothing more is
///   read, datagrams wait in the system's socket buffer, and a flood beyond it is dropped by
///   the system, as UDP does. The gauge `datagrams` counts the datagrams being handled.
/// * **Too long**: a datagram longer than `max_datagram_size` is dropped (never handed over
///   cut short), and logged at most every 10 s with how many were.
/// * **Handlers** get `ctx`, this service's context, to know when to finish, and
///   [`Datagram::reply`] to answer the sender. A handler that fails or panics is logged with
///   the service's path and the sender; the server goes on with the next datagram.
/// * **Stop** closes the socket to new datagrams at once, tells the handlers to finish, and
///   after [`stop_timeout`](DatagramServer::with_stop_timeout) ends those still running.
pub struct DatagramServer<T: DatagramTransport> {
    transport: Arc<T>,
    address: String,
    handler: DatagramHandler<T>,
    max_datagram_size: usize,
    max_in_flight: usize,
    stop_timeout: Duration,
    bound: Arc<Mutex<Option<SocketAddr>>>,
}

impl<T: DatagramTransport + Default> DatagramServer<T> {
    /// A server for `address` (`host:port` text, or a `SocketAddr`), running `handler` for
    /// every datagram.
    pub fn new<F, Fut>(address: impl ToString, handler: F) -> Self
    where
        F: Fn(Datagram<T>, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        Self::with_transport(T::default(), address, handler)
    }
}

impl<T: DatagramTransport> DatagramServer<T> {
    /// A server for `address` over `transport`, a transport value of its own.
    pub fn with_transport<F, Fut>(transport: T, address: impl ToString, handler: F) -> Self
    where
        F: Fn(Datagram<T>, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        DatagramServer {
            transport: Arc::new(transport),
            address: address.to_string(),
            handler: datagram_handler(handler),
            max_datagram_size: MAX_UDP_PAYLOAD,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            stop_timeout: Duration::from_secs(1),
            bound: Arc::default(),
        }
    }

    /// Sets the longest datagram handled, in bytes (at least 1; default 65,507, the most UDP
    /// carries over IPv4); longer ones are dropped. Each worker holds a buffer of this size.
    pub fn with_max_datagram_size(mut self, size: usize) -> Self {
        self.max_datagram_size = size.clamp(1, MAX_UDP_PAYLOAD);
        self
    }

    /// Sets how many datagrams are handled at once (at least 1; default 16): the number of
    /// workers.
    pub fn with_max_in_flight(mut self, workers: usize) -> Self {
        self.max_in_flight = workers.max(1);
        self
    }

    /// Sets how long handlers get to finish at stop before they are ended (default 1 s).
    pub fn with_stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// The address the server was given.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The IP address and port the server is bound to, while it runs: with port 0, the port
    /// it was given.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        *lock(&self.bound)
    }
}

#[async_trait]
impl<T: DatagramTransport> Service for DatagramServer<T> {
    fn stop_timeout(&self) -> Duration {
        self.stop_timeout
    }

    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        self.transport.check_backend(ctx, "DatagramServer")?;
        let host_port = host_port(&self.address).map_err(|err| ListenError::new(&self.address, err))?;
        let (tell, told) = oneshot::channel();
        let workers = Workers {
            transport: self.transport.clone(),
            handler: self.handler.clone(),
            max_datagram_size: self.max_datagram_size,
            count: self.max_in_flight,
            bound: self.bound.clone(),
        };
        let _task = ctx.spawn(move |ctx| workers.bind_and_serve(ctx, host_port, tell));
        match told.await {
            Ok(Ok(())) => Ok(Readiness::Ready),
            Ok(Err(err)) => Err(ListenError::new(&self.address, err).into()),
            Err(oneshot::Canceled) => {
                Err(ListenError::new(&self.address, io::Error::other("the service stopped before binding")).into())
            }
        }
    }
}

/// The `host:port` of a datagram service's address, or why it is not one.
pub(crate) fn host_port(address: &str) -> io::Result<String> {
    match address.parse::<Address>() {
        Ok(Address::Tcp(host_port)) => Ok(host_port),
        Ok(Address::Unix(_)) => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "datagram services take host:port; Unix datagram sockets are not supported",
        )),
        Err(bad) => Err(io::Error::new(io::ErrorKind::InvalidInput, bad)),
    }
}

/// What a server's tasks share: how to receive and what to run.
struct Workers<T: DatagramTransport> {
    transport: Arc<T>,
    handler: DatagramHandler<T>,
    max_datagram_size: usize,
    count: usize,
    bound: Arc<Mutex<Option<SocketAddr>>>,
}

impl<T: DatagramTransport> Workers<T> {
    /// The server's first task: binds (telling the start how it went), starts the workers,
    /// and at the stop wakes those blocked receiving and forgets the address. The socket
    /// closes once the last worker, and the last datagram handed over, are gone.
    async fn bind_and_serve(
        self,
        ctx: Context,
        host_port: String,
        tell: oneshot::Sender<io::Result<()>>,
    ) -> TaskResult {
        let (socket, local) = match self.transport.bind(&ctx, &host_port).await {
            Ok(bound) => bound,
            Err(err) => {
                let _ = tell.send(Err(err));
                return Ok(());
            }
        };
        let path = ctx.path();
        log::info!("{path}: receiving datagrams on udp {local}");
        *lock(&self.bound) = Some(local);
        let socket = SharedSocket::new(self.transport.clone(), socket);
        let oversized = Arc::new(Mutex::new(LogEvery::new(REPORT_INTERVAL)));
        let in_flight = ctx.gauge("datagrams");
        for _ in 0..self.count {
            let worker = Worker {
                socket: socket.clone(),
                handler: self.handler.clone(),
                max_datagram_size: self.max_datagram_size,
                in_flight: in_flight.clone(),
                oversized: oversized.clone(),
            };
            let _worker = ctx.spawn(move |ctx| worker.run(ctx));
        }
        let _ = tell.send(Ok(()));
        ctx.stopping().await;
        socket.wake_receivers();
        *lock(&self.bound) = None;
        log::info!("{path}: stopped receiving datagrams");
        Ok(())
    }
}

/// One worker of a datagram server.
struct Worker<T: DatagramTransport> {
    socket: Arc<SharedSocket<T>>,
    handler: DatagramHandler<T>,
    max_datagram_size: usize,
    in_flight: Gauge,
    oversized: Arc<Mutex<LogEvery>>,
}

impl<T: DatagramTransport> Worker<T> {
    /// Receives datagrams and handles each in turn, until the service stops.
    async fn run(self, ctx: Context) -> TaskResult {
        let path = ctx.path();
        // One byte more than the longest datagram handled: a datagram that fills it is too long.
        let mut buffer = vec![0; self.max_datagram_size + 1];
        let mut failures = 0;
        loop {
            let received = ctx.until_stopping(self.socket.recv_from(&mut buffer)).await?;
            if ctx.is_stopping() {
                return Ok(());
            }
            let (len, peer) = match received {
                Ok(received) => received,
                Err(err) => {
                    // Receiving fails only when the system is short of something (memory):
                    // pause, longer each time in a row, so as not to spin.
                    let pause = ACCEPT_PAUSES.base_delay(failures);
                    failures = failures.saturating_add(1);
                    log::warn!("{path}: cannot receive a datagram: {err}; trying again in {pause:?}");
                    ctx.sleep(pause).await?;
                    continue;
                }
            };
            failures = 0;
            if len > self.max_datagram_size {
                if let Some(times) = lock(&self.oversized).occurred(Instant::now()) {
                    log::warn!(
                        "{path}: dropped a datagram from {peer} longer than {} bytes ({times} since the last report)",
                        self.max_datagram_size
                    );
                }
                continue;
            }
            let datagram = Datagram::new(buffer[..len].to_vec(), peer, self.socket.clone());
            let _handling = Handling::new(&self.in_flight);
            run_handler(&path, &DatagramFrom(peer), (self.handler)(datagram, ctx.clone())).await;
        }
    }
}

/// Counts one datagram being handled in the server's gauge, until dropped (also when the
/// handler is cancelled).
struct Handling<'a>(&'a Gauge);

impl<'a> Handling<'a> {
    fn new(gauge: &'a Gauge) -> Self {
        gauge.inc();
        Handling(gauge)
    }
}

impl Drop for Handling<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

fn lock<V>(mutex: &Mutex<V>) -> MutexGuard<'_, V> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
