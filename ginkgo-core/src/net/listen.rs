//! Listening and accepting over any transport: what every server shares.

use std::future::Future;
use std::io;
use std::sync::Arc;

use futures::channel::oneshot;

use super::{AcceptPacing, Address, BoundAddress, ConnectionSlots, ListenError, OpenConnection, PeerAddr, SocketMode};
use super::{Transport, UNIX_SOCKET_MODE};
use crate::{Context, TaskResult};

/// Where and how a server listens: its address as given, the mode of a Unix socket's file
/// unless the setting's, and where it records the address it is bound to.
#[derive(Clone, Debug)]
pub struct Listen {
    /// The address as the server was given it: `host:port` or `unix:/path`.
    pub address: String,
    /// The mode of a Unix socket's file; `None`: the setting `net.unix_socket_mode`.
    pub unix_mode: Option<SocketMode>,
    /// Where the server listens, while it does.
    pub bound: BoundAddress,
}

impl Listen {
    /// Listening on `address`, the mode from the settings.
    pub fn new(address: impl ToString) -> Self {
        Listen { address: address.to_string(), unix_mode: None, bound: BoundAddress::default() }
    }

    /// Listens with `transport` and serves the listener with `serve`, in one task of `ctx`'s
    /// service, so that the listener lives on the manager's runtime whoever awaits the start.
    ///
    /// Returns once the listener is bound (its address recorded in `bound`, and logged, until
    /// `serve` ends) or has failed to bind, with a [`ListenError`] naming the address. `serve`
    /// owns the listener, and closes it by dropping it; [`accept_until_stopping`] does so when
    /// the service begins to stop.
    pub async fn start<T, F, Fut>(&self, ctx: &Context, transport: &Arc<T>, serve: F) -> Result<(), ListenError>
    where
        T: Transport,
        F: FnOnce(Context, T::Listener) -> Fut + Send + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        let failed = |err| ListenError::new(self.address.as_str(), err);
        let target: Address =
            self.address.parse().map_err(|bad| failed(io::Error::new(io::ErrorKind::InvalidInput, bad)))?;
        let unix_mode = self.unix_mode.unwrap_or_else(|| UNIX_SOCKET_MODE.get(ctx.config()));
        let (tell, told) = oneshot::channel();
        let (transport, bound) = (transport.clone(), self.bound.clone());
        let _task = ctx.spawn(move |ctx| async move {
            let (listener, local) = match transport.bind(&ctx, &target, unix_mode).await {
                Ok(bound) => bound,
                Err(err) => {
                    let _ = tell.send(Err(err));
                    return Ok(());
                }
            };
            let path = ctx.path();
            log::info!("{path}: listening on {local}");
            bound.set(Some(local.clone()));
            let _ = tell.send(Ok(()));
            let served = serve(ctx, listener).await;
            log::info!("{path}: stopped listening");
            super::handover::forget(&local);
            bound.set(None);
            served
        });
        match told.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(failed(err)),
            Err(oneshot::Canceled) => Err(failed(io::Error::other("the service stopped before listening"))),
        }
    }
}

/// Accepts connections with `transport`, handing each to `accepted` with its slot in `slots`,
/// until the service begins to stop; then closes the listener at once.
///
/// While every slot is taken the loop does not accept (new clients wait in the listen
/// backlog) until a connection closes. A failed `accept` pauses the loop (10 ms at first,
/// doubling up to 1 s: [`ACCEPT_PAUSES`](super::ACCEPT_PAUSES)) and is logged at most once per
/// [`REPORT_INTERVAL`](super::REPORT_INTERVAL); the connections already open are served
/// meanwhile. A connection accepted once the
/// service is stopping (the one that wakes a blocking transport's `accept`) is closed.
pub async fn accept_until_stopping<T: Transport>(
    ctx: &Context,
    transport: &T,
    listener: T::Listener,
    slots: &ConnectionSlots,
    mut accepted: impl FnMut(T::Accepted, PeerAddr, OpenConnection),
) {
    let mut pacing = AcceptPacing::new(ctx);
    loop {
        if slots.is_full() {
            pacing.at_cap(slots.cap());
            if ctx.until_stopping(slots.room()).await.is_err() {
                break;
            }
        }
        // Once the sockets are handed to a successor (a graceful upgrade), it accepts instead.
        match ctx.until_stopping(super::handover::unless_handed_over(transport.accept(&listener))).await {
            Err(_stopping) => break,
            Ok(None) => break,
            Ok(Some(Ok(_))) if ctx.is_stopping() => break,
            Ok(Some(Ok((stream, peer)))) => {
                pacing.accepted();
                accepted(stream, peer, slots.take());
            }
            Ok(Some(Err(err))) => {
                let Some(pause) = pacing.failed(&err, slots.open()) else { continue };
                if ctx.sleep(pause).await.is_err() {
                    break;
                }
            }
        }
    }
    drop(listener);
}
