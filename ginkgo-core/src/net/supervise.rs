//! What every connection gets: counted while it is open, and its handler's errors and panics
//! logged instead of failing the service that owns it.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use futures::FutureExt;
use pin_project_lite::pin_project;

use super::connection_slots::Slots;
use crate::{Chain, Context, Gauge, Stopping, TaskResult};

/// Counts one open connection in each of its gauges, or in a server's
/// [`ConnectionSlots`](super::ConnectionSlots), until dropped (also when the task holding it is
/// cancelled).
///
/// ```
/// use ginkgo::Gauge;
/// use ginkgo_core::net::OpenConnection;
///
/// let connections = Gauge::default();
/// let open = OpenConnection::new(vec![connections.clone()]);
/// assert_eq!(connections.get(), 1);
/// drop(open);
/// assert_eq!(connections.get(), 0);
/// ```
#[derive(Debug)]
pub struct OpenConnection(Counted);

/// Where a connection is counted: a server's slots (and its gauge), one gauge, or several.
#[derive(Debug)]
enum Counted {
    Slot(Arc<Slots>),
    One(Gauge),
    Many(Vec<Gauge>),
}

impl OpenConnection {
    /// Adds one to each of `gauges`, until the value is dropped.
    pub fn new(gauges: Vec<Gauge>) -> Self {
        gauges.iter().for_each(Gauge::inc);
        OpenConnection(Counted::Many(gauges))
    }

    /// Adds one to `gauge`, until the value is dropped.
    pub fn in_gauge(gauge: Gauge) -> Self {
        gauge.inc();
        OpenConnection(Counted::One(gauge))
    }

    /// Holds a slot of `slots`, already counted, until the value is dropped.
    pub(crate) fn in_slots(slots: Arc<Slots>) -> Self {
        OpenConnection(Counted::Slot(slots))
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        match &self.0 {
            Counted::Slot(slots) => slots.free(),
            Counted::One(gauge) => gauge.dec(),
            Counted::Many(gauges) => gauges.iter().for_each(Gauge::dec),
        }
    }
}

/// Runs one connection's `handler` as a task of `ctx`'s service, counted as `open` (its slot
/// in the server's [`ConnectionSlots`](super::ConnectionSlots)) until the task ends, and
/// supervised by [`run_handler`]: `what` (`connection from 10.0.0.7:50123`) names the
/// connection in the logs. If the service is not running, the task is not spawned and the
/// slot is freed at once.
pub fn spawn_connection<F, Fut>(ctx: &Context, open: OpenConnection, what: String, handler: F)
where
    F: FnOnce(Context) -> Fut + Send + 'static,
    Fut: Future<Output = TaskResult> + Send + 'static,
{
    // The handler's future is stored once, in the task itself: a server holding many idle
    // connections pays for each one's state a single time.
    let _task = ctx.spawn(move |ctx| ConnectionTask { owner: ctx.clone(), what, _open: open, handler: handler(ctx) });
}

pin_project! {
    /// One connection's task: its handler, supervised like [`run_handler`] does, with the path
    /// of its service worked out only when a line is logged.
    struct ConnectionTask<Fut> {
        owner: Context,
        what: String,
        _open: OpenConnection,
        #[pin]
        handler: Fut,
    }
}

impl<Fut: Future<Output = TaskResult>> Future for ConnectionTask<Fut> {
    type Output = TaskResult;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<TaskResult> {
        let this = self.project();
        let outcome = match catch_unwind(AssertUnwindSafe(|| this.handler.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(result)) => Ok(result),
            Err(panic) => Err(panic),
        };
        log_outcome(&PathOf(this.owner), this.what, outcome);
        Poll::Ready(Ok(()))
    }
}

/// Runs a connection's handler to its end. An error or a panic is logged with the service's
/// `path` and the connection (`what`), and goes no further: one bad connection never takes its
/// server or client down. A handler ended by the stop, or by the other end closing the
/// connection, has ended normally.
///
/// ```
/// use ginkgo_core::net::run_handler;
///
/// futures::executor::block_on(async {
///     // Logs `App/Server: connection from 10.0.0.7:50123: handler panicked: boom`.
///     run_handler("App/Server", "connection from 10.0.0.7:50123", async { panic!("boom") }).await;
///     run_handler("App/Server", "connection from 10.0.0.7:50124", async { Err("bad request".into()) }).await;
/// });
/// ```
pub async fn run_handler<F>(path: &str, what: &str, handler: F)
where
    F: Future<Output = TaskResult>,
{
    let outcome = AssertUnwindSafe(handler).catch_unwind().await;
    log_outcome(&path, what, outcome);
}

/// [`run_handler`] for a blocking handler, on the calling thread.
///
/// ```
/// use ginkgo_core::net::run_blocking_handler;
///
/// run_blocking_handler("App/Server", "connection from 10.0.0.7:50123", || panic!("boom"));
/// ```
pub fn run_blocking_handler(path: &str, what: &str, handler: impl FnOnce() -> TaskResult) {
    log_outcome(&path, what, catch_unwind(AssertUnwindSafe(handler)));
}

/// The text of a panic payload (what `panic!` was given), to log a panic that was caught.
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("boom {}", 7)).unwrap_err();
/// assert_eq!(ginkgo_core::net::panic_message(payload.as_ref()), "boom 7");
/// ```
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    crate::task::panic_message(payload)
}

/// A service's path, worked out only if a log line is written.
struct PathOf<'a>(&'a Context);

impl std::fmt::Display for PathOf<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.path())
    }
}

fn log_outcome(path: &dyn std::fmt::Display, what: &str, outcome: Result<TaskResult, Box<dyn Any + Send>>) {
    match outcome {
        Ok(Ok(())) => log::debug!("{path}: {what}: handler done"),
        Ok(Err(err)) if err.is::<Stopping>() => log::debug!("{path}: {what}: handler ended by the stop"),
        Ok(Err(err)) if peer_went_away(err.as_ref()) => log::debug!("{path}: {what}: closed by the other end: {err}"),
        Ok(Err(err)) => log::warn!("{path}: {what}: handler failed: {}", Chain(err.as_ref())),
        Err(panic) => log::error!("{path}: {what}: handler panicked: {}", panic_message(panic.as_ref())),
    }
}

/// True for the errors of a connection the other end has closed or reset: the ordinary end
/// of a connection, not a failure of the handler.
fn peer_went_away(err: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    err.downcast_ref::<std::io::Error>()
        .is_some_and(|err| matches!(err.kind(), BrokenPipe | ConnectionAborted | ConnectionReset | UnexpectedEof))
}
