//! `StreamServer`: a TCP server running a blocking handler, on a thread of its own, for each
//! connection, a `std::net::TcpStream`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use ginkgo_core::net::{AcceptPacing, BoundAddress, ConnectionSlots, ListenError, ServerLimits, run_blocking_handler};
use ginkgo_core::{BoxError, Context, Readiness, Service, TaskResult, async_trait};

use crate::connections::Connections;

/// How long the stop may take to connect to its own listener, to wake the blocked `accept`.
const WAKE_TIMEOUT: Duration = Duration::from_millis(500);

type Handler = Arc<dyn Fn(TcpStream, SocketAddr, Context) -> TaskResult + Send + Sync>;

/// A TCP server with plain blocking code: listens on an address and runs
/// `handler(stream, peer, ctx)` for each connection on a thread of its own (the service's
/// blocking work, [`Context::spawn_blocking`]).
///
/// * **Start** binds the address: a port in use fails the start with a [`ListenError`] naming
///   the address, and the tree's start is rolled back. Port 0 picks a free port;
///   [`local_addr`](StreamServer::local_addr) tells which.
/// * **Connections**: a handler that fails or panics closes its connection and is logged with
///   the service's path; the server keeps serving. The gauge `connections` counts open
///   connections.
/// * **Limits**: at most [`max_connections`](StreamServer::with_max_connections) connections
///   (and so handler threads) at once (by default the setting `net.max_connections`, derived
///   from the limit on open files); at the cap the server stops accepting, and new clients wait
///   in the listen backlog until a connection closes. When `accept` fails (out of file
///   descriptors, say) the server pauses, logs it at most every 10 s, keeps serving the
///   connections it has, and accepts again once it can. Each connection takes two descriptors
///   (the stop keeps a copy to shut it down); one accepted when the second is not to be had is
///   closed at once and counted as a failed accept.
/// * **Stop** closes the listener at once and tells the handlers to finish: a handler checks
///   [`ctx.is_stopping()`](Context::is_stopping), or waits with
///   `ginkgo_threads::block_on(ctx.sleep(..))`, which returns early at the stop. After
///   [`stop_timeout`](StreamServer::with_stop_timeout) the connections still open are shut
///   down, so that a handler blocked reading or writing gets an error (or end of file) and
///   returns. A handler blocked in something else cannot be ended; the stop reports it.
///
/// Works under every backend (the threads come from the backend's blocking pool); on the
/// threads backend each connection has a thread of its own.
///
/// ```
/// use std::io::{Read, Write};
/// use std::time::Duration;
/// use ginkgo_core::ServiceHandle;
/// use ginkgo_threads::{StreamServer, ThreadManager};
///
/// let hello = StreamServer::new("127.0.0.1:0", |mut stream: std::net::TcpStream, _peer, ctx| loop {
///     stream.write_all(b"Hello World\n")?;
///     ginkgo_threads::block_on(ctx.sleep(Duration::from_secs(1)))?;
/// });
/// let server = ServiceHandle::new(hello).with_manager(ThreadManager::new());
/// ginkgo_threads::block_on(server.start())?;
/// let mut client = std::net::TcpStream::connect(server.service().local_addr().unwrap())?;
/// let mut line = [0; 12];
/// client.read_exact(&mut line)?;
/// assert_eq!(&line, b"Hello World\n");
/// ginkgo_threads::block_on(server.stop())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StreamServer {
    address: String,
    handler: Handler,
    bound: BoundAddress,
    stop_timeout: Duration,
    limits: ServerLimits,
}

impl StreamServer {
    /// A server for `address` (`host:port` text, or a `SocketAddr`), running `handler` for
    /// every connection.
    pub fn new<F>(address: impl ToString, handler: F) -> Self
    where
        F: Fn(TcpStream, SocketAddr, Context) -> TaskResult + Send + Sync + 'static,
    {
        StreamServer {
            address: address.to_string(),
            handler: Arc::new(handler),
            bound: BoundAddress::default(),
            stop_timeout: Duration::from_secs(1),
            limits: ServerLimits::default(),
        }
    }

    /// Sets how long handlers get to finish at stop before their connections are shut down
    /// (default 1 s).
    pub fn with_stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Caps the connections open at once at `cap` (at least 1); by default the setting
    /// `net.max_connections`, read when the server starts.
    pub fn with_max_connections(mut self, cap: usize) -> Self {
        self.limits = self.limits.with_max_connections(cap);
        self
    }

