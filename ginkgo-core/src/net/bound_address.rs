//! `BoundAddress`: the address a server listens on, while it does.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// The address a server listens on, while it does: set once its listener is bound, cleared when
/// the listener closes. Clones share the value, so the server's task can set what its
/// `local_addr()` reads.
///
/// ```
/// use ginkgo_core::net::BoundAddress;
///
/// let bound = BoundAddress::default();
/// let seen = bound.clone();
/// bound.set(Some("127.0.0.1:7000".parse().unwrap()));
/// assert_eq!(seen.get().map(|address| address.port()), Some(7000));
/// bound.set(None);
/// assert_eq!(seen.get(), None);
/// ```
#[derive(Clone, Debug, Default)]
pub struct BoundAddress(Arc<Mutex<Option<SocketAddr>>>);

impl BoundAddress {
    /// The address, while the server listens.
    pub fn get(&self) -> Option<SocketAddr> {
        *self.lock()
    }

    /// Records the address (`None` once the server no longer listens).
    pub fn set(&self, address: Option<SocketAddr>) {
        *self.lock() = address;
    }

    fn lock(&self) -> MutexGuard<'_, Option<SocketAddr>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
