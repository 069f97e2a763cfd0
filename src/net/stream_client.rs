//! `StreamClient`: a TCP client that stays connected, on whichever backend runs the tree.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use ginkgo_core::net::ClientOptions;
use ginkgo_core::{Backoff, BoxError, Context, Readiness, Service, TaskResult, async_trait};

use super::Connection;
use super::native::{Native, NativeSlot, backend_of};
use crate::Backend;

type Handler = Arc<dyn Fn(Connection, Context) -> BoxFuture<'static, TaskResult> + Send + Sync>;

/// A TCP client that keeps a connection open and runs `handler(connection, ctx)` on it, on
/// whichever backend runs the tree: the same service, and the same handler, on tokio, smol,
/// async-std and threads.
///
/// When it starts, it makes the backend's own client (`ginkgo_tokio::StreamClient`,
/// `ginkgo_asyncstd::StreamClient<Smol>` or `<AsyncStd>`, `ginkgo_threads::StreamClient`) and
/// runs it on its own context, so it behaves exactly as that client does:
///
/// * It connects when started. When the connection fails or ends (the handler returned, failed
///   or panicked; failures are logged with the service's path), it connects again after a
///   pause that grows with each failed attempt ([`Backoff`], with jitter).
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
///
/// ```
/// use futures::io::AsyncWriteExt;
/// use ginkgo::net::{Connection, StreamClient};
/// use ginkgo::testing::each_backend;
///
/// each_backend(|backend| async move {
///     let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
///     let hello = StreamClient::new(server.local_addr().unwrap(), |mut connection: Connection, _ctx| async move {
///         connection.write_all(b"hello\n").await?;
///         Ok(())
///     });
///     let client = backend.service(hello);
///     client.start().await.unwrap(); // returns once connected
///     let (mut from_client, _) = server.accept().unwrap();
///     let mut line = [0; 6];
///     std::io::Read::read_exact(&mut from_client, &mut line).unwrap();
///     assert_eq!(&line, b"hello\n");
///     client.stop().await.unwrap();
/// });
/// ```
pub struct StreamClient {
    options: ClientOptions,
    handler: Handler,
    native: NativeSlot<bool>,
}

impl StreamClient {
    /// A client of `address` (`host:port` text, or a `SocketAddr`), running `handler` on every
    /// connection it makes.
    pub fn new<F, Fut>(address: impl ToString, handler: F) -> Self
    where
        F: Fn(Connection, Context) -> Fut + Send + Sync + 'static,
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
        F: Fn(Connection, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        Self::with_options(ClientOptions::with_address_from(address), handler)
    }

    fn with_options<F, Fut>(options: ClientOptions, handler: F) -> Self
    where
        F: Fn(Connection, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |connection, ctx| Box::pin(handler(connection, ctx)));
        StreamClient { options, handler, native: NativeSlot::default() }
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

    /// Sets how long the handler gets to finish at stop before it is ended (default 1 s).
    pub fn with_stop_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.with_stop_timeout(timeout);
        self
    }

    /// True while a connection is open.
    pub fn is_connected(&self) -> bool {
        self.native.query().unwrap_or(false)
    }

    /// The backend's own client, with the handler adapted to its stream type.
    fn native_for(&self, backend: Backend) -> Native<bool> {
        let (options, handler) = (self.options.clone(), self.handler.clone());
        match backend {
            #[cfg(feature = "tokio")]
            Backend::Tokio => Native::new(
                ginkgo_tokio::StreamClient::with_options(options, move |stream, ctx| {
                    let peer = peer_of(stream.peer_addr());
                    handler(Connection::tokio(stream, peer), ctx)
                }),
                ginkgo_tokio::StreamClient::is_connected,
            ),
            #[cfg(feature = "smol")]
            Backend::Smol => Native::new(
                ginkgo_asyncstd::StreamClient::<ginkgo_asyncstd::Smol>::with_options(options, move |stream, ctx| {
                    let peer = peer_of(stream.peer_addr());
                    handler(Connection::new(stream, peer), ctx)
                }),
                ginkgo_asyncstd::StreamClient::is_connected,
            ),
            #[cfg(feature = "async-std")]
            Backend::AsyncStd => Native::new(
                ginkgo_asyncstd::StreamClient::<ginkgo_asyncstd::AsyncStd>::with_options(
                    options,
                    move |stream, ctx| {
                        let peer = peer_of(stream.peer_addr());
                        handler(Connection::new(stream, peer), ctx)
                    },
                ),
                ginkgo_asyncstd::StreamClient::is_connected,
            ),
            #[cfg(feature = "threads")]
            Backend::Threads => Native::new(
                ginkgo_threads::StreamClient::with_options(options, move |stream, ctx| {
                    let peer = peer_of(stream.peer_addr());
                    let connection = Connection::new(super::connection::Blocking(stream), peer);
                    ginkgo_threads::block_on(handler(connection, ctx))
                }),
                ginkgo_threads::StreamClient::is_connected,
            ),
        }
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
        self.native.start(self.native_for(backend_of(ctx)?), ctx).await
    }

    async fn do_stop(&self, ctx: &Context) -> Result<(), BoxError> {
        self.native.stop(ctx).await
    }
}

/// The peer's address, or the unspecified address if the system cannot tell (the connection
/// is then already gone, which the handler finds out on its first read or write).
fn peer_of(peer: io::Result<SocketAddr>) -> SocketAddr {
    peer.unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
}
