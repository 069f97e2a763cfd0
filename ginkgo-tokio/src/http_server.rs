//! `HttpServer`: any tower service, served over HTTP/1.1 and HTTP/2 by hyper.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ginkgo_core::net::backend::{
    ConnectionSlots, IdleLimits, Listen, Transport, accept_until_stopping, spawn_connection,
};
use ginkgo_core::net::{PeerAddr, ServerLimits, SocketMode};
use ginkgo_core::{BoxError, Context, Readiness, Service, async_trait};
use http::{Request, Response};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper_util::rt::TokioTimer;
use hyper_util::server::conn::auto::Builder;
use tower::ServiceExt;
use tower::util::BoxCloneService;

use crate::Tokio;
use crate::http_connection::{Served, serve_connection};
use crate::task_executor::TaskExecutor;

pub(crate) type ResponseBody = UnsyncBoxBody<Bytes, Failure>;
pub(crate) type BoxedService = BoxCloneService<Request<Incoming>, Response<ResponseBody>, Failure>;

/// An HTTP server: serves any tower service (an axum `Router`, a `tower::service_fn`, …) on an
/// address, HTTP/1.1 and HTTP/2 (told apart on each connection), each connection a task of this
/// service.
///
/// * **Start** binds the address, `host:port` or `unix:/path` (whose socket file is made as
///   [`StreamServer`](crate::StreamServer)'s is): one in use fails the start with a
///   [`ListenError`](crate::ListenError) naming it. Port 0 picks a free port;
///   [`local_addr`](HttpServer::local_addr) tells which.
/// * **Stop** closes the listener at once and shuts every connection down gracefully: requests
///   in flight are answered, idle keep-alive connections are closed, HTTP/2 clients are told to
///   go away. Whatever is still running after [`stop_timeout`](HttpServer::with_stop_timeout)
///   (a streaming body, server-sent events, a slow handler) is cancelled and its connection
///   cut, so a stop never takes longer than that.
/// * **Failures**: a connection whose handling panics is closed and logged with the service's
///   path; the server keeps serving. The gauge `connections` counts open connections.
/// * **Limits**, each a setting read at start unless a builder method sets it:
///   - at most [`max_connections`](HttpServer::with_max_connections) connections at once
///     (`net.max_connections`, derived from the limit on open files); at the cap the server
///     stops accepting and new clients wait in the listen backlog until a connection closes;
///   - a connection with no request in progress is closed after
///     [`idle_timeout`](HttpServer::with_idle_timeout) (`http.idle_timeout`, 75 s): one that
///     never sends a request, a kept-alive one waiting for its next, an HTTP/2 one with no
///     stream open;
///   - a request's headers must arrive within
///     [`header_read_timeout`](HttpServer::with_header_read_timeout) of their first byte
///     (`http.header_read_timeout`, 10 s), or the connection is closed: a client sending them a
///     byte at a time does not hold it longer;
///   - an HTTP/2 connection carries at most
///     [`max_concurrent_streams`](HttpServer::with_max_concurrent_streams) requests at once
///     (`http.max_concurrent_streams`, 100), and is pinged every `idle_timeout`: a peer that
///     does not answer within 20 s is cut;
///   - when `accept` fails (out of file descriptors, say) the server pauses, logs it at most
///     every 10 s, keeps serving the connections it has, and accepts again once it can.
///
///   A request in progress has no deadline from these: a slow handler or a long response is
///   the application's to bound.
///
/// Connection upgrades (WebSocket) are not offered. Runs on the tokio backend only (its start
/// fails with [`WrongBackend`](ginkgo_core::net::backend::WrongBackend) elsewhere).
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
    listen: Listen,
    // A mutex only to make the server `Sync`: each connection clones the service once.
    service: Mutex<BoxedService>,
    stop_timeout: Duration,
    limits: ServerLimits,
}

