//! `StreamServer`: a TCP server on whichever backend runs the tree.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use ginkgo_core::net::ServerLimits;
use ginkgo_core::{BoxError, Context, Readiness, Service, TaskResult, async_trait};

use super::Connection;
use super::native::{Native, NativeSlot, backend_of};
use crate::Backend;

type Handler = Arc<dyn Fn(Connection, Context) -> BoxFuture<'static, TaskResult> + Send + Sync>;

/// A TCP server that runs `handler(connection, ctx)` for each connection, on whichever backend
/// runs the tree: the same service, and the same handler, on tokio, smol, async-std and
/// threads.
///
/// When it starts, it makes the backend's own server (`ginkgo_tokio::StreamServer`,
/// `ginkgo_asyncstd::StreamServer<Smol>` or `<AsyncStd>`, `ginkgo_threads::StreamServer`) and
/// runs it on its own context, so it behaves exactly as that server does:
///
/// * **Start** binds the address: a port in use fails the start with a
///   [`ListenError`](super::ListenError) naming the address, and the tree's start is rolled
///   back. Port 0 picks a free port; [`local_addr`](StreamServer::local_addr) tells which.
/// * **Connections**: each handler is a task of this service; `ctx` is this service's context,
///   whose [`sleep`](Context::sleep) and [`until_stopping`](Context::until_stopping) tell the
///   handler when to finish. A handler that fails or panics closes its connection and is
///   logged with the service's path; the server keeps serving. The gauge `connections` counts
///   open connections.
/// * **Limits**: at most [`max_connections`](StreamServer::with_max_connections) connections
///   are open at once (by default the setting `net.max_connections`, derived from the limit on
///   open files); at the cap the server stops accepting, and new clients wait in the listen
///   backlog until a connection closes. When `accept` fails (out of file descriptors, say) the
///   server pauses, logs it at most every 10 s, keeps serving the connections it has, and
///   accepts again once it can. How long a connection may stay quiet is the handler's to
///   decide (with [`Context::sleep`] or a timeout around its reads).
/// * **Stop** closes the listener at once, tells the handlers to finish, and after
///   [`stop_timeout`](StreamServer::with_stop_timeout) ends the ones still running, closing
///   their connections.
///
/// ```
/// use std::time::Duration;
/// use futures::io::AsyncWriteExt;
/// use ginkgo::net::{Connection, StreamServer};
/// use ginkgo::testing::each_backend;
///
/// each_backend(|backend| async move {
///     let hello = StreamServer::new("127.0.0.1:0", |mut connection: Connection, ctx| async move {
///         loop {
///             connection.write_all(b"Hello World\n").await?;
///             ctx.sleep(Duration::from_secs(1)).await?;
///         }
///     });
///     let server = backend.service(hello);
///     server.start().await.unwrap();
///     let address = server.service().local_addr().unwrap();
///     let mut client = std::net::TcpStream::connect(address).unwrap();
///     let mut line = [0; 12];
///     std::io::Read::read_exact(&mut client, &mut line).unwrap();
///     assert_eq!(&line, b"Hello World\n");
///     server.stop().await.unwrap();
/// });
/// ```
pub struct StreamServer {
    address: String,
    handler: Handler,
    stop_timeout: Duration,
    limits: ServerLimits,
    native: NativeSlot<Option<SocketAddr>>,
}

impl StreamServer {
    /// A server for `address` (`host:port` text, or a `SocketAddr`), running `handler` for
    /// every connection.
    pub fn new<F, Fut>(address: impl ToString, handler: F) -> Self
    where
        F: Fn(Connection, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        StreamServer {
            address: address.to_string(),
            handler: Arc::new(move |connection, ctx| Box::pin(handler(connection, ctx))),
            stop_timeout: Duration::from_secs(1),
            limits: ServerLimits::default(),
            native: NativeSlot::default(),
        }
    }

    /// Sets how long handlers get to finish at stop before they are ended (default 1 s).
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
        self.native.query().flatten()
    }

    /// The backend's own server, with the handler adapted to its stream type.
    fn native_for(&self, backend: Backend) -> Native<Option<SocketAddr>> {
        let (address, limits) = (self.address.as_str(), self.limits);
        let handler = self.handler.clone();
        match backend {
            #[cfg(feature = "tokio")]
            Backend::Tokio => Native::new(
                ginkgo_tokio::StreamServer::with_boxed_handler(address, move |stream, peer, ctx| {
                    handler(Connection::tokio(stream, peer), ctx)
                })
                .with_limits(limits),
                ginkgo_tokio::StreamServer::local_addr,
            ),
            #[cfg(feature = "smol")]
            Backend::Smol => Native::new(
                ginkgo_asyncstd::StreamServer::<ginkgo_asyncstd::Smol>::new(address, move |stream, peer, ctx| {
                    handler(Connection::new(stream, peer), ctx)
                })
                .with_limits(limits),
                ginkgo_asyncstd::StreamServer::local_addr,
            ),
            #[cfg(feature = "async-std")]
            Backend::AsyncStd => Native::new(
                ginkgo_asyncstd::StreamServer::<ginkgo_asyncstd::AsyncStd>::new(address, move |stream, peer, ctx| {
                    handler(Connection::new(stream, peer), ctx)
                })
                .with_limits(limits),
                ginkgo_asyncstd::StreamServer::local_addr,
            ),
            #[cfg(feature = "threads")]
            Backend::Threads => Native::new(
                ginkgo_threads::StreamServer::new(address, move |stream, peer, ctx| {
                    let connection = Connection::new(super::connection::Blocking(stream), peer);
                    ginkgo_threads::block_on(handler(connection, ctx))
                })
                .with_limits(limits),
                ginkgo_threads::StreamServer::local_addr,
            ),
        }
    }
}

#[async_trait]
impl Service for StreamServer {
    fn stop_timeout(&self) -> Duration {
        self.stop_timeout
    }

    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        self.native.start(self.native_for(backend_of(ctx)?), ctx).await
    }

    async fn do_stop(&self, ctx: &Context) -> Result<(), BoxError> {
        self.native.stop(ctx).await
    }
}
