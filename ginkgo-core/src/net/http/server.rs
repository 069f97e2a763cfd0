//! `HttpServer`: any tower service, served over HTTP/1.1 and HTTP/2 by hyper, over any
//! transport hyper has glue for.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper_util::server::conn::auto::Builder;
use tower::ServiceExt;
use tower::util::BoxCloneService;

use super::super::backend::{ConnectionSlots, Handshake, IdleLimits, Listen, accept_until_stopping, spawn_connection};
use super::super::deadline::handshake_within;
use super::super::{PeerAddr, ServerLimits, SocketMode};
use super::HttpTransport;
use super::connection::{Served, serve_connection};
use super::executor::TaskExecutor;
use super::timer::ManagerTimer;
use crate::{BoxError, Context, Readiness, Service, TaskResult, async_trait};

pub(super) type ResponseBody = UnsyncBoxBody<Bytes, Failure>;
pub(super) type BoxedService = BoxCloneService<Request<Incoming>, Response<ResponseBody>, Failure>;

/// An HTTP server: serves any tower service (an axum `Router`, a `tower::service_fn`, …) on an
/// address, HTTP/1.1 and HTTP/2 (told apart on each connection), each connection a task of this
/// service. One implementation for every runtime, over the sockets of an [`HttpTransport`]
/// `T`: `ginkgo::http::HttpServer` follows whichever backend runs the tree (tokio, smol or
/// async-std), and the backend crates name their own (`ginkgo_tokio::HttpServer`,
/// `ginkgo_asyncstd::HttpServer`). The examples are on those.
///
/// * **Start** binds the address, `host:port` or `unix:/path` (whose socket file is made as a
///   [`StreamServer`](super::super::StreamServer)'s is): one in use fails the start with a
///   [`ListenError`](super::super::ListenError) naming it. Port 0 picks a free port;
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
/// * **Handshakes**: over a transport that talks before a connection is ready (TLS), the
///   handshake runs in the connection's own task, holding its slot, and must be done within
///   [`handshake_timeout`](HttpServer::with_handshake_timeout) (`net.tls_handshake_timeout`,
///   10 s); one that fails or runs out of time closes the connection with a debug line and
///   counts in the gauge `handshakes_failed`.
/// * **TLS** (feature `tls`): [`with_tls`](HttpServer::with_tls) or
///   [`with_tls_settings`](HttpServer::with_tls_settings) give a server over a transport that
///   can speak it (`ginkgo::http`'s, or a backend's TLS transport) its certificate, offering
///   HTTP/2 and HTTP/1.1 by ALPN; read when it starts (a bad one fails the start, naming the
///   file) and again at each reload, as `StreamServer`'s.
///
/// HTTP/2 is offered in clear text by prior knowledge (h2c) as well as HTTP/1.1; connection
/// upgrades (WebSocket) are not offered. hyper's HTTP/2 streams run as tasks of this service
/// and its pings sleep with its manager's timers: the server needs nothing of a runtime but
/// the transport's sockets.
pub struct HttpServer<T: HttpTransport> {
    transport: Arc<T>,
    listen: Listen,
    // A mutex only to make the server `Sync`: each connection clones the service once.
    service: Mutex<BoxedService>,
    stop_timeout: Duration,
    limits: ServerLimits,
}

impl<T: HttpTransport + Default> HttpServer<T> {
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
        Self::with_transport(T::default(), address, service)
    }
}

impl<T: HttpTransport> HttpServer<T> {
    /// A server for `address` over `transport`, a transport value of its own (one that holds a
    /// configuration, such as TLS's certificates), answering every request with `service`.
    pub fn with_transport<S, B>(transport: T, address: impl ToString, service: S) -> Self
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
            transport: Arc::new(transport),
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

    /// Sets how long a client has to finish its handshake (TLS's) once connected; by default the
    /// setting `net.tls_handshake_timeout` (10 s).
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.limits = self.limits.with_handshake_timeout(timeout);
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

#[cfg(feature = "tls")]
impl<T: HttpTransport + crate::tls::WithTls> HttpServer<T> {
    /// Serves HTTPS with the certificate chain and private key in `files`, offering HTTP/2 and
    /// HTTP/1.1 by ALPN: read when the server starts (a file that cannot be used fails the start,
    /// naming it) and again at each reload (new connections get the new certificate, open ones
    /// keep theirs; a reload that cannot use the new files keeps the old certificate and fails).
    pub fn with_tls(self, files: crate::tls::TlsFiles) -> Self {
        self.with_tls_layer(crate::tls::TlsLayer::server(files, crate::tls::Alpn::Http))
    }

