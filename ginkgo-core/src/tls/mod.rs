//! TLS for servers and clients, without an async runtime (feature `tls`): certificates, keys
//! and trusted roots read from PEM files, checked, and made into rustls configurations that
//! each backend's TLS streams take.
//!
//! - A server: [`TlsFiles`] names its certificate chain and private key, [`ServerTls`] loads
//!   them and makes the [`rustls::ServerConfig`]; a reload reads the files again and new
//!   connections get the new certificate, open ones keep theirs.
//! - A client: [`ClientTls`] trusts the system's roots or a CA file, verifies the server's name,
//!   and makes the [`rustls::ClientConfig`].
//! - Settings: a service declares a setting per file, of type `Option<PathBuf>`;
//!   [`TlsFiles::from_settings`] and [`ClientTls::from_ca_setting`] read them.
//! - Services: `StreamServer::with_tls` (and `with_tls_settings`) and `StreamClient::with_tls`
//!   (and `with_tls_ca_setting`) make the stream services speak TLS, on every backend.
//! - For backend crates: a runtime's sockets shake hands ([`TlsHandshakes`]); [`TlsTransport`]
//!   is TLS over them, holding a [`TlsLayer`] (the certificate or trusted roots, loaded when
//!   the service starts, read again when it reloads); [`WithTls`] is what the builders set it on.
//!   With the feature `http`, a runtime whose TLS streams hyper can read (`TlsHttpIo`) makes
//!   `HttpServer` over its `TlsTransport` serve HTTPS.
//!
//! Every error is a [`TlsError`], one line naming the file and what is wrong with it.
//! Cryptography is rustls' `ring` provider, chosen explicitly, so that another crate of the
//! program enabling a second provider changes nothing here.

mod client;
mod error;
mod handshakes;
#[cfg(feature = "http")]
mod http;
mod layer;
mod pem_file;
mod reloadable;
mod server;
mod settings;
mod transport;
mod validity;

use std::sync::Arc;

pub use client::ClientTls;
pub use error::{TlsError, TlsErrorKind};
pub use handshakes::TlsHandshakes;
#[cfg(feature = "http")]
pub use http::TlsHttpIo;
pub use layer::TlsLayer;
pub use pem_file::MAX_PEM_FILE_SIZE;
pub use rustls;
pub use server::{Alpn, ServerTls, TlsFiles};
pub use transport::{TlsTransport, WithTls};

/// The cryptography every configuration here uses.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}
