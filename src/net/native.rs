//! The backend's own service behind a service of `ginkgo::net`: which backend runs the tree,
//! and the native service made for it at each start.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use ginkgo_core::{BoxError, Context, Readiness, Service};

use crate::Backend;

/// A backend's own service (`ginkgo_tokio::StreamServer`, …), and the one thing its facade
/// asks it: `Q` (the address it listens on, whether it is connected).
pub(super) struct Native<Q> {
    service: Arc<dyn Service>,
    query: Arc<dyn Fn() -> Q + Send + Sync>,
}

impl<Q: 'static> Native<Q> {
    /// `service`, which the facade asks with `query`.
    pub(super) fn new<S: Service>(service: S, query: fn(&S) -> Q) -> Self {
        let service = Arc::new(service);
        let asked = service.clone();
        Native { service, query: Arc::new(move || query(&asked)) }
    }
}

impl<Q> Clone for Native<Q> {
    fn clone(&self) -> Self {
        Native { service: self.service.clone(), query: self.query.clone() }
    }
}

/// Where a facade keeps the native service it runs as: made at each start and run on the
/// facade's own context, so that it behaves exactly as the backend's service does.
pub(super) struct NativeSlot<Q>(Mutex<Option<Native<Q>>>);

impl<Q> Default for NativeSlot<Q> {
    fn default() -> Self {
        NativeSlot(Mutex::new(None))
    }
}

impl<Q> NativeSlot<Q> {
    /// What the native service of the latest start says, if the facade was ever started.
    pub(super) fn query(&self) -> Option<Q> {
        let current = self.current();
        current.map(|native| (native.query)())
    }

    /// Runs `native`'s `do_start` on `ctx`, keeping it as the current native service.
    pub(super) async fn start(&self, native: Native<Q>, ctx: &Context) -> Result<Readiness, BoxError> {
        *lock(&self.0) = Some(native.clone());
        native.service.do_start(ctx).await
    }

    /// Runs the current native service's `do_stop` on `ctx`, if there is one.
    pub(super) async fn stop(&self, ctx: &Context) -> Result<(), BoxError> {
        let current = self.current();
        match current {
            Some(native) => native.service.do_stop(ctx).await,
            None => Ok(()),
        }
    }

    fn current(&self) -> Option<Native<Q>> {
        lock(&self.0).clone()
    }
}

/// The backend running `ctx`'s service.
pub(super) fn backend_of(ctx: &Context) -> Result<Backend, NoBackend> {
    let name = ctx.async_manager().map_or("none", |manager| manager.backend());
    Backend::from_name(name).map_err(|_| NoBackend { name })
}

/// A service of `ginkgo::net` was started by a manager that is not one of this build's
/// backends.
#[derive(Debug)]
pub(super) struct NoBackend {
    name: &'static str,
}

impl fmt::Display for NoBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ginkgo::net has no implementation for the async backend `{}`", self.name)
    }
}

impl std::error::Error for NoBackend {}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
