//! TLS from settings: a server's certificate and key, a client's CA file, each named by a
//! setting of the service that uses it (`quickstart.tls_cert`, `quickstart.tls_key`,
//! `quickstart.client_tls_ca`), of type `Option<PathBuf>`: unset (or empty), no TLS.

use std::path::PathBuf;

use super::{ClientTls, TlsError, TlsErrorKind, TlsFiles};
use crate::{Config, Setting};

impl TlsFiles {
    /// The files two settings of a server name, `cert` its certificate chain and `key` its
    /// private key: `None` when neither is set (the server speaks plain TCP; an empty value is
    /// unset), an error when only one is. A relative path is relative to the config file's folder
    /// ([`Config::resolve_path`]).
    ///
    /// ```
    /// use std::path::PathBuf;
    /// use ginkgo::{setting, Config};
    /// use ginkgo::tls::TlsFiles;
    ///
    /// setting!(pub static CERT: Option<PathBuf> {
    ///     name: "example.tls_cert",
    ///     default: None,
    ///     help: "The server's certificate chain (PEM); unset: no TLS",
    /// });
    /// setting!(pub static KEY: Option<PathBuf> {
    ///     name: "example.tls_key",
    ///     default: None,
    ///     help: "The private key of example.tls_cert (PEM)",
    /// });
    ///
    /// let config = Config::builder().env(false).load()?;
    /// assert_eq!(TlsFiles::from_settings(&config, &CERT, &KEY)?, None);
    ///
    /// let config = Config::builder().env(false).set("example.tls_cert", "/etc/cert.pem").load()?;
    /// let err = TlsFiles::from_settings(&config, &CERT, &KEY).unwrap_err();
    /// assert_eq!(err.to_string(), "setting `example.tls_key` is not set, but `example.tls_cert` is: set both or neither");
    ///
    /// let config = Config::builder()
    ///     .env(false)
    ///     .set("example.tls_cert", "/etc/cert.pem")
    ///     .set("example.tls_key", "/etc/key.pem")
    ///     .load()?;
    /// let files = TlsFiles::from_settings(&config, &CERT, &KEY)?.unwrap();
    /// assert_eq!(files, TlsFiles::new("/etc/cert.pem", "/etc/key.pem"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_settings(
        config: &Config,
        cert: &Setting<Option<PathBuf>>,
        key: &Setting<Option<PathBuf>>,
    ) -> Result<Option<TlsFiles>, TlsError> {
        match (path_in(config, cert), path_in(config, key)) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => Ok(Some(TlsFiles::new(cert, key))),
            (Some(_), None) => Err(one_without_the_other(key, cert)),
            (None, Some(_)) => Err(one_without_the_other(cert, key)),
        }
    }
}

impl ClientTls {
    /// A client that trusts the CA file a setting names, or `None` when it is not set (the
    /// client speaks plain TCP). A relative path is relative to the config file's folder.
    ///
    /// ```
    /// use std::path::PathBuf;
    /// use ginkgo::{setting, Config};
    /// use ginkgo::tls::ClientTls;
    ///
    /// setting!(pub static CA: Option<PathBuf> {
    ///     name: "example.client_tls_ca",
    ///     default: None,
    ///     help: "Connect with TLS, trusting the certificates in this file (PEM); unset: plain TCP",
    /// });
    ///
    /// let config = Config::builder().env(false).load()?;
    /// assert!(ClientTls::from_ca_setting(&config, &CA)?.is_none());
    ///
    /// let config = Config::builder().env(false).set("example.client_tls_ca", "/missing/ca.pem").load()?;
    /// let err = ClientTls::from_ca_setting(&config, &CA).unwrap_err();
    /// assert_eq!(err.to_string(), "CA file /missing/ca.pem: no such file");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_ca_setting(config: &Config, ca: &Setting<Option<PathBuf>>) -> Result<Option<ClientTls>, TlsError> {
        path_in(config, ca).map(ClientTls::trusting_ca_file).transpose()
    }
}

/// The path `setting` holds, resolved against the config file's folder.
fn path_in(config: &Config, setting: &Setting<Option<PathBuf>>) -> Option<PathBuf> {
    setting.get(config).map(|path| config.resolve_path(path))
}

fn one_without_the_other(unset: &Setting<Option<PathBuf>>, set: &Setting<Option<PathBuf>>) -> TlsError {
    TlsError::new(
        TlsErrorKind::BadSettings,
        format!("setting `{}` is not set, but `{}` is: set both or neither", unset.name(), set.name()),
    )
}
