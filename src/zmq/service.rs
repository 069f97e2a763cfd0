//! `ZmqService`: a service owning a ZeroMQ socket, bound or connected, and the handler that
//! uses it.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::future::BoxFuture;
use ginkgo_core::{Backoff, BoxError, Context, Readiness, Service, TaskResult, async_trait};
use zeromq::{Socket, ZmqError};

use super::ZmqSocket;

/// What a service runs on its socket: `handler(socket, ctx)`, its future boxed.
type Handler<S> = Arc<dyn Fn(ZmqSocket<S>, Context) -> BoxFuture<'static, TaskResult> + Send + Sync>;

/// Whether the service binds its endpoint or connects to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Bind,
    Connect,
}

/// A service that owns one ZeroMQ socket of type `S` (a [`RepSocket`](super::RepSocket),
/// [`ReqSocket`](super::ReqSocket), [`PubSocket`](super::PubSocket),
/// [`SubSocket`](super::SubSocket), [`PushSocket`](super::PushSocket) or
/// [`PullSocket`](super::PullSocket)), bound to an endpoint ([`bind`](ZmqService::bind)) or
/// connected to one ([`connect`](ZmqService::connect)), and runs `handler(socket, ctx)` on it
/// as its task, the way a `StreamClient` runs its handler on its connection.
///
/// * **Endpoints** are ZeroMQ's: `tcp://host:port` (port `0` or `*` for a free port when
///   binding) or `ipc:///path/to/socket`.
/// * **Start**: a bound service binds, and an endpoint that cannot be bound fails the start,
///   naming it; [`endpoint`](ZmqService::endpoint) then tells where it is bound (the port
///   picked). A connecting service checks its endpoint (one that is not ZeroMQ's fails the
///   start, naming it), and is then ready at once, as a ZeroMQ connect is: it connects in
///   its task, waiting for its peer for as long as it takes, and runs the handler once
///   connected. The gauge `connected` is 1 while its socket is connected.
/// * **A lost peer**: the handler's `send` and `recv` fail with a [`ZmqError`] when the
///   socket has no peer to talk to (a REQ whose REP went away, a PUSH with no PULL). A handler
///   that ends with a `ZmqError` has lost its peer, not failed: a connecting service closes
///   the socket, pauses ([`with_backoff`](ZmqService::with_backoff)), connects a new one and
///   runs the handler again; a bound one runs the handler again on the same socket, where the
///   next peer will come. A SUB socket also reconnects by itself (`zeromq` does so for SUB);
///   a connected PULL socket gets no error when its peer leaves, only silence, and waits.
/// * **Failures**: a handler that fails with any other error, or panics, fails the service,
///   and the failure goes up the tree under the service's restart policy.
/// * **A handler that returns** `Ok` is done with the socket: it is closed, and the service
///   stays up, with nothing more to do, until it stops.
/// * **Stop** ends the handler at its next await, closes the socket (a bound endpoint is
///   free again when the stop returns) and ends the service's task.
///
/// ZeroMQ's sockets run on `zeromq`'s own runtime (async-std's threads), so the service works
/// under every backend. Build with the `zmq` feature.
pub struct ZmqService<S> {
    side: Side,
    endpoint: String,
    handler: Handler<S>,
    backoff: Backoff,
    bound: Arc<Mutex<Option<String>>>,
}

impl<S: Socket + 'static> ZmqService<S> {
    /// A service binding a socket to `endpoint` and running `handler` on it.
    pub fn bind<F, Fut>(endpoint: impl ToString, handler: F) -> Self
    where
        F: Fn(ZmqSocket<S>, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        Self::new(Side::Bind, endpoint.to_string(), handler)
    }

    /// A service connecting a socket to `endpoint` and running `handler` on it; it connects
    /// again whenever the socket loses its peer.
    pub fn connect<F, Fut>(endpoint: impl ToString, handler: F) -> Self
    where
        F: Fn(ZmqSocket<S>, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        Self::new(Side::Connect, endpoint.to_string(), handler)
    }

    fn new<F, Fut>(side: Side, endpoint: String, handler: F) -> Self
    where
        F: Fn(ZmqSocket<S>, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        ZmqService {
            side,
            endpoint,
            handler: Arc::new(move |socket, ctx| Box::pin(handler(socket, ctx))),
            backoff: Backoff::default(),
            bound: Arc::default(),
        }
    }

    /// Sets the pauses between two attempts after a lost peer (their growth; no jitter).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The endpoint the service was given.
    pub fn address(&self) -> &str {
        &self.endpoint
    }

    /// Where the socket is bound, while a bound service runs: the endpoint with the port the
    /// system picked (`tcp://127.0.0.1:40123`). `None` for a connecting service.
    pub fn endpoint(&self) -> Option<String> {
        lock(&self.bound).clone()
    }
}

