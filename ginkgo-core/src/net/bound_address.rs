//! `BoundAddress`: where a server listens, while it does.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use super::LocalAddr;

/// Where a server listens, while it does: set once its listener is bound, cleared when the
/// listener closes. Clones share the value, so the server's task can set what its
/// `local_addr()` reads.
///
/// ```
/// use ginkgo::net::LocalAddr;
/// use ginkgo_core::net::backend::BoundAddress;
///
/// let bound = BoundAddress::default();
/// let seen = bound.clone();
/// bound.set(Some(LocalAddr::Tcp("127.0.0.1:7000".parse().unwrap())));
/// assert_eq!(seen.tcp().map(|address| address.port()), Some(7000));
/// assert_eq!(seen.unix_path(), None);
/// bound.set(None);
/// assert_eq!(seen.get(), None);
/// ```
#[derive(Clone, Debug, Default)]
pub struct BoundAddress(Arc<Mutex<Option<LocalAddr>>>);

impl BoundAddress {
    /// Where the server listens, while it does.
    pub fn get(&self) -> Option<LocalAddr> {
        self.lock().clone()
    }

    /// The IP address and port, while the server listens on TCP.
    pub fn tcp(&self) -> Option<SocketAddr> {
        match *self.lock() {
            Some(LocalAddr::Tcp(address)) => Some(address),
            _ => None,
        }
    }

    /// The socket's path, while the server listens on a Unix socket.
    pub fn unix_path(&self) -> Option<PathBuf> {
        match &*self.lock() {
            Some(LocalAddr::Unix(path)) => Some(path.clone()),
            _ => None,
        }
    }

    /// Records where the server listens (`None` once it no longer does).
    pub fn set(&self, address: Option<LocalAddr>) {
        *self.lock() = address;
    }

    fn lock(&self) -> MutexGuard<'_, Option<LocalAddr>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
