//! `ClientTls`: what a client trusts (the system's roots, or a CA file) and the name it verifies
//! a server by, as a rustls client configuration.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::client::ClientConfig;
use rustls::pki_types::ServerName;

use super::error::{FileRole, TlsError, TlsErrorKind};
use super::pem_file::read_certificates;

/// What a client trusts, and the name it verifies servers by, for rustls.
///
/// It trusts either the system's root certificates ([`trusting_system_roots`]: those OpenSSL
/// would use, as `SSL_CERT_FILE` and `SSL_CERT_DIR` may point elsewhere) or the certificates
/// of one PEM file ([`trusting_ca_file`]: a private CA, or a server's self-signed certificate).
/// A server passes if its chain leads to one of them, is within its dates, and names the
/// server: by default the host of the address connected to, or the name given by
/// [`with_server_name`].
///
/// [`trusting_system_roots`]: ClientTls::trusting_system_roots
/// [`trusting_ca_file`]: ClientTls::trusting_ca_file
/// [`with_server_name`]: ClientTls::with_server_name
///
/// ```
/// use ginkgo::tls::ClientTls;
///
/// // A private CA's certificate, as a test makes one.
/// let dir = tempfile::tempdir()?;
/// let key = rcgen::KeyPair::generate()?;
/// let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
/// params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
/// std::fs::write(dir.path().join("ca.pem"), params.self_signed(&key)?.pem())?;
///
/// let tls = ClientTls::trusting_ca_file(dir.path().join("ca.pem"))?;
/// assert_eq!(tls.server_name("db.example.com:5432")?.to_str(), "db.example.com");
/// assert_eq!(tls.server_name("[::1]:5432")?.to_str(), "::1");
///
/// let tls = tls.with_server_name("db.internal")?;
/// assert_eq!(tls.server_name("10.0.0.7:5432")?.to_str(), "db.internal");
/// let _config = tls.client_config();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct ClientTls {
    config: Arc<ClientConfig>,
    server_name: Option<ServerName<'static>>,
}

impl ClientTls {
    /// Trusts the system's root certificates. An error when there are none, or none can be
    /// read.
    pub fn trusting_system_roots() -> Result<ClientTls, TlsError> {
        let found = rustls_native_certs::load_native_certs();
        let mut roots = RootCertStore::empty();
        let (_added, _unusable) = roots.add_parsable_certificates(found.certs);
        if roots.is_empty() {
            let problem = "no trusted root certificates found on this system (install the CA certificates, or \
                           trust a CA file)";
            let err = TlsError::new(TlsErrorKind::NoSystemRoots, problem);
            return Err(match found.errors.into_iter().next() {
                Some(cause) => err.with_source(cause),
                None => err,
            });
        }
        Ok(ClientTls::trusting(roots))
    }

    /// Trusts the certificates in the PEM file at `path`, and no others.
    pub fn trusting_ca_file(path: impl AsRef<Path>) -> Result<ClientTls, TlsError> {
        let path = path.as_ref();
        let mut roots = RootCertStore::empty();
        for (index, certificate) in read_certificates(path, FileRole::Ca)?.into_iter().enumerate() {
            roots.add(certificate).map_err(|err| {
                let problem = format!("certificate {} in it cannot be trusted: it cannot be parsed", index + 1);
                TlsError::in_file(TlsErrorKind::BadCertificate, FileRole::Ca, path, problem).with_source(err)
            })?;
        }
        Ok(ClientTls::trusting(roots))
    }

    fn trusting(roots: RootCertStore) -> ClientTls {
        let config = ClientConfig::builder_with_provider(super::provider())
            .with_safe_default_protocol_versions()
            .expect("ring's provider supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        ClientTls { config: Arc::new(config), server_name: None }
    }

    /// Verifies servers by `name` (a DNS name or an IP address) whatever address it connects
    /// to: for an address that is not the name in the server's certificate, or has no host.
    pub fn with_server_name(mut self, name: &str) -> Result<ClientTls, TlsError> {
        self.server_name = Some(parse_server_name(name)?);
        Ok(self)
    }

    /// The rustls client configuration: TLS 1.3 and 1.2, no client certificate, ring's
    /// cryptography.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        self.config.clone()
    }

    /// The name to verify the server at `address` by: the one given by
    /// [`with_server_name`](ClientTls::with_server_name), else the address's host
    /// (`host:port`, `[v6]:port`, or a host alone). A `unix:` address has no host.
    pub fn server_name(&self, address: &str) -> Result<ServerName<'static>, TlsError> {
        if let Some(name) = &self.server_name {
            return Ok(name.clone());
        }
        if address.starts_with("unix:") {
            return Err(TlsError::new(
                TlsErrorKind::BadServerName,
                format!("{address}: no host name to verify the server by; give one (with_server_name)"),
            ));
        }
        parse_server_name(host_of(address))
    }
}

/// `host` of `host:port`, `v6` of `[v6]:port` or `[v6]`; an address without a port as it is.
fn host_of(address: &str) -> &str {
    if let Some(bracketed) = address.strip_prefix('[') {
        if let Some((host, _)) = bracketed.split_once(']') {
            return host;
        }
    }
    match address.rsplit_once(':') {
        Some((host, _port)) if !host.contains(':') => host,
        _ => address,
    }
}

fn parse_server_name(name: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(name.to_string()).map_err(|_| {
        TlsError::new(
            TlsErrorKind::BadServerName,
            format!("`{name}` is neither a DNS name nor an IP address to verify a server by"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_of_an_address() {
        assert_eq!(host_of("example.com:443"), "example.com");
        assert_eq!(host_of("127.0.0.1:7000"), "127.0.0.1");
        assert_eq!(host_of("[::1]:7000"), "::1");
        assert_eq!(host_of("[fe80::1]"), "fe80::1");
        assert_eq!(host_of("::1"), "::1");
        assert_eq!(host_of("localhost"), "localhost");
    }
}
