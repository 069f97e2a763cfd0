//! The `AsyncManager` trait: how a backend runs a service's tasks.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::Service;

/// The glue between the service tree and an async runtime (or OS threads).
///
/// Every service owns one manager. It is a service itself: it starts before the service's other
/// children and stops after them, so its own hooks can prepare or release runtime resources.
/// The bookkeeping of the tasks a service owns (which are alive, telling them to stop,
/// cancelling them after `stop_timeout`, reporting those that cannot be cancelled) is done by
/// the core for every backend alike; a manager only says how to run a future, run blocking
/// work, and sleep.
///
/// Backends: `ginkgo_tokio::TokioManager`, `ginkgo_asyncstd::{AsyncStdManager, SmolManager}`,
/// `ginkgo_threads::ThreadManager`.
///
/// Futures given to [`spawn`](AsyncManager::spawn) are already wrapped by the core; a manager
/// runs them to completion or until the runtime drops them, and must not block the caller.
pub trait AsyncManager: Service {
    /// The backend's name as the `async` setting spells it: `tokio`, `async-std`, `smol`,
    /// `threads`.
    fn backend(&self) -> &'static str;

    /// A new manager on the same runtime, for a child service.
    fn new_manager(&self) -> Arc<dyn AsyncManager>;

    /// Runs `future` concurrently until it completes.
    fn spawn(&self, future: BoxFuture<'static, ()>);

    /// Runs blocking `work` where it cannot stall other tasks.
    fn spawn_blocking(&self, work: Box<dyn FnOnce() + Send + 'static>);

    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}
