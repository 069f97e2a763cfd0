//! `StreamServer`: a server handing each connection to a handler, over any transport.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::connection::{Handler, handler};
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

#[async_trait]
impl<T: Transport> Service for StreamServer<T> {
    fn stop_timeout(&self) -> Duration {
        self.stop_timeout
    }

    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        self.transport.check_backend(ctx, "StreamServer")?;
        let (transport, handler) = (self.transport.clone(), self.handler.clone());
        let cap = self.limits.max_connections(ctx.config());
        let serve = move |ctx, listener| serve_connections(ctx, transport, listener, cap, handler);
        self.listen.start(ctx, &self.transport, serve).await?;
        Ok(Readiness::Ready)
    }
}

/// What a stream server does with its listener: accepts connections until the service begins
/// to stop, at most `cap` open at once ([`accept_until_stopping`]), and runs `handler` on each,
/// once its handshake is done, as a task of the service counted in its gauge `connections`
/// ([`spawn_connection`]). A connection whose handshake fails is closed and logged at debug
/// level.
async fn serve_connections<T: Transport>(
    ctx: Context,
    transport: Arc<T>,
    listener: T::Listener,
    cap: usize,
    handler: Handler<T::Stream>,
) -> TaskResult {
    let slots = ConnectionSlots::new(cap, ctx.gauge("connections"));
    let path = ctx.path();
    accept_until_stopping(&ctx, transport.as_ref(), listener, &slots, |accepted, peer, open| {
        log::debug!("{path}: connection from {peer}");
        let (handler, what) = (handler.clone(), ConnectionFrom(peer.clone()));
        match transport.handshake(accepted) {
            Handshake::Done(stream) => {
                spawn_connection(&ctx, open, what, move |ctx| handler(Connection::new(stream, peer), ctx));
            }
            Handshake::Pending(handshaking) => spawn_connection(&ctx, open, what, move |ctx| async move {
                let stream = match handshaking.await {
                    Ok(stream) => stream,
                    Err(err) => {
                        // A client that cannot or will not shake hands (a scanner, a wrong
                        // protocol): its connection is closed, and nothing failed here.
                        log::debug!("{}: connection from {peer}: handshake failed: {err}", ctx.path());
                        return Ok(());
                    }
                };
                handler(Connection::new(stream, peer), ctx).await
            }),
        }
    })
    .await;
    Ok(())
}