impl HttpServer {
    /// A server for `address` (`host:port` text, a `SocketAddr`, or `unix:/path`), answering
    /// every request with `service`.
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
            listen: Listen::new(address),
            service: Mutex::new(BoxCloneService::new(service)),
            stop_timeout: Duration::from_secs(1),
            limits: ServerLimits::default(),
        }
    }

    /// Sets how long connections get to finish at stop before they are cut (default 1 s).
    pub fn with_stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Caps the connections open at once at `cap` (at least 1); by default the setting
    /// `net.max_connections`.
    pub fn with_max_connections(mut self, cap: usize) -> Self {
        self.limits = self.limits.with_max_connections(cap);
        self
    }

    /// Sets how long a connection may wait for its next request; by default the setting
    /// `http.idle_timeout` (75 s).
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits = self.limits.with_idle_timeout(timeout);
        self
    }

    /// Sets how long a client has to send a request's headers, from their first byte; by
    /// default the setting `http.header_read_timeout` (10 s).
    pub fn with_header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits = self.limits.with_header_read_timeout(timeout);
        self
    }

    /// Sets how many requests one HTTP/2 connection may have in progress at once (at least 1);
    /// by default the setting `http.max_concurrent_streams` (100).
    pub fn with_max_concurrent_streams(mut self, streams: u32) -> Self {
        self.limits = self.limits.with_max_concurrent_streams(streams);
        self
    }

    /// Sets the permissions of a Unix socket's file; by default the setting
    /// `net.unix_socket_mode` (0660).
    pub fn with_unix_socket_mode(mut self, mode: u32) -> Self {
        self.listen.unix_mode = Some(SocketMode::new(mode));
        self
    }

    /// The address the server was given.
    pub fn address(&self) -> &str {
        &self.listen.address
    }

    /// The IP address and port the server listens on, while it listens on TCP: with port 0,
    /// the port it was given.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listen.bound.tcp()
    }

    /// The path of the socket the server listens on, while it listens on a Unix socket.
    pub fn local_path(&self) -> Option<PathBuf> {
        self.listen.bound.unix_path()
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
        Tokio.check_backend(ctx, "HttpServer")?;
        let service = self.service();
        let config = ctx.config();
        let cap = self.limits.max_connections(config);
        let idle = IdleLimits {
            idle_timeout: self.limits.idle_timeout(config),
            header_read_timeout: self.limits.header_read_timeout(config),
        };
        let streams = self.limits.max_concurrent_streams(config);
        let serve = move |ctx: Context, listener| async move {
            let mut builder = Builder::new(TaskExecutor::new(ctx.clone()));
            // The header read timeout is `RequestActivity`'s: hyper's would also run while a
            // kept-alive connection waits for its next request, which is the idle timeout's job.
            builder.http1().timer(TokioTimer::new()).header_read_timeout(None);
            builder
                .http2()
                .timer(TokioTimer::new())
                .max_concurrent_streams(streams)
                .keep_alive_interval(idle.idle_timeout);
            let served = Arc::new(Served { builder, idle });
            let slots = ConnectionSlots::new(cap, ctx.gauge("connections"));
            let owner = ctx.clone();
            // `move`: the closure owns the service, which is `Send` but not `Sync`.
            accept_until_stopping(&ctx, &Tokio, listener, &slots, move |stream, peer, open| {
                let (served, service) = (served.clone(), service.clone());
                let what = HttpConnectionFrom(peer.clone());
                spawn_connection(&owner, open, what, move |ctx| async move {
                    serve_connection(&ctx, &served, stream, service, &peer).await
                });
            })
            .await;
            Ok(())
        };
        self.listen.start(ctx, &Arc::new(Tokio), serve).await?;
        Ok(Readiness::Ready)
    }
}

/// Names an HTTP connection in log lines: `HTTP connection from 10.0.0.7:50123`.
struct HttpConnectionFrom(PeerAddr);

impl std::fmt::Display for HttpConnectionFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP connection from {}", self.0)
    }
}

/// A failure of the service or of a response body, as hyper sees it. A type of our own rather
/// than `BoxError`, whose `'static` trait-object bound defeats the compiler's proof that the
/// connection's future is `Send`.
#[derive(Debug)]
pub(crate) struct Failure(BoxError);

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
