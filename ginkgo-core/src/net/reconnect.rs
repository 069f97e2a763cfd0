//! The loop of a stream client: connecting, running the handler on the connection, and the pace
//! and the log lines of reconnecting.

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use futures::future::{Either, select};

use super::client_options::ClientOptions;
use super::connection::Handler;
use super::supervise::run_handler;
use super::{Address, Connection, OpenConnection, Transport};
use crate::{AsyncManager, Backoff, Context, Gauge, TaskResult};

/// The pace and the log lines of a client that keeps reconnecting: each failed attempt in a row
/// waits longer than the one before ([`Backoff`], with jitter); after a connection that was made
/// and has closed, the wait is the shortest again.
#[derive(Debug)]
struct Reconnect {
    path: String,
    backoff: Backoff,
    failures: u32,
}

impl Reconnect {
    /// The pace of the client at `path` (its service's path, which starts its log lines).
    fn new(path: impl Into<String>, backoff: Backoff) -> Self {
        Reconnect { path: path.into(), backoff, failures: 0 }
    }

    /// There is no address to connect to yet: logs it, and returns the pause before the next
    /// attempt (a failed attempt).
    fn no_address(&mut self) -> Duration {
        let delay = self.next_failure();
        log::warn!("{}: no address to connect to yet; trying again in {delay:?}", self.path);
        delay
    }

    /// Connecting to `address` failed with `err`: logs it, and returns the pause before the next
    /// attempt, longer after each failure in a row.
    fn failed(&mut self, address: &str, err: &dyn fmt::Display) -> Duration {
        let delay = self.next_failure();
        log::warn!("{}: cannot connect to {address}: {err}; trying again in {delay:?}", self.path);
        delay
    }

    /// Connected to `address`: logs it; the next failure waits as briefly as the first.
    fn connected(&mut self, address: &str) {
        self.failures = 0;
        log::info!("{}: connected to {address}", self.path);
    }

    /// The connection to `address` has closed: logs it, and returns the pause before connecting
    /// again.
    fn closed(&self, address: &str) -> Duration {
        let delay = self.backoff.delay(0, fastrand::f64());
        log::info!("{}: connection to {address} closed; connecting again in {delay:?}", self.path);
        delay
    }

    fn next_failure(&mut self) -> Duration {
        let delay = self.backoff.delay(self.failures, fastrand::f64());
        self.failures = self.failures.saturating_add(1);
        delay
    }
}

/// What the task of a stream client does, until its service stops: connects where `options`
/// says, with `transport` (an attempt that takes longer than the options' connect timeout
/// fails); runs `handler(connection, ctx)` on the connection, supervised by [`run_handler`];
/// then connects again, pausing as [`Reconnect`] says.
///
/// While a connection is open it is counted in the service's gauge `connections` and in
/// `connected`; each connection marks the service ready.
pub(crate) async fn stay_connected<T: Transport>(
    ctx: Context,
    transport: Arc<T>,
    options: ClientOptions,
    connected: Gauge,
    handler: Handler<T::Stream>,
) -> TaskResult {
    let path = ctx.path();
    let Some(manager) = ctx.async_manager().cloned() else { return Ok(()) };
    let gauges = vec![ctx.gauge("connections"), connected];
    let mut reconnect = Reconnect::new(path.clone(), options.backoff.clone());
    loop {
        let Some(address) = (options.address)() else {
            ctx.sleep(reconnect.no_address()).await?;
            continue;
        };
        let attempt = connect(&ctx, transport.as_ref(), manager.as_ref(), &address, options.connect_timeout);
        let (stream, peer) = match ctx.until_stopping(attempt).await? {
            Ok(connected) => connected,
            Err(err) => {
                ctx.sleep(reconnect.failed(&address, &err)).await?;
                continue;
            }
        };
        reconnect.connected(&address);
        let open = OpenConnection::new(gauges.clone());
        ctx.set_ready();
        let handled = handler(Connection::new(stream, peer), ctx.clone());
        run_handler(&path, &format!("connection to {address}"), handled).await;
        drop(open);
        if ctx.is_stopping() {
            return Ok(());
        }
        ctx.sleep(reconnect.closed(&address)).await?;
    }
}

/// One attempt to connect to `address` (text, parsed here: a bad one is a failed attempt).
async fn connect<T: Transport>(
    ctx: &Context,
    transport: &T,
    manager: &dyn AsyncManager,
    address: &str,
    timeout: Duration,
) -> io::Result<(T::Stream, super::PeerAddr)> {
    let address: Address = address.parse().map_err(|bad| io::Error::new(io::ErrorKind::InvalidInput, bad))?;
    within(manager, timeout, transport.connect(ctx, &address, timeout)).await
}

/// `attempt`, failed with `TimedOut` if it takes longer than `timeout`.
async fn within<T>(
    manager: &dyn AsyncManager,
    timeout: Duration,
    attempt: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match select(std::pin::pin!(attempt), manager.sleep(timeout)).await {
        Either::Left((connected, _)) => connected,
        Either::Right(_) => Err(io::Error::new(io::ErrorKind::TimedOut, format!("no connection within {timeout:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_in_a_row_waits_longer_and_a_connection_starts_over() {
        let ms = Duration::from_millis;
        let mut reconnect = Reconnect::new("App/Client", Backoff { jitter: 0.0, ..Backoff::default() });
        assert_eq!(reconnect.failed("127.0.0.1:7000", &"connection refused"), ms(100));
        assert_eq!(reconnect.no_address(), ms(200));
        assert_eq!(reconnect.failed("127.0.0.1:7000", &"connection refused"), ms(400));
        reconnect.connected("127.0.0.1:7000");
        assert_eq!(reconnect.closed("127.0.0.1:7000"), ms(100));
        assert_eq!(reconnect.failed("127.0.0.1:7000", &"connection refused"), ms(100));
    }
}
