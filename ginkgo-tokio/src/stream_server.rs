//! `StreamServer`: a TCP server handing each connection, a tokio `TcpStream`, to a handler.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use ginkgo_core::net::{BoundAddress, ServerLimits, listen, serve_connections};
use ginkgo_core::{BoxError, Context, Readiness, Service, TaskResult, async_trait};
use tokio::net::TcpStream;

use crate::error::require_tokio;
use crate::tcp;

type Handler = Arc<dyn Fn(TcpStream, SocketAddr, Context) -> BoxFuture<'static, TaskResult> + Send + Sync>;

/// A TCP server: listens on an address and runs `handler(stream, peer, ctx)` for each
/// connection, as a task of this service.
///
/// * **Start** binds the address: a port in use fails the start with a [`ListenError`](crate::ListenError)
///   naming the address, and the tree's start is rolled back. Port 0 picks a free port;
///   [`local_addr`](StreamServer::local_addr) tells which.
/// * **Connections**: each handler is a task of this service; `ctx` is this service's context,
///   whose [`sleep`](Context::sleep), [`stopping`](Context::stopping) and
///   [`until_stopping`](Context::until_stopping) tell the handler when to finish. A handler
///   that fails or panics closes its connection and is logged with the service's path; the
///   server keeps serving. The gauge `connections` counts open connections.
/// * **Stop** closes the listener at once, tells the handlers to finish, and after
///   [`stop_timeout`](StreamServer::with_stop_timeout) cancels the ones still running, which
///   closes their connections.
///
/// Runs on the tokio backend only (its start fails with [`NeedsTokio`](crate::NeedsTokio)
/// elsewhere); `ginkgo::net::StreamServer` follows whichever backend runs the tree.
///
/// ```
/// use std::time::Duration;
/// use ginkgo_core::ServiceHandle;
/// use ginkgo_tokio::{StreamServer, TokioManager};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// let hello = StreamServer::new("127.0.0.1:0", |mut stream: tokio::net::TcpStream, _peer, ctx| async move {
///     loop {
///         stream.write_all(b"Hello World\n").await?;
///         ctx.sleep(Duration::from_secs(1)).await?;
///     }
/// });
/// let server = ServiceHandle::new(hello).with_manager(TokioManager::new());
/// ginkgo_tokio::block_on(async {
///     server.start().await?;
///     let address = server.service().local_addr().expect("listening");
///     let mut client = tokio::net::TcpStream::connect(address).await?;
///     let mut line = [0; 12];
///     client.read_exact(&mut line).await?;
///     assert_eq!(&line, b"Hello World\n");
///     server.stop().await?;
///     Ok::<_, Box<dyn std::error::Error>>(())
/// })?;
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
    pub fn new<F, Fut>(address: impl ToString, handler: F) -> Self
    where
        F: Fn(TcpStream, SocketAddr, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        Self::with_boxed_handler(address, move |stream, peer, ctx| Box::pin(handler(stream, peer, ctx)))
    }

    /// A server whose `handler` already returns boxed futures (as a wrapper around another
    /// handler often does): they are used as they are, not boxed a second time, which saves an
    /// allocation per connection.
    pub fn with_boxed_handler<F>(address: impl ToString, handler: F) -> Self
    where
        F: Fn(TcpStream, SocketAddr, Context) -> BoxFuture<'static, TaskResult> + Send + Sync + 'static,
    {
        StreamServer {
            address: address.to_string(),
            handler: Arc::new(handler),
            bound: BoundAddress::default(),
            stop_timeout: Duration::from_secs(1),
            limits: ServerLimits::default(),
        }
    }

    /// Sets how long handlers get to finish at stop before they are cancelled (default 1 s).
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
        require_tokio(ctx, "StreamServer")?;
        let (handler, cap) = (self.handler.clone(), self.limits.max_connections(ctx.config()));
        let serve = move |ctx, listener| serve_connections(ctx, listener, tcp::accept, cap, handler);
        listen(ctx, &self.address, &self.bound, tcp::bind, serve).await?;
        Ok(Readiness::Ready)
    }
}
