//! `Gauge`: a named number a service publishes in its tree snapshot.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// A number a service keeps up to date (open connections, queue length, …) and that shows in
/// its [`Snapshot`](crate::Snapshot). Get one with [`Context::gauge`](crate::Context::gauge);
/// clones share the value.
///
/// ```
/// use ginkgo::{Service, ServiceHandle};
///
/// struct Server;
/// impl Service for Server {}
///
/// let server = ServiceHandle::new(Server);
/// let connections = server.gauge("connections");
/// connections.inc();
/// connections.inc();
/// connections.dec();
/// assert_eq!(server.gauge("connections").get(), 1);
/// assert_eq!(server.snapshot().gauges, [("connections".to_string(), 1)]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Gauge(Arc<AtomicI64>);

impl Gauge {
    /// Adds one.
    pub fn inc(&self) {
        self.add(1);
    }

    /// Subtracts one.
    pub fn dec(&self) {
        self.add(-1);
    }

    /// Adds `delta` (which may be negative).
    pub fn add(&self, delta: i64) {
        self.0.fetch_add(delta, Ordering::Relaxed);
    }

    /// Sets the value.
    pub fn set(&self, value: i64) {
        self.0.store(value, Ordering::Relaxed);
    }

    /// The current value.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}
