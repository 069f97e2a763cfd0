//! `ReloadableCertificate`: the certificate a server presents, which a reload replaces for the
//! handshakes that follow while connections already open keep theirs.

use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::TlsFiles;

/// A certificate with its key, and the files it was read from.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub(crate) files: TlsFiles,
    pub(crate) key: Arc<CertifiedKey>,
}

/// What rustls asks for a certificate at each handshake: the one loaded last. A handshake that
/// has its certificate keeps it, so a swap changes only the handshakes that start after it.
#[derive(Debug)]
pub(crate) struct ReloadableCertificate {
    current: ArcSwap<Loaded>,
}

impl ReloadableCertificate {
    pub(crate) fn new(loaded: Loaded) -> Self {
        ReloadableCertificate { current: ArcSwap::from_pointee(loaded) }
    }

    /// The certificate loaded last.
    pub(crate) fn current(&self) -> Arc<Loaded> {
        self.current.load_full()
    }

    /// Presents `loaded` from the next handshake on.
    pub(crate) fn replace(&self, loaded: Loaded) {
        self.current.store(Arc::new(loaded));
    }
}

impl ResolvesServerCert for ReloadableCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load().key.clone())
    }
}
