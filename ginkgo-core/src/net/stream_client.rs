//! What every stream client shares: the pace and the log lines of reconnecting, and the whole
//! loop of the async ones.

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use futures::future::{Either, select};

use super::{ClientOptions, OpenConnection, run_handler};
use crate::{AsyncManager, Backoff, Context, Gauge, TaskResult};

/// The pace and the log lines of a client that keeps reconnecting: each failed attempt in a row
/// waits longer than the one before ([`Backoff`], with jitter); after a connection that was made
/// and has closed, the wait is the shortest again.
///
/// ```
/// use std::time::Duration;
/// use ginkgo::Backoff;
/// use ginkgo_core::net::Reconnect;
///
/// let ms = Duration::from_millis;
/// let mut reconnect = Reconnect::new("App/Client", Backoff { jitter: 0.0, ..Backoff::default() });
/// assert_eq!(reconnect.failed("127.0.0.1:7000", &"connection refused"), ms(100));
/// assert_eq!(reconnect.no_address(), ms(200));
/// assert_eq!(reconnect.failed("127.0.0.1:7000", &"connection refused"), ms(400));
/// reconnect.connected("127.0.0.1:7000");
/// assert_eq!(reconnect.closed("127.0.0.1:7000"), ms(100));
/// assert_eq!(reconnect.failed("127.0.0.1:7000", &"connection refused"), ms(100));
/// ```
#[derive(Debug)]
pub struct Reconnect {
    path: String,
    backoff: Backoff,
    failures: u32,
}

impl Reconnect {
    /// The pace of the client at `path` (its service's path, which starts its log lines).
    pub fn new(path: impl Into<String>, backoff: Backoff) -> Self {
        Reconnect { path: path.into(), backoff, failures: 0 }
    }

    /// There is no address to connect to yet: logs it, and returns the pause before the next
    /// attempt (a failed attempt).
    pub fn no_address(&mut self) -> Duration {
        let delay = self.next_failure();
        log::warn!("{}: no address to connect to yet; trying again in {delay:?}", self.path);
        delay
    }

    /// Connecting to `address` failed with `err`: logs it, and returns the pause before the next
    /// attempt, longer after each failure in a row.
    pub fn failed(&mut self, address: &str, err: &dyn fmt::Display) -> Duration {
        let delay = self.next_failure();
        log::warn!("{}: cannot connect to {address}: {err}; trying again in {delay:?}", self.path);
        delay
    }

    /// Connected to `address`: logs it; the next failure waits as briefly as the first.
    pub fn connected(&mut self, address: &str) {
        self.failures = 0;
        log::info!("{}: connected to {address}", self.path);
    }

    /// The connection to `address` has closed: logs it, and returns the pause before connecting
    /// again.
    pub fn closed(&self, address: &str) -> Duration {
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

/// What the task of an async stream client does, until its service stops: connects where
/// `options` says, with the runtime's `connect` (an attempt that takes longer than the options'
/// connect timeout fails); runs `handler(stream, ctx)` on the connection, supervised by
/// [`run_handler`]; then connects again, pausing as [`Reconnect`] says.
///
/// While a connection is open it is counted in the service's gauge `connections` and in
/// `connected`; each connection marks the service ready.
pub async fn stay_connected<S, C, CF, H, HF>(
    ctx: Context,
    options: ClientOptions,
    connected: Gauge,
    connect: C,
    handler: Arc<H>,
) -> TaskResult
where
    C: Fn(String) -> CF,
    CF: Future<Output = io::Result<S>>,
    H: Fn(S, Context) -> HF + ?Sized,
    HF: Future<Output = TaskResult>,
{
    let path = ctx.path();
    let Some(manager) = ctx.async_manager().cloned() else { return Ok(()) };
    let gauges = vec![ctx.gauge("connections"), connected];
    let mut reconnect = Reconnect::new(path.clone(), options.backoff().clone());
    loop {
        let Some(address) = options.address() else {
            ctx.sleep(reconnect.no_address()).await?;
            continue;
        };
        let attempt = within(manager.as_ref(), options.connect_timeout(), connect(address.clone()));
        let stream = match ctx.until_stopping(attempt).await? {
            Ok(stream) => stream,
            Err(err) => {
                ctx.sleep(reconnect.failed(&address, &err)).await?;
                continue;
            }
        };
        reconnect.connected(&address);
        let open = OpenConnection::new(gauges.clone());
        ctx.set_ready();
        let handled = async { handler(stream, ctx.clone()).await };
        run_handler(&path, &format!("connection to {address}"), handled).await;
        drop(open);
        if ctx.is_stopping() {
            return Ok(());
        }
        ctx.sleep(reconnect.closed(&address)).await?;
    }
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
