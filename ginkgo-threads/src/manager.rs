//! `ThreadManager`: a thread per task.

use std::future::Future;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use futures::future::BoxFuture;
use ginkgo_core::{AsyncManager, Service};

/// Runs each of a service's tasks on its own OS thread.
///
/// ```
/// use ginkgo_core::{Service, ServiceHandle};
/// use ginkgo_threads::ThreadManager;
///
/// struct Quiet;
/// impl Service for Quiet {}
///
/// let quiet = ServiceHandle::new(Quiet).with_manager(ThreadManager::new());
/// ginkgo_threads::block_on(async {
///     quiet.start().await.unwrap();
///     quiet.stop().await.unwrap();
/// });
/// ```
#[derive(Clone, Debug, Default)]
pub struct ThreadManager {
    _private: (),
}

impl ThreadManager {
    /// A manager that starts one thread per task.
    pub fn new() -> Arc<Self> {
        Arc::new(ThreadManager::default())
    }
}

/// Runs `future` to completion on the calling thread.
pub fn block_on<F: Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

/// Starts a named thread; if the system refuses, the work is dropped (a task then reports
/// itself cancelled) and the refusal is logged.
fn start_thread(name: &str, work: impl FnOnce() + Send + 'static) {
    if let Err(err) = thread::Builder::new().name(name.to_string()).spawn(work) {
        log::error!("could not start a thread for a task: {err}");
    }
}

impl Service for ThreadManager {}

impl AsyncManager for ThreadManager {
    fn backend(&self) -> &'static str {
        "threads"
    }

    fn new_manager(&self) -> Arc<dyn AsyncManager> {
        ThreadManager::new()
    }

    fn spawn(&self, future: BoxFuture<'static, ()>) {
        start_thread("ginkgo-task", move || futures::executor::block_on(future));
    }

    fn spawn_blocking(&self, work: Box<dyn FnOnce() + Send + 'static>) {
        start_thread("ginkgo-blocking", work);
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(futures_timer::Delay::new(duration))
    }
}
