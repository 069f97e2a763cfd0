//! `StreamClient`: a TCP client that stays connected, running a blocking handler on each
//! connection, a `std::net::TcpStream`.

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use ginkgo_core::net::{ClientOptions, Reconnect, run_blocking_handler};
use ginkgo_core::{Backoff, BoxError, Context, Gauge, Readiness, Service, TaskResult, async_trait};

use crate::connections::Connections;

type Handler = Arc<dyn Fn(TcpStream, Context) -> TaskResult + Send + Sync>;

/// A TCP client with plain blocking code that keeps a connection open: it connects when
/// started, runs `handler(stream, ctx)` on the connection (on a thread of its own, the service's
/// blocking work), and when the connection fails or ends (the handler returned, failed or
/// panicked), connects again after a pause that grows with each failed attempt ([`Backoff`],
/// with jitter), until the service stops.
///
/// * **Readiness** means "connected": the start waits for the first connection (up to the
///   service's `start_timeout`: 2 s, or [`with_start_timeout`](StreamClient::with_start_timeout)),
///   and fails, rolling the tree back, if there is none by then. A daemon that must come up
///   while its server is down should call
///   [`ready_when_connected(false)`](StreamClient::ready_when_connected): the client is then
///   ready at once and keeps trying in the background (or start the tree with
///   `start_nowait`). [`is_connected`](StreamClient::is_connected) and the gauge `connections`
///   tell whether it is connected now.
/// * **Stop** tells the handler to finish (it checks [`ctx.is_stopping()`](Context::is_stopping)
///   or sleeps with `ginkgo_threads::block_on(ctx.sleep(..))`); after
///   [`stop_timeout`](StreamClient::with_stop_timeout) the connection is shut down, so that a
///   handler blocked reading or writing returns. A connection attempt in progress is not
///   interrupted: it ends within [`connect_timeout`](StreamClient::with_connect_timeout).
///
/// Works under every backend (the thread comes from the backend's blocking pool).
///
/// ```
/// use std::io::{Read, Write};
/// use ginkgo_core::ServiceHandle;
/// use ginkgo_threads::{StreamClient, ThreadManager};
///
/// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let hello = StreamClient::new(server.local_addr()?, |mut stream: std::net::TcpStream, _ctx| {
///     stream.write_all(b"hello\n")?;
///     Ok(())
/// });
/// let client = ServiceHandle::new(hello).with_manager(ThreadManager::new());
/// ginkgo_threads::block_on(client.start())?; // returns once connected
/// let (mut from_client, _) = server.accept()?;
/// let mut said = String::new();
/// from_client.read_to_string(&mut said)?;
/// assert_eq!(said, "hello\n");
/// ginkgo_threads::block_on(client.stop())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StreamClient {
    options: ClientOptions,
    handler: Handler,
    connected: Gauge,
}

impl StreamClient {
    /// A client of `address` (`host:port` text, or a `SocketAddr`), running `handler` on every
    /// connection it makes.
    pub fn new<F>(address: impl ToString, handler: F) -> Self
    where
        F: Fn(TcpStream, Context) -> TaskResult + Send + Sync + 'static,
    {
        Self::with_options(ClientOptions::new(address), handler)
    }

    /// A client that asks `address` where to connect before every attempt: for a server whose
    /// address is known only once it runs (a sibling listening on port 0, say). `None` counts
    /// as a failed attempt.
    pub fn with_address_from<A, F>(address: A, handler: F) -> Self
    where
        A: Fn() -> Option<String> + Send + Sync + 'static,
        F: Fn(TcpStream, Context) -> TaskResult + Send + Sync + 'static,
    {
        Self::with_options(ClientOptions::with_address_from(address), handler)
    }

    /// A client configured by `options` (its address, backoff and timeouts), running `handler`
    /// on every connection it makes.
    pub fn with_options<F>(options: ClientOptions, handler: F) -> Self
    where
        F: Fn(TcpStream, Context) -> TaskResult + Send + Sync + 'static,
    {
        StreamClient { options, handler: Arc::new(handler), connected: Gauge::default() }
    }

    /// Sets the pauses between attempts (default: [`Backoff::default`]).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.options = self.options.with_backoff(backoff);
        self
    }

    /// Sets how long one attempt to connect may take (default 10 s).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.with_connect_timeout(timeout);
        self
    }

    /// With `true` (the default) the client is ready once connected; with `false`, as soon as
    /// it has started trying.
    pub fn ready_when_connected(mut self, wait: bool) -> Self {
        self.options = self.options.ready_when_connected(wait);
        self
    }

    /// Sets how long a start waits for the first connection (default 2 s); with
    /// `ready_when_connected(false)`, it does not wait.
    pub fn with_start_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.with_start_timeout(timeout);
        self
    }

    /// Sets how long the handler gets to finish at stop before its connection is shut down
    /// (default 1 s).
    pub fn with_stop_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.with_stop_timeout(timeout);
        self
    }

    /// True while a connection is open.
    pub fn is_connected(&self) -> bool {
        self.connected.get() > 0
    }
}

#[async_trait]
impl Service for StreamClient {
    fn start_timeout(&self) -> Duration {
        self.options.start_timeout()
    }

    fn stop_timeout(&self) -> Duration {
        self.options.stop_timeout()
    }

    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        let connections = Connections::default();
        let _watch = connections.watch(ctx, || {});
        let (options, handler, connected) = (self.options.clone(), self.handler.clone(), self.connected.clone());
        let _task = ctx.spawn_blocking(move |ctx| {
            let path = ctx.path();
            let gauges = vec![ctx.gauge("connections"), connected];
            let mut reconnect = Reconnect::new(path.clone(), options.backoff().clone());
            loop {
                let Some(address) = options.address() else {
                    crate::block_on(ctx.sleep(reconnect.no_address()))?;
                    continue;
                };
                let attempt = connect(&address, options.connect_timeout());
                let delay =
                    match attempt.and_then(|stream| Ok((connections.register(&stream, gauges.clone())?, stream))) {
                        Ok((registered, stream)) => {
                            reconnect.connected(&address);
                            ctx.set_ready();
                            let handled = || handler(stream, ctx.clone());
                            run_blocking_handler(&path, &format!("connection to {address}"), handled);
                            drop(registered);
                            if ctx.is_stopping() {
                                return Ok(());
                            }
                            reconnect.closed(&address)
                        }
                        Err(err) => {
                            if ctx.is_stopping() {
                                return Ok(());
                            }
                            reconnect.failed(&address, &err)
                        }
                    };
                crate::block_on(ctx.sleep(delay))?;
            }
        });
        Ok(self.options.readiness())
    }
}

/// Connects to the first address `address` resolves to that answers within `timeout`.
fn connect(address: &str, timeout: Duration) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{address} resolves to no address"));
    for resolved in address.to_socket_addrs()? {
        match TcpStream::connect_timeout(&resolved, timeout) {
            Ok(stream) => return Ok(stream),
            Err(err) => last = err,
        }
    }
    Err(last)
}
