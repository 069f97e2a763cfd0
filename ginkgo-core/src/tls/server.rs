//! `ServerTls`: a server's certificate chain and private key, read from PEM files and checked,
//! as rustls server configurations whose certificate a reload replaces.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::ServerConfig;
use rustls::sign::CertifiedKey;
use rustls::{Error as RustlsError, InconsistentKeys};
use serde::{Deserialize, Serialize};

use super::error::{FileRole, TlsError, TlsErrorKind};
use super::pem_file::{read_certificates, read_private_key};
use super::reloadable::{Loaded, ReloadableCertificate};
use super::validity::check_server_certificate;

/// The two PEM files of a server's certificate: the chain (the server's own certificate first,
/// then the intermediates that lead to a root clients trust) and its private key (PKCS #8,
/// PKCS #1 or SEC1; unencrypted). Both may be the same file.
///
/// A pair of settings names them ([`TlsFiles::from_settings`]); in a setting of its own it is
/// a table, `{ cert = "cert.pem", key = "key.pem" }`.
///
/// ```
/// use ginkgo::tls::TlsFiles;
///
/// let files = TlsFiles::new("/etc/app/cert.pem", "/etc/app/key.pem");
/// assert_eq!(files.cert().to_str(), Some("/etc/app/cert.pem"));
/// assert_eq!(files.key().to_str(), Some("/etc/app/key.pem"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFiles {
    cert: PathBuf,
    key: PathBuf,
}

impl TlsFiles {
    /// The certificate chain in `cert`, its private key in `key`.
    pub fn new(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        TlsFiles { cert: cert.into(), key: key.into() }
    }

    /// The file of the certificate chain.
    pub fn cert(&self) -> &Path {
        &self.cert
    }

    /// The file of the private key.
    pub fn key(&self) -> &Path {
        &self.key
    }
}

/// The application protocols a server offers in the TLS handshake (ALPN), most preferred first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Alpn {
    /// None: a stream server speaking its own protocol. A client that asks for some still
    /// connects, and no protocol is agreed.
    #[default]
    None,
    /// `http/1.1` alone.
    Http1,
    /// `h2`, then `http/1.1`: an HTTP server that speaks both.
    Http,
}

impl Alpn {
    /// The protocol names, as the handshake spells them.
    ///
    /// ```
    /// use ginkgo::tls::Alpn;
    ///
    /// assert_eq!(Alpn::Http.protocols(), [b"h2".to_vec(), b"http/1.1".to_vec()]);
    /// assert!(Alpn::None.protocols().is_empty());
    /// ```
    pub fn protocols(self) -> Vec<Vec<u8>> {
        match self {
            Alpn::None => Vec::new(),
            Alpn::Http1 => vec![b"http/1.1".to_vec()],
            Alpn::Http => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        }
    }
}

/// A server's certificate and private key, read from [`TlsFiles`] and checked, for rustls.
///
/// [`load`](ServerTls::load) refuses, with one line naming the file, a file that is missing or
/// unreadable, holds no certificate or no private key, a key that is encrypted, that rustls
/// cannot sign with or that is not the certificate's, and a certificate that clients would
/// refuse whoever issued it: expired, not yet valid, or not meant for servers. (A CA
/// certificate serving as the server's own is only a warning in the log: OpenSSL's clients
/// accept it, rustls' refuse it.)
///
/// [`server_config`](ServerTls::server_config) makes the configuration a TLS acceptor takes;
/// every configuration made from one `ServerTls` (and its clones) presents the certificate
/// loaded last. [`reload`](ServerTls::reload) reads the files again: the handshakes after it
/// present the new certificate, connections already open keep the one they have, and a reload
/// that fails keeps the old certificate in place. (A client resuming a session from before the
/// reload is shown no certificate at all: the session stays authenticated by the old one.)
///
/// ```
/// use ginkgo::tls::{Alpn, ServerTls, TlsFiles};
///
/// // A certificate for `localhost`, as a test makes one.
/// let dir = tempfile::tempdir()?;
/// let key = rcgen::KeyPair::generate()?;
/// let certificate = rcgen::CertificateParams::new(vec!["localhost".to_string()])?.self_signed(&key)?;
/// std::fs::write(dir.path().join("cert.pem"), certificate.pem())?;
/// std::fs::write(dir.path().join("key.pem"), key.serialize_pem())?;
///
/// let files = TlsFiles::new(dir.path().join("cert.pem"), dir.path().join("key.pem"));
/// let tls = ServerTls::load(&files)?;
/// let config = tls.server_config(Alpn::Http);
/// assert_eq!(config.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
/// assert_eq!(tls.certificate_chain(), [certificate.der().clone()]);
///
/// // A reload from a file that has no certificate keeps the one in place.
/// std::fs::write(dir.path().join("cert.pem"), "")?;
/// let err = tls.reload(&files).unwrap_err();
/// assert!(err.to_string().ends_with("cert.pem: no certificate in it (no PEM block `BEGIN CERTIFICATE`)"));
/// assert_eq!(tls.certificate_chain(), [certificate.der().clone()]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ServerTls {
    certificate: Arc<ReloadableCertificate>,
}

