//! `SmolManager`: a service's tasks on smol.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use ginkgo_core::{AsyncManager, Service};

/// Runs a service's tasks on smol's global executor (its thread count comes from the
/// `SMOL_THREADS` environment variable, one by default); blocking work goes to smol's blocking
/// thread pool.
///
/// ```
/// use ginkgo_core::{Service, ServiceHandle};
/// use ginkgo_asyncstd::SmolManager;
///
/// struct Quiet;
/// impl Service for Quiet {}
///
/// let quiet = ServiceHandle::new(Quiet).with_manager(SmolManager::new());
/// ginkgo_asyncstd::block_on_smol(async {
///     quiet.start().await.unwrap();
///     quiet.stop().await.unwrap();
/// });
/// ```
#[derive(Clone, Debug, Default)]
pub struct SmolManager {
    _private: (),
}

impl SmolManager {
    /// A manager on smol's global executor.
    pub fn new() -> Arc<Self> {
        Arc::new(SmolManager::default())
    }
}

/// Runs `future` to completion on the calling thread, with smol's reactor.
pub fn block_on_smol<F: Future>(future: F) -> F::Output {
    smol::block_on(future)
}

impl Service for SmolManager {}

impl AsyncManager for SmolManager {
    fn backend(&self) -> &'static str {
        "smol"
    }

    fn new_manager(&self) -> Arc<dyn AsyncManager> {
        SmolManager::new()
    }

    fn spawn(&self, future: BoxFuture<'static, ()>) {
        smol::spawn(future).detach();
    }

    fn spawn_blocking(&self, work: Box<dyn FnOnce() + Send + 'static>) {
        smol::unblock(work).detach();
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        smol::Timer::after(duration).map(drop).boxed()
    }
}
