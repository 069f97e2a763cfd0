//! Reading the PEM files TLS is configured with: certificates and a private key, every error
//! naming the file. The module's one contact with the file system.

use std::io::{ErrorKind, Read};
use std::path::Path;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::error::{FileRole, TlsError, TlsErrorKind};

/// The largest PEM file read, in bytes. A certificate chain is a few kilobytes and a system's
/// whole bundle of trusted roots a few hundred; the limit keeps a path to something endless
/// (`/dev/zero`) from filling the memory.
pub const MAX_PEM_FILE_SIZE: u64 = 1024 * 1024;

/// Every certificate in the file at `path`, in order; at least one.
pub(crate) fn read_certificates(path: &Path, role: FileRole) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read_bounded(path, role)?;
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| bad_pem(role, path, err))?;
    if certificates.is_empty() {
        return Err(TlsError::in_file(
            TlsErrorKind::NoCertificate,
            role,
            path,
            "no certificate in it (no PEM block `BEGIN CERTIFICATE`)",
        ));
    }
    Ok(certificates)
}

/// The first private key in the file at `path`: PKCS #8, PKCS #1 (RSA) or SEC1 (EC).
pub(crate) fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let role = FileRole::PrivateKey;
    let bytes = read_bounded(path, role)?;
    match PrivateKeyDer::from_pem_slice(&bytes) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) if contains(&bytes, b"-----BEGIN ENCRYPTED PRIVATE KEY-----") => {
            Err(TlsError::in_file(
                TlsErrorKind::UnsupportedKey,
                role,
                path,
                "the private key is encrypted; give it unencrypted (`openssl pkey -in KEY -out PLAIN`)",
            ))
        }
        Err(pem::Error::NoItemsFound) => Err(TlsError::in_file(
            TlsErrorKind::NoPrivateKey,
            role,
            path,
            "no private key in it (no PEM block `BEGIN PRIVATE KEY`, `BEGIN RSA PRIVATE KEY` or `BEGIN EC PRIVATE KEY`)",
        )),
        Err(err) => Err(bad_pem(role, path, err)),
    }
}

/// The bytes of the file at `path`, if it is a regular file within [`MAX_PEM_FILE_SIZE`]; never
/// more than the limit is read, even from a file that grows meanwhile.
fn read_bounded(path: &Path, role: FileRole) -> Result<Vec<u8>, TlsError> {
    let unreadable = |err: std::io::Error| match err.kind() {
        ErrorKind::NotFound => TlsError::in_file(TlsErrorKind::NotFound, role, path, "no such file"),
        _ => TlsError::in_file(TlsErrorKind::Unreadable, role, path, "cannot be read").with_source(err),
    };
    let refused = |problem: &str| TlsError::in_file(TlsErrorKind::Unreadable, role, path, problem);
    let too_large = || refused(&format!("larger than the limit of {} MiB", MAX_PEM_FILE_SIZE >> 20));
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if meta.is_dir() {
        return Err(refused("is a directory"));
    }
    if !meta.is_file() {
        return Err(refused("not a regular file"));
    }
    if meta.len() > MAX_PEM_FILE_SIZE {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_PEM_FILE_SIZE + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_PEM_FILE_SIZE {
        return Err(too_large());
    }
    Ok(bytes)
}

/// A broken PEM block, said in words (the parser's own messages show bytes as numbers).
fn bad_pem(role: FileRole, path: &Path, err: pem::Error) -> TlsError {
    let problem = match err {
        pem::Error::MissingSectionEnd { .. } => "a PEM block has no `END` line",
        pem::Error::IllegalSectionStart { .. } => "a PEM block's `BEGIN` line is malformed",
        pem::Error::Base64Decode(_) => "a PEM block is not valid base64",
        pem::Error::SectionTooLarge => "a PEM block is too large",
        _ => "the PEM text cannot be read",
    };
    TlsError::in_file(TlsErrorKind::BadPem, role, path, problem)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}
