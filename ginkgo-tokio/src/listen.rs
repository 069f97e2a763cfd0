//! Listening on an address from a service's task, and accepting until the service stops: what
//! `StreamServer` and `HttpServer` share.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::channel::oneshot;
use ginkgo_core::{Context, TaskResult};
use tokio::net::{TcpListener, TcpStream};

use crate::ListenError;

/// How long to pause after a failed `accept` (out of file descriptors, say) before trying again.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// The address a server listens on, while it does.
#[derive(Clone, Debug, Default)]
pub(crate) struct Bound(Arc<Mutex<Option<SocketAddr>>>);

impl Bound {
    pub(crate) fn get(&self) -> Option<SocketAddr> {
        *self.lock()
    }

    fn set(&self, address: Option<SocketAddr>) {
        *self.lock() = address;
    }

    fn lock(&self) -> MutexGuard<'_, Option<SocketAddr>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Listens on `address` and serves the listener with `serve`, in one task of `ctx`'s service:
/// on the manager's runtime, so tokio's reactor is there whoever awaits the start. Returns once
/// the listener is bound (recording its address in `bound` until `serve` ends) or has failed
/// to bind.
pub(crate) async fn listen<F, Fut>(ctx: &Context, address: &str, bound: &Bound, serve: F) -> Result<(), ListenError>
where
    F: FnOnce(Context, TcpListener) -> Fut + Send + 'static,
    Fut: Future<Output = TaskResult> + Send + 'static,
{
    let (tell, told) = oneshot::channel();
    let (target, bound) = (address.to_string(), bound.clone());
    let _task = ctx.spawn(move |ctx| async move {
        let listener = match bind(&target).await {
            Ok(listener) => listener,
            Err(err) => {
                let _ = tell.send(Err(err));
                return Ok(());
            }
        };
        let local = listener.local_addr().ok();
        bound.set(local);
        let _ = tell.send(Ok(()));
        let served = serve(ctx, listener).await;
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

async fn bind(address: &str) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(address).await?;
    listener.local_addr()?;
    Ok(listener)
}

/// Accepts connections, handing each to `accepted`, until the service begins to stop; then
/// closes the listener at once.
pub(crate) async fn accept_until_stopping(
    ctx: &Context,
    listener: TcpListener,
    mut accepted: impl FnMut(TcpStream, SocketAddr),
) {
    let path = ctx.path();
    if let Ok(local) = listener.local_addr() {
        log::info!("{path}: listening on {local}");
    }
    loop {
        match ctx.until_stopping(listener.accept()).await {
            Err(_stopping) => break,
            Ok(Ok((stream, peer))) => accepted(stream, peer),
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
