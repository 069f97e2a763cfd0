//! `within`: an attempt (a connection, a handshake) given a time limit on the service's timers.

use std::future::Future;
use std::io;
use std::time::Duration;

use futures::future::{Either, select};

use crate::AsyncManager;

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
