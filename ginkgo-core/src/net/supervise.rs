//! What every connection gets: counted while it is open, and its handler's errors and panics
//! logged instead of failing the service that owns it.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use futures::FutureExt;
use pin_project_lite::pin_project;

use super::PeerAddr;
use super::connection_slots::Slots;
use crate::{Chain, Context, Gauge, Stopping, TaskResult};

/// Counts one open connection in each of its gauges, or in a server's
/// [`ConnectionSlots`](super::ConnectionSlots), until dropped (also when the task holding it is
/// cancelled).
///
/// ```
/// use ginkgo::Gauge;
/// use ginkgo_core::net::backend::OpenConnection;
///
/// let connections = Gauge::default();
/// let open = OpenConnection::new(vec![connections.clone()]);
/// assert_eq!(connections.get(), 1);
/// drop(open);
/// assert_eq!(connections.get(), 0);
/// ```
#[derive(Debug)]
pub struct OpenConnection(Counted);

/// Where a connection is counted: a server's slots (and its gauge), or gauges.
#[derive(Debug)]
enum Counted {
    Slot(Arc<Slots>),
    Many(Box<[Gauge]>),
}

impl OpenConnection {
    /// Adds one to each of `gauges`, until the value is dropped.
    pub fn new(gauges: Vec<Gauge>) -> Self {
        gauges.iter().for_each(Gauge::inc);
        OpenConnection(Counted::Many(gauges.into_boxed_slice()))
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
            Counted::Many(gauges) => gauges.iter().for_each(Gauge::dec),
        }
    }
}

/// Runs one connection's `handler` as a task of `ctx`'s service, counted as `open` (its slot
/// in the server's [`ConnectionSlots`](super::ConnectionSlots)) until the task ends, and
/// supervised: an error or a panic is logged with the service's path and the connection, and
/// goes no further. `what` ([`ConnectionFrom`], say) names the connection in the logs,
/// formatted only if a line is written. If the service is not running, the task is not
/// spawned and the slot is freed at once.
pub fn spawn_connection<W, F, Fut>(ctx: &Context, open: OpenConnection, what: W, handler: F)
where
    W: fmt::Display + Send + 'static,
    F: FnOnce(Context) -> Fut + Send + 'static,
    Fut: Future<Output = TaskResult> + Send + 'static,
{
    // The handler's future is stored once, in the task itself: a server holding many idle
    // connections pays for each one's state a single time.
    let _task = ctx.spawn(move |ctx| ConnectionTask { owner: ctx.clone(), what, _open: open, handler: handler(ctx) });
}

/// Names a stream server's connection in log lines: `connection from 10.0.0.7:50123`,
/// `connection from pid 4242 (uid 1000) on unix:/run/app.sock`. No larger than the peer's
/// address: each connection's task keeps one, and formats it only for a line. (An HTTP server
/// names its own: [`spawn_connection`] takes any `Display`.)
///
/// ```
/// use ginkgo::net::PeerAddr;
/// use ginkgo_core::net::backend::ConnectionFrom;
///
/// let peer = PeerAddr::Tcp("10.0.0.7:50123".parse().unwrap());
/// assert_eq!(ConnectionFrom(peer).to_string(), "connection from 10.0.0.7:50123");
/// ```
#[derive(Debug)]
pub struct ConnectionFrom(pub PeerAddr);

impl fmt::Display for ConnectionFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection from {}", self.0)
    }
}

pin_project! {
    /// One connection's task: its handler, supervised like [`run_handler`] does, with the path
    /// of its service worked out only when a line is logged.
    struct ConnectionTask<Fut, W> {
        owner: Context,
        what: W,
        _open: OpenConnection,
        #[pin]
        handler: Fut,
    }
}

impl<Fut: Future<Output = TaskResult>, W: fmt::Display> Future for ConnectionTask<Fut, W> {
    type Output = TaskResult;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<TaskResult> {
        let this = self.project();
        let outcome = match catch_unwind(AssertUnwindSafe(|| this.handler.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(result)) => Ok(result),
            Err(panic) => Err(panic),
        };
        log_outcome(&PathOf(this.owner), &*this.what, outcome);
        Poll::Ready(Ok(()))
    }
}

/// Runs a connection's handler to its end. An error or a panic is logged with the service's
/// `path` and the connection (`what`), and goes no further: one bad connection never takes its
/// server or client down. A handler ended by the stop, or by the other end closing the
/// connection, has ended normally.
pub(crate) async fn run_handler<F>(path: &str, what: &(dyn fmt::Display + Sync), handler: F)
where
    F: Future<Output = TaskResult>,
{
    let outcome = AssertUnwindSafe(handler).catch_unwind().await;
    log_outcome(&path, what, outcome);
}

/// The text of a panic payload (what `panic!` was given), to log a panic that was caught.
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("boom {}", 7)).unwrap_err();
/// assert_eq!(ginkgo_core::net::backend::panic_message(payload.as_ref()), "boom 7");
/// ```
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    crate::task::panic_message(payload)
}

/// A service's path, worked out only if a log line is written.
struct PathOf<'a>(&'a Context);

impl fmt::Display for PathOf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.path())
    }
}

fn log_outcome(path: &dyn fmt::Display, what: &dyn fmt::Display, outcome: Result<TaskResult, Box<dyn Any + Send>>) {
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
