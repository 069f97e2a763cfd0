//! `TlsLayer`: a server's or a client's TLS as its transport holds it: where the certificate (or
//! the trusted roots) comes from, and what was loaded from there for the current run.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use rustls::client::ClientConfig;
use rustls::pki_types::ServerName;
use rustls::server::ServerConfig;

use super::{Alpn, ClientTls, ServerTls, TlsError, TlsErrorKind, TlsFiles};
use crate::net::Address;
use crate::{Config, Context, Setting};

/// A setting naming a PEM file: unset (or empty), no file.
type PathSetting = &'static Setting<Option<PathBuf>>;

/// The TLS of a server or a client, as a transport that speaks it holds it (`TlsTransport`,
/// `ginkgo::net`'s transport): where its certificate or its trusted roots come from, fixed or
/// named by settings, and what was loaded from there when its service started.
///
/// [`load`](TlsLayer::load) reads them when the service starts (a transport's `prepare`);
/// [`reload`](TlsLayer::reload) again when it reloads, for the connections made from then on
/// (on error, what was loaded stays). Clones share what is loaded.
///
/// ```
/// use ginkgo::Config;
/// use ginkgo::tls::{Alpn, TlsFiles};
/// use ginkgo_core::tls::TlsLayer;
///
/// let layer = TlsLayer::server(TlsFiles::new("cert.pem", "key.pem"), Alpn::None);
/// assert!(layer.server_config().is_none(), "nothing loaded before the service starts");
/// assert_eq!(layer.to_string(), "a certificate from cert.pem");
/// ```
#[derive(Clone)]
pub struct TlsLayer(Arc<Side>);

enum Side {
    Server { certificate: CertificateFrom, alpn: Alpn, serving: ArcSwapOption<Serving> },
    Client { trust: TrustFrom, trusting: ArcSwapOption<ClientTls> },
}

/// Where a server's certificate comes from.
enum CertificateFrom {
    Files(TlsFiles),
    Settings { cert: PathSetting, key: PathSetting },
}

/// A server's certificate loaded for a run, and the rustls configuration that presents it.
struct Serving {
    tls: ServerTls,
    config: Arc<ServerConfig>,
}

/// What a client trusts.
enum TrustFrom {
    Given(ClientTls),
    CaSetting(PathSetting),
}

impl TlsLayer {
    /// A server's TLS: the certificate in `files`, offering `alpn`.
    pub fn server(files: TlsFiles, alpn: Alpn) -> TlsLayer {
        TlsLayer::serving(CertificateFrom::Files(files), alpn)
    }

    /// A server's TLS: the certificate in the files the settings `cert` and `key` name, offering
    /// `alpn`; no TLS for a run that starts with neither set.
    pub fn server_from_settings(cert: PathSetting, key: PathSetting, alpn: Alpn) -> TlsLayer {
        TlsLayer::serving(CertificateFrom::Settings { cert, key }, alpn)
    }

    fn serving(certificate: CertificateFrom, alpn: Alpn) -> TlsLayer {
        TlsLayer(Arc::new(Side::Server { certificate, alpn, serving: ArcSwapOption::empty() }))
    }

    /// A client's TLS: what `tls` trusts, and the name it verifies servers by.
    pub fn client(tls: ClientTls) -> TlsLayer {
        TlsLayer::trusting(TrustFrom::Given(tls))
    }

    /// A client's TLS: the certificates in the CA file the setting `ca` names; no TLS for a run
    /// that starts with it unset.
    pub fn client_from_setting(ca: PathSetting) -> TlsLayer {
        TlsLayer::trusting(TrustFrom::CaSetting(ca))
    }

    fn trusting(trust: TrustFrom) -> TlsLayer {
        TlsLayer(Arc::new(Side::Client { trust, trusting: ArcSwapOption::empty() }))
    }

    /// Loads the certificate (a server's) or the trusted roots (a client's) for a run of `ctx`'s
    /// service, as its configuration says: true when TLS is on for this run, false when the
    /// settings name no file.
    pub fn load(&self, ctx: &Context) -> Result<bool, TlsError> {
        match &*self.0 {
            Side::Server { certificate, alpn, serving } => {
                let loaded = match certificate.files(ctx.config())? {
                    Some(files) => {
                        let tls = ServerTls::load(&files)?;
                        Some(Arc::new(Serving { config: tls.server_config(*alpn), tls }))
                    }
                    None => None,
                };
                let on = loaded.is_some();
                serving.store(loaded);
                Ok(on)
            }
            Side::Client { trust, trusting } => {
                let loaded = trust.roots(ctx.config())?;
                let on = loaded.is_some();
                trusting.store(loaded.map(Arc::new));
                Ok(on)
            }
        }
    }