#[async_trait]
impl<S: Socket + 'static> Service for ZmqService<S> {
    fn stop_timeout(&self) -> Duration {
        Duration::from_secs(1)
    }

    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        let run = Run {
            kind: kind::<S>(),
            endpoint: self.endpoint.clone(),
            handler: self.handler.clone(),
            backoff: self.backoff.clone(),
        };
        match self.side {
            Side::Bind => {
                let mut socket = S::new();
                let bound = socket
                    .bind(&self.endpoint)
                    .await
                    .map_err(|err| format!("cannot bind a ZeroMQ {} socket to {}: {err}", run.kind, self.endpoint))?;
                log::info!("{}: ZeroMQ {} socket bound to {bound}", ctx.path(), run.kind);
                *lock(&self.bound) = Some(bound.to_string());
                let bound = self.bound.clone();
                ctx.spawn(move |ctx| async move {
                    let served = run.serve_bound(&ctx, ZmqSocket::new(socket)).await;
                    *lock(&bound) = None;
                    served
                });
            }
            Side::Connect => {
                if let Err(err) = self.endpoint.parse::<zeromq::Endpoint>() {
                    return Err(
                        format!("cannot connect a ZeroMQ {} socket to {}: {err}", run.kind, self.endpoint).into()
                    );
                }
                ctx.spawn(move |ctx| async move { run.keep_connected(&ctx).await });
            }
        }
        Ok(Readiness::Ready)
    }
}

/// What a service's task needs.
struct Run<S> {
    kind: &'static str,
    endpoint: String,
    handler: Handler<S>,
    backoff: Backoff,
}

/// How a handler's run ended.
enum Ended {
    /// The service is stopping, or the handler returned: the task ends.
    Done(TaskResult),
    /// The socket lost its peer: go on.
    LostPeer(ZmqError),
}

impl<S: Socket + 'static> Run<S> {
    /// Runs the handler on the bound `socket`, again after each lost peer, until the stop.
    async fn serve_bound(&self, ctx: &Context, socket: ZmqSocket<S>) -> TaskResult {
        let mut lost = 0;
        let ended = loop {
            match self.run_handler(ctx, &socket).await {
                Ended::Done(result) => break result,
                Ended::LostPeer(err) => {
                    let pause = self.backoff.base_delay(lost);
                    lost = lost.saturating_add(1);
                    log::warn!("{}: {err}; running the handler again in {pause:?}", ctx.path());
                    if ctx.sleep(pause).await.is_err() {
                        break Ok(());
                    }
                }
            }
        };
        socket.close().await;
        ended
    }

    /// Connects a socket, runs the handler on it, and connects a new one after each lost peer,
    /// until the stop.
    async fn keep_connected(&self, ctx: &Context) -> TaskResult {
        let path = ctx.path();
        let connected = ctx.gauge("connected");
        let mut lost = 0;
        loop {
            let mut socket = S::new();
            match ctx.until_stopping(socket.connect(&self.endpoint)).await {
                Err(_stopping) => return Ok(()),
                Ok(Err(err)) => {
                    let pause = self.backoff.base_delay(lost);
                    lost = lost.saturating_add(1);
                    log::warn!("{path}: cannot connect to {}: {err}; trying again in {pause:?}", self.endpoint);
                    ctx.sleep(pause).await?;
                    continue;
                }
                Ok(Ok(())) => {}
            }
            log::info!("{path}: ZeroMQ {} socket connected to {}", self.kind, self.endpoint);
            lost = 0;
            let socket = ZmqSocket::new(socket);
            connected.set(1);
            let ended = self.run_handler(ctx, &socket).await;
            socket.close().await;
            connected.set(0);
            match ended {
                Ended::Done(result) => return result,
                Ended::LostPeer(err) => {
                    let pause = self.backoff.base_delay(lost);
                    lost = lost.saturating_add(1);
                    log::warn!("{path}: lost {}: {err}; connecting again in {pause:?}", self.endpoint);
                    ctx.sleep(pause).await?;
                }
            }
        }
    }

    /// Runs the handler until it ends or the service stops.
    async fn run_handler(&self, ctx: &Context, socket: &ZmqSocket<S>) -> Ended {
        match ctx.until_stopping((self.handler)(socket.clone(), ctx.clone())).await {
            Err(_stopping) => Ended::Done(Ok(())),
            Ok(Ok(())) => Ended::Done(Ok(())),
            Ok(Err(err)) => match err.downcast::<ZmqError>() {
                Ok(lost) => Ended::LostPeer(*lost),
                Err(err) => Ended::Done(Err(err)),
            },
        }
    }
}

/// The socket type's ZeroMQ name, for log lines: `REP` for `zeromq::RepSocket`.
fn kind<S>() -> &'static str {
    let name = std::any::type_name::<S>();
    match name.rsplit("::").next().unwrap_or(name) {
        "ReqSocket" => "REQ",
        "RepSocket" => "REP",
        "PubSocket" => "PUB",
        "SubSocket" => "SUB",
        "PushSocket" => "PUSH",
        "PullSocket" => "PULL",
        "DealerSocket" => "DEALER",
        "RouterSocket" => "ROUTER",
        _ => "ZeroMQ",
    }
}

fn lock<V>(mutex: &Mutex<V>) -> MutexGuard<'_, V> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
