//! `StreamServer`: a TCP server handing each connection, a smol or async-std `TcpStream`, to a
//! handler.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use ginkgo_core::net::{BoundAddress, ServerLimits, listen, serve_connections};
use ginkgo_core::{BoxError, Context, Readiness, Service, TaskResult, async_trait};

use crate::Runtime;

type Handler<R> =
    Arc<dyn Fn(<R as Runtime>::Stream, SocketAddr, Context) -> BoxFuture<'static, TaskResult> + Send + Sync>;

/// A TCP server on the sockets of runtime `R` ([`Smol`](crate::Smol) or
/// [`AsyncStd`](crate::AsyncStd)): listens on an address and runs `handler(stream, peer, ctx)`
/// for each connection, as a task of this service.
///
/// * **Start** binds the address: a port in use fails the start with a
///   [`ListenError`](crate::ListenError) naming the address, and the tree's start is rolled
///   back. Port 0 picks a free port; [`local_addr`](StreamServer::local_addr) tells which.
/// * **Connections**: each handler is a task of this service; `ctx` is this service's context,
///   whose [`sleep`](Context::sleep), [`stopping`](Context::stopping) and
///   [`until_stopping`](Context::until_stopping) tell the handler when to finish. A handler
///   that fails or panics closes its connection and is logged with the service's path; the
///   server keeps serving. The gauge `connections` counts open connections.
/// * **Stop** closes the listener at once, tells the handlers to finish, and after
///   [`stop_timeout`](StreamServer::with_stop_timeout) cancels the ones still running, which
///   closes their connections.
///
/// ```
/// use std::time::Duration;
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use ginkgo_asyncstd::{Smol, SmolManager, StreamServer};
/// use ginkgo_core::ServiceHandle;
///
/// let hello = StreamServer::<Smol>::new("127.0.0.1:0", |mut stream: smol::net::TcpStream, _peer, ctx| async move {
///     loop {
///         stream.write_all(b"Hello World\n").await?;
///         ctx.sleep(Duration::from_secs(1)).await?;
///     }
/// });
/// let server = ServiceHandle::new(hello).with_manager(SmolManager::new());
/// ginkgo_asyncstd::block_on_smol(async {
///     server.start().await?;
///     let address = server.service().local_addr().expect("listening");
///     let mut client = smol::net::TcpStream::connect(address).await?;
///     let mut line = [0; 12];
///     client.read_exact(&mut line).await?;
///     assert_eq!(&line, b"Hello World\n");
///     server.stop().await?;
///     Ok::<_, Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StreamServer<R: Runtime> {
    address: String,
    handler: Handler<R>,
    bound: BoundAddress,
    stop_timeout: Duration,
    limits: ServerLimits,
}

impl<R: Runtime> StreamServer<R> {
    /// A server for `address` (`host:port` text, or a `SocketAddr`), running `handler` for
    /// every connection.
    pub fn new<F, Fut>(address: impl ToString, handler: F) -> Self
    where
        F: Fn(R::Stream, SocketAddr, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        let handler: Handler<R> = Arc::new(move |stream, peer, ctx| Box::pin(handler(stream, peer, ctx)));
        StreamServer {
            address: address.to_string(),
            handler,
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
impl<R: Runtime> Service for StreamServer<R> {
    fn stop_timeout(&self) -> Duration {
        self.stop_timeout
    }

    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        let (handler, cap) = (self.handler.clone(), self.limits.max_connections(ctx.config()));
        let serve = move |ctx, listener| serve_connections(ctx, listener, R::accept, cap, handler);
        listen(ctx, &self.address, &self.bound, bind::<R>, serve).await?;
        Ok(Readiness::Ready)
    }
}

/// Listens on `address`; the listener and the address it is bound to.
async fn bind<R: Runtime>(address: String) -> io::Result<(R::Listener, SocketAddr)> {
    let listener = R::bind(address).await?;
    let local = R::local_addr(&listener)?;
    Ok((listener, local))
}
