//! `StreamClient`: a client that stays connected, handing each connection to a handler, over
//! any transport.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::Connection;
use super::Transport;
use super::client_options::ClientOptions;
use super::connection::{Handler, handler};
use super::reconnect::stay_connected;
use crate::{Backoff, BoxError, Context, Gauge, Readiness, Service, TaskResult, async_trait};

/// A client that keeps a connection open: it connects when started, runs
/// `handler(connection, ctx)` on the connection, and when the connection fails or ends (the
/// handler returned, failed or panicked; failures are logged with the service's path), connects
/// again after a pause that grows with each failed attempt ([`Backoff`], with jitter), until
/// the service stops. One implementation for every runtime, over the sockets of a
/// [`Transport`] `T`: `ginkgo::net::StreamClient` follows whichever backend runs the tree, and
/// each backend crate names its own (`ginkgo_tokio::StreamClient`, …). The examples are on
/// those.
///
/// * **Addresses**: `host:port` for TCP, `unix:/path/to.sock` for a Unix domain socket. A TCP
///   connection that turns out to be connected to itself (a port of this host that nothing
///   listens on, which the system happened to give the client's own end) counts as a failed
///   attempt.
/// * **Readiness** means "connected": the start waits for the first connection (up to the
///   service's `start_timeout`: 2 s, or [`with_start_timeout`](StreamClient::with_start_timeout)),
///   and fails, rolling the tree back, if there is none by then. A daemon that must come up
///   while its server is down should call
///   [`ready_when_connected(false)`](StreamClient::ready_when_connected): the client is then
///   ready at once and keeps trying in the background (or start the tree with
///   `start_nowait`). [`is_connected`](StreamClient::is_connected) and the gauge `connections`
///   tell whether it is connected now.
/// * **Stop** ends the connecting and tells the handler to finish (through `ctx`); after
///   [`stop_timeout`](StreamClient::with_stop_timeout) a handler still running is ended and
///   its connection closed.
pub struct StreamClient<T: Transport> {
    transport: Arc<T>,
    options: ClientOptions,
    handler: Handler<T::Stream>,
    connected: Gauge,
}

impl<T: Transport + Default> StreamClient<T> {
    /// A client of `address` (`host:port` text, a `SocketAddr`, or `unix:/path`), running
    /// `handler` on every connection it makes.
    pub fn new<F, Fut>(address: impl ToString, handler: F) -> Self
    where
        F: Fn(Connection<T::Stream>, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        let address = address.to_string();
        Self::with_address_from(move || Some(address.clone()), handler)
    }

    /// A client that asks `address` where to connect before every attempt: for a server whose
    /// address is known only once it runs (a sibling listening on port 0, say). `None` counts
    /// as a failed attempt.
    pub fn with_address_from<A, F, Fut>(address: A, handler: F) -> Self
    where
        A: Fn() -> Option<String> + Send + Sync + 'static,
        F: Fn(Connection<T::Stream>, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        StreamClient {
            transport: Arc::new(T::default()),
            options: ClientOptions::new(address),
            handler: self::handler(handler),
            connected: Gauge::default(),
        }
    }
}

impl<T: Transport> StreamClient<T> {
    /// Sets the pauses between attempts (default: [`Backoff::default`]).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.options.backoff = backoff;
        self
    }

    /// Sets how long one attempt to connect may take (default 10 s).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.options.connect_timeout = timeout;
        self
    }

    /// With `true` (the default) the client is ready once connected; with `false`, as soon as
    /// it has started trying.
    pub fn ready_when_connected(mut self, wait: bool) -> Self {
        self.options.ready_when_connected = wait;
        self
    }

    /// Sets how long a start waits for the first connection (default 2 s); with
    /// `ready_when_connected(false)`, it does not wait.
    pub fn with_start_timeout(mut self, timeout: Duration) -> Self {
        self.options.start_timeout = timeout;
        self
    }

    /// Sets how long the handler gets to finish at stop before it is ended (default 1 s).
    pub fn with_stop_timeout(mut self, timeout: Duration) -> Self {
        self.options.stop_timeout = timeout;
        self
    }

    /// True while a connection is open.
    pub fn is_connected(&self) -> bool {
        self.connected.get() > 0
    }
}

#[async_trait]
impl<T: Transport> Service for StreamClient<T> {
    fn start_timeout(&self) -> Duration {
        self.options.start_timeout
    }

    fn stop_timeout(&self) -> Duration {
        self.options.stop_timeout
    }

    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        self.transport.check_backend(ctx, "StreamClient")?;
        let (transport, options, handler) = (self.transport.clone(), self.options.clone(), self.handler.clone());
        let connected = self.connected.clone();
        let _task = ctx.spawn(move |ctx| stay_connected(ctx, transport, options, connected, handler));
        Ok(self.options.readiness())
    }
}
