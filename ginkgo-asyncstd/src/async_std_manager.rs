//! `AsyncStdManager`: a service's tasks on async-std.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use ginkgo_core::{AsyncManager, Service};

/// Runs a service's tasks on async-std's global executor; blocking work goes to its blocking
/// thread pool.
///
/// async-std is discontinued upstream; new code should prefer [`SmolManager`](crate::SmolManager)
/// where the `smol` feature is on.
///
/// ```
/// use ginkgo_core::{Service, ServiceHandle};
/// use ginkgo_asyncstd::AsyncStdManager;
///
/// struct Quiet;
/// impl Service for Quiet {}
///
/// let quiet = ServiceHandle::new(Quiet).with_manager(AsyncStdManager::new());
/// ginkgo_asyncstd::block_on_async_std(async {
///     quiet.start().await.unwrap();
///     quiet.stop().await.unwrap();
/// });
/// ```
#[derive(Clone, Debug, Default)]
pub struct AsyncStdManager {
    _private: (),
}

impl AsyncStdManager {
    /// A manager on async-std's global executor.
    pub fn new() -> Arc<Self> {
        Arc::new(AsyncStdManager::default())
    }
}

/// Runs `future` to completion on the calling thread, with async-std's runtime.
pub fn block_on_async_std<F: Future>(future: F) -> F::Output {
    async_std::task::block_on(future)
}

impl Service for AsyncStdManager {}

impl AsyncManager for AsyncStdManager {
    fn backend(&self) -> &'static str {
        "async-std"
    }

    fn new_manager(&self) -> Arc<dyn AsyncManager> {
        AsyncStdManager::new()
    }

    fn spawn(&self, future: BoxFuture<'static, ()>) {
        drop(async_std::task::spawn(future));
    }

    fn spawn_blocking(&self, work: Box<dyn FnOnce() + Send + 'static>) {
        drop(async_std::task::spawn_blocking(work));
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async_std::task::sleep(duration))
    }
}