impl ServerTls {
    /// Reads and checks the certificate chain and private key in `files`.
    pub fn load(files: &TlsFiles) -> Result<ServerTls, TlsError> {
        Ok(ServerTls { certificate: Arc::new(ReloadableCertificate::new(load(files)?)) })
    }

    /// Reads and checks `files` (the same files again, or others), and presents the new
    /// certificate from the next handshake on. On error, the certificate in place stays.
    pub fn reload(&self, files: &TlsFiles) -> Result<(), TlsError> {
        self.certificate.replace(load(files)?);
        Ok(())
    }

    /// The files the certificate in place was read from.
    pub fn files(&self) -> TlsFiles {
        self.certificate.current().files.clone()
    }

    /// The certificate chain in place, the server's own certificate first.
    pub fn certificate_chain(&self) -> Vec<CertificateDer<'static>> {
        self.certificate.current().key.cert.clone()
    }

    /// A rustls server configuration that presents the certificate in place at each handshake
    /// and offers `alpn`: TLS 1.3 and 1.2, no client certificates, ring's cryptography.
    pub fn server_config(&self, alpn: Alpn) -> Arc<ServerConfig> {
        let mut config = ServerConfig::builder_with_provider(super::provider())
            .with_safe_default_protocol_versions()
            .expect("ring's provider supports the default protocol versions")
            .with_no_client_auth()
            .with_cert_resolver(self.certificate.clone());
        config.alpn_protocols = alpn.protocols();
        Arc::new(config)
    }
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTls").field("files", &self.certificate.current().files).finish()
    }
}

/// Reads `files` into a certificate rustls can present, checking what clients would refuse.
fn load(files: &TlsFiles) -> Result<Loaded, TlsError> {
    let chain = read_certificates(&files.cert, FileRole::Certificate)?;
    if let Some(warning) = check_server_certificate(&chain[0], &files.cert, UnixTime::now())? {
        log::warn!("{warning}");
    }
    let key = read_private_key(&files.key)?;
    let signing_key = super::provider().key_provider.load_private_key(key).map_err(|err| {
        TlsError::in_file(
            TlsErrorKind::UnsupportedKey,
            FileRole::PrivateKey,
            &files.key,
            "the private key cannot be used (rustls signs with RSA, ECDSA P-256 or P-384, and Ed25519 keys)",
        )
        .with_source(err)
    })?;
    let key = CertifiedKey::new(chain, signing_key);
    match key.keys_match() {
        // A key that cannot tell its public half passes, as rustls lets it.
        Ok(()) | Err(RustlsError::InconsistentKeys(InconsistentKeys::Unknown)) => {}
        Err(RustlsError::InconsistentKeys(_)) => {
            let problem = format!("the private key is not the one of the certificate in {}", files.cert.display());
            return Err(TlsError::in_file(TlsErrorKind::KeyMismatch, FileRole::PrivateKey, &files.key, problem));
        }
        Err(err) => {
            let problem = "the first certificate cannot be parsed";
            return Err(TlsError::in_file(TlsErrorKind::BadCertificate, FileRole::Certificate, &files.cert, problem)
                .with_source(err));
        }
    }
    Ok(Loaded { files: files.clone(), key: Arc::new(key) })
}