    /// Serves HTTPS with the certificate in the files the settings `cert` and `key` name, read
    /// as [`with_tls`](HttpServer::with_tls) says; when neither is set as the server starts, it
    /// serves plain HTTP (over a transport that speaks TLS only, the start fails).
    pub fn with_tls_settings(
        self,
        cert: &'static crate::Setting<Option<PathBuf>>,
        key: &'static crate::Setting<Option<PathBuf>>,
    ) -> Self {
        self.with_tls_layer(crate::tls::TlsLayer::server_from_settings(cert, key, crate::tls::Alpn::Http))
    }

    fn with_tls_layer(mut self, layer: crate::tls::TlsLayer) -> Self {
        Arc::make_mut(&mut self.transport).set_tls(layer);
        self
    }
}

#[async_trait]
impl<T: HttpTransport> Service for HttpServer<T> {
    fn stop_timeout(&self) -> Duration {
        self.stop_timeout
    }

    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        self.transport.check_http_backend(ctx)?;
        self.transport.prepare(ctx)?;
        let config = ctx.config();
        let cap = self.limits.max_connections(config);
        let handshake_timeout = self.limits.handshake_timeout(config);
        let idle = IdleLimits {
            idle_timeout: self.limits.idle_timeout(config),
            header_read_timeout: self.limits.header_read_timeout(config),
        };
        let streams = self.limits.max_concurrent_streams(config);
        let (transport, service) = (self.transport.clone(), self.service());
        let serve = move |ctx: Context, listener| async move {
            let Some(manager) = ctx.async_manager().cloned() else { return Ok(()) };
            let mut builder = Builder::new(TaskExecutor::new(ctx.clone()));
            // The header read timeout is `RequestActivity`'s: hyper's would also run while a
            // kept-alive connection waits for its next request, which is the idle timeout's job.
            builder.http1().header_read_timeout(None);
            builder
                .http2()
                .timer(ManagerTimer::new(manager))
                .max_concurrent_streams(streams)
                .keep_alive_interval(idle.idle_timeout);
            let served = Arc::new(Served { builder, idle });
            serve_connections(ctx, transport, listener, cap, handshake_timeout, served, service).await
        };
        self.listen.start(ctx, &self.transport, serve).await?;
        Ok(Readiness::Ready)
    }

    async fn do_reload(&self, ctx: &Context) -> Result<(), BoxError> {
        self.transport.reload(ctx)
    }
}

/// What an HTTP server does with its listener: accepts connections until the service begins
/// to stop, at most `cap` open at once, and serves each with hyper, once its handshake is done,
/// as a task of the service counted in its gauge `connections`. A handshake that fails, or is
/// not done within `handshake_timeout`, closes its connection and counts in the gauge
/// `handshakes_failed`.
async fn serve_connections<T: HttpTransport>(
    ctx: Context,
    transport: Arc<T>,
    listener: T::Listener,
    cap: usize,
    handshake_timeout: Duration,
    served: Arc<Served>,
    service: BoxedService,
) -> TaskResult {
    let Some(manager) = ctx.async_manager().cloned() else { return Ok(()) };
    let slots = ConnectionSlots::new(cap, ctx.gauge("connections"));
    let (owner, handshakes) = (ctx.clone(), transport.clone());
    // `move`: the closure owns the service, which is `Send` but not `Sync`.
    accept_until_stopping(&ctx, transport.as_ref(), listener, &slots, move |accepted, peer, open| {
        let (served, service) = (served.clone(), service.clone());
        let what = HttpConnectionFrom(peer.clone());
        let ctx = &owner;
        match handshakes.handshake(accepted, handshake_timeout) {
            Handshake::Done(stream) => spawn_connection(ctx, open, what, move |ctx| async move {
                serve_connection(&ctx, &served, T::http_io(stream), service, &peer).await
            }),
            Handshake::Pending(handshaking) => {
                let manager = manager.clone();
                spawn_connection(ctx, open, what, move |ctx| async move {
                    let from = HttpConnectionFrom(peer.clone());
                    let handshake = handshake_within(&ctx, manager.as_ref(), handshake_timeout, from, handshaking);
                    let Some(stream) = handshake.await? else { return Ok(()) };
                    serve_connection(&ctx, &served, T::http_io(stream), service, &peer).await
                })
            }
        }
    })
    .await;
    Ok(())
}

/// Names an HTTP connection in log lines: `HTTP connection from 10.0.0.7:50123`.
struct HttpConnectionFrom(PeerAddr);

impl fmt::Display for HttpConnectionFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP connection from {}", self.0)
    }
}

/// A failure of the service or of a response body, as hyper sees it. A type of our own rather
/// than `BoxError`, whose `'static` trait-object bound defeats the compiler's proof that the
/// connection's future is `Send`.
#[derive(Debug)]
pub(super) struct Failure(BoxError);

impl Failure {
    fn new(err: impl Into<BoxError>) -> Self {
        Failure(err.into())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}
