//! Listening and accepting on any runtime: what the async servers of every backend share.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use futures::channel::oneshot;
use futures::future::BoxFuture;

use super::{AcceptPacing, BoundAddress, ConnectionSlots, ListenError, OpenConnection, spawn_connection};
use crate::{Context, TaskResult};

/// How a runtime waits for the next connection on its listener `L`, handing over a stream `S`
/// and the peer's address: a function such as
/// `fn accept(listener: &TcpListener) -> BoxFuture<'_, io::Result<(TcpStream, SocketAddr)>>`.
pub type Accept<L, S> = for<'a> fn(&'a L) -> BoxFuture<'a, io::Result<(S, SocketAddr)>>;

/// Listens on `address` and serves the listener with `serve`, in one task of `ctx`'s service,
/// so that the listener lives on the manager's runtime whoever awaits the start.
///
/// `bind` makes the runtime's listener and tells the address it is bound to. Returns once the
/// listener is bound (its address recorded in `bound`, and logged, until `serve` ends) or has
/// failed to bind, with a [`ListenError`] naming `address`. `serve` owns the listener, and
/// closes it by dropping it; [`serve_connections`] and [`accept_until_stopping`] do so when the
/// service begins to stop.
pub async fn listen<L, B, BF, F, Fut>(
    ctx: &Context,
    address: &str,
    bound: &BoundAddress,
    bind: B,
    serve: F,
) -> Result<(), ListenError>
where
    L: Send + 'static,
    B: FnOnce(String) -> BF + Send + 'static,
    BF: Future<Output = io::Result<(L, SocketAddr)>> + Send + 'static,
    F: FnOnce(Context, L) -> Fut + Send + 'static,
    Fut: Future<Output = TaskResult> + Send + 'static,
{
    let (tell, told) = oneshot::channel();
    let (target, bound) = (address.to_string(), bound.clone());
    let _task = ctx.spawn(move |ctx| async move {
        let (listener, local) = match bind(target).await {
            Ok(bound) => bound,
            Err(err) => {
                let _ = tell.send(Err(err));
                return Ok(());
            }
        };
        bound.set(Some(local));
        let _ = tell.send(Ok(()));
        let path = ctx.path();
        log::info!("{path}: listening on {local}");
        let served = serve(ctx, listener).await;
        log::info!("{path}: stopped listening");
        bound.set(None);
        served
    });
    match told.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(ListenError::new(address, err)),
        Err(oneshot::Canceled) => {
            Err(ListenError::new(address, io::Error::other("the service stopped before listening")))
        }
    }
}

/// Accepts connections, handing each to `accepted` with its slot in `slots`, until the service
/// begins to stop; then closes the listener at once.
///
/// While every slot is taken the loop does not accept (new clients wait in the listen
/// backlog) until a connection closes. A failed `accept` pauses the loop as [`AcceptPacing`]
/// says; the connections already open are served meanwhile.
pub async fn accept_until_stopping<L, S>(
    ctx: &Context,
    listener: L,
    accept: Accept<L, S>,
    slots: &ConnectionSlots,
    mut accepted: impl FnMut(S, SocketAddr, OpenConnection),
) {
    let mut pacing = AcceptPacing::new(ctx);
    loop {
        if slots.is_full() {
            pacing.at_cap(slots.cap());
            if ctx.until_stopping(slots.room()).await.is_err() {
                break;
            }
        }
        match ctx.until_stopping(accept(&listener)).await {
            Err(_stopping) => break,
            Ok(Ok((stream, peer))) => {
                pacing.accepted();
                accepted(stream, peer, slots.take());
            }
            Ok(Err(err)) => {
                let Some(pause) = pacing.failed(&err, slots.open()) else { continue };
                if ctx.sleep(pause).await.is_err() {
                    break;
                }
            }
        }
    }
    drop(listener);
}

/// What a stream server does with its listener: accepts connections until the service begins
/// to stop, at most `max_connections` open at once ([`accept_until_stopping`]), and runs
/// `handler(stream, peer, ctx)` for each, as a task of the service counted in its gauge
/// `connections` ([`spawn_connection`]).
pub async fn serve_connections<L, S, H, Fut>(
    ctx: Context,
    listener: L,
    accept: Accept<L, S>,
    max_connections: usize,
    handler: Arc<H>,
) -> TaskResult
where
    S: Send + 'static,
    H: Fn(S, SocketAddr, Context) -> Fut + Send + Sync + ?Sized + 'static,
    Fut: Future<Output = TaskResult> + Send + 'static,
{
    let slots = ConnectionSlots::new(max_connections, ctx.gauge("connections"));
    let path = ctx.path();
    accept_until_stopping(&ctx, listener, accept, &slots, |stream, peer, open| {
        log::debug!("{path}: connection from {peer}");
        let handler = handler.clone();
        let what = format!("connection from {peer}");
        spawn_connection(&ctx, open, what, move |ctx| handler(stream, peer, ctx));
    })
    .await;
    Ok(())
}
