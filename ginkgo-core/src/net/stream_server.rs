//! `StreamServer`: a server handing each connection to a handler, over any transport.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::connection::{Handler, handler};
use super::deadline::handshake_within;
use super::{
    Connection, ConnectionFrom, ConnectionSlots, Handshake, Listen, ServerLimits, SocketMode, Transport,
    accept_until_stopping, spawn_connection,
};
use crate::{BoxError, Context, Readiness, Service, TaskResult, async_trait};

/// A server: listens on an address and runs `handler(connection, ctx)` for each connection, as
/// a task of this service. One implementation for every runtime, over the sockets of a
/// [`Transport`] `T`: `ginkgo::net::StreamServer` follows whichever backend runs the tree, and
/// each backend crate names its own (`ginkgo_tokio::StreamServer`, …), whose connections hold
/// that runtime's stream. The examples are on those.
///
/// * **Addresses**: `host:port` for TCP, `unix:/path/to.sock` for a Unix domain socket.
/// * **Start** listens: an address in use, or one that cannot be listened on, fails the start
///   with a [`ListenError`](super::ListenError) naming it, and the tree's start is rolled back.
///   Port 0 picks a free port; [`local_addr`](StreamServer::local_addr) tells which.
/// * **Unix sockets**: the socket's file is made with the mode of the setting
///   `net.unix_socket_mode` (0660 by default), or of
///   [`with_unix_socket_mode`](StreamServer::with_unix_socket_mode). A socket file already
///   there is replaced only if nothing listens on it (a server that did not stop cleanly left
///   it); a live socket (another server's) fails the start, and so does anything that is not a
///   socket, which is left as it is. The stop removes the file, unless something else has
///   taken its place since.
/// * **Connections**: each handler is a task of this service; `ctx` is this service's context,
///   whose [`sleep`](Context::sleep), [`stopping`](Context::stopping) and
///   [`until_stopping`](Context::until_stopping) tell the handler when to finish. A handler
///   that fails or panics closes its connection and is logged with the service's path and the
///   peer ([`Connection::peer_addr`]); the server keeps serving. The gauge `connections`
///   counts open connections.
/// * **Limits**: at most [`max_connections`](StreamServer::with_max_connections) connections
///   are open at once (by default the setting `net.max_connections`, derived from the limit on
///   open files); at the cap the server stops accepting, and new clients wait in the listen
///   backlog until a connection closes. When `accept` fails (out of file descriptors, say) the
///   server pauses, logs it at most every 10 s, keeps serving the connections it has, and
///   accepts again once it can. How long a connection may stay quiet is the handler's to
///   decide (with [`Context::sleep`] or a timeout around its reads).
/// * **TLS** (feature `tls`): [`with_tls`](StreamServer::with_tls) or
///   [`with_tls_settings`](StreamServer::with_tls_settings) give a server over a transport
///   that can speak it (`ginkgo::net`'s, or a backend's `TlsTransport`) its certificate, read
///   when it starts (a bad one fails the start, naming the file) and again at each reload. A
///   connection's handshake runs in its own task and must be done within
///   [`with_handshake_timeout`](StreamServer::with_handshake_timeout) (by default the setting
///   `net.tls_handshake_timeout`, 10 s); one that fails or runs out of time closes its
///   connection, with a line at debug level, and counts in the gauge `handshakes_failed`.
/// * **Stop** closes the listener at once, tells the handlers to finish, and after
///   [`stop_timeout`](StreamServer::with_stop_timeout) ends the ones still running, closing
///   their connections.
pub struct StreamServer<T: Transport> {
    transport: Arc<T>,
    listen: Listen,
    handler: Handler<T::Stream>,
    stop_timeout: Duration,
    limits: ServerLimits,
}

impl<T: Transport + Default> StreamServer<T> {
    /// A server for `address` (`host:port` text, a `SocketAddr`, or `unix:/path`), running
    /// `handler` for every connection.
    pub fn new<F, Fut>(address: impl ToString, handler: F) -> Self
    where
        F: Fn(Connection<T::Stream>, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        Self::with_transport(T::default(), address, handler)
    }
}

