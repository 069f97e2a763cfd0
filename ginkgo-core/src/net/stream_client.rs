//! `StreamClient`: a client that stays connected, handing each connection to a handler, over
//! any transport; its loop of connecting, and the pace and the log lines of reconnecting.

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::client_options::ClientOptions;
use super::connection::{Handler, handler};
use super::deadline::within;
use super::supervise::run_handler;
use super::{Address, Connection, OpenConnection, PeerAddr, Transport};
use crate::{AsyncManager, Backoff, BoxError, Context, Gauge, Readiness, Service, TaskResult, async_trait};

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
        Self::with_transport(T::default(), address, handler)
    }
}

impl<T: Transport> StreamClient<T> {
    /// A client over `transport`, a transport value of its own (one that holds a
    /// configuration, say), that asks `address` where to connect before every attempt.
    pub fn with_transport<A, F, Fut>(transport: T, address: A, handler: F) -> Self
    where
        A: Fn() -> Option<String> + Send + Sync + 'static,
        F: Fn(Connection<T::Stream>, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        StreamClient {
            transport: Arc::new(transport),
            options: ClientOptions::new(address),
            handler: self::handler(handler),
            connected: Gauge::default(),
        }
    }

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

#[cfg(feature = "tls")]
impl<T: crate::tls::WithTls> StreamClient<T> {
    /// Connects with TLS, trusting what `tls` trusts and verifying the server by its name
    /// ([`ClientTls`](crate::tls::ClientTls)): a server that fails is not connected to, and the
    /// attempt counts as failed.
    pub fn with_tls(self, tls: crate::tls::ClientTls) -> Self {
        self.with_tls_layer(crate::tls::TlsLayer::client(tls))
    }

    /// Connects with TLS trusting the certificates in the PEM file the setting `ca` names (read
    /// when the client starts, and again at each reload), verifying the server by the host of
    /// its address; when the setting is unset as the client starts, it connects over plain TCP.
    pub fn with_tls_ca_setting(self, ca: &'static crate::Setting<Option<std::path::PathBuf>>) -> Self {
        self.with_tls_layer(crate::tls::TlsLayer::client_from_setting(ca))
    }

    fn with_tls_layer(mut self, layer: crate::tls::TlsLayer) -> Self {
        Arc::make_mut(&mut self.transport).set_tls(layer);
        self
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
        self.transport.prepare(ctx)?;
        let (transport, options, handler) = (self.transport.clone(), self.options.clone(), self.handler.clone());
        let connected = self.connected.clone();
        let _task = ctx.spawn(move |ctx| stay_connected(ctx, transport, options, connected, handler));
        Ok(self.options.readiness())
    }

    async fn do_reload(&self, ctx: &Context) -> Result<(), BoxError> {
        self.transport.reload(ctx)
    }
}

/// The pace and the log lines of a client that keeps reconnecting: each failed attempt in a row
/// waits longer than the one before ([`Backoff`], with jitter); after a connection that was made
/// and has closed, the wait is the shortest again.
#[derive(Debug)]
struct Reconnect {
    path: String,
    backoff: Backoff,
    failures: u32,
}

impl Reconnect {
    /// The pace of the client at `path` (its service's path, which starts its log lines).
    fn new(path: impl Into<String>, backoff: Backoff) -> Self {
        Reconnect { path: path.into(), backoff, failures: 0 }
    }

    /// There is no address to connect to yet: logs it, and returns the pause before the next
    /// attempt (a failed attempt).
    fn no_address(&mut self) -> Duration {
        let delay = self.next_failure();
        log::warn!("{}: no address to connect to yet; trying again in {delay:?}", self.path);
        delay
    }

    /// Connecting to `address` failed with `err`: logs it, and returns the pause before the next
    /// attempt, longer after each failure in a row.
    fn failed(&mut self, address: &str, err: &dyn fmt::Display) -> Duration {
        let delay = self.next_failure();
        log::warn!("{}: cannot connect to {address}: {err}; trying again in {delay:?}", self.path);
        delay
    }

