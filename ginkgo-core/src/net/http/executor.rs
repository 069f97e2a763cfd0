//! `TaskExecutor`: hyper's executor, spawning onto a service's tasks.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;

use super::super::backend::panic_message;
use crate::Context;

/// Runs the futures hyper spawns (one per HTTP/2 stream) as tasks of the server's service, so
/// that they end with it like the rest of its work, on whichever backend runs it. A stream that
/// panics is logged and reset; it does not fail the service.
#[derive(Clone, Debug)]
pub(super) struct TaskExecutor {
    ctx: Context,
}

impl TaskExecutor {
    pub(super) fn new(ctx: Context) -> Self {
        TaskExecutor { ctx }
    }
}

impl<F> hyper::rt::Executor<F> for TaskExecutor
where
    F: Future<Output = ()> + Send + 'static,
{
    fn execute(&self, future: F) {
        let _task = self.ctx.spawn(move |ctx| async move {
            if let Err(panic) = AssertUnwindSafe(future).catch_unwind().await {
                log::error!("{}: an HTTP/2 stream panicked: {}", ctx.path(), panic_message(panic.as_ref()));
            }
            Ok(())
        });
    }
}
