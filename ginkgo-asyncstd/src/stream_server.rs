//! `StreamServer`: a TCP server handing each connection, a smol or async-std `TcpStream`, to a
//! handler.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::future::BoxFuture;
use ginkgo_core::{BoxError, Context, Readiness, Service, TaskResult, async_trait};

use crate::supervise::{Open, run_handler};
use crate::{ListenError, Runtime};

/// How long to pause after a failed `accept` (out of file descriptors, say) before trying again.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

type Handler<R> =
    Arc<dyn Fn(<R as Runtime>::Stream, SocketAddr, Context) -> BoxFuture<'static, TaskResult> + Send + Sync>;

/// A TCP server on the sockets of runtime `R` ([`Smol`](crate::Smol) or
/// [`AsyncStd`](crate::AsyncStd)): listens on an address and runs `handler(stream, peer, ctx)`
/// for each connection, as a task of this service.
///
/// * **Start** binds the address: a port in use fails the start with a [`ListenError`] naming
///   the address, and the tree's start is rolled back. Port 0 picks a free port;
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
    bound: Arc<Mutex<Option<SocketAddr>>>,
    stop_timeout: Duration,
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
            bound: Arc::default(),
            stop_timeout: Duration::from_secs(1),
        }
    }

    /// Sets how long handlers get to finish at stop before they are cancelled (default 1 s).
    pub fn with_stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// The address the server was given.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The address the server listens on, while it does: with port 0, the port it was given.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        *lock(&self.bound)
    }
}

#[async_trait]
impl<R: Runtime> Service for StreamServer<R> {
    fn stop_timeout(&self) -> Duration {
        self.stop_timeout
    }

    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        let listen_error = |err| ListenError::new(self.address.as_str(), err);
        let listener = R::bind(self.address.clone()).await.map_err(listen_error)?;
        let local = R::local_addr(&listener).map_err(listen_error)?;
        *lock(&self.bound) = Some(local);
        let (handler, bound) = (self.handler.clone(), self.bound.clone());
        let _task = ctx.spawn(move |ctx| async move {
            accept_until_stopping::<R>(&ctx, listener, local, handler).await;
            *lock(&bound) = None;
            Ok(())
        });
        Ok(Readiness::Ready)
    }
}

/// Accepts connections, running the handler on each, until the service begins to stop; then
/// closes the listener at once.
async fn accept_until_stopping<R: Runtime>(
    ctx: &Context,
    listener: R::Listener,
    local: SocketAddr,
    handler: Handler<R>,
) {
    let path = ctx.path();
    let connections = ctx.gauge("connections");
    log::info!("{path}: listening on {local}");
    loop {
        match ctx.until_stopping(R::accept(&listener)).await {
            Err(_stopping) => break,
            Ok(Ok((stream, peer))) => {
                log::debug!("{path}: connection from {peer}");
                let open = Open::new(vec![connections.clone()]);
                let (handler, path) = (handler.clone(), path.clone());
                let _task = ctx.spawn(move |ctx| async move {
                    let _open = open;
                    let handled = async move { handler(stream, peer, ctx).await };
                    run_handler(&path, &format!("connection from {peer}"), handled).await;
                    Ok(())
                });
            }
            Ok(Err(err)) => {
                log::warn!("{path}: accepting a connection failed: {err}");
                if ctx.sleep(ACCEPT_PAUSE).await.is_err() {
                    break;
                }
            }
        }
    }
    drop(listener);
    log::info!("{path}: stopped listening");
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