    /// Connected to `address`: logs it; the next failure waits as briefly as the first.
    fn connected(&mut self, address: &str) {
        self.failures = 0;
        log::info!("{}: connected to {address}", self.path);
    }

    /// The connection to `address` has closed: logs it, and returns the pause before connecting
    /// again.
    fn closed(&self, address: &str) -> Duration {
        let delay = self.backoff.delay(0, fastrand::f64());
        log::info!("{}: connection to {address} closed; connecting again in {delay:?}", self.path);
        delay
    }

    fn next_failure(&mut self) -> Duration {
        let delay = self.backoff.delay(self.failures, fastrand::f64());
        self.failures = self.failures.saturating_add(1);
        delay
    }
}

/// What the task of a stream client does, until its service stops: connects where `options`
/// says, with `transport` (an attempt that takes longer than the options' connect timeout
/// fails); runs `handler(connection, ctx)` on the connection, supervised by [`run_handler`];
/// then connects again, pausing as [`Reconnect`] says.
///
/// While a connection is open it is counted in the service's gauge `connections` and in
/// `connected`; each connection marks the service ready.
async fn stay_connected<T: Transport>(
    ctx: Context,
    transport: Arc<T>,
    options: ClientOptions,
    connected: Gauge,
    handler: Handler<T::Stream>,
) -> TaskResult {
    let path = ctx.path();
    let Some(manager) = ctx.async_manager().cloned() else { return Ok(()) };
    let gauges = vec![ctx.gauge("connections"), connected];
    let mut reconnect = Reconnect::new(path.clone(), options.backoff.clone());
    loop {
        let Some(address) = (options.address)() else {
            ctx.sleep(reconnect.no_address()).await?;
            continue;
        };
        let attempt = connect(&ctx, transport.as_ref(), manager.as_ref(), &address, options.connect_timeout);
        let (stream, peer) = match ctx.until_stopping(attempt).await? {
            Ok(connected) => connected,
            Err(err) => {
                ctx.sleep(reconnect.failed(&address, &err)).await?;
                continue;
            }
        };
        if ctx.is_stopping() {
            // Connected as the stop began (a blocking transport's attempt cannot be cut short):
            // the handler would only be told to finish.
            return Ok(());
        }
        reconnect.connected(&address);
        let open = OpenConnection::new(gauges.clone());
        ctx.set_ready();
        let handled = handler(Connection::new(stream, peer), ctx.clone());
        run_handler(&path, &format!("connection to {address}"), handled).await;
        drop(open);
        if ctx.is_stopping() {
            return Ok(());
        }
        ctx.sleep(reconnect.closed(&address)).await?;
    }
}

/// One attempt to connect to `address` (text, parsed here: a bad one is a failed attempt).
async fn connect<T: Transport>(
    ctx: &Context,
    transport: &T,
    manager: &dyn AsyncManager,
    address: &str,
    timeout: Duration,
) -> io::Result<(T::Stream, PeerAddr)> {
    let address: Address = address.parse().map_err(|bad| io::Error::new(io::ErrorKind::InvalidInput, bad))?;
    within(manager, timeout, "connection", transport.connect(ctx, &address, timeout)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_in_a_row_waits_longer_and_a_connection_starts_over() {
        let ms = Duration::from_millis;
        let mut reconnect = Reconnect::new("App/Client", Backoff { jitter: 0.0, ..Backoff::default() });
        assert_eq!(reconnect.failed("127.0.0.1:7000", &"connection refused"), ms(100));
        assert_eq!(reconnect.no_address(), ms(200));
        assert_eq!(reconnect.failed("127.0.0.1:7000", &"connection refused"), ms(400));
        reconnect.connected("127.0.0.1:7000");
        assert_eq!(reconnect.closed("127.0.0.1:7000"), ms(100));
        assert_eq!(reconnect.failed("127.0.0.1:7000", &"connection refused"), ms(100));
    }
}
