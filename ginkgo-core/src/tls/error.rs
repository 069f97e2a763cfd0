//! `TlsError`: why a certificate, a private key or the trusted roots could not be loaded, on one
//! line that names the file.

use std::error::Error as StdError;
use std::fmt;
use std::path::{Path, PathBuf};

/// What was wrong, without the details (see [`TlsError`] for those).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsErrorKind {
    /// The file does not exist.
    NotFound,
    /// The file exists but cannot be read: a directory, no permission, larger than
    /// [`MAX_PEM_FILE_SIZE`](super::MAX_PEM_FILE_SIZE).
    Unreadable,
    /// A PEM block in the file is broken: no `END` line, a bad `BEGIN` line, bad base64.
    BadPem,
    /// The file holds no PEM certificate.
    NoCertificate,
    /// A certificate cannot be parsed, or is not one a server may present.
    BadCertificate,
    /// The server's certificate is past its `notAfter` date.
    Expired,
    /// The server's certificate is before its `notBefore` date.
    NotYetValid,
    /// The file holds no PEM private key.
    NoPrivateKey,
    /// The private key is encrypted, or of a kind rustls cannot sign with.
    UnsupportedKey,
    /// The private key is not the one of the certificate.
    KeyMismatch,
    /// The system's store of trusted root certificates is empty or cannot be read.
    NoSystemRoots,
    /// The name to verify a server by is neither a DNS name nor an IP address.
    BadServerName,
    /// The settings that name the files do not go together: a certificate without its key.
    BadSettings,
    /// A transport that speaks TLS only was given no certificate (or no trusted roots), or the
    /// settings that name them are not set.
    NotConfigured,
}

/// A certificate, a private key or the trusted roots that could not be loaded.
///
/// The message is one line that names the file and what is wrong with it
/// (`certificate file /etc/app/cert.pem: the certificate expired on 2024-03-01 00:00:00 UTC`);
/// the cause, where there is one (the system's error for a file that cannot be read), is its
/// [`source()`](StdError::source).
///
/// ```
/// use ginkgo::tls::{ServerTls, TlsErrorKind, TlsFiles};
///
/// let err = ServerTls::load(&TlsFiles::new("/no/such/cert.pem", "/no/such/key.pem")).unwrap_err();
/// assert_eq!(err.kind(), TlsErrorKind::NotFound);
/// assert_eq!(err.to_string(), "certificate file /no/such/cert.pem: no such file");
/// assert_eq!(err.file().unwrap().to_str(), Some("/no/such/cert.pem"));
/// ```
#[derive(Debug)]
pub struct TlsError {
    kind: TlsErrorKind,
    file: Option<PathBuf>,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

/// What a file is for, as the messages name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileRole {
    /// A server's certificate chain.
    Certificate,
    /// A server's private key.
    PrivateKey,
    /// The certificates a client trusts.
    Ca,
}

impl fmt::Display for FileRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileRole::Certificate => "certificate file",
            FileRole::PrivateKey => "private key file",
            FileRole::Ca => "CA file",
        })
    }
}

impl TlsError {
    /// An error about no file in particular.
    pub(crate) fn new(kind: TlsErrorKind, message: impl Into<String>) -> Self {
        TlsError { kind, file: None, message: message.into(), source: None }
    }

    /// An error about the file at `path`: `certificate file PATH: PROBLEM`.
    pub(crate) fn in_file(kind: TlsErrorKind, role: FileRole, path: &Path, problem: impl fmt::Display) -> Self {
        let message = format!("{role} {}: {problem}", path.display());
        TlsError { kind, file: Some(path.to_path_buf()), message, source: None }
    }

    pub(crate) fn with_source(mut self, source: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The same error, of a reload that kept `what` was in place: `kept the old certificate:
    /// certificate file PATH: PROBLEM`.
    pub(crate) fn kept_old(mut self, what: &str) -> Self {
        self.message = format!("kept the old {what}: {}", self.message);
        self
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> TlsErrorKind {
        self.kind
    }

    /// The file the problem is in, when it is in a file.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for TlsError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|err| err as &(dyn StdError + 'static))
    }
}