impl<T: Transport> StreamServer<T> {
    /// A server for `address` over `transport`, a transport value of its own (one that holds a
    /// configuration, say), running `handler` for every connection.
    pub fn with_transport<F, Fut>(transport: T, address: impl ToString, handler: F) -> Self
    where
        F: Fn(Connection<T::Stream>, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        StreamServer {
            transport: Arc::new(transport),
            listen: Listen::new(address),
            handler: self::handler(handler),
            stop_timeout: Duration::from_secs(1),
            limits: ServerLimits::default(),
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

    /// Sets how long a client has to finish its handshake (TLS's) once connected; by default the
    /// setting `net.tls_handshake_timeout`, read when the server starts.
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.limits = self.limits.with_handshake_timeout(timeout);
        self
    }

    /// Sets the permissions of a Unix socket's file (`0o600`: its owner only); by default the
    /// setting `net.unix_socket_mode` (0660).
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
}

#[cfg(feature = "tls")]
impl<T: crate::tls::WithTls> StreamServer<T> {
    /// Serves TLS with the certificate chain and private key in `files`, read when the server
    /// starts (a file that cannot be used fails the start, naming it) and again at each reload
    /// (new connections get the new certificate, open ones keep theirs; a reload that cannot
    /// use the new files keeps the old certificate and fails, naming the file).
    pub fn with_tls(self, files: crate::tls::TlsFiles) -> Self {
        self.with_tls_layer(crate::tls::TlsLayer::server(files, crate::tls::Alpn::None))
    }

    /// Serves TLS with the certificate in the files the settings `cert` and `key` name (PEM
    /// paths, relative to the config file's folder), read as [`with_tls`](StreamServer::with_tls)
    /// says; when neither is set as the server starts, it serves plain TCP (then a reload that
    /// sets them waits for a restart). `ginkgo::net`'s server and the backends' `TlsTransport`s
    /// take it; over the latter, which speak TLS only, unset settings fail the start.
    pub fn with_tls_settings(
        self,
        cert: &'static crate::Setting<Option<PathBuf>>,
        key: &'static crate::Setting<Option<PathBuf>>,
    ) -> Self {
        self.with_tls_layer(crate::tls::TlsLayer::server_from_settings(cert, key, crate::tls::Alpn::None))
    }

    fn with_tls_layer(mut self, layer: crate::tls::TlsLayer) -> Self {
        Arc::make_mut(&mut self.transport).set_tls(layer);
        self
    }
}

#[async_trait]
impl<T: Transport> Service for StreamServer<T> {
    fn stop_timeout(&self) -> Duration {
        self.stop_timeout
    }

    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        self.transport.check_backend(ctx, "StreamServer")?;
        self.transport.prepare(ctx)?;
        let (transport, handler) = (self.transport.clone(), self.handler.clone());
        let cap = self.limits.max_connections(ctx.config());
        let handshake_timeout = self.limits.handshake_timeout(ctx.config());
        let serve = move |ctx, listener| serve_connections(ctx, transport, listener, cap, handshake_timeout, handler);
        self.listen.start(ctx, &self.transport, serve).await?;
        Ok(Readiness::Ready)
    }

    async fn do_reload(&self, ctx: &Context) -> Result<(), BoxError> {
        self.transport.reload(ctx)
    }
}

/// What a stream server does with its listener: accepts connections until the service begins
/// to stop, at most `cap` open at once ([`accept_until_stopping`]), and runs `handler` on each,
/// once its handshake is done, as a task of the service counted in its gauge `connections`
/// ([`spawn_connection`]). A connection whose handshake fails, or is not done within
/// `handshake_timeout`, is closed, logged at debug level and counted in the gauge
/// `handshakes_failed`.
async fn serve_connections<T: Transport>(
    ctx: Context,
    transport: Arc<T>,
    listener: T::Listener,
    cap: usize,
    handshake_timeout: Duration,
    handler: Handler<T::Stream>,
) -> TaskResult {
    let Some(manager) = ctx.async_manager().cloned() else { return Ok(()) };
    let slots = ConnectionSlots::new(cap, ctx.gauge("connections"));
    let path = ctx.path();
    accept_until_stopping(&ctx, transport.as_ref(), listener, &slots, |accepted, peer, open| {
        log::debug!("{path}: connection from {peer}");
        let (handler, what) = (handler.clone(), ConnectionFrom(peer.clone()));
        match transport.handshake(accepted, handshake_timeout) {
            Handshake::Done(stream) => {
                spawn_connection(&ctx, open, what, move |ctx| handler(Connection::new(stream, peer), ctx));
            }
            Handshake::Pending(handshaking) => {
                let manager = manager.clone();
                spawn_connection(&ctx, open, what, move |ctx| async move {
                    let from = ConnectionFrom(peer.clone());
                    let handshake = handshake_within(&ctx, manager.as_ref(), handshake_timeout, from, handshaking);
                    let Some(stream) = handshake.await? else { return Ok(()) };
                    handler(Connection::new(stream, peer), ctx).await
                })
            }
        }
    })
    .await;
    Ok(())
}