    /// Reads the files again as `ctx`'s configuration names them now, for the connections made
    /// from now on; connections already open keep what they began with. On error what was
    /// loaded stays, and the error says so (`kept the old certificate: …`). Whether TLS is on
    /// changes only at a restart: a change of that is logged as a warning.
    pub fn reload(&self, ctx: &Context) -> Result<(), TlsError> {
        let path = ctx.path();
        match &*self.0 {
            Side::Server { certificate, serving, .. } => {
                let files = certificate.files(ctx.config()).map_err(|err| err.kept_old("certificate"))?;
                match (serving.load_full(), files) {
                    (Some(serving), Some(files)) => {
                        serving.tls.reload(&files).map_err(|err| err.kept_old("certificate"))?;
                        log::info!("{path}: certificate reloaded from {}", files.cert().display());
                    }
                    (Some(_), None) => self.warn_unset_now(&path),
                    (None, Some(_)) => self.warn_set_now(&path),
                    (None, None) => {}
                }
            }
            Side::Client { trust: TrustFrom::CaSetting(ca), trusting } => {
                let roots = trust_from_setting(ctx.config(), ca).map_err(|err| err.kept_old("trusted certificates"))?;
                match (trusting.load_full(), roots) {
                    (Some(_), Some(roots)) => {
                        trusting.store(Some(Arc::new(roots)));
                        log::info!("{path}: trusted certificates reloaded from the file of `{}`", ca.name());
                    }
                    (Some(_), None) => self.warn_unset_now(&path),
                    (None, Some(_)) => self.warn_set_now(&path),
                    (None, None) => {}
                }
            }
            Side::Client { trust: TrustFrom::Given(_), .. } => {}
        }
        Ok(())
    }

    /// True when the last [`load`](TlsLayer::load) loaded something: the service speaks TLS
    /// in this run.
    pub fn is_on(&self) -> bool {
        match &*self.0 {
            Side::Server { serving, .. } => serving.load().is_some(),
            Side::Client { trusting, .. } => trusting.load().is_some(),
        }
    }

    /// The rustls configuration a server's handshakes take now: `None` before the service has
    /// started, for a run without TLS, or for a client's layer.
    pub fn server_config(&self) -> Option<Arc<ServerConfig>> {
        match &*self.0 {
            Side::Server { serving, .. } => serving.load().as_ref().map(|serving| serving.config.clone()),
            Side::Client { .. } => None,
        }
    }

    /// The rustls configuration a client's handshake with `address` takes now, and the name it
    /// verifies the server by: `None` before the service has started, for a run without TLS, or
    /// for a server's layer. An error when the name cannot be told (a `unix:` address, and no
    /// name given).
    pub fn client_config(
        &self,
        address: &Address,
    ) -> Result<Option<(Arc<ClientConfig>, ServerName<'static>)>, TlsError> {
        let Side::Client { trusting, .. } = &*self.0 else { return Ok(None) };
        let Some(tls) = trusting.load_full() else { return Ok(None) };
        Ok(Some((tls.client_config(), tls.server_name(&address.to_string())?)))
    }

    /// The error of a transport that speaks TLS only, whose layer loaded nothing for this run:
    /// the settings that name the files are not set.
    pub fn not_configured(&self) -> TlsError {
        let needs = match &*self.0 {
            Side::Server { .. } => "this server speaks TLS only and needs a certificate",
            Side::Client { .. } => "this client speaks TLS only and needs certificates to trust",
        };
        TlsError::new(TlsErrorKind::NotConfigured, format!("{needs}: {} unset", self.settings()))
    }

    fn warn_unset_now(&self, path: &str) {
        log::warn!("{path}: {} unset now: TLS goes on until the service restarts", self.settings());
    }

    fn warn_set_now(&self, path: &str) {
        log::warn!("{path}: {} set now: TLS begins when the service restarts", self.settings());
    }

    /// The settings that name the files: `settings `app.tls_cert` and `app.tls_key``, `setting
    /// `app.client_tls_ca``; `no files` when they are fixed.
    fn settings(&self) -> String {
        match &*self.0 {
            Side::Server { certificate: CertificateFrom::Settings { cert, key }, .. } => {
                format!("settings `{}` and `{}`", cert.name(), key.name())
            }
            Side::Client { trust: TrustFrom::CaSetting(ca), .. } => format!("setting `{}`", ca.name()),
            _ => "no files".to_string(),
        }
    }
}

impl CertificateFrom {
    /// The files of the certificate, as `config` names them now.
    fn files(&self, config: &Config) -> Result<Option<TlsFiles>, TlsError> {
        match self {
            CertificateFrom::Files(files) => Ok(Some(files.clone())),
            CertificateFrom::Settings { cert, key } => TlsFiles::from_settings(config, cert, key),
        }
    }
}

impl TrustFrom {
    /// What to trust, as `config` says now.
    fn roots(&self, config: &Config) -> Result<Option<ClientTls>, TlsError> {
        match self {
            TrustFrom::Given(tls) => Ok(Some(tls.clone())),
            TrustFrom::CaSetting(ca) => trust_from_setting(config, ca),
        }
    }
}

fn trust_from_setting(config: &Config, ca: PathSetting) -> Result<Option<ClientTls>, TlsError> {
    ClientTls::from_ca_setting(config, ca)
}

impl fmt::Display for TlsLayer {
    /// Where the certificate or the trusted roots come from: `a certificate from cert.pem`,
    /// `the certificate the settings `app.tls_cert` and `app.tls_key` name`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            Side::Server { certificate: CertificateFrom::Files(files), .. } => {
                write!(f, "a certificate from {}", files.cert().display())
            }
            Side::Server { certificate: CertificateFrom::Settings { cert, key }, .. } => {
                write!(f, "the certificate the settings `{}` and `{}` name", cert.name(), key.name())
            }
            Side::Client { trust: TrustFrom::Given(_), .. } => f.write_str("the trusted certificates given"),
            Side::Client { trust: TrustFrom::CaSetting(ca), .. } => {
                write!(f, "the trusted certificates the setting `{}` names", ca.name())
            }
        }
    }
}

impl fmt::Debug for TlsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TlsLayer").field(&self.to_string()).finish()
    }
}
