//! Time limits on the services' attempts: `within`, any attempt (a connection) on the service's
//! timers; `handshake_within`, a server's handshake in its connection's task.

use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;

use futures::future::{Either, select};

use crate::{AsyncManager, Context, Stopping};

/// `attempt`, failed with `TimedOut` (`no {what} within {timeout}`) if it takes longer than
/// `timeout` by `manager`'s timers.
pub(crate) async fn within<T>(
    manager: &dyn AsyncManager,
    timeout: Duration,
    what: &str,
    attempt: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match select(std::pin::pin!(attempt), manager.sleep(timeout)).await {
        Either::Left((done, _)) => done,
        Either::Right(_) => Err(io::Error::new(io::ErrorKind::TimedOut, format!("no {what} within {timeout:?}"))),
    }
}

/// The stream `handshaking` gives, in the task of the connection `connection` (`connection from
/// PEER`), within `timeout`; `None` if it failed or ran out of time, which is logged at debug
/// level (a scanner, a wrong protocol, a certificate the client does not trust: nothing failed
/// here) and counted in the service's gauge `handshakes_failed`. `Stopping` if the service
/// begins to stop meanwhile.
pub(crate) async fn handshake_within<S>(
    ctx: &Context,
    manager: &dyn AsyncManager,
    timeout: Duration,
    connection: impl fmt::Display,
    handshaking: impl Future<Output = io::Result<S>>,
) -> Result<Option<S>, Stopping> {
    match ctx.until_stopping(within(manager, timeout, "handshake", handshaking)).await? {
        Ok(stream) => Ok(Some(stream)),
        Err(err) => {
            log::debug!("{}: {connection}: handshake failed: {err}", ctx.path());
            ctx.gauge("handshakes_failed").inc();
            Ok(None)
        }
    }
}
