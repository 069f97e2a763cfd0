//! What every connection gets: counted while it is open, and its handler's errors and panics
//! logged instead of failing the service that owns it.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use ginkgo_core::{Chain, Gauge, Stopping, TaskResult};

/// Counts one open connection in each of its gauges, until dropped (also when the task holding
/// it is cancelled).
pub(crate) struct Open(Vec<Gauge>);

impl Open {
    pub(crate) fn new(gauges: Vec<Gauge>) -> Self {
        gauges.iter().for_each(Gauge::inc);
        Open(gauges)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.iter().for_each(Gauge::dec);
    }
}

/// Runs a connection's handler to its end. An error or a panic is logged with the service's
/// `path` and the connection (`what`), and goes no further: one bad connection never takes its
/// server or client down.
pub(crate) async fn run_handler<F>(path: &str, what: &str, handler: F)
where
    F: Future<Output = TaskResult>,
{
    match AssertUnwindSafe(handler).catch_unwind().await {
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

/// The text of a panic payload.
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "non-string panic payload"
    }
}
