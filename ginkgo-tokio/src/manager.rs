//! `TokioManager`: a service's tasks on tokio.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use ginkgo_core::{AsyncManager, Service};
use tokio::runtime::Handle;

/// Runs a service's tasks as tokio tasks; blocking work goes to tokio's blocking pool.
///
/// ```
/// use ginkgo_core::{Service, ServiceHandle};
/// use ginkgo_tokio::TokioManager;
///
/// struct Quiet;
/// impl Service for Quiet {}
///
/// let quiet = ServiceHandle::new(Quiet).with_manager(TokioManager::new());
/// ginkgo_tokio::block_on(async {
///     quiet.start().await.unwrap();
///     quiet.stop().await.unwrap();
/// });
/// ```
#[derive(Clone, Debug)]
pub struct TokioManager {
    handle: Handle,
}

impl TokioManager {
    /// A manager on the current tokio runtime, or on the shared one ([`crate::runtime`]) when
    /// called outside any runtime.
    pub fn new() -> Arc<Self> {
        let handle = Handle::try_current().unwrap_or_else(|_| crate::runtime().handle().clone());
        Self::with_handle(handle)
    }

    /// A manager on the runtime behind `handle`.
    pub fn with_handle(handle: Handle) -> Arc<Self> {
        Arc::new(TokioManager { handle })
    }

    /// The runtime this manager spawns on.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl Service for TokioManager {}

impl AsyncManager for TokioManager {
    fn backend(&self) -> &'static str {
        "tokio"
    }

    fn new_manager(&self) -> Arc<dyn AsyncManager> {
        Self::with_handle(self.handle.clone())
    }

    fn spawn(&self, future: BoxFuture<'static, ()>) {
        drop(self.handle.spawn(future));
    }

    fn spawn_blocking(&self, work: Box<dyn FnOnce() + Send + 'static>) {
        drop(self.handle.spawn_blocking(work));
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        // The timer must be registered with this manager's runtime, wherever it is awaited.
        let _runtime = self.handle.enter();
        Box::pin(tokio::time::sleep(duration))
    }
}
