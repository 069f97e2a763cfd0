//! `HttpServer`: any tower service, served over HTTP/1.1 and HTTP/2 by hyper.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::future::{Either, select};
use ginkgo_core::net::{BoundAddress, accept_until_stopping, listen, spawn_connection};
use ginkgo_core::{BoxError, Context, Readiness, Service, TaskResult, async_trait};
use http::{Request, Response};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpStream;
use tower::ServiceExt;
use tower::util::BoxCloneService;

use crate::error::require_tokio;
use crate::task_executor::TaskExecutor;
use crate::tcp;

type ResponseBody = UnsyncBoxBody<Bytes, Failure>;
type BoxedService = BoxCloneService<Request<Incoming>, Response<ResponseBody>, Failure>;

/// An HTTP server: serves any tower service (an axum `Router`, a `tower::service_fn`, …) on an
/// address, HTTP/1.1 and HTTP/2 (told apart on each connection), each connection a task of this
/// service.
///
/// * **Start** binds the address: a port in use fails the start with a
///   [`ListenError`](crate::ListenError) naming the address. Port 0 picks a free port;
///   [`local_addr`](HttpServer::local_addr) tells which.
/// * **Stop** closes the listener at once and shuts every connection down gracefully: requests
///   in flight are answered, idle keep-alive connections are closed, HTTP/2 clients are told to
///   go away. Whatever is still running after [`stop_timeout`](HttpServer::with_stop_timeout)
///   (a streaming body, server-sent events, a slow handler) is cancelled and its connection
///   cut, so a stop never takes longer than that.
/// * **Failures**: a connection whose handling panics is closed and logged with the service's
///   path; the server keeps serving. The gauge `connections` counts open connections.
///
/// Connection upgrades (WebSocket) are not offered. Runs on the tokio backend only (its start
/// fails with [`NeedsTokio`](crate::NeedsTokio) elsewhere).
///
/// ```
/// use std::convert::Infallible;
/// use ginkgo_core::ServiceHandle;
/// use ginkgo_tokio::{HttpServer, TokioManager};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// let hello = tower::service_fn(|_request: http::Request<hyper::body::Incoming>| async {
///     Ok::<_, Infallible>(http::Response::new("Hello World!".to_string()))
/// });
/// let server = ServiceHandle::new(HttpServer::new("127.0.0.1:0", hello)).with_manager(TokioManager::new());
/// ginkgo_tokio::block_on(async {
///     server.start().await?;
///     let mut client = tokio::net::TcpStream::connect(server.service().local_addr().unwrap()).await?;
///     client.write_all(b"GET / HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n").await?;
///     let mut response = String::new();
///     client.read_to_string(&mut response).await?;
///     assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
///     assert!(response.ends_with("\r\n\r\nHello World!"));
///     server.stop().await?;
///     Ok::<_, Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct HttpServer {
    address: String,
    // A mutex only to make the server `Sync`: each connection clones the service once.
    service: Mutex<BoxedService>,
    bound: BoundAddress,
    stop_timeout: Duration,
}

impl HttpServer {
    /// A server for `address` (`host:port` text, or a `SocketAddr`), answering every request
    /// with `service`.
    pub fn new<S, B>(address: impl ToString, service: S) -> Self
    where
        S: tower::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let service = service
            .map_response(|response: Response<B>| response.map(|body| body.map_err(Failure::new).boxed_unsync()))
            .map_err(Failure::new);
        HttpServer {
            address: address.to_string(),
            service: Mutex::new(BoxCloneService::new(service)),
            bound: BoundAddress::default(),
            stop_timeout: Duration::from_secs(1),
        }
    }

    /// Sets how long connections get to finish at stop before they are cut (default 1 s).
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
        self.bound.get()
    }

    fn service(&self) -> BoxedService {
        self.service.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

#[async_trait]
impl Service for HttpServer {
    fn stop_timeout(&self) -> Duration {
        self.stop_timeout
    }

    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        require_tokio(ctx, "HttpServer")?;
        let service = self.service();
        let serve = move |ctx: Context, listener| async move {
            let mut builder = Builder::new(TaskExecutor::new(ctx.clone()));
            builder.http1().timer(TokioTimer::new());
            builder.http2().timer(TokioTimer::new());
            let builder = Arc::new(builder);
            let connections = ctx.gauge("connections");
            let owner = ctx.clone();
            // `move`: the closure owns the service, which is `Send` but not `Sync`.
            accept_until_stopping(&ctx, listener, tcp::accept, move |stream, peer| {
                let (builder, service) = (builder.clone(), service.clone());
                let what = format!("HTTP connection from {peer}");
                spawn_connection(&owner, &connections, what.clone(), move |ctx| async move {
                    serve_connection(&ctx, &builder, stream, service, &what).await
                });
            })
            .await;
            Ok(())
        };
        listen(ctx, &self.address, &self.bound, tcp::bind, serve).await?;
        Ok(Readiness::Ready)
    }
}

/// Serves one connection until it closes; once the service begins to stop, shuts it down
/// gracefully (the task's cancellation at `stop_timeout` cuts what is left).
async fn serve_connection(
    ctx: &Context,
    builder: &Builder<TaskExecutor>,
    stream: TcpStream,
    service: BoxedService,
    what: &str,
) -> TaskResult {
    let service = hyper::service::service_fn(move |request| service.clone().oneshot(request));
    let mut connection = std::pin::pin!(builder.serve_connection(TokioIo::new(stream), service));
    let served = match select(connection.as_mut(), std::pin::pin!(ctx.stopping())).await {
        Either::Left((served, _)) => served,
        Either::Right(((), _)) => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(err) = served {
        // Clients that go away, malformed requests: not the server's failure.
        log::debug!("{}: {what}: {err}", ctx.path());
    }
    Ok(())
}

/// A failure of the service or of a response body, as hyper sees it. A type of our own rather
/// than `BoxError`, whose `'static` trait-object bound defeats the compiler's proof that the
/// connection's future is `Send`.
#[derive(Debug)]
struct Failure(BoxError);

impl Failure {
    fn new(err: impl Into<BoxError>) -> Self {
        Failure(err.into())
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}