    /// Sets every limit at once (those `limits` leaves unset come from the settings).
    pub fn with_limits(mut self, limits: ServerLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The address the server was given.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The address the server listens on, while it does: with port 0, the port it was given.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.bound.get()
    }
}

#[async_trait]
impl Service for StreamServer {
    fn stop_timeout(&self) -> Duration {
        self.stop_timeout
    }

    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        let listen_error = |err| ListenError::new(self.address.as_str(), err);
        let listener = TcpListener::bind(self.address.as_str()).map_err(listen_error)?;
        let local = listener.local_addr().map_err(listen_error)?;
        self.bound.set(Some(local));
        let connections = Connections::default();
        let path = ctx.path();
        let _watch = connections.watch(ctx, move || wake(&path, local));
        let (handler, bound) = (self.handler.clone(), self.bound.clone());
        let slots = ConnectionSlots::new(self.limits.max_connections(ctx.config()), ctx.gauge("connections"));
        let _accept = ctx.spawn_blocking(move |ctx| {
            accept_until_stopping(&ctx, listener, &connections, &slots, &handler);
            bound.set(None);
            Ok(())
        });
        Ok(Readiness::Ready)
    }
}

/// Accepts connections, running the handler on each, until the service begins to stop (the
/// stop wakes the blocked `accept` by connecting); then closes the listener. While every slot
/// is taken it does not accept; a failed `accept` pauses it (both as [`AcceptPacing`] says).
fn accept_until_stopping(
    ctx: &Context,
    listener: TcpListener,
    connections: &Connections,
    slots: &ConnectionSlots,
    handler: &Handler,
) {
    let path = ctx.path();
    if let Ok(local) = listener.local_addr() {
        log::info!("{path}: listening on {local}");
    }
    let mut pacing = AcceptPacing::new(ctx);
    loop {
        if slots.is_full() {
            pacing.at_cap(slots.cap());
            if crate::block_on(ctx.until_stopping(slots.room())).is_err() {
                break;
            }
        }
        let accepted = listener.accept();
        if ctx.is_stopping() {
            break;
        }
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => match pause_after(ctx, &mut pacing, &err, slots) {
                Paused::Done => continue,
                Paused::Stopping => break,
            },
        };
        // Registering keeps a copy of the stream, which takes a second descriptor. Short of
        // one, the connection waits here (as it would in the backlog) while the loop pauses as
        // after a failed accept.
        let registered = loop {
            match connections.register_open(&stream, slots.take()) {
                Ok(registered) => break Some(registered),
                Err(err) => match pause_after(ctx, &mut pacing, &err, slots) {
                    Paused::Done => {}
                    Paused::Stopping => break None,
                },
            }
        };
        let Some(registered) = registered else { break };
        pacing.accepted();
        log::debug!("{path}: connection from {peer}");
        let (handler, path) = (handler.clone(), path.clone());
        let _task = ctx.spawn_blocking(move |ctx| {
            let _registered = registered;
            run_blocking_handler(&path, &format!("connection from {peer}"), || handler(stream, peer, ctx));
            Ok(())
        });
    }
    drop(listener);
    log::info!("{path}: stopped listening");
}

/// How a pause after a failure ended.
enum Paused {
    Done,
    Stopping,
}

/// Pauses as `pacing` says after `err`, unless the service begins to stop first.
fn pause_after(ctx: &Context, pacing: &mut AcceptPacing, err: &std::io::Error, slots: &ConnectionSlots) -> Paused {
    let pause = pacing.failed(err, slots.open());
    match pause.map(|pause| crate::block_on(ctx.sleep(pause))) {
        Some(Err(_stopping)) => Paused::Stopping,
        Some(Ok(())) | None => Paused::Done,
    }
}

/// Wakes an `accept` blocked on `local` by connecting to it, from a short-lived thread so that
/// the caller (an async task) does not block.
fn wake(path: &str, local: SocketAddr) {
    let ip = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let target = SocketAddr::new(ip, local.port());
    let owner = path.to_string();
    let knock = move || {
        if let Err(err) = TcpStream::connect_timeout(&target, WAKE_TIMEOUT) {
            log::warn!("{owner}: could not wake the listener on {local}: {err}; it closes at the next connection");
        }
    };
    if let Err(err) = std::thread::Builder::new().name("ginkgo-wake".into()).spawn(knock) {
        log::warn!("{path}: no thread to wake the listener on {local}: {err}");
    }
}
