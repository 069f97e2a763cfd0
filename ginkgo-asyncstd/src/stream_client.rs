//! `StreamClient`: a TCP client that stays connected, handing each connection, a smol or
//! async-std `TcpStream`, to a handler.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use ginkgo_core::net::{ClientOptions, stay_connected};
use ginkgo_core::{Backoff, BoxError, Context, Gauge, Readiness, Service, TaskResult, async_trait};

use crate::Runtime;

type Handler<R> = Arc<dyn Fn(<R as Runtime>::Stream, Context) -> BoxFuture<'static, TaskResult> + Send + Sync>;

/// A TCP client on the sockets of runtime `R` ([`Smol`](crate::Smol) or
/// [`AsyncStd`](crate::AsyncStd)) that keeps a connection open: it connects when started, runs
/// `handler(stream, ctx)` on the connection, and when the connection fails or ends (the
/// handler returned, failed or panicked), connects again after a pause that grows with each
/// failed attempt ([`Backoff`], with jitter), until the service stops.
///
/// * **Readiness** means "connected": the start waits for the first connection (up to the
///   service's `start_timeout`: 2 s, or [`with_start_timeout`](StreamClient::with_start_timeout)),
///   and fails, rolling the tree back, if there is none by then. A daemon that must come up
///   while its server is down should call
///   [`ready_when_connected(false)`](StreamClient::ready_when_connected): the client is then
///   ready at once and keeps trying in the background (or start the tree with
///   `start_nowait`). [`is_connected`](StreamClient::is_connected) and the gauge `connections`
///   tell whether it is connected now.
/// * **Stop** ends the connecting and tells the handler to finish (through `ctx`); after
///   [`stop_timeout`](StreamClient::with_stop_timeout) a handler still running is cancelled,
///   which closes the connection.
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use ginkgo_asyncstd::{Smol, SmolManager, StreamClient};
/// use ginkgo_core::ServiceHandle;
///
/// ginkgo_asyncstd::block_on_smol(async {
///     let server = smol::net::TcpListener::bind("127.0.0.1:0").await?;
///     let address = server.local_addr()?;
///     let hello = StreamClient::<Smol>::new(address, |mut stream: smol::net::TcpStream, _ctx| async move {
///         stream.write_all(b"hello\n").await?;
///         Ok(())
///     });
///     let client = ServiceHandle::new(hello).with_manager(SmolManager::new());
///     client.start().await?; // returns once connected
///     let (mut from_client, _) = server.accept().await?;
///     let mut said = String::new();
///     from_client.read_to_string(&mut said).await?;
///     assert_eq!(said, "hello\n");
///     client.stop().await?;
///     Ok::<_, Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StreamClient<R: Runtime> {
    options: ClientOptions,
    handler: Handler<R>,
    connected: Gauge,
}

impl<R: Runtime> StreamClient<R> {
    /// A client of `address` (`host:port` text, or a `SocketAddr`), running `handler` on every
    /// connection it makes.
    pub fn new<F, Fut>(address: impl ToString, handler: F) -> Self
    where
        F: Fn(R::Stream, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        Self::with_options(ClientOptions::new(address), handler)
    }

    /// A client that asks `address` where to connect before every attempt: for a server whose
    /// address is known only once it runs (a sibling listening on port 0, say). `None` counts
    /// as a failed attempt.
    pub fn with_address_from<A, F, Fut>(address: A, handler: F) -> Self
    where
        A: Fn() -> Option<String> + Send + Sync + 'static,
        F: Fn(R::Stream, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        Self::with_options(ClientOptions::with_address_from(address), handler)
    }

    /// A client configured by `options` (its address, backoff and timeouts), running `handler`
    /// on every connection it makes.
    pub fn with_options<F, Fut>(options: ClientOptions, handler: F) -> Self
    where
        F: Fn(R::Stream, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        let handler: Handler<R> = Arc::new(move |stream, ctx| Box::pin(handler(stream, ctx)));
        StreamClient { options, handler, connected: Gauge::default() }
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

    /// Sets how long the handler gets to finish at stop before it is cancelled (default 1 s).
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
impl<R: Runtime> Service for StreamClient<R> {
    fn start_timeout(&self) -> Duration {
        self.options.start_timeout()
    }

    fn stop_timeout(&self) -> Duration {
        self.options.stop_timeout()
    }

    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        let (options, handler, connected) = (self.options.clone(), self.handler.clone(), self.connected.clone());
        let _task = ctx.spawn(move |ctx| stay_connected(ctx, options, connected, R::connect, handler));
        Ok(self.options.readiness())
    }
}
